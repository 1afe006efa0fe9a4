/*
 * report_html.c - a run drawn as one HTML page: inline SVG charts and CSS,
 * no script and nothing fetched, so that it opens offline, on a cluster's
 * login node, in any browser, and prints.
 *
 * Every figure in the page is one of llmc_run_totals (the figures of the
 * JSON report), written by the text report's number writer (numtext.c);
 * an unknown figure is "unknown" with its reason, never 0. The charts
 * draw the kept samples. A long run is cut into a fixed number of time
 * buckets per series, each drawn as its mean with a band from its lowest
 * to its highest sample, so that one sample's spike stays in the page; a
 * series drawn so says how many samples went into how many buckets.
 */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/internal.h"
#include "../core/json.h"
#include "../core/numtext.h"
#include "runlog.h"
#include "tracker.h"

/* The most buckets of one series, and of all series of one chart: a
 * 30-day log at 1 s stays well under 2 MB. */
#define MAX_BUCKETS 1000
#define CHART_POINTS 24000
#define MIN_BUCKETS 50

/* Chart geometry, in SVG user units. */
#define W 960.0
#define H 260.0
#define LEFT 80.0
#define RIGHT 20.0
#define TOP 16.0
#define BOTTOM 34.0

struct page {
    char *buf;
    size_t len, cap;
    int nomem;
};

static void put(struct page *p, const char *fmt, ...) LLMC__PRINTF(2, 3);
static void put(struct page *p, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (p->nomem)
        return;
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(p->buf + p->len, p->cap - p->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            p->nomem = 1;
            return;
        }
        if ((size_t)n < p->cap - p->len) {
            p->len += (size_t)n;
            return;
        }
        {
            size_t cap = p->cap ? p->cap * 2 : 65536;
            char *q;
            while (cap < p->len + (size_t)n + 1)
                cap *= 2;
            if (!(q = realloc(p->buf, cap))) {
                p->nomem = 1;
                return;
            }
            p->buf = q;
            p->cap = cap;
        }
    }
}

/* Text as HTML: the five characters that mean something there escaped. */
static void put_text(struct page *p, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': put(p, "&amp;"); break;
        case '<': put(p, "&lt;"); break;
        case '>': put(p, "&gt;"); break;
        case '"': put(p, "&quot;"); break;
        case '\'': put(p, "&#39;"); break;
        default: put(p, "%c", *s);
        }
    }
}

/* A figure in a table cell, named for readers of the page (data-figure):
 * the number as the text report writes it, or "unknown" and why. */
static void put_figure(struct page *p, const char *name, double v,
                       const char *why)
{
    char num[64];
    put(p, "<td class=\"n\" data-figure=\"");
    put_text(p, name);
    put(p, "\">");
    if (isfinite(v))
        put(p, "%s", llmc__num_text(num, sizeof num, v));
    else {
        put(p, "unknown");
        if (why && *why) {
            put(p, ": <span class=\"why\">");
            put_text(p, why);
            put(p, "</span>");
        }
    }
    put(p, "</td>");
}

static const char *num(char *buf, size_t size, double v)
{
    return llmc__num_text(buf, size, v);
}

static void put_utc(struct page *p, double unix_s)
{
    char t[LLMC_TIME_TEXT_SIZE];
    if (isfinite(unix_s) && unix_s >= 0 && unix_s < 253402300800.0 &&
        llmc_time_format(t, sizeof t, (int64_t)unix_s) == LLMC_OK)
        put(p, "%s", t);
    else
        put(p, "unknown");
}

static const char style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;"
    "max-width:1000px;color:#1b1b1b;background:#fff}"
    "h1{font-size:22px}h2{font-size:17px;margin-top:28px;"
    "border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;margin:8px 0}"
    "td,th{padding:3px 10px;border-bottom:1px solid #e3e3e3;"
    "text-align:left;vertical-align:top}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".why,.note{color:#666;font-size:12px}"
    "svg{width:100%;height:auto;border:1px solid #ddd;background:#fcfcfc}"
    "svg text{font:11px sans-serif;fill:#333}"
    ".grid{stroke:#e2e2e2;stroke-width:1}"
    ".line{fill:none;stroke-width:1.5}"
    /* the band's edge drawn too: one bucket's spike is a pixel wide */
    ".band{stroke-width:1;fill-opacity:.25;stroke-opacity:.7}"
    ".k{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;"
    "vertical-align:middle}"
    "figure{margin:12px 0;break-inside:avoid;page-break-inside:avoid}"
    "@media print{body{margin:0;max-width:none;font-size:11px}"
    "svg{border:none}h2{break-after:avoid;page-break-after:avoid}"
    "table{break-inside:avoid;page-break-inside:avoid}}";

static const char *const colours[] = {"#1f77b4", "#d62728", "#2ca02c",
                                      "#9467bd", "#ff7f0e", "#8c564b",
                                      "#e377c2", "#17becf"};
#define NCOLOURS (sizeof colours / sizeof colours[0])

/* ---- series in time buckets ------------------------------------------- */

struct bucket {
    double lo, hi, sum;
    uint64_t n;
};

struct series {
    const char *host, *device, *label; /* device, or a kind's name */
    long long rank;
    uint64_t samples;
    struct bucket *b;
    int running; /* a running sum: each bucket is exact, not a summary */
};

struct chart {
    struct series *s;
    size_t n, cap;
    size_t nb;        /* buckets of each series */
    double t0, t1;    /* the time axis */
};

static struct series *series_of(struct chart *c, const char *host,
                                long long rank, const char *device,
                                const char *label)
{
    for (size_t i = c->n; i-- > 0;)
        if (c->s[i].host == host && c->s[i].rank == rank &&
            c->s[i].device == device && c->s[i].label == label)
            return &c->s[i];
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        struct series *q = realloc(c->s, cap * sizeof *q);
        if (!q)
            return NULL;
        c->s = q;
        c->cap = cap;
    }
    c->s[c->n] = (struct series){host, device, label, rank, 0, NULL, 0};
    return &c->s[c->n++];
}

static void chart_free(struct chart *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->s[i].b);
    free(c->s);
}

static size_t bucket_index(const struct chart *c, double t)
{
    double f = c->t1 > c->t0 ? (t - c->t0) / (c->t1 - c->t0) : 0;
    long long i = (long long)(f * (double)c->nb);
    if (i < 0)
        i = 0;
    if (i >= (long long)c->nb)
        i = (long long)c->nb - 1;
    return (size_t)i;
}

/* Adds v at time t to series s; -1 when out of memory. */
static int add(struct chart *c, struct series *s, double t, double v)
{
    struct bucket *b;
    if (!s->b && !(s->b = calloc(c->nb, sizeof *s->b)))
        return -1;
    b = &s->b[bucket_index(c, t)];
    if (!b->n || v < b->lo)
        b->lo = v;
    if (!b->n || v > b->hi)
        b->hi = v;
    b->sum += v;
    b->n++;
    s->samples++;
    return 0;
}

static double x_of(const struct chart *c, size_t i)
{
    /* the bucket's middle */
    return LEFT + (W - LEFT - RIGHT) * ((double)i + 0.5) / (double)c->nb;
}

static double y_of(double v, double ymax)
{
    double f = ymax > 0 ? v / ymax : 0;
    return TOP + (H - TOP - BOTTOM) * (1 - f);
}

/* A round axis top at or above v. */
static double nice_top(double v)
{
    double e, m;
    if (!(v > 0) || !isfinite(v))
        return 1;
    e = pow(10, floor(log10(v)));
    m = v / e;
    m = m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10;
    return m * e;
}

/* The frame, the value grid and the time axis of a chart. */
static void put_axes(struct page *p, const struct chart *c, double ymax,
                     const char *unit)
{
    char a[64];
    for (int i = 0; i <= 4; i++) {
        double v = ymax * i / 4, y = y_of(v, ymax);
        put(p, "<line class=\"grid\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" "
               "y2=\"%.1f\"/><text x=\"%.0f\" y=\"%.1f\" "
               "text-anchor=\"end\">%s</text>",
            LEFT, y, W - RIGHT, y, LEFT - 6, y + 4, num(a, sizeof a, v));
    }
    put(p, "<text x=\"12\" y=\"%.0f\" transform=\"rotate(-90 12 %.0f)\" "
           "text-anchor=\"middle\">",
        (H - BOTTOM + TOP) / 2, (H - BOTTOM + TOP) / 2);
    put_text(p, unit);
    put(p, "</text><text x=\"%.0f\" y=\"%.0f\">", LEFT, H - 10);
    put_utc(p, c->t0);
    put(p, "</text><text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">",
        W - RIGHT, H - 10);
    put_utc(p, c->t1);
    put(p, "</text><text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">%s s"
           "</text>",
        (LEFT + W - RIGHT) / 2, H - 10,
        num(a, sizeof a, c->t1 - c->t0));
}

/* One series: the band from each bucket's lowest to its highest value,
 * and the line of its means (data-series, data-points: buckets drawn,
 * data-samples, data-min and data-max over the whole series). */
static void put_series(struct page *p, const struct chart *c,
                       const struct series *s, const char *name,
                       const char *colour, double ymax)
{
    size_t drawn = 0;
    double lo = INFINITY, hi = -INFINITY;
    int banded = 0;

    for (size_t i = 0; i < c->nb; i++)
        if (s->b && s->b[i].n) {
            drawn++;
            lo = fmin(lo, s->b[i].lo);
            hi = fmax(hi, s->b[i].hi);
            banded |= s->b[i].n > 1 && s->b[i].hi > s->b[i].lo;
        }
    if (!drawn)
        return;
    if (banded) {
        int first = 1;
        put(p, "<path class=\"band\" data-band=\"");
        put_text(p, name);
        put(p, "\" fill=\"%s\" stroke=\"%s\" d=\"", colour, colour);
        for (size_t i = 0; i < c->nb; i++)
            if (s->b[i].n) {
                put(p, "%s%.1f,%.1f", first ? "M" : "L", x_of(c, i),
                    y_of(s->b[i].hi, ymax));
                first = 0;
            }
        for (size_t i = c->nb; i-- > 0;)
            if (s->b[i].n)
                put(p, "L%.1f,%.1f", x_of(c, i), y_of(s->b[i].lo, ymax));
        put(p, "Z\"/>");
    }
    put(p, "<polyline class=\"line\" stroke=\"%s\" data-series=\"", colour);
    put_text(p, name);
    put(p, "\" data-points=\"%zu\" data-samples=\"%llu\" data-min=\"%.12g\" "
           "data-max=\"%.12g\" points=\"",
        drawn, (unsigned long long)s->samples, lo, hi);
    for (size_t i = 0; i < c->nb; i++)
        if (s->b[i].n)
            put(p, "%.1f,%.1f ", x_of(c, i),
                y_of(s->b[i].sum / (double)s->b[i].n, ymax));
    put(p, "\"/>");
}

/* The series' name in the page: "host rank 0 nvml:0", or the label. */
static void series_name(char *buf, size_t size, const struct series *s)
{
    if (s->device && s->rank >= 0)
        snprintf(buf, size, "%s rank %lld %s", s->host, s->rank, s->device);
    else if (s->device)
        snprintf(buf, size, "%s %s", s->host, s->device);
    else
        snprintf(buf, size, "%s", s->label);
}

/* A whole chart of bucketed series, with its legend and what was
 * downsampled. */
static void put_chart(struct page *p, const struct chart *c, const char *id,
                      const char *title, const char *unit)
{
    double ymax = 0;
    size_t drawn = 0;
    char name[300], a[64], b[64];

    for (size_t k = 0; k < c->n; k++)
        for (size_t i = 0; i < c->nb && c->s[k].b; i++)
            if (c->s[k].b[i].n)
                ymax = fmax(ymax, c->s[k].b[i].hi);
    for (size_t k = 0; k < c->n; k++)
        drawn += c->s[k].samples > 0;
    ymax = nice_top(ymax);
    put(p, "<figure><figcaption>");
    put_text(p, title);
    /* inline SVG in HTML needs no namespace: the page holds no address */
    put(p, "</figcaption><svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" data-chart=\"%s\" "
           "data-series-count=\"%zu\">",
        W, H, id, drawn);
    put_axes(p, c, ymax, unit);
    for (size_t k = 0; k < c->n; k++) {
        series_name(name, sizeof name, &c->s[k]);
        put_series(p, c, &c->s[k], name, colours[k % NCOLOURS], ymax);
    }
    put(p, "</svg><div>");
    for (size_t k = 0; k < c->n; k++) {
        size_t used = 0;
        if (!c->s[k].samples)
            continue;
        for (size_t i = 0; i < c->nb; i++)
            used += c->s[k].b[i].n > 0;
        series_name(name, sizeof name, &c->s[k]);
        put(p, "<span class=\"k\" style=\"background:%s\"></span>",
            colours[k % NCOLOURS]);
        put_text(p, name);
        if (used < c->s[k].samples && !c->s[k].running)
            put(p, " <span class=\"note\">(downsampled: %s samples -&gt; %s "
                   "buckets, mean drawn as a line, lowest to highest as a "
                   "band)</span>",
                num(a, sizeof a, (double)c->s[k].samples),
                num(b, sizeof b, (double)used));
    }
    put(p, "</div></figure>");
}

/* ---- the charts of a run ------------------------------------------------ */

/* Buckets per series while the samples come in: one per sample for a
 * short run, else MAX_BUCKETS, coarsened before drawing where a chart's
 * series are many (coarsen). */
static size_t buckets_for(uint64_t samples)
{
    size_t nb = MAX_BUCKETS;
    /* a short run: one bucket per sample interval */
    if (samples && samples < nb)
        nb = (size_t)samples;
    return nb ? nb : 1;
}

/* Merges each k neighbouring buckets of every series of c into one, so
 * that the chart holds at most CHART_POINTS points (and each series at
 * least MIN_BUCKETS). */
static void coarsen(struct chart *c)
{
    size_t drawn = 0, k, nb;
    for (size_t i = 0; i < c->n; i++)
        drawn += c->s[i].b != NULL;
    if (!drawn || drawn * c->nb <= CHART_POINTS)
        return;
    k = (drawn * c->nb + CHART_POINTS - 1) / CHART_POINTS;
    if (c->nb / k < MIN_BUCKETS)
        k = c->nb / MIN_BUCKETS > 1 ? c->nb / MIN_BUCKETS : 1;
    if (k <= 1)
        return;
    nb = (c->nb + k - 1) / k;
    for (size_t i = 0; i < c->n; i++) {
        struct bucket *b = c->s[i].b;
        if (!b)
            continue;
        for (size_t j = 0; j < nb; j++) {
            struct bucket m = {0};
            for (size_t q = j * k; q < (j + 1) * k && q < c->nb; q++) {
                if (!b[q].n)
                    continue;
                m.lo = m.n ? fmin(m.lo, b[q].lo) : b[q].lo;
                m.hi = m.n ? fmax(m.hi, b[q].hi) : b[q].hi;
                m.sum += b[q].sum;
                m.n += b[q].n;
            }
            b[j] = m;
        }
    }
    c->nb = nb;
}

/* The charts being filled, sample by sample. */
struct drawing {
    struct chart power, ci, co2;
    struct series *kinds[5], *op, *emb;
    uint64_t no_ci;
};

static int drawing_init(struct drawing *d, double t0, double t1,
                        uint64_t samples)
{
    struct chart *all[3] = {&d->power, &d->ci, &d->co2};
    memset(d, 0, sizeof *d);
    for (size_t i = 0; i < 3; i++) {
        all[i]->t0 = t0;
        all[i]->t1 = t1;
        all[i]->nb = buckets_for(samples);
    }
    /* a series per kind, measured to filled, then those of no kind */
    for (unsigned k = 0; k < 5; k++)
        if (!(d->kinds[k] = series_of(&d->ci, NULL, -1, NULL,
                                      k < 4 ? llmc__ci_kind_name(k + 1)
                                            : "kind not logged")))
            return -1;
    if (!(d->op = series_of(&d->co2, NULL, -1, NULL, "operational")) ||
        !(d->emb = series_of(&d->co2, NULL, -1, NULL, "embodied")))
        return -1;
    return 0;
}

static void drawing_free(struct drawing *d)
{
    chart_free(&d->power);
    chart_free(&d->ci);
    chart_free(&d->co2);
}

/* One sample into the charts; -1 when out of memory. */
static int draw_sample(void *ctx, const llmc_run_sample *x)
{
    struct drawing *d = ctx;
    double mid = x->time_unix_s - x->interval_s / 2;

    for (size_t i = 0; i < x->device_count; i++) {
        struct series *s;
        if (isnan(x->device_power_w[i]))
            continue;
        if (!(s = series_of(&d->power, x->host, x->rank, x->device_names[i],
                            NULL)) ||
            add(&d->power, s, mid, x->device_power_w[i]) != 0)
            return -1;
    }
    if (isnan(x->intensity_gco2e_per_kwh)) {
        d->no_ci++;
    } else {
        unsigned kind = llmc__ci_kind_of(x->intensity_kind);
        size_t k = kind == LLMC__CI_UNKNOWN ? 4 : kind - 1;
        if (add(&d->ci, d->kinds[k], mid, x->intensity_gco2e_per_kwh) != 0)
            return -1;
    }
    /* CO2e per bucket here, made cumulative once all are in */
    if (isfinite(x->operational_kgco2e) &&
        add(&d->co2, d->op, x->time_unix_s, x->operational_kgco2e) != 0)
        return -1;
    if (isfinite(x->embodied_kgco2e) &&
        add(&d->co2, d->emb, x->time_unix_s, x->embodied_kgco2e) != 0)
        return -1;
    return 0;
}

/* Once every sample is in: the fill lines (their CO2e at the end of the
 * interval they price; where the samples were not kept, which of them a
 * fill priced is not known, so the fill's own interval is the filled
 * intensity), the running sums, and the buckets coarsened. */
static int drawing_finish(struct drawing *d, const llmc_runlog *log,
                          int streamed)
{
    size_t nfill = llmc__runlog_fill_count(log);
    for (size_t i = 0; i < nfill; i++) {
        struct llmc__run_fill fl;
        llmc__runlog_fill(&fl, log, i);
        if (add(&d->co2, d->op, fl.to_unix_s, fl.operational_kgco2e) != 0)
            return -1;
        if (streamed && fl.to_unix_s - fl.from_unix_s >= 1e-3 &&
            add(&d->ci, d->kinds[3], (fl.from_unix_s + fl.to_unix_s) / 2,
                fl.gco2e_per_kwh) != 0)
            return -1;
    }
    for (size_t k = 0; k < d->co2.n; k++) {
        double run = 0;
        struct series *s = &d->co2.s[k];
        if (!s->b)
            continue;
        s->running = 1;
        for (size_t i = 0; i < d->co2.nb; i++) {
            run += s->b[i].sum;
            s->b[i] = (struct bucket){run, run, run, 1};
        }
    }
    coarsen(&d->power);
    coarsen(&d->ci);
    return 0;
}

/* A grid source the samples name, as the intensity chart's caption and
 * the assumptions table both give it: its spec, basis and samples. */
static void put_source(struct page *p, const struct llmc__run_source *src)
{
    char a[64];
    put(p, "<b>");
    put_text(p, src->spec);
    put(p, "</b> (basis ");
    put_text(p, src->basis);
    put(p, ", %s samples)", num(a, sizeof a, (double)src->samples));
}

static void put_drawing(struct page *p, const struct drawing *d,
                        const llmc_run_totals *f,
                        const struct llmc__run_facts *facts)
{
    char a[64];
    put(p, "<h2>Power per device</h2>");
    put_chart(p, &d->power, "power", "Power of each device over time", "W");
    put(p, "<h2>Grid intensity</h2>");
    put_chart(p, &d->ci, "intensity",
              "Grid intensity over time, by what the grid said of it",
              "gCO2e/kWh");
    put(p, "<p>Source%s: ", facts->nsource == 1 ? "" : "s");
    for (size_t k = 0; k < facts->nsource; k++) {
        put(p, "%s", k ? "; " : "");
        put_source(p, &facts->source[k]);
    }
    if (!facts->nsource)
        put(p, "none named in the log");
    put(p, ". Measured, estimated and forecast are what the grid source "
           "said of its value; filled: no intensity was known when the "
           "sample was logged, and a fill line priced it later.");
    if (d->no_ci)
        put(p, " %s samples had no intensity when logged and are not "
               "drawn as samples.",
            num(a, sizeof a, (double)d->no_ci));
    put(p, "</p>");
    put(p, "<h2>Cumulative CO2e</h2>");
    put_chart(p, &d->co2, "co2e", "Cumulative CO2e, operational and embodied",
              "kgCO2e");
    if (f->operational_unknown_reason) {
        put(p, "<p class=\"note\">The operational line holds the priced "
               "samples only: the total is unknown: ");
        put_text(p, f->operational_unknown_reason);
        put(p, "</p>");
    }
    if (f->embodied_note) {
        put(p, "<p class=\"note\">Embodied carbon is not included: ");
        put_text(p, f->embodied_note);
        put(p, "</p>");
    }
}

/* The charts of log: from its samples, or, for a log read without them,
 * from its files read again sample by sample (*facts then become those
 * of that reading, which keeps them; *again holds it, for the caller to
 * free). LLMC_OK, LLMC_ENOMEM, or the failure of the reading. */
static int draw_charts(struct page *p, const llmc_runlog *log,
                       const llmc_run_totals *f,
                       struct llmc__run_facts *facts, llmc_runlog **again)
{
    size_t n = llmc_runlog_sample_count(log), npaths;
    const char *const *paths;
    struct drawing d;
    llmc_run_totals g;
    double pue;
    int rc = LLMC_OK;

    npaths = llmc__runlog_paths(&paths, &pue, log);
    if (!n && !npaths) {
        put(p, "<p class=\"note\">No sample was kept (the log was read "
               "with LLMC_RUNLOG_NO_SAMPLES from a file that cannot be "
               "read again, a pipe): there is nothing to draw; the tables "
               "below hold the figures.</p>");
        return LLMC_OK;
    }
    if (drawing_init(&d, facts->first_unix_s, facts->last_unix_s,
                     f->samples) != 0) {
        drawing_free(&d);
        return LLMC_ENOMEM;
    }
    if (n) {
        for (size_t i = 0; i < n && rc == LLMC_OK; i++) {
            llmc_run_sample x;
            llmc_run_sample_init(&x, sizeof x);
            if (llmc_runlog_sample(&x, log, i) == LLMC_OK &&
                draw_sample(&d, &x) != 0)
                rc = LLMC_ENOMEM;
        }
    } else {
        /* the memory of the processes, not of the samples: a month of a
         * job is drawn without keeping it; a log that was read to a bound
         * (a running tracker's) is read again to the same bound */
        void (*between)(const char *) = llmc__html_between_readings;
        if (between)
            between(paths[0]);
        rc = llmc__runlog_read_each_upto(again, paths,
                                         llmc__runlog_limits(log), npaths,
                                         pue, draw_sample, &d);
        if (rc != LLMC_OK && rc != LLMC_ENOMEM) {
            put(p, "<p class=\"note\">Not drawn: the logs could not be read "
                   "again: ");
            put_text(p, llmc_last_error());
            put(p, "; the tables below hold the figures as first "
                   "read.</p>");
            drawing_free(&d);
            return LLMC_OK;
        }
        llmc_run_totals_init(&g, sizeof g);
        if (rc == LLMC_OK &&
            (llmc_runlog_totals(&g, *again, NULL) != LLMC_OK ||
             g.samples != f->samples || g.fill_lines != f->fill_lines)) {
            put(p, "<p class=\"note\">Not drawn: the logs changed after "
                   "they were read (%llu samples then, %llu now); the "
                   "tables below hold the figures as first read.</p>",
                (unsigned long long)f->samples,
                (unsigned long long)g.samples);
            drawing_free(&d);
            return LLMC_OK;
        }
        if (rc == LLMC_OK)
            llmc__runlog_facts(facts, *again);
    }
    if (rc == LLMC_OK &&
        drawing_finish(&d, n ? log : *again, !n) != 0)
        rc = LLMC_ENOMEM;
    if (rc == LLMC_OK)
        put_drawing(p, &d, f, facts);
    drawing_free(&d);
    return rc;
}

/* ---- tables ------------------------------------------------------------- */

/* Horizontal bars of one figure per row (energy by phase, by rank). */
static void put_bars(struct page *p, const char *id, const char *title,
                     const char *const *labels, const double *v, size_t n,
                     const char *unit)
{
    double top = 0, h = 22.0 * (double)n + 10;
    char a[64];
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]))
            top = fmax(top, v[i]);
    top = nice_top(top);
    put(p, "<figure><figcaption>");
    put_text(p, title);
    put(p, "</figcaption><svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
           "data-chart=\"%s\" data-series-count=\"1\"><g data-series=\"",
        W, h, id);
    put_text(p, title);
    put(p, "\" data-points=\"%zu\">", n);
    for (size_t i = 0; i < n; i++) {
        double y = 6 + 22.0 * (double)i;
        put(p, "<text x=\"190\" y=\"%.0f\" text-anchor=\"end\">", y + 14);
        put_text(p, labels[i]);
        put(p, "</text>");
        if (isfinite(v[i]))
            put(p, "<rect x=\"200\" y=\"%.0f\" width=\"%.1f\" height=\"16\" "
                   "fill=\"%s\"/><text x=\"%.1f\" y=\"%.0f\">%s %s</text>",
                y, (W - 330) * v[i] / top, colours[0],
                206 + (W - 330) * v[i] / top, y + 13,
                num(a, sizeof a, v[i]), unit);
        else
            put(p, "<text x=\"206\" y=\"%.0f\">unknown</text>", y + 13);
    }
    put(p, "</g></svg></figure>");
}

/* A row of energy and CO2e: the figures of a phase, a rank or a node. */
static void put_row(struct page *p, const char *prefix, double e, double op,
                    double emb, const char *op_why)
{
    char name[200];
    snprintf(name, sizeof name, "%s:energy_j", prefix);
    put_figure(p, name, e, isnan(e) ? "a sample had no energy reading" : NULL);
    snprintf(name, sizeof name, "%s:operational_kgco2e", prefix);
    put_figure(p, name, op, op_why);
    snprintf(name, sizeof name, "%s:embodied_kgco2e", prefix);
    put_figure(p, name, emb, "not included: a sample counted none");
    snprintf(name, sizeof name, "%s:total_kgco2e", prefix);
    put_figure(p, name, isnan(emb) ? op : op + emb, op_why);
}

static const char row_head[] =
    "<th>energy (J)</th><th>operational (kgCO2e)</th>"
    "<th>embodied (kgCO2e)</th><th>total (kgCO2e)</th></tr>";

static int put_phases(struct page *p, const llmc_runlog *log)
{
    size_t n = llmc_runlog_phase_count(log);
    const char **labels = calloc(n + 1, sizeof *labels);
    double *e = calloc(n + 1, sizeof *e), *co2 = calloc(n + 1, sizeof *co2);
    char prefix[100];
    int rc = LLMC_OK;

    if (!labels || !e || !co2) {
        rc = LLMC_ENOMEM;
        goto done;
    }
    put(p, "<h2>By phase</h2><table data-table=\"phases\"><tr><th>phase</th>%s",
        row_head);
    for (size_t i = 0; i < n; i++) {
        llmc_run_totals t;
        llmc_run_totals_init(&t, sizeof t);
        if ((rc = llmc_runlog_totals(&t, log, llmc_runlog_phase_name(log, i)))
            != LLMC_OK)
            goto done;
        put(p, "<tr><td>");
        put_text(p, t.phase);
        put(p, "</td>");
        snprintf(prefix, sizeof prefix, "phase:%s", t.phase);
        put_row(p, prefix, t.energy_j, t.operational_kgco2e,
                t.embodied_kgco2e,
                "a sample had no intensity (fill lines price the run, not "
                "its phases)");
        put(p, "</tr>");
        labels[i] = t.phase;
        e[i] = t.energy_j;
        co2[i] = isnan(t.embodied_kgco2e)
                     ? t.operational_kgco2e
                     : t.operational_kgco2e + t.embodied_kgco2e;
    }
    put(p, "</table>");
    put_bars(p, "phase-energy", "Energy by phase", labels, e, n, "J");
    put_bars(p, "phase-co2e", "CO2e by phase", labels, co2, n, "kgCO2e");
done:
    free(labels);
    free(e);
    free(co2);
    return rc;
}

static int put_streams(struct page *p, const llmc_runlog *log)
{
    size_t n = llmc_runlog_stream_count(log), nnodes = 0;
    llmc_run_totals *w = calloc(n + 1, sizeof *w);
    const char **labels = calloc(2 * n + 1, sizeof *labels);
    char (*names)[160] = calloc(n + 1, sizeof *names);
    double *e = calloc(2 * n + 1, sizeof *e);
    char prefix[200];
    int rc = LLMC_OK;

    if (!w || !labels || !names || !e) {
        rc = LLMC_ENOMEM;
        goto done;
    }
    put(p, "<h2>By rank and node</h2><table data-table=\"ranks\"><tr>"
           "<th>host</th><th>rank</th>%s", row_head);
    for (size_t i = 0; i < n; i++) {
        llmc_run_totals_init(&w[i], sizeof w[i]);
        if ((rc = llmc_runlog_stream(&w[i], log, i)) != LLMC_OK)
            goto done;
        put(p, "<tr><td>");
        put_text(p, w[i].host);
        put(p, "</td><td>");
        if (w[i].rank >= 0)
            put(p, "%lld", (long long)w[i].rank);
        else
            put(p, "none");
        put(p, "</td>");
        snprintf(prefix, sizeof prefix, "rank:%s:%lld", w[i].host,
                 (long long)w[i].rank);
        put_row(p, prefix, w[i].energy_j, w[i].operational_kgco2e,
                w[i].embodied_kgco2e,
                w[i].unpriced_samples ? "a sample had no intensity" : NULL);
        put(p, "</tr>");
        snprintf(names[i], sizeof names[i], "%s rank %lld", w[i].host,
                 (long long)w[i].rank);
        labels[i] = names[i];
        e[i] = w[i].energy_j;
    }
    put(p, "</table>");
    put_bars(p, "rank-energy", "Energy by rank", labels, e, n, "J");
    /* nodes: the ranks of each host added up */
    put(p, "<table data-table=\"nodes\"><tr><th>node</th><th>ranks</th>%s",
        row_head);
    for (size_t i = 0; i < n; i++) {
        double en = 0, op = 0, emb = 0;
        size_t ranks = 0;
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++)
            seen = strcmp(w[k].host, w[i].host) == 0;
        if (seen)
            continue;
        for (size_t k = i; k < n; k++)
            if (strcmp(w[k].host, w[i].host) == 0) {
                en += w[k].energy_j;
                op += w[k].operational_kgco2e;
                emb += w[k].embodied_kgco2e;
                ranks++;
            }
        put(p, "<tr><td>");
        put_text(p, w[i].host);
        put(p, "</td><td class=\"n\">%zu</td>", ranks);
        snprintf(prefix, sizeof prefix, "node:%s", w[i].host);
        put_row(p, prefix, en, op, emb,
                isnan(op) ? "a rank's operational CO2e is unknown" : NULL);
        put(p, "</tr>");
        labels[n + nnodes] = w[i].host;
        e[n + nnodes++] = en;
    }
    put(p, "</table>");
    put_bars(p, "node-energy", "Energy by node", labels + n, e + n, nnodes,
             "J");
done:
    free(w);
    free(labels);
    free(names);
    free(e);
    return rc;
}

static void put_windows(struct page *p, const struct llmc__run_facts *facts,
                        int read_whole)
{
    char prefix[200], a[64];
    put(p, "<h2>By window</h2>");
    if (!facts->nwindow) {
        put(p, "<p class=\"note\">%s</p>",
            read_whole ? "The logs hold no named window "
                       "(llmc_tracker_window_begin)."
                     : "Windows are read with the samples; this log was "
                       "read without them.");
        return;
    }
    put(p, "<table data-table=\"windows\"><tr><th>window</th><th>host</th>"
           "<th>rank</th><th>from</th><th>to</th><th>duration (s)</th>%s",
        row_head);
    for (size_t i = 0; i < facts->nwindow; i++) {
        const struct llmc__run_window *w = &facts->window[i];
        put(p, "<tr><td>");
        put_text(p, w->name);
        put(p, "</td><td>");
        put_text(p, w->host);
        put(p, "</td><td>");
        if (w->rank >= 0)
            put(p, "%lld", w->rank);
        else
            put(p, "none");
        put(p, "</td><td>");
        put_utc(p, w->begin_unix_s);
        put(p, "</td><td>");
        put_utc(p, w->end_unix_s);
        put(p, "</td><td class=\"n\">%s</td>",
            num(a, sizeof a, w->end_unix_s - w->begin_unix_s));
        snprintf(prefix, sizeof prefix, "window:%s:%s:%lld", w->name,
                 w->host, w->rank);
        put_row(p, prefix, w->energy_j, w->operational_kgco2e,
                w->embodied_kgco2e,
                "no intensity was known for part of the window");
        put(p, "</tr>");
    }
    put(p, "</table>");
}

/* The run's figures, as the text report prints them. */
static void put_summary(struct page *p, const llmc_run_totals *f)
{
    char a[64];
    put(p, "<table data-table=\"summary\">");
    put(p, "<tr><th>logs</th>");
    put_figure(p, "logs", (double)f->logs, NULL);
    put(p, "</tr><tr><th>samples</th>");
    put_figure(p, "samples", (double)f->samples, NULL);
    put(p, "</tr><tr><th>duration (s)</th>");
    put_figure(p, "duration_s", f->duration_s, NULL);
    put(p, "</tr><tr><th>energy (J)</th>");
    put_figure(p, "energy_j", f->energy_j, f->energy_unknown_reason);
    put(p, "</tr><tr><th>energy (kWh)</th>");
    put_figure(p, "energy_kwh", f->energy_j / 3.6e6, f->energy_unknown_reason);
    put(p, "</tr><tr><th>operational, as recorded (kgCO2e)</th>");
    put_figure(p, "operational_kgco2e", f->operational_kgco2e,
               f->operational_unknown_reason);
    if (f->fill_lines) {
        put(p, "</tr><tr><th>filled: priced after its interval (kWh, "
               "kgCO2e)</th>");
        put_figure(p, "filled_energy_kwh", f->filled_energy_j / 3.6e6, NULL);
        put_figure(p, "filled_operational_kgco2e",
                   f->filled_operational_kgco2e, NULL);
        put(p, "<td>%s fill line%s</td>",
            num(a, sizeof a, (double)f->fill_lines),
            f->fill_lines == 1 ? "" : "s");
    }
    put(p, "</tr><tr><th>embodied (kgCO2e)</th>");
    if (f->embodied_note) {
        put(p, "<td class=\"n\" data-figure=\"embodied_kgco2e\">not "
               "included: <span class=\"why\">");
        put_text(p, f->embodied_note);
        put(p, "</span></td>");
    } else {
        put_figure(p, "embodied_kgco2e", f->embodied_kgco2e, NULL);
    }
    put(p, "</tr><tr><th>total (kgCO2e)</th>");
    put_figure(p, "total_kgco2e", f->total_kgco2e,
               f->operational_unknown_reason);
    if (f->embodied_note && !f->operational_unknown_reason)
        put(p, "<td>operational only; embodied not included</td>");
    if (f->grid) {
        put(p, "</tr><tr><th>reweighted at ");
        put_text(p, f->grid);
        put(p, " (kgCO2e)</th>");
        put_figure(p, "reweighted_kgco2e", f->reweighted_kgco2e,
                   f->reweight_problem ? f->reweight_problem
                                       : f->energy_unknown_reason);
        put(p, "</tr><tr><th>reweighted mean intensity (gCO2e/kWh)</th>");
        put_figure(p, "reweighted_intensity_gco2e_per_kwh",
                   f->reweighted_intensity_gco2e_per_kwh,
                   f->reweight_problem ? f->reweight_problem
                                       : f->energy_unknown_reason);
    }
    put(p, "</tr></table>");
}

/* What the figures rest on: the grids, PUEs and meters the samples name,
 * and where the embodied carbon comes from (the tracker's report, when
 * the page is a tracker's). */
static void put_assumptions(struct page *p, const llmc_run_totals *f,
                            const struct llmc__run_facts *facts,
                            const json_t *tracker)
{
    char a[64], b[64];
    const json_t *emb = json_object_get(tracker, "embodied");
    put(p, "<h2>Assumptions and sources</h2><table data-table=\"assumptions\">");
    for (size_t k = 0; k < facts->nsource; k++) {
        put(p, "<tr><th>grid intensity</th><td>");
        put_source(p, &facts->source[k]);
        put(p, "</td></tr>");
    }
    if (!facts->nsource)
        put(p, "<tr><th>grid intensity</th><td>not named in the "
               "log</td></tr>");
    if (f->grid) {
        put(p, "<tr><th>reweighted at</th><td>");
        put_text(p, f->grid);
        put(p, "</td></tr>");
    }
    put(p, "<tr><th>PUE</th><td>");
    for (size_t k = 0; k < facts->npue; k++)
        put(p, "%s%s", k ? ", " : "", num(a, sizeof a, facts->pue[k]));
    if (!facts->npue)
        put(p, "not named in the log");
    put(p, "</td></tr>");
    for (size_t k = 0; k < facts->nmeter; k++) {
        put(p, "<tr><th>meter</th><td>");
        put_text(p, facts->meter[k].name);
        put(p, ", method ");
        put_text(p, facts->meter[k].method);
        put(p, "</td></tr>");
    }
    put(p, "<tr><th>embodied carbon</th><td>");
    if (json_is_object(emb)) {
        const json_t *v;
        int included = json_is_true(json_object_get(emb, "included"));
        if (!included) {
            put(p, "not included: ");
            put_text(p, json_string_value(json_object_get(emb, "note")));
        } else {
            put(p, "%s device%s at %s kgCO2e each",
                num(a, sizeof a,
                    (double)json_integer_value(
                        json_object_get(emb, "devices"))),
                json_integer_value(json_object_get(emb, "devices")) == 1
                    ? ""
                    : "s",
                num(b, sizeof b,
                    json_number_value(
                        json_object_get(emb, "kgco2e_per_device"))));
            put(p, ", basis ");
            put_text(p, json_string_value(json_object_get(emb, "basis")));
            put(p, ", amortised over %s years",
                num(a, sizeof a,
                    json_number_value(
                        json_object_get(emb, "lifetime_years"))));
        }
        if ((v = json_object_get(emb, "hardware")) && json_is_string(v)) {
            put(p, "; hardware profile ");
            put_text(p, json_string_value(v));
        }
    } else if (f->embodied_note) {
        put(p, "not included: ");
        put_text(p, f->embodied_note);
    } else {
        put(p, "counted by the tracker on each sample; its hardware profile "
               "is not written to the log (the tracker's report names it)");
    }
    put(p, "</td></tr></table>");
}

/* The projection to the planned tokens: the tracker's, or the log's own
 * (f) from the plan it records. */
static void put_projection(struct page *p, const json_t *tracker,
                           const llmc_run_totals *f)
{
    const json_t *pr = json_object_get(tracker, "projection");
    const json_t *range, *plan;
    json_t *of_log = NULL;
    char a[64], b[64];
    int ok = 1;

    put(p, "<h2>Projection against the plan</h2>");
    if (!tracker) {
        pr = of_log = llmc__run_projection_json(f, &ok);
        if (!ok || !json_is_integer(json_object_get(pr, "target_tokens"))) {
            put(p, "<p class=\"note\">Not drawn: ");
            put_text(p, ok && f->projection_note ? f->projection_note
                                                 : "out of memory");
            put(p, ".</p>");
            json_decref(of_log);
            return;
        }
    }
    if (!json_is_object(pr)) {
        put(p, "<p class=\"note\">Not drawn: the tracker has no "
               "target_tokens, so there is no plan to project to.</p>");
        return;
    }
    range = json_object_get(pr, "range_kgco2e");
    plan = json_object_get(pr, "plan_range_kgco2e");
    put(p, "<table data-table=\"projection\"><tr><th>target tokens</th>");
    put_figure(p, "projection:target_tokens",
               (double)json_integer_value(json_object_get(pr,
                                                          "target_tokens")),
               NULL);
    put(p, "</tr><tr><th>projected total (kgCO2e)</th>");
    put_figure(p, "projection:total_kgco2e",
               json_is_number(json_object_get(pr, "total_kgco2e"))
                   ? json_number_value(json_object_get(pr, "total_kgco2e"))
                   : NAN,
               json_string_value(json_object_get(pr, "note")));
    if (json_is_array(range) &&
        json_is_number(json_array_get(range, 0)))
        put(p, "<td>%s to %s</td>",
            num(a, sizeof a, json_number_value(json_array_get(range, 0))),
            num(b, sizeof b, json_number_value(json_array_get(range, 1))));
    put(p, "</tr>");
    if (json_is_array(plan)) {
        put(p, "<tr><th>plan (kgCO2e)</th>");
        put_figure(p, "projection:plan_total_kgco2e",
                   json_number_value(json_object_get(pr, "plan_total_kgco2e")),
                   NULL);
        put(p, "<td>%s to %s</td></tr>",
            num(a, sizeof a, json_number_value(json_array_get(plan, 0))),
            num(b, sizeof b, json_number_value(json_array_get(plan, 1))));
    }
    put(p, "</table>");
    json_decref(of_log);
}

/* The page of log; tracker: the tracker's JSON report, or NULL. */
static int render(char **out, const llmc_runlog *log, const json_t *tracker)
{
    struct page p = {0};
    struct llmc__run_facts facts;
    llmc_runlog *again = NULL; /* the log read again to draw it */
    llmc_run_totals f;
    char a[64], b[64], c[64];
    int rc;

    llmc_run_totals_init(&f, sizeof f);
    if ((rc = llmc_runlog_totals(&f, log, NULL)) != LLMC_OK)
        return rc;
    llmc__runlog_facts(&facts, log);
    put(&p, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"generator\" content=\"libllmcarbon %s\">"
            "<title>llmcarbon report</title><style>%s</style></head><body>",
        llmc_version_string(), style);
    put(&p, "<h1>llmcarbon report</h1><p>%s log%s, %s samples over %s s, "
            "from ",
        num(a, sizeof a, (double)f.logs), f.logs == 1 ? "" : "s",
        num(b, sizeof b, (double)f.samples), num(c, sizeof c, f.duration_s));
    put_utc(&p, facts.first_unix_s);
    put(&p, " to ");
    put_utc(&p, facts.last_unix_s);
    put(&p, ".</p>");
    if (*llmc_runlog_warnings(log)) {
        put(&p, "<p class=\"note\">Warnings of the reading: ");
        put_text(&p, llmc_runlog_warnings(log));
        put(&p, "</p>");
    }
    put_summary(&p, &f);
    if ((rc = draw_charts(&p, log, &f, &facts, &again)) != LLMC_OK ||
        (rc = put_phases(&p, log)) != LLMC_OK ||
        (rc = put_streams(&p, log)) != LLMC_OK)
        goto fail;
    put_windows(&p, &facts, llmc_runlog_sample_count(log) || again);
    put_projection(&p, tracker, &f);
    put_assumptions(&p, &f, &facts, tracker);
    put(&p, "<p class=\"note\">Written by libllmcarbon %s. Figures: "
            "llmc_run_totals, as `llmcarbon report --json` gives them; "
            "unknown where a part is not known, never 0.</p></body></html>\n",
        llmc_version_string());
    if (p.nomem) {
        rc = LLMC_ENOMEM;
        goto fail;
    }
    llmc_runlog_free(again);
    *out = p.buf;
    return LLMC_OK;
fail:
    llmc_runlog_free(again);
    free(p.buf);
    return rc == LLMC_ENOMEM || p.nomem
               ? llmc__fail(LLMC_ENOMEM, "out of memory writing the HTML "
                                         "report")
               : rc;
}

LLMC_API int llmc_runlog_report_html(char **out_html, const llmc_runlog *log,
                                     unsigned flags)
{
    if (!out_html || !log)
        return llmc__fail(LLMC_EINVAL, "out_html or log is NULL");
    *out_html = NULL;
    if (flags != 0)
        return llmc__fail(LLMC_EINVAL,
                          "flags 0x%x: no flag is defined yet; pass 0",
                          flags);
    return render(out_html, log, NULL);
}

_Atomic size_t llmc__html_samples_kept;
void (*llmc__html_between_readings)(const char *path);

LLMC_API int llmc_tracker_report_html(char **out_html, llmc_tracker *t)
{
    char *path = NULL, *json = NULL;
    const char *paths[1];
    long long limit_bytes = -1;
    llmc_runlog *log = NULL;
    json_t *report = NULL;
    json_error_t err;
    int rc, stopped;

    if (!out_html || !t)
        return llmc__fail(LLMC_EINVAL, "out_html or tracker is NULL");
    *out_html = NULL;
    /* the report of the tracker first: it refuses a tracker not started */
    if ((rc = llmc_tracker_report_json(&json, t)) != LLMC_OK)
        return rc;
    pthread_mutex_lock(&t->mu);
    if (t->log_path) {
        /* what the sampler queued is on disk before the log is read */
        struct stat st;
        llmc__writer_flush_released(t);
        /* a page drawn from a log that lost lines would undercount */
        if ((rc = llmc__log_whole(t)) != LLMC_OK) {
            pthread_mutex_unlock(&t->mu);
            llmc_free(json);
            return rc;
        }
        path = llmc__strdup(t->log_path);
        /* where the log ends now: the lines after are of samples taken
         * after this call began */
        if (path && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            limit_bytes = (long long)st.st_size;
    }
    /* the log is read as report reads it, without its samples, and again
     * to draw (memory that of the processes, not of a month of lines); a
     * running tracker's log grows meanwhile, so both readings stop where
     * it ended when the call began, and the charts hold exactly the
     * samples counted */
    stopped = atomic_load(&t->state) == LLMC__STOPPED && t->stop_finished;
    /* a stopped one's no longer grows: read whole, as report reads it */
    if (stopped)
        limit_bytes = -1;
    pthread_mutex_unlock(&t->mu);
    if (!path) {
        int had_log = t->log_path != NULL;
        llmc_free(json);
        if (had_log)
            return llmc__fail(LLMC_ENOMEM, "out of memory");
        return llmc__fail(LLMC_ENODATA,
                          "the tracker writes no log: its page draws the "
                          "samples of its log, so set log=FILE before the "
                          "start (llmc_tracker_report_json gives its "
                          "totals without one)");
    }
    report = llmc__json_loadb(json, strlen(json), 0, &err);
    llmc_free(json);
    paths[0] = path;
    if (!report)
        rc = llmc__fail(LLMC_ENOMEM, "out of memory reading the report");
    else if ((rc = llmc__runlog_read_upto(&log, paths, &limit_bytes, 1,
                                          NULL, 0, LLMC_RUNLOG_NO_SAMPLES)) ==
             LLMC_OK) {
        atomic_store(&llmc__html_samples_kept,
                     llmc_runlog_sample_count(log));
        rc = render(out_html, log, report);
    }
    llmc_runlog_free(log);
    json_decref(report);
    free(path);
    return rc;
}
