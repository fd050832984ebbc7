#!/bin/sh
# Run a device test suite against a device served by uvfiod.
# Usage: run-suite.sh UVFIOD SUITE SPEC [SUITE-ARGS...]
#   SPEC is uvfiod's TYPE,id=NAME[,...]; the suite gets unix:DIR/NAME.sock.
set -eu
UVFIO_WRAP=${UVFIO_WRAP:-}
uvfiod=$1
suite=$2
spec=$3
shift 3
id=$(printf '%s\n' "$spec" | sed -n 's/.*[,]id=\([^,]*\).*/\1/p')
dir=$(mktemp -d)
# shellcheck disable=SC2086 # $UVFIO_WRAP: tests/memcheck.sh
$UVFIO_WRAP "$uvfiod" --socket-dir "$dir" --device "$spec" 2>"$dir/uvfiod.log" &
pid=$!
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
i=0
while [ ! -S "$dir/$id.sock" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 $pid 2>/dev/null; then
		echo "Bail out! uvfiod did not start: $(cat "$dir/uvfiod.log")"
		exit 1
	fi
	sleep 0.1
done
$UVFIO_WRAP "$suite" "unix:$dir/$id.sock" "$@"
# uvfiod must end cleanly on SIGTERM; under memcheck its status also
# says whether it made an invalid access or leaked.
kill -TERM $pid
status=0
wait $pid || status=$?
pid=
if [ $status -ne 0 ]; then
	echo "# uvfiod exited with status $status:"
	sed 's/^/# /' "$dir/uvfiod.log"
	exit 1
fi
