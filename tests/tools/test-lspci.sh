#!/bin/sh
# uvfioctl lspci through the real lspci: the config space of uvfio's PCI
# devices, dumped over vfio-user, must decode in pciutils as the devices
# claim to be, capabilities included.
# Usage: test-lspci.sh UVFIOD UVFIOCTL     (TAP output)
set -u
uvfiod=$1
ctl=$2

. "$(dirname "$0")/lib.sh"

check() { # DESC FILE REGEX
	if grep -Eq -- "$3" "$2"; then
		ok "$1"
	else
		not_ok "$1"
		sed 's/^/# /' "$2"
	fi
}

if ! command -v lspci >/dev/null; then
	echo "1..0 # SKIP lspci (pciutils) is not installed"
	exit 0
fi
uvfiod_start "edu0 tty0" --device edu,id=edu0 --device mtty,id=tty0,ports=2

# Place the BARs as firmware would: lspci shows a region once it has an
# address (a dump cannot tell sizes).
ctl write "$sock/edu0.sock" config 0x10 0xfea00000
ctl write "$sock/tty0.sock" config 0x10 0xc000
ctl write "$sock/tty0.sock" config 0x14 0xc008
for dev in edu0 tty0; do
	ctl lspci "$sock/$dev.sock" >"$tmp/$dev.dump" 2>&1
	lspci -F "$tmp/$dev.dump" -n -vv >"$tmp/$dev.n" 2>&1
	lspci -F "$tmp/$dev.dump" -vv >"$tmp/$dev.names" 2>&1
done

check "edu decodes as 1234:11e8 rev 10, class 00ff" "$tmp/edu0.n" \
	'^00:00\.0 00ff: 1234:11e8 \(rev 10\)'
check "edu's subsystem is QEMU's 1af4:1100" "$tmp/edu0.n" \
	'Subsystem: 1af4:1100'
check "edu's BAR0 is 32-bit non-prefetchable memory, 1 MiB aligned" \
	"$tmp/edu0.n" 'Region 0: Memory at fea00000 \(32-bit, non-prefetchable\)'
check "edu has an MSI capability at 0x40: 1 vector, 64-bit" "$tmp/edu0.n" \
	'Capabilities: \[40\] MSI: Enable- Count=1/1 Maskable- 64bit\+'
check "edu has INTA" "$tmp/edu0.n" 'Interrupt: pin A'
check "mtty decodes as 4348:3253 rev 10, class 0700 prog-if 02" \
	"$tmp/tty0.n" '^00:00\.0 0700: 4348:3253 \(rev 10\) \(prog-if 02'
check "mtty's prog-if is a 16550" "$tmp/tty0.names" 'prog-if 02 \[16550\]'
check "mtty's BAR0 is I/O" "$tmp/tty0.n" 'Region 0: I/O ports at c000'
check "mtty with 2 ports has an I/O BAR1" "$tmp/tty0.n" \
	'Region 1: I/O ports at c008'
check "mtty has no capabilities" "$tmp/tty0.n" 'Status: Cap-'
uvfiod_exits_clean
done_testing
