#!/bin/sh
# Run one libFuzzer target over its seed corpus for $FUZZ_SECONDS
# (default 10), or until $FUZZ_RUNS inputs have run if that comes first;
# new inputs and any crash go to WORK_DIR, never to the seeds.
# Usage: run-fuzzer.sh FUZZER SEED_DIR WORK_DIR
set -eu
fuzzer=$1
seeds=$2
work=$3
mkdir -p "$work"
exec "$fuzzer" -max_total_time="${FUZZ_SECONDS:-10}" \
	-runs="${FUZZ_RUNS:--1}" -max_len=65536 \
	-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$work/" "$work" "$seeds"
