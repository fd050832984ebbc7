#!/bin/sh
# The wrapper of `meson test --setup memcheck` (make memcheck): a program
# runs under valgrind's memcheck, which fails it (status 99) on an invalid
# access, a use of uninitialised memory, or a leak; a script runs as it
# is, with $UVFIO_WRAP set so that the programs it starts (uvfiod, a
# device suite, uvfioctl) run under memcheck the same way.
set -eu
vg="valgrind --quiet --error-exitcode=99 --exit-on-first-error=no \
--leak-check=full --show-leak-kinds=definite,indirect \
--errors-for-leak-kinds=definite,indirect --child-silent-after-fork=yes"
if [ "$(head -c 4 "$1" | tail -c 3)" = ELF ]; then
	# shellcheck disable=SC2086 # $vg is a command line
	exec $vg "$@"
fi
UVFIO_WRAP=$vg exec "$@"
