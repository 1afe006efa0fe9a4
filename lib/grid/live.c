/*
 * live.c - what the live grid sources share: options, the HTTP call and
 * the meaning of its statuses, backoff after 429 and 5xx, and the cache
 * rule that decides whether a stored point may answer.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/internal.h"
#include "../core/json.h"
#include "live.h"

#define MAX_BACKOFF_S 300

/* the provenance of a stale answer: the caller's thread's, until its next
 * question (a shared grid answers several threads) */
static _Thread_local char stale_note[700];

void llmc__live_env(char *buf, size_t size, const char *name)
{
    const char *v = getenv(name);
    if (v && *v)
        snprintf(buf, size, "%s", v);
}

int llmc__live_set_common(struct llmc__live *l, const char *key,
                          const char *value)
{
    if (strcmp(key, "base_url") == 0) {
        if (strncmp(value, "http://", 7) != 0 &&
            strncmp(value, "https://", 8) != 0)
            return llmc__fail(LLMC_EINVAL,
                              "%s: base_url '%s' is not an http:// or "
                              "https:// URL",
                              l->what, value);
        snprintf(l->base_url, sizeof l->base_url, "%s", value);
        /* no trailing slash: paths start with one */
        while (*l->base_url && l->base_url[strlen(l->base_url) - 1] == '/')
            l->base_url[strlen(l->base_url) - 1] = '\0';
        return LLMC_OK;
    }
    if (strcmp(key, "ca_bundle") == 0) {
        snprintf(l->ca_bundle, sizeof l->ca_bundle, "%s", value);
        return LLMC_OK;
    }
    if (strcmp(key, "timeout") == 0) {
        double s;
        int rc = llmc_quantity_parse(&s, LLMC_DIM_DURATION, value, "s");
        if (rc != LLMC_OK)
            return rc;
        if (s < 0.1 || s > 10.0)
            return llmc__fail(LLMC_ERANGE,
                              "%s: timeout '%s' must be from 100 ms to 10 s "
                              "(a request never holds a sample longer)",
                              l->what, value);
        l->timeout_s = s;
        return LLMC_OK;
    }
    return LLMC_ENOTFOUND;
}

/* Keeps the message of the failure just reported (llmc_last_error(), less
 * the source's name that starts it), so that a request refused while
 * backing off still says what went wrong. */
static void remember_failure(struct llmc__live *l)
{
    const char *m = llmc_last_error();
    size_t n = strlen(l->what);
    if (strncmp(m, l->what, n) == 0 && m[n] == ':' && m[n + 1] == ' ')
        m += n + 2;
    snprintf(l->last_failure, sizeof l->last_failure, "%s", m);
}

/* The first printable characters of a body, for messages: redacted
 * before the cut, so an echoed credential is hidden even where it is cut. */
static void excerpt(char *buf, size_t size, const char *body)
{
    llmc__redact_excerpt(buf, size, body, 80);
}

/* A private xorshift32 generator (Marsaglia, "Xorshift RNGs", J. Stat.
 * Softw. 8(14), 2003), seeded once from the time and the process id: the
 * jitter needs spread between processes, not quality. */
static uint32_t jitter_u32(void)
{
    static _Atomic uint32_t state;
    uint32_t x = atomic_load(&state), next;
    do {
        uint32_t s = x;
        if (!s) /* first use, or a seed that came to 0 */
            s = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16) ^ 0x9e3779b9u;
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        next = s;
    } while (!atomic_compare_exchange_weak(&state, &x, next));
    return next;
}

static void back_off(struct llmc__live *l, double retry_after_s)
{
    int64_t now = llmc__unix_s(), wait;
    l->failures++;
    wait = (int64_t)1 << (l->failures < 9 ? l->failures : 9);
    if (wait > MAX_BACKOFF_S)
        wait = MAX_BACKOFF_S;
    if (retry_after_s > 0 && retry_after_s < 3600)
        wait = (int64_t)retry_after_s;
    /* jitter: up to a quarter more, so that many ranks do not retry at
     * once; from a generator of the library's own, so that the host
     * program's rand() sequence is left as it was */
    wait += (int64_t)(jitter_u32() % (uint32_t)(wait / 4 + 1));
    l->backoff_until_unix_s = now + wait;
}

int llmc__live_get(struct llmc__live *l, const struct llmc__grid_ask *ask,
                   struct llmc__http_response *resp,
                   const char *path_and_query, const char *const *headers,
                   const char *basic_user, const char *basic_password)
{
    struct llmc__http_request req;
    char url[2048], safe[2048], body[96];
    int64_t now = llmc__unix_s();
    int rc;

    memset(resp, 0, sizeof *resp);
    if (ask->flags & LLMC__GRID_NO_NETWORK)
        return llmc__fail(LLMC_ENET,
                          "%s: not fetched from inside a training step (the "
                          "inline sampler never waits for the network)",
                          l->what);
    if (now < l->backoff_until_unix_s)
        return llmc__fail(LLMC_EHTTP,
                          "%s: backing off after %d failed request%s (the "
                          "last: %s); next try in %lld s",
                          l->what, l->failures, l->failures == 1 ? "" : "s",
                          l->last_failure,
                          (long long)(l->backoff_until_unix_s - now));
    memset(&req, 0, sizeof req);
    snprintf(url, sizeof url, "%s%s", l->base_url, path_and_query);
    req.url = url;
    req.what = l->what;
    for (int i = 0; headers && headers[i] && i < LLMC__HTTP_MAX_HEADERS; i++)
        req.headers[i] = headers[i];
    req.basic_user = basic_user;
    req.basic_password = basic_password;
    req.ca_bundle = *l->ca_bundle ? l->ca_bundle : NULL;
    req.timeout_s = l->timeout_s;
    req.cancel = ask->cancel;
    if ((rc = llmc__http_get(resp, &req)) != LLMC_OK) {
        if (rc == LLMC_ENET || rc == LLMC_ETIMEDOUT) {
            back_off(l, -1);
            remember_failure(l);
        }
        return rc;
    }
    if (resp->status >= 200 && resp->status < 300) {
        l->failures = 0;
        return LLMC_OK;
    }
    llmc__http_redact(safe, sizeof safe, url);
    excerpt(body, sizeof body, resp->body);
    if (resp->status == 401 || resp->status == 403)
        rc = llmc__fail(LLMC_EAUTH,
                        "%s: HTTP %ld from %s: the credentials were refused "
                        "(%s); check the token or password",
                        l->what, resp->status, safe, body);
    else if (resp->status == 404)
        rc = llmc__fail(LLMC_ENOTFOUND, "%s: HTTP 404 from %s (%s)", l->what,
                        safe, body);
    else if (resp->status == 429 || resp->status >= 500) {
        back_off(l, resp->retry_after_s);
        rc = llmc__fail(LLMC_EHTTP,
                        "%s: HTTP %ld from %s (%s); backing off %lld s",
                        l->what, resp->status, safe, body,
                        (long long)(l->backoff_until_unix_s - now));
        remember_failure(l);
    } else if (resp->status >= 300 && resp->status < 400)
        rc = llmc__fail(LLMC_EHTTP,
                        "%s: HTTP %ld from %s: redirects are not followed; "
                        "set base_url to the new address",
                        l->what, resp->status, safe);
    else
        rc = llmc__fail(LLMC_EHTTP, "%s: HTTP %ld from %s (%s)", l->what,
                        resp->status, safe, body);
    llmc__http_response_free(resp);
    return rc;
}

/* A fetch at fetched_unix_s still answers at now: within ttl_s after it,
 * and not from the future. A cache written by a node whose clock runs
 * ahead would otherwise stay fresh until our clock caught up; a few
 * minutes of skew between nodes are normal and allowed. */
static int fresh(int64_t fetched_unix_s, int64_t now, int64_t ttl_s)
{
    return fetched_unix_s <= now + LLMC__CACHE_SKEW_S &&
           now - fetched_unix_s < ttl_s;
}

int llmc__live_fresh(int64_t fetched_unix_s, int64_t now, int64_t ttl_s)
{
    return fresh(fetched_unix_s, now, ttl_s);
}

void llmc__live_future_fetched(struct llmc__live *l, int64_t now,
                               int64_t asked_until_unix_s)
{
    int64_t reached = now;
    for (size_t i = 0; i < l->cache.count; i++) {
        const struct llmc__point *p = &l->cache.points[i];
        if (p->start_unix_s + p->duration_s > reached)
            reached = p->start_unix_s + p->duration_s;
    }
    l->fetched_future_unix_s = now;
    l->future_asked_until_unix_s = asked_until_unix_s;
    l->future_reached_unix_s = reached;
}

int llmc__live_future_known_short(struct llmc__live *l, int64_t t,
                                  int64_t now, int64_t ttl_s)
{
    char until[32], again[32];
    if (!fresh(l->fetched_future_unix_s, now, ttl_s) ||
        t >= l->future_asked_until_unix_s || t < l->future_reached_unix_s)
        return LLMC_OK;
    llmc__format_iso8601(until, sizeof until, l->future_reached_unix_s);
    llmc__format_iso8601(again, sizeof again, l->fetched_future_unix_s + ttl_s);
    return llmc__fail(LLMC_ENODATA,
                      "%s: the forecast fetched %lld s ago reaches only to "
                      "%s; it is not asked again before %s (the provider "
                      "publishes no further yet)",
                      l->what, (long long)(now - l->fetched_future_unix_s),
                      until, again);
}

const struct llmc__point *llmc__live_cached(struct llmc__live *l, int64_t t,
                                            int64_t now, int64_t ttl_s)
{
    const struct llmc__point *p = llmc__series_at(&l->cache, t);
    if (!p)
        return NULL;
    /* settled history does not change (except rarely, late): keep it */
    if (p->start_unix_s + p->duration_s + 7200 < now &&
        !(p->flags & LLMC__POINT_FORECAST))
        return p;
    if (p->flags & LLMC__POINT_FORECAST)
        return fresh(l->fetched_future_unix_s, now, ttl_s) ||
                       fresh(l->fetched_recent_unix_s, now, ttl_s)
                   ? p
                   : NULL;
    return fresh(l->fetched_recent_unix_s, now, ttl_s) ? p : NULL;
}

int llmc__live_keep(struct llmc__live *l, struct llmc__series *got, int rc)
{
    if (rc == LLMC_OK)
        rc = llmc__series_merge(&l->cache, got);
    llmc__series_free(got);
    return rc;
}

void llmc__live_clear(struct llmc__live *l)
{
    llmc__series_free(&l->cache);
    /* the secret goes with the memory, not into a later allocation */
    explicit_bzero(l->secret, sizeof l->secret);
}

void llmc__live_free(struct llmc__live *l)
{
    if (!l)
        return;
    llmc__live_clear(l);
    free(l);
}

/* ---- the disk cache ---------------------------------------------------- */

#define CACHE_FORMAT "llmcarbon-grid-cache"

/* The cache directory: LLMC_CACHE_DIR, else $XDG_CACHE_HOME/llmcarbon,
 * else ~/.cache/llmcarbon. LLMC_OK, or LLMC_ENOTFOUND when there is none
 * (no HOME); *explicit_dir says whether LLMC_CACHE_DIR named it. */
static int cache_dir(char *buf, size_t size, int *explicit_dir)
{
    const char *dir = getenv("LLMC_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    *explicit_dir = dir && *dir;
    if (dir && *dir)
        snprintf(buf, size, "%s", dir);
    else if (xdg && *xdg)
        snprintf(buf, size, "%s/llmcarbon", xdg);
    else if (home && *home)
        snprintf(buf, size, "%s/.cache/llmcarbon", home);
    else
        return LLMC_ENOTFOUND;
    return LLMC_OK;
}

int llmc__live_cache_unusable(char *why, size_t size)
{
    char dir[700], parent[700], probe[800];
    struct stat st;
    int explicit_dir, fd;

    if (cache_dir(dir, sizeof dir, &explicit_dir) != LLMC_OK)
        return 0;
    if (stat(dir, &st) != 0) {
        char *slash;
        snprintf(parent, sizeof parent, "%s", dir);
        slash = strrchr(parent, '/');
        if (slash && slash != parent)
            *slash = '\0';
        /* made on the first save: one level, or two for ~/.cache */
        if (!explicit_dir || (stat(parent, &st) == 0 && S_ISDIR(st.st_mode) &&
                              access(parent, W_OK | X_OK) == 0))
            return 0;
        snprintf(why, size, "the grid cache directory '%s' cannot be made "
                 "('%s' is missing or not writable); fetched intensities are "
                 "not kept for later runs: create it or set LLMC_CACHE_DIR "
                 "to a writable directory",
                 dir, parent);
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(why, size, "the grid cache directory '%s' is not a "
                 "directory; fetched intensities are not kept for later "
                 "runs: remove it or set LLMC_CACHE_DIR to a directory",
                 dir);
        return 1;
    }
    snprintf(probe, sizeof probe, "%s/.probe.%ld", dir, (long)getpid());
    fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) {
        snprintf(why, size, "the grid cache directory '%s' is not writable "
                 "(%s); fetched intensities are not kept for later runs: "
                 "make it writable or set LLMC_CACHE_DIR to another "
                 "directory",
                 dir, strerror(errno));
        return 1;
    }
    if (fd >= 0) {
        close(fd);
        unlink(probe);
    }
    return 0;
}

/* The cache file of l, its directory made when make_dirs: LLMC_OK,
 * LLMC_ENOTFOUND when there is no cache directory, LLMC_EIO (errno set)
 * when it cannot be made. No message: a cache only saves requests. */
static int cache_path(const struct llmc__live *l, char *buf, size_t size,
                      int make_dirs)
{
    char base[700], name[200];
    size_t n = 0;
    int explicit_dir, rc;

    if ((rc = cache_dir(base, sizeof base, &explicit_dir)) != LLMC_OK)
        return rc;
    if (make_dirs && !explicit_dir) {
        char parent[700];
        snprintf(parent, sizeof parent, "%s", base);
        *strrchr(parent, '/') = '\0';
        mkdir(parent, 0700); /* ~/.cache */
    }
    if (make_dirs && mkdir(base, 0700) != 0 && errno != EEXIST)
        return LLMC_EIO;
    for (const char *p = l->what; *p && n + 1 < sizeof name; p++)
        name[n++] = isalnum((unsigned char)*p) || *p == '-' || *p == '_'
                        ? *p
                        : '_';
    name[n] = '\0';
    snprintf(buf, size, "%s/%s-%s.json", base, name, llmc_basis_name(l->basis));
    return LLMC_OK;
}

/* A fetch time of the cache file; 0 (never fetched, so not fresh) when
 * it is missing or outside the years 1970 to 9999. */
static int64_t cache_time(const json_t *root, const char *key)
{
    const json_t *v = json_object_get(root, key);
    int64_t t;
    if (!json_is_integer(v))
        return 0;
    t = json_integer_value(v);
    return t >= LLMC__TIME_MIN_UNIX_S && t <= LLMC__TIME_MAX_UNIX_S ? t : 0;
}

void llmc__live_cache_load(struct llmc__live *l)
{
    char path[1000];
    json_error_t err;
    json_t *root, *points, *item;
    size_t i;

    if (l->cache_loaded)
        return;
    l->cache_loaded = 1;
    if (cache_path(l, path, sizeof path, 0) != LLMC_OK)
        return;
    {
        /* read exactly, or not at all (out of memory) */
        FILE *f = fopen(path, "rb");
        root = f ? llmc__json_loadf(f, 0, &err) : NULL;
        if (f)
            fclose(f);
    }
    if (!root)
        return; /* no cache yet, or a torn one: start afresh */
    if (!json_is_string(json_object_get(root, "format")) ||
        strcmp(json_string_value(json_object_get(root, "format")),
               CACHE_FORMAT) != 0 ||
        strcmp(json_string_value(json_object_get(root, "source")) ?
                   json_string_value(json_object_get(root, "source")) : "",
               l->what) != 0) {
        json_decref(root);
        return;
    }
    points = json_object_get(root, "points");
    json_array_foreach(points, i, item) {
        struct llmc__point p;
        json_t *v = json_array_get(item, 2);
        /* a point that is not what this code writes is dropped: the
         * cache only saves requests, it is never a reason to fail */
        if (json_array_size(item) != 4 || !json_is_number(v) ||
            !json_is_integer(json_array_get(item, 0)) ||
            !json_is_integer(json_array_get(item, 1)) ||
            !json_is_integer(json_array_get(item, 3)))
            continue;
        p.start_unix_s = json_integer_value(json_array_get(item, 0));
        p.duration_s = json_integer_value(json_array_get(item, 1));
        p.gco2e_per_kwh = json_number_value(v);
        p.flags = (unsigned)json_integer_value(json_array_get(item, 3)) &
                  (LLMC__POINT_ESTIMATED | LLMC__POINT_FORECAST);
        if (p.start_unix_s < LLMC__TIME_MIN_UNIX_S ||
            p.start_unix_s > LLMC__TIME_MAX_UNIX_S || p.duration_s <= 0 ||
            p.duration_s > LLMC__CACHE_MAX_DURATION_S ||
            !isfinite(p.gco2e_per_kwh) || p.gco2e_per_kwh < 0)
            continue;
        if (!llmc__series_at(&l->cache, p.start_unix_s) &&
            llmc__series_put(&l->cache, &p) != LLMC_OK)
            continue; /* the rest of the cache still serves */
    }
    l->fetched_recent_unix_s = cache_time(root, "fetched_recent_unix_s");
    l->fetched_future_unix_s = cache_time(root, "fetched_future_unix_s");
    l->future_asked_until_unix_s = cache_time(root, "future_asked_until_unix_s");
    l->future_reached_unix_s = cache_time(root, "future_reached_unix_s");
    json_decref(root);
}

void llmc__live_cache_save(struct llmc__live *l)
{
    char path[1000], tmp[1100];
    json_t *root = json_object(), *points = json_array();
    int64_t keep_after = llmc__unix_s() - 40 * 86400;

    if (cache_path(l, path, sizeof path, 1) != LLMC_OK) {
        json_decref(root);
        json_decref(points);
        return;
    }
    for (size_t i = 0; i < l->cache.count; i++) {
        const struct llmc__point *p = &l->cache.points[i];
        if (p->start_unix_s < keep_after)
            continue; /* the cache keeps 40 days */
        json_array_append_new(points,
                              json_pack("[I, I, f, i]", (json_int_t)p->start_unix_s,
                                        (json_int_t)p->duration_s,
                                        p->gco2e_per_kwh, (int)p->flags));
    }
    json_object_set_new(root, "format", json_string(CACHE_FORMAT));
    json_object_set_new(root, "version", json_integer(1));
    json_object_set_new(root, "source", json_string(l->what));
    json_object_set_new(root, "basis", json_string(llmc_basis_name(l->basis)));
    json_object_set_new(root, "fetched_recent_unix_s",
                        json_integer(l->fetched_recent_unix_s));
    json_object_set_new(root, "fetched_future_unix_s",
                        json_integer(l->fetched_future_unix_s));
    json_object_set_new(root, "future_asked_until_unix_s",
                        json_integer(l->future_asked_until_unix_s));
    json_object_set_new(root, "future_reached_unix_s",
                        json_integer(l->future_reached_unix_s));
    json_object_set_new(root, "points", points);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (json_dump_file(root, tmp, JSON_COMPACT) == 0) {
        if (rename(tmp, path) != 0)
            unlink(tmp);
    } else {
        unlink(tmp);
    }
    json_decref(root);
}

int llmc__live_stale(struct llmc__live *l, int64_t t, int rc,
                     llmc_intensity *out)
{
    const struct llmc__point *p = llmc__series_at(&l->cache, t);
    int64_t fetched = l->fetched_recent_unix_s > l->fetched_future_unix_s
                          ? l->fetched_recent_unix_s
                          : l->fetched_future_unix_s;
    int64_t now = llmc__unix_s();
    char why[300];
    /* only for failures of the network or the server; a refused token or
     * an unknown zone is the caller's to fix, not to paper over */
    if (!p || (rc != LLMC_ENET && rc != LLMC_ETIMEDOUT && rc != LLMC_EHTTP &&
               rc != LLMC_EFORMAT))
        return rc;
    snprintf(why, sizeof why, "%s", llmc_last_error());
    if (fetched > now + LLMC__CACHE_SKEW_S)
        snprintf(stale_note, sizeof stale_note,
                 "%.300s; STALE: from the cache, whose fetch time is %lld s "
                 "in the future (the clock of the node that wrote it runs "
                 "ahead), because the live request failed (%.200s)",
                 l->provenance, (long long)(fetched - now), why);
    else
        snprintf(stale_note, sizeof stale_note,
                 "%.300s; STALE: from the cache, fetched %lld s ago, because "
                 "the live request failed (%.200s)",
                 l->provenance, (long long)(now - fetched), why);
    llmc__point_answer(out, p, l->basis, l->zone, l->source, l->dataset,
                       stale_note, l->licence);
    return LLMC_OK;
}
