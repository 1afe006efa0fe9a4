/*
 * src_em.c - Electricity Maps v3 ("electricitymaps:ZONE"): latest for now,
 * history for the last 24 hours, forecast for later, past-range for older
 * times. Always sends shouldUseFallbackCallerLookup=false (never the
 * caller's IP location) and checks the zone of the answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/internal.h"
#include "live.h"

#define DEFAULT_BASE "https://api.electricitymaps.com"
#define TTL_S 900 /* values change at most hourly; 15 minutes is fresh */

static int em_fetch(struct llmc__live *l, const struct llmc__grid_ask *ask,
                    const char *endpoint, const char *extra)
{
    struct llmc__http_response resp;
    struct llmc__series got;
    char path[768], header[600], zone[64] = "";
    const char *headers[2] = {header, NULL};
    int rc;

    if (!*l->secret)
        return llmc__fail(LLMC_EAUTH,
                          "%s needs an API token: set "
                          "ELECTRICITYMAPS_API_TOKEN, or give the token "
                          "option (?token= in the spec, or llmc_grid_set)",
                          l->what);
    snprintf(header, sizeof header, "auth-token: %s", l->secret);
    snprintf(path, sizeof path,
             "/v3/carbon-intensity/%s?zone=%s&emissionFactorType=%s"
             "&shouldUseFallbackCallerLookup=false%s",
             endpoint, l->zone,
             l->basis == LLMC_BASIS_DIRECT ? "direct" : "lifecycle",
             extra ? extra : "");
    rc = llmc__live_get(l, ask, &resp, path, headers, NULL, NULL);
    explicit_bzero(header, sizeof header);
    if (rc != LLMC_OK)
        return rc;
    llmc__series_init(&got);
    rc = llmc__parse_electricitymaps(&got, resp.body, resp.len, l->what, zone,
                                     sizeof zone);
    llmc__http_response_free(&resp);
    if (rc == LLMC_OK && *zone && strcmp(zone, l->zone) != 0)
        rc = llmc__fail(LLMC_EFORMAT,
                        "%s: the answer is for zone '%s', not '%s'; refusing "
                        "a value for another place",
                        l->what, zone, l->zone);
    return llmc__live_keep(l, &got, rc);
}

/* The newest published value at or before t (not a forecast) within
 * three hours of it: the answer for now while the provider's newest hour
 * lags the clock. */
static const struct llmc__point *newest_published(const struct llmc__live *l,
                                                  int64_t t)
{
    for (size_t i = l->cache.count; i-- > 0;) {
        const struct llmc__point *p = &l->cache.points[i];
        if (p->flags & LLMC__POINT_FORECAST || p->start_unix_s > t)
            continue;
        return t - p->start_unix_s < 3 * 3600 ? p : NULL;
    }
    return NULL;
}

/* Each endpoint is asked at most once per TTL_S: a time that an answer
 * within it did not hold is not asked again, so that one search over a
 * day of forecast costs at most two requests (latest and forecast). */
static int em_at(struct llmc__source *s, int64_t t,
                 const struct llmc__grid_ask *ask, llmc_intensity *out)
{
    struct llmc__live *l = s->state;
    int64_t now = llmc__unix_s();
    const struct llmc__point *p;
    int rc = LLMC_OK, fetched = 0, recent_fresh;

    llmc__live_cache_load(l);
    p = llmc__live_cached(l, t, now, TTL_S);
    /* latest is fresh for TTL_S within the clock hour it was fetched in:
     * a newest hour that lags the clock answers until the hour turns, and
     * the next hour's value is asked for as soon as it may exist */
    recent_fresh = llmc__live_fresh(l->fetched_recent_unix_s, now, TTL_S) &&
                   l->fetched_recent_unix_s - l->fetched_recent_unix_s % 3600 ==
                       now - now % 3600;
    if (!p) {
        if (t > now + 3600 ||
            (t > now && recent_fresh && !llmc__series_at(&l->cache, t))) {
            /* the forecast starts at the next hour; 24 h or so, whatever
             * is asked: a time past its end waits for the next one */
            rc = llmc__live_future_known_short(l, t, now, TTL_S);
            if (rc == LLMC_OK &&
                !llmc__live_fresh(l->fetched_future_unix_s, now, TTL_S)) {
                rc = em_fetch(l, ask, "forecast", NULL);
                if (rc == LLMC_OK) {
                    llmc__live_future_fetched(l, now, LLMC__TIME_MAX_UNIX_S);
                    fetched = 1;
                }
            }
        } else if (t >= now - 86400 + 3600) {
            /* latest, then the day's history for a time it does not hold */
            if (!recent_fresh) {
                rc = em_fetch(l, ask, "latest", NULL);
                if (rc == LLMC_OK) {
                    l->fetched_recent_unix_s = now;
                    fetched = 1;
                }
            }
            if (rc == LLMC_OK && !llmc__series_at(&l->cache, t) &&
                t < now - 3600 &&
                !llmc__live_fresh(l->fetched_history_unix_s, now, TTL_S)) {
                rc = em_fetch(l, ask, "history", NULL);
                if (rc == LLMC_OK) {
                    l->fetched_history_unix_s = now;
                    fetched = 1;
                }
            }
        } else {
            char range[96], a[32], b[32];
            int64_t from = t - t % 3600 - 12 * 3600, to = from + 24 * 3600;
            if (to > now)
                to = now;
            llmc__format_iso8601(a, sizeof a, from);
            llmc__format_iso8601(b, sizeof b, to);
            snprintf(range, sizeof range, "&start=%s&end=%s", a, b);
            rc = em_fetch(l, ask, "past-range", range);
            fetched = rc == LLMC_OK;
        }
        if (rc != LLMC_OK)
            return llmc__live_stale(l, t, rc, out);
        if (fetched)
            llmc__live_cache_save(l);
        p = llmc__series_at(&l->cache, t);
        /* "latest" is the newest published hour: for now, data lag, it is
         * the answer; its interval says which hour it describes */
        if (!p && t >= now - 3600 && t < now + 3600)
            p = newest_published(l, t);
        if (!p && t > now)
            return llmc__live_future_known_short(l, t, now, TTL_S) != LLMC_OK
                       ? LLMC_ENODATA
                       : llmc__fail(LLMC_ENODATA,
                                    "%s has no forecast for the hour of %lld",
                                    l->what, (long long)t);
        if (!p)
            return llmc__fail(LLMC_ENODATA,
                              "%s has no value for the hour of %lld (the "
                              "provider published none)",
                              l->what, (long long)t);
    }
    llmc__point_answer(out, p, l->basis, l->zone, l->source, l->dataset,
                       l->provenance, l->licence);
    return LLMC_OK;
}

static int em_set(struct llmc__source *s, const char *key, const char *value)
{
    struct llmc__live *l = s->state;
    if (strcmp(key, "token") == 0) {
        /* known to the redactor, as it will be sent, before it can reach
         * any message */
        char next[sizeof l->secret];
        snprintf(next, sizeof next, "%s", value);
        if (llmc__redact_add(next) != LLMC_OK) {
            explicit_bzero(next, sizeof next);
            return llmc__fail(LLMC_ENOMEM, "out of memory for a grid");
        }
        llmc__redact_remove(l->secret);
        memcpy(l->secret, next, sizeof next);
        explicit_bzero(next, sizeof next);
        return LLMC_OK;
    }
    if (strcmp(key, "emission_factor_type") == 0) {
        if (strcmp(value, "lifecycle") == 0)
            l->basis = LLMC_BASIS_LIFECYCLE;
        else if (strcmp(value, "direct") == 0)
            l->basis = LLMC_BASIS_DIRECT;
        else
            return llmc__fail(LLMC_EINVAL,
                              "%s: emission_factor_type '%s' is not known; "
                              "use lifecycle or direct",
                              l->what, value);
        llmc__series_free(&l->cache); /* other values entirely */
        snprintf(l->provenance, sizeof l->provenance,
                 "Electricity Maps API v3 carbon-intensity, zone %s, %s "
                 "emission factors, consumption-based",
                 l->zone, value);
        return LLMC_OK;
    }
    return llmc__live_set_common(l, key, value);
}

static void em_free(struct llmc__source *s)
{
    if (s->state)
        llmc__redact_remove(((struct llmc__live *)s->state)->secret);
    llmc__live_free(s->state);
    s->state = NULL;
}

static const struct llmc__source_ops em_ops = {
    .at = em_at, .set = em_set, .free = em_free, .network = 1};

int llmc__source_electricitymaps(struct llmc__source *s, const char *zone)
{
    struct llmc__live *l;
    if (!zone || !*zone || strlen(zone) >= 48)
        return llmc__fail(LLMC_EPARSE,
                          "electricitymaps needs a zone, e.g. "
                          "'electricitymaps:DE' or 'electricitymaps:US-CAL-CISO'");
    for (const char *p = zone; *p; p++)
        if (!(*p == '-' || *p == '_' || (*p >= 'A' && *p <= 'Z') ||
              (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
            return llmc__fail(LLMC_EPARSE,
                              "'%s' is not an Electricity Maps zone key "
                              "(letters, digits and '-')",
                              zone);
    if (!(l = calloc(1, sizeof *l)))
        return llmc__fail(LLMC_ENOMEM, "out of memory for a grid");
    snprintf(l->what, sizeof l->what, "electricitymaps:%s", zone);
    snprintf(l->zone, sizeof l->zone, "%s", zone);
    snprintf(l->base_url, sizeof l->base_url, DEFAULT_BASE);
    llmc__live_env(l->base_url, sizeof l->base_url, "LLMC_ELECTRICITYMAPS_URL");
    llmc__live_env(l->secret, sizeof l->secret, "ELECTRICITYMAPS_API_TOKEN");
    if (llmc__redact_add(l->secret) != LLMC_OK) {
        llmc__live_free(l);
        return llmc__fail(LLMC_ENOMEM, "out of memory for a grid");
    }
    llmc__live_env(l->ca_bundle, sizeof l->ca_bundle, "LLMC_CA_BUNDLE");
    l->basis = LLMC_BASIS_LIFECYCLE;
    snprintf(l->source, sizeof l->source, "electricitymaps");
    snprintf(l->dataset, sizeof l->dataset, "Electricity Maps API v3");
    snprintf(l->licence, sizeof l->licence,
             "Electricity Maps API terms (not redistributable)");
    snprintf(l->provenance, sizeof l->provenance,
             "Electricity Maps API v3 carbon-intensity, zone %s, lifecycle "
             "emission factors, consumption-based",
             zone);
    s->ops = &em_ops;
    s->state = l;
    snprintf(s->spec, sizeof s->spec, "%s", l->what);
    return LLMC_OK;
}
