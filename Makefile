# uvfio.  `make demo` runs the main job, `make check` runs every test.
# Both install missing Debian packages first (as root).

BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
COV_BUILD ?= build-fuzzcov
JOBS ?= 2
# Seconds per fuzz target: `make fuzz` runs long, `make check` briefly.
# FUZZ_RUNS=N also ends each target after N inputs (-1: no limit).
FUZZ_SECONDS ?= 300
FUZZ_RUNS ?= -1
CHECK_FUZZ_SECONDS ?= 15

ASAN_ENV = ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

.PHONY: all deps build build-asan build-fuzz demo check memcheck fuzz \
	fuzz-coverage bench format clean

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

# The libFuzzer targets: clang, ASan+UBSan, coverage on the whole library.
build-fuzz: deps
	@test -f $(FUZZ_BUILD)/build.ninja || CC=clang meson setup $(FUZZ_BUILD) \
		-Dfuzzing=true -Dbuildtype=debug -Db_sanitize=address,undefined \
		-Db_lundef=false
	ninja -C $(FUZZ_BUILD) fuzzers

demo: build
	scripts/demo.sh $(BUILD)

# The integration tests under valgrind's memcheck: no invalid access, no
# use of uninitialised memory, no leak (tests/memcheck.sh).
MEMCHECK = meson test -C $(BUILD) --setup memcheck --suite integration \
	--num-processes $(JOBS) --print-errorlogs
memcheck: build
	$(MEMCHECK)

fuzz: build-fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_RUNS=$(FUZZ_RUNS) $(ASAN_ENV) \
		meson test -C $(FUZZ_BUILD) \
		--suite fuzz --no-rebuild --print-errorlogs

# Lines and branches each fuzz target's corpus (its seeds, and what make
# fuzz grew) covers of the code it is for: llvm-cov, from a build of its own.
fuzz-coverage: build-fuzz
	@scripts/install-deps.sh coverage
	@test -f $(COV_BUILD)/build.ninja || CC=clang meson setup $(COV_BUILD) \
		-Dfuzzing=true -Dbuildtype=debug \
		-Dc_args='-fprofile-instr-generate -fcoverage-mapping' \
		-Dc_link_args=-fprofile-instr-generate
	ninja -C $(COV_BUILD) fuzzers
	python3 fuzz/coverage.py $(COV_BUILD) $(FUZZ_BUILD)

# Every benchmark, each figure against its floor of the same run, then
# bench/report.md and its plots (bench/report.py).
BENCH_OUT = $(BUILD)/bench/results.tsv
bench: build
	@scripts/install-deps.sh bench
	rm -f $(BENCH_OUT)
	UVFIO_BENCH_OUT=$(BENCH_OUT) $(BUILD)/bench/bench-transport \
		--uvfiod $(BUILD)/tools/uvfiod
	UVFIO_BENCH_OUT=$(BENCH_OUT) $(BUILD)/bench/bench-io
	UVFIO_BENCH_OUT=$(BENCH_OUT) $(BUILD)/bench/bench-migration \
		--uvfiod $(BUILD)/tools/uvfiod
	UVFIO_BENCH_OUT=$(BENCH_OUT) $(BUILD)/bench/bench-dirty
	UVFIO_BENCH_OUT=$(BENCH_OUT) $(BUILD)/bench/bench-scale \
		--uvfiod $(BUILD)/tools/uvfiod
	python3 bench/report.py $(BENCH_OUT) bench

# Run every suite to the end, then count every test case of all.  The
# count reads cmocka's standard output: CMOCKA_MESSAGE_OUTPUT unset.
check: build build-asan build-fuzz
	-env -u CMOCKA_MESSAGE_OUTPUT meson test -C $(BUILD) \
		--num-processes $(JOBS) --print-errorlogs
	-env -u CMOCKA_MESSAGE_OUTPUT $(MEMCHECK)
	-env -u CMOCKA_MESSAGE_OUTPUT $(ASAN_ENV) meson test -C $(ASAN_BUILD) \
		--num-processes $(JOBS) --print-errorlogs
	-env -u CMOCKA_MESSAGE_OUTPUT FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS) \
		$(ASAN_ENV) meson test -C $(FUZZ_BUILD) \
		--suite fuzz --no-rebuild --print-errorlogs
	@scripts/count-results.py $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(COV_BUILD)
