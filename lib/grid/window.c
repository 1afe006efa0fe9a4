/*
 * window.c - the lowest-carbon window of a given length in what a grid
 * knows of the future: when to start a training job.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "grid.h"

#define STEP_S 300 /* WattTime's period; EM and GB points are multiples */

LLMC_API void llmc_window_init(llmc_window *out, size_t size)
{
    llmc__versioned_init(out, size);
}

static int best_window(llmc_window *out, llmc_grid *grid,
                       int64_t from_unix_s, double duration_s,
                       double within_s)
{
    llmc_window full;
    struct llmc__grid_ask ask = {0};
    double *v, sum = 0, best;
    size_t nwin, nsteps, have = 0, best_i = 0;
    int rc = LLMC_OK;

    if (!out || !grid)
        return llmc__fail(LLMC_EINVAL, "out or grid is NULL");
    if ((rc = llmc__versioned_check(out,
                                    LLMC__FIELD_END(llmc_window, start_unix_s),
                                    "llmc_window")) != LLMC_OK)
        return rc;
    /* from + 60 days of steps stays far from int64_t's limits */
    if ((rc = llmc__time_check(from_unix_s, llmc_grid_spec(grid),
                               "from_unix_s")) != LLMC_OK)
        return rc;
    if (!isfinite(duration_s) || duration_s < STEP_S || duration_s > 30 * 86400.0)
        return llmc__fail(LLMC_ERANGE,
                          "a window of %g s is not searchable; give 5 min to "
                          "30 days",
                          duration_s);
    if (!isfinite(within_s) || within_s < 0 || within_s > 30 * 86400.0)
        return llmc__fail(LLMC_ERANGE,
                          "a search over %g s is not possible; give 0 to 30 "
                          "days",
                          within_s);
    nwin = (size_t)ceil(duration_s / STEP_S);
    nsteps = nwin + (size_t)floor(within_s / STEP_S);
    if (!(v = malloc(nsteps * sizeof *v)))
        return llmc__fail(LLMC_ENOMEM, "out of memory");
    /* the intensity of each 5-minute step, as far as the data reach; a
     * live source asks for its forecast as far as the search looks, once */
    ask.want_until_unix_s = from_unix_s + (int64_t)nsteps * STEP_S;
    for (; have < nsteps; have++) {
        llmc_intensity ci;
        llmc_intensity_init(&ci, sizeof ci);
        rc = llmc__grid_intensity_at(&ci, grid,
                                     from_unix_s + (int64_t)have * STEP_S,
                                     &ask);
        if (rc != LLMC_OK)
            break;
        v[have] = ci.gco2e_per_kwh;
    }
    if (have < nwin) {
        char why[600];
        snprintf(why, sizeof why, "%s", llmc_last_error());
        free(v);
        return llmc__fail(have == 0 ? rc : LLMC_ENODATA,
                          "the data of '%s' do not cover a window of %g h "
                          "from the start: %s",
                          llmc_grid_spec(grid), duration_s / 3600, why);
    }
    for (size_t i = 0; i < nwin; i++)
        sum += v[i];
    best = sum;
    full.now_mean_gco2e_per_kwh = sum / (double)nwin;
    for (size_t i = 1; i + nwin <= have; i++) {
        sum += v[i + nwin - 1] - v[i - 1];
        if (sum < best - 1e-9) { /* the earliest of equal windows */
            best = sum;
            best_i = i;
        }
    }
    memset(&full, 0, offsetof(llmc_window, now_mean_gco2e_per_kwh));
    full.size = sizeof full;
    full.start_unix_s = from_unix_s + (int64_t)best_i * STEP_S;
    full.mean_gco2e_per_kwh = best / (double)nwin;
    full.saving_fraction = full.now_mean_gco2e_per_kwh > 0
                               ? 1.0 - full.mean_gco2e_per_kwh /
                                           full.now_mean_gco2e_per_kwh
                               : 0.0;
    full.searched_until_unix_s = from_unix_s + (int64_t)have * STEP_S;
    free(v);
    return llmc__versioned_copy(out, &full, sizeof full,
                                LLMC__FIELD_END(llmc_window, start_unix_s),
                                "llmc_window");
}

/* A call that succeeds leaves the caller's llmc_last_error() as it was
 * (the sources tried and recovered from write their own). */
LLMC_API int llmc_grid_best_window(llmc_window *out, llmc_grid *grid,
                                   int64_t from_unix_s, double duration_s,
                                   double within_s)
{
    struct llmc__error_saved saved;
    int rc;
    llmc__error_save(&saved);
    if ((rc = best_window(out, grid, from_unix_s, duration_s, within_s)) == LLMC_OK)
        llmc__error_restore(&saved);
    return rc;
}
