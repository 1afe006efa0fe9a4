#!/bin/sh
# Installs the build into a scratch root and builds examples/estimate.c the
# way a user would: #include <llmcarbon.h> and `pkg-config llmcarbon`.
# Usage: check_install.sh BUILD_DIR SOURCE_ROOT
set -eu
build=$1 src=$2
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
meson install -C "$build" --destdir "$stage" --quiet >/dev/null
pcdir=$(dirname "$(find "$stage" -name llmcarbon.pc | head -n1)")
[ -f "$pcdir/llmcarbon.pc" ] || { echo "FAIL: no llmcarbon.pc installed"; exit 1; }
export PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$stage"
flags=$(pkg-config --cflags --libs llmcarbon)
echo "pkg-config --cflags --libs llmcarbon: $flags"
cc -std=c11 -Wall -Wextra -Werror "$src/examples/estimate.c" $flags -o "$stage/estimate"
libdir=$(dirname "$pcdir")
out=$(LD_LIBRARY_PATH="$libdir" "$stage/estimate")
echo "$out"
# 700 W x 1024 x 720 h = 516,096 kWh
echo "$out" | grep -qx "energy_kwh 516096.0" || { echo "FAIL: wrong energy"; exit 1; }
for f in "$libdir/libllmcarbon.so.0" "$libdir/libllmcarbon.a" "$stage"/usr/local/include/llmcarbon.h; do
    [ -e "$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
[ "$(objdump -p "$libdir/libllmcarbon.so.0" | awk '/SONAME/ {print $2}')" = libllmcarbon.so.0 ] ||
    { echo "FAIL: SONAME is not libllmcarbon.so.0"; exit 1; }
echo "install: header, pkg-config, shared (SONAME libllmcarbon.so.0) and static library OK"
