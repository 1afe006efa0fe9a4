/*
 * src_watttime.c - WattTime v3 ("watttime:CAISO_NORTH"): Basic-auth login
 * for a bearer token (valid 30 minutes: renewed after 29, and once on a
 * 401 or 403), the forecast for now and later, historical for the past.
 * MOER is a marginal signal, never an average: the answers say so.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/internal.h"
#include "live.h"

#define DEFAULT_BASE "https://api.watttime.org"
#define TOKEN_LIFE_S (29 * 60)
#define TTL_S 300 /* five-minute points */

struct watttime {
    struct llmc__live live;     /* first; live.secret holds the password */
    char token[4096];           /* the bearer token: a secret too */
    int64_t token_at_unix_s;
    char signal[16];            /* co2_moer (default) or co2_aoer */
    int logins;
};

static int login(struct watttime *w, const struct llmc__grid_ask *ask)
{
    struct llmc__live *l = &w->live;
    struct llmc__http_response resp;
    int rc;

    if (!*l->user || !*l->secret)
        return llmc__fail(LLMC_EAUTH,
                          "%s needs a WattTime account: set WATTTIME_USERNAME "
                          "and WATTTIME_PASSWORD, or username= and password= "
                          "with llmc_grid_set",
                          l->what);
    rc = llmc__live_get(l, ask, &resp, "/login", NULL, l->user, l->secret);
    if (rc != LLMC_OK)
        return rc;
    /* the old token goes, whatever the answer */
    llmc__redact_remove(w->token);
    explicit_bzero(w->token, sizeof w->token);
    rc = llmc__parse_watttime_token(w->token, sizeof w->token, resp.body,
                                    resp.len, l->what);
    llmc__http_response_free(&resp);
    if (rc == LLMC_OK && llmc__redact_add(w->token) != LLMC_OK)
        rc = llmc__fail(LLMC_ENOMEM, "%s: out of memory", l->what);
    if (rc != LLMC_OK)
        explicit_bzero(w->token, sizeof w->token);
    if (rc == LLMC_OK) {
        w->token_at_unix_s = llmc__unix_s();
        w->logins++;
    }
    return rc;
}

static int get_with_token(struct watttime *w, const struct llmc__grid_ask *ask,
                          struct llmc__http_response *resp, const char *path)
{
    char header[4200];
    const char *headers[2] = {header, NULL};
    int rc;

    for (int attempt = 0; attempt < 2; attempt++) {
        if (!*w->token ||
            llmc__unix_s() - w->token_at_unix_s >= TOKEN_LIFE_S)
            if ((rc = login(w, ask)) != LLMC_OK)
                return rc;
        snprintf(header, sizeof header, "Authorization: Bearer %s", w->token);
        rc = llmc__live_get(&w->live, ask, resp, path, headers, NULL, NULL);
        explicit_bzero(header, sizeof header);
        if (rc != LLMC_EAUTH || attempt == 1)
            return rc;
        /* refused: the token expired early or was revoked; log in once */
        llmc__redact_remove(w->token);
        explicit_bzero(w->token, sizeof w->token);
    }
    return rc;
}

static int fetch(struct watttime *w, const struct llmc__grid_ask *ask,
                 const char *path, int is_forecast)
{
    struct llmc__http_response resp;
    struct llmc__series got;
    int rc = get_with_token(w, ask, &resp, path);
    if (rc != LLMC_OK)
        return rc;
    llmc__series_init(&got);
    rc = llmc__parse_watttime(&got, resp.body, resp.len, w->live.what,
                              is_forecast);
    llmc__http_response_free(&resp);
    return llmc__live_keep(&w->live, &got, rc);
}

static int wt_at(struct llmc__source *s, int64_t t,
                 const struct llmc__grid_ask *ask, llmc_intensity *out)
{
    struct watttime *w = s->state;
    struct llmc__live *l = &w->live;
    int64_t now = llmc__unix_s();
    const struct llmc__point *p;
    llmc__live_cache_load(l);
    p = llmc__live_cached(l, t, now, TTL_S);
    char path[512];
    int rc;

    if (!p) {
        if (t >= now - 300) {
            /* as far as t, or as far as a search under way will look:
             * one request for the whole search, not one per hour */
            int64_t until = t > ask->want_until_unix_s
                                ? t
                                : ask->want_until_unix_s;
            int hours = (int)ceil((double)(t - now) / 3600.0) + 1;
            if (hours < 1)
                hours = 1;
            if (hours > 72)
                return llmc__fail(LLMC_ERANGE,
                                  "%s forecasts at most 72 hours ahead",
                                  l->what);
            if ((rc = llmc__live_future_known_short(l, t, now, TTL_S)) !=
                LLMC_OK)
                return rc;
            if (until > now + 3600 * (int64_t)hours) {
                double more = ceil((double)(until - now) / 3600.0) + 1;
                hours = more > 72 ? 72 : (int)more;
            }
            snprintf(path, sizeof path,
                     "/v3/forecast?region=%s&signal_type=%s&horizon_hours=%d",
                     l->zone, w->signal, hours);
            rc = fetch(w, ask, path, 1);
            if (rc == LLMC_OK) {
                llmc__live_future_fetched(l, now, now + 3600 * (int64_t)hours);
                l->fetched_recent_unix_s = now;
            }
        } else {
            char a[32], b[32];
            llmc__format_iso8601(a, sizeof a, t - t % 300 - 3600);
            llmc__format_iso8601(b, sizeof b, t - t % 300 + 3600);
            snprintf(path, sizeof path,
                     "/v3/historical?region=%s&signal_type=%s&start=%s&end=%s",
                     l->zone, w->signal, a, b);
            rc = fetch(w, ask, path, 0);
        }
        if (rc != LLMC_OK)
            return llmc__live_stale(l, t, rc, out);
        llmc__live_cache_save(l);
        if (!(p = llmc__series_at(&l->cache, t)))
            return llmc__fail(LLMC_ENODATA,
                              "%s has no five-minute value holding %lld",
                              l->what, (long long)t);
    }
    llmc__point_answer(out, p, l->basis, l->zone, l->source, l->dataset,
                       l->provenance, l->licence);
    return LLMC_OK;
}

static int wt_set(struct llmc__source *s, const char *key, const char *value)
{
    struct watttime *w = s->state;
    /* the redactor knows the password and the Basic header value made of
     * both before either can reach a message */
    if (strcmp(key, "username") == 0) {
        char next[sizeof w->live.user];
        snprintf(next, sizeof next, "%s", value);
        if (llmc__redact_add_basic(next, w->live.secret) != LLMC_OK)
            return llmc__fail(LLMC_ENOMEM, "out of memory for a grid");
        llmc__redact_remove_basic(w->live.user, w->live.secret);
        memcpy(w->live.user, next, sizeof next);
        return LLMC_OK;
    }
    if (strcmp(key, "password") == 0) {
        char next[sizeof w->live.secret];
        int rc = LLMC_OK;
        snprintf(next, sizeof next, "%s", value);
        if (llmc__redact_add(next) != LLMC_OK)
            rc = LLMC_ENOMEM;
        else if (llmc__redact_add_basic(w->live.user, next) != LLMC_OK) {
            llmc__redact_remove(next);
            rc = LLMC_ENOMEM;
        }
        if (rc == LLMC_OK) {
            llmc__redact_remove_basic(w->live.user, w->live.secret);
            llmc__redact_remove(w->live.secret);
            memcpy(w->live.secret, next, sizeof next);
        }
        explicit_bzero(next, sizeof next);
        return rc == LLMC_OK
                   ? LLMC_OK
                   : llmc__fail(LLMC_ENOMEM, "out of memory for a grid");
    }
    if (strcmp(key, "signal_type") == 0) {
        if (strcmp(value, "co2_moer") != 0 && strcmp(value, "co2_aoer") != 0)
            return llmc__fail(LLMC_EINVAL,
                              "%s: signal_type '%s' is not an intensity; use "
                              "co2_moer (marginal) or co2_aoer (average)",
                              w->live.what, value);
        {
            int moer = strcmp(value, "co2_moer") == 0;
            snprintf(w->signal, sizeof w->signal, "%s",
                     moer ? "co2_moer" : "co2_aoer");
            w->live.basis = moer ? LLMC_BASIS_MARGINAL : LLMC_BASIS_DIRECT;
        }
        llmc__series_free(&w->live.cache);
        return LLMC_OK;
    }
    return llmc__live_set_common(&w->live, key, value);
}

static void wt_free(struct llmc__source *s)
{
    struct watttime *w = s->state;
    if (w) {
        llmc__redact_remove(w->token);
        llmc__redact_remove_basic(w->live.user, w->live.secret);
        llmc__redact_remove(w->live.secret);
        llmc__live_clear(&w->live);
        explicit_bzero(w->token, sizeof w->token);
        free(w);
    }
    s->state = NULL;
}

static const struct llmc__source_ops wt_ops = {
    .at = wt_at, .set = wt_set, .free = wt_free, .network = 1};

int llmc__source_watttime(struct llmc__source *s, const char *region)
{
    struct watttime *w;
    if (!region || !*region || strlen(region) >= 48)
        return llmc__fail(LLMC_EPARSE,
                          "watttime needs a region, e.g. "
                          "'watttime:CAISO_NORTH'");
    for (const char *p = region; *p; p++)
        if (!(*p == '_' || *p == '-' || (*p >= 'A' && *p <= 'Z') ||
              (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
            return llmc__fail(LLMC_EPARSE,
                              "'%s' is not a WattTime region (letters, digits "
                              "and '_')",
                              region);
    if (!(w = calloc(1, sizeof *w)))
        return llmc__fail(LLMC_ENOMEM, "out of memory for a grid");
    snprintf(w->live.what, sizeof w->live.what, "watttime:%s", region);
    snprintf(w->live.zone, sizeof w->live.zone, "%s", region);
    snprintf(w->live.base_url, sizeof w->live.base_url, DEFAULT_BASE);
    llmc__live_env(w->live.base_url, sizeof w->live.base_url,
                   "LLMC_WATTTIME_URL");
    llmc__live_env(w->live.user, sizeof w->live.user, "WATTTIME_USERNAME");
    llmc__live_env(w->live.secret, sizeof w->live.secret, "WATTTIME_PASSWORD");
    if (llmc__redact_add(w->live.secret) != LLMC_OK) {
        llmc__live_clear(&w->live);
        free(w);
        return llmc__fail(LLMC_ENOMEM, "out of memory for a grid");
    }
    if (llmc__redact_add_basic(w->live.user, w->live.secret) != LLMC_OK) {
        llmc__redact_remove(w->live.secret);
        llmc__live_clear(&w->live);
        free(w);
        return llmc__fail(LLMC_ENOMEM, "out of memory for a grid");
    }
    llmc__live_env(w->live.ca_bundle, sizeof w->live.ca_bundle,
                   "LLMC_CA_BUNDLE");
    snprintf(w->signal, sizeof w->signal, "co2_moer");
    w->live.basis = LLMC_BASIS_MARGINAL;
    snprintf(w->live.source, sizeof w->live.source, "watttime");
    snprintf(w->live.dataset, sizeof w->live.dataset, "WattTime API v3");
    snprintf(w->live.licence, sizeof w->live.licence,
             "WattTime account terms (not redistributable)");
    snprintf(w->live.provenance, sizeof w->live.provenance,
             "WattTime API v3 marginal operating emissions rate (MOER) for "
             "%s, lbs/MWh converted to gCO2e/kWh; a marginal signal, not an "
             "average intensity",
             region);
    s->ops = &wt_ops;
    s->state = w;
    snprintf(s->spec, sizeof s->spec, "%s", w->live.what);
    return LLMC_OK;
}
