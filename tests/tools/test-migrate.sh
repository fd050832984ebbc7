#!/bin/sh
# uvfioctl save / load / migrate / receive against a real uvfiod serving
# ram devices: r0, r1, r2 of 1 MiB and small of 64 KiB.  Migration over
# TCP runs between two network namespaces this script creates (skipped
# where ip netns is not permitted).  Output is TAP.
# Usage: test-migrate.sh UVFIOD UVFIOCTL
set -u
uvfiod=$1
ctl=$2

. "$(dirname "$0")/lib.sh"
rpid=
ns_a=uvfio-mig-$$-a
ns_b=uvfio-mig-$$-b
netns=

cleanup() {
	kill_wait "$rpid"
	kill_wait "$pid"
	if [ -n "$netns" ]; then
		ip netns del "$ns_a" 2>/dev/null
		ip netns del "$ns_b" 2>/dev/null
	fi
	rm -rf "$tmp"
}

# check DESC COMMAND...: pass if COMMAND succeeds; show uvfioctl's last
# output if not.
check() {
	desc=$1
	shift
	if "$@"; then
		ok "$desc"
	else
		not_ok "$desc"
		echo "# last uvfioctl exit $rc"
		diag "$tmp/out" stdout
		diag "$tmp/err" stderr
	fi
}

# state_is DEV STATE: `uvfioctl info --json` says DEV is in STATE.
state_is() {
	ctl info --json "$1" >"$tmp/info" 2>"$tmp/info.err" &&
		json_check "$tmp/info" "d['migration']['state'] == '$2'" ||
		{ echo "# $1: $(cat "$tmp/info.err")"; return 1; }
}

# The pattern: VALUE at OFFSET, 8 bytes each; the last one ends the region.
offsets="0x0 0x1000 0x7fff8 0xabcd0 0xffff8"
value_at() {
	case $1 in
	0x0) echo 0x0123456789abcdef ;;
	0x1000) echo 0xfeedfacecafebeef ;;
	0x7fff8) echo 0x00000000deadbeef ;;
	0xabcd0) echo 0x8000000000000001 ;;
	0xffff8) echo 0x5a5a5a5a5a5a5a5a ;;
	esac
}

write_pattern() {
	for off in $offsets; do
		ctl write "$1" 0 "$off" "$(value_at "$off")" --width 8 ||
			return 1
	done
}

# has_pattern DEV: every pattern value reads back from DEV.
has_pattern() {
	for off in $offsets; do
		v=$(ctl read "$1" 0 "$off" --width 8) || return 1
		if [ "$v" != "$(value_at "$off")" ]; then
			echo "# $1 offset $off: $v, expected $(value_at "$off")"
			return 1
		fi
	done
}

# same_values A B: A and B read the same at every pattern offset.
same_values() {
	for off in $offsets; do
		a=$(ctl read "$1" 0 "$off" --width 8) || return 1
		b=$(ctl read "$2" 0 "$off" --width 8) || return 1
		if [ "$a" != "$b" ]; then
			echo "# offset $off: $a on $1, $b on $2"
			return 1
		fi
	done
}

r0=$sock/r0.sock
r1=$sock/r1.sock
r2=$sock/r2.sock
small=$sock/small.sock

# ---- start the daemon ----

uvfiod_serves "uvfiod serves r0, r1, r2 and small" "r0 r1 r2 small" \
	--device ram,id=r0,size=1M --device ram,id=r1,size=1M \
	--device ram,id=r2,size=1M --device ram,id=small,size=64K

# ---- info shows the migration state ----

expect "info shows the migration flags and state" 0 out \
	'^Migration: flags 0x7 \(STOP_COPY\|P2P\|PRE_COPY\), state RUNNING$' \
	info "$r0"
run info --json "$r0"
check "info --json has migration flags and state" json_check "$tmp/out" \
	'd["migration"] == {"flags": 7, "flag_names": ["STOP_COPY", "P2P", "PRE_COPY"], "state": "RUNNING"}'

# ---- migrate ----

write_pattern "$r0" && ctl write "$r1" 0 0x1000 0x1111 --width 8
check "the pattern is written to r0" has_pattern "$r0"

run migrate "$r0" "$r1" --json
check "migrate r0 r1 --json succeeds" [ "$rc" -eq 0 ]
check "its JSON: ok, bytes, pre-copy, iterations, times" json_check \
	"$tmp/out" \
	'd["ok"] is True and d["bytes"] > 2 * 1048576 and 1048576 < d["precopy_bytes"] < d["bytes"] and 1 <= d["iterations"] <= 10 and 0 <= d["downtime_ms"] <= d["total_ms"] and d["source_state"] == "STOP" and d["precopy_stop"] in ("downtime", "idle", "max-iterations")'
check "r1 reads what r0 holds" same_values "$r0" "$r1"
check "r1 holds the pattern" has_pattern "$r1"
check "r0 is left in STOP" state_is "$r0" STOP
check "r1 is RUNNING" state_is "$r1" RUNNING

expect "migrate r0 (STOP) fails: the source must be RUNNING" 1 err \
	'r0\.sock is in STOP; migrate needs it RUNNING' migrate "$r0" "$r2"
check "r2 was not touched: RUNNING" state_is "$r2" RUNNING

expect "migrate back, text report" 0 out \
	"^$r1 -> $r0: migrated [0-9.]+ MiB \([0-9]+ bytes\) in [0-9.]+ ms$" \
	migrate "$r1" "$r0"
check "the text report has pre-copy, downtime, states" grep -Eq \
	'^  pre-copy:  [0-9]+ iterations?, ' "$tmp/out"
check "... downtime and limit" grep -Eq \
	'^  downtime:  [0-9.]+ ms \(limit 300 ms\)$' "$tmp/out"
check "... the source is left in STOP" grep -q \
	'^  source STOP, destination RUNNING$' "$tmp/out"
check "r0 holds the pattern again" has_pattern "$r0"

run migrate "$r0" "$r1" --json --max-iterations 0 --downtime-limit 0
check "--max-iterations 0: stop-copy only" json_check "$tmp/out" \
	'd["ok"] and d["iterations"] == 0 and d["precopy_bytes"] == 0 and 1048576 < d["bytes"] < 2 * 1048576'
check "r1 holds the pattern after stop-copy only" has_pattern "$r1"
run migrate "$r1" "$r0" --json -d 100000 -i 3
check "-d 100000 -i 3: one iteration fits the limit" json_check "$tmp/out" \
	'd["ok"] and d["iterations"] == 1 and d["precopy_stop"] == "downtime" and d["downtime_limit_ms"] == 100000'

# ---- migrate failures: the source runs again ----

run migrate "$r0" "$sock/nope.sock" --json
check "migrate to a nonexistent socket fails with status 1" [ "$rc" -eq 1 ]
check "its JSON says what failed" json_check "$tmp/out" \
	'd["ok"] is False and "nope.sock" in d["failed"] and d["error"] == "No such file or directory" and d["errno"] == 2 and d["source_state"] == "RUNNING"'
check "... and stderr too" grep -q \
	"^uvfioctl: migrate: destination $sock/nope.sock: No such file or directory$" \
	"$tmp/err"
check "r0 is RUNNING after the failed migrate" state_is "$r0" RUNNING

run migrate "$r0" "$small" --json
check "migrate to small (another size) fails with status 1" [ "$rc" -eq 1 ]
check "its JSON: the destination refused the stream, and recovery" \
	json_check "$tmp/out" \
	'd["ok"] is False and "refused the stream" in d["failed"] and d["errno"] == 22 and "RUNNING again" in d["recovery"] and "was reset" in d["recovery"]'
check "r0 is RUNNING again" state_is "$r0" RUNNING
check "small was reset: RUNNING" state_is "$small" RUNNING
check "r0 still holds the pattern" has_pattern "$r0"
check "the server said why" grep -q 'small: .*compat "ram-1/1048576", this device "ram-1/65536"' \
	"$tmp/uvfiod.log"

# ---- save and load ----

expect "save r0 to a file" 0 out \
	"^$r0: saved 1.00 MiB \([0-9]+ bytes\) to $tmp/r0.mig in [0-9.]+ ms; the device is RUNNING$" \
	save "$r0" "$tmp/r0.mig"
check "the file is there, and no .tmp" sh -c \
	"[ -s '$tmp/r0.mig' ] && [ ! -e '$tmp/r0.mig.tmp' ]"
check "r0 is RUNNING after save" state_is "$r0" RUNNING
bytes=$(wc -c <"$tmp/r0.mig")
check "the file holds the whole state" [ "$bytes" -gt 1048576 ]

ctl write "$r2" 0 0 0x77 --width 8
expect "load it into r2" 0 out \
	"^$r2: loaded 1.00 MiB \($bytes bytes\) from $tmp/r0.mig in [0-9.]+ ms; the device is RUNNING$" \
	load "$r2" "$tmp/r0.mig"
check "r2 reads what r0 holds" same_values "$r0" "$r2"
check "r2 is RUNNING" state_is "$r2" RUNNING

expect "loading the 1 MiB stream into small fails with status 1" 1 err \
	"^uvfioctl: load: $small refused the stream in bytes 0-[0-9]+ \(its server's log says why\): Invalid argument$" \
	load "$small" "$tmp/r0.mig"
check "... says that small was reset" grep -q "small.sock was reset (RUNNING)" \
	"$tmp/err"
check "small is RUNNING after the refused load" state_is "$small" RUNNING

head -c $((bytes - 10)) "$tmp/r0.mig" >"$tmp/trunc.mig"
expect "a truncated file fails to load" 1 err \
	"^uvfioctl: load: $r2: RESUMING -> RUNNING: Invalid argument$" \
	load "$r2" "$tmp/trunc.mig"
check "... says the stream is incomplete and r2 was reset" grep -q \
	"incomplete or does not fit the device .*r2.sock was reset (RUNNING)" \
	"$tmp/err"
check "r2 is RUNNING after the truncated load" state_is "$r2" RUNNING

: >"$tmp/empty.mig"
expect "an empty file fails to load" 1 err 'RESUMING -> RUNNING: Invalid argument' \
	load "$r2" "$tmp/empty.mig"
expect "a file that does not exist fails to load" 1 err \
	"^uvfioctl: load: $tmp/nope.mig: No such file or directory$" \
	load "$r2" "$tmp/nope.mig"
check "r2 is RUNNING" state_is "$r2" RUNNING

expect "save into a missing directory fails with status 1" 1 err \
	"^uvfioctl: save: $tmp/nodir/x.mig.tmp: No such file or directory$" \
	save "$r0" "$tmp/nodir/x.mig"
check "r0 is RUNNING after the failed save" state_is "$r0" RUNNING
expect "save of a missing device fails with status 1" 1 err \
	"nope.sock: No such file or directory" save "$sock/nope.sock" \
	"$tmp/x.mig"
check "... and leaves no file" sh -c \
	"[ ! -e '$tmp/x.mig' ] && [ ! -e '$tmp/x.mig.tmp' ]"

# ---- usage errors ----

expect_usage "migrate without DST" "missing DST" migrate "$r0"
expect_usage "migrate without SRC" "missing SRC" migrate
expect_usage "migrate with an extra argument" "unexpected argument 'x'" \
	migrate "$r0" "$r1" x
expect_usage "a bad downtime limit" "bad downtime limit 'abc'" \
	migrate "$r0" "$r1" --downtime-limit abc
expect_usage "a downtime limit out of range" "bad downtime limit '3600001'" \
	migrate "$r0" "$r1" --downtime-limit 3600001
expect_usage "a negative iteration count" "bad iteration count '-1'" \
	migrate "$r0" "$r1" --max-iterations -1
expect_usage "--max-iterations without a value" \
	"option '--max-iterations' needs a value" migrate "$r0" "$r1" \
	--max-iterations
expect_usage "an unknown migrate option" "unknown or misused option '--bogus'" \
	migrate "$r0" "$r1" --bogus
expect_usage "SRC and DST the same device" "SRC and DST are the same device" \
	migrate "$r0" "unix:$r0"
expect_usage "a malformed tcp: destination" "bad destination 'tcp:nohostport'" \
	migrate "$r0" tcp:nohostport
expect_usage "save without FILE" "missing FILE" save "$r0"
expect_usage "load with an extra argument" "unexpected argument 'x'" \
	load "$r0" "$tmp/r0.mig" x
expect_usage "receive without --listen" "missing --listen" receive "$r2"
expect_usage "receive with a bad address" "bad address 'udp:1.2.3.4:5'" \
	receive "$r2" --listen udp:1.2.3.4:5
check "usage errors changed nothing: r0 RUNNING" state_is "$r0" RUNNING

# ---- help ----

for cmd in save load migrate receive; do
	expect "$cmd --help" 0 out "^Usage: uvfioctl $cmd " "$cmd" --help
done
expect "migrate --help says the source is left in STOP" 0 out \
	'SRC is left in STOP' help migrate
expect "the tool's help lists migrate" 0 out '^  migrate SRC DST' --help

# ---- over TCP, between two network namespaces ----

# wait_listening FILE: the receiver printed its address.
wait_listening() {
	i=0
	while [ $i -lt 400 ] && ! grep -q '^listening on ' "$1"; do
		kill -0 "$rpid" 2>/dev/null || return 1
		sleep 0.05
		i=$((i + 1))
	done
	grep -q '^listening on ' "$1"
}

# receiver DEV: start `uvfioctl receive DEV` in namespace b.
receiver() {
	ip netns exec "$ns_b" "$ctl" receive "$1" \
		--listen tcp:10.213.7.2:4444 >"$tmp/recv.out" \
		2>"$tmp/recv.err" &
	rpid=$!
	wait_listening "$tmp/recv.out"
}

# run_in_a ARGS...: run, from namespace a.
run_in_a() {
	ip netns exec "$ns_a" "$ctl" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# receiver_said STATUS REGEX STREAM: the receiver exited with STATUS and
# its std STREAM matches REGEX.
receiver_said() {
	[ "$rrc" -eq "$1" ] && grep -Eq -- "$2" "$tmp/recv.$3" && return 0
	echo "# receiver exit $rrc, wanted $1 with std$3 matching /$2/"
	diag "$tmp/recv.out" "receiver stdout"
	diag "$tmp/recv.err" "receiver stderr"
	return 1
}

# receiver_status: the receiver's exit status in $rrc.
receiver_status() {
	wait "$rpid"
	rrc=$?
	rpid=
}

if ip netns add "$ns_a" 2>"$tmp/netns.err"; then
	netns=yes
	veth=uvm$$
	ip netns add "$ns_b" &&
		ip link add "${veth}a" netns "$ns_a" type veth peer \
			name "${veth}b" netns "$ns_b" &&
		ip -n "$ns_a" addr add 10.213.7.1/30 dev "${veth}a" &&
		ip -n "$ns_b" addr add 10.213.7.2/30 dev "${veth}b" &&
		ip -n "$ns_a" link set "${veth}a" up &&
		ip -n "$ns_b" link set "${veth}b" up &&
		ip -n "$ns_a" link set lo up && ip -n "$ns_b" link set lo up
	netns_ok=$?
else
	netns_ok=1
fi
netns_tests=13
if [ "$netns_ok" -ne 0 ]; then
	why=$(head -n 1 "$tmp/netns.err")
	i=0
	while [ $i -lt $netns_tests ]; do
		skip "migration over TCP" "ip netns not permitted: ${why:-setup failed}"
		i=$((i + 1))
	done
else
	ctl write "$r2" 0 0x1000 0x2222 --width 8
	check "receive r2 listens in namespace b" receiver "$r2"
	ctl write "$r0" 0 0x1000 "$(value_at 0x1000)" --width 8
	run_in_a migrate "$r0" tcp:10.213.7.2:4444 --json
	receiver_status
	check "migrate r0 tcp:10.213.7.2:4444 --json from namespace a" \
		json_check "$tmp/out" \
		'd["ok"] and d["bytes"] > 2 * 1048576 and d["iterations"] >= 1 and d["source_state"] == "STOP"'
	check "the receiver exits 0 and reports both phases" receiver_said 0 \
		"^$r2: received [0-9.]+ MiB \([0-9]+ bytes: [0-9.]+ MiB pre-copy, [0-9.]+ MiB stop-copy\) from 10\.213\.7\.1 port [0-9]+ in [0-9.]+ ms; the device is RUNNING$" \
		out
	check "r2 holds r0's pattern" has_pattern "$r2"
	ctl migrate "$r2" "$r0" >/dev/null 2>&1

	receiver "$small"
	run_in_a migrate "$r0" tcp:10.213.7.2:4444 --json
	receiver_status
	check "migrate to a receiver whose device refuses: status 1" \
		json_check "$tmp/out" \
		'd["ok"] is False and d["errno"] == 22 and "the destination failed" in d["failed"] and d["source_state"] == "RUNNING"'
	check "the receiver exits 1 saying why" receiver_said 1 \
		'small\.sock refused the stream in bytes 0-[0-9]+ .*Invalid argument$' err
	check "r0 RUNNING after the remote refusal" state_is "$r0" RUNNING
	check "small RUNNING after the remote refusal" state_is "$small" RUNNING

	run_in_a migrate "$r0" tcp:10.213.7.2:4444
	check "migrate to a port nobody listens on fails with status 1" sh -c \
		"[ $rc -eq 1 ] && grep -q 'tcp:10.213.7.2:4444: connecting: Connection refused' '$tmp/err'"
	check "... and r0 is RUNNING" state_is "$r0" RUNNING

	# Not a uvfioctl migrate: the receiver refuses it, r2 untouched.
	receiver "$r2"
	ip netns exec "$ns_a" python3 -c '
import socket
s = socket.create_connection(("10.213.7.2", 4444))
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
s.recv(1)
' 2>"$tmp/err.py"
	receiver_status
	check "a stranger is refused: the receiver exits 1" receiver_said 1 \
		'sent a bad frame header|is not a uvfioctl migrate' err

	# A sender that stops halfway: the receiver resets its device.
	receiver "$r2"
	ip netns exec "$ns_a" python3 -c '
import socket, struct
s = socket.create_connection(("10.213.7.2", 4444))
hello = b"uvfioctl-migrate/1"
s.sendall(struct.pack("<BBHI", 1, 0, 0, len(hello)) + hello)
assert s.recv(1) == b"\0"
s.sendall(struct.pack("<BBHI", 2, 0, 0, 100) + b"x" * 50)
s.close()
' 2>"$tmp/err.py"
	receiver_status
	check "a connection cut mid-frame: the receiver resets its device" \
		receiver_said 1 'r2\.sock was reset \(RUNNING\)$' err
	diag "$tmp/err.py" python3
	check "r2 is RUNNING after the cut" state_is "$r2" RUNNING
fi

# ---- stop the daemon ----

uvfiod_stop
if [ "$status" -eq 0 ]; then
	ok "uvfiod exits 0 on SIGTERM"
else
	not_ok "uvfiod exits 0 on SIGTERM"
	diag "$tmp/uvfiod.log" uvfiod
fi

done_testing
