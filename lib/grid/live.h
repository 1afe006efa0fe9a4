/*
 * live.h - what the live sources (Electricity Maps, UK Carbon Intensity,
 * WattTime) share: options, the series cache, the HTTP call with its
 * status mapping and backoff. Only this file's .c and the sources use it.
 */
#ifndef LLMC_GRID_LIVE_H
#define LLMC_GRID_LIVE_H

#include <stdint.h>

#include "grid.h"
#include "http.h"
#include "series.h"

struct llmc__live {
    char what[160];          /* "electricitymaps:DE" */
    char base_url[512];
    char ca_bundle[512];
    double timeout_s;
    char secret[512];        /* a token or password: never printed */
    char user[256];
    /* what has been fetched: points, and when each kind was fetched */
    struct llmc__series cache;
    int64_t fetched_recent_unix_s; /* the last fetch of recent values */
    int64_t fetched_future_unix_s; /* the last fetch of a forecast */
    /* how far that forecast was asked to reach, and how far its points
     * did: a time between the two is not asked again while the forecast
     * is fresh (the provider has nothing further yet) */
    int64_t future_asked_until_unix_s;
    int64_t future_reached_unix_s;
    int64_t fetched_history_unix_s; /* the last fetch of a day's history */
    /* after 429 or 5xx: no request before backoff_until (wall clock) */
    int64_t backoff_until_unix_s;
    int failures;
    char last_failure[400];  /* why the backoff began: for its messages */
    char zone[64];           /* as the source names it */
    char provenance[320];    /* stable strings handed out in answers */
    char dataset[96];
    char licence[128];
    char source[32];
    llmc_basis basis;
    int cache_loaded;        /* the disk cache was read */
};

/* Options every live source takes: base_url, ca_bundle, timeout. */
int llmc__live_set_common(struct llmc__live *l, const char *key,
                          const char *value);
/* GET base_url + path_and_query with headers, unless ask's flags say no
 * network: then LLMC_ENET at once; ask's cancel flag goes with the
 * request. Maps HTTP statuses:
 * 2xx -> LLMC_OK (resp filled), 401/403 -> LLMC_EAUTH, 404 -> LLMC_ENOTFOUND,
 * 429 and 5xx -> LLMC_EHTTP and a backoff, other -> LLMC_EHTTP. Messages
 * name the source, the status and the start of the body, never secrets.
 * While backing off it fails at once (LLMC_EHTTP) without a request. */
int llmc__live_get(struct llmc__live *l, const struct llmc__grid_ask *ask,
                   struct llmc__http_response *resp,
                   const char *path_and_query, const char *const *headers,
                   const char *basic_user, const char *basic_password);
/* How far a cache's fetch time may be ahead of this clock and still count
 * as fresh: nodes' clocks differ by seconds, rarely by minutes. */
#define LLMC__CACHE_SKEW_S 300
/* The longest interval a cached point may describe: a month of 31 days, a
 * provider's coarsest granularity, with room to spare (a year). */
#define LLMC__CACHE_MAX_DURATION_S (366 * 86400)

/* The cached point for t, if it is fresh enough: past points (start + 2 h
 * before now) keep; recent and future ones live ttl_s after their fetch,
 * and not at all when that fetch is more than LLMC__CACHE_SKEW_S ahead of
 * now (a cache written by a node whose clock runs ahead). */
const struct llmc__point *llmc__live_cached(struct llmc__live *l, int64_t t,
                                            int64_t now, int64_t ttl_s);
/* 1 when a fetch at fetched_unix_s still answers at now (ttl_s). */
int llmc__live_fresh(int64_t fetched_unix_s, int64_t now, int64_t ttl_s);
/* After a forecast fetched at now that was asked to reach asked_until:
 * records when, and how far its points reach (the cache's last end). */
void llmc__live_future_fetched(struct llmc__live *l, int64_t now,
                               int64_t asked_until_unix_s);
/* For a future time t the cache does not hold: LLMC_ENODATA, with why,
 * when a forecast fetched within ttl_s was asked to reach t but its points
 * end before it (asking again would return the same); else LLMC_OK, and
 * the source may ask. No request either way. */
int llmc__live_future_known_short(struct llmc__live *l, int64_t t,
                                  int64_t now, int64_t ttl_s);

/* Ends a fetch: with rc LLMC_OK, adds the parsed points to the cache;
 * always frees them. Returns rc, or the merge's failure. */
int llmc__live_keep(struct llmc__live *l, struct llmc__series *got, int rc);
/* Releases the cache and wipes the secret of a helper embedded in a
 * source's state; llmc__live_free does that and frees a helper of its own. */
void llmc__live_clear(struct llmc__live *l);
void llmc__live_free(struct llmc__live *l);

/* The disk cache (LLMC_CACHE_DIR, else $XDG_CACHE_HOME/llmcarbon, else
 * ~/.cache/llmcarbon): one JSON file per source, zone and basis, holding
 * the fetched points and when they were fetched, never a secret. A login
 * node can fill it for compute nodes without network. Load once before the
 * first answer; save after each fetch. Failures only lose the cache. */
void llmc__live_cache_load(struct llmc__live *l);
void llmc__live_cache_save(struct llmc__live *l);
/* After a fetch failed for the network or the server (ENET, ETIMEDOUT,
 * EHTTP, EFORMAT): a cached point for t however old, labelled stale in
 * out's provenance with why the fetch failed; LLMC_OK, or rc when there is
 * no such point or the failure was another (EAUTH, ENOTFOUND, ...). */
int llmc__live_stale(struct llmc__live *l, int64_t t, int rc,
                     llmc_intensity *out);

/* Reads env var name into buf when set and not empty. */
void llmc__live_env(char *buf, size_t size, const char *name);

#endif
