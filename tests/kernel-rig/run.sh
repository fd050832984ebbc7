#!/bin/sh
# The kernel rig: boot Debian's kernels under QEMU (TCG, an emulated
# Intel IOMMU, QEMU's edu) with uvfio's tools and test programs in the
# initramfs, run guest-tests.sh inside against the kernel's vfio-pci and
# mtty, and report every result the guest printed as TAP.
#
# Usage: run.sh BUILD_DIR [FLAVOUR...]    FLAVOUR: 6.1, 6.12 (default both)
# Environment: UVFIO_RIG_CACHE (setup.sh's cache), RIG_TIMEOUT (seconds
# per boot, default 600), RIG_KEEP=DIR (keep logs and initramfs there).
# Exit status 0 iff every result passed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run.sh BUILD_DIR [FLAVOUR...]}" && pwd)
shift
[ $# -gt 0 ] || set -- 6.1 6.12
timeout_s=${RIG_TIMEOUT:-600}
work=${RIG_KEEP:-$(mktemp -d "${TMPDIR:-/tmp}/uvfio-rig-run.XXXXXX")}
mkdir -p "$work"
[ -n "${RIG_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT

bins="$build/tools/uvfiod $build/tools/uvfioctl
$build/tests/devices/edu-suite $build/tests/devices/mtty-suite
$build/tests/kernel-rig/kernel-client-test"

n=0
failed=0
result() { # result ok|not-ok TEXT
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=1
	fi
}

# The initramfs's common part: busybox, uvfio's programs and the shared
# libraries they load, at the paths the dynamic loader looks in.
base=$work/base
rm -rf "$base"
mkdir -p "$base/bin" "$base/rig/bin" "$base/lib/modules" "$base/dev"
cp /bin/busybox "$base/bin/busybox" || { echo "Bail out! busybox-static is not installed"; exit 1; }
ln -s busybox "$base/bin/sh"
cp "$here/init" "$base/init"
cp "$here/guest-tests.sh" "$base/rig/"
for b in $bins; do
	[ -x "$b" ] || { echo "Bail out! $b is not built"; exit 1; }
done
for b in $bins; do
	cp "$b" "$base/rig/bin/"
	ldd "$b" | awk '/=> \// { print $3 } /^[ \t]*\// { print $1 }'
done | sort -u | while read -r lib; do
	mkdir -p "$base$(dirname "$lib")"
	cp -L "$lib" "$base$lib"
done

for flavour in "$@"; do
	tag="[$flavour]"
	if ! cache=$("$here/setup.sh" "$flavour" 2>"$work/setup-$flavour.log"); then
		result not-ok "$tag fetch and build the kernel rig: $(tail -3 "$work/setup-$flavour.log" | tr '\n' ' ')"
		continue
	fi
	root=$work/root-$flavour
	rm -rf "$root"
	cp -a "$base" "$root"
	cp "$cache"/modules/*.ko "$root/lib/modules/"
	(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) \
		>"$work/initrd-$flavour.gz"

	console=$work/console-$flavour.log
	results=$work/results-$flavour.log
	: >"$results"
	start=$(date +%s)
	timeout -k 5 "$timeout_s" qemu-system-x86_64 \
		-machine q35,kernel-irqchip=split -accel tcg -cpu max \
		-m 512M -smp 2 -display none -no-reboot -nodefaults \
		-monitor none -serial "file:$console" -serial "file:$results" \
		-device intel-iommu,intremap=on,caching-mode=on -device edu \
		-device pcie-root-port,id=rp1,chassis=1 \
		-device nvme-subsys,id=nvs -device nvme,bus=rp1,serial=uvfio,subsys=nvs,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2 \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$cache/vmlinuz" -initrd "$work/initrd-$flavour.gz" \
		-append "console=ttyS0 intel_iommu=on panic=-1 quiet loglevel=3" \
		</dev/null >"$work/qemu-$flavour.log" 2>&1
	qemu_rc=$?
	echo "# $tag kernel $(cat "$cache/kver"), boot and tests took $(($(date +%s) - start)) s, QEMU exit $qemu_rc"

	# Renumber the guest's results under one plan; a program's own plan
	# and numbers are dropped, its bail-out becomes a failure.
	section=
	while IFS= read -r line; do
		line=$(printf '%s' "$line" | tr -d '\r')
		case $line in
		"### "*) section=${line#\#\#\# } ;;
		"ok "* | "not ok "*)
			st=ok
			case $line in "not ok"*) st=not-ok ;; esac
			text=$(printf '%s' "$line" | sed -E 's/^(not )?ok( [0-9]+)?( -)? ?//')
			case $text in *"# TODO"* | *"# todo"*) st=todo ;; esac
			if [ $st = todo ]; then
				n=$((n + 1))
				echo "not ok $n - $tag $section: $text"
			else
				result $st "$tag $section: $text"
			fi
			;;
		"Bail out!"*) result not-ok "$tag $section: ${line#Bail out! }" ;;
		"RIG-DONE "* | "1.."*) ;;
		*) echo "# $line" ;;
		esac
	done <"$results"
	if ! grep -q '^RIG-DONE 0' "$results" || [ $qemu_rc -ne 1 ]; then
		result not-ok "$tag the guest finished its tests (QEMU exit $qemu_rc, $(grep -c . "$results") result lines)"
		echo "# last lines of the console:"
		tail -20 "$console" | sed 's/^/#   /'
	else
		result ok "$tag the guest finished its tests"
	fi
done
echo "1..$n"
exit $failed
