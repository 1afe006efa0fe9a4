/*
 * combine.c - the totals of a job from the totals of its processes.
 *
 * Each process of a job counts the devices it holds (one reader per
 * device on a node: election.c), so the job's energy and carbon are the
 * sums of its processes' figures, with each device in exactly one of
 * them. Used by the MPI reduction (libllmcarbon-mpi) and by bindings that
 * gather totals through their own collectives (mpi4py, torch.distributed).
 */
#include <math.h>
#include <string.h>

#include "../core/internal.h"
#include "tracker.h"

/* The part as the full structure: fields past an older caller's size are
 * unknown (NaN) or 0. */
static void part_in(llmc_totals *full, const llmc_totals *part)
{
    size_t n = part->size < sizeof *full ? part->size : sizeof *full;
    memset(full, 0, sizeof *full);
    full->duration_s = full->energy_j = full->energy_kwh = NAN;
    full->operational_kgco2e = full->embodied_kgco2e = NAN;
    full->total_kgco2e = full->intensity_gco2e_per_kwh = NAN;
    full->projected_total_kgco2e = full->projected_low_kgco2e = NAN;
    full->projected_high_kgco2e = NAN;
    memcpy(full, part, n);
    full->size = sizeof *full;
}

LLMC_API int llmc_totals_combine(llmc_totals *out,
                                 const llmc_totals *const *parts, size_t n)
{
    llmc_totals sum, p;
    double priced_j = 0.0, ci_priced = 0.0, ci_any = NAN;
    int measured = 1;

    if (!out || (n > 0 && !parts))
        return llmc__fail(LLMC_EINVAL, "llmc_totals_combine: out or parts "
                                       "is NULL");
    if (n == 0)
        return llmc__fail(LLMC_EINVAL, "llmc_totals_combine: no parts; give "
                                       "the totals of at least one process");
    for (size_t i = 0; i < n; i++) {
        if (!parts[i])
            return llmc__fail(LLMC_EINVAL, "llmc_totals_combine: part %zu "
                                           "is NULL", i);
        if (parts[i]->size < LLMC__TOTALS_MIN)
            return llmc__fail(LLMC_EINVAL, "llmc_totals_combine: part %zu "
                              "has size %u, too small for an llmc_totals; "
                              "fill it with llmc_tracker_totals after "
                              "llmc_totals_init", i, parts[i]->size);
    }

    memset(&sum, 0, sizeof sum);
    sum.size = sizeof sum;
    sum.duration_s = 0.0;
    for (size_t i = 0; i < n; i++) {
        part_in(&p, parts[i]);
        /* the job lasts as long as its longest process */
        if (isnan(p.duration_s))
            sum.duration_s = NAN;
        else if (p.duration_s > sum.duration_s)
            sum.duration_s = p.duration_s;
        /* NaN in one part (nothing measured there) stays NaN: a job's
         * figure is known only when every process's is */
        sum.energy_j += p.energy_j;
        sum.operational_kgco2e += p.operational_kgco2e;
        sum.embodied_kgco2e += p.embodied_kgco2e;
        sum.total_kgco2e += p.total_kgco2e;
        sum.steps += p.steps;
        sum.tokens += p.tokens;
        sum.samples += p.samples;
        measured &= p.measured != 0;
        sum.quality |= p.quality;
        sum.projected_total_kgco2e += p.projected_total_kgco2e;
        sum.projected_low_kgco2e += p.projected_low_kgco2e;
        sum.projected_high_kgco2e += p.projected_high_kgco2e;
        sum.filled_energy_j += p.filled_energy_j;
        sum.unpriced_energy_j += p.unpriced_energy_j;
        /* the intensity, weighted by the energy each process priced */
        if (!isnan(p.intensity_gco2e_per_kwh)) {
            double priced = p.energy_j - p.unpriced_energy_j;
            if (isnan(ci_any))
                ci_any = p.intensity_gco2e_per_kwh;
            if (isfinite(priced) && priced > 0) {
                priced_j += priced;
                ci_priced += priced * p.intensity_gco2e_per_kwh;
            }
        }
    }
    sum.energy_kwh = sum.energy_j / LLMC__J_PER_KWH;
    sum.measured = measured;
    sum.j_per_token = sum.tokens ? sum.energy_j / (double)sum.tokens : NAN;
    sum.gco2e_per_token =
        sum.tokens ? sum.total_kgco2e * 1000.0 / (double)sum.tokens : NAN;
    sum.intensity_gco2e_per_kwh = priced_j > 0 ? ci_priced / priced_j : ci_any;
    return llmc__versioned_copy(out, &sum, sizeof sum, LLMC__TOTALS_MIN,
                                "llmc_totals");
}
