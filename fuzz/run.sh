#!/bin/sh
# fuzz/run.sh [SECONDS] - builds the four libFuzzer targets with clang
# (ASan + UBSan + libFuzzer) against the parsers' sources and runs each for
# SECONDS (default 10) on a copy of its seed corpus. Exits non-zero when a
# target does not build or finds a crash, a leak or undefined behaviour; the
# scratch directory with the crashing input is then kept and named.
#
#   CC=clang-15 fuzz/run.sh 60        another clang
#   FUZZ_TARGETS="user em" fuzz/run.sh  only some targets
#   FUZZ_KEEP=1 fuzz/run.sh           keep the scratch directory
set -u

secs=${1:-10}
case $secs in
'' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
cc=${CC:-clang}
targets=${FUZZ_TARGETS:-em ukci watttime user}
work=$(mktemp -d "${TMPDIR:-/tmp}/llmc-fuzz.XXXXXX") || exit 1
failed=0

if ! command -v "$cc" >/dev/null 2>&1; then
    echo "fuzz: $cc not found; install clang (Debian: apt-get install clang)" >&2
    exit 1
fi

cd "$root" || exit 1
for t in $targets; do
    exe=$work/fuzz_$t
    log=$work/$t.log
    if ! "$cc" -g -O1 -std=c11 -D_GNU_SOURCE \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
        -I include -I lib/core -I lib/grid \
        "fuzz/fuzz_$t.c" "lib/grid/parse_$t.c" lib/grid/parse_common.c lib/grid/series.c \
        lib/core/status.c lib/core/log.c lib/core/util.c \
        -ljansson -lm -o "$exe"; then
        echo "fuzz_$t: does not build (is libFuzzer there? clang >= 6)" >&2
        failed=1
        continue
    fi
    mkdir -p "$work/corpus_$t"
    cp "fuzz/corpus/$t"/* "$work/corpus_$t/"
    "$exe" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
        -dict=fuzz/corpus/json.dict -artifact_prefix="$work/crash_$t-" \
        "$work/corpus_$t" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    if [ $rc -ne 0 ]; then
        echo "fuzz_$t: FAILED (exit $rc) after ${execs:-?} runs; log $log"
        grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$log" | head -n 20
        failed=1
    else
        echo "fuzz_$t: ok, ${execs:-?} runs in ${secs} s, $cov," \
            "corpus $(ls "$work/corpus_$t" | wc -l) inputs"
    fi
done

if [ $failed -ne 0 ] || [ -n "${FUZZ_KEEP:-}" ]; then
    echo "fuzz: scratch directory kept: $work"
else
    rm -rf "$work"
fi
exit $failed
