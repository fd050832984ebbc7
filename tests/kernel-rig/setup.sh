#!/bin/sh
# Fetch a Debian kernel for the rig and build the kernel's mtty sample
# against it, into a cache outside the clone.  Nothing is installed into
# the host's kernel or /boot.
#
# Usage: setup.sh FLAVOUR        FLAVOUR: 6.1 or 6.12
# Prints the cache directory of the flavour, which then holds:
#   kver        the kernel release (6.1.0-NN-amd64, ...)
#   vmlinuz     the kernel
#   modules/    the VFIO modules (decompressed) and mtty.ko
#   mtty.c      the sample's source, as the kernel packaged it
#
# The ABI-numbered package names change with every Debian kernel update
# and old ones leave the mirror, so they are resolved from the meta
# packages each time.  A cache holding the resolved release is reused.
set -eu

flavour=${1:?usage: setup.sh 6.1|6.12}
case $flavour in
6.1) meta=linux-image-amd64 iommu= ;;
# 6.12 also has virtio-iommu, as a module.
6.12) meta=linux-image-6.12-amd64 iommu='./lib/modules/*/kernel/drivers/iommu/*' ;;
*) echo "setup.sh: unknown flavour '$flavour' (6.1 or 6.12)" >&2; exit 2 ;;
esac
cache=${UVFIO_RIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/uvfio-rig}/$flavour
log() { echo "setup.sh[$flavour]: $*" >&2; }

resolve() {
	img=$(apt-cache depends "$meta" 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
}
resolve
if [ -z "$img" ]; then
	log "apt knows no $meta: updating the package lists"
	apt-get update -qq >&2
	resolve
fi
[ -n "$img" ] || { log "cannot resolve $meta"; exit 1; }
kver=${img#linux-image-}

if [ -f "$cache/kver" ] && [ "$(cat "$cache/kver")" = "$kver" ] &&
	[ -f "$cache/modules/mtty.ko" ]; then
	echo "$cache"
	exit 0
fi

start=$(date +%s)
hdr=linux-headers-$kver
common=linux-headers-${kver%-amd64}-common
kbuild=$(apt-cache depends "$hdr" | awk '/Depends: linux-kbuild-/ { print $2; exit }')
src=linux-source-$flavour
work=$(mktemp -d "${TMPDIR:-/tmp}/uvfio-rig.XXXXXX")
trap 'rm -rf "$work"' EXIT

log "fetching $img $hdr $common $kbuild $src"
# apt-get download writes into the current directory; as root it warns
# that _apt cannot read it, which is harmless.
(cd "$work" && apt-get download -q "$img" "$hdr" "$common" "$kbuild" "$src" \
	>/dev/null 2>"$work/download.log") || {
	log "download failed, updating the package lists and retrying"
	apt-get update -qq >&2
	(cd "$work" && apt-get download -q "$img" "$hdr" "$common" "$kbuild" "$src" >&2)
}

mkdir -p "$work/img" "$work/hdr" "$work/src"
img_deb=$(ls "$work/${img}"_*.deb)
# The patterns are tar's: no expansion by the shell.
set -f
dpkg-deb --fsys-tarfile "$img_deb" | tar -x -C "$work/img" \
	--wildcards './boot/vmlinuz-*' './lib/modules/*/kernel/drivers/vfio/*' \
	'./lib/modules/*/kernel/virt/lib/*' $iommu
set +f
for p in "$hdr" "$common" "$kbuild"; do
	dpkg-deb -x "$work/${p}"_*.deb "$work/hdr"
done
# The arch Makefile includes the common one by absolute path.
sed -i "s|^include /usr/src/|include $work/hdr/usr/src/|" \
	"$work/hdr/usr/src/$hdr/Makefile"
dpkg-deb --fsys-tarfile "$work/${src}"_*.deb |
	tar -xO "./usr/src/$src.tar.xz" |
	tar -xJ -C "$work/src" "$src/samples/vfio-mdev/mtty.c"
rm -f "$work"/*.deb

mkdir -p "$work/mtty"
cp "$work/src/$src/samples/vfio-mdev/mtty.c" "$work/mtty/"
echo 'obj-m := mtty.o' >"$work/mtty/Kbuild"
# 6.12's headers carry a vmlinux, which would make kbuild run pahole for
# BTF: not needed to load the module.
make -s -C "$work/hdr/usr/src/$hdr" M="$work/mtty" \
	CONFIG_DEBUG_INFO_BTF_MODULES= modules >&2

rm -rf "$cache"
mkdir -p "$cache/modules"
cp "$work"/img/boot/vmlinuz-* "$cache/vmlinuz"
find "$work/img/lib/modules" \( -name '*.ko' -o -name '*.ko.xz' \) |
	while read -r m; do
		case $m in
		*.xz) xz -dc "$m" >"$cache/modules/$(basename "$m" .xz)" ;;
		*) cp "$m" "$cache/modules/" ;;
		esac
	done
cp "$work/mtty/mtty.ko" "$work/mtty/mtty.c" "$cache/modules/"
mv "$cache/modules/mtty.c" "$cache/mtty.c"
echo "$kver" >"$cache/kver"
log "ready in $(($(date +%s) - start)) s: $cache"
echo "$cache"
