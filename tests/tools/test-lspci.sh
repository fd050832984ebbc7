#!/bin/sh
# uvfioctl lspci through the real lspci: the config space of uvfio's PCI
# devices, dumped over vfio-user, must decode in pciutils as the devices
# claim to be, capabilities included.
# Usage: test-lspci.sh UVFIOD UVFIOCTL     (TAP output)
set -u
uvfiod=$1
ctl=$2
n=0
failed=0
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT

check() { # DESC FILE REGEX
	n=$((n + 1))
	if grep -Eq -- "$3" "$2"; then
		echo "ok $n - $1"
	else
		failed=$((failed + 1))
		echo "not ok $n - $1"
		sed 's/^/# /' "$2"
	fi
}

if ! command -v lspci >/dev/null; then
	echo "1..0 # SKIP lspci (pciutils) is not installed"
	exit 0
fi
"$uvfiod" --socket-dir "$dir" --device edu,id=edu0 \
	--device mtty,id=tty0,ports=2 2>"$dir/uvfiod.log" &
pid=$!
i=0
while [ $i -lt 200 ] && ! { [ -S "$dir/edu0.sock" ] && [ -S "$dir/tty0.sock" ]; }; do
	sleep 0.05
	i=$((i + 1))
done

# Place the BARs as firmware would: lspci shows a region once it has an
# address (a dump cannot tell sizes).
"$ctl" write "$dir/edu0.sock" config 0x10 0xfea00000
"$ctl" write "$dir/tty0.sock" config 0x10 0xc000
"$ctl" write "$dir/tty0.sock" config 0x14 0xc008
for dev in edu0 tty0; do
	"$ctl" lspci "$dir/$dev.sock" >"$dir/$dev.dump" 2>&1
	lspci -F "$dir/$dev.dump" -n -vv >"$dir/$dev.n" 2>&1
	lspci -F "$dir/$dev.dump" -vv >"$dir/$dev.names" 2>&1
done

check "edu decodes as 1234:11e8 rev 10, class 00ff" "$dir/edu0.n" \
	'^00:00\.0 00ff: 1234:11e8 \(rev 10\)'
check "edu's subsystem is QEMU's 1af4:1100" "$dir/edu0.n" \
	'Subsystem: 1af4:1100'
check "edu's BAR0 is 32-bit non-prefetchable memory, 1 MiB aligned" \
	"$dir/edu0.n" 'Region 0: Memory at fea00000 \(32-bit, non-prefetchable\)'
check "edu has an MSI capability at 0x40: 1 vector, 64-bit" "$dir/edu0.n" \
	'Capabilities: \[40\] MSI: Enable- Count=1/1 Maskable- 64bit\+'
check "edu has INTA" "$dir/edu0.n" 'Interrupt: pin A'
check "mtty decodes as 4348:3253 rev 10, class 0700 prog-if 02" \
	"$dir/tty0.n" '^00:00\.0 0700: 4348:3253 \(rev 10\) \(prog-if 02'
check "mtty's prog-if is a 16550" "$dir/tty0.names" 'prog-if 02 \[16550\]'
check "mtty's BAR0 is I/O" "$dir/tty0.n" 'Region 0: I/O ports at c000'
check "mtty with 2 ports has an I/O BAR1" "$dir/tty0.n" \
	'Region 1: I/O ports at c008'
check "mtty has no capabilities" "$dir/tty0.n" 'Status: Cap-'
echo "1..$n"
[ $failed -eq 0 ]
