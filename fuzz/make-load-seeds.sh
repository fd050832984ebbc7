#!/bin/sh
# Write the seed corpora of the loaders' fuzz targets, saved by the targets
# themselves (their LLVMFuzzerInitialize, when the variable is set):
# fuzz-device-load gets each device's real stop-copy and pre-copy streams
# in its record format, fuzz-mtty-kstream the kernel-format streams of a
# one- and a two-port mtty.  Run from the repository root after building
# the fuzzers: sh fuzz/make-load-seeds.sh [BUILD_DIR]
set -eu
build=${1:-build-fuzz}
for t in device-load:FUZZ_DEVICE_LOAD_SEEDS mtty-kstream:FUZZ_MTTY_KSTREAM_SEEDS; do
	name=${t%%:*} var=${t#*:}
	out=fuzz/corpus/$name
	mkdir -p "$out"
	env "$var=$out" "$build/fuzz/fuzz-$name" -runs=0 >/dev/null 2>&1
	ls "$out"
done
