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

/* The grid's intensity is taken as a step function over 5-minute steps
 * aligned to the epoch (WattTime's period; the points of the other
 * sources, hours and half hours, are whole numbers of them). A window may
 * start now or at a step's start, so that it starts when a lower value
 * does, and its mean is over its seconds: a partial step at either end
 * counts for the seconds it covers. */
struct steps {
    int64_t first_s;   /* the start of step 0: now, rounded up to a step */
    double before;     /* the value from now to first_s (when they differ) */
    double *sum;       /* sum[i]: the values of steps 0..i-1 added */
    size_t have;       /* steps known from first_s on */
};

/* The integral of the intensity (g/kWh x s) over duration_s from the
 * start of step k, or -1 when the data do not reach its end. */
static double window_integral(const struct steps *st, size_t k,
                              double duration_s)
{
    size_t m = (size_t)floor(duration_s / STEP_S);
    double rest = duration_s - (double)m * STEP_S;
    size_t need = k + m + (rest > 0 ? 1 : 0);
    if (need > st->have)
        return -1;
    return STEP_S * (st->sum[k + m] - st->sum[k]) +
           (rest > 0 ? rest * (st->sum[k + m + 1] - st->sum[k + m]) : 0.0);
}

static int best_window(llmc_window *out, llmc_grid *grid,
                       int64_t from_unix_s, double duration_s,
                       double within_s)
{
    llmc_window full;
    struct llmc__grid_ask ask = {0};
    struct steps st = {0};
    double now_integral, best, lead_s;
    size_t nsteps, best_k = 0;
    int best_is_now = 1, rc = LLMC_OK;
    int64_t until_s;

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
    st.first_s = from_unix_s + (STEP_S - from_unix_s % STEP_S) % STEP_S;
    lead_s = (double)(st.first_s - from_unix_s);
    until_s = from_unix_s + (int64_t)ceil(within_s + duration_s);
    nsteps = (size_t)((until_s - st.first_s + STEP_S - 1) / STEP_S);
    if (!(st.sum = malloc((nsteps + 1) * sizeof *st.sum)))
        return llmc__fail(LLMC_ENOMEM, "out of memory");
    /* a live source asks for its forecast as far as the search looks,
     * once */
    ask.want_until_unix_s = st.first_s + (int64_t)nsteps * STEP_S;
    if (lead_s > 0) {
        llmc_intensity ci;
        llmc_intensity_init(&ci, sizeof ci);
        rc = llmc__grid_intensity_at(&ci, grid, from_unix_s, &ask);
        st.before = ci.gco2e_per_kwh;
    }
    st.sum[0] = 0.0;
    for (; rc == LLMC_OK && st.have < nsteps; st.have++) {
        llmc_intensity ci;
        llmc_intensity_init(&ci, sizeof ci);
        rc = llmc__grid_intensity_at(&ci, grid,
                                     st.first_s + (int64_t)st.have * STEP_S,
                                     &ask);
        if (rc != LLMC_OK)
            break;
        st.sum[st.have + 1] = st.sum[st.have] + ci.gco2e_per_kwh;
    }
    /* starting now: the partial step before the first whole one (none
     * when now is a step's start), then the rest of the window */
    now_integral = window_integral(&st, 0, duration_s - lead_s);
    if (now_integral >= 0)
        now_integral += lead_s * st.before;
    if (now_integral < 0) {
        char why[600];
        snprintf(why, sizeof why, "%s", llmc_last_error());
        free(st.sum);
        return llmc__fail(st.have == 0 && rc != LLMC_OK ? rc : LLMC_ENODATA,
                          "the data of '%s' do not cover a window of %g h "
                          "from the start: %s",
                          llmc_grid_spec(grid), duration_s / 3600, why);
    }
    /* the earliest of equal windows: now first, then the steps in turn */
    best = now_integral;
    for (size_t k = 0;
         st.first_s + (int64_t)k * STEP_S <= from_unix_s + (int64_t)within_s;
         k++) {
        double w = window_integral(&st, k, duration_s);
        if (w < 0)
            break;
        if (w < best - 1e-9 * duration_s) {
            best = w;
            best_k = k;
            best_is_now = 0;
        }
    }
    memset(&full, 0, sizeof full);
    full.size = sizeof full;
    full.start_unix_s = best_is_now ? from_unix_s
                                    : st.first_s + (int64_t)best_k * STEP_S;
    full.mean_gco2e_per_kwh = best / duration_s;
    full.now_mean_gco2e_per_kwh = now_integral / duration_s;
    full.saving_fraction = full.now_mean_gco2e_per_kwh > 0
                               ? 1.0 - full.mean_gco2e_per_kwh /
                                           full.now_mean_gco2e_per_kwh
                               : 0.0;
    /* how far the data were read: the end of the last window searched,
     * or where the data end before it */
    full.searched_until_unix_s = st.first_s + (int64_t)st.have * STEP_S;
    if (full.searched_until_unix_s > until_s)
        full.searched_until_unix_s = until_s;
    free(st.sum);
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
