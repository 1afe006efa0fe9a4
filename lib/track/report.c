/*
 * report.c - what a tracker tells: totals (whole run or one phase), each
 * channel as this process counted it, the projection to the target token
 * count, and the whole report as JSON.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "../core/json.h"
#include "../meter/meter.h"
#include "tracker.h"

void llmc__rate_add(struct llmc__rate *r, unsigned warmup, double train_j,
                    uint64_t train_tokens, double dt_s)
{
    double x, d;
    if (train_tokens == 0)
        return;
    if (++r->train_samples <= warmup)
        return; /* warm-up: compilation, data loader start, first steps */
    x = train_j / (double)train_tokens;
    r->j += train_j;
    r->tokens += (double)train_tokens;
    r->s += dt_s;
    /* Welford: mean and variance of the per-interval J/token */
    r->n += 1.0;
    d = x - r->mean;
    r->mean += d / r->n;
    r->m2 += d * (x - r->mean);
}

/* The final footprint at target_tokens, from the J/token of training
 * intervals after the warm-up, the run's other phases in proportion, the
 * energy-weighted intensity so far and the embodied rate. low/high use the
 * 95% interval of the mean J/token. */
void llmc__project(double out[3], const struct llmc__projection_in *in)
{
    const struct llmc__rate *r = &in->rate;
    double remaining, rate, se, overhead, ci, tokens_per_s, kg_per_j;
    double emb_per_s, rates[3];

    out[0] = out[1] = out[2] = NAN;
    if (!in->target_tokens || r->n < 2 || r->tokens <= 0 || r->s <= 0 ||
        in->energy_j <= 0 || !isfinite(in->total_kgco2e) ||
        in->energy_j - in->unpriced_j <= 0)
        return;
    remaining = (double)in->target_tokens - (double)in->tokens;
    if (remaining < 0)
        remaining = 0;
    rate = r->j / r->tokens;
    se = sqrt(r->m2 / (r->n - 1.0) / r->n);
    /* eval and checkpoint phases recur: keep their share of the energy */
    overhead = in->first_phase_energy_j > 0
                   ? in->run_energy_j / in->first_phase_energy_j
                   : 1.0;
    ci = in->ci_energy_j / (in->energy_j - in->unpriced_j);
    /* the kilograms of one more joule, by the one accounting path */
    if (llmc_account_operational(&kg_per_j, 1.0, in->pue, ci) != LLMC_OK)
        return;
    tokens_per_s = r->tokens / r->s;
    emb_per_s = in->duration_s > 0 ? in->embodied_kgco2e / in->duration_s
                                   : 0.0;
    rates[0] = rate;
    rates[1] = fmax(rate - 1.96 * se, 0.0);
    rates[2] = rate + 1.96 * se;
    for (int i = 0; i < 3; i++)
        out[i] = in->total_kgco2e +
                 (remaining * rates[i] * overhead * kg_per_j +
                  emb_per_s * remaining / tokens_per_s);
}

/* The tracker's projection: what it counted, with what it took over from
 * a checkpoint (sum), and its sampler's rate. */
static void project(const llmc_tracker *t, const struct llmc__acc *sum,
                    llmc_totals *out)
{
    struct llmc__projection_in in = {
        .target_tokens = t->target_tokens,
        .tokens = sum->tokens,
        .total_kgco2e = out->total_kgco2e,
        .energy_j = sum->energy_j,
        .unpriced_j = sum->unpriced_j,
        .ci_energy_j = sum->ci_energy_j,
        .run_energy_j = t->total.energy_j,
        .first_phase_energy_j = t->phases[0].energy_j,
        .embodied_kgco2e = t->total.embodied_kgco2e,
        .duration_s = t->total.duration_s,
        .pue = t->pue,
        .rate = t->rate};
    double v[3];
    llmc__project(v, &in);
    out->projected_total_kgco2e = v[0];
    out->projected_low_kgco2e = v[1];
    out->projected_high_kgco2e = v[2];
}

static void add(struct llmc__acc *s, const struct llmc__acc *a,
                const struct llmc__acc *b)
{
    s->energy_j = a->energy_j + b->energy_j;
    s->operational_kgco2e = a->operational_kgco2e + b->operational_kgco2e;
    s->embodied_kgco2e = a->embodied_kgco2e + b->embodied_kgco2e;
    s->duration_s = a->duration_s + b->duration_s;
    s->ci_energy_j = a->ci_energy_j + b->ci_energy_j;
    s->unpriced_j = a->unpriced_j + b->unpriced_j;
    s->filled_j = a->filled_j + b->filled_j;
    s->steps = a->steps + b->steps;
    s->tokens = a->tokens + b->tokens;
    s->samples = a->samples + b->samples;
}

/* phase -1: the whole run */
void llmc__totals_fill(llmc_totals *o, const llmc_tracker *t, int phase)
{
    struct llmc__acc s;
    if (phase < 0)
        add(&s, &t->total, &t->resumed);
    else
        add(&s, &t->phases[phase], &t->resumed_phases[phase]);
    llmc__totals_of(o, t, &s);
    if (phase < 0)
        project(t, &s, o);
}

void llmc__totals_of(llmc_totals *o, const llmc_tracker *t,
                     const struct llmc__acc *a)
{
    struct llmc__acc s = *a;
    double waiting, priced;
    waiting = s.unpriced_j;
    priced = s.energy_j - waiting;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->duration_s = s.duration_s;
    o->energy_j = t->measured || t->resumed.energy_j > 0 ? s.energy_j : NAN;
    o->energy_kwh = o->energy_j / LLMC__J_PER_KWH;
    /* no energy, or energy for which no intensity was ever known: unknown,
     * not 0; energy that waits while a value is known is priced by the
     * grid thread's next round, or by the stop */
    o->operational_kgco2e =
        (t->measured || t->resumed.energy_j > 0) &&
                !(waiting > 0 && !t->intensity_known)
            ? s.operational_kgco2e
            : NAN;
    o->embodied_kgco2e = s.embodied_kgco2e;
    /* an unknown operational figure makes the total unknown, not smaller */
    o->total_kgco2e = o->operational_kgco2e + o->embodied_kgco2e;
    o->steps = s.steps;
    o->tokens = s.tokens;
    o->samples = s.samples;
    o->j_per_token = s.tokens ? o->energy_j / (double)s.tokens : NAN;
    o->gco2e_per_token = s.tokens ? o->total_kgco2e * 1000.0 / (double)s.tokens
                                  : NAN;
    o->intensity_gco2e_per_kwh =
        priced > 0 ? s.ci_energy_j / priced
                   : (t->intensity_ok ? t->intensity.gco2e_per_kwh : NAN);
    o->measured = t->measured;
    o->quality = t->quality;
    o->projected_total_kgco2e = o->projected_low_kgco2e =
        o->projected_high_kgco2e = NAN;
    o->filled_energy_j = s.filled_j;
    o->unpriced_energy_j = waiting;
}

/* How the energy of intervals without an intensity was priced. */
static void filled_by(char *buf, size_t size, const llmc_tracker *t)
{
    if (t->filled_by_nearest_j <= 0)
        snprintf(buf, size, "the grid's own values for their times");
    else if (t->filled_by_grid_j <= 0)
        snprintf(buf, size, "the value known nearest in time (the grid had "
                            "none for their times)");
    else
        snprintf(buf, size, "the grid's own values for their times (%.6g J), "
                            "and the value known nearest in time where it "
                            "had none (%.6g J)",
                 t->filled_by_grid_j, t->filled_by_nearest_j);
}

/* What the grid's gaps come to, for the report's problems: "" when none;
 * written afresh for each report, so that it is true when read. */
static void grid_note(char *buf, size_t size, const llmc_tracker *t)
{
    double waiting = t->total.unpriced_j + t->resumed.unpriced_j;
    size_t n = 0;
    buf[0] = '\0';
    if (waiting > 0) {
        int over = atomic_load(&t->state) == LLMC__STOPPED;
        n += (size_t)snprintf(
            buf, size,
            over ? "grid: no intensity was known during the run (%.250s); "
                   "the operational CO2e of %.6g J is unknown"
                 : "grid: no intensity known yet (%.250s); %.6g J waiting "
                   "for one",
            t->grid_problem[0] ? t->grid_problem : "no answer yet", waiting);
    }
    if (t->total.filled_j > 0 && n < size) {
        char how[200];
        filled_by(how, sizeof how, t);
        snprintf(buf + n, size - n,
                 "%sgrid: %.6g J of intervals sampled without an intensity "
                 "were priced later, with %s",
                 n ? "; " : "", t->total.filled_j, how);
    }
}

/* Folds in the steps taken since the last sample, so totals are live. */
static void live_steps(const llmc_tracker *t, llmc_totals *o, int phase)
{
    for (unsigned h = 0; h < LLMC__HOT; h++) {
        uint64_t s = 0, k = 0;
        if (t->hot_phase[h] < 0 || (phase >= 0 && t->hot_phase[h] != phase))
            continue;
        for (unsigned i = 0; i < LLMC__SLOTS; i++) {
            s += atomic_load_explicit(&t->slots[i].steps[h],
                                      memory_order_relaxed);
            k += atomic_load_explicit(&t->slots[i].tokens[h],
                                      memory_order_relaxed);
        }
        o->steps += s - t->seen_steps[h];
        o->tokens += k - t->seen_tokens[h];
    }
}

void llmc__live_counts(const llmc_tracker *t, uint64_t *steps,
                       uint64_t *tokens)
{
    llmc_totals o;
    o.steps = t->total.steps;
    o.tokens = t->total.tokens;
    live_steps(t, &o, -1);
    *steps = o.steps;
    *tokens = o.tokens;
}

LLMC_API int llmc_tracker_totals(llmc_totals *out, llmc_tracker *t,
                                 const char *phase)
{
    llmc_totals full;
    int p = -1, rc;

    if (!out || !t)
        return llmc__fail(LLMC_EINVAL, "out or tracker is NULL");
    if ((rc = llmc__versioned_check(out, LLMC__TOTALS_MIN, "llmc_totals")) !=
        LLMC_OK)
        return rc;
    pthread_mutex_lock(&t->mu);
    if (phase && (p = llmc__phase_find(t, phase)) < 0) {
        pthread_mutex_unlock(&t->mu);
        return llmc__fail(LLMC_ENOTFOUND,
                          "the tracker has no phase '%s'; phases start with "
                          "llmc_tracker_phase",
                          phase);
    }
    llmc__totals_fill(&full, t, p);
    live_steps(t, &full, p);
    pthread_mutex_unlock(&t->mu);
    return llmc__versioned_copy(out, &full, sizeof full, LLMC__TOTALS_MIN,
                                "llmc_totals");
}

LLMC_API size_t llmc_tracker_channel_count(llmc_tracker *t)
{
    size_t n;
    if (!t)
        return 0;
    pthread_mutex_lock(&t->mu);
    n = t->nchans;
    pthread_mutex_unlock(&t->mu);
    return n;
}

static _Thread_local char chan_name[64], chan_device[128], chan_detail[320];

LLMC_API int llmc_tracker_channel(llmc_channel *out, llmc_tracker *t,
                                  size_t index)
{
    llmc_channel full;
    if (!out || !t)
        return llmc__fail(LLMC_EINVAL, "out or tracker is NULL");
    pthread_mutex_lock(&t->mu);
    if (index >= t->nchans) {
        size_t n = t->nchans;
        pthread_mutex_unlock(&t->mu);
        return llmc__fail(LLMC_ERANGE, "channel %zu is past the tracker's %zu",
                          index, n);
    }
    llmc__meter_view(&full, t->meter, index);
    /* copies: the sampler rewrites the channel's own strings */
    snprintf(chan_name, sizeof chan_name, "%s", full.name);
    snprintf(chan_device, sizeof chan_device, "%s", full.device);
    snprintf(chan_detail, sizeof chan_detail, "%s",
             t->chans[index].note[0] ? t->chans[index].note : full.detail);
    full.name = chan_name;
    full.device = chan_device;
    full.detail = chan_detail;
    full.energy_j = isnan(full.energy_j) ? NAN : t->chans[index].counted_j;
    pthread_mutex_unlock(&t->mu);
    return llmc__channel_copy_out(out, &full);
}

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* Whether the totals hold embodied carbon: this run's devices, or the
 * figure of the run it resumed from. */
static int embodied_counted(const llmc_tracker *t)
{
    return t->embodied_included || t->resumed.embodied_kgco2e > 0;
}

/* embodied: whether the tracker counts embodied carbon; where it does
 * not, the figure is unknown (null), not 0, and the total is the
 * operational figure alone, as the report's embodied_note says. */
static json_t *totals_json(const llmc_totals *o, int embodied)
{
    json_t *j = json_object();
    int ok = 1;
    llmc__json_set(&ok, j, "duration_s", num(o->duration_s));
    llmc__json_set(&ok, j, "energy_j", num(o->energy_j));
    llmc__json_set(&ok, j, "energy_kwh", num(o->energy_kwh));
    llmc__json_set(&ok, j, "operational_kgco2e", num(o->operational_kgco2e));
    llmc__json_set(&ok, j, "embodied_kgco2e",
                   embodied ? num(o->embodied_kgco2e) : json_null());
    llmc__json_set(&ok, j, "total_kgco2e", num(o->total_kgco2e));
    llmc__json_set(&ok, j, "steps", json_integer((json_int_t)o->steps));
    llmc__json_set(&ok, j, "tokens", json_integer((json_int_t)o->tokens));
    llmc__json_set(&ok, j, "j_per_token", num(o->j_per_token));
    llmc__json_set(&ok, j, "gco2e_per_token", num(o->gco2e_per_token));
    llmc__json_set(&ok, j, "intensity_gco2e_per_kwh",
                        num(o->intensity_gco2e_per_kwh));
    llmc__json_set(&ok, j, "filled_energy_j", num(o->filled_energy_j));
    llmc__json_set(&ok, j, "unpriced_energy_j", num(o->unpriced_energy_j));
    if (!ok) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static json_t *quality_json(unsigned q)
{
    json_t *a = json_array();
    int ok = 1;
    if (q & LLMC_QUALITY_TOO_SHORT)
        llmc__json_append(&ok, a, json_string("too-short"));
    if (q & LLMC_QUALITY_RESET)
        llmc__json_append(&ok, a, json_string("reset"));
    if (q & LLMC_QUALITY_WRAPPED)
        llmc__json_append(&ok, a, json_string("wrapped"));
    if (q & LLMC_QUALITY_FALLBACK)
        llmc__json_append(&ok, a, json_string("fallback"));
    if (q & LLMC_QUALITY_GAP)
        llmc__json_append(&ok, a, json_string("gap"));
    if (q & LLMC_QUALITY_ESTIMATED)
        llmc__json_append(&ok, a, json_string("estimated"));
    if (!ok) {
        json_decref(a);
        return NULL;
    }
    return a;
}

/* The parts of the report, each added to root under mu; *ok is cleared by
 * a part that could not be built (out of memory). */

static void meters_json(int *okp, json_t *root, const llmc_tracker *t)
{
    json_t *meters;
    int ok = *okp;
    meters = json_array();
    for (size_t i = 0; i < t->nchans; i++) {
        const struct llmc__chan *c = &t->chans[i];
        json_t *m = json_object();
        llmc_channel ch;
        llmc__meter_view(&ch, t->meter, i);
        llmc__json_set(&ok, m, "name", json_string(ch.name));
        llmc__json_set(&ok, m, "device", json_string(ch.device));
        llmc__json_set(&ok, m, "method", json_string(llmc_method_name(ch.method)));
        llmc__json_set(&ok, m, "energy_j", isnan(ch.energy_j)
                                               ? json_null()
                                               : json_real(c->counted_j));
        llmc__json_set(&ok, m, "counted", json_boolean(c->held));
        llmc__json_set(&ok, m, "status", json_string(llmc_status_name(ch.status)));
        llmc__json_set(&ok, m, "detail", json_string(c->note[0] ? c->note
                                                                : ch.detail));
        llmc__json_set(&ok, m, "quality", quality_json(ch.quality));
        llmc__json_set(&ok, m, "node_level", json_boolean(ch.node_level));
        llmc__json_append(&ok, meters, m);
    }
    llmc__json_set(&ok, root, "meters", meters);
    llmc__json_set(&ok, root, "meter_diagnostics",
                        json_string(llmc_meter_diagnostics(t->meter)));

    *okp = ok;
}

static void phases_json(int *okp, json_t *root, llmc_tracker *t)
{
    json_t *phases;
    int ok = *okp;
    phases = json_object();
    for (unsigned p = 0; p < t->nphases; p++) {
        llmc_totals po;
        llmc__totals_fill(&po, t, (int)p);
        live_steps(t, &po, (int)p);
        llmc__json_set(&ok, phases, t->phase_names[p],
                       totals_json(&po, embodied_counted(t)));
    }
    llmc__json_set(&ok, root, "phases", phases);

    *okp = ok;
}

/* per name: the windows that ended, summed, and whether one is open now */
static void windows_json(int *okp, json_t *root, const llmc_tracker *t)
{
    int ok = *okp;
    json_t *wins = json_object();
    int emb = embodied_counted(t);
    for (unsigned i = 0; i < t->nwindows; i++) {
        const struct llmc__window *w = &t->windows[i];
        json_t *j = json_object();
        llmc__json_set(&ok, j, "count", json_integer((json_int_t)w->ended));
        llmc__json_set(&ok, j, "open", json_integer(w->open));
        llmc__json_set(&ok, j, "duration_s", num(w->sum_duration_s));
        llmc__json_set(&ok, j, "energy_j", num(w->sum_energy_j));
        llmc__json_set(&ok, j, "operational_kgco2e",
                       num(w->sum_operational_kgco2e));
        llmc__json_set(&ok, j, "embodied_kgco2e",
                       emb ? num(w->sum_embodied_kgco2e) : json_null());
        llmc__json_set(&ok, j, "total_kgco2e", num(w->sum_total_kgco2e));
        llmc__json_set(&ok, j, "steps",
                       json_integer((json_int_t)w->sum_steps));
        llmc__json_set(&ok, j, "tokens",
                       json_integer((json_int_t)w->sum_tokens));
        llmc__json_set(&ok, wins, w->name, j);
    }
    llmc__json_set(&ok, root, "windows", wins);
    if (t->win_lines_lost > 0)
        llmc__json_set(&ok, root, "window_log_lines_lost",
                       json_integer(t->win_lines_lost));
    *okp = ok;
}

static void grid_json(int *okp, json_t *root, const llmc_tracker *t,
                      const llmc_totals *o)
{
    int ok = *okp;
    json_t *g = json_object();
    const llmc_intensity *ci = &t->intensity;
    llmc__json_set(&ok, g, "spec", json_string(llmc_grid_spec(t->grid)));
    if (t->intensity_known) {
        llmc__json_set(&ok, g, "zone", json_string(ci->zone ? ci->zone : ""));
        llmc__json_set(&ok, g, "source", json_string(ci->source ? ci->source : ""));
        llmc__json_set(&ok, g, "basis", json_string(llmc_basis_name(ci->basis)));
        llmc__json_set(&ok, g, "year", ci->year ? json_integer(ci->year)
                                                : json_null());
        llmc__json_set(&ok, g, "dataset", json_string(ci->dataset ? ci->dataset : ""));
        llmc__json_set(&ok, g, "provenance",
                            json_string(ci->provenance ? ci->provenance : ""));
    }
    if (t->grid_problem[0])
        llmc__json_set(&ok, g, "problem", json_string(t->grid_problem));
    if (o->filled_energy_j > 0) {
        char how[200];
        filled_by(how, sizeof how, t);
        llmc__json_set(&ok, g, "filled_by", json_string(how));
    }
    if (isnan(o->operational_kgco2e) && o->unpriced_energy_j > 0) {
        char why[600];
        snprintf(why, sizeof why,
                 "no grid intensity was known for %.6g J (%.400s); "
                 "the operational CO2e is unknown, not 0",
                 o->unpriced_energy_j,
                 t->grid_problem[0] ? t->grid_problem : "no answer yet");
        llmc__json_set(&ok, g, "operational_note", json_string(why));
    }
    llmc__json_set(&ok, root, "grid", g);
    *okp = ok;
}

static void embodied_json(int *okp, json_t *root, const llmc_tracker *t)
{
    int ok = *okp;
    json_t *e = json_object();
    llmc__json_set(&ok, e, "included", json_boolean(t->embodied_included));
    llmc__json_set(&ok, e, "scope",
                   json_string(llmc__scope_name(t->embodied_scope)));
    llmc__json_set(&ok, e, "method",
                   t->embodied_included ? json_string(t->embodied_method)
                                        : json_null());
    if (t->embodied_included) {
        llmc__json_set(&ok, e, "devices", json_integer(t->embodied_devices));
        llmc__json_set(&ok, e, "kgco2e_per_device",
                            json_real(t->embodied_per_device_kgco2e));
        llmc__json_set(&ok, e, "basis", json_string(llmc__scope_basis(
                                            t->profile, t->embodied_scope)));
        llmc__json_set(&ok, e, "lifetime_years",
                            json_real(t->lifetime_s / LLMC__SECONDS_PER_YEAR));
        if (t->embodied_by_held)
            llmc__json_set(&ok, e, "note", json_string(
                "charged for the time this process counted each device; "
                "the other processes of the node charge the devices they "
                "count"));
    } else {
        llmc__json_set(&ok, e, "note", json_string(t->embodied_note));
    }
    if (t->profile) {
        llmc__json_set(&ok, e, "hardware", json_string(llmc_profile_get_text(
                                               t->profile, LLMC_PROFILE_NAME)));
        /* where the profile came from: hardware= (null), or what the
         * meters' driver said of the devices */
        llmc__json_set(&ok, e, "hardware_from",
                       t->profile_from_meters
                           ? json_string(t->hardware_from)
                           : json_null());
    }
    llmc__json_set(&ok, root, "embodied", e);
    *okp = ok;
}

static void projection_json(int *okp, json_t *root, const llmc_tracker *t,
                            const llmc_totals *o)
{
    const double projected[3] = {o->projected_total_kgco2e,
                                 o->projected_low_kgco2e,
                                 o->projected_high_kgco2e};
    if (!t->target_tokens)
        return;
    llmc__json_set(okp, root, "projection",
                   llmc__projection_json(
                       t->target_tokens, projected, t->plan_lo_kgco2e,
                       t->plan_hi_kgco2e,
                       isnan(projected[0]) ? LLMC__PROJECTION_NOT_YET : NULL,
                       okp));
}

json_t *llmc__projection_json(uint64_t target_tokens,
                              const double projected[3], double plan_lo,
                              double plan_hi, const char *note, int *ok)
{
    json_t *p = json_object();
    llmc__json_set(ok, p, "target_tokens",
                   target_tokens ? json_integer((json_int_t)target_tokens)
                                 : json_null());
    llmc__json_set(ok, p, "total_kgco2e", num(projected[0]));
    llmc__json_set(ok, p, "range_kgco2e",
                   json_pack("[o, o]", num(projected[1]), num(projected[2])));
    if (!isnan(plan_lo)) {
        llmc__json_set(ok, p, "plan_total_kgco2e",
                       json_real((plan_lo + plan_hi) / 2));
        llmc__json_set(ok, p, "plan_range_kgco2e",
                       json_pack("[f, f]", plan_lo, plan_hi));
    }
    if (note)
        llmc__json_set(ok, p, "note", json_string(note));
    return p;
}

static void identity_json(int *okp, json_t *root, const llmc_tracker *t)
{
    json_t *id;
    int ok = *okp;
    id = json_object();
    llmc__json_set(&ok, id, "host", json_string(t->id.host));
    llmc__json_set(&ok, id, "job", *t->id.job ? json_string(t->id.job) : json_null());
    llmc__json_set(&ok, id, "rank", t->id.rank >= 0 ? json_integer(t->id.rank) : json_null());
    llmc__json_set(&ok, id, "local_rank",
                        t->id.local_rank >= 0 ? json_integer(t->id.local_rank) : json_null());
    llmc__json_set(&ok, id, "world_size",
                        t->id.world_size >= 0 ? json_integer(t->id.world_size) : json_null());
    llmc__json_set(&ok, root, "identity", id);
    *okp = ok;
}

LLMC_API int llmc_tracker_report_json(char **out_json, llmc_tracker *t)
{
    json_t *root;
    llmc_totals o;
    int ok = 1; /* cleared by the first part that could not be built */

    if (!out_json || !t)
        return llmc__fail(LLMC_EINVAL, "out_json or tracker is NULL");
    *out_json = NULL;
    if (atomic_load(&t->state) == LLMC__NEW ||
        atomic_load(&t->state) == LLMC__STARTING)
        return llmc__fail(LLMC_ESTATE,
                          "the tracker has not started; there is nothing "
                          "to report");
    pthread_mutex_lock(&t->mu);
    llmc__totals_fill(&o, t, -1);
    live_steps(t, &o, -1);
    root = totals_json(&o, embodied_counted(t));
    llmc__json_set(&ok, root, "embodied_included",
                   json_boolean(embodied_counted(t)));
    if (t->embodied_included) {
        llmc__json_set(&ok, root, "embodied_note", json_null());
    } else {
        char note[640];
        /* a figure carried over from the checkpoint, none since */
        snprintf(note, sizeof note, "%s%s",
                 embodied_counted(t) ? "only the run resumed from counted "
                                       "embodied carbon; this one does not: "
                                     : "",
                 t->embodied_note);
        llmc__json_set(&ok, root, "embodied_note", json_string(note));
    }
    llmc__json_set(&ok, root, "measured", json_boolean(o.measured));
    /* what the start found (llmc_tracker_status): whether a meter reads,
     * and if none could, each one tried and what stands in */
    llmc__json_set(&ok, root, "measurement",
                   json_pack("{s:s, s:o, s:s}", "status",
                             llmc_status_name(t->measure_status), "detail",
                             t->measure_detail
                                 ? json_string(t->measure_detail)
                                 : json_null(),
                             "fallback",
                             t->fallback_none ? "none" : "cputime"));
    llmc__json_set(&ok, root, "quality", quality_json(o.quality));
    llmc__json_set(&ok, root, "pue", json_real(t->pue));
    llmc__json_set(&ok, root, "resumed_from_checkpoint",
                        json_boolean(t->resumed_from_checkpoint));
    /* when this run took over from its checkpoint, and what it took over;
     * null for a run that started afresh */
    llmc__json_set(&ok, root, "resumed",
                   t->resumed_from_checkpoint
                       ? json_pack("{s:I, s:I, s:f, s:f}", "from_unix_s",
                                   (json_int_t)t->start_unix_s,
                                   "checkpoint_written_unix_s",
                                   (json_int_t)t->resumed_written_unix_s,
                                   "energy_j", t->resumed.energy_j,
                                   "duration_s", t->resumed.duration_s)
                       : json_null());

    meters_json(&ok, root, t);
    phases_json(&ok, root, t);
    windows_json(&ok, root, t);
    grid_json(&ok, root, t, &o);
    embodied_json(&ok, root, t);
    projection_json(&ok, root, t, &o);
    identity_json(&ok, root, t);
    {
        char note[700], all[sizeof t->problems + sizeof note + 2];
        grid_note(note, sizeof note, t);
        snprintf(all, sizeof all, "%s%s%s", t->problems,
                 t->problems[0] && note[0] ? "; " : "", note);
        if (all[0])
            llmc__json_set(&ok, root, "problems", json_string(all));
    }
    pthread_mutex_unlock(&t->mu);

    if (!ok) {
        json_decref(root);
        return llmc__fail(LLMC_ENOMEM, "out of memory building the report; "
                          "the totals are kept, ask again");
    }
    *out_json = llmc__json_text(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                          JSON_REAL_PRECISION(15));
    json_decref(root);
    return *out_json ? LLMC_OK
                     : llmc__fail(LLMC_ENOMEM, "out of memory writing JSON");
}
