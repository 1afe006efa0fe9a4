/*
 * report_tables.c - the tables of `llmcarbon report`: --csv (the run's
 * row, as `llmcarbon run --csv` writes it), --csv-samples (one row per
 * sample line) and --compare (two runs side by side, with the change).
 *
 * The figures are the JSON report's (llmc_runlog_report_json), with what
 * that report lacks and run's has added the way the tracker computes it:
 * the intensity weighted by the energy it priced, the steps (the last
 * count of each log, as the tokens are), and the per-token figures. The
 * run's identity (job, grid, PUE, start, meters' method) is read from the
 * first sample line of each log, the steps from the last.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tables.h"

/* ---- a run's identity and figures -------------------------------------- */

/* Distinct values joined by spaces ("" when none). */
struct joined {
    char text[1024];
    int any;
};

static void join(struct joined *j, const char *value)
{
    size_t n = strlen(value), at = 0, len = strlen(j->text);
    if (!*value)
        return;
    /* already there, as a whole word */
    for (const char *p = j->text; (p = strstr(p, value)) != NULL; p += n) {
        at = (size_t)(p - j->text);
        if ((at == 0 || j->text[at - 1] == ' ') &&
            (p[n] == ' ' || p[n] == '\0'))
            return;
    }
    if (len + n + 2 > sizeof j->text)
        return; /* too many to list: the first ones stand for them */
    snprintf(j->text + len, sizeof j->text - len, "%s%s", len ? " " : "",
             value);
    j->any = 1;
}

struct heads {
    struct joined job, grid;
    double start_unix_s, pue;
    int pue_mixed, estimated;
    long long steps; /* -1: a log whose last sample was not read */
};

/* A sample line (one without "type"), parsed; NULL otherwise, with *oom
 * set when memory ran out. */
static json_t *sample_line(const char *line, int *oom)
{
    json_error_t err;
    json_t *j = llmc__json_loadb(line, strlen(line), 0, &err);
    if (!j && json_error_code(&err) == json_error_out_of_memory)
        *oom = 1;
    if (j && (!json_is_object(j) || json_object_get(j, "type"))) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

static void first_sample(struct heads *h, json_t *j)
{
    json_t *t = json_object_get(j, "time_unix_s"),
           *dt = json_object_get(j, "interval_s"),
           *pue = json_object_get(j, "pue"), *m;
    size_t i;

    if (json_is_string(json_object_get(j, "job")))
        join(&h->job, json_string_value(json_object_get(j, "job")));
    if (json_is_string(json_object_get(j, "intensity_source")))
        join(&h->grid,
             json_string_value(json_object_get(j, "intensity_source")));
    if (json_is_number(t) && json_is_number(dt)) {
        double start = json_number_value(t) - json_number_value(dt);
        if (isnan(h->start_unix_s) || start < h->start_unix_s)
            h->start_unix_s = start;
    }
    if (json_is_number(pue)) {
        if (isnan(h->pue))
            h->pue = json_number_value(pue);
        else if (h->pue != json_number_value(pue))
            h->pue_mixed = 1;
    }
    json_array_foreach(json_object_get(j, "meters"), i, m) {
        const char *method = json_string_value(json_object_get(m, "method"));
        if (method && strcmp(method, "model") == 0)
            h->estimated = 1;
    }
}

/* The last lines of a log kept to find its last sample: after it may come
 * a torn line, fill lines and window lines. */
#define TAIL_LINES 8

/* Reads each log's first and last sample lines (a torn last line is
 * passed over, as the reader does). A log that cannot be read again (a
 * pipe, read once by the library) leaves its cells empty. 0, or -1 when
 * memory ran out (said): a cell is never left empty for want of it. */
static int read_heads(struct heads *h, const char *const *paths,
                      size_t npaths)
{
    int oom = 0;

    memset(h, 0, sizeof *h);
    h->start_unix_s = h->pue = NAN;
    for (size_t i = 0; i < npaths && !oom; i++) {
        FILE *f;
        char *line = NULL, *tail[TAIL_LINES] = {NULL};
        size_t cap = 0, lines = 0;
        int first = 0;
        long long step = -1;

        errno = 0;
        if (!(f = fopen(paths[i], "re"))) {
            oom = errno == ENOMEM;
            h->steps = -1;
            continue;
        }
        for (errno = 0; getline(&line, &cap, f) > 0 && !oom; errno = 0) {
            if (!first) {
                json_t *j = sample_line(line, &oom);
                if (j) {
                    first_sample(h, j);
                    first = 1;
                    json_decref(j);
                }
            }
            free(tail[lines % TAIL_LINES]);
            tail[lines++ % TAIL_LINES] = line;
            line = NULL;
            cap = 0;
        }
        oom |= errno == ENOMEM;
        free(line);
        fclose(f);
        /* the last sample line, from the end */
        for (size_t k = 0; k < TAIL_LINES && k < lines && step < 0; k++) {
            json_t *j = sample_line(tail[(lines - 1 - k) % TAIL_LINES], &oom);
            json_t *s = json_object_get(j, "step");
            if (json_is_integer(s))
                step = (long long)json_integer_value(s);
            json_decref(j);
        }
        for (size_t k = 0; k < TAIL_LINES; k++)
            free(tail[k]);
        if (step < 0 || h->steps < 0)
            h->steps = -1;
        else
            h->steps += step;
    }
    if (oom)
        report_out_of_memory();
    return oom ? -1 : 0;
}

static double value_of(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* v, or null when unknown; *ok cleared when it could not be set. */
static void set_num(int *ok, json_t *o, const char *key, double v)
{
    llmc__json_set(ok, o, key, isfinite(v) ? json_real(v) : json_null());
}

/* The figures of a read log as one JSON object: the JSON report, with
 * intensity_gco2e_per_kwh, steps, j_per_token and gco2e_per_token added.
 * NULL when memory ran out (said). */
static json_t *figures_of(const llmc_runlog *log, const struct heads *h)
{
    char *text = NULL;
    json_t *r = NULL, *tok;
    double priced_j = 0, weighted = 0, energy, total;
    int ok = 1, rc;

    if ((rc = llmc_runlog_report_json(&text, log)) != LLMC_OK) {
        cli_fail("report", "--csv", rc);
        return NULL;
    }
    r = llmc__json_loadb(text, strlen(text), 0, NULL);
    llmc_free(text);
    if (!r) {
        report_out_of_memory();
        return NULL;
    }
    /* the tracker's intensity: the mean over the energy it priced */
    for (size_t i = 0; i < llmc_runlog_sample_count(log); i++) {
        llmc_run_sample s;
        llmc_run_sample_init(&s, sizeof s);
        if (llmc_runlog_sample(&s, log, i) != LLMC_OK)
            continue;
        if (!isnan(s.energy_j) && !isnan(s.intensity_gco2e_per_kwh)) {
            priced_j += s.energy_j;
            weighted += s.energy_j * s.intensity_gco2e_per_kwh;
        }
    }
    set_num(&ok, r, "intensity_gco2e_per_kwh",
            priced_j > 0 ? weighted / priced_j : NAN);
    llmc__json_set(&ok, r, "steps",
                   h->steps >= 0 ? json_integer((json_int_t)h->steps)
                                 : json_null());
    tok = json_object_get(r, "tokens");
    energy = json_is_number(json_object_get(r, "energy_j"))
                 ? json_number_value(json_object_get(r, "energy_j"))
                 : NAN;
    total = json_is_number(json_object_get(r, "total_kgco2e"))
                ? json_number_value(json_object_get(r, "total_kgco2e"))
                : NAN;
    if (json_is_integer(tok) && json_integer_value(tok) > 0) {
        double n = (double)json_integer_value(tok);
        set_num(&ok, r, "j_per_token", energy / n);
        set_num(&ok, r, "gco2e_per_token", total * 1000.0 / n);
    } else {
        llmc__json_set(&ok, r, "j_per_token", json_null());
        llmc__json_set(&ok, r, "gco2e_per_token", json_null());
    }
    /* --grid: the whole run's operational CO2e at that grid, for
     * --compare (the rows and phases stay as recorded) */
    if (json_is_object(json_object_get(r, "reweighted"))) {
        json_t *w = json_object_get(r, "reweighted");
        set_num(&ok, r, "reweighted_kgco2e",
                value_of(w, "operational_kgco2e"));
        set_num(&ok, r, "reweighted_intensity_gco2e_per_kwh",
                value_of(w, "intensity_gco2e_per_kwh"));
    }
    if (!ok) {
        json_decref(r);
        report_out_of_memory();
        return NULL;
    }
    return r;
}

int report_csv_run(const char *path, const llmc_runlog *log,
                   const char *const *paths, size_t npaths, const char *name,
                   double pue_override)
{
    struct csv_identity id;
    struct heads h;
    struct joined hosts = {{0}, 0};
    json_t *fig;
    int rc;

    if (read_heads(&h, paths, npaths) != 0 || !(fig = figures_of(log, &h)))
        return CLI_FAILED;
    for (size_t i = 0; i < llmc_runlog_stream_count(log); i++) {
        llmc_run_totals w;
        llmc_run_totals_init(&w, sizeof w);
        if (llmc_runlog_stream(&w, log, i) == LLMC_OK && w.host)
            join(&hosts, w.host);
    }
    id = (struct csv_identity){
        .name = name,
        .job = h.job.text,
        .host = hosts.text,
        .start_unix_s = h.start_unix_s,
        .grid = h.grid.text,
        .pue = pue_override > 0 ? pue_override
               : h.pue_mixed    ? NAN
                                : h.pue,
        .measurement =
            json_is_number(json_object_get(fig, "energy_j"))
                ? (h.estimated ? "estimated" : "measured")
                : "unmeasured",
    };
    rc = csv_append_run("report", path, &id, fig);
    json_decref(fig);
    return rc;
}

/* ---- one row per sample ------------------------------------------------- */

/* The device columns: every name seen, in the order first seen; a name
 * that a sample has twice gets "#2" for its second channel. */
struct devcols {
    char **names;
    size_t n;
};

static const char *dev_key(char *buf, size_t size, const llmc_run_sample *s,
                           size_t k)
{
    int seen = 1;
    for (size_t i = 0; i < k; i++)
        seen += strcmp(s->device_names[i], s->device_names[k]) == 0;
    if (seen == 1)
        snprintf(buf, size, "%s", s->device_names[k]);
    else
        snprintf(buf, size, "%s#%d", s->device_names[k], seen);
    return buf;
}

static long dev_index(const struct devcols *d, const char *key)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->names[i], key) == 0)
            return (long)i;
    return -1;
}

static int dev_collect(struct devcols *d, const llmc_runlog *log)
{
    char key[512];
    for (size_t i = 0; i < llmc_runlog_sample_count(log); i++) {
        llmc_run_sample s;
        llmc_run_sample_init(&s, sizeof s);
        if (llmc_runlog_sample(&s, log, i) != LLMC_OK)
            continue;
        for (size_t k = 0; k < s.device_count; k++) {
            char **names;
            dev_key(key, sizeof key, &s, k);
            if (dev_index(d, key) >= 0)
                continue;
            if (!(names = realloc(d->names, (d->n + 1) * sizeof *names)) ||
                !(names[d->n] = strdup(key))) {
                if (names)
                    d->names = names;
                return -1;
            }
            d->names = names;
            d->n++;
        }
    }
    return 0;
}

static void dev_free(struct devcols *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->names[i]);
    free(d->names);
}

static const char *const sample_columns[] = {
    "time", "time_unix_s", "interval_s", "host", "rank", "pid", "phase",
    "step", "tokens", "energy_j", "power_w", "intensity_gco2e_per_kwh",
    "operational_kgco2e", "embodied_kgco2e",
};

static void sample_row(struct csv_buf *b, const llmc_run_sample *s,
                       const struct devcols *d, double *power)
{
    char text[64], key[512];

    cli_utc(text, sizeof text, s->time_unix_s);
    csv_text(b, 1, text);
    csv_num(b, 0, s->time_unix_s);
    csv_num(b, 0, s->interval_s);
    csv_text(b, 0, s->host);
    if (s->rank >= 0)
        csv_int(b, 0, (long long)s->rank);
    else
        csv_text(b, 0, "");
    csv_int(b, 0, (long long)s->pid);
    csv_text(b, 0, s->phase);
    csv_uint(b, 0, (unsigned long long)s->step);
    csv_uint(b, 0, (unsigned long long)s->tokens);
    csv_num(b, 0, s->energy_j);
    csv_num(b, 0, s->power_w);
    csv_num(b, 0, s->intensity_gco2e_per_kwh);
    csv_num(b, 0, s->operational_kgco2e);
    csv_num(b, 0, s->embodied_kgco2e);
    for (size_t i = 0; i < d->n; i++)
        power[i] = NAN;
    for (size_t k = 0; k < s->device_count; k++) {
        long i = dev_index(d, dev_key(key, sizeof key, s, k));
        if (i >= 0)
            power[i] = s->device_power_w[k];
    }
    for (size_t i = 0; i < d->n; i++)
        csv_num(b, 0, power[i]);
    csv_end(b);
}

int report_csv_samples(const char *path, const llmc_runlog *log)
{
    struct devcols d = {NULL, 0};
    struct csv_buf b = {0};
    double *power = NULL;
    FILE *f = NULL;
    int rc = CLI_FAILED, werr = 0;

    if (dev_collect(&d, log) != 0 ||
        !(power = malloc((d.n ? d.n : 1) * sizeof *power))) {
        fprintf(stderr, "llmcarbon report: --csv-samples %s: out of memory; "
                "nothing was written (LLMC_ENOMEM)\n", path);
        goto out;
    }
    if (!(f = fopen(path, "we"))) {
        fprintf(stderr, "llmcarbon report: --csv-samples %s: cannot open "
                "it: %s\n", path, strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < sizeof sample_columns / sizeof *sample_columns;
         i++)
        csv_text(&b, i == 0, sample_columns[i]);
    for (size_t i = 0; i < d.n; i++) {
        char col[600];
        snprintf(col, sizeof col, "power_w[%s]", d.names[i]);
        csv_text(&b, 0, col);
    }
    csv_end(&b);
    for (size_t i = 0; i <= llmc_runlog_sample_count(log); i++) {
        llmc_run_sample s;
        /* written a few hundred rows at a time: memory stays small */
        if (b.len >= 65536 || i == llmc_runlog_sample_count(log)) {
            if (!b.failed && fwrite(b.p, 1, b.len, f) != b.len)
                werr = errno ? errno : EIO;
            b.len = 0;
        }
        if (i == llmc_runlog_sample_count(log) || werr || b.failed)
            break;
        llmc_run_sample_init(&s, sizeof s);
        if (llmc_runlog_sample(&s, log, i) == LLMC_OK)
            sample_row(&b, &s, &d, power);
    }
    if (b.failed) {
        fprintf(stderr, "llmcarbon report: --csv-samples %s: out of memory; "
                "the file is incomplete (LLMC_ENOMEM)\n", path);
        goto out;
    }
    if (fflush(f) != 0 && !werr)
        werr = errno;
    if (werr || ferror(f)) {
        fprintf(stderr, "llmcarbon report: --csv-samples %s: cannot write "
                "it: %s; the file is incomplete\n", path,
                strerror(werr ? werr : EIO));
        goto out;
    }
    rc = CLI_OK;
out:
    if (f && fclose(f) != 0 && rc == CLI_OK) {
        fprintf(stderr, "llmcarbon report: --csv-samples %s: cannot write "
                "it: %s; the file is incomplete\n", path, strerror(errno));
        rc = CLI_FAILED;
    }
    free(b.p);
    free(power);
    dev_free(&d);
    return rc;
}

/* ---- two runs side by side ---------------------------------------------- */

static const char *const compare_keys[] = {
    "duration_s",         "energy_j",        "energy_kwh",
    "operational_kgco2e", "embodied_kgco2e", "total_kgco2e",
    "intensity_gco2e_per_kwh", "steps",      "tokens",
    "j_per_token",        "gco2e_per_token",
    /* with --grid only */
    "reweighted_kgco2e",  "reweighted_intensity_gco2e_per_kwh",
};
#define NCOMPARE(grid) \
    (sizeof compare_keys / sizeof *compare_keys - ((grid) ? 0 : 2))
static const char *const phase_keys[] = {
    "energy_j", "operational_kgco2e", "embodied_kgco2e", "total_kgco2e",
};

/* B - A; a difference within 1e-12 of the figures is the rounding of
 * their sums (an intensity averaged over many samples), not a change: 0. */
static double change_of(double a, double b)
{
    double d = b - a;
    return fabs(d) <= 1e-12 * fmax(fabs(a), fabs(b)) ? 0.0 : d;
}

/* {"a", "b", "change", "change_pct"}: the change is B - A, and in percent
 * of A; unknown (null) when either is unknown, the percentage also when A
 * is 0. */
static json_t *change_json(double a, double b)
{
    json_t *o = json_object();
    int ok = o != NULL;
    set_num(&ok, o, "a", a);
    set_num(&ok, o, "b", b);
    set_num(&ok, o, "change", change_of(a, b));
    set_num(&ok, o, "change_pct", a != 0 ? 100.0 * change_of(a, b) / a : NAN);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static void text_line(FILE *out, const char *indent, const char *key,
                      double a, double b)
{
    char x[64], y[64], d[64], pct[32] = "unknown";
    double change = change_of(a, b);
    if (isfinite(change) && a != 0)
        snprintf(pct, sizeof pct, "%+.1f%%", 100.0 * change / a);
    if (isfinite(change) && change > 0) {
        d[0] = '+';
        cli_num(d + 1, sizeof d - 1, change);
    } else {
        cli_num(d, sizeof d, change);
    }
    fprintf(out, "%s%-*s %14s %14s %14s %9s\n", indent,
            (int)(36 - strlen(indent)), key, cli_num(x, sizeof x, a),
            cli_num(y, sizeof y, b), d, pct);
}

struct side {
    int grid; /* --grid given: its figures are compared too */
    const char *const *paths;
    size_t n;
    llmc_runlog *log;
    json_t *fig;
};

static int read_side(struct side *s, llmc_grid *grid, double pue)
{
    struct heads h;
    int rc = llmc_runlog_read(&s->log, s->paths, s->n, grid, pue);
    if (rc != LLMC_OK) {
        fprintf(stderr, "llmcarbon report: --compare: %s\n",
                llmc_last_error());
        return CLI_FAILED;
    }
    report_print_warnings(s->log);
    if (read_heads(&h, s->paths, s->n) != 0)
        return CLI_FAILED;
    return (s->fig = figures_of(s->log, &h)) ? CLI_OK : CLI_FAILED;
}

/* The phases of both runs, A's first: name and its totals in each (NaN
 * where a run has no such phase). */
static double phase_value(const llmc_runlog *log, const char *phase,
                          const char *key)
{
    llmc_run_totals p;
    llmc_run_totals_init(&p, sizeof p);
    if (llmc_runlog_totals(&p, log, phase) != LLMC_OK)
        return NAN;
    if (strcmp(key, "energy_j") == 0)
        return p.energy_j;
    if (strcmp(key, "operational_kgco2e") == 0)
        return p.operational_kgco2e;
    if (strcmp(key, "embodied_kgco2e") == 0)
        return p.embodied_kgco2e;
    /* the total as the report gives it: operational alone where embodied
     * was not counted */
    return isnan(p.embodied_kgco2e) ? p.operational_kgco2e
                                    : p.operational_kgco2e + p.embodied_kgco2e;
}

static const char *phase_at(const struct side *s, size_t i)
{
    size_t na = llmc_runlog_phase_count(s[0].log);
    if (i < na)
        return llmc_runlog_phase_name(s[0].log, i);
    i -= na;
    for (size_t k = 0; k < llmc_runlog_phase_count(s[1].log); k++) {
        const char *name = llmc_runlog_phase_name(s[1].log, k);
        llmc_run_totals p;
        llmc_run_totals_init(&p, sizeof p);
        if (llmc_runlog_totals(&p, s[0].log, name) == LLMC_OK)
            continue; /* A has it: listed already */
        if (i-- == 0)
            return name;
    }
    return NULL;
}

static json_t *paths_json(const struct side *s)
{
    json_t *a = json_array();
    int ok = a != NULL;
    for (size_t i = 0; ok && i < s->n; i++)
        llmc__json_append(&ok, a, json_string(s->paths[i]));
    if (!ok) {
        json_decref(a);
        return NULL;
    }
    return a;
}

static int print_compare_json(const struct side *s)
{
    json_t *root = json_object(), *figs = json_object(), *phases = json_object();
    json_t *a = json_object(), *b = json_object();
    const char *name;
    int ok = root && figs && phases && a && b;

    llmc__json_set(&ok, a, "logs", paths_json(&s[0]));
    llmc__json_set(&ok, b, "logs", paths_json(&s[1]));
    for (size_t i = 0; ok && i < NCOMPARE(s->grid); i++)
        llmc__json_set(&ok, figs, compare_keys[i],
                       change_json(value_of(s[0].fig, compare_keys[i]),
                                   value_of(s[1].fig, compare_keys[i])));
    for (size_t i = 0; ok && (name = phase_at(s, i)) != NULL; i++) {
        json_t *p = json_object();
        ok = p != NULL;
        for (size_t k = 0; ok && k < sizeof phase_keys / sizeof *phase_keys;
             k++)
            llmc__json_set(
                &ok, p, phase_keys[k],
                change_json(phase_value(s[0].log, name, phase_keys[k]),
                            phase_value(s[1].log, name, phase_keys[k])));
        llmc__json_set(&ok, phases, name, p);
    }
    /* each part goes in once, whatever failed: root owns it, or it is
     * released here */
    llmc__json_set(&ok, root, "a", a);
    llmc__json_set(&ok, root, "b", b);
    llmc__json_set(&ok, root, "figures", figs);
    llmc__json_set(&ok, root, "phases", phases);
    if (!ok) {
        json_decref(root);
        root = NULL;
    }
    return cli_print_json(root);
}

static void print_paths(FILE *out, const char *which, const struct side *s)
{
    fprintf(out, "  %s:", which);
    for (size_t i = 0; i < s->n; i++)
        fprintf(out, " %s", s->paths[i]);
    fputc('\n', out);
}

static int print_compare_text(const struct side *s)
{
    struct cli_out co;
    FILE *out = cli_out_open(&co);
    const char *name;

    if (out) {
        fprintf(out, "llmcarbon report --compare: B against A\n");
        print_paths(out, "A", &s[0]);
        print_paths(out, "B", &s[1]);
        fprintf(out, "  %-34s %14s %14s %14s %9s\n", "", "A", "B", "B - A",
                "change");
        for (size_t i = 0; i < NCOMPARE(s->grid); i++)
            text_line(out, "  ", compare_keys[i],
                      value_of(s[0].fig, compare_keys[i]),
                      value_of(s[1].fig, compare_keys[i]));
        for (size_t i = 0; (name = phase_at(s, i)) != NULL; i++) {
            fprintf(out, "  phase %s\n", name);
            for (size_t k = 0; k < sizeof phase_keys / sizeof *phase_keys;
                 k++)
                text_line(out, "    ", phase_keys[k],
                          phase_value(s[0].log, name, phase_keys[k]),
                          phase_value(s[1].log, name, phase_keys[k]));
        }
    }
    return cli_out_close(&co, "report");
}

int report_compare(const char *const *logs, size_t nlogs, llmc_grid *grid,
                   double pue, int json)
{
    struct side s[2] = {{0}, {0}};
    size_t vs = nlogs;
    int rc = CLI_FAILED;

    for (size_t i = 0; i < nlogs; i++)
        if (strcmp(logs[i], "vs") == 0) {
            if (vs != nlogs)
                return cli_usage("report", "--compare takes one 'vs' "
                                 "between A's logs and B's");
            vs = i;
        }
    if (vs == nlogs && nlogs == 2)
        vs = 1;
    else if (vs == nlogs || vs == 0 || vs + 1 == nlogs)
        return cli_usage("report", "--compare needs two runs: `llmcarbon "
                         "report --compare A.jsonl B.jsonl`, or several logs "
                         "each: `--compare a0.jsonl a1.jsonl vs b0.jsonl "
                         "b1.jsonl`");
    s[0] = (struct side){grid != NULL, logs, vs, NULL, NULL};
    s[1] = (struct side){grid != NULL,
                         logs + vs + (vs < nlogs && strcmp(logs[vs], "vs") ==
                                                        0),
                         0, NULL, NULL};
    s[1].n = (size_t)(logs + nlogs - s[1].paths);
    if (read_side(&s[0], grid, pue) == CLI_OK &&
        read_side(&s[1], grid, pue) == CLI_OK)
        rc = json ? print_compare_json(s) : print_compare_text(s);
    for (int i = 0; i < 2; i++) {
        json_decref(s[i].fig);
        llmc_runlog_free(s[i].log);
    }
    return rc;
}

int report_out_of_memory(void)
{
    fputs("llmcarbon report: out of memory; nothing was written "
          "(LLMC_ENOMEM)\n", stderr);
    return CLI_FAILED;
}
