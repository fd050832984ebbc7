#!/bin/sh
# The main job: uvfiod serves devices over vfio-user and uvfioctl drives
# them through the client library; the same device model in-process; then
# live migration: a VMM (uvfio-vmm-demo) runs a guest on edu and mtty of
# one uvfiod and migrates both to a second uvfiod while the guest runs,
# checking that the destination continues exactly where the source
# stopped, and uvfioctl migrate moves a ram device the same way.
# Any failure, the migration check included, fails the script (set -e).
# Usage: demo.sh BUILD_DIR
set -eu
build=$(cd "${1:-build}" && pwd)
dir=$(mktemp -d)
pid=
pid_a=
pid_b=
stop() { [ -n "$1" ] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null; }
# serve DIR: a uvfiod with edu, mtty and ram in DIR (its log in DIR.log)
serve() {
	"$build/tools/uvfiod" --socket-dir "$1" --device edu,id=edu0 \
		--device mtty,id=tty0,ports=2 --device ram,id=ram0,size=1M \
		2>"$1.log" &
}
cleanup() {
	rc=$?
	stop "$pid" || true
	stop "$pid_a" || true
	stop "$pid_b" || true
	if [ "$rc" != 0 ]; then
		for side in a b; do
			[ -s "$dir/$side.log" ] && sed "s/^/uvfiod $side: /" "$dir/$side.log" >&2
		done
	fi
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

say "live migration: uvfiod A serves edu, mtty and ram; uvfiod B their twins"
cd "$dir"
mkdir a b
serve a
pid_a=$!
serve b
pid_b=$!
for _ in $(seq 100); do
	[ -S a/ram0.sock ] && [ -S b/ram0.sock ] && break
	sleep 0.1
done
echo "A: $(cd a && echo *)"
echo "B: $(cd b && echo *)"

say "a VMM runs a guest on A's edu and mtty and live-migrates both to B while it runs"
echo "(one client per device, so the VMM runs the guest and drives the"
echo " migration on the same handles; the guest pauses only for stop-copy)"
echo "\$ uvfio-vmm-demo a/edu0.sock b/edu0.sock a/tty0.sock b/tty0.sock"
"$build/tools/uvfio-vmm-demo" a/edu0.sock b/edu0.sock a/tty0.sock b/tty0.sock

say "the same flow from the command line: uvfioctl migrate, on the ram pair"
ctl write a/ram0.sock 0 0x1000 0x5eed5eed --read-back
ctl migrate a/ram0.sock b/ram0.sock
ctl read b/ram0.sock 0 0x1000
echo "(B's ram0 holds what A's held)"

kill "$pid_a" "$pid_b"
wait "$pid_a"
wait "$pid_b"
pid_a=
pid_b=
