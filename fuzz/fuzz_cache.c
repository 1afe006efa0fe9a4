/*
 * fuzz_cache.c - libFuzzer target: the grid sources' disk cache
 * (llmc__live_cache_load), read from a file in LLMC_CACHE_DIR for the
 * source "electricitymaps:FUZZ", then asked as a live source asks it
 * (llmc__live_cached, llmc__live_stale) for a fixed set of times. Nothing
 * is fetched.
 *
 * The file's name is the one the library itself chose when it saved an
 * empty cache at start-up, so a change in the naming rule keeps the target
 * reading the cache. Checks: every point kept is inside the years 1970 to
 * 9999, lasts > 0 s, has a finite value >= 0 and only known flags, and the
 * points are sorted by start; an answer for t is a point that holds t; a
 * fetch time far ahead of the clock never makes a recent point fresh;
 * a stale answer gives the cached value.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_env.h"
#include "live.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define WHAT "electricitymaps:FUZZ"
#define TTL_S 900

static char cache_file[1000];

static struct llmc__live *new_live(void)
{
    struct llmc__live *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    snprintf(l->what, sizeof l->what, WHAT);
    snprintf(l->zone, sizeof l->zone, "FUZZ");
    snprintf(l->source, sizeof l->source, "electricitymaps");
    snprintf(l->provenance, sizeof l->provenance, "fuzz");
    l->basis = LLMC_BASIS_LIFECYCLE;
    return l;
}

static void check_answer(struct llmc__live *l, int64_t t, int64_t now)
{
    const struct llmc__point *p = llmc__live_cached(l, t, now, TTL_S);
    if (p && !(p->start_unix_s <= t && t - p->start_unix_s < p->duration_s))
        __builtin_trap(); /* an answer for another time */
#ifdef LLMC__CACHE_SKEW_S
    /* a recent point (ending less than 2 h before now) is fresh only
     * through a fetch that is not far in the future */
    if (p && !(p->flags & LLMC__POINT_FORECAST) &&
        p->start_unix_s + p->duration_s + 7200 >= now &&
        l->fetched_recent_unix_s > now + LLMC__CACHE_SKEW_S)
        __builtin_trap();
#endif
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct llmc__live *l;
    const struct llmc__series *s;
    size_t n;

    if (fuzz_write(cache_file, data, size) != 0)
        fuzz_die("cannot write the scratch cache");
    if (!(l = new_live()))
        return 0;
    llmc__live_cache_load(l);
    s = &l->cache;
    for (size_t i = 0; i < s->count; i++) {
        const struct llmc__point *p = &s->points[i];
        if (p->start_unix_s < LLMC__TIME_MIN_UNIX_S ||
            p->start_unix_s > LLMC__TIME_MAX_UNIX_S || p->duration_s <= 0 ||
            !isfinite(p->gco2e_per_kwh) || p->gco2e_per_kwh < 0 ||
            (p->flags & ~(unsigned)(LLMC__POINT_ESTIMATED |
                                    LLMC__POINT_FORECAST)) ||
            (i && p[-1].start_unix_s >= p->start_unix_s))
            __builtin_trap();
    }
    /* each of the first points, asked at its start as history, as recent
     * data and from far before; and a few fixed times */
    n = s->count < 16 ? s->count : 16;
    for (size_t i = 0; i < n; i++) {
        const struct llmc__point p = s->points[i];
        llmc_intensity ci;
        check_answer(l, p.start_unix_s, p.start_unix_s);
        check_answer(l, p.start_unix_s, p.start_unix_s + 60);
        check_answer(l, p.start_unix_s, p.start_unix_s + 400000000);
        check_answer(l, p.start_unix_s, p.start_unix_s - 3600);
        check_answer(l, p.start_unix_s + p.duration_s - 1,
                     l->fetched_recent_unix_s);
        llmc_intensity_init(&ci, sizeof ci);
        if (llmc__live_stale(l, p.start_unix_s, LLMC_ENET, &ci) != LLMC_OK ||
            ci.gco2e_per_kwh != p.gco2e_per_kwh || !ci.provenance ||
            !*ci.provenance)
            __builtin_trap();
    }
    check_answer(l, 0, 0);
    check_answer(l, 1700000000, 1700000000);
    check_answer(l, INT64_MAX, INT64_MAX);
    check_answer(l, INT64_MIN, INT64_MIN);
    llmc__live_free(l);
    return 0;
}

/* Once, before the first input (see fuzz_env.h). */
void fuzz_target_init(void)
{
    struct llmc__live *l;
    char dir[600];
    DIR *d;
    struct dirent *e;

    /* the library names its own cache file */
    if (!(l = new_live()))
        fuzz_die("out of memory");
    llmc__live_cache_save(l);
    llmc__live_free(l);
    fuzz_path(dir, sizeof dir, "cache");
    if (!(d = opendir(dir)))
        fuzz_die("no cache directory");
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            snprintf(cache_file, sizeof cache_file, "%s/%s", dir, e->d_name);
    closedir(d);
    if (!*cache_file)
        fuzz_die("llmc__live_cache_save wrote no file in LLMC_CACHE_DIR");
}
