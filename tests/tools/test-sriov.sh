#!/bin/sh
# SR-IOV from the outside: uvfiod serving a qacc PF, uvfioctl enabling
# its VFs (sriov --numvfs), setting the VF token (vf-token) and opening
# VFs with it (DEV vf_token=UUID, --vf-token), info showing PF and VF,
# and the real lspci decoding the PF's SR-IOV capability.
# Usage: test-sriov.sh UVFIOD UVFIOCTL     (TAP output)
set -u
uvfiod=$1
ctl=$2

. "$(dirname "$0")/lib.sh"

uuid() {
	python3 -c 'import uuid; print(uuid.uuid4())'
}

pf=$sock/acc0.sock
token=$(uuid)
wrong=$(uuid)

uvfiod_serves "uvfiod serves a qacc PF" "acc0" --device qacc,id=acc0,vfs=4

expect "sriov shows a PF with no VFs" 0 out \
	'^SR-IOV: PF, 0 of 4 VFs, VF Enable off, VF MSE off, VF device 5144' \
	sriov "$pf"
expect "sriov --numvfs 2 enables 2 VFs" 0 out \
	'^SR-IOV: PF, 2 of 4 VFs, VF Enable on, VF MSE on' \
	sriov "$pf" --numvfs 2
if [ -S "$sock/acc0-vf0.sock" ] && [ -S "$sock/acc0-vf1.sock" ] &&
	[ ! -e "$sock/acc0-vf2.sock" ]; then
	ok "uvfiod serves each VF on DIR/<pf>-vf<N>.sock"
else
	not_ok "uvfiod serves each VF on DIR/<pf>-vf<N>.sock"
	find "$sock" | sed 's/^/# /'
fi
expect "sriov lists the VFs' sockets" 0 out "VF 1: $sock/acc0-vf1.sock" \
	sriov "$pf"
expect "another count while enabled: EBUSY, as sriov_numvfs" 1 err \
	'Device or resource busy' sriov "$pf" --numvfs 3
expect "beyond TotalVFs: ERANGE" 1 err 'Numerical result out of range' \
	sriov "$pf" --numvfs 5
expect "the same count again is fine" 0 out '2 of 4 VFs' \
	sriov "$pf" --numvfs 2
run vf-token "$pf" "$token"
if [ "$rc" -eq 0 ] && [ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]; then
	ok "vf-token sets the PF's token"
else
	not_ok "vf-token sets the PF's token"
	diag "$tmp/err" stderr
fi
expect "a VF has no SR-IOV capability" 1 err 'no SR-IOV' \
	sriov "$sock/acc0-vf0.sock vf_token=$token" --numvfs 1
expect_usage "vf-token refuses a non-UUID" "'nope' is not a UUID" \
	vf-token "$pf" nope
expect "a VF does not open without the token (EACCES)" 1 err \
	'Permission denied' info "$sock/acc0-vf0.sock"
expect "nor with a wrong one" 1 err 'Permission denied' \
	info "$sock/acc0-vf0.sock vf_token=$wrong"
expect "DEV vf_token=UUID opens it; info names its PF" 0 out \
	"^SR-IOV: VF 1 of $sock/acc0.sock" \
	info "$sock/acc0-vf1.sock vf_token=$token"
expect "--vf-token opens it too" 0 out "^SR-IOV: VF 0 of unix:$sock/acc0.sock" \
	--vf-token "$token" info "unix:$sock/acc0-vf0.sock"
expect "a malformed token is refused" 1 err 'Invalid argument' \
	info "$sock/acc0-vf0.sock vf_token=1234"
run info --json "$pf"
if [ "$rc" -eq 0 ] && json_check "$tmp/out" \
	"d['sriov']['num_vfs'] == 2 and d['sriov']['total_vfs'] == 4 and [v['index'] for v in d['sriov']['vfs']] == [0, 1]"; then
	ok "info --json shows the PF's VFs"
else
	not_ok "info --json shows the PF's VFs"
fi
run --vf-token "$token" info --json "$sock/acc0-vf1.sock"
if [ "$rc" -eq 0 ] && json_check "$tmp/out" \
	"d['sriov'] == {'pf': '$pf', 'vf_index': 1}"; then
	ok "info --json shows a VF's PF"
else
	not_ok "info --json shows a VF's PF"
fi

if command -v lspci >/dev/null; then
	ctl lspci "$pf" >"$tmp/pf.dump" 2>&1
	lspci -F "$tmp/pf.dump" -vv >"$tmp/pf.txt" 2>&1
	if grep -q 'Single Root I/O Virtualization (SR-IOV)' "$tmp/pf.txt" &&
		grep -Eq 'Initial VFs: 4, Total VFs: 4, Number of VFs: 2' "$tmp/pf.txt" &&
		grep -Eq 'VF offset: 1, stride: 1, Device ID: 5144' "$tmp/pf.txt"; then
		ok "lspci decodes the PF's SR-IOV capability"
	else
		not_ok "lspci decodes the PF's SR-IOV capability"
		sed 's/^/# /' "$tmp/pf.txt"
	fi
else
	skip "lspci decodes the PF's SR-IOV capability" "no lspci"
fi

# A VF of this PF to a VF of another uvfiod's PF: one token per side.
dst=$tmp/dst
mkdir "$dst"
$UVFIO_WRAP "$uvfiod" --socket-dir "$dst" --device qacc,id=acc1,vfs=1 \
	2>"$tmp/dst.log" &
dst_pid=$!
i=0
while [ $i -lt 400 ] && [ ! -S "$dst/acc1.sock" ]; do
	sleep 0.05
	i=$((i + 1))
done
token2=$(uuid)
ctl sriov "$dst/acc1.sock vf_token=$token2" --numvfs 1 >/dev/null 2>&1
ctl write "$sock/acc0-vf1.sock vf_token=$token" bar0 0x0c 8 >/dev/null 2>&1
expect "migrate with the wrong token for one side fails" 1 err \
	'Permission denied' migrate "$sock/acc0-vf1.sock vf_token=$token" \
	"$dst/acc1-vf0.sock vf_token=$token"
expect "migrate moves a VF to another uvfiod's VF, a token each" 0 out \
	'.' migrate "$sock/acc0-vf1.sock vf_token=$token" \
	"$dst/acc1-vf0.sock vf_token=$token2"
expect "the destination VF has the source's queue" 0 out '^0x0*8$' \
	read "$dst/acc1-vf0.sock vf_token=$token2" bar0 0x0c
kill "$dst_pid"
wait "$dst_pid" || not_ok "the second uvfiod exits 0"

# A VF held open (receive waits for a migration with it open): removing
# the VFs waits for it up to --timeout, then fails; once it is closed,
# removal waits out the moment its server takes to see the close.
# shellcheck disable=SC2086 # $UVFIO_WRAP: tests/memcheck.sh
$UVFIO_WRAP "$ctl" receive "$sock/acc0-vf0.sock vf_token=$token" \
	--listen tcp:127.0.0.1:0 >"$tmp/recv.out" 2>&1 &
recv_pid=$!
i=0
while [ $i -lt 400 ] && ! grep -q "listening on" "$tmp/recv.out"; do
	sleep 0.05
	i=$((i + 1))
done
expect "removing VFs while one is open fails: EBUSY" 1 err \
	'Device or resource busy' --timeout 200 sriov "$pf vf_token=$token" \
	--numvfs 0
kill_wait "$recv_pid"
expect "sriov --numvfs 0 removes the VFs" 0 out '0 of 4 VFs' \
	sriov "$pf vf_token=$token" --numvfs 0
if [ ! -e "$sock/acc0-vf0.sock" ] && [ ! -e "$sock/acc0-vf1.sock" ]; then
	ok "their sockets are gone"
else
	not_ok "their sockets are gone"
fi
uvfiod_exits_clean
done_testing
