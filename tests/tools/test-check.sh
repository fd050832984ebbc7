#!/bin/sh
# uvfioctl check against uvfio's own devices served by uvfiod: every check
# a line of TAP, and the checker's exit status.  The same checker passes
# on the kernel's mtty inside the kernel rig; vfio-user cannot ask for
# precopy info, so those checks are skipped here, and say so.
# Usage: test-check.sh UVFIOD UVFIOCTL     (TAP output)
set -u
uvfiod=$1
ctl=$2

. "$(dirname "$0")/lib.sh"

uvfiod_start "ram0 edu0 tty0 ktty0" --device ram,id=ram0,size=1M \
	--device edu,id=edu0 --device mtty,id=tty0,ports=2 \
	--device mtty,id=ktty0,ports=2,stream=kernel

for dev in ram0 edu0 tty0 ktty0; do
	ctl check "$sock/$dev.sock" >"$tmp/out" 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok   "*) ok "$dev: ${line#ok   }" ;;
		"FAIL "*) not_ok "$dev: ${line#FAIL }" ;;
		"skip "*) skip "$dev: ${line#skip }" "(see the line)" ;;
		*) echo "# $line" ;;
		esac
	done <"$tmp/out"
	if [ $rc -eq 0 ]; then ok "$dev: check exits 0"; else not_ok "$dev: check exits $rc"; fi
done

# A device that cannot be opened is a failure, status 1.
ctl check "$sock/missing.sock" >"$tmp/out" 2>&1
[ $? -eq 1 ] && ok "a missing device fails with status 1" ||
	not_ok "a missing device fails with status 1"
uvfiod_exits_clean
done_testing
