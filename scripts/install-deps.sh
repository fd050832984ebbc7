#!/bin/sh
# Install the Debian packages uvfio needs, if any is missing.
# Usage: install-deps.sh [check|bench|...]   (the job decides the list)
set -eu

packages="meson ninja-build gcc pkg-config python3 libcmocka-dev libjson-c-dev libisal-dev uuid-dev clang libclang-rt-14-dev pciutils make valgrind qemu-system-x86 busybox-static cpio xz-utils"
# make bench plots its curves; make fuzz-coverage reads them with llvm-cov.
[ "${1:-}" = bench ] && packages="$packages gnuplot-nox"
[ "${1:-}" = coverage ] && packages="$packages llvm"

missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "uvfio needs these Debian packages:$missing" >&2
	echo "Run as root, or install them: sudo apt-get install$missing" >&2
	exit 1
fi
echo "Installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
