#!/bin/sh
# The main job, as far as it goes today: uvfiod serves devices over
# vfio-user and uvfioctl drives them through the client library; then the
# same device model in-process.  (Live migration joins it with issue 5.)
# Usage: demo.sh BUILD_DIR
set -eu
build=${1:-build}
dir=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
say() { printf '\n== %s\n' "$*"; }
ctl() { echo "\$ uvfioctl $*"; "$build/tools/uvfioctl" "$@"; }

say "uvfiod serves two devices, one vfio-user socket each"
"$build/tools/uvfiod" --socket-dir "$dir" --device ram,id=ram0,size=1M \
	--device ram,id=ram1,size=64K &
pid=$!
for _ in $(seq 100); do
	[ -S "$dir/ram0.sock" ] && [ -S "$dir/ram1.sock" ] && break
	sleep 0.1
done

say "what a VMM learns over the socket (VERSION, GET_INFO, GET_REGION_INFO, features)"
ctl info "$dir/ram0.sock"

say "region writes and reads travel as vfio-user messages"
ctl write "$dir/ram0.sock" 0 0x100 0xcafef00d --read-back
ctl read "$dir/ram0.sock" 0 0x100
echo "(a new connection sees the value: the device keeps its state across clients)"
ctl read "$dir/ram1.sock" 0 0x100
echo "(ram1 is another device: untouched)"

say "bad requests get precise errors and the server carries on"
ctl read "$dir/ram0.sock" 0 0xffffe --width 4 || true
ctl info --json "$dir/ram1.sock" | head -12

say "SIGTERM: uvfiod drops its clients and removes its sockets"
kill "$pid"
wait "$pid" || true
pid=
ls -A "$dir"
echo "(empty)"

say "the same device model in-process, step by step"
"$build/tools/uvfio-demo"
