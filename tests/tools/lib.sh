# Shared by the tool tests, sourced after setting $uvfiod and $ctl (the
# programs under test): a scratch directory $tmp with uvfiod's socket
# directory $sock, removed on exit; TAP output; uvfioctl runs; uvfiod
# started and stopped.  A script may redefine cleanup() to undo more.
# Under tests/memcheck.sh, $UVFIO_WRAP runs uvfiod and uvfioctl (those of
# uvfiod_start and run) under valgrind's memcheck.
# shellcheck shell=sh
# shellcheck disable=SC2034,SC2154 # variables of the sourcing script

UVFIO_WRAP=${UVFIO_WRAP:-}
tmp=$(mktemp -d)
sock=$tmp/sock
mkdir "$sock"
pid=
n=0
failed=0

# kill_wait PID: end a background process of ours, if PID is not empty.
kill_wait() {
	if [ -n "$1" ]; then
		kill "$1" 2>/dev/null
		wait "$1" 2>/dev/null
	fi
}

cleanup() {
	kill_wait "$pid"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- TAP ----

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
}

skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

# Show a file as TAP diagnostics.
diag() {
	[ -s "$1" ] && sed "s|^|# $2: |" "$1"
	return 0
}

# The plan, last; the script's status: whether every test passed.
done_testing() {
	echo "1..$n"
	[ "$failed" -eq 0 ]
}

# ---- uvfioctl ----

# ctl ARGS...: uvfioctl ARGS (under memcheck with tests/memcheck.sh).
ctl() {
	# shellcheck disable=SC2086 # a command line
	$UVFIO_WRAP "$ctl" "$@"
}

# run ARGS...: uvfioctl ARGS, stdout in $tmp/out, stderr in $tmp/err,
# exit status in $rc.
run() {
	ctl "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# expect DESC STATUS STREAM REGEX ARGS...: run uvfioctl ARGS; pass if it
# exits with STATUS and STREAM (out or err) matches REGEX (grep -E).
expect() {
	desc=$1 want=$2 stream=$3 re=$4
	shift 4
	run "$@"
	if [ "$rc" -eq "$want" ] && grep -Eq -- "$re" "$tmp/$stream"; then
		ok "$desc"
	else
		not_ok "$desc"
		echo "# uvfioctl $*"
		echo "# exit $rc, wanted $want with std$stream matching /$re/"
		diag "$tmp/out" stdout
		diag "$tmp/err" stderr
	fi
}

# expect_usage DESC REGEX ARGS...: a usage error (status 2) saying REGEX,
# with the hint to --help.
expect_usage() {
	desc=$1 re=$2
	shift 2
	expect "$desc" 2 err "$re" "$@"
	if [ "$rc" -eq 2 ] && ! grep -q "^Try 'uvfioctl" "$tmp/err"; then
		echo "# (no --help hint on stderr)"
		not_ok "$desc: hint to --help"
	fi
}

# json_check FILE PYTHON-EXPRESSION: the file parses as JSON, and the
# expression over it (as d) is true.
json_check() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else "wrong contents: %r" % d)
' "$1" "$2" 2>"$tmp/err.py" || { diag "$tmp/err.py" python3; return 1; }
}

# ---- uvfiod ----

# sockets_up NAME...: $sock/NAME.sock is a socket for every NAME.
sockets_up() {
	for name; do
		[ -S "$sock/$name.sock" ] || return 1
	done
}

# uvfiod_start NAMES ARGS...: uvfiod ARGS serving in $sock, its pid in
# $pid and its stderr in $tmp/uvfiod.log; true once it serves a socket
# for each of the (space-separated) NAMES.
uvfiod_start() {
	names=$1
	shift
	# shellcheck disable=SC2086 # a command line
	$UVFIO_WRAP "$uvfiod" --socket-dir "$sock" "$@" 2>"$tmp/uvfiod.log" &
	pid=$!
	# Bounded: 400 polls.  Nothing is timed; the bound only limits how
	# long a broken daemon is waited for.
	i=0
	# shellcheck disable=SC2086 # NAMES is a list
	while [ $i -lt 400 ] && ! sockets_up $names; do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	sockets_up $names
}

# uvfiod_refuses DESC SAYS ARGS...: pass if uvfiod ARGS exits with status
# 1 saying SAYS (a fixed string).  Bounded: a daemon that took ARGS would
# serve on.
uvfiod_refuses() {
	desc=$1 says=$2
	shift 2
	timeout 5 "$uvfiod" "$@" >"$tmp/out" 2>&1
	rc=$?
	if [ $rc -eq 1 ] && grep -aqF -- "$says" "$tmp/out"; then
		ok "$desc"
	else
		not_ok "$desc"
		echo "# exit $rc"
		diag "$tmp/out" output
	fi
}

# uvfiod_serves DESC NAMES ARGS...: uvfiod_start NAMES ARGS as test DESC;
# bail out if it fails.
uvfiod_serves() {
	desc=$1
	shift
	if uvfiod_start "$@"; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "$tmp/uvfiod.log" uvfiod
		echo "Bail out! uvfiod did not create its sockets"
		exit 1
	fi
}

# uvfiod_exits_clean: uvfiod_stop, then pass if uvfiod exited 0 (under
# memcheck: without an invalid access or a leak either).
uvfiod_exits_clean() {
	uvfiod_stop
	if [ "$status" -eq 0 ]; then
		ok "uvfiod exits 0 on SIGTERM"
	else
		not_ok "uvfiod exits 0 on SIGTERM"
		echo "# exit $status"
		diag "$tmp/uvfiod.log" uvfiod
	fi
}

# uvfiod_stop: pass if uvfiod is still running, then SIGTERM it and wait;
# its exit status in $status.
uvfiod_stop() {
	if kill -0 "$pid" 2>/dev/null; then
		ok "uvfiod survived every request"
	else
		not_ok "uvfiod survived every request"
		diag "$tmp/uvfiod.log" uvfiod
	fi
	kill -TERM "$pid"
	wait "$pid"
	status=$?
	pid=
}
