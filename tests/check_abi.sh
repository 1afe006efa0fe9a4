#!/bin/sh
# Compares the built library's ABI with the committed baseline (abi/).
# Added functions pass (with a note to refresh the baseline); any change to
# an existing function or type fails, whether abidiff calls it incompatible
# or not: a parameter added to a C function breaks its callers all the same.
# Usage: check_abi.sh LIBRARY BASELINE HEADERS_DIR
set -u
lib=$1 baseline=$2 headers=$3
if ! command -v abidiff >/dev/null 2>&1; then
    echo "SKIP: abidiff not installed (apt-get install abigail-tools)"
    exit 77
fi
# abidiff's status is a bit field: 1 error, 2 usage, 4 ABI change,
# 8 incompatible ABI change.
abidiff --no-show-locs --no-added-syms --headers-dir2 "$headers" "$baseline" "$lib"
rc=$?
if [ $((rc & 3)) -ne 0 ]; then
    echo "FAIL: abidiff could not compare (status $rc)"
    exit 1
fi
if [ $((rc & 12)) -ne 0 ]; then
    echo "FAIL: the ABI of existing functions or types changed against $baseline;"
    echo "      if that is on purpose, run scripts/update-abi in a commit that says why"
    exit 1
fi
if ! abidiff --no-show-locs --headers-dir2 "$headers" "$baseline" "$lib" >/dev/null; then
    echo "NOTE: functions were added; refresh the baseline with scripts/update-abi"
fi
echo "abi: compatible with $(basename "$baseline")"
exit 0
