#!/bin/sh
# Run a test program against the same device served by two uvfiods (a
# migration source and destination).
# Usage: run-two.sh UVFIOD PROGRAM SPEC
#   PROGRAM gets unix:SRCDIR/NAME.sock unix:DSTDIR/NAME.sock.
set -eu
UVFIO_WRAP=${UVFIO_WRAP:-}
uvfiod=$1
prog=$2
spec=$3
id=$(printf '%s\n' "$spec" | sed -n 's/.*[,]id=\([^,]*\).*/\1/p')
top=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$top"
}
trap cleanup EXIT
for side in src dst; do
	mkdir "$top/$side"
	# shellcheck disable=SC2086 # $UVFIO_WRAP: tests/memcheck.sh
	$UVFIO_WRAP "$uvfiod" --socket-dir "$top/$side" --device "$spec" \
		2>"$top/$side.log" &
	pids="$pids $!"
done
for side in src dst; do
	i=0
	while [ ! -S "$top/$side/$id.sock" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			echo "Bail out! uvfiod ($side) did not start: $(cat "$top/$side.log")"
			exit 1
		fi
		sleep 0.1
	done
done
status=0
$UVFIO_WRAP "$prog" "unix:$top/src/$id.sock" "unix:$top/dst/$id.sock" || status=$?
# Both must end cleanly on SIGTERM (under memcheck: without errors).
for p in $pids; do
	kill -TERM "$p"
	if ! wait "$p"; then
		echo "# a uvfiod failed:"
		sed 's/^/# /' "$top/src.log" "$top/dst.log"
		status=1
	fi
done
pids=
exit $status
