#!/bin/sh
# Fault injection: uvfiod killed with SIGKILL at random points of a
# migration between two daemons (uvfioctl migrate from A's ram to B's),
# the source's daemon in some rounds, the destination's in the others.
# After each kill the surviving side must be consistent (the source holds
# its state, outside any session; the destination holds its old state,
# nothing, or the whole source: never part of a stream), and the killed
# daemon, started again, serves.  States are compared as saved streams:
# identical memory saves identically.  Output is TAP.
# Usage: test-kill.sh UVFIOD UVFIOCTL
set -u
uvfiod=$1
ctl=$2

. "$(dirname "$0")/lib.sh"
apid=
bpid=
SIZE=64M
ROUNDS=${KILL_ROUNDS:-8}

cleanup() {
	kill_wait "$apid"
	kill_wait "$bpid"
	rm -rf "$tmp"
}

mkdir "$sock/a" "$sock/b"

# start_daemon DIR NAMES ARGS...: uvfiod ARGS in DIR, its pid in $started;
# true once it serves a socket for each of NAMES.
start_daemon() {
	dir=$1 names=$2
	shift 2
	"$uvfiod" --socket-dir "$dir" "$@" 2>>"$tmp/uvfiod-$(basename "$dir").log" &
	started=$!
	i=0
	# Bounded: 400 polls, only to stop waiting for a broken daemon.
	for name in $names; do
		while [ $i -lt 400 ] && ! [ -S "$dir/$name.sock" ]; do
			kill -0 "$started" 2>/dev/null || return 1
			sleep 0.05
			i=$((i + 1))
		done
		[ -S "$dir/$name.sock" ] || return 1
	done
}
# start_a / start_b: (re)start daemon A (src) or B (dst, zero), fresh.
start_a() {
	rm -f "$sock/a/src.sock"
	start_daemon "$sock/a" src --device ram,id=src,size=$SIZE && apid=$started
}
start_b() {
	rm -f "$sock/b/dst.sock" "$sock/b/zero.sock"
	start_daemon "$sock/b" "dst zero" --device ram,id=dst,size=$SIZE \
		--device ram,id=zero,size=$SIZE && bpid=$started
}

# mark DEV BASE: a word at every 4 MiB, BASE + its index (same offsets on
# both sides, so marking the destination again undoes a migration).
mark() {
	for k in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		"$ctl" write "$1" 0 $((k * 4194304 + 8)) $(($2 + k)) \
			--width 4 >/dev/null 2>>"$tmp/err" || return 1
	done
}

src=$sock/a/src.sock
dst=$sock/b/dst.sock

if start_a && start_b && mark "$src" 0x5000 && mark "$dst" 0xd000 &&
	"$ctl" save "$src" "$tmp/src.ref" >/dev/null 2>>"$tmp/err" &&
	"$ctl" save "$dst" "$tmp/dst.ref" >/dev/null 2>>"$tmp/err" &&
	"$ctl" save "$sock/b/zero.sock" "$tmp/zero.ref" >/dev/null 2>>"$tmp/err"; then
	ok "two daemons serve, and the reference states are saved"
else
	not_ok "two daemons serve, and the reference states are saved"
	diag "$tmp/err" uvfioctl
	echo "Bail out! no reference states"
	exit 1
fi

# same_as FILE REF...: FILE equals one of the REFs; which one in $which.
same_as() {
	f=$1
	shift
	for r; do
		if cmp -s "$f" "$r"; then
			which=$(basename "$r" .ref)
			return 0
		fi
	done
	which=none
	return 1
}

round=0
while [ $round -lt $((2 * ROUNDS)) ]; do
	round=$((round + 1))
	side=src
	[ $((round % 2)) -eq 0 ] && side=dst
	# A random moment: 0 to 300 ms after migrate starts (64 MiB takes
	# about 100 ms), so kills land before, during and after it.
	delay=$(awk -v s="$round$$" 'BEGIN { srand(s); printf "%.3f", rand() * 0.3 }')
	"$ctl" migrate "$src" "$dst" >"$tmp/mig.out" 2>&1 &
	mpid=$!
	sleep "$delay"
	if [ $side = src ]; then
		kill -KILL "$apid"
		wait "$apid" 2>/dev/null
		apid=
	else
		kill -KILL "$bpid"
		wait "$bpid" 2>/dev/null
		bpid=
	fi
	wait "$mpid"
	mrc=$?
	desc="kill $side's uvfiod ${delay}s in (migrate exit $mrc)"
	if [ $side = src ]; then
		# The destination survives: its state is whole or untouched.
		"$ctl" save "$dst" "$tmp/now" >/dev/null 2>>"$tmp/err" &&
			same_as "$tmp/now" "$tmp/dst.ref" "$tmp/zero.ref" \
				"$tmp/src.ref"
		good=$?
		start_a && mark "$src" 0x5000 || good=1
	else
		# The source survives, holding its state.
		"$ctl" save "$src" "$tmp/now" >/dev/null 2>>"$tmp/err" &&
			same_as "$tmp/now" "$tmp/src.ref"
		good=$?
		start_b || good=1
		# A migration that ran through left the source stopped: the
		# next round starts from a running one.
		kill_wait "$apid"
		start_a && mark "$src" 0x5000 || good=1
	fi
	mark "$dst" 0xd000 || good=1
	if [ $good -eq 0 ]; then
		ok "$desc: the other side holds $which"
	else
		not_ok "$desc: the other side holds $which"
		diag "$tmp/mig.out" migrate
		diag "$tmp/err" uvfioctl
	fi
	: >"$tmp/err"
done

# After all that, one migration runs through.
if "$ctl" migrate "$src" "$dst" >"$tmp/mig.out" 2>&1 &&
	"$ctl" save "$dst" "$tmp/now" >/dev/null 2>>"$tmp/err" &&
	cmp -s "$tmp/now" "$tmp/src.ref"; then
	ok "a migration between the restarted daemons runs through"
else
	not_ok "a migration between the restarted daemons runs through"
	diag "$tmp/mig.out" migrate
	diag "$tmp/err" uvfioctl
fi

done_testing
