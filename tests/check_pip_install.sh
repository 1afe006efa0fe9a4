#!/bin/sh
# The Python binding installs with pip, with no download and no compiler:
# pip install --no-build-isolation into a fresh venv, then import it and
# get a real answer.
# Usage: check_pip_install.sh SOURCE_ROOT LIBRARY
set -eu
src=$1 lib=$2
py=/usr/bin/python3
if ! $py -c "import venv, wheel, setuptools" 2>/dev/null; then
    echo "SKIP: Debian's python3-venv, python3-wheel and python3-setuptools are not installed"
    exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
$py -m venv --system-site-packages "$work/venv"
# a copy: pip's build writes build/ and *.egg-info next to the sources
cp -r "$src/bindings/python" "$work/src"
"$work/venv/bin/pip" install --quiet --no-build-isolation --no-index "$work/src"
out=$(cd "$work" && LLMCARBON_LIBRARY="$lib" "$work/venv/bin/python" -c \
    "import llmcarbon; print(llmcarbon.estimate(energy='1000kWh', intensity='0.5kg/kWh').total_kgco2e)")
[ "$out" = "500.0" ] || { echo "FAIL: the installed package answered '$out'"; exit 1; }
echo "pip: installed into a venv with --no-build-isolation, and it answers 500.0"
