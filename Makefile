# uvfio.  `make demo` runs the main job, `make check` runs every test.
# Both install missing Debian packages first (as root).

BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= 2

ASAN_ENV = ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

.PHONY: all deps build build-asan demo check format clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@test -f $(BUILD)/build.ninja || meson setup $(BUILD)
	ninja -C $(BUILD)

# The whole suite again under AddressSanitizer and UBSan.
build-asan: deps
	@test -f $(ASAN_BUILD)/build.ninja || meson setup $(ASAN_BUILD) \
		-Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C $(ASAN_BUILD)

demo: build
	$(BUILD)/tools/uvfio-demo

# Run both suites to the end, then count every test case of both.
check: build build-asan
	-meson test -C $(BUILD) --num-processes $(JOBS) --print-errorlogs
	-$(ASAN_ENV) meson test -C $(ASAN_BUILD) --num-processes $(JOBS) --print-errorlogs
	@scripts/count-results.py $(BUILD) $(ASAN_BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
