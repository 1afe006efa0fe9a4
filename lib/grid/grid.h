/*
 * grid.h - the grid handle and its sources, shared inside the library.
 *
 * A grid is a chain of one or more sources ("electricitymaps:DE,static:DE").
 * Each source answers "intensity at time t" or fails with a reason; the
 * grid asks them in order and says which one answered and why the earlier
 * ones did not. A mutex per grid keeps at most one request in flight per
 * source and guards the sources' caches.
 */
#ifndef LLMC_GRID_GRID_H
#define LLMC_GRID_GRID_H

#include <pthread.h>
#include <stdatomic.h>

#include "../core/tables.h"
#include "llmcarbon.h"
#include "series.h"

struct llmc__source;

/* Flags of a question (struct llmc__grid_ask). */
enum {
    /* answer from what is at hand (the bundled table, a file, a live
     * source's cache) or fail at once, and the chain falls back: never a
     * request, for a caller that must not wait (the inline sampler, inside
     * llmc_tracker_step) */
    LLMC__GRID_NO_NETWORK = 1u << 0
};

/* How a question is asked: made by the caller of llmc__grid_intensity_at
 * and handed to every source the chain asks, and by a live source to its
 * requests. {0} asks plainly: the network if need be, no cancel, no
 * horizon. */
struct llmc__grid_ask {
    unsigned flags;             /* LLMC__GRID_* */
    /* Once *cancel is non-zero, a request under way ends within about a
     * second with LLMC_ENET, so that a thread asking the grid for an owner
     * (the tracker's grid thread) never holds up that owner's end. NULL:
     * requests run their course. */
    atomic_int *cancel;
    /* How far ahead the caller will ask (the best window's walk), 0 for
     * no further than the time asked: a forecast fetched meanwhile is
     * asked to reach that far at once, not hour by hour. */
    int64_t want_until_unix_s;
};

struct llmc__source_ops {
    /* Fills out (a full-size llmc_intensity whose strings the source owns
     * and keeps stable) for time t, asked as ask says; may fetch over the
     * network unless ask->flags has LLMC__GRID_NO_NETWORK. Returns LLMC_OK
     * or a failure with the thread's message set. */
    int (*at)(struct llmc__source *s, int64_t t,
              const struct llmc__grid_ask *ask, llmc_intensity *out);
    /* An option ("token", "ca_bundle", "emission_factor_type", ...):
     * LLMC_OK, LLMC_ENOTFOUND when the source has no such option. */
    int (*set)(struct llmc__source *s, const char *key, const char *value);
    void (*free)(struct llmc__source *s);
    /* 1 when at may make network requests (a live source): an owner that
     * must not wait asks such a chain from a thread of its own. */
    int network;
};

struct llmc__source {
    const struct llmc__source_ops *ops;
    char spec[160];   /* "electricitymaps:DE", for messages and fallbacks */
    void *state;
};

struct llmc_grid {
    atomic_int refs;
    pthread_mutex_t mu;
    struct llmc__source *sources;
    size_t count;
    char *spec;                        /* canonical spec of the chain */
};

/* Sources, one constructor each; arg is what follows "name:". */
int llmc__source_static(struct llmc__source *s, const char *zone);
int llmc__source_const(struct llmc__source *s, double gco2e_per_kwh);
int llmc__source_file(struct llmc__source *s, const char *path);
int llmc__source_electricitymaps(struct llmc__source *s, const char *zone);
int llmc__source_ukci(struct llmc__source *s, const char *arg);
int llmc__source_watttime(struct llmc__source *s, const char *region);

/* llmc_grid_intensity_at asked as ask says (not NULL): the entry of the
 * rest of the library. */
int llmc__grid_intensity_at(llmc_intensity *out, llmc_grid *grid,
                            int64_t time_unix_s,
                            const struct llmc__grid_ask *ask);
/* 1 when a source of grid may make network requests (its ops say so), so
 * that asking it may wait; 0 for a NULL grid. */
int llmc__grid_uses_network(const llmc_grid *grid);

/* The live sources' disk cache: 1, with the reason and what to do in why,
 * when the cache directory exists but cannot be written, or cannot be
 * made; 0 when it is usable (or there is none: no HOME). Fetched values
 * then go unkept: a problem to report, not an error. */
int llmc__live_cache_unusable(char *why, size_t size);

/* Finds the bundled row for a zone written in any accepted form. */
int llmc__zone_resolve(const struct llmc__zone_row **out, const char *zone);
/* Fills a full-size llmc_intensity for a bundled row. */
void llmc__zone_answer(llmc_intensity *full, const struct llmc__zone_row *row);
/* Copies full into the caller's struct, as far as its size reaches. */
int llmc__intensity_copy_out(llmc_intensity *out, const llmc_intensity *full);
/* Fills out from a series point with the source's stable strings. */
void llmc__point_answer(llmc_intensity *out, const struct llmc__point *p,
                        llmc_basis basis, const char *zone, const char *source,
                        const char *dataset, const char *provenance,
                        const char *licence);

#endif
