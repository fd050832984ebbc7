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

say "uvfiod serves four devices, one vfio-user socket each"
"$build/tools/uvfiod" --socket-dir "$dir" --device ram,id=ram0,size=1M \
	--device ram,id=ram1,size=64K --device edu,id=edu0 \
	--device mtty,id=tty0,ports=2 &
pid=$!
for _ in $(seq 100); do
	[ -S "$dir/ram0.sock" ] && [ -S "$dir/tty0.sock" ] && break
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

say "PCI devices: QEMU's edu and the kernel's mtty, config space as lspci reads it"
ctl lspci "$dir/edu0.sock"
ctl read "$dir/edu0.sock" bar0 0x0
echo "(edu's identification register)"
ctl write "$dir/edu0.sock" bar0 0x4 0x12345678 --read-back
echo "(liveness: edu returns the inverse)"
ctl write "$dir/edu0.sock" bar0 0x8 10 --read-back
echo "(factorial: 10! = 0x375f00)"
ctl write "$dir/tty0.sock" bar1 0x0 0x41 --width 1
ctl read "$dir/tty0.sock" bar1 0x5 --width 1
echo "(mtty port 2: a byte written to THR loops back; LSR now has Data Ready)"
ctl read "$dir/tty0.sock" bar1 0x0 --width 1
if command -v lspci >/dev/null; then
	"$build/tools/uvfioctl" lspci "$dir/tty0.sock" >"$dir/tty0.dump"
	echo "\$ lspci -F tty0.dump -vv   # the real pciutils decoding it"
	lspci -F "$dir/tty0.dump" -vv 2>/dev/null
fi

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
