#!/bin/sh
# Compares the built library's ABI with the committed baseline (abi/).
# An incompatible change fails; a compatible addition passes with a note to
# refresh the baseline on purpose (scripts/update-abi).
# Usage: check_abi.sh LIBRARY BASELINE HEADERS_DIR
set -u
lib=$1 baseline=$2 headers=$3
if ! command -v abidiff >/dev/null 2>&1; then
    echo "SKIP: abidiff not installed (apt-get install abigail-tools)"
    exit 77
fi
abidiff --no-show-locs --headers-dir2 "$headers" "$baseline" "$lib"
rc=$?
# abidiff's status is a bit field: 1 error, 2 usage, 4 ABI change,
# 8 incompatible ABI change.
if [ $((rc & 3)) -ne 0 ]; then
    echo "FAIL: abidiff could not compare (status $rc)"
    exit 1
fi
if [ $((rc & 8)) -ne 0 ]; then
    echo "FAIL: incompatible ABI change against $baseline"
    exit 1
fi
if [ $((rc & 4)) -ne 0 ]; then
    echo "NOTE: compatible ABI change; refresh the baseline on purpose with scripts/update-abi"
fi
echo "abi: compatible with $(basename "$baseline")"
exit 0
