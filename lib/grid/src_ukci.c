/*
 * src_ukci.c - the UK Carbon Intensity API of the National Energy System
 * Operator ("ukci:national", "ukci:region/13"): half-hour slots, the actual
 * value where published, else the forecast, and the answer says which. No
 * key is needed. Generation-based, so its basis is operational-generation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/internal.h"
#include "live.h"

#define DEFAULT_BASE "https://api.carbonintensity.org.uk"
#define TTL_S 1800 /* a half-hour slot: its actual may be published later */

struct ukci {
    struct llmc__live live; /* first: the live helpers take it */
    int region_id;          /* 0: national */
};

static void minute_time(char *buf, size_t size, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%MZ", &tm);
}

static int ukci_fetch(struct ukci *u, const struct llmc__grid_ask *ask,
                      int64_t from, int64_t to)
{
    struct llmc__live *l = &u->live;
    struct llmc__http_response resp;
    struct llmc__series got;
    char path[256], a[32], b[32];
    int rc;

    minute_time(a, sizeof a, from);
    minute_time(b, sizeof b, to);
    if (u->region_id)
        snprintf(path, sizeof path, "/regional/intensity/%s/%s/regionid/%d", a,
                 b, u->region_id);
    else
        snprintf(path, sizeof path, "/intensity/%s/%s", a, b);
    if ((rc = llmc__live_get(l, ask, &resp, path, NULL, NULL, NULL)) !=
        LLMC_OK)
        return rc;
    llmc__series_init(&got);
    rc = llmc__parse_ukci(&got, resp.body, resp.len, l->what, u->region_id);
    llmc__http_response_free(&resp);
    return llmc__live_keep(l, &got, rc);
}

static int ukci_at(struct llmc__source *s, int64_t t,
                   const struct llmc__grid_ask *ask, llmc_intensity *out)
{
    struct ukci *u = s->state;
    struct llmc__live *l = &u->live;
    int64_t now = llmc__unix_s();
    const struct llmc__point *p;
    llmc__live_cache_load(l);
    p = llmc__live_cached(l, t, now, TTL_S);

    if (!p) {
        /* a day around t in one request: the slots before and after it
         * answer the samples that follow; a search under way gets the
         * forecast as far as it will look (the API forecasts 48 h) */
        int64_t from = t - t % 1800 - 12 * 3600, to = from + 24 * 3600;
        int64_t want = ask->want_until_unix_s;
        int rc;
        if (want > now + 48 * 3600)
            want = now + 48 * 3600;
        if (t >= now - 12 * 3600 && want > to)
            to = want - want % 1800 + 1800;
        if (t > now &&
            (rc = llmc__live_future_known_short(l, t, now, TTL_S)) != LLMC_OK)
            return rc;
        if ((rc = ukci_fetch(u, ask, from, to)) != LLMC_OK)
            return llmc__live_stale(l, t, rc, out);
        l->fetched_recent_unix_s = now;
        if (to > now)
            llmc__live_future_fetched(l, now, to);
        llmc__live_cache_save(l);
        if (!(p = llmc__series_at(&l->cache, t)))
            return llmc__fail(LLMC_ENODATA,
                              "%s has no half-hour slot holding %lld", l->what,
                              (long long)t);
    }
    llmc__point_answer(out, p, l->basis, l->zone, l->source, l->dataset,
                       p->flags & LLMC__POINT_FORECAST
                           ? "NESO Carbon Intensity API: forecast (no actual "
                             "published for this slot)"
                           : "NESO Carbon Intensity API: actual",
                       l->licence);
    return LLMC_OK;
}

static int ukci_set(struct llmc__source *s, const char *key, const char *value)
{
    return llmc__live_set_common(&((struct ukci *)s->state)->live, key, value);
}

static void ukci_free(struct llmc__source *s)
{
    struct ukci *u = s->state;
    if (u) {
        llmc__live_clear(&u->live);
        free(u);
    }
    s->state = NULL;
}

static const struct llmc__source_ops ukci_ops = {
    .at = ukci_at, .set = ukci_set, .free = ukci_free, .network = 1};

int llmc__source_ukci(struct llmc__source *s, const char *arg)
{
    struct ukci *u;
    int region = 0;

    if (!arg || strcmp(arg, "national") == 0) {
        region = 0;
    } else if (strncmp(arg, "region/", 7) == 0) {
        char *end;
        long id = strtol(arg + 7, &end, 10);
        if (end == arg + 7 || *end || id < 1 || id > 99)
            return llmc__fail(LLMC_EPARSE,
                              "'%s' is not a GB region id; write "
                              "ukci:region/N with N from 1 to 17 (e.g. 13 "
                              "for London)",
                              arg + 7);
        region = (int)id;
    } else {
        return llmc__fail(LLMC_EPARSE,
                          "'ukci:%s' is not known; write ukci:national or "
                          "ukci:region/N",
                          arg);
    }
    if (!(u = calloc(1, sizeof *u)))
        return llmc__fail(LLMC_ENOMEM, "out of memory for a grid");
    u->region_id = region;
    if (region)
        snprintf(u->live.what, sizeof u->live.what, "ukci:region/%d", region);
    else
        snprintf(u->live.what, sizeof u->live.what, "ukci:national");
    snprintf(u->live.zone, sizeof u->live.zone, "%s",
             region ? u->live.what + 5 : "GB");
    snprintf(u->live.base_url, sizeof u->live.base_url, DEFAULT_BASE);
    llmc__live_env(u->live.base_url, sizeof u->live.base_url,
                   "LLMC_CARBONINTENSITY_UK_URL");
    llmc__live_env(u->live.ca_bundle, sizeof u->live.ca_bundle,
                   "LLMC_CA_BUNDLE");
    u->live.basis = LLMC_BASIS_OPERATIONAL_GENERATION;
    snprintf(u->live.source, sizeof u->live.source, "ukci");
    snprintf(u->live.dataset, sizeof u->live.dataset,
             "NESO Carbon Intensity API");
    snprintf(u->live.licence, sizeof u->live.licence,
             "CC BY 4.0, NESO / carbonintensity.org.uk");
    s->ops = &ukci_ops;
    s->state = u;
    snprintf(s->spec, sizeof s->spec, "%s", u->live.what);
    return LLMC_OK;
}
