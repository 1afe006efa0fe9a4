/*
 * sample.c - one sample: read the meters, decide which channels this
 * process counts, split the interval between phases, and add
 * dE x PUE x CI(t) and the embodied share of the interval. Called with mu
 * held, from the sampler thread, from stop, or inline from a step.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../core/internal.h"
#include "../meter/backend.h"
#include "tracker.h"

/* Samples before this many have passed are warm-up for the projection. */
#define WARMUP_SAMPLES 2

static void elect(llmc_tracker *t, size_t i)
{
    const struct llmc__channel *ch = &t->meter->channels[i];
    struct llmc__chan *c = &t->chans[i];
    int h;

    if (c->held || !c->owned)
        return;
    if (!ch->lock_key[0]) { /* const, model, replay: nothing to share */
        c->held = 1;
        return;
    }
    h = llmc__lock_try(t, ch->lock_key);
    if (h >= 0) {
        c->held = 1;
        c->lock_fd = h;
        c->note[0] = '\0';
    } else if (h == -1) {
        snprintf(c->note, sizeof c->note,
                 "read by another process on this node (%s)", ch->lock_key);
    } else {
        /* no lock can be taken: count, and say that another process doing
         * the same would count this device twice */
        c->held = 1;
        snprintf(c->note, sizeof c->note,
                 "counted without a node lock (the runtime directory is "
                 "unusable; set runtime_dir)");
    }
}

/* Seconds of [from, to] that each phase was current. */
static void phase_time(llmc_tracker *t, int64_t from, int64_t to,
                       double out[LLMC__PHASES])
{
    unsigned cur = t->phase_at_last_sample;
    int64_t at = from;
    memset(out, 0, sizeof(double) * LLMC__PHASES);
    for (unsigned i = 0; i < t->nswitches; i++) {
        int64_t sw = t->switches[i].t_ns;
        if (sw > at && sw <= to) {
            out[cur] += (double)(sw - at) / 1e9;
            at = sw;
        }
        if (sw <= to)
            cur = t->switches[i].phase;
    }
    out[cur] += (double)(to - at) / 1e9;
    t->phase_at_last_sample = cur;
    /* keep only the switch that sets the current phase */
    t->switches[0].t_ns = to;
    t->switches[0].phase = cur;
    t->nswitches = 1;
}

void llmc__tracker_prefetch(llmc_tracker *t)
{
    llmc_intensity_init(&t->prefetched, sizeof t->prefetched);
    t->prefetched_rc = llmc_grid_intensity_at(&t->prefetched, t->grid,
                                              (int64_t)time(NULL));
    if (t->prefetched_rc != LLMC_OK)
        snprintf(t->prefetched_error, sizeof t->prefetched_error, "%s",
                 llmc_last_error());
}

static void refresh_intensity(llmc_tracker *t)
{
    llmc_intensity ci;
    int rc;
    if (t->prefetched_rc != 1) { /* the sampler asked already, unlocked */
        ci = t->prefetched;
        rc = t->prefetched_rc;
        t->prefetched_rc = 1;
    } else {
        llmc_intensity_init(&ci, sizeof ci);
        rc = llmc_grid_intensity_at(&ci, t->grid, (int64_t)time(NULL));
        if (rc != LLMC_OK)
            snprintf(t->prefetched_error, sizeof t->prefetched_error, "%s",
                     llmc_last_error());
    }
    if (rc == LLMC_OK) {
        t->intensity = ci;
        /* the fallback text is the sampling thread's: not kept */
        t->intensity.fallback = "";
        t->intensity_ok = 1;
        t->grid_problem[0] = '\0';
        if (ci.fallback && *ci.fallback)
            llmc__problem(t, "grid fallback: %.200s", ci.fallback);
    } else {
        snprintf(t->grid_problem, sizeof t->grid_problem, "%s",
                 t->prefetched_error);
        llmc__problem(t, "grid: %.200s (the last known intensity is used)",
                      t->grid_problem);
    }
}

static void count_steps(llmc_tracker *t, uint64_t steps[LLMC__PHASES],
                        uint64_t tokens[LLMC__PHASES])
{
    for (unsigned p = 0; p < LLMC__PHASES; p++) {
        uint64_t s = 0, k = 0;
        for (unsigned i = 0; i < LLMC__SLOTS; i++) {
            s += atomic_load_explicit(&t->slots[i].steps[p],
                                      memory_order_relaxed);
            k += atomic_load_explicit(&t->slots[i].tokens[p],
                                      memory_order_relaxed);
        }
        steps[p] = s - t->seen_steps[p];
        tokens[p] = k - t->seen_tokens[p];
        t->seen_steps[p] = s;
        t->seen_tokens[p] = k;
    }
}

static void track_rate(llmc_tracker *t, double train_j, uint64_t train_tokens,
                       double dt)
{
    double r, d;
    if (train_tokens == 0)
        return;
    if (++t->train_samples <= WARMUP_SAMPLES)
        return; /* warm-up: compilation, data loader start, first steps */
    r = train_j / (double)train_tokens;
    t->post_warmup_j += train_j;
    t->post_warmup_tokens += (double)train_tokens;
    t->post_warmup_s += dt;
    /* Welford: mean and variance of the per-interval J/token */
    t->rate_n += 1.0;
    d = r - t->rate_mean;
    t->rate_mean += d / t->rate_n;
    t->rate_m2 += d * (r - t->rate_mean);
}

void llmc__tracker_sample(llmc_tracker *t, int kind)
{
    int64_t now;
    double dt, de = 0.0, op = 0.0, emb = 0.0, frac[LLMC__PHASES];
    double ptime[LLMC__PHASES];
    uint64_t steps[LLMC__PHASES], tokens[LLMC__PHASES];

    llmc_meter_read(t->meter);
    now = llmc__now_ns();
    dt = (double)(now - t->last_ns) / 1e9;
    if (kind == LLMC__SAMPLE_BASELINE) {
        for (size_t i = 0; i < t->nchans; i++) {
            elect(t, i);
            t->chans[i].last_j = t->meter->channels[i].energy_j;
        }
        refresh_intensity(t);
        t->last_ns = now;
        return;
    }

    for (size_t i = 0; i < t->nchans; i++) {
        const struct llmc__channel *ch = &t->meter->channels[i];
        struct llmc__chan *c = &t->chans[i];
        double e = ch->energy_j;
        t->quality |= ch->quality;
        c->delta_j = 0.0;
        /* measured: a channel reads energy, whoever counts it; a rank whose
         * devices another process counts has measured 0 J, not nothing */
        if (!isnan(e) && c->owned)
            t->measured = 1;
        if (!c->held) {
            elect(t, i);
            c->last_j = e; /* a new holder counts from here on */
            continue;
        }
        if (!isnan(e) && !isnan(c->last_j) && e >= c->last_j) {
            c->delta_j = e - c->last_j;
            c->counted_j += c->delta_j;
            de += c->delta_j;
        }
        if (!isnan(e))
            c->last_j = e;
    }

    refresh_intensity(t);
    if (dt > 0.0) {
        if (t->intensity_ok)
            llmc_account_operational(&op, de, t->pue, t->intensity.gco2e_per_kwh);
        if (t->embodied_devices > 0)
            llmc_account_embodied(&emb, t->embodied_per_device_kgco2e *
                                            t->embodied_devices,
                                  dt, t->lifetime_s);
    }

    count_steps(t, steps, tokens);
    phase_time(t, t->last_ns, now, ptime);
    for (unsigned p = 0; p < LLMC__PHASES; p++) {
        struct llmc__acc *a = &t->phases[p];
        frac[p] = dt > 0.0 ? ptime[p] / dt : (p == t->phase_at_last_sample);
        a->energy_j += de * frac[p];
        a->operational_kgco2e += op * frac[p];
        a->embodied_kgco2e += emb * frac[p];
        a->duration_s += ptime[p];
        a->ci_energy_j += de * frac[p] * t->intensity.gco2e_per_kwh;
        a->steps += steps[p];
        a->tokens += tokens[p];
        if (frac[p] > 0.0)
            a->samples++;
        t->total.steps += steps[p];
        t->total.tokens += tokens[p];
    }
    t->total.energy_j += de;
    t->total.operational_kgco2e += op;
    t->total.embodied_kgco2e += emb;
    t->total.duration_s += dt;
    t->total.ci_energy_j += de * t->intensity.gco2e_per_kwh;
    if (dt > 0.0)
        t->total.samples++;
    /* only intervals spent wholly in training say what training costs */
    if (dt > 0.0 && frac[0] >= 0.999)
        track_rate(t, de, tokens[0], dt);

    if (t->log)
        llmc__log_sample(t, de, op, emb, dt);
    t->last_ns = now;
    if (t->checkpoint_path &&
        now - t->last_checkpoint_ns >= (int64_t)(t->checkpoint_interval_s * 1e9)) {
        llmc__checkpoint_write(t);
        t->last_checkpoint_ns = now;
    }
}
