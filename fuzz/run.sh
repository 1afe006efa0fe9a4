#!/bin/sh
# fuzz/run.sh [SECONDS] - builds the library once with clang (ASan + UBSan,
# instrumented for libFuzzer) in a scratch meson directory, links one
# libFuzzer target per parser against it, and runs each target for SECONDS
# (default 10) on a copy of its seed corpus. Exits non-zero when something
# does not build or a target finds a crash, a leak, undefined behaviour or
# a broken invariant; the scratch directory with the crashing input is then
# kept and named.
#
#   fuzz/run.sh                       every target, 10 s each (CI)
#   fuzz/run.sh 600                   a long campaign: 10 minutes each
#   FUZZ_TARGETS="units report" fuzz/run.sh 60    only some targets
#   FUZZ_JOBS=13 fuzz/run.sh 600      that many targets at the same time
#                                     (default: the number of CPUs)
#   FUZZ_MERGE=1 fuzz/run.sh 600      afterwards, add the inputs that reach
#                                     new coverage to fuzz/corpus/<target>/
#   FUZZ_CONTINUE=1 fuzz/run.sh 600   after a crash, keep the input and fuzz
#                                     on for the rest of the time
#   FUZZ_BUILD_DIR=DIR fuzz/run.sh    build (and keep) the library in DIR,
#                                     so that the next run skips the build
#   FUZZ_KEEP=1 fuzz/run.sh           keep the scratch directory
#   CC=clang-15 fuzz/run.sh           another clang
set -u

secs=${1:-10}
case $secs in
'' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
cc=${CC:-clang}
all="em ukci watttime user units config gridspec meterspec profile checkpoint replay cache report"
targets=${FUZZ_TARGETS:-$all}
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
case $jobs in
'' | *[!0-9]* | 0) echo "fuzz: FUZZ_JOBS must be a number >= 1" >&2; exit 2 ;;
esac
for t in $targets; do
    if [ ! -f "$root/fuzz/fuzz_$t.c" ]; then
        echo "fuzz: no target '$t'; the targets are: $all" >&2
        exit 2
    fi
done
if ! command -v "$cc" >/dev/null 2>&1; then
    echo "fuzz: $cc not found; install clang (Debian: apt-get install clang)" >&2
    exit 1
fi
if ! command -v meson >/dev/null 2>&1; then
    echo "fuzz: meson not found; install it (pip install meson ninja)" >&2
    exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/llmc-fuzz.XXXXXX") || exit 1
# the targets' scratch files (rewritten for every input): in memory when
# /dev/shm is there, and removed whatever happens (see fuzz_env.h)
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    FUZZ_SCRATCH=$(mktemp -d /dev/shm/llmc-fuzz.XXXXXX) || exit 1
else
    FUZZ_SCRATCH=$work/scratch
    mkdir -p "$FUZZ_SCRATCH"
fi
export FUZZ_SCRATCH
trap 'rm -rf "$FUZZ_SCRATCH"' EXIT
trap 'exit 130' INT TERM
build=${FUZZ_BUILD_DIR:-$work/build}
san="-fsanitize=address,undefined -fno-sanitize-recover=all"

cd "$root" || exit 1

# The library as a whole, so that a new source file in lib/ needs no change
# here: static, instrumented for coverage but without libFuzzer's main.
if [ ! -f "$build/build.ninja" ]; then
    if ! CC=$cc meson setup "$build" "$root" -Ddefault_library=static \
        -Dtests=false -Dbuildtype=debugoptimized -Db_lundef=false \
        -Db_sanitize=address,undefined \
        -Dc_args="-fsanitize=fuzzer-no-link -fno-sanitize-recover=all" \
        >"$work/meson-setup.log" 2>&1; then
        echo "fuzz: meson setup failed; log $work/meson-setup.log" >&2
        tail -n 20 "$work/meson-setup.log" >&2
        exit 1
    fi
fi
if ! meson compile -C "$build" -j "$jobs" llmcarbon:static_library \
    >"$work/meson-compile.log" 2>&1; then
    echo "fuzz: the library does not build; log $work/meson-compile.log" >&2
    grep -E 'error|Error' "$work/meson-compile.log" | head -n 20 >&2
    exit 1
fi
lib=$build/libllmcarbon.a
# libcurl is not linked: the library loads it (-ldl) at a live request
libs="$(pkg-config --libs jansson 2>/dev/null || echo -ljansson)"
libs="$libs -lpthread -ldl -lm"

# A fake libnvidia-ml.so.1 (the tests' own) lets the meter-spec target
# reach NVML's device lists without a driver; no target reads hardware.
if "$cc" -shared -fPIC -O1 -o "$work/libnvidia-ml.so.1" tests/fake_nvml.c \
    >"$work/fake_nvml.log" 2>&1; then
    FUZZ_FAKE_NVML=$work/libnvidia-ml.so.1
    export FUZZ_FAKE_NVML
fi

failed=0
for t in $targets; do
    extra=
    # the report target runs the CLI's own entry point
    [ "$t" = report ] && extra="-I tools -Dmain=llmc_cli_main tools/*.c"
    # shellcheck disable=SC2086
    if ! "$cc" -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra \
        -fsanitize=fuzzer $san \
        -I include -I lib/core -I lib/grid -I lib/meter -I lib/track \
        "fuzz/fuzz_$t.c" $extra "$lib" $libs -o "$work/fuzz_$t" \
        >"$work/$t.build.log" 2>&1; then
        echo "fuzz_$t: does not build (is libFuzzer there? clang >= 6);" \
            "log $work/$t.build.log"
        head -n 20 "$work/$t.build.log"
        failed=1
    fi
done
if [ $failed -ne 0 ]; then
    echo "fuzz: scratch directory kept: $work"
    exit 1
fi

# Runs one target; writes its one-line result to $work/$t.result. With
# FUZZ_CONTINUE, a crash is kept and the target fuzzes on for the rest of
# the time (without the input if it came from the corpus).
run_one() {
    t=$1
    log=$work/$t.log
    dict=
    case $t in
    em | ukci | watttime | user | profile | checkpoint | cache | report)
        dict=-dict=fuzz/corpus/json.dict ;;
    *) [ -f "fuzz/corpus/$t.dict" ] && dict=-dict=fuzz/corpus/$t.dict ;;
    esac
    mkdir -p "$work/corpus_$t" "$work/tmp_$t"
    cp "fuzz/corpus/$t"/* "$work/corpus_$t/" 2>/dev/null
    began=$(date +%s)
    left=$secs
    execs=0
    crashes=0
    cov="cov: ?"
    : >"$log"
    while :; do
        # TMPDIR keeps anything else a target writes in the work directory
        # shellcheck disable=SC2086
        TMPDIR=$work/tmp_$t "$work/fuzz_$t" -max_total_time="$left" \
            -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
            -close_fd_mask=3 $dict -artifact_prefix="$work/crash_$t-" \
            "$work/corpus_$t" >"$log.part" 2>&1
        rc=$?
        cat "$log.part" >>"$log"
        n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log.part")
        execs=$((execs + ${n:-0}))
        c=$(grep -o 'cov: [0-9]*' "$log.part" | tail -n 1)
        [ -n "$c" ] && cov=$c
        [ $rc -eq 0 ] && break
        crashes=$((crashes + 1))
        [ -z "${FUZZ_CONTINUE:-}" ] && break
        for a in "$work/crash_$t-"* "$work/oom_$t-"* "$work/timeout_$t-"*; do
            [ -f "$a" ] || continue
            sum=$(sha1sum <"$a" | cut -c1-40)
            for f in "$work/corpus_$t"/*; do
                [ -f "$f" ] && [ "$(sha1sum <"$f" | cut -c1-40)" = "$sum" ] &&
                    rm -f "$f"
            done
        done
        left=$((secs - ($(date +%s) - began)))
        [ $left -le 0 ] && break
    done
    size=$(find "$work/corpus_$t" -type f | wc -l)
    if [ $crashes -ne 0 ]; then
        {
            echo "fuzz_$t: FAILED ($crashes crash(es); exit $rc) after" \
                "$execs runs, $cov, corpus $size inputs; log $log"
            grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$log" |
                head -n 20
        } >"$work/$t.result"
    else
        echo "fuzz_$t: ok, $execs runs in ${secs} s, $cov," \
            "corpus $size inputs" >"$work/$t.result"
    fi
    if [ -n "${FUZZ_MERGE:-}" ]; then
        # only what reaches code the committed seeds do not: new edges
        # (without hit counts, which would keep ten times the inputs)
        TMPDIR=$work/tmp_$t "$work/fuzz_$t" -merge=1 -use_counters=0 \
            -close_fd_mask=3 \
            "fuzz/corpus/$t" "$work/corpus_$t" >"$work/$t.merge.log" 2>&1 ||
            echo "fuzz_$t: merge failed; log $work/$t.merge.log" \
                >>"$work/$t.result"
    fi
    [ $crashes -eq 0 ]
}

# FUZZ_JOBS lanes, each running its share of the targets one after another.
lane=0
while [ $lane -lt "$jobs" ]; do
    (
        i=0
        for t in $targets; do
            [ $((i % jobs)) -eq $lane ] && run_one "$t"
            i=$((i + 1))
        done
    ) &
    lane=$((lane + 1))
done
wait

for t in $targets; do
    if [ -f "$work/$t.result" ]; then
        cat "$work/$t.result"
        grep -q FAILED "$work/$t.result" && failed=1
    else
        echo "fuzz_$t: no result"
        failed=1
    fi
done

if [ $failed -ne 0 ] || [ -n "${FUZZ_KEEP:-}" ]; then
    echo "fuzz: scratch directory kept: $work"
else
    rm -rf "$work"
fi
exit $failed
