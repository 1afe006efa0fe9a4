/*
 * project.h - the projection of a run's footprint to its target token
 * count, one arithmetic for the tracker (report.c, from its sampler's
 * statistics) and for the run-log reader (runlog.c, from a log's sample
 * and plan lines): the same figures from either.
 */
#ifndef LLMC_TRACK_PROJECT_H
#define LLMC_TRACK_PROJECT_H

#include <stdint.h>

#include <jansson.h>

/* The training intervals that come first and are not counted: compilation,
 * the data loader's start, the first steps. Written on the log's plan
 * line, so a reader skips the same. */
#define LLMC__WARMUP_SAMPLES 2

/* What the J/token of training intervals has been: those wholly in the
 * first phase ("train") with tokens, after the warm-up. */
struct llmc__rate {
    unsigned train_samples;            /* with the warm-up */
    double n, mean, m2;                /* Welford, of the J/token */
    double j, tokens, s;               /* after the warm-up */
};

/* Counts one interval of training: train_j joules, train_tokens tokens in
 * dt_s seconds; the first warmup of them are skipped. */
void llmc__rate_add(struct llmc__rate *r, unsigned warmup, double train_j,
                    uint64_t train_tokens, double dt_s);

/* What the projection rests on besides the rate. */
struct llmc__projection_in {
    uint64_t target_tokens;            /* 0: no plan, nothing projected */
    uint64_t tokens;                   /* trained on so far */
    double total_kgco2e;               /* so far */
    /* the intensity so far, weighted by the energy it priced */
    double energy_j, unpriced_j, ci_energy_j;
    /* the other phases' share: all energy over the first phase's */
    double run_energy_j, first_phase_energy_j;
    /* embodied per second */
    double embodied_kgco2e, duration_s;
    double pue;
    struct llmc__rate rate;
};

/* The footprint at target_tokens, and its 95% range from the interval of
 * the mean J/token: out[0] total, out[1] low, out[2] high; all NaN where
 * it cannot be made yet. */
void llmc__project(double out[3], const struct llmc__projection_in *in);

/* Why there is no projection while the training intervals are too few. */
#define LLMC__PROJECTION_NOT_YET                                              \
    "not yet: needs at least two training intervals after the warm-up"

/* The "projection" object of a report (the tracker's and a log's alike):
 * target_tokens (null for 0), total_kgco2e and range_kgco2e from
 * projected[3] (null where NaN), the plan's total and range when plan_lo
 * is a number, and note when it is not NULL; *ok is cleared for want of
 * memory. */

json_t *llmc__projection_json(uint64_t target_tokens,
                              const double projected[3], double plan_lo,
                              double plan_hi, const char *note, int *ok);

#endif
