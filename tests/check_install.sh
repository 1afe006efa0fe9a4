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

# every example, built out of tree against the installed library
cc -std=c11 -Wall -Wextra -Werror "$src/examples/profile_grid.c" $flags -o "$stage/profile_grid"
LD_LIBRARY_PATH="$libdir" "$stage/profile_grid" "h100 sxm" FR | grep -q "tdp_w 700" ||
    { echo "FAIL: profile_grid"; exit 1; }
cc -std=c11 -O2 -Wall -Wextra -Werror "-DDEFAULT_CORPUS=\"$src/examples/data/corpus.txt\"" \
    "$src/examples/train_char.c" $flags -lm -o "$stage/train_char"
LD_LIBRARY_PATH="$libdir" "$stage/train_char" --steps 50 \
    --config "meters=const:100W;grid=const:400g/kWh;interval=100ms" --expect-steps 50 >/dev/null ||
    { echo "FAIL: train_char built out of tree"; exit 1; }
if command -v c++ >/dev/null 2>&1; then
    c++ -std=c++17 -O2 -Wall -Wextra -Werror "-DDEFAULT_CORPUS=\"$src/examples/data/corpus.txt\"" \
        "$src/examples/train_char.cpp" $flags -o "$stage/train_char_cpp"
    LD_LIBRARY_PATH="$libdir" "$stage/train_char_cpp" --steps 500 \
        --config "meters=const:100W;grid=const:400g/kWh;interval=100ms" --expect-steps 500 >/dev/null ||
        { echo "FAIL: train_char_cpp built out of tree"; exit 1; }
fi
echo "examples: estimate, profile_grid, train_char and train_char_cpp built with pkg-config and ran"

# a meson project: dependency('llmcarbon') through pkg-config
meson setup "$stage/meson-build" "$src/examples/meson" >/dev/null ||
    { echo "FAIL: meson could not configure the example against pkg-config"; exit 1; }
meson compile -C "$stage/meson-build" >/dev/null || { echo "FAIL: meson build"; exit 1; }
LD_LIBRARY_PATH="$libdir" "$stage/meson-build/grid_now" FR | grep -q "^static:FRA 56.039" ||
    { echo "FAIL: the meson consumer"; exit 1; }
echo "meson: dependency('llmcarbon') OK"

# a CMake project: find_package(llmcarbon CONFIG REQUIRED)
if command -v cmake >/dev/null 2>&1 && command -v c++ >/dev/null 2>&1; then
    prefix=$(dirname "$(dirname "$(find "$stage" -name llmcarbon.h | head -n1)")")
    cmake -S "$src/examples/cmake" -B "$stage/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null ||
        { echo "FAIL: cmake could not configure against $prefix"; exit 1; }
    cmake --build "$stage/cmake-build" >/dev/null || { echo "FAIL: cmake build"; exit 1; }
    LD_LIBRARY_PATH="$libdir" "$stage/cmake-build/plan" | grep -q "^total_kgco2e " ||
        { echo "FAIL: the CMake consumer"; exit 1; }
    echo "cmake: find_package(llmcarbon) and llmcarbon::llmcarbon OK"
else
    echo "cmake: not installed, CMake consumer not built"
fi
echo "install: header, pkg-config, shared (SONAME libllmcarbon.so.0) and static library OK"
