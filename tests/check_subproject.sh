#!/bin/sh
# This tree as a meson subproject: a consumer with subprojects/llmcarbon
# (a link to the tree) gets the library from dependency('llmcarbon') with
# no installed copy at all.
# Usage: check_subproject.sh SOURCE_ROOT
set -eu
src=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/proj/subprojects"
cp "$src/examples/meson/grid_now.c" "$work/proj/"
cat > "$work/proj/meson.build" <<'MESON'
project('uses_llmcarbon', 'c', default_options : ['c_std=c11'])
llmcarbon = dependency('llmcarbon', fallback : ['llmcarbon', 'llmcarbon_dep'],
  default_options : ['tests=false'])
executable('grid_now', 'grid_now.c', dependencies : llmcarbon)
MESON
ln -s "$src" "$work/proj/subprojects/llmcarbon"
# an installed copy is never used: the subproject must provide it
meson setup "$work/build" "$work/proj" --force-fallback-for=llmcarbon >/dev/null ||
    { echo "FAIL: meson setup of a consumer with llmcarbon as a subproject"; exit 1; }
meson compile -C "$work/build" >/dev/null || { echo "FAIL: build"; exit 1; }
out=$("$work/build/grid_now" DE)
echo "$out"
echo "$out" | grep -q "^static:DEU 380.950" || { echo "FAIL: wrong answer"; exit 1; }
echo "subproject: dependency('llmcarbon') from the source tree OK"
