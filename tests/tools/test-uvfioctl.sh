#!/bin/sh
# uvfioctl against a real uvfiod: start the daemon with two ram devices,
# drive them from the command line, stop it.  Output is TAP.
# Usage: test-uvfioctl.sh UVFIOD UVFIOCTL
set -u
uvfiod=$1
ctl=$2

. "$(dirname "$0")/lib.sh"

r0=$sock/r0.sock
r1=$sock/r1.sock

# ---- start the daemon ----

uvfiod_serves "uvfiod serves r0 and r1" "r0 r1" \
	--device ram,id=r0,size=1M --device ram,id=r1,size=64K

# ---- info ----

expect "info lists region 0 with its size and MMAP" 0 out \
	'^Region 0: size 0x100000 \(1 MiB\), offset 0x0, flags 0x7 \(READ\|WRITE\|MMAP\)$' \
	info "$r0"
expect "info decodes the device flags and counts" 0 out \
	'^  Flags: 0x1 \(RESET\)$' info "$r0"
expect "info shows the negotiated protocol" 0 out \
	'^Protocol: vfio-user [0-9]+\.[0-9]+$' info "$r0"
expect "info takes unix:PATH (r1 is 64 KiB)" 0 out \
	'^Region 0: size 0x10000 \(64 KiB\)' info "unix:$r1"

run info --json "$r0"
if [ "$rc" -eq 0 ] && json_check "$tmp/out" \
	'd["regions"][0]["size"] == 1048576 and "MMAP" in d["regions"][0]["flag_names"] and d["num_regions"] == 1 and d["flag_names"] == ["RESET"]'; then
	ok "info --json parses and has region 0's size and flags"
else
	not_ok "info --json parses and has region 0's size and flags"
	diag "$tmp/out" stdout
	diag "$tmp/err" stderr
fi
run info "unix:$r1" --json
if [ "$rc" -eq 0 ] && json_check "$tmp/out" \
	'd["regions"][0]["size"] == 65536 and d["protocol"]["transport"] == "vfio-user" and d["irqs"] == [] and isinstance(d["features"], list)'; then
	ok "info --json after the argument, on r1"
else
	not_ok "info --json after the argument, on r1"
	diag "$tmp/out" stdout
	diag "$tmp/err" stderr
fi

# ---- write, read ----

expect "write --width 1 reads back" 0 out '^0x5a$' \
	write "$r0" 0 0x10 0x5a --width 1 --read-back
expect "write --width 2 reads back" 0 out '^0xbeef$' \
	write "$r0" 0 0x20 0xbeef --width 2 --read-back
expect "write --width 4 reads back" 0 out '^0xdeadbeef$' \
	write "$r0" 0 0x30 0xdeadbeef --width 4 --read-back
expect "write --width 8 reads back" 0 out '^0x0123456789abcdef$' \
	write "$r0" 0 0x40 0x0123456789abcdef --width 8 --read-back
expect "write in decimal, default width 4, reads back" 0 out '^0x00001234$' \
	write "$r0" 0 4096 4660 -r
run write "$r0" 0 0x50 1
if [ "$rc" -eq 0 ] && [ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]; then
	ok "write prints nothing without --read-back"
else
	not_ok "write prints nothing without --read-back"
	echo "# exit $rc"
	diag "$tmp/out" stdout
	diag "$tmp/err" stderr
fi
# The device keeps its state when a client leaves (the vfio-user spec's
# rule), so a new connection reads what the last one wrote.
expect "read on a new connection sees the last write" 0 out \
	'^0x0123456789abcdef$' read "$r0" 0 0x40 --width 8
expect "read by region name, last dword of the region" 0 out \
	'^0x00000000$' read "$r0" BAR0 0xffffc
expect "read --width 2 prints 4 digits" 0 out '^0x0000$' \
	read "$r1" bar0 0xfffe -w 2

expect "read beyond the region fails with status 1" 1 err \
	'^uvfioctl: read: offset 0x100000 \+ 4 is beyond region 0 \(size 0x100000\)$' \
	read "$r0" 0 0x100000
expect "read straddling the end fails with status 1" 1 err \
	'offset 0xffffc \+ 8 is beyond region 0' read "$r0" 0 0xffffc --width 8
expect "write beyond r1's 64 KiB fails with status 1" 1 err \
	'offset 0x10000 \+ 1 is beyond region 0 \(size 0x10000\)' \
	write "$r1" 0 0x10000 0 --width 1
expect "a region the device lacks fails with status 1" 1 err \
	'region 5 does not exist \(the device has 1 region\)' read "$r0" 5 0

# ---- usage errors ----

expect_usage "bad width is a usage error" "bad width '3'" \
	read "$r0" 0 0 --width 3
expect_usage "bad number is a usage error" "bad offset '12x'" \
	read "$r0" 0 12x
expect_usage "empty number is a usage error" "bad offset ''" \
	read "$r0" 0 ""
expect_usage "a bare 0x is a usage error" "bad value '0x'" \
	write "$r0" 0 0 0x
expect_usage "a number beyond 64 bits is a usage error" "does not fit 64 bits" \
	read "$r0" 0 0x10000000000000000
expect_usage "a value wider than --width is a usage error" \
	"value 0x100 does not fit 1 byte" write "$r0" 0 0 0x100 --width 1
expect_usage "a bad region name is a usage error" "bad region 'bar6'" \
	read "$r0" bar6 0
expect_usage "missing arguments are a usage error" "missing OFFSET" \
	read "$r0" 0
expect_usage "write without VALUE is a usage error" "missing VALUE" \
	write "$r0" 0 0
expect_usage "info without DEV is a usage error" "missing DEV" info
expect_usage "an extra argument is a usage error" "unexpected argument 'x'" \
	info "$r0" x
expect_usage "an unknown command is a usage error" "unknown command 'frob'" \
	frob "$r0"
expect_usage "no command is a usage error" "no command given"
expect_usage "an unknown option is a usage error" "unknown or misused option '--bogus'" \
	info --bogus "$r0"
expect_usage "--width without a value is a usage error" \
	"option '--width' needs a value" read "$r0" 0 0 --width
expect "--timeout before the command" 0 out '^Region 0: size 0x100000' \
	--timeout 2000 info "$r0"
expect_usage "--timeout 0 is a usage error" "bad timeout '0'" \
	--timeout 0 info "$r0"
expect_usage "--read-back is for write only" "unknown or misused option '--read-back'" \
	read "$r0" 0 0 --read-back

# ---- device errors ----

expect "a socket that does not exist fails with status 1" 1 err \
	"^uvfioctl: info: $sock/nope.sock: No such file or directory$" \
	info "$sock/nope.sock"
expect "lspci on ram (no config space) fails with status 1" 1 err \
	'^uvfioctl: lspci: .*r0\.sock is not a PCI device: no PCI config space$' \
	lspci "$r0"
# A PCI device's dump through the real lspci: tests/tools/test-lspci.sh.

# ---- help ----

expect "--help describes the tool" 0 out '^Usage: uvfioctl \[OPTIONS\] COMMAND' \
	--help
for cmd in info read write lspci; do
	expect "$cmd --help" 0 out "^Usage: uvfioctl $cmd " "$cmd" --help
done
expect "help write" 0 out '^  -r, --read-back' help write
expect "--version" 0 out '^uvfioctl [0-9]' --version

# ---- stop the daemon ----

uvfiod_stop
if [ "$status" -eq 0 ] && [ ! -e "$r0" ] && [ ! -e "$r1" ]; then
	ok "uvfiod exits 0 on SIGTERM and removes its sockets"
else
	not_ok "uvfiod exits 0 on SIGTERM and removes its sockets"
	echo "# exit $status; left: $(ls "$sock")"
	diag "$tmp/uvfiod.log" uvfiod
fi

# ---- uvfiod refuses a bad device spec, saying why ----

for bad in "mtty,id=t,ports=3|ports \"3\" must be 1 or 2" \
	"mtty,id=t,stream=qemu|stream \"qemu\" must be uvfio or kernel" \
	"mtty,id=t,speed=9600|unknown option \"speed\""; do
	spec=${bad%%|*}
	uvfiod_refuses "uvfiod refuses $spec" "${bad#*|}" \
		--socket-dir "$sock" --device "$spec"
done

# ---- uvfiod --config ----

# holds DESC CMD...: pass if CMD succeeds; else show $got.
holds() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc" && echo "# got: $got"; fi
}

# root may give the sockets to anyone; others to themselves.
if [ "$(id -u)" -eq 0 ]; then owner=4242:4343; else owner=$(id -u):$(id -g); fi
cat >"$tmp/good.conf" <<CONF
# two devices, blanks and comments around them
threads 3
socket-mode 0660
socket-owner $owner

	device   ram,id=c0,size=64K   # trailing comment
device ram,id=c1,size=64K
CONF
uvfiod_serves "uvfiod serves the devices of a config file" "c0 c1" \
	--config "$tmp/good.conf"
expect "a device from the config file answers" 0 out \
	'^Region 0: size 0x10000 \(64 KiB\)' info "$sock/c1.sock"
got=$(stat -c '%a %u:%g' "$sock/c0.sock")
holds "its sockets have the mode and owner it sets" [ "$got" = "660 $owner" ]
kill_wait "$pid"
pid=
uvfiod_serves "uvfiod serves with the default socket mode" "d0" \
	--device ram,id=d0,size=64K
got=$(stat -c '%a %u' "$sock/d0.sock")
holds "the default is 0600, ours" [ "$got" = "600 $(id -u)" ]
kill_wait "$pid"
pid=
uvfiod_serves "uvfiod takes --socket-mode and --socket-owner" "o0" \
	--device ram,id=o0,size=64K --socket-mode 640 --socket-owner ":${owner#*:}"
got=$(stat -c '%a %u:%g' "$sock/o0.sock")
holds "they apply" [ "$got" = "640 $(id -u):${owner#*:}" ]
kill_wait "$pid"
pid=
for bad in "--socket-mode|0800|--socket-mode must be octal, 1 to 0777" \
	"--socket-mode|1000|--socket-mode must be octal, 1 to 0777" \
	"--socket-mode|0|--socket-mode must be octal, 1 to 0777" \
	"--socket-owner|no-such-user-here|is no USER[:GROUP]" \
	"--socket-owner|root:|is no USER[:GROUP]" \
	"--socket-owner|:|is no USER[:GROUP]"; do
	opt=${bad%%|*} rest=${bad#*|}
	uvfiod_refuses "uvfiod refuses $opt ${rest%%|*}" "${rest#*|}" \
		--socket-dir "$sock" --device ram,id=x,size=64K "$opt" "${rest%%|*}"
done

long=$(head -c 1100 /dev/zero | tr '\0' x)
for bad in "colour blue|bad.conf:2: unknown setting \"colour\"" \
	"threads|bad.conf:2: \"threads\" needs a value" \
	"threads 0|bad.conf:2: threads must be 1-64" \
	"threads 3x|bad.conf:2: threads must be 1-64" \
	"socket-mode rw|bad.conf:2: socket-mode must be octal, 1 to 0777" \
	"socket-owner a:b:c|bad.conf:2: socket-owner \"a:b:c\" is no USER[:GROUP]" \
	"device $long|bad.conf:2: line longer than 1024" \
	"device ram,id=n@NUL,size=64K|bad.conf:2: a NUL byte"; do
	line=${bad%%|*}
	printf '# fine\n%s\n' "$line" | sed 's/@NUL/\x00/' >"$tmp/bad.conf"
	uvfiod_refuses \
		"uvfiod refuses a config file with \"$(echo "$line" | cut -c1-24)\"" \
		"${bad#*|}" --socket-dir "$sock" --config "$tmp/bad.conf"
done
uvfiod_refuses "uvfiod names a config file it cannot open" \
	"none.conf: No such file or directory" --config "$tmp/none.conf"

done_testing
