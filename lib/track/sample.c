/*
 * sample.c - one sample: read the meters, decide which channels this
 * process counts, split the interval between phases, and add
 * dE x PUE x CI(t) and the embodied share of the interval. Called with mu
 * held, from the sampler thread, from stop, or inline from a step.
 *
 * The grid's intensity comes from a thread of its own, which may wait for
 * the network while samples go on. An interval sampled while the grid has
 * no answer keeps its energy in a span until a value is known, and is then
 * priced with the grid's value for its time, or else the value known
 * nearest in time; each such pricing is logged and labelled.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/internal.h"
#include "../grid/grid.h"
#include "../meter/meter.h"
#include "tracker.h"

static void elect(llmc_tracker *t, size_t i)
{
    const char *lock_key = llmc__meter_lock_key(t->meter, i);
    struct llmc__chan *c = &t->chans[i];
    char why[300];
    int h, rc;

    if (c->held || !c->owned)
        return;
    if (!lock_key[0]) { /* const, model, replay: nothing to share */
        c->held = 1;
        return;
    }
    rc = llmc__lock_try(t, lock_key, &h, why, sizeof why);
    if (rc == LLMC_OK && h != LLMC__LOCK_NONE) {
        c->held = 1;
        c->lock_fd = h;
        c->note[0] = '\0';
    } else if (rc == LLMC_OK) {
        snprintf(c->note, sizeof c->note,
                 "read by another process on this node (%s)", lock_key);
    } else {
        /* no lock can be taken: count, and say that another process doing
         * the same would count this device twice */
        c->held = 1;
        snprintf(c->note, sizeof c->note,
                 "counted without a node lock: %.170s", why);
        llmc__problem(t, "device locks: %.200s; devices are counted without "
                      "one (a process doing the same counts them twice)",
                      why);
    }
}

/* Seconds of [from, to] that each phase was current. */
static void phase_time(llmc_tracker *t, int64_t from, int64_t to,
                       double *out)
{
    unsigned cur = t->phase_at_last_sample;
    int64_t at = from;
    memset(out, 0, sizeof(double) * t->nphases);
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

static double wall_now_s(void)
{
    int64_t ns = llmc__unix_ns();
    return (double)(ns / 1000000000) + (double)(ns % 1000000000) / 1e9;
}

/* ---- the grid's answers ------------------------------------------------ */

/* An answer of the grid, copied out of the asking thread's storage. */
struct answer {
    int rc;
    llmc_intensity ci;
    char provenance[700];
    char fallback[400];
    char error[400];
};

/* how: LLMC__GRID_NO_NETWORK when the asker must not wait (how_to_ask). */
static void ask(struct answer *a, llmc_grid *grid, double at_unix_s,
                const struct llmc__grid_ask *how)
{
    llmc_intensity_init(&a->ci, sizeof a->ci);
    a->rc = llmc__grid_intensity_at(&a->ci, grid, (int64_t)at_unix_s, how);
    a->provenance[0] = a->fallback[0] = a->error[0] = '\0';
    if (a->rc != LLMC_OK) {
        snprintf(a->error, sizeof a->error, "%s", llmc_last_error());
        return;
    }
    /* a stale answer's provenance and the fallback text are the asking
     * thread's, until its next question */
    snprintf(a->provenance, sizeof a->provenance, "%s",
             a->ci.provenance ? a->ci.provenance : "");
    snprintf(a->fallback, sizeof a->fallback, "%s",
             a->ci.fallback ? a->ci.fallback : "");
    a->ci.provenance = a->provenance;
    a->ci.fallback = a->fallback;
}

static void take_answer(llmc_tracker *t, const struct answer *a,
                        double asked_unix_s)
{
    if (a->rc != LLMC_OK) {
        if (t->intensity_ok || !t->grid_problem[0]) /* once per outage */
            llmc__log(LLMC_LOG_WARN, "grid: %s", a->error);
        snprintf(t->grid_problem, sizeof t->grid_problem, "%s", a->error);
        t->intensity_ok = 0;
        return;
    }
    t->intensity = a->ci;
    snprintf(t->intensity_provenance, sizeof t->intensity_provenance, "%s",
             a->provenance);
    t->intensity.provenance = t->intensity_provenance;
    t->intensity.fallback = "";
    t->intensity_ok = 1;
    t->intensity_known = 1;
    t->known_unix_s = asked_unix_s;
    /* the source's own answer holds for its data interval: not asked
     * again before it ends (an hour for Electricity Maps, half an hour for
     * the UK API), or for one interval more when the newest published one
     * lags the clock; at most an hour. A chain's fallback is asked about
     * again at the next round, so that the first source comes back. */
    t->grid_next_ask_unix_s = 0;
    if (!a->fallback[0] && a->ci.duration_s > 0) {
        double end = (double)(a->ci.start_unix_s + a->ci.duration_s);
        if (end <= asked_unix_s)
            end = asked_unix_s + (double)a->ci.duration_s;
        t->grid_next_ask_unix_s = end < asked_unix_s + 3600.0
                                      ? end
                                      : asked_unix_s + 3600.0;
    }
    t->grid_problem[0] = '\0';
    if (a->fallback[0])
        llmc__problem(t, "grid fallback: %.200s", a->fallback);
}

/* The energy waiting, in the accumulators that totals and the checkpoint
 * read: summed afresh, so that it is exactly 0 once no span is left. */
static void spans_sync(llmc_tracker *t)
{
    double total = 0.0;
    for (unsigned p = 0; p < t->nphases; p++)
        t->phases[p].unpriced_j = 0.0;
    for (unsigned i = 0; i < t->nspans; i++) {
        total += t->spans[i].total_j;
        for (unsigned p = 0; p < t->nphases; p++)
            t->phases[p].unpriced_j += t->spans[i].energy_j[p];
    }
    t->total.unpriced_j = total;
}

/* The next span, emptied; its per-phase array stays its own. */
static struct llmc__span *span_new(llmc_tracker *t)
{
    struct llmc__span *s = &t->spans[t->nspans++];
    double *energy_j = s->energy_j;
    memset(s, 0, sizeof *s);
    s->energy_j = energy_j;
    memset(energy_j, 0, sizeof *energy_j * t->nphases);
    return s;
}

void llmc__spans_carry(llmc_tracker *t)
{
    struct llmc__span *s;
    if (t->resumed.unpriced_j <= 0 || t->nspans == LLMC__SPANS)
        return;
    s = span_new(t);
    s->from_unix_s = s->to_unix_s = wall_now_s();
    s->id = ++t->span_ids;
    s->carried = 1;
    s->before_gco2e = NAN;
    for (unsigned p = 0; p < t->nphases; p++) {
        s->energy_j[p] = t->resumed_phases[p].unpriced_j;
        t->resumed_phases[p].unpriced_j = 0.0;
    }
    s->total_j = t->resumed.unpriced_j;
    t->resumed.unpriced_j = 0.0;
    spans_sync(t);
}

/* Energy without an intensity joins the last span when it follows it
 * (and the span stays within an hour), else starts one; a full list
 * widens its last span. */
static void span_add(llmc_tracker *t, double from_unix_s, double to_unix_s,
                     const double *frac, double de_j)
{
    struct llmc__span *s = t->nspans ? &t->spans[t->nspans - 1] : NULL;
    int join = s && !s->asking && !s->carried &&
               fabs(from_unix_s - s->to_unix_s) < 1e-3 &&
               to_unix_s - s->from_unix_s <= LLMC__SPAN_MAX_S;

    if (!join && t->nspans < LLMC__SPANS) {
        s = span_new(t);
        s->from_unix_s = from_unix_s;
        s->id = ++t->span_ids;
        s->before_gco2e = t->intensity_known ? t->intensity.gco2e_per_kwh
                                             : NAN;
        s->before_unix_s = t->known_unix_s;
    } else if (s->asking) {
        /* the value being asked for is for a shorter span: ask again */
        s->asking = 0;
        s->id = ++t->span_ids;
    }
    s->to_unix_s = to_unix_s;
    for (unsigned p = 0; p < t->nphases; p++)
        s->energy_j[p] += de_j * frac[p];
    s->total_j += de_j;
    spans_sync(t);
}

/* Prices span i at gco2e_per_kwh, as if its intervals had had it, logs
 * how, and drops the span. */
static void span_price(llmc_tracker *t, unsigned i, double gco2e_per_kwh,
                       int by_grid, const char *filled_by)
{
    struct llmc__span *s = &t->spans[i];
    double op_total = 0.0, *energy_j;

    for (unsigned p = 0; p < t->nphases; p++) {
        double op = 0.0, e = s->energy_j[p];
        if (e <= 0.0)
            continue;
        llmc_account_operational(&op, e, t->pue, gco2e_per_kwh);
        t->phases[p].operational_kgco2e += op;
        t->phases[p].ci_energy_j += e * gco2e_per_kwh;
        t->phases[p].filled_j += e;
        op_total += op;
    }
    t->total.operational_kgco2e += op_total;
    t->total.ci_energy_j += s->total_j * gco2e_per_kwh;
    t->total.filled_j += s->total_j;
    if (by_grid)
        t->filled_by_grid_j += s->total_j;
    else
        t->filled_by_nearest_j += s->total_j;
    if (t->log)
        llmc__log_fill(t, s, gco2e_per_kwh, op_total, filled_by);
    energy_j = s->energy_j; /* to the slot freed at the end */
    memmove(s, s + 1, sizeof *s * (t->nspans - i - 1));
    t->nspans--;
    t->spans[t->nspans].energy_j = energy_j;
    spans_sync(t);
}

/* Prices span i with the value known nearest in time to it: the one known
 * when it began or the latest. LLMC_OK, or LLMC_ENODATA when none is
 * known (the span waits). */
static int span_nearest(llmc_tracker *t, unsigned i)
{
    const struct llmc__span *s = &t->spans[i];
    double mid = (s->from_unix_s + s->to_unix_s) / 2, g, at;
    char how[200];

    if (!t->intensity_known && isnan(s->before_gco2e))
        return LLMC_ENODATA;
    g = t->intensity.gco2e_per_kwh;
    at = t->known_unix_s;
    if (!isnan(s->before_gco2e) &&
        (!t->intensity_known ||
         fabs(mid - s->before_unix_s) <= fabs(mid - at))) {
        g = s->before_gco2e;
        at = s->before_unix_s;
    }
    if (s->carried)
        snprintf(how, sizeof how,
                 "nearest value known in time (energy of the run before the "
                 "checkpoint, of unknown time)");
    else
        snprintf(how, sizeof how,
                 "nearest value known in time (asked %.0f s %s the span's "
                 "middle); the grid had none for the span's own time",
                 fabs(at - mid), at < mid ? "before" : "after");
    span_price(t, i, g, 0, how);
    return LLMC_OK;
}

static int span_find(const llmc_tracker *t, uint64_t id)
{
    for (unsigned i = 0; i < t->nspans; i++)
        if (t->spans[i].id == id)
            return (int)i;
    return -1;
}

/* How the grid is asked: by its own thread (unlock, mu released), over
 * the network if need be, a request in flight ended when the tracker
 * stops (grid_cancel); by the sample itself, never the network, so that
 * no sample (one inside llmc_tracker_step above all) waits for it. */
static struct llmc__grid_ask how_to_ask(llmc_tracker *t, int unlock)
{
    struct llmc__grid_ask how = {0};
    if (unlock)
        how.cancel = &t->grid_cancel;
    else
        how.flags = LLMC__GRID_NO_NETWORK;
    return how;
}

/* Asks the grid for the time of each span waiting for a value, and prices
 * them: with its answer, else with the value nearest in time. unlock:
 * the questions are asked with mu released (the grid thread); otherwise
 * the sample itself asks, and never the network. */
static void price_spans(llmc_tracker *t, int unlock)
{
    struct { uint64_t id; double mid; struct answer a; } *q;
    struct llmc__grid_ask how = how_to_ask(t, unlock);
    unsigned n = 0;

    if (!t->nspans || !t->intensity_known)
        return;
    if (!(q = calloc(LLMC__SPANS, sizeof *q))) {
        for (unsigned i = t->nspans; i-- > 0;)
            span_nearest(t, i);
        return;
    }
    for (unsigned i = t->nspans; i-- > 0;)
        if (t->spans[i].carried)
            span_nearest(t, i);
    for (unsigned i = 0; i < t->nspans; i++) {
        struct llmc__span *s = &t->spans[i];
        if (s->asking)
            continue;
        s->asking = 1;
        q[n].id = s->id;
        q[n].mid = (s->from_unix_s + s->to_unix_s) / 2;
        n++;
    }
    if (unlock)
        pthread_mutex_unlock(&t->mu);
    for (unsigned k = 0; k < n; k++) {
        if (atomic_load(&t->grid_cancel)) {
            q[k].a.rc = LLMC_ENET; /* the value nearest in time will do */
            continue;
        }
        ask(&q[k].a, t->grid, q[k].mid, &how);
    }
    if (unlock)
        pthread_mutex_lock(&t->mu);
    for (unsigned k = 0; k < n && !t->grid_quit; k++) {
        int i = span_find(t, q[k].id);
        const llmc_intensity *ci = &q[k].a.ci;
        char how[300];
        if (i < 0)
            continue; /* priced by the stop, or widened since */
        t->spans[i].asking = 0;
        if (q[k].a.rc != LLMC_OK) {
            span_nearest(t, (unsigned)i);
            continue;
        }
        snprintf(how, sizeof how, "the grid's value for the span's time "
                 "(%s%s%s%s)",
                 ci->source && *ci->source ? ci->source : llmc_grid_spec(t->grid),
                 ci->zone && *ci->zone ? " " : "", ci->zone ? ci->zone : "",
                 q[k].a.fallback[0] ? ", from the chain's next source" : "");
        span_price(t, (unsigned)i, ci->gco2e_per_kwh, 1, how);
    }
    free(q);
}

/* One round: the grid's value for now, then the spans it can price. mu is
 * held on entry and on return. */
static void grid_round(llmc_tracker *t, int unlock)
{
    struct answer *a;
    struct llmc__grid_ask how = how_to_ask(t, unlock);
    double asked = wall_now_s();

    if (t->intensity_ok && asked < t->grid_next_ask_unix_s) {
        /* the last answer still holds for now: the grid is asked only
         * about the spans waiting for a value */
        t->known_unix_s = asked;
        price_spans(t, unlock);
        return;
    }
    if (!(a = malloc(sizeof *a)))
        return; /* out of memory: the next round asks again */
    if (unlock)
        pthread_mutex_unlock(&t->mu);
    ask(a, t->grid, asked, &how);
    if (unlock)
        pthread_mutex_lock(&t->mu);
    if (!t->grid_quit) {
        take_answer(t, a, asked);
        if (a->rc == LLMC_OK)
            price_spans(t, unlock);
    }
    free(a);
}

/* Manual time (lib/core/clock.c) waits for the grid thread: from the
 * wake-up that gives it a round until it is idle again, it counts as a
 * thread that runs, so that a test's advance returns with the answer in.
 * mu held. */
static void grid_wake_up(llmc_tracker *t)
{
    t->grid_wake = 1;
    if (!t->grid_held) {
        t->grid_held = 1;
        llmc__clock_expect();
    }
}

static void grid_idle(llmc_tracker *t)
{
    if (t->grid_held) {
        t->grid_held = 0;
        llmc__clock_unexpect();
    }
}

static void *grid_main(void *arg)
{
    llmc_tracker *t = arg;
    pthread_mutex_lock(&t->mu);
    while (!t->grid_quit) {
        if (!t->grid_wake) {
            grid_idle(t);
            pthread_cond_wait(&t->grid_cv, &t->mu);
            continue;
        }
        t->grid_wake = 0;
        t->grid_busy = 1;
        grid_round(t, 1);
        t->grid_busy = 0;
        t->grid_rounds++;
        pthread_cond_broadcast(&t->grid_cv);
        /* the lines of the spans it priced, written with mu released */
        llmc__writer_flush_released(t);
    }
    grid_idle(t);
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

int llmc__grid_thread_start(llmc_tracker *t)
{
    pthread_mutex_lock(&t->mu);
    t->grid_quit = 0;
    t->grid_next_ask_unix_s = 0;
    grid_wake_up(t); /* the first question, at once */
    pthread_mutex_unlock(&t->mu);
    if (pthread_create(&t->grid_thread, NULL, grid_main, t) != 0) {
        pthread_mutex_lock(&t->mu);
        grid_idle(t);
        pthread_mutex_unlock(&t->mu);
        return llmc__fail(LLMC_ENOMEM, "no thread could be started to ask "
                                       "the grid");
    }
    t->grid_thread_running = 1;
    return LLMC_OK;
}

void llmc__grid_thread_end(llmc_tracker *t)
{
    if (!t->grid_thread_running)
        return;
    pthread_mutex_lock(&t->mu);
    t->grid_quit = 1;
    atomic_store(&t->grid_cancel, 1); /* a fetch in flight ends soon */
    pthread_cond_broadcast(&t->grid_cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->grid_thread, NULL);
    t->grid_thread_running = 0;
}

/* After the last sample: the grid thread gets until deadline_ns to price
 * what waits; then the value nearest in time prices the rest, if one is
 * known, and the thread's later answers are dropped. mu held. The deadline
 * is on the system's monotonic clock (llmc__real_now_ns), manual time or
 * not: it bounds a wait for the network, not the run's time. */
void llmc__grid_settle(llmc_tracker *t, int64_t deadline_ns)
{
    if (t->nspans && t->grid_thread_running && !t->grid_quit) {
        /* a round under way may have asked before the last sample: the
         * one after it is the stop's */
        uint64_t want = t->grid_rounds + (t->grid_busy ? 2 : 1);
        struct timespec due;
        due.tv_sec = (time_t)(deadline_ns / 1000000000);
        due.tv_nsec = (long)(deadline_ns % 1000000000);
        grid_wake_up(t);
        pthread_cond_broadcast(&t->grid_cv);
        while (t->nspans && t->grid_rounds < want &&
               pthread_cond_timedwait(&t->grid_cv, &t->mu, &due) != ETIMEDOUT)
            ;
    } else if (t->nspans && !t->grid_thread_running) {
        grid_round(t, 0);
    }
    for (unsigned i = t->nspans; i-- > 0;)
        span_nearest(t, i);
    t->grid_quit = 1;
    atomic_store(&t->grid_cancel, 1);
    pthread_cond_broadcast(&t->grid_cv);
}

uint64_t llmc__hot_harvest(llmc_tracker *t, unsigned h)
{
    struct llmc__acc *a;
    uint64_t s = 0, k = 0, steps, tokens;
    if (t->hot_phase[h] < 0)
        return 0;
    for (unsigned i = 0; i < LLMC__SLOTS; i++) {
        s += atomic_load_explicit(&t->slots[i].steps[h], memory_order_relaxed);
        k += atomic_load_explicit(&t->slots[i].tokens[h],
                                  memory_order_relaxed);
    }
    steps = s - t->seen_steps[h];
    tokens = k - t->seen_tokens[h];
    t->seen_steps[h] = s;
    t->seen_tokens[h] = k;
    a = &t->phases[t->hot_phase[h]];
    a->steps += steps;
    a->tokens += tokens;
    t->total.steps += steps;
    t->total.tokens += tokens;
    return tokens;
}

void llmc__tracker_sample(llmc_tracker *t, int kind)
{
    int64_t now;
    double now_unix_s, dt, de = 0.0, op = 0.0, emb = 0.0, ci = NAN;
    int devices_held = 0;
    double *ptime = t->phase_scratch, *frac = t->phase_scratch + t->phase_cap;
    uint64_t train_tokens = 0;
    int priced;

    /* one clock reading ends the interval for the tracker and the meters
     * alike: a meter that counts time itself (const, model) then covers
     * exactly dt */
    now = llmc__now_ns();
    llmc__meter_read_at(t->meter, now);
    now_unix_s = wall_now_s();
    dt = (double)(now - t->last_ns) / 1e9;
    if (kind == LLMC__SAMPLE_BASELINE) {
        for (size_t i = 0; i < t->nchans; i++) {
            elect(t, i);
            t->chans[i].last_j = llmc__meter_energy_j(t->meter, i);
        }
        t->last_ns = now;
        t->last_unix_s = now_unix_s;
        /* a grid that may wait for the network is asked by its thread,
         * started next; any other answers at once */
        if (!t->grid_async)
            grid_round(t, 0);
        return;
    }

    for (size_t i = 0; i < t->nchans; i++) {
        struct llmc__chan *c = &t->chans[i];
        double e = llmc__meter_energy_j(t->meter, i);
        t->quality |= llmc__meter_quality(t->meter, i);
        c->delta_j = 0.0;
        /* measured: a channel reads energy, whoever counts it. A rank whose
         * devices another process counts, or whose node's GPUs all belong
         * to other local ranks, has measured 0 J, not nothing: the job's
         * sum over its ranks is then known */
        if (!isnan(e))
            t->measured = 1;
        if (!c->held) {
            elect(t, i);
            c->last_j = e; /* a new holder counts from here on */
            continue;
        }
        devices_held += c->device;
        if (!isnan(e) && !isnan(c->last_j) && e >= c->last_j) {
            c->delta_j = e - c->last_j;
            c->counted_j += c->delta_j;
            de += c->delta_j;
        }
        if (!isnan(e))
            c->last_j = e;
    }

    if (!t->grid_thread_running)
        grid_round(t, 0); /* never the network: a sample never waits */
    /* an interval without an intensity is not 0 gCO2e: its energy waits
     * in a span for a value (priced below, or by the grid thread) */
    priced = t->intensity_ok || de <= 0.0;
    if (t->intensity_ok)
        ci = t->intensity.gco2e_per_kwh;
    if (dt > 0.0) {
        int devices = t->embodied_by_held ? devices_held
                                          : t->embodied_devices;
        if (t->intensity_ok)
            llmc_account_operational(&op, de, t->pue, ci);
        if (t->embodied_included && devices > 0)
            llmc_account_embodied(&emb, t->embodied_per_device_kgco2e *
                                            devices,
                                  dt, t->lifetime_s);
    }

    for (unsigned h = 0; h < LLMC__HOT; h++) {
        uint64_t k = llmc__hot_harvest(t, h);
        if (h == 0) /* "train"'s, always */
            train_tokens = k;
    }
    phase_time(t, t->last_ns, now, ptime);
    for (unsigned p = 0; p < t->nphases; p++) {
        struct llmc__acc *a = &t->phases[p];
        frac[p] = dt > 0.0 ? ptime[p] / dt : (p == t->phase_at_last_sample);
        a->energy_j += de * frac[p];
        a->operational_kgco2e += op * frac[p];
        a->embodied_kgco2e += emb * frac[p];
        a->duration_s += ptime[p];
        if (t->intensity_ok)
            a->ci_energy_j += de * frac[p] * ci;
        if (frac[p] > 0.0)
            a->samples++;
    }
    t->total.energy_j += de;
    t->total.operational_kgco2e += op;
    t->total.embodied_kgco2e += emb;
    t->total.duration_s += dt;
    if (t->intensity_ok)
        t->total.ci_energy_j += de * ci;
    if (dt > 0.0)
        t->total.samples++;
    if (!priced)
        span_add(t, t->last_unix_s, now_unix_s, frac, de);
    /* only intervals spent wholly in training say what training costs */
    if (dt > 0.0 && frac[0] >= 0.999)
        llmc__rate_add(&t->rate, LLMC__WARMUP_SAMPLES, de, train_tokens,
                       dt);

    if (t->log)
        llmc__log_sample(t, de, priced ? op : NAN, emb, dt);
    {
        /* the interval on its own, for the windows */
        struct llmc__acc iv;
        memset(&iv, 0, sizeof iv);
        iv.energy_j = de;
        iv.operational_kgco2e = op;
        iv.embodied_kgco2e = emb;
        iv.duration_s = dt;
        iv.ci_energy_j = t->intensity_ok ? de * ci : 0.0;
        iv.unpriced_j = priced ? 0.0 : de;
        iv.samples = dt > 0.0;
        llmc__windows_sample(t, &iv, t->last_ns, now);
    }
    t->last_ns = now;
    t->last_unix_s = now_unix_s;
    if (t->grid_thread_running && !t->grid_quit) {
        grid_wake_up(t); /* the value for the next interval */
        pthread_cond_broadcast(&t->grid_cv);
    }
    if (t->checkpoint_path &&
        now - t->last_checkpoint_ns >= llmc__ns_of_s(t->checkpoint_interval_s)) {
        llmc__checkpoint_queue(t); /* written with mu released */
        t->last_checkpoint_ns = now;
    }
}
