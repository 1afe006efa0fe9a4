/*
 * cmd_report.c - `llmcarbon report LOG... [--grid SPEC] [--json]`: one job
 * report from the per-sample logs of its ranks, and, with --grid, the
 * operational CO2e weighted again by another grid source: the history a
 * provider published after the run, or another basis.
 *
 * A log is read as evidence, not trusted: every line is checked, a line
 * torn by a killed writer or a full disk is skipped only where it can be
 * (at the end of a file), a sample seen twice counts once, and a figure
 * that is not fully known is printed as unknown, never as a partial sum.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"

static const char help[] =
    "usage: llmcarbon report LOG... [--grid SPEC] [--pue X] [--json]\n"
    "\n"
    "Sums the JSON-lines logs of a run (log=FILE of the tracker or\n"
    "llmcarbon run --log; one per rank) into one report: energy, CO2e as\n"
    "recorded, embodied and total, per phase, host and rank. With --grid,\n"
    "the energy of every sample is weighted again by the intensity SPEC\n"
    "gives for that sample's time (for example the history Electricity\n"
    "Maps published after the run), and both figures are shown. --pue replaces the PUE the logs recorded.\n"
    "\n"
    "A torn last line of a log is skipped with a warning; a sample given\n"
    "twice (the same log twice) counts once, with a warning. Energy that\n"
    "had no grid intensity and that no fill line prices makes the\n"
    "operational CO2e unknown. Samples whose tracker counted no embodied\n"
    "carbon make it unknown (null), not 0; the total is then the\n"
    "operational figure alone, and says so.\n";

/* What a line may hold: beyond these it is damaged, not big. */
#define MAX_ENERGY_J 1e15          /* one process, 3 MW for ten years */
#define MAX_KGCO2E 1e12
#define MAX_UNIX_S 253402300799.0  /* 9999-12-31T23:59:59Z */
#define MAX_INTENSITY 1e5          /* gCO2e/kWh */

struct who {
    char host[128];
    long long rank;
    double energy_j, kgco2e;
    long long samples, unmeasured, unpriced;
};

/* A sample whose energy had no intensity when it was logged; a fill line
 * of the same process whose interval holds it prices it. */
struct span {
    uint64_t stream; /* host, pid and rank */
    double from_s, to_s, energy_j;
    size_t who;
};

/* A fill line with an empty interval prices energy a resumed run took
 * over from its checkpoint: energy of earlier processes of its host and
 * rank. */
#define CARRIED(f) ((f)->to_s - (f)->from_s < 1e-3)

struct key {
    uint64_t a, b;
};

/* A process that took over from its checkpoint, as its lines say: when,
 * and the energy it took over. */
struct resume {
    size_t who;
    json_int_t pid;
    double from_unix_s, energy_j;
    double written_unix_s; /* when the checkpoint was written; NAN unknown */
};

/* What the samples of one phase counted. */
struct phase {
    char name[64];
    double energy_j, kgco2e, embodied_kgco2e;
    long long samples, unmeasured, unpriced, no_embodied;
};

struct sums {
    double energy_j, recorded_kgco2e, reweighted_kgco2e, ci_energy;
    double filled_energy_j, filled_kgco2e;
    double first_t, last_t;
    int have_t;
    long long samples, unmeasured, reweight_failures, fills, duplicates, torn;
    long long tokens;
    /* embodied CO2e of the samples that counted it; no_embodied: samples
     * whose tracker counted none (null in the log) */
    double embodied_kgco2e;
    long long no_embodied;
    struct phase *phase;
    size_t nphase, capphase;
    struct resume *resumed;
    size_t nresumed, capresumed;
    struct who *who;
    size_t nwho, capwho;
    struct span *unpriced, *filled;
    size_t nunpriced, capunpriced, nfilled, capfilled;
    struct key *seen; /* open addressing; {0,0} is empty */
    size_t nseen, capseen;
    char problem[400];
    /* after matching the fills: what no fill prices */
    double unpriced_j;
    long long unpriced_samples;
};

static int out_of_memory(void)
{
    fprintf(stderr, "llmcarbon report: out of memory; nothing was "
                    "reported\n");
    return CLI_FAILED;
}

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
    void *q;
    size_t c;
    if (n < *cap)
        return 0;
    c = *cap ? *cap * 2 : 64;
    if (!(q = realloc(*p, c * size)))
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* The index of host and rank in s->who, or -1 when out of memory. */
static long who_of(struct sums *s, const char *host, long long rank)
{
    void *p = s->who;
    for (size_t i = 0; i < s->nwho; i++)
        if (s->who[i].rank == rank && strcmp(s->who[i].host, host) == 0)
            return (long)i;
    if (grow(&p, &s->capwho, s->nwho, sizeof *s->who) != 0)
        return -1;
    s->who = p;
    memset(&s->who[s->nwho], 0, sizeof s->who[0]);
    snprintf(s->who[s->nwho].host, sizeof s->who[0].host, "%s", host);
    s->who[s->nwho].rank = rank;
    return (long)s->nwho++;
}

/* The index of the phase name in s->phase, or -1 when out of memory. */
static long phase_of(struct sums *s, const char *name)
{
    void *p = s->phase;
    for (size_t i = 0; i < s->nphase; i++)
        if (strcmp(s->phase[i].name, name) == 0)
            return (long)i;
    if (grow(&p, &s->capphase, s->nphase, sizeof *s->phase) != 0)
        return -1;
    s->phase = p;
    memset(&s->phase[s->nphase], 0, sizeof s->phase[0]);
    snprintf(s->phase[s->nphase].name, sizeof s->phase[0].name, "%s", name);
    return (long)s->nphase++;
}

/* Two 64-bit hashes over the fields that identify a line: equal keys are
 * the same line, with a chance of a mistake of about 2^-128. */
struct hash {
    uint64_t a, b;
};

static void hash_bytes(struct hash *h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h->a = (h->a ^ p[i]) * 0x100000001b3ull;
        h->b = (h->b + p[i] + 1) * 0x9E3779B97F4A7C15ull;
        h->b ^= h->b >> 29;
    }
}

static void hash_string(struct hash *h, const char *s)
{
    hash_bytes(h, s, strlen(s) + 1);
}

/* A number, or null (which no number hashes to). */
static void hash_value(struct hash *h, const json_t *v)
{
    unsigned char tag = json_is_number(v) ? 1 : 0;
    double d = json_is_number(v) ? json_number_value(v) : 0.0;
    if (d == 0.0)
        d = 0.0; /* -0 is 0 */
    hash_bytes(h, &tag, 1);
    hash_bytes(h, &d, sizeof d);
}

/* 1: added, 0: seen before, -1: out of memory */
static int seen_add(struct sums *s, struct hash h)
{
    struct key k = {h.a, h.b ? h.b : 1};
    size_t mask;
    if (2 * (s->nseen + 1) > s->capseen) {
        size_t cap = s->capseen ? 2 * s->capseen : 1024;
        struct key *t = calloc(cap, sizeof *t);
        if (!t)
            return -1;
        for (size_t i = 0; i < s->capseen; i++) {
            size_t j;
            if (!s->seen[i].b)
                continue;
            for (j = s->seen[i].a & (cap - 1); t[j].b; j = (j + 1) & (cap - 1))
                ;
            t[j] = s->seen[i];
        }
        free(s->seen);
        s->seen = t;
        s->capseen = cap;
    }
    mask = s->capseen - 1;
    for (size_t j = k.a & mask;; j = (j + 1) & mask) {
        if (!s->seen[j].b) {
            s->seen[j] = k;
            s->nseen++;
            return 1;
        }
        if (s->seen[j].a == k.a && s->seen[j].b == k.b)
            return 0;
    }
}

/* The identity of a line: its kind, who wrote it, and the values of keys
 * (when it was and what it counted). */
static const char *const sample_identity[] = {
    "time_unix_s", "interval_s", "step", "tokens", "energy_j",
    "operational_kgco2e", NULL};
static const char *const fill_identity[] = {
    "from_unix_s", "to_unix_s", "energy_j", "operational_kgco2e", NULL};

/* seen_add for the line j: 1 when new, 0 when seen before, -1 when out of
 * memory. */
static int line_seen(struct sums *s, const json_t *j, const char *kind,
                     const char *host, json_int_t pid, long long rank,
                     const char *const *keys)
{
    struct hash h = {0xcbf29ce484222325ull, 0};
    hash_string(&h, kind);
    hash_string(&h, host);
    hash_bytes(&h, &pid, sizeof pid);
    hash_bytes(&h, &rank, sizeof rank);
    for (; *keys; keys++)
        hash_value(&h, json_object_get(j, *keys));
    return seen_add(s, h);
}

/* The line's number at key, checked to lie in [lo, hi]; *v is NAN for
 * null when null_ok. Returns 0, or -1 after a message naming file:line. */
static int number_at(double *v, const json_t *o, const char *key, double lo,
                     double hi, int null_ok, const char *path, size_t lineno)
{
    const json_t *j = json_object_get(o, key);
    if (null_ok && json_is_null(j)) {
        *v = NAN;
        return 0;
    }
    if (!json_is_number(j)) {
        fprintf(stderr, "llmcarbon report: %s:%zu: \"%s\" is %s, not a "
                        "number%s; is it a log of llmcarbon?\n",
                path, lineno, key,
                !j ? "missing" : json_is_string(j) ? "a string" : "not a number",
                null_ok ? " or null" : "");
        return -1;
    }
    *v = json_number_value(j);
    if (!(*v >= lo && *v <= hi)) {
        fprintf(stderr, "llmcarbon report: %s:%zu: \"%s\" is %.17g, outside "
                        "%g to %g; the log is damaged, so nothing was "
                        "reported\n",
                path, lineno, key, *v, lo, hi);
        return -1;
    }
    return 0;
}

/* Notes the "resumed" object of a sample line, once per process; 0, or -1
 * after a message. */
static int resumed_of(struct sums *s, const json_t *j, size_t w,
                      json_int_t pid, const char *path, size_t lineno)
{
    const json_t *r = json_object_get(j, "resumed");
    double from, e, written;
    void *p = s->resumed;
    if (!r)
        return 0;
    if (!json_is_object(r)) {
        fprintf(stderr, "llmcarbon report: %s:%zu: \"resumed\" is not an "
                        "object; the log is damaged, so nothing was "
                        "reported\n", path, lineno);
        return -1;
    }
    if (number_at(&from, r, "from_unix_s", 0, MAX_UNIX_S, 0, path, lineno) ||
        number_at(&e, r, "energy_j", 0, MAX_ENERGY_J, 0, path, lineno))
        return -1;
    /* logs written before the checkpoint's time was kept lack it */
    written = NAN;
    if (json_object_get(r, "checkpoint_written_unix_s") &&
        number_at(&written, r, "checkpoint_written_unix_s", 0, MAX_UNIX_S, 1,
                  path, lineno))
        return -1;
    for (size_t i = 0; i < s->nresumed; i++)
        if (s->resumed[i].who == w && s->resumed[i].pid == pid)
            return 0;
    if (grow(&p, &s->capresumed, s->nresumed, sizeof *s->resumed) != 0) {
        out_of_memory();
        return -1;
    }
    s->resumed = p;
    s->resumed[s->nresumed++] = (struct resume){w, pid, from, e, written};
    return 0;
}

/* host, pid and rank of a line; -1 after a message */
static int identity_of(const json_t *j, const char **host, json_int_t *pid,
                       long long *rank, const char *path, size_t lineno)
{
    const json_t *r = json_object_get(j, "rank");
    *host = json_string_value(json_object_get(j, "host"));
    *pid = json_integer_value(json_object_get(j, "pid"));
    if (!*host || !json_is_integer(json_object_get(j, "pid")) ||
        (r && !json_is_null(r) && !json_is_integer(r))) {
        fprintf(stderr, "llmcarbon report: %s:%zu: a line without host, pid "
                        "and rank; is it a log of llmcarbon?\n",
                path, lineno);
        return -1;
    }
    *rank = json_is_integer(r) ? (long long)json_integer_value(r) : -1;
    return 0;
}

static uint64_t stream_of(const char *host, json_int_t pid, long long rank)
{
    struct hash h = {0xcbf29ce484222325ull, 0};
    hash_string(&h, host);
    hash_bytes(&h, &pid, sizeof pid);
    hash_bytes(&h, &rank, sizeof rank);
    return h.a;
}

/* A fill line: energy of earlier samples priced once an intensity was
 * known. It adds no energy (its samples hold it), only their CO2e. */
static int read_fill(struct sums *s, const json_t *j, const char *path,
                     size_t lineno, double pue_override)
{
    double from, to, e, ci, op;
    const char *host;
    json_int_t pid;
    long long rank;
    long w;
    void *p = s->filled;
    int added;

    if (identity_of(j, &host, &pid, &rank, path, lineno) != 0 ||
        number_at(&from, j, "from_unix_s", 0, MAX_UNIX_S, 0, path, lineno) ||
        number_at(&to, j, "to_unix_s", from, MAX_UNIX_S, 0, path, lineno) ||
        number_at(&e, j, "energy_j", 0, MAX_ENERGY_J, 0, path, lineno) ||
        number_at(&ci, j, "intensity_gco2e_per_kwh", 0, MAX_INTENSITY, 0,
                  path, lineno) ||
        number_at(&op, j, "operational_kgco2e", 0, MAX_KGCO2E, 0, path,
                  lineno))
        return CLI_FAILED;
    if ((added = line_seen(s, j, "fill", host, pid, rank, fill_identity)) < 0)
        return out_of_memory();
    if (!added) {
        s->duplicates++;
        return CLI_OK;
    }
    /* the fill's energy is the devices' energy, as a sample's is */
    if (pue_override > 0)
        llmc_account_operational(&op, e, pue_override, ci);
    if ((w = who_of(s, host, rank)) < 0 ||
        grow(&p, &s->capfilled, s->nfilled, sizeof *s->filled) != 0)
        return out_of_memory();
    s->filled = p;
    s->filled[s->nfilled++] = (struct span){stream_of(host, pid, rank), from,
                                            to, e, (size_t)w};
    s->fills++;
    s->filled_energy_j += e;
    s->filled_kgco2e += op;
    s->recorded_kgco2e += op;
    s->who[w].kgco2e += op;
    return CLI_OK;
}

/* A sample line (a line without "type"). */
static int read_sample(struct sums *s, const json_t *j, const char *path,
                       size_t lineno, llmc_grid *g, double pue_override,
                       long long *tokens)
{
    double e, t, dt, pue = 1.0, op, emb;
    const char *host, *phase_name;
    json_int_t pid;
    long long rank;
    const json_t *tok = json_object_get(j, "tokens");
    long w, ph;
    int added;

    if (identity_of(j, &host, &pid, &rank, path, lineno) != 0 ||
        number_at(&t, j, "time_unix_s", 0, MAX_UNIX_S, 0, path, lineno) ||
        number_at(&dt, j, "interval_s", 0, t, 0, path, lineno) ||
        number_at(&e, j, "energy_j", 0, MAX_ENERGY_J, 1, path, lineno) ||
        number_at(&op, j, "operational_kgco2e", 0, MAX_KGCO2E, 1, path,
                  lineno) ||
        number_at(&emb, j, "embodied_kgco2e", 0, MAX_KGCO2E, 1, path,
                  lineno) ||
        (json_object_get(j, "pue") &&
         number_at(&pue, j, "pue", 1, 100, 0, path, lineno)))
        return CLI_FAILED;
    if (tok && !(json_is_integer(tok) && json_integer_value(tok) >= 0)) {
        fprintf(stderr, "llmcarbon report: %s:%zu: \"tokens\" is not an "
                        "integer of 0 or more; the log is damaged, so nothing "
                        "was reported\n", path, lineno);
        return CLI_FAILED;
    }
    if ((added = line_seen(s, j, "sample", host, pid, rank,
                           sample_identity)) < 0)
        return out_of_memory();
    if (!added) {
        s->duplicates++;
        return CLI_OK;
    }
    if (tok)
        *tokens = (long long)json_integer_value(tok);
    /* a sample without a phase name counts in the first phase, "train" */
    phase_name = json_string_value(json_object_get(j, "phase"));
    if ((w = who_of(s, host, rank)) < 0 ||
        (ph = phase_of(s, phase_name && *phase_name ? phase_name : "train"))
            < 0)
        return out_of_memory();
    if (resumed_of(s, j, (size_t)w, pid, path, lineno) != 0)
        return CLI_FAILED;
    s->samples++;
    s->who[w].samples++;
    s->phase[ph].samples++;
    /* null: the tracker counted no embodied carbon for the interval */
    if (isnan(emb)) {
        s->no_embodied++;
        s->phase[ph].no_embodied++;
    } else {
        s->embodied_kgco2e += emb;
        s->phase[ph].embodied_kgco2e += emb;
    }
    if (!s->have_t || t - dt < s->first_t)
        s->first_t = t - dt;
    if (!s->have_t || t > s->last_t)
        s->last_t = t;
    s->have_t = 1;
    if (isnan(e)) { /* no meter read energy: the total is not known */
        s->unmeasured++;
        s->who[w].unmeasured++;
        s->phase[ph].unmeasured++;
        return CLI_OK;
    }
    s->energy_j += e;
    s->who[w].energy_j += e;
    s->phase[ph].energy_j += e;
    if (isnan(op)) {
        /* no intensity when it was logged: a fill line may price it */
        void *p = s->unpriced;
        if (e == 0)
            return CLI_OK; /* 0 J emits 0 at any intensity */
        /* fill lines price intervals, not phases: the phase's own
         * operational figure stays unknown */
        s->phase[ph].unpriced++;
        if (grow(&p, &s->capunpriced, s->nunpriced, sizeof *s->unpriced))
            return out_of_memory();
        s->unpriced = p;
        s->unpriced[s->nunpriced++] = (struct span){
            stream_of(host, pid, rank), t - dt, t, e, (size_t)w};
    } else {
        if (pue_override > 0)
            op *= pue_override / pue;
        s->recorded_kgco2e += op;
        s->who[w].kgco2e += op;
        s->phase[ph].kgco2e += op;
    }
    if (g) {
        llmc_intensity ci;
        llmc_intensity_init(&ci, sizeof ci);
        /* the intensity in the middle of the sample's interval */
        if (llmc_grid_intensity_at(&ci, g, (int64_t)(t - dt / 2)) == LLMC_OK) {
            double kg;
            llmc_account_operational(&kg, e, pue_override > 0 ? pue_override
                                                              : pue,
                                     ci.gco2e_per_kwh);
            s->reweighted_kgco2e += kg;
            s->ci_energy += e * ci.gco2e_per_kwh;
        } else {
            s->reweight_failures++;
            snprintf(s->problem, sizeof s->problem, "%s", llmc_last_error());
        }
    }
    return CLI_OK;
}

static int read_log(struct sums *s, const char *path, llmc_grid *g,
                    double pue_override)
{
    FILE *f = fopen(path, "re");
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    long long tokens = -1, samples_before = s->samples + s->duplicates;
    ssize_t n;
    struct stat st;
    int rc = CLI_OK, read_errno = 0;

    if (!f) {
        fprintf(stderr, "llmcarbon report: cannot open '%s': %s\n", path,
                strerror(errno));
        return CLI_FAILED;
    }
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "llmcarbon report: '%s' is a directory, not a log; "
                        "give the logs in it, e.g. %s/*.jsonl\n",
                path, path);
        fclose(f);
        return CLI_FAILED;
    }
    while (rc == CLI_OK) {
        json_error_t err;
        json_t *j;
        const json_t *type;

        errno = 0;
        if ((n = getline(&line, &cap, f)) < 0) {
            /* the end, or a failure (ENOMEM need not set ferror) */
            if (!feof(f) || ferror(f))
                read_errno = errno ? errno : EIO;
            break;
        }
        lineno++;
        if (!(j = llmc__json_loadb(line, (size_t)n, 0, &err))) {
            int c;
            if (json_error_code(&err) == json_error_out_of_memory) {
                rc = out_of_memory();
                break;
            }
            /* a torn line is the last, and lacks the newline that ends
             * every line written whole */
            c = fgetc(f);
            if (c == EOF && !ferror(f) && line[n - 1] != '\n') {
                /* the writer was killed, or the disk was full, in the
                 * middle of its last line */
                fprintf(stderr, "llmcarbon report: warning: %s:%zu: the last "
                                "line is cut short (a writer killed or a full "
                                "disk); it was skipped\n",
                        path, lineno);
                s->torn++;
                break;
            }
            fprintf(stderr, "llmcarbon report: %s:%zu: not a JSON line (%s); "
                            "is it a log of llmcarbon?\n",
                    path, lineno, err.text);
            rc = CLI_FAILED;
            break;
        }
        type = json_object_get(j, "type");
        if (!json_is_object(j)) {
            fprintf(stderr, "llmcarbon report: %s:%zu: a JSON line that is "
                            "not an object; is it a log of llmcarbon?\n",
                    path, lineno);
            rc = CLI_FAILED;
        } else if (!type) {
            rc = read_sample(s, j, path, lineno, g, pue_override, &tokens);
        } else if (json_is_string(type) &&
                   strcmp(json_string_value(type), "fill") == 0) {
            rc = read_fill(s, j, path, lineno, pue_override);
        } else {
            fprintf(stderr, "llmcarbon report: %s:%zu: a line of type %s%s%s, "
                            "which this llmcarbon does not know; is the log "
                            "of a newer version?\n",
                    path, lineno, json_is_string(type) ? "'" : "",
                    json_is_string(type) ? json_string_value(type) : "(not a "
                                                                     "string)",
                    json_is_string(type) ? "'" : "");
            rc = CLI_FAILED;
        }
        json_decref(j);
    }
    if (rc == CLI_OK && read_errno) {
        fprintf(stderr, "llmcarbon report: reading '%s' failed: %s\n", path,
                strerror(read_errno));
        rc = CLI_FAILED;
    }
    free(line);
    fclose(f);
    if (rc != CLI_OK)
        return rc;
    if (s->samples + s->duplicates == samples_before) {
        fprintf(stderr, "llmcarbon report: '%s' %s; it is not a log of "
                        "llmcarbon, or its run logged nothing\n",
                path, lineno == 0 ? "is empty" : "holds no whole sample");
        return CLI_FAILED;
    }
    /* the counts are cumulative: a log's last new sample holds them; a
     * log given again adds nothing */
    if (tokens >= 0)
        s->tokens += tokens;
    return CLI_OK;
}

/* Prices what fill lines cover; what is left makes the operational
 * figure unknown. A fill covers the samples of its process whose
 * intervals lie in its own; times are logged to 12 digits (10 ms today),
 * so within a tolerance below any sampling interval. What is left of a
 * host and rank is covered by its carried fills when their energy is
 * at least as much, else all of it stays unpriced. Returns -1 when out of
 * memory. */
static int match_fills(struct sums *s)
{
    double *left = calloc(s->nwho + 1, sizeof *left);
    double *carried = calloc(s->nwho + 1, sizeof *carried);
    char *open = calloc(s->nunpriced + 1, 1);

    if (!left || !carried || !open) {
        free(left);
        free(carried);
        free(open);
        return -1;
    }
    for (size_t k = 0; k < s->nfilled; k++)
        if (CARRIED(&s->filled[k]))
            carried[s->filled[k].who] += s->filled[k].energy_j;
    for (size_t i = 0; i < s->nunpriced; i++) {
        const struct span *u = &s->unpriced[i];
        double tol = fmin(0.05, (u->to_s - u->from_s) / 4);
        int covered = 0;
        for (size_t k = 0; k < s->nfilled && !covered; k++) {
            const struct span *f = &s->filled[k];
            covered = !CARRIED(f) && f->stream == u->stream &&
                      f->from_s <= u->from_s + tol && u->to_s <= f->to_s + tol;
        }
        if (!covered) {
            open[i] = 1;
            left[u->who] += u->energy_j;
        }
    }
    for (size_t i = 0; i < s->nunpriced; i++) {
        const struct span *u = &s->unpriced[i];
        double need = left[u->who];
        if (!open[i] || carried[u->who] >= need * (1 - 1e-9) - 1e-6)
            continue;
        s->unpriced_j += u->energy_j;
        s->unpriced_samples++;
        s->who[u->who].unpriced++;
    }
    free(left);
    free(carried);
    free(open);
    return 0;
}

/* Sets key to v (a number, or null when not finite); counts failures. */
static void set_num(json_t *o, const char *key, double v, int *bad)
{
    *bad |= json_object_set_new(o, key, isfinite(v) ? json_real(v)
                                                    : json_null()) != 0;
}

static void set(json_t *o, const char *key, json_t *v, int *bad)
{
    *bad |= json_object_set_new(o, key, v) != 0;
}

/* The figures of the whole report; a NAN is unknown, with its reason. */
struct figures {
    double energy_j, recorded, reweighted, embodied;
    const char *energy_why, *op_why, *embodied_why;
};

/* The total: operational and embodied, or the operational figure alone
 * where embodied carbon was not counted (embodied_included says so). */
static double total_of(double operational, double embodied)
{
    return isnan(embodied) ? operational : operational + embodied;
}

/* What the samples of one phase counted, under the names of the run
 * report's phases. */
static json_t *phase_json(const struct phase *p, int *bad)
{
    json_t *o = json_object();
    double op = p->unmeasured || p->unpriced ? NAN : p->kgco2e;
    double emb = p->no_embodied ? NAN : p->embodied_kgco2e;
    *bad |= !o;
    set_num(o, "energy_j", p->unmeasured ? NAN : p->energy_j, bad);
    set_num(o, "operational_kgco2e", op, bad);
    set_num(o, "embodied_kgco2e", emb, bad);
    set_num(o, "total_kgco2e", total_of(op, emb), bad);
    set(o, "samples", json_integer(p->samples), bad);
    return o;
}

static int print_json(const struct sums *s, size_t nlogs, llmc_grid *g,
                      const struct figures *f)
{
    json_t *o = json_object(), *ranks = json_array(), *phases = json_object();
    double energy_j = f->energy_j, recorded = f->recorded,
           reweighted = f->reweighted;
    const char *energy_why = f->energy_why, *op_why = f->op_why;
    int bad = !o || !ranks || !phases;

    set(o, "logs", json_integer((json_int_t)nlogs), &bad);
    set(o, "samples", json_integer(s->samples), &bad);
    set(o, "unmeasured_samples", json_integer(s->unmeasured), &bad);
    set_num(o, "duration_s", s->last_t - s->first_t, &bad);
    set_num(o, "energy_j", energy_j, &bad);
    set_num(o, "energy_kwh", energy_j / 3.6e6, &bad);
    set(o, "tokens", json_integer(s->tokens), &bad);
    set_num(o, "operational_kgco2e", recorded, &bad);
    set(o, "energy_unknown_reason",
        energy_why ? json_string(energy_why) : json_null(), &bad);
    set(o, "operational_unknown_reason",
        op_why ? json_string(op_why) : json_null(), &bad);
    /* embodied carbon not counted is unknown (null), not 0; the total is
     * then the operational figure, and embodied_included says so */
    set_num(o, "embodied_kgco2e", f->embodied, &bad);
    set(o, "embodied_included", json_boolean(!f->embodied_why), &bad);
    set(o, "embodied_note",
        f->embodied_why ? json_string(f->embodied_why) : json_null(), &bad);
    set_num(o, "total_kgco2e", total_of(recorded, f->embodied), &bad);
    set_num(o, "unpriced_energy_j", s->unpriced_j, &bad);
    set_num(o, "unpriced_energy_kwh", s->unpriced_j / 3.6e6, &bad);
    set(o, "unpriced_samples", json_integer(s->unpriced_samples), &bad);
    set_num(o, "filled_energy_j", s->filled_energy_j, &bad);
    set_num(o, "filled_energy_kwh", s->filled_energy_j / 3.6e6, &bad);
    set_num(o, "filled_operational_kgco2e", s->filled_kgco2e, &bad);
    set(o, "fill_lines", json_integer(s->fills), &bad);
    set(o, "duplicate_lines_dropped", json_integer(s->duplicates), &bad);
    set(o, "torn_lines_skipped", json_integer(s->torn), &bad);
    if (g) {
        json_t *r = json_object();
        set(r, "grid", json_string(llmc_grid_spec(g)), &bad);
        set_num(r, "operational_kgco2e", reweighted, &bad);
        set_num(r, "intensity_gco2e_per_kwh",
                isfinite(reweighted) && energy_j > 0 ? s->ci_energy / energy_j
                                                     : NAN,
                &bad);
        set(r, "samples_without_intensity",
            json_integer(s->reweight_failures), &bad);
        if (s->reweight_failures)
            set(r, "problem", json_string(s->problem), &bad);
        else if (energy_why)
            set(r, "problem", json_string(energy_why), &bad);
        set(o, "reweighted", r, &bad);
    }
    for (size_t i = 0; i < s->nwho; i++) {
        const struct who *w = &s->who[i];
        json_t *r = json_object();
        set(r, "host", json_string(w->host), &bad);
        set(r, "rank", w->rank >= 0 ? json_integer(w->rank) : json_null(),
            &bad);
        set_num(r, "energy_j", w->unmeasured ? NAN : w->energy_j, &bad);
        set_num(r, "operational_kgco2e",
                w->unmeasured || w->unpriced ? NAN : w->kgco2e, &bad);
        set(r, "samples", json_integer((json_int_t)w->samples), &bad);
        bad |= json_array_append_new(ranks, r) != 0;
    }
    set(o, "ranks", ranks, &bad);
    {
        json_t *res = json_array();
        bad |= !res;
        for (size_t i = 0; i < s->nresumed && res; i++) {
            const struct resume *r = &s->resumed[i];
            const struct who *w = &s->who[r->who];
            json_t *x = json_object();
            set(x, "host", json_string(w->host), &bad);
            set(x, "rank", w->rank >= 0 ? json_integer(w->rank) : json_null(),
                &bad);
            set(x, "pid", json_integer(r->pid), &bad);
            set_num(x, "from_unix_s", r->from_unix_s, &bad);
            set_num(x, "checkpoint_written_unix_s", r->written_unix_s, &bad);
            set_num(x, "energy_j", r->energy_j, &bad);
            bad |= json_array_append_new(res, x) != 0;
        }
        set(o, "resumed", res, &bad);
    }
    for (size_t i = 0; i < s->nphase; i++)
        set(phases, s->phase[i].name, phase_json(&s->phase[i], &bad), &bad);
    set(o, "phases", phases, &bad);
    if (bad) {
        json_decref(o);
        return out_of_memory();
    }
    if (cli_print_json(o) != CLI_OK)
        return out_of_memory();
    return CLI_OK;
}

/* One phase, on one line: its energy and CO2e as run names them. */
static void print_phase(const struct phase *p)
{
    char a[64], b[64], c[64], d[64];
    double op = p->unmeasured || p->unpriced ? NAN : p->kgco2e;
    double emb = p->no_embodied ? NAN : p->embodied_kgco2e;
    printf("    %-10s %s J, %s kgCO2e operational, ", p->name,
           cli_num(a, sizeof a, p->unmeasured ? NAN : p->energy_j),
           cli_num(b, sizeof b, op));
    if (isnan(emb))
        printf("embodied not included, %s kgCO2e total (operational only)\n",
               cli_num(d, sizeof d, op));
    else
        printf("%s kgCO2e embodied, %s kgCO2e total\n",
               cli_num(c, sizeof c, emb),
               cli_num(d, sizeof d, total_of(op, emb)));
}

static void print_text(const struct sums *s, size_t nlogs, llmc_grid *g,
                       const struct figures *f)
{
    char a[64], b[64];
    double energy_j = f->energy_j, recorded = f->recorded,
           reweighted = f->reweighted;
    const char *energy_why = f->energy_why, *op_why = f->op_why;

    printf("llmcarbon report: %zu log%s, %lld samples over %s s\n", nlogs,
           nlogs == 1 ? "" : "s", s->samples,
           cli_num(a, sizeof a, s->last_t - s->first_t));
    if (energy_why)
        printf("  %-24s unknown: %s\n", "energy", energy_why);
    else
        printf("  %-24s %s J = %s kWh\n", "energy",
               cli_num(a, sizeof a, energy_j),
               cli_num(b, sizeof b, energy_j / 3.6e6));
    if (op_why)
        printf("  %-24s unknown: %s\n", "operational, as recorded", op_why);
    else
        printf("  %-24s %s kgCO2e\n", "operational, as recorded",
               cli_num(a, sizeof a, recorded));
    if (s->fills)
        printf("  %-24s %s kWh priced after its interval, %s kgCO2e (%lld "
               "fill line%s)\n",
               "filled", cli_num(a, sizeof a, s->filled_energy_j / 3.6e6),
               cli_num(b, sizeof b, s->filled_kgco2e), s->fills,
               s->fills == 1 ? "" : "s");
    /* embodied and total as llmcarbon run prints them */
    if (f->embodied_why)
        printf("  %-14s not included: %s\n", "embodied", f->embodied_why);
    else
        printf("  %-14s %s kgCO2e\n", "embodied",
               cli_num(a, sizeof a, f->embodied));
    if (op_why)
        printf("  %-14s unknown: %s\n", "total", op_why);
    else
        printf("  %-14s %s kgCO2e%s\n", "total",
               cli_num(a, sizeof a, total_of(recorded, f->embodied)),
               f->embodied_why ? " (operational only; embodied not included)"
                               : "");
    if (g) {
        if (s->reweight_failures)
            printf("  %-24s unknown: %lld samples had no intensity (%s)\n",
                   "reweighted", s->reweight_failures, s->problem);
        else if (energy_why)
            printf("  %-24s unknown: %s\n", "reweighted", energy_why);
        else
            printf("  %-24s %s kgCO2e at a mean %s gCO2e/kWh (%s)\n",
                   "reweighted", cli_num(a, sizeof a, reweighted),
                   cli_num(b, sizeof b,
                           energy_j > 0 ? s->ci_energy / energy_j : 0),
                   llmc_grid_spec(g));
    }
    if (s->nphase)
        printf("  phases\n");
    for (size_t i = 0; i < s->nphase; i++)
        print_phase(&s->phase[i]);
    if (s->nwho)
        printf("  ranks\n");
    for (size_t i = 0; i < s->nwho; i++)
        printf("    %s rank %lld: %s J\n", s->who[i].host, s->who[i].rank,
               cli_num(a, sizeof a,
                       s->who[i].unmeasured ? NAN : s->who[i].energy_j));
    for (size_t i = 0; i < s->nresumed; i++) {
        const struct resume *r = &s->resumed[i];
        char when[32], written[64] = "";
        cli_utc(when, sizeof when, r->from_unix_s);
        if (!isnan(r->written_unix_s)) {
            char w[32];
            cli_utc(w, sizeof w, r->written_unix_s);
            snprintf(written, sizeof written, " written at %s", w);
        }
        printf("    %s rank %lld: resumed at %s (pid %lld), from a "
               "checkpoint%s of %s J\n",
               s->who[r->who].host, s->who[r->who].rank, when,
               (long long)r->pid, written, cli_num(a, sizeof a, r->energy_j));
    }
}

static void sums_free(struct sums *s)
{
    free(s->who);
    free(s->phase);
    free(s->resumed);
    free(s->unpriced);
    free(s->filled);
    free(s->seen);
    free(s);
}

int cmd_report(int argc, char **argv)
{
    const char *grid_spec = NULL, *pue_text = NULL;
    const char *logs[256];
    size_t nlogs = 0;
    int json = 0, rc;
    double pue = -1, energy_j, recorded, reweighted;
    char energy_why[200], op_why[300], embodied_why[300];
    struct figures fig;
    llmc_grid *g = NULL;
    struct sums *s;

    {
        static const struct option options[] = {
            {"grid", required_argument, NULL, 'g'},
            {"pue", required_argument, NULL, 'p'},
            {"json", no_argument, NULL, 'j'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        struct cli_getopt opt;
        int c;
        cli_getopt_init(&opt, "report", argc, argv, ":h", options);
        while ((c = cli_getopt_next(&opt)) != CLI_GETOPT_END) {
            if (c == CLI_GETOPT_USAGE)
                return CLI_USAGE;
            if (c == 'h') {
                fputs(help, stdout);
                return CLI_OK;
            }
            if (c == 'j')
                json = 1;
            else if (c == 'g')
                grid_spec = optarg;
            else if (c == 'p')
                pue_text = optarg;
        }
        for (int i = optind; i < argc; i++) {
            if (nlogs == sizeof logs / sizeof logs[0])
                return cli_usage("report", "too many logs (at most 256)");
            logs[nlogs++] = argv[i];
        }
    }
    if (nlogs == 0)
        return cli_usage("report", "no log given; write `llmcarbon report "
                         "run.jsonl [rank1.jsonl ...]`");
    if (pue_text && (rc = llmc_quantity_parse(&pue, LLMC_DIM_PUE, pue_text,
                                              NULL)) != LLMC_OK)
        return cli_fail("report", "--pue", rc);
    if (grid_spec && (rc = llmc_grid_new(&g, grid_spec)) != LLMC_OK)
        return cli_fail("report", "--grid", rc);
    if (!(s = calloc(1, sizeof *s))) {
        llmc_grid_free(g);
        return out_of_memory();
    }
    for (size_t i = 0; i < nlogs; i++)
        if ((rc = read_log(s, logs[i], g, pue)) != CLI_OK) {
            sums_free(s);
            llmc_grid_free(g);
            return rc;
        }
    if (match_fills(s) != 0) {
        sums_free(s);
        llmc_grid_free(g);
        return out_of_memory();
    }

    /* a number printed is a promise: a figure with a part unknown is
     * unknown, with the reason */
    *energy_why = *op_why = '\0';
    if (s->unmeasured)
        snprintf(energy_why, sizeof energy_why,
                 "%lld of %lld samples had no energy reading (no meter "
                 "measured energy)", s->unmeasured, s->samples);
    energy_j = *energy_why ? NAN : s->energy_j;
    if (*energy_why)
        snprintf(op_why, sizeof op_why, "the energy is unknown: %s",
                 energy_why);
    else if (s->unpriced_samples)
        snprintf(op_why, sizeof op_why,
                 "%.6g kWh in %lld samples had no grid intensity, and no "
                 "fill line prices it",
                 s->unpriced_j / 3.6e6, s->unpriced_samples);
    recorded = *op_why ? NAN : s->recorded_kgco2e;
    reweighted = s->reweight_failures || *energy_why ? NAN
                                                     : s->reweighted_kgco2e;
    if (s->duplicates)
        fprintf(stderr, "llmcarbon report: warning: %lld line%s seen before "
                        "(the same host, pid, rank, time and counts: a log "
                        "given twice?) %s dropped\n",
                s->duplicates, s->duplicates == 1 ? "" : "s",
                s->duplicates == 1 ? "was" : "were");
    /* samples whose tracker counted no embodied carbon make the figure
     * unknown, not smaller; the total is then the operational figure */
    *embodied_why = '\0';
    if (s->no_embodied)
        snprintf(embodied_why, sizeof embodied_why,
                 "%lld of %lld samples counted no embodied carbon (the "
                 "tracker had no hardware=NAME, or no embodied figure for "
                 "it)", s->no_embodied, s->samples);
    fig = (struct figures){energy_j, recorded, reweighted,
                           *embodied_why ? NAN : s->embodied_kgco2e,
                           *energy_why ? energy_why : NULL,
                           *op_why ? op_why : NULL,
                           *embodied_why ? embodied_why : NULL};
    if (json)
        rc = print_json(s, nlogs, g, &fig);
    else {
        print_text(s, nlogs, g, &fig);
        rc = CLI_OK;
    }
    sums_free(s);
    llmc_grid_free(g);
    return rc;
}
