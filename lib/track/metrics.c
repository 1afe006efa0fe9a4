/*
 * metrics.c - a tracker's figures as Prometheus text (0.0.4) or
 * OpenMetrics 1.0, for an endpoint the caller serves (llmcarbon run
 * --metrics, llmcarbon exporter, a trainer's own HTTP server) or a file
 * for node_exporter's textfile collector.
 *
 * The figures are copied under mu, as the totals are, and written after
 * it is released, so that a scrape holds the sampler up for a copy only.
 * A figure that is unknown (NaN: nothing measured, no intensity) is left
 * out, never written as 0: a series that is absent says "unknown" to
 * Prometheus, a 0 would say "none".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "../meter/meter.h"
#include "tracker.h"

#define METRICS_KNOWN_FLAGS (LLMC_METRICS_OPENMETRICS | LLMC_METRICS_NO_STEPS)

struct chan_copy {
    char name[64], device[128];
    llmc_method method;
    double energy_j, power_w;
};

struct phase_copy {
    char name[LLMC__PHASE_NAME];
    uint64_t steps, tokens;
};

struct snapshot {
    struct llmc__identity id;
    struct chan_copy *chans;
    size_t nchans;
    struct phase_copy *phases;
    unsigned nphases;
    double operational_kgco2e, embodied_kgco2e;
    double intensity_gco2e_per_kwh;
    char source[64], zone[64];
};

/* Steps and tokens of one phase, those not yet harvested included, as
 * llmc_tracker_totals gives them. */
static void phase_counts(const llmc_tracker *t, unsigned p, uint64_t *steps,
                         uint64_t *tokens)
{
    uint64_t s = t->phases[p].steps + t->resumed_phases[p].steps;
    uint64_t k = t->phases[p].tokens + t->resumed_phases[p].tokens;
    for (unsigned h = 0; h < LLMC__HOT; h++) {
        uint64_t hs = 0, hk = 0;
        if (t->hot_phase[h] != (int)p)
            continue;
        for (unsigned i = 0; i < LLMC__SLOTS; i++) {
            hs += atomic_load_explicit(&t->slots[i].steps[h],
                                       memory_order_relaxed);
            hk += atomic_load_explicit(&t->slots[i].tokens[h],
                                       memory_order_relaxed);
        }
        s += hs - t->seen_steps[h];
        k += hk - t->seen_tokens[h];
    }
    *steps = s;
    *tokens = k;
}

/* Copies what the text needs, under mu. LLMC_ENOMEM (said) when the
 * arrays cannot be had. */
static int take_snapshot(struct snapshot *s, llmc_tracker *t, int steps)
{
    llmc_totals o;
    int rc = LLMC_OK;

    memset(s, 0, sizeof *s);
    pthread_mutex_lock(&t->mu);
    s->id = t->id;
    if (t->nchans && !(s->chans = calloc(t->nchans, sizeof *s->chans)))
        rc = llmc__fail(LLMC_ENOMEM, "out of memory copying the channels "
                        "for the metrics; ask again");
    if (rc == LLMC_OK && steps && t->nphases &&
        !(s->phases = calloc(t->nphases, sizeof *s->phases)))
        rc = llmc__fail(LLMC_ENOMEM, "out of memory copying the phases "
                        "for the metrics; ask again");
    if (rc != LLMC_OK) {
        pthread_mutex_unlock(&t->mu);
        free(s->chans);
        s->chans = NULL;
        return rc;
    }
    s->nchans = t->nchans;
    for (size_t i = 0; i < t->nchans; i++) {
        struct chan_copy *c = &s->chans[i];
        llmc_channel ch;
        llmc__meter_view(&ch, t->meter, i);
        snprintf(c->name, sizeof c->name, "%s", ch.name);
        snprintf(c->device, sizeof c->device, "%s", ch.device);
        c->method = ch.method;
        /* as llmc_tracker_channel: what this process counted, NaN for a
         * channel that never read */
        c->energy_j = isnan(ch.energy_j) ? NAN : t->chans[i].counted_j;
        c->power_w = ch.power_w;
    }
    if (steps) {
        s->nphases = t->nphases;
        for (unsigned p = 0; p < t->nphases; p++) {
            snprintf(s->phases[p].name, sizeof s->phases[p].name, "%s",
                     t->phase_names[p]);
            phase_counts(t, p, &s->phases[p].steps, &s->phases[p].tokens);
        }
    }
    llmc__totals_fill(&o, t, -1);
    s->operational_kgco2e = o.operational_kgco2e;
    /* a tracker that counts no embodied carbon does not know it: left
     * out, as the report's null */
    s->embodied_kgco2e = t->embodied_devices > 0 ||
                                 t->resumed.embodied_kgco2e > 0
                             ? o.embodied_kgco2e
                             : NAN;
    s->intensity_gco2e_per_kwh = NAN;
    if (t->intensity_ok) {
        s->intensity_gco2e_per_kwh = t->intensity.gco2e_per_kwh;
        snprintf(s->source, sizeof s->source, "%s",
                 t->intensity.source ? t->intensity.source : "");
        snprintf(s->zone, sizeof s->zone, "%s",
                 t->intensity.zone ? t->intensity.zone : "");
    }
    pthread_mutex_unlock(&t->mu);
    return LLMC_OK;
}

/* A label value: backslash, double quote and line feed escaped, as both
 * formats want; a byte that would not be valid UTF-8 becomes '?', since
 * a scrape with one fails as a whole. */
static void put_value(FILE *f, const char *v)
{
    const unsigned char *p = (const unsigned char *)v;
    while (*p) {
        unsigned n = 0;
        if (*p < 0x80)
            n = 1;
        else if ((*p & 0xe0) == 0xc0 && *p >= 0xc2)
            n = 2;
        else if ((*p & 0xf0) == 0xe0)
            n = 3;
        else if ((*p & 0xf8) == 0xf0 && *p <= 0xf4)
            n = 4;
        for (unsigned i = 1; i < n; i++)
            if ((p[i] & 0xc0) != 0x80)
                n = 0;
        if (n == 0) {
            fputc('?', f);
            p++;
        } else if (*p == '\\') {
            fputs("\\\\", f);
            p++;
        } else if (*p == '"') {
            fputs("\\\"", f);
            p++;
        } else if (*p == '\n') {
            fputs("\\n", f);
            p++;
        } else {
            fwrite(p, 1, n, f);
            p += n;
        }
    }
}

/* The family's header: name is the family's (OpenMetrics: without
 * _total); a counter's samples add _total. */
static void family(FILE *f, int om, const char *name, const char *type,
                   const char *unit, const char *help)
{
    const char *suffix = !om && strcmp(type, "counter") == 0 ? "_total" : "";
    fprintf(f, "# HELP llmcarbon_%s%s %s\n", name, suffix, help);
    fprintf(f, "# TYPE llmcarbon_%s%s %s\n", name, suffix, type);
    if (om)
        fprintf(f, "# UNIT llmcarbon_%s %s\n", name, unit);
}

/* One sample: the run's labels, then extra (label, value pairs, NULL
 * ends them). */
static void sample(FILE *f, const struct snapshot *s, const char *name,
                   const char *const *extra, const char *value)
{
    char rank[16];
    fprintf(f, "llmcarbon_%s{node=\"", name);
    put_value(f, s->id.host);
    fputc('"', f);
    if (s->id.rank >= 0) {
        snprintf(rank, sizeof rank, "%d", s->id.rank);
        fprintf(f, ",rank=\"%s\"", rank);
    }
    if (s->id.job[0]) {
        fputs(",job_id=\"", f);
        put_value(f, s->id.job);
        fputc('"', f);
    }
    for (; extra && extra[0]; extra += 2) {
        fprintf(f, ",%s=\"", extra[0]);
        put_value(f, extra[1]);
        fputc('"', f);
    }
    fprintf(f, "} %s\n", value);
}

/* A number as both formats read it, exactly (17 significant digits). */
static const char *num(char *buf, size_t size, double v)
{
    snprintf(buf, size, "%.17g", v);
    return buf;
}

/* The channel's name; two channels of the same name (const:1W+const:2W)
 * stay two series: the later ones are numbered ("const#2"). */
static void channel_label(char *buf, size_t size, const struct snapshot *s,
                          size_t i)
{
    unsigned k = 1;
    for (size_t j = 0; j < i; j++)
        k += strcmp(s->chans[j].name, s->chans[i].name) == 0;
    if (k > 1)
        snprintf(buf, size, "%s#%u", s->chans[i].name, k);
    else
        snprintf(buf, size, "%s", s->chans[i].name);
}

static void write_text(FILE *f, const struct snapshot *s, int om, int steps)
{
    char v[64], label[80];

    family(f, om, "energy_joules", "counter", "joules",
           "IT energy counted by this process from each meter channel since "
           "the start, joules (PUE not applied)");
    for (size_t i = 0; i < s->nchans; i++) {
        const struct chan_copy *c = &s->chans[i];
        if (isnan(c->energy_j))
            continue;
        channel_label(label, sizeof label, s, i);
        {
            const char *extra[] = {"channel", label, "device", c->device,
                                   "method", llmc_method_name(c->method),
                                   NULL};
            sample(f, s, "energy_joules_total", extra,
                   num(v, sizeof v, c->energy_j));
        }
    }
    family(f, om, "power_watts", "gauge", "watts",
           "power of each meter channel, mean over the last sampling "
           "interval, watts");
    for (size_t i = 0; i < s->nchans; i++) {
        const struct chan_copy *c = &s->chans[i];
        if (isnan(c->power_w))
            continue;
        channel_label(label, sizeof label, s, i);
        {
            const char *extra[] = {"channel", label, "device", c->device,
                                   "method", llmc_method_name(c->method),
                                   NULL};
            sample(f, s, "power_watts", extra, num(v, sizeof v, c->power_w));
        }
    }
    /* grams, not the kilograms of llmc_totals: Prometheus's base unit
     * of mass, which promtool's lint asks for */
    family(f, om, "co2e_grams", "counter", "grams",
           "CO2e of the run so far, grams: operational (energy x PUE x "
           "grid intensity) and embodied (the devices' manufacture, by time "
           "used)");
    if (!isnan(s->operational_kgco2e)) {
        const char *extra[] = {"kind", "operational", NULL};
        sample(f, s, "co2e_grams_total", extra,
               num(v, sizeof v, s->operational_kgco2e * 1000.0));
    }
    if (!isnan(s->embodied_kgco2e)) {
        const char *extra[] = {"kind", "embodied", NULL};
        sample(f, s, "co2e_grams_total", extra,
               num(v, sizeof v, s->embodied_kgco2e * 1000.0));
    }
    family(f, om, "grid_intensity_grams_per_kilowatt_hour", "gauge",
           "grams_per_kilowatt_hour",
           "carbon intensity of the grid's last answer, grams CO2e per "
           "kilowatt hour");
    if (!isnan(s->intensity_gco2e_per_kwh)) {
        const char *extra[] = {"source", s->source, "zone", s->zone, NULL};
        sample(f, s, "grid_intensity_grams_per_kilowatt_hour", extra,
               num(v, sizeof v, s->intensity_gco2e_per_kwh));
    }
    if (steps) {
        family(f, om, "steps", "counter", "steps",
               "training steps counted by llmc_tracker_step, per phase");
        for (unsigned p = 0; p < s->nphases; p++) {
            const char *extra[] = {"phase", s->phases[p].name, NULL};
            snprintf(v, sizeof v, "%llu",
                     (unsigned long long)s->phases[p].steps);
            sample(f, s, "steps_total", extra, v);
        }
        family(f, om, "tokens", "counter", "tokens",
               "tokens counted by llmc_tracker_step, per phase");
        for (unsigned p = 0; p < s->nphases; p++) {
            const char *extra[] = {"phase", s->phases[p].name, NULL};
            snprintf(v, sizeof v, "%llu",
                     (unsigned long long)s->phases[p].tokens);
            sample(f, s, "tokens_total", extra, v);
        }
    }
    if (om)
        fputs("# EOF\n", f);
}

LLMC_API int llmc_tracker_metrics_text(char **out_text, llmc_tracker *t,
                                       unsigned flags)
{
    struct snapshot s;
    char *buf = NULL;
    size_t len = 0;
    FILE *f;
    int rc, steps = !(flags & LLMC_METRICS_NO_STEPS);

    if (!out_text || !t)
        return llmc__fail(LLMC_EINVAL, "out_text or tracker is NULL");
    *out_text = NULL;
    if (flags & ~(unsigned)METRICS_KNOWN_FLAGS)
        return llmc__fail(LLMC_EINVAL,
                          "unknown flags 0x%x: the flags are "
                          "LLMC_METRICS_OPENMETRICS and LLMC_METRICS_NO_STEPS",
                          flags & ~(unsigned)METRICS_KNOWN_FLAGS);
    if (atomic_load(&t->state) == LLMC__NEW ||
        atomic_load(&t->state) == LLMC__STARTING)
        return llmc__fail(LLMC_ESTATE,
                          "the tracker has not started; there are no "
                          "metrics yet");
    if ((rc = take_snapshot(&s, t, steps)) != LLMC_OK)
        return rc;
    f = open_memstream(&buf, &len);
    if (f) {
        write_text(f, &s, (flags & LLMC_METRICS_OPENMETRICS) != 0, steps);
        if (ferror(f)) {
            fclose(f);
            free(buf);
            buf = NULL;
        } else if (fclose(f) != 0) {
            free(buf);
            buf = NULL;
        }
    }
    free(s.chans);
    free(s.phases);
    if (!buf)
        return llmc__fail(LLMC_ENOMEM, "out of memory writing the metrics; "
                          "ask again");
    *out_text = buf;
    return LLMC_OK;
}
