#!/bin/sh
# The tests the rig runs inside the guest, against the kernel's own VFIO:
# QEMU's edu bound to vfio-pci and the kernel's mtty sample.  Runs under
# busybox sh as the guest's init leaves it (modules loaded, /rig/bin in
# PATH).  Output: for each program a "### NAME" line, then its TAP, then
# one more result, the program's exit status.  run.sh renumbers it all.
# Exit status 0 iff nothing failed.
failed=0

say() { echo "$@"; }
section() { say "### $1"; }
pass() { say "ok - $1"; }
flunk() {
	say "not ok - $1"
	failed=1
}

# run NAME CMD...: a TAP program, and its exit status as one more result.
run() {
	name=$1
	shift
	section "$name"
	"$@"
	rc=$?
	if [ $rc -eq 0 ]; then pass "$name exits 0"; else flunk "$name exits $rc"; fi
}

# check DEV [OPTIONS]: uvfioctl check, its lines as TAP, and its exit status.
check() {
	section "uvfioctl check $*"
	uvfioctl check "$@" >/tmp/check 2>&1
	rc=$?
	sed -e 's/^ok   /ok - /' -e 's/^FAIL /not ok - /' \
		-e 's/^skip \(.*\)$/ok - \1 # SKIP/' /tmp/check
	if [ $rc -eq 0 ]; then pass "uvfioctl check exits 0"; else flunk "uvfioctl check exits $rc"; fi
}

# expect_fail NAME PATTERN CMD...: CMD fails and its stderr says PATTERN.
expect_fail() {
	name=$1 pattern=$2
	shift 2
	if "$@" >/tmp/out 2>&1; then
		flunk "$name: succeeded"
	elif grep -q -- "$pattern" /tmp/out; then
		pass "$name"
	else
		flunk "$name: said '$(cat /tmp/out)'"
	fi
}

# read_fifo DEV N: N bytes from port 0's RX, as " 0x.. 0x..".
read_fifo() {
	got=
	for i in $(seq "$2"); do
		got="$got $(uvfioctl read "$1" bar0 0 --width 1)"
	done
	echo "$got"
}

# same NAME FILE1 FILE2: the two streams are byte for byte the same.
same() {
	if cmp "$2" "$3" >/tmp/out 2>&1; then pass "$1"; else flunk "$1: $(cat /tmp/out)"; fi
}

kver=$(uname -r)
say "# kernel $kver"
mig=false
case $kver in 6.1.*) ;; *) mig=true ;; esac

# ---- QEMU's edu on vfio-pci ----

edu=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] &&
		edu=${d##*/}
done
section "edu on vfio-pci"
if [ -z "$edu" ]; then
	flunk "QEMU's edu is on the bus"
	exit 1
fi
pass "QEMU's edu is on the bus at $edu"
expect_fail "open edu while no driver holds it" "not vfio-pci" \
	uvfioctl info "vfio:$edu"
echo vfio-pci >"/sys/bus/pci/devices/$edu/driver_override"
if echo "$edu" >/sys/bus/pci/drivers/vfio-pci/bind; then
	pass "bind edu to vfio-pci"
else
	flunk "bind edu to vfio-pci"
fi

run "kernel-client vfio:$edu" kernel-client-test "vfio:$edu"
# QEMU 7.2's edu aborts on a DMA that ends at its buffer's end.
run "edu-suite vfio:$edu" edu-suite "vfio:$edu" --qemu-7.2
# vfio-pci's feature multiplexer; edu does not migrate.
check "vfio:$edu"

# ---- the kernel's mtty ----

section "mtty"
if insmod /lib/modules/mtty.ko; then
	pass "load mtty.ko"
else
	flunk "load mtty.ko"
	exit 1
fi
types=/sys/class/mdev_bus/mtty/mdev_supported_types
a=83b8f4f2-509f-382f-3c1e-e6bfe0fa1001
b=83b8f4f2-509f-382f-3c1e-e6bfe0fa1002
for u in $a $b; do
	if echo $u >$types/mtty-2/create; then
		pass "create mdev $u (mtty-2)"
	else
		flunk "create mdev $u (mtty-2)"
	fi
done

run "kernel-client mdev:$a" kernel-client-test "mdev:$a"
# 6.1's mtty oopses on interrupts with no trigger set: --linux-6.1.
run "mtty-suite mdev:$a" mtty-suite "mdev:$a" $($mig || echo --linux-6.1)

# 6.12 has the fix for STOP_COPY -> PRE_COPY (no endless loop): try it.
if $mig; then check "mdev:$b" --all-arcs; else check "mdev:$b"; fi

if $mig; then
	section "migrate mdev to mdev"
	# Port 0's loopback FIFO holds "MIG" on $a; after the migration it
	# reads back on $b, and $a's own FIFO is left as it was.
	wrote=0
	for ch in 0x4d 0x49 0x47; do
		uvfioctl write "mdev:$a" bar0 0 $ch --width 1 && wrote=$((wrote + 1))
	done
	if [ $wrote -eq 3 ]; then pass "3 bytes into port 0's FIFO"; else flunk "3 bytes into port 0's FIFO: $wrote written"; fi
	if uvfioctl migrate "mdev:$a" "mdev:$b" >/tmp/out 2>&1; then
		pass "uvfioctl migrate mdev:$a mdev:$b"
	else
		flunk "uvfioctl migrate: $(cat /tmp/out)"
	fi
	got=$(read_fifo "mdev:$b" 3)
	if [ "$got" = " 0x4d 0x49 0x47" ]; then
		pass "the destination's FIFO holds what the source's did"
	else
		flunk "the destination's FIFO holds:$got"
	fi
fi

if $mig; then
	section "migrate between the kernel's mtty and uvfio's (stream=kernel)"
	# $b runs (the last migration's destination; its FIFO was read
	# empty) and $a is stopped (its source): from $b through uvfio's
	# mtty into $a.  $b's port 0 FIFO gets "KRN", each scratch register
	# a value.
	src=$b dst=$a
	for ch in 0x4b 0x52 0x4e; do
		uvfioctl write "mdev:$src" bar0 0 $ch --width 1
	done
	uvfioctl write "mdev:$src" bar0 7 0x5a --width 1
	uvfioctl write "mdev:$src" bar1 7 0xa5 --width 1
	mkdir -p /tmp/uvfio
	uvfiod --socket-dir /tmp/uvfio \
		--device mtty,id=ktty,ports=2,stream=kernel >/tmp/uvfiod.log 2>&1 &
	uvfiod_pid=$!
	for i in $(seq 50); do
		[ -S /tmp/uvfio/ktty.sock ] && break
		sleep 0.1
	done
	u=/tmp/uvfio/ktty.sock
	if [ -S $u ]; then pass "uvfiod serves mtty,stream=kernel"; else flunk "uvfiod serves mtty,stream=kernel: $(cat /tmp/uvfiod.log)"; fi

	uvfioctl save "mdev:$src" /tmp/a.bin >/tmp/out 2>&1 ||
		flunk "save mdev:$src: $(cat /tmp/out)"
	size=$(wc -c </tmp/a.bin)
	if [ "$size" -eq 96 ]; then pass "the kernel's 2-port stream is 96 bytes"; else flunk "the kernel's 2-port stream is $size bytes"; fi

	if uvfioctl migrate "mdev:$src" $u >/tmp/out 2>&1; then
		pass "uvfioctl migrate mdev:$src (kernel) -> uvfio's mtty"
	else
		flunk "migrate mdev:$src -> uvfio: $(cat /tmp/out)"
	fi
	uvfioctl save $u /tmp/u.bin >/tmp/out 2>&1 || flunk "save uvfio: $(cat /tmp/out)"
	same "uvfio's mtty saves the kernel's stream byte for byte" /tmp/a.bin /tmp/u.bin
	scr="$(uvfioctl read $u bar0 7 --width 1) $(uvfioctl read $u bar1 7 --width 1)"
	if [ "$scr" = "0x5a 0xa5" ]; then pass "uvfio's ports read the kernel's scratch registers"; else flunk "uvfio's scratch registers: $scr"; fi
	lsr=$(uvfioctl read $u bar0 5 --width 1)
	if [ "$lsr" = 0x01 ]; then pass "uvfio's port 0 has data ready (LSR 0x01)"; else flunk "uvfio's port 0 LSR: $lsr"; fi

	if uvfioctl migrate $u "mdev:$dst" >/tmp/out 2>&1; then
		pass "uvfioctl migrate uvfio's mtty -> mdev:$dst (kernel)"
	else
		flunk "migrate uvfio -> mdev:$dst: $(cat /tmp/out)"
	fi
	uvfioctl save "mdev:$dst" /tmp/b.bin >/tmp/out 2>&1 || flunk "save mdev:$dst: $(cat /tmp/out)"
	same "and back: the kernel's mtty saves the same bytes again" /tmp/a.bin /tmp/b.bin
	got=$(read_fifo "mdev:$dst" 3)
	if [ "$got" = " 0x4b 0x52 0x4e" ]; then
		pass "the FIFO went kernel -> uvfio -> kernel intact"
	else
		flunk "the kernel's FIFO after the round trip holds:$got"
	fi

	# Bad streams: both refuse the same ones, with the same errors.
	printf '\000' | dd of=/tmp/bad.bin bs=1 count=1 2>/dev/null
	dd if=/tmp/a.bin of=/tmp/bad.bin bs=1 skip=1 seek=1 2>/dev/null
	head -c 60 /tmp/a.bin >/tmp/short.bin
	for f in bad short; do
		for dev in "mdev:$dst" $u; do
			expect_fail "load the $f stream into $dev: refused" \
				"$([ $f = bad ] && echo 'Bad address' || echo 'incomplete or does not fit')" \
				uvfioctl load "$dev" /tmp/$f.bin
		done
	done
	if grep -q "kernel stream magic 0x7e9d09898c3e2c00" /tmp/uvfiod.log; then
		pass "uvfiod's log names the bad magic"
	else
		flunk "uvfiod's log: $(cat /tmp/uvfiod.log)"
	fi
	kill $uvfiod_pid
	wait $uvfiod_pid
fi

for u in $a $b; do
	echo 1 >/sys/bus/mdev/devices/$u/remove
done

# ---- SR-IOV: QEMU's nvme as a PF on vfio-pci (enable_sriov=1) ----
# The steps of tests/tools/test-sriov.sh, against the kernel: its
# sriov_numvfs and its VF token, through uvfioctl and the client library.

# expect_ok NAME PATTERN CMD...: CMD succeeds and its output says PATTERN
# (if not empty).
expect_ok() {
	name=$1 pattern=$2
	shift 2
	if "$@" >/tmp/out 2>&1 &&
		{ [ -z "$pattern" ] || grep -q -- "$pattern" /tmp/out; }; then
		pass "$name"
	else
		flunk "$name: said '$(cat /tmp/out)'"
	fi
}

section "SR-IOV: nvme PF on vfio-pci"
pf=
for d in /sys/bus/pci/devices/*; do
	[ -e "$d/sriov_totalvfs" ] && [ "$(cat "$d/vendor")" = 0x1b36 ] &&
		pf=${d##*/}
done
if [ -z "$pf" ]; then
	flunk "QEMU's nvme with SR-IOV is on the bus"
	exit 1
fi
pass "QEMU's nvme with SR-IOV is on the bus at $pf"
echo vfio-pci >"/sys/bus/pci/devices/$pf/driver_override"
if echo "$pf" >/sys/bus/pci/drivers/vfio-pci/bind; then
	pass "bind the PF to vfio-pci"
else
	flunk "bind the PF to vfio-pci"
fi
token=$(cat /proc/sys/kernel/random/uuid)
other=$(cat /proc/sys/kernel/random/uuid)
expect_ok "sriov shows a PF with no VFs" "^SR-IOV: PF, 0 of 2 VFs" \
	uvfioctl sriov "vfio:$pf"
expect_ok "sriov --numvfs 1 enables a VF through sysfs" \
	"^SR-IOV: PF, 1 of 2 VFs, VF Enable on" \
	uvfioctl sriov "vfio:$pf" --numvfs 1
vf=$(readlink "/sys/bus/pci/devices/$pf/virtfn0")
vf=${vf##*/}
drv=$(readlink "/sys/bus/pci/devices/$vf/driver")
if [ "${drv##*/}" = vfio-pci ]; then
	pass "the VF $vf is bound to vfio-pci, as the PF's"
else
	flunk "the VF $vf is bound to '${drv##*/}'"
fi
expect_ok "sriov lists the VF" "VF 0: vfio:$vf" uvfioctl sriov "vfio:$pf"
expect_fail "a VF does not open without the token (EACCES)" \
	"token is missing or wrong" uvfioctl info "vfio:$vf"
expect_ok "vf-token sets the PF's token" "" \
	uvfioctl vf-token "vfio:$pf" "$token"
expect_fail "nor with a wrong one" "token is missing or wrong" \
	uvfioctl info "vfio:$vf vf_token=$other"
expect_fail "--vf-token reaches the kernel too (a wrong one: EACCES)" \
	"token is missing or wrong" uvfioctl --vf-token "$other" info "vfio:$vf"
expect_fail "a token for a device neither PF nor VF: EINVAL" \
	"Invalid argument" uvfioctl info "vfio:$edu vf_token=$token"
expect_ok "the PF opens with a token while no VF is open, and takes it" \
	"^SR-IOV: PF, 1 of 2 VFs" uvfioctl info "vfio:$pf vf_token=$other"
expect_fail "the VF then refuses the old token" "token is missing or wrong" \
	uvfioctl info "vfio:$vf vf_token=$token"
# A successful open of QEMU 7.2's nvme VF takes about 70 s here (the
# kernel logs that it cannot bring the VF out of D3cold): it is opened
# once, and every refusal (which returns at once) checked on its own.
expect_ok "it opens with the PF's token; info names its PF" \
	"^SR-IOV: VF 0 of vfio:$pf" uvfioctl info "vfio:$vf vf_token=$other"
expect_fail "another count while enabled: EBUSY" "busy" \
	uvfioctl sriov "vfio:$pf" --numvfs 2
expect_ok "sriov --numvfs 0 removes the VF" "^SR-IOV: PF, 0 of 2 VFs" \
	uvfioctl sriov "vfio:$pf" --numvfs 0
if [ ! -e "/sys/bus/pci/devices/$vf" ]; then
	pass "the VF is gone"
else
	flunk "the VF is still there"
fi
exit $failed
