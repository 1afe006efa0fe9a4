#!/bin/sh
# The Python binding installs the way the README's Python section says:
# scripts/build-wheel builds a wheel that carries libllmcarbon.so.0, and
# `pip install --no-index` puts it into a fresh plain venv (no system site
# packages, no network). The installed package then answers from a clean
# environment: no LLMCARBON_LIBRARY, no LD_LIBRARY_PATH, no PYTHONPATH, run
# from a directory away from the sources, with the library inside the venv.
# Usage: check_pip_install.sh SOURCE_ROOT BUILD_DIR
set -eu
src=$1 build=$2
py=/usr/bin/python3
if ! $py -c "import venv, wheel, setuptools, ensurepip" 2>/dev/null; then
    echo "SKIP: Debian's python3-venv, python3-wheel and python3-setuptools are not installed"
    exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
clean() { env -i PATH=/usr/bin:/bin HOME="$work" LC_ALL=C.UTF-8 "$@"; }

# the same steps as the README, the wheel going to a scratch directory
PYTHON=$py "$src/scripts/build-wheel" "$build" "$work/dist" >"$work/build.log" 2>&1 ||
    { cat "$work/build.log"; echo "FAIL: scripts/build-wheel"; exit 1; }
cat "$work/build.log"
set -- "$work"/dist/llmcarbon-*.whl
if [ $# -ne 1 ] || [ ! -f "$1" ]; then
    echo "FAIL: no single llmcarbon-*.whl in $work/dist"; exit 1
fi
whl=$1
unzip_list=$($py -m zipfile -l "$whl")
echo "$unzip_list" | grep -q "llmcarbon/libllmcarbon.so.0 " ||
    { echo "$unzip_list"; echo "FAIL: the wheel does not carry llmcarbon/libllmcarbon.so.0"; exit 1; }

clean $py -m venv "$work/venv"
[ "$(clean "$work/venv/bin/python" -c 'import sys; print(sys.base_prefix != sys.prefix)')" = True ] ||
    { echo "FAIL: $work/venv is not a venv"; exit 1; }
grep -q "include-system-site-packages = false" "$work/venv/pyvenv.cfg" ||
    { echo "FAIL: the venv sees the system's site packages"; exit 1; }
(cd "$work" && clean "$work/venv/bin/pip" install --quiet --no-index "$whl") ||
    { echo "FAIL: pip install --no-index $(basename "$whl") into a plain venv"; exit 1; }

out=$(cd "$work" && clean "$work/venv/bin/python" -c '
import llmcarbon, llmcarbon._lib as L
print(llmcarbon.estimate(energy="1000kWh", intensity="0.5kg/kWh").total_kgco2e)
print(L.lib._llmc_where)') ||
    { echo "FAIL: the installed package does not import from a clean environment"; exit 1; }
echo "$out"
answer=$(echo "$out" | sed -n 1p) where=$(echo "$out" | sed -n 2p)
[ "$answer" = "500.0" ] || { echo "FAIL: the installed package answered '$answer', expected 500.0"; exit 1; }
case $where in
    "$work/venv/"*"/site-packages/llmcarbon/libllmcarbon.so.0 (in the package)") ;;
    *) echo "FAIL: the package loaded $where, not the library it carries"; exit 1 ;;
esac
# the library the package carries comes before LLMCARBON_LIBRARY
where=$(cd "$work" && clean LLMCARBON_LIBRARY="$build/libllmcarbon.so.0" "$work/venv/bin/python" -c '
import llmcarbon._lib as L; print(L.lib._llmc_where)')
case $where in
    *"/site-packages/llmcarbon/libllmcarbon.so.0 (in the package)") ;;
    *) echo "FAIL: with LLMCARBON_LIBRARY set the package loaded $where, not the library it carries"; exit 1 ;;
esac
echo "pip: the wheel from scripts/build-wheel installs into a plain venv with --no-index, and answers 500.0 with the library it carries"
