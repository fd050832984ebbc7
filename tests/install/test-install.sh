#!/bin/sh
# Install into a scratch DESTDIR, then build and run a program against the
# installed copy using nothing but pkg-config.
# Usage: test-install.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
src=$2
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

meson install -C "$build" --destdir "$dest" --no-rebuild --quiet
pc=$(find "$dest" -name uvfio.pc)
[ -n "$pc" ] || { echo "uvfio.pc was not installed"; exit 1; }
for f in libuvfio.so libuvfio.a uvfio/uvfio.h uvfio/device.h uvfio/vfio-abi.h; do
	find "$dest" -path "*/$f" | grep -q . || { echo "$f was not installed"; exit 1; }
done

export PKG_CONFIG_PATH="$(dirname "$pc")"
export PKG_CONFIG_SYSROOT_DIR="$dest"
flags=$(pkg-config --cflags --libs uvfio)
echo "pkg-config: $flags"
${CC:-cc} -std=gnu11 -Wall -Wextra -Werror -o "$dest/consumer" \
	"$src/tests/install/consumer.c" $flags
# -L carries the sysroot prefix, so it names the installed copy.
libdir=$(pkg-config --libs-only-L uvfio | sed 's/^ *-L//; s/ *$//')
LD_LIBRARY_PATH="$libdir" "$dest/consumer"
