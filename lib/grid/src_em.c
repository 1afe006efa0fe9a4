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

static int em_fetch(struct llmc__live *l, const char *endpoint,
                    const char *extra)
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
    rc = llmc__live_get(l, &resp, path, headers, NULL, NULL);
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

static int em_at(struct llmc__source *s, int64_t t, llmc_intensity *out)
{
    struct llmc__live *l = s->state;
    int64_t now = (int64_t)time(NULL);
    const struct llmc__point *p;
    llmc__live_cache_load(l);
    p = llmc__live_cached(l, t, now, TTL_S);
    int rc = LLMC_OK;

    if (!p) {
        if (t > now + 3600) {
            rc = em_fetch(l, "forecast", NULL);
            if (rc == LLMC_OK)
                l->fetched_future_unix_s = now;
        } else if (t >= now - 86400 + 3600) {
            /* latest, then the day's history for a time it does not hold */
            rc = em_fetch(l, "latest", NULL);
            if (rc == LLMC_OK) {
                l->fetched_recent_unix_s = now;
                if (!llmc__series_at(&l->cache, t) && t < now - 3600)
                    rc = em_fetch(l, "history", NULL);
            }
        } else {
            char range[96], a[32], b[32];
            int64_t from = t - t % 3600 - 12 * 3600, to = from + 24 * 3600;
            if (to > now)
                to = now;
            llmc__format_iso8601(a, sizeof a, from);
            llmc__format_iso8601(b, sizeof b, to);
            snprintf(range, sizeof range, "&start=%s&end=%s", a, b);
            rc = em_fetch(l, "past-range", range);
        }
        if (rc != LLMC_OK)
            return llmc__live_stale(l, t, rc, out);
        llmc__live_cache_save(l);
        p = llmc__series_at(&l->cache, t);
        /* "latest" is the newest published hour: for now, data lag, it is
         * the answer; its interval says which hour it describes */
        if (!p && t >= now - 3600 && l->cache.count) {
            const struct llmc__point *last = &l->cache.points[l->cache.count - 1];
            if (last->start_unix_s <= t && t - last->start_unix_s < 3 * 3600)
                p = last;
        }
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

static const struct llmc__source_ops em_ops = {em_at, em_set, em_free};

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
