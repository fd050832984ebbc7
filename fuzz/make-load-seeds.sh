#!/bin/sh
# Write the seed corpus of fuzz-device-load: each device's real stop-copy
# and pre-copy streams, saved by the fuzz target itself (its
# LLVMFuzzerInitialize, when FUZZ_DEVICE_LOAD_SEEDS is set) and turned into
# its record format.  Run from the repository root after building the
# fuzzers: sh fuzz/make-load-seeds.sh [BUILD_DIR]
set -eu
build=${1:-build-fuzz}
out=fuzz/corpus/device-load
mkdir -p "$out"
FUZZ_DEVICE_LOAD_SEEDS="$out" "$build/fuzz/fuzz-device-load" -runs=0 \
	/dev/null >/dev/null 2>&1
ls "$out"
