#!/bin/sh
# Run a device test suite against a device served by uvfiod.
# Usage: run-suite.sh UVFIOD SUITE SPEC [SUITE-ARGS...]
#   SPEC is uvfiod's TYPE,id=NAME[,...]; the suite gets unix:DIR/NAME.sock.
set -eu
uvfiod=$1
suite=$2
spec=$3
shift 3
id=$(printf '%s\n' "$spec" | sed -n 's/.*[,]id=\([^,]*\).*/\1/p')
dir=$(mktemp -d)
"$uvfiod" --socket-dir "$dir" --device "$spec" 2>"$dir/uvfiod.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
i=0
while [ ! -S "$dir/$id.sock" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 $pid 2>/dev/null; then
		echo "Bail out! uvfiod did not start: $(cat "$dir/uvfiod.log")"
		exit 1
	fi
	sleep 0.1
done
"$suite" "unix:$dir/$id.sock" "$@"
