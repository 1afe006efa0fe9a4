/*
 * runlog.c - the reader of the JSON-lines logs that sinks.c writes
 * (log=FILE, one per process): the logs of a run's ranks read back as one
 * run, with its totals, per phase and per host and rank, the processes
 * that resumed from a checkpoint, every sample, and, with a grid, the
 * operational CO2e weighted again by that grid.
 *
 * The reader sits beside the writer so that one module owns the format.
 * A log is read as evidence, not trusted: every line is checked, a line
 * torn by a killed writer or a full disk is skipped only where it can be
 * (at the end of a file), a sample seen twice counts once, and a figure
 * that is not fully known is NaN with its reason, never a partial sum.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "../core/internal.h"
#include "../core/json.h"
#include "project.h"
#include "runlog.h"

/* What a line may hold: beyond these it is damaged, not big. */
#define MAX_ENERGY_J 1e15          /* one process, 3 MW for ten years */
#define MAX_KGCO2E 1e12
#define MAX_UNIX_S 253402300799.0  /* 9999-12-31T23:59:59Z */
#define MAX_INTENSITY 1e5          /* gCO2e/kWh */

/* The smallest caller's structs the accessors fill. */
#define TOTALS_MIN LLMC__FIELD_END(llmc_run_totals, samples)
#define SAMPLE_MIN LLMC__FIELD_END(llmc_run_sample, energy_j)
#define RESUME_MIN LLMC__FIELD_END(llmc_run_resume, energy_j)

/* A host and rank: the stream of samples of one rank, across the
 * processes that resumed it. */
#define HOST_KEPT 127
struct who {
    char host[HOST_KEPT + 1];
    long long rank;
    double energy_j, kgco2e, embodied_kgco2e;
    long long samples, unmeasured, unpriced, no_embodied;
};

/* A sample whose energy had no intensity when it was logged; a fill line
 * of the same process whose interval holds it prices it. */
struct span {
    uint64_t stream; /* host, pid and rank */
    double from_s, to_s, energy_j;
    size_t who;
    double gco2e_per_kwh, kgco2e; /* a fill's price; 0 for the unpriced */
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

/* Where the counted samples of one process lie in one log, for a reader
 * that keeps no set of lines: from t_lo to t_hi (its times), in bytes
 * off_lo to off_hi of paths[file]; off_lo -1 when the log cannot be read
 * again (a pipe). */
struct seg {
    double t_lo, t_hi;
    size_t file;
    long long off_lo, off_hi;
};

/* The samples a process (host, pid and rank) counted: their segments, a
 * handful per log it wrote to, and where the last repeat was found. */
struct proc {
    uint64_t key;
    char host[HOST_KEPT + 1];
    json_int_t pid;
    long long rank;
    struct seg *seg;
    size_t nseg, capseg;
    size_t cur;          /* the segment this log extends; SIZE_MAX none */
    size_t next_seg;     /* the segment of the last repeat found */
    long long next_off;  /* and the byte after it */
};

/* One sample as read; its devices are dev_name/dev_power_w[dev_first..]. */
struct sample {
    double time_unix_s, interval_s, energy_j, intensity, kgco2e, embodied;
    json_int_t pid;
    uint64_t step, tokens;
    size_t who, phase, dev_first, ndev;
    unsigned source;    /* index into the sources; UINT_MAX none named */
    unsigned char kind; /* enum llmc__ci_kind */
};

/* A process's plan (its last plan line) and what its samples say of the
 * projection: the statistics the tracker's sampler keeps, from the same
 * intervals. */
struct planned {
    const char *host;
    json_int_t pid;
    long long rank;
    int have_plan, have_sample, resumed, unmeasured;
    uint64_t target_tokens;
    double plan_lo_kgco2e, plan_hi_kgco2e; /* NAN: no plan= range */
    unsigned warmup;
    uint64_t last_tokens;
    double pue, operational_kgco2e;
    struct llmc__projection_in in;
};

struct llmc_runlog {
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
    /* reading without samples (LLMC_RUNLOG_NO_SAMPLES): the processes,
     * the log being read (paths[file], the line at bytes line_off to
     * line_end) and one log open again to look for repeats */
    int no_samples;
    struct proc *proc;
    size_t nproc, capproc, last_proc, last_who;
    const char *const *paths;
    size_t file;
    long long line_off, line_end;
    FILE *again;
    size_t again_file;
    struct sample *sample;
    size_t nsample, capsample;
    /* the devices of all samples, and their names, each kept once */
    const char **dev_name;
    double *dev_power_w;
    size_t ndev, capdev;
    char **names;
    size_t nnames, capnames;
    /* what the kept samples assumed: their grids, PUEs and meters, and
     * the named windows' lines */
    struct llmc__run_source *source;
    size_t nsource, capsource;
    double *pue;
    size_t npue, cappue;
    struct llmc__run_meter *meter;
    size_t nmeter, capmeter;
    struct llmc__run_window *window;
    size_t nwindow, capwindow;
    /* reading for a report that draws without keeping samples: each is
     * handed every sample counted; a log read without samples keeps its
     * paths (regular files only) and PUE to be read so again */
    llmc__sample_fn each;
    void *each_ctx;
    char **again_paths;
    size_t nagain_paths;
    double pue_override;
    /* a reading bounded in bytes (llmc__runlog_read_upto): the bound of
     * each of paths while it is read (NULL: none), and the bound of each
     * of again_paths, for the reading again to stop where this one did */
    const long long *limit_bytes;
    long long *again_limit_bytes;
    char problem[400];
    /* after matching the fills: what no fill prices */
    double unpriced_j;
    long long unpriced_samples;
    /* the figures, with the reasons for those unknown */
    size_t nlogs;
    double energy_known_j, recorded_known, reweighted_known, embodied_known;
    char energy_why[200], op_why[300], embodied_why[300];
    char *grid_spec;       /* NULL without a grid */
    char *warnings;        /* one a line; never NULL once read */
    size_t warnings_len;
    /* the projection against the plan (plan lines): each process's, and
     * the run's when one can be drawn, or why not */
    struct planned *planned;
    size_t nplanned, capplanned, last_planned;
    uint64_t target_tokens;
    double projected[3], plan_lo_kgco2e, plan_hi_kgco2e;
    char projection_note[300];
};

static int out_of_memory(void)
{
    return llmc__fail(LLMC_ENOMEM, "out of memory reading the logs");
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

/* Adds a line to the warnings; -1 when out of memory. */
static int warn(llmc_runlog *s, const char *fmt, ...) LLMC__PRINTF(2, 3);
static int warn(llmc_runlog *s, const char *fmt, ...)
{
    va_list ap;
    char line[4400];
    size_t n;
    char *p;

    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    n = strlen(line);
    if (!(p = realloc(s->warnings, s->warnings_len + n + 2)))
        return -1;
    s->warnings = p;
    memcpy(p + s->warnings_len, line, n);
    p[s->warnings_len + n] = '\n';
    p[s->warnings_len + n + 1] = '\0';
    s->warnings_len += n + 1;
    return 0;
}

/* The index of host and rank in s->who, or -1 when out of memory. */
static long who_of(llmc_runlog *s, const char *host, long long rank)
{
    void *p = s->who;
    /* a log's lines are mostly of one stream: the last one found first */
    /* a host is kept to 127 bytes: one longer is the same stream as its
     * start, not a new stream at each line */
    if (s->last_who < s->nwho && s->who[s->last_who].rank == rank &&
        strncmp(s->who[s->last_who].host, host, HOST_KEPT) == 0)
        return (long)s->last_who;
    for (size_t i = 0; i < s->nwho; i++)
        if (s->who[i].rank == rank &&
            strncmp(s->who[i].host, host, HOST_KEPT) == 0)
            return (long)(s->last_who = i);
    if (grow(&p, &s->capwho, s->nwho, sizeof *s->who) != 0)
        return -1;
    s->who = p;
    memset(&s->who[s->nwho], 0, sizeof s->who[0]);
    snprintf(s->who[s->nwho].host, sizeof s->who[0].host, "%s", host);
    s->who[s->nwho].rank = rank;
    return (long)(s->last_who = s->nwho++);
}

/* The index of the phase name in s->phase, or -1 when out of memory. */
static long phase_of(llmc_runlog *s, const char *name)
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

/* name, kept once for all the samples that name it; NULL when out of
 * memory. Devices are few, so a list does. */
static const char *name_of(llmc_runlog *s, const char *name)
{
    void *p = s->names;
    char *copy;
    for (size_t i = 0; i < s->nnames; i++)
        if (strcmp(s->names[i], name) == 0)
            return s->names[i];
    if (grow(&p, &s->capnames, s->nnames, sizeof *s->names) != 0)
        return NULL;
    s->names = p;
    if (!(copy = llmc__strdup(name)))
        return NULL;
    return s->names[s->nnames++] = copy;
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

static uint64_t stream_key(const char *host, json_int_t pid, long long rank)
{
    struct hash h = {0xcbf29ce484222325ull, 0};
    hash_string(&h, host);
    hash_bytes(&h, &pid, sizeof pid);
    hash_bytes(&h, &rank, sizeof rank);
    return h.a;
}

/* 1: added, 0: seen before, -1: out of memory */
static int seen_add(llmc_runlog *s, struct hash h)
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

static struct hash line_hash(const json_t *j, const char *kind,
                             const char *host, json_int_t pid,
                             long long rank, const char *const *keys)
{
    struct hash h = {0xcbf29ce484222325ull, 0};
    hash_string(&h, kind);
    hash_string(&h, host);
    hash_bytes(&h, &pid, sizeof pid);
    hash_bytes(&h, &rank, sizeof rank);
    for (; *keys; keys++)
        hash_value(&h, json_object_get(j, *keys));
    return h;
}

/* seen_add for the line j: 1 when new, 0 when seen before, -1 when out of
 * memory. */
static int line_seen(llmc_runlog *s, const json_t *j, const char *kind,
                     const char *host, json_int_t pid, long long rank,
                     const char *const *keys)
{
    return seen_add(s, line_hash(j, kind, host, pid, rank, keys));
}

/* ---- repeats without a set of lines ------------------------------------ *
 *
 * Without samples kept, a set of every line would still grow with the
 * lines. Instead each process keeps where its counted samples lie: per
 * log, the segments of bytes whose samples of it run forward in time. A
 * sample whose time no segment of its process spans was never counted,
 * so it is new; one whose time a segment spans is looked for in that
 * segment's bytes, read again, and is a repeat only when a line there
 * has the same identity (line_hash). That is the same answer as the set
 * of lines, in memory that grows with the processes and the logs, not
 * the lines. A log given twice is read once more, in order, as the
 * repeats come (next_off); only a log that cannot be read again (a pipe)
 * falls back to its times: there a sample its process already counted a
 * later one for is taken for a repeat. */

/* The process host, pid and rank; NULL when out of memory. */
static struct proc *proc_of(llmc_runlog *s, const char *host, json_int_t pid,
                            long long rank)
{
    uint64_t key = stream_key(host, pid, rank);
    void *p = s->proc;
    struct proc *x;
    if (s->last_proc < s->nproc) {
        x = &s->proc[s->last_proc];
        if (x->key == key && x->pid == pid && x->rank == rank &&
            strncmp(x->host, host, HOST_KEPT) == 0)
            return x;
    }
    for (size_t i = 0; i < s->nproc; i++) {
        x = &s->proc[i];
        if (x->key == key && x->pid == pid && x->rank == rank &&
            strncmp(x->host, host, HOST_KEPT) == 0) {
            s->last_proc = i;
            return x;
        }
    }
    if (grow(&p, &s->capproc, s->nproc, sizeof *s->proc) != 0)
        return NULL;
    s->proc = p;
    x = &s->proc[s->nproc];
    memset(x, 0, sizeof *x);
    x->key = key;
    snprintf(x->host, sizeof x->host, "%s", host);
    x->pid = pid;
    x->rank = rank;
    x->cur = x->next_seg = SIZE_MAX;
    s->last_proc = s->nproc++;
    return x;
}

/* The log paths[file], open to be read again; NULL when it cannot be. */
static FILE *log_again(llmc_runlog *s, size_t file)
{
    if (s->again && s->again_file == file)
        return s->again;
    if (s->again)
        fclose(s->again);
    s->again = fopen(s->paths[file], "re");
    s->again_file = file;
    return s->again;
}

/* 1 when a sample line of x at time t with identity h lies in bytes from
 * to to of the log paths[file], 0 when none does, -1 when the log cannot
 * be read again, -2 when out of memory; *after: the byte after the line
 * found. */
static int find_in(llmc_runlog *s, const struct proc *x, size_t file,
                   long long from, long long to, double t, struct hash h,
                   long long *after)
{
    FILE *f;
    char *line = NULL;
    size_t cap = 0;
    long long off = from;
    int found = 0;

    errno = 0;
    if (!(f = log_again(s, file)))
        return errno == ENOMEM ? -2 : -1;
    if (fseeko(f, (off_t)from, SEEK_SET) != 0)
        return -1;
    while (off < to && found == 0) {
        json_error_t err;
        ssize_t n;
        json_t *j;
        const json_t *tj;
        errno = 0;
        if ((n = getline(&line, &cap, f)) <= 0) {
            /* a repeat missed for want of memory would count twice */
            if (n < 0 && errno == ENOMEM)
                found = -2;
            break;
        }
        off += n;
        if (!(j = llmc__json_loadb(line, (size_t)n, 0, &err))) {
            if (json_error_code(&err) == json_error_out_of_memory)
                found = -2;
            continue;
        }
        tj = json_object_get(j, "time_unix_s");
        if (json_is_object(j) && !json_object_get(j, "type") &&
            json_is_number(tj) && json_number_value(tj) == t &&
            json_integer_value(json_object_get(j, "pid")) == x->pid) {
            const char *host = json_string_value(json_object_get(j, "host"));
            const json_t *r = json_object_get(j, "rank");
            long long rank = json_is_integer(r) ? json_integer_value(r) : -1;
            if (host && rank == x->rank &&
                stream_key(host, x->pid, rank) == x->key) {
                struct hash k = line_hash(j, "sample", host, x->pid, rank,
                                          sample_identity);
                found = k.a == h.a && k.b == h.b;
            }
        }
        json_decref(j);
    }
    free(line);
    *after = off;
    return found;
}

/* 1: the sample line j of x (its host in full) at time t is new and now
 * counted, 0: it is a repeat, -1: out of memory. */
static int sample_seen(llmc_runlog *s, struct proc *x, const json_t *j,
                       const char *host, double t)
{
    struct hash h = line_hash(j, "sample", host, x->pid, x->rank,
                              sample_identity);
    struct seg *c;
    void *p;

    for (size_t i = 0; i < x->nseg; i++) {
        struct seg *g = &x->seg[i];
        long long after;
        int r;
        if (!(g->t_lo <= t && t <= g->t_hi))
            continue;
        if (g->off_lo < 0)
            return 0;
        /* a log given again repeats in order: after the last one found */
        r = 0;
        if (x->next_seg == i && x->next_off < g->off_hi)
            r = find_in(s, x, g->file, x->next_off, g->off_hi, t, h, &after);
        if (r == 0)
            r = find_in(s, x, g->file, g->off_lo, g->off_hi, t, h, &after);
        if (r == -2)
            return -1;
        if (r < 0)
            return 0; /* gone since: its times decide */
        if (r > 0) {
            x->next_seg = i;
            x->next_off = after;
            return 0;
        }
    }
    /* counted: on the segment this log extends when t is later */
    c = x->cur < x->nseg ? &x->seg[x->cur] : NULL;
    if (c && c->file == s->file && t > c->t_hi &&
        (c->off_lo < 0) == (s->line_off < 0)) {
        c->t_hi = t;
        c->off_hi = s->line_end;
        return 1;
    }
    /* most processes have one segment per log: room for two at first */
    if (x->nseg == x->capseg) {
        size_t cap = x->capseg ? 2 * x->capseg : 2;
        if (!(p = realloc(x->seg, cap * sizeof *x->seg)))
            return -1;
        x->seg = p;
        x->capseg = cap;
    }
    x->seg[x->nseg] = (struct seg){t, t, s->file, s->line_off, s->line_end};
    x->cur = x->nseg++;
    return 1;
}

/* The line's number at key, checked to lie in [lo, hi]; *v is NAN for
 * null when null_ok. Returns LLMC_OK, or LLMC_EFORMAT naming file:line. */
static int number_at(double *v, const json_t *o, const char *key, double lo,
                     double hi, int null_ok, const char *path, size_t lineno)
{
    const json_t *j = json_object_get(o, key);
    if (null_ok && json_is_null(j)) {
        *v = NAN;
        return LLMC_OK;
    }
    if (!json_is_number(j))
        return llmc__fail(LLMC_EFORMAT,
                          "%s:%zu: \"%s\" is %s, not a number%s; is it a log "
                          "of llmcarbon?",
                          path, lineno, key,
                          !j                  ? "missing"
                          : json_is_string(j) ? "a string"
                                              : "not a number",
                          null_ok ? " or null" : "");
    *v = json_number_value(j);
    if (!(*v >= lo && *v <= hi))
        return llmc__fail(LLMC_EFORMAT,
                          "%s:%zu: \"%s\" is %.17g, outside %g to %g; the log "
                          "is damaged, so nothing was read",
                          path, lineno, key, *v, lo, hi);
    return LLMC_OK;
}

/* Notes the "resumed" object of a sample line, once per process. */
static int resumed_of(llmc_runlog *s, const json_t *j, size_t w,
                      json_int_t pid, const char *path, size_t lineno)
{
    const json_t *r = json_object_get(j, "resumed");
    double from, e, written;
    void *p = s->resumed;
    int rc;
    if (!r)
        return LLMC_OK;
    if (!json_is_object(r))
        return llmc__fail(LLMC_EFORMAT,
                          "%s:%zu: \"resumed\" is not an object; the log is "
                          "damaged, so nothing was read",
                          path, lineno);
    if ((rc = number_at(&from, r, "from_unix_s", 0, MAX_UNIX_S, 0, path,
                        lineno)) != LLMC_OK ||
        (rc = number_at(&e, r, "energy_j", 0, MAX_ENERGY_J, 0, path,
                        lineno)) != LLMC_OK)
        return rc;
    /* logs written before the checkpoint's time was kept lack it */
    written = NAN;
    if (json_object_get(r, "checkpoint_written_unix_s") &&
        (rc = number_at(&written, r, "checkpoint_written_unix_s", 0,
                        MAX_UNIX_S, 1, path, lineno)) != LLMC_OK)
        return rc;
    for (size_t i = 0; i < s->nresumed; i++)
        if (s->resumed[i].who == w && s->resumed[i].pid == pid)
            return LLMC_OK;
    if (grow(&p, &s->capresumed, s->nresumed, sizeof *s->resumed) != 0)
        return out_of_memory();
    s->resumed = p;
    s->resumed[s->nresumed++] = (struct resume){w, pid, from, e, written};
    return LLMC_OK;
}

/* host, pid and rank of a line */
static int identity_of(const json_t *j, const char **host, json_int_t *pid,
                       long long *rank, const char *path, size_t lineno)
{
    const json_t *r = json_object_get(j, "rank");
    *host = json_string_value(json_object_get(j, "host"));
    *pid = json_integer_value(json_object_get(j, "pid"));
    if (!*host || !json_is_integer(json_object_get(j, "pid")) ||
        (r && !json_is_null(r) && !json_is_integer(r)))
        return llmc__fail(LLMC_EFORMAT,
                          "%s:%zu: a line without host, pid and rank; is it "
                          "a log of llmcarbon?",
                          path, lineno);
    *rank = json_is_integer(r) ? (long long)json_integer_value(r) : -1;
    return LLMC_OK;
}

static uint64_t stream_of(const char *host, json_int_t pid, long long rank)
{
    return stream_key(host, pid, rank);
}

/* ---- the plan ------------------------------------------------------- */

/* The plan and statistics of the process host, pid and rank; NULL when
 * out of memory. */
static struct planned *planned_of(llmc_runlog *s, const char *host,
                                  json_int_t pid, long long rank)
{
    struct planned *x;
    void *p = s->planned;
    if (s->last_planned < s->nplanned) {
        x = &s->planned[s->last_planned];
        if (x->pid == pid && x->rank == rank && strcmp(x->host, host) == 0)
            return x;
    }
    for (size_t i = 0; i < s->nplanned; i++) {
        x = &s->planned[i];
        if (x->pid == pid && x->rank == rank && strcmp(x->host, host) == 0) {
            s->last_planned = i;
            return x;
        }
    }
    if (grow(&p, &s->capplanned, s->nplanned, sizeof *s->planned) != 0)
        return NULL;
    s->planned = p;
    x = &s->planned[s->nplanned];
    memset(x, 0, sizeof *x);
    if (!(x->host = name_of(s, host)))
        return NULL;
    x->pid = pid;
    x->rank = rank;
    x->plan_lo_kgco2e = x->plan_hi_kgco2e = NAN;
    x->warmup = LLMC__WARMUP_SAMPLES;
    x->pue = 1.0;
    s->last_planned = s->nplanned++;
    return x;
}

/* A plan line (sinks.c): the target a process projects to; its last
 * counts. */
static int read_plan(llmc_runlog *s, const json_t *j, const char *path,
                     size_t lineno)
{
    const json_t *target = json_object_get(j, "target_tokens");
    const json_t *range = json_object_get(j, "plan_range_kgco2e");
    const json_t *warmup = json_object_get(j, "warmup_samples");
    double lo = NAN, hi = NAN;
    const char *host;
    json_int_t pid;
    long long rank;
    struct planned *x;
    int rc;

    if ((rc = identity_of(j, &host, &pid, &rank, path, lineno)) != LLMC_OK)
        return rc;
    if (!json_is_integer(target) || json_integer_value(target) < 1)
        return llmc__fail(LLMC_EFORMAT,
                          "%s:%zu: \"target_tokens\" of a plan line is %s, "
                          "not a whole number of 1 or more; the log is "
                          "damaged, so nothing was read",
                          path, lineno,
                          !target                   ? "missing"
                          : json_is_integer(target) ? "below 1"
                                                    : "not an integer");
    if (range && !json_is_null(range)) {
        if (!json_is_array(range) || json_array_size(range) != 2 ||
            !json_is_number(json_array_get(range, 0)) ||
            !json_is_number(json_array_get(range, 1)) ||
            !((lo = json_number_value(json_array_get(range, 0))) >= 0) ||
            !((hi = json_number_value(json_array_get(range, 1))) >= lo) ||
            !(hi <= MAX_KGCO2E))
            return llmc__fail(LLMC_EFORMAT,
                              "%s:%zu: \"plan_range_kgco2e\" of a plan line "
                              "is not null or [low, high] in kgCO2e (0 <= "
                              "low <= high <= %g); the log is damaged, so "
                              "nothing was read",
                              path, lineno, MAX_KGCO2E);
    }
    if (warmup && !(json_is_integer(warmup) &&
                    json_integer_value(warmup) >= 0 &&
                    json_integer_value(warmup) <= 1000000))
        return llmc__fail(LLMC_EFORMAT,
                          "%s:%zu: \"warmup_samples\" of a plan line is not "
                          "a whole number from 0 to 1000000; the log is "
                          "damaged, so nothing was read",
                          path, lineno);
    if (!(x = planned_of(s, host, pid, rank)))
        return out_of_memory();
    x->have_plan = 1;
    x->target_tokens = (uint64_t)json_integer_value(target);
    x->plan_lo_kgco2e = lo;
    x->plan_hi_kgco2e = hi;
    if (warmup)
        x->warmup = (unsigned)json_integer_value(warmup);
    return LLMC_OK;
}

/* A sample counted (not a repeat), for its process's projection: the
 * statistics the tracker's sampler keeps (sample.c), from the line. The
 * interval's share of the first phase, "train": its phase_s where the
 * line has one (a phase switch within it), else all or nothing by the
 * phase it names. */
static int plan_sample(llmc_runlog *s, const json_t *j, const char *path,
                       size_t lineno, const char *host, json_int_t pid,
                       long long rank, const char *phase, double e,
                       double op, double emb, double dt, double pue)
{
    const json_t *tok = json_object_get(j, "tokens");
    const json_t *ci = json_object_get(j, "intensity_gco2e_per_kwh");
    const json_t *ps = json_object_get(j, "phase_s");
    uint64_t tokens, delta;
    double share = !phase || !*phase || strcmp(phase, "train") == 0;
    struct planned *x;
    struct llmc__projection_in *in;

    if (ps) {
        const json_t *train = json_object_get(ps, "train");
        double train_s = json_is_number(train) ? json_number_value(train)
                                               : 0.0;
        if (!json_is_object(ps) || (train && !json_is_number(train)) ||
            !(train_s >= 0 && train_s <= dt * 1.001 + 1e-9))
            return llmc__fail(LLMC_EFORMAT,
                              "%s:%zu: \"phase_s\" is not an object of "
                              "each phase's seconds within \"interval_s\"; "
                              "the log is damaged, so nothing was read",
                              path, lineno);
        share = dt > 0 ? fmin(train_s / dt, 1.0) : 0.0;
    }
    if (!(x = planned_of(s, host, pid, rank)))
        return out_of_memory();
    in = &x->in;
    tokens = json_is_integer(tok) ? (uint64_t)json_integer_value(tok)
                                  : x->last_tokens;
    delta = tokens >= x->last_tokens ? tokens - x->last_tokens : 0;
    if (json_object_get(j, "resumed"))
        x->resumed = 1;
    x->pue = pue;
    in->duration_s += dt;
    if (!isnan(emb))
        in->embodied_kgco2e += emb;
    if (isnan(e)) {
        x->unmeasured = 1;
    } else {
        in->energy_j += e;
        in->run_energy_j += e;
        in->first_phase_energy_j += e * share;
        if (isnan(op)) {
            if (e > 0)
                in->unpriced_j += e;
        } else {
            x->operational_kgco2e += op;
        }
        if (json_is_number(ci))
            in->ci_energy_j += e * json_number_value(ci);
        /* only intervals spent wholly in training, as the sampler */
        if (dt > 0 && share >= 0.999)
            llmc__rate_add(&in->rate, x->warmup, e, delta, dt);
    }
    x->have_sample = 1;
    x->last_tokens = tokens;
    return LLMC_OK;
}

/* A fill line's price, for its process's projection. */
static int plan_fill(llmc_runlog *s, const char *host, json_int_t pid,
                     long long rank, double e, double ci, double op)
{
    struct planned *x = planned_of(s, host, pid, rank);
    if (!x)
        return out_of_memory();
    x->in.unpriced_j = fmax(x->in.unpriced_j - e, 0.0);
    x->in.ci_energy_j += e * ci;
    x->operational_kgco2e += op;
    return LLMC_OK;
}

/* The run's projection against its plan, where the rule is plain: the
 * samples are of one process, whose plan the log records. target_tokens
 * is each tracker's own count of tokens (llmc_tracker_new(3)), so the
 * processes of a job each project their own run: their sum, or any one
 * of them, would be a number for a plan no process made. */
static void project_run(llmc_runlog *s)
{
    const struct planned *one = NULL;
    size_t sampled = 0, plans = 0;

    s->target_tokens = 0;
    s->projected[0] = s->projected[1] = s->projected[2] = NAN;
    s->plan_lo_kgco2e = s->plan_hi_kgco2e = NAN;
    for (size_t i = 0; i < s->nplanned; i++) {
        plans += s->planned[i].have_plan;
        if (s->planned[i].have_sample) {
            sampled++;
            one = &s->planned[i];
        }
    }
    if (!plans) {
        snprintf(s->projection_note, sizeof s->projection_note,
                 "the log records no plan (target_tokens was not set), so "
                 "nothing is projected");
        return;
    }
    if (sampled > 1) {
        snprintf(s->projection_note, sizeof s->projection_note,
                 "the log holds the samples of %zu processes; target_tokens "
                 "is each tracker's own count, so no one projection is the "
                 "run's: read each process's own log",
                 sampled);
        return;
    }
    if (!one || !one->have_plan) {
        snprintf(s->projection_note, sizeof s->projection_note,
                 "the log records no plan for the process of its samples "
                 "(target_tokens was not set there), so nothing is "
                 "projected");
        return;
    }
    s->target_tokens = one->target_tokens;
    s->plan_lo_kgco2e = one->plan_lo_kgco2e;
    s->plan_hi_kgco2e = one->plan_hi_kgco2e;
    if (one->resumed) {
        snprintf(s->projection_note, sizeof s->projection_note,
                 "the process took over from a checkpoint, and the log "
                 "does not record the CO2e it took over, so nothing is "
                 "projected");
        return;
    }
    if (one->unmeasured) {
        snprintf(s->projection_note, sizeof s->projection_note,
                 "samples without an energy reading: the footprint so far "
                 "is unknown, so nothing is projected");
        return;
    }
    if (one->in.unpriced_j > 0) {
        snprintf(s->projection_note, sizeof s->projection_note,
                 "energy without a grid intensity: the footprint so far is "
                 "unknown, so nothing is projected");
        return;
    }
    {
        struct llmc__projection_in in = one->in;
        in.target_tokens = one->target_tokens;
        in.tokens = one->last_tokens;
        in.pue = s->pue_override > 0 ? s->pue_override : one->pue;
        in.total_kgco2e = one->operational_kgco2e + in.embodied_kgco2e;
        llmc__project(s->projected, &in);
    }
    if (isnan(s->projected[0]))
        snprintf(s->projection_note, sizeof s->projection_note, "%s",
                 LLMC__PROJECTION_NOT_YET);
}

/* A fill line: energy of earlier samples priced once an intensity was
 * known. It adds no energy (its samples hold it), only their CO2e. */
static int read_fill(llmc_runlog *s, const json_t *j, const char *path,
                     size_t lineno, double pue_override)
{
    double from, to, e, ci, op;
    const char *host;
    json_int_t pid;
    long long rank;
    long w;
    void *p = s->filled;
    int added, rc;

    if ((rc = identity_of(j, &host, &pid, &rank, path, lineno)) != LLMC_OK ||
        (rc = number_at(&from, j, "from_unix_s", 0, MAX_UNIX_S, 0, path,
                        lineno)) != LLMC_OK ||
        (rc = number_at(&to, j, "to_unix_s", from, MAX_UNIX_S, 0, path,
                        lineno)) != LLMC_OK ||
        (rc = number_at(&e, j, "energy_j", 0, MAX_ENERGY_J, 0, path,
                        lineno)) != LLMC_OK ||
        (rc = number_at(&ci, j, "intensity_gco2e_per_kwh", 0, MAX_INTENSITY,
                        0, path, lineno)) != LLMC_OK ||
        (rc = number_at(&op, j, "operational_kgco2e", 0, MAX_KGCO2E, 0, path,
                        lineno)) != LLMC_OK)
        return rc;
    if ((added = line_seen(s, j, "fill", host, pid, rank, fill_identity)) < 0)
        return out_of_memory();
    if (!added) {
        s->duplicates++;
        return LLMC_OK;
    }
    /* the fill's energy is the devices' energy, as a sample's is */
    if (pue_override > 0)
        llmc_account_operational(&op, e, pue_override, ci);
    if ((w = who_of(s, host, rank)) < 0 ||
        grow(&p, &s->capfilled, s->nfilled, sizeof *s->filled) != 0)
        return out_of_memory();
    s->filled = p;
    s->filled[s->nfilled++] = (struct span){stream_of(host, pid, rank), from,
                                            to, e, (size_t)w, ci, op};
    if ((rc = plan_fill(s, host, pid, rank, e, ci, op)) != LLMC_OK)
        return rc;
    s->fills++;
    s->filled_energy_j += e;
    s->filled_kgco2e += op;
    s->recorded_kgco2e += op;
    s->who[w].kgco2e += op;
    return LLMC_OK;
}

/* The devices of a sample line ("meters"), as power over its interval:
 * a device whose energy the process did not count has NaN. The list is
 * what a reader of samples sees; the totals never read it, so an entry
 * that is not a device is left out rather than refused. */
static int devices_of(llmc_runlog *s, struct sample *out, const json_t *j)
{
    const json_t *meters = json_object_get(j, "meters"), *m;
    size_t i;

    out->dev_first = s->ndev;
    out->ndev = 0;
    json_array_foreach(meters, i, m) {
        const char *name = json_string_value(json_object_get(m, "name"));
        const json_t *e = json_object_get(m, "energy_j");
        void *p = s->dev_name;
        size_t cap = s->capdev;
        if (!name)
            continue;
        if (grow(&p, &cap, s->ndev, sizeof *s->dev_name) != 0)
            return -1;
        s->dev_name = p;
        if (cap != s->capdev) {
            double *q = realloc(s->dev_power_w, cap * sizeof *q);
            if (!q)
                return -1;
            s->dev_power_w = q;
            s->capdev = cap;
        }
        if (!(s->dev_name[s->ndev] = name_of(s, name)))
            return -1;
        s->dev_power_w[s->ndev] =
            json_is_number(e) && out->interval_s > 0
                ? json_number_value(e) / out->interval_s
                : NAN;
        s->ndev++;
        out->ndev++;
    }
    return 0;
}

static double number_or_nan(const json_t *j, const char *key)
{
    const json_t *v = json_object_get(j, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* The kinds by enum llmc__ci_kind; the tracker logs the first three,
 * the reader says "filled" of what a fill line priced. */
static const char *const ci_kind_names[] = {
    [LLMC__CI_MEASURED] = "measured", [LLMC__CI_ESTIMATED] = "estimated",
    [LLMC__CI_FORECAST] = "forecast", [LLMC__CI_FILLED] = "filled"};

/* The kind a sample line logged (never "filled"). */
static unsigned char kind_of(const char *name)
{
    unsigned k = llmc__ci_kind_of(name);
    return (unsigned char)(k == LLMC__CI_FILLED ? LLMC__CI_UNKNOWN : k);
}

/* What the sample line j assumed: its grid (x->source), its PUE and its
 * meters, each kept once for the run. -1 when out of memory. */
static int assumed(llmc_runlog *s, struct sample *x, const json_t *j)
{
    const char *spec = json_string_value(json_object_get(j, "intensity_source"));
    const char *basis = json_string_value(json_object_get(j, "intensity_basis"));
    const json_t *pue = json_object_get(j, "pue"), *meters, *m;
    size_t i, k;
    void *p;

    x->source = UINT_MAX;
    if (spec) {
        if (!basis)
            basis = "unspecified";
        for (k = 0; k < s->nsource; k++)
            if (strcmp(s->source[k].spec, spec) == 0 &&
                strcmp(s->source[k].basis, basis) == 0)
                break;
        if (k == s->nsource) {
            p = s->source;
            if (k >= UINT_MAX ||
                grow(&p, &s->capsource, s->nsource, sizeof *s->source) != 0)
                return -1;
            s->source = p;
            s->source[k] = (struct llmc__run_source){name_of(s, spec),
                                                    name_of(s, basis), 0};
            if (!s->source[k].spec || !s->source[k].basis)
                return -1;
            s->nsource++;
        }
        s->source[k].samples++;
        x->source = (unsigned)k;
    }
    if (json_is_number(pue)) {
        double v = json_number_value(pue);
        for (k = 0; k < s->npue && s->pue[k] != v; k++)
            ;
        if (k == s->npue) {
            p = s->pue;
            if (grow(&p, &s->cappue, s->npue, sizeof *s->pue) != 0)
                return -1;
            s->pue = p;
            s->pue[s->npue++] = v;
        }
    }
    meters = json_object_get(j, "meters");
    json_array_foreach(meters, i, m) {
        const char *name = json_string_value(json_object_get(m, "name"));
        const char *method = json_string_value(json_object_get(m, "method"));
        if (!name)
            continue;
        if (!method)
            method = "unknown";
        for (k = 0; k < s->nmeter; k++)
            if (strcmp(s->meter[k].name, name) == 0 &&
                strcmp(s->meter[k].method, method) == 0)
                break;
        if (k < s->nmeter)
            continue;
        p = s->meter;
        if (grow(&p, &s->capmeter, s->nmeter, sizeof *s->meter) != 0)
            return -1;
        s->meter = p;
        s->meter[k] = (struct llmc__run_meter){name_of(s, name),
                                              name_of(s, method)};
        if (!s->meter[k].name || !s->meter[k].method)
            return -1;
        s->nmeter++;
    }
    return 0;
}

/* A named window's line, kept with the samples (a line seen before is
 * kept once). */
static int keep_window(llmc_runlog *s, const json_t *j)
{
    const char *name = json_string_value(json_object_get(j, "window"));
    const char *host = json_string_value(json_object_get(j, "host"));
    const json_t *r = json_object_get(j, "rank");
    struct llmc__run_window w;
    void *p = s->window;

    if (!name || !host)
        return 0; /* not a window the page can name */
    w = (struct llmc__run_window){
        .rank = json_is_integer(r) ? (long long)json_integer_value(r) : -1,
        .begin_unix_s = number_or_nan(j, "begin_unix_s"),
        .end_unix_s = number_or_nan(j, "end_unix_s"),
        .energy_j = number_or_nan(j, "energy_j"),
        .operational_kgco2e = number_or_nan(j, "operational_kgco2e"),
        .embodied_kgco2e = number_or_nan(j, "embodied_kgco2e"),
        .total_kgco2e = number_or_nan(j, "total_kgco2e")};
    for (size_t k = 0; k < s->nwindow; k++)
        if (strcmp(s->window[k].name, name) == 0 &&
            strcmp(s->window[k].host, host) == 0 &&
            s->window[k].rank == w.rank &&
            s->window[k].begin_unix_s == w.begin_unix_s)
            return 0;
    if (grow(&p, &s->capwindow, s->nwindow, sizeof *s->window) != 0)
        return -1;
    s->window = p;
    if (!(w.name = name_of(s, name)) || !(w.host = name_of(s, host)))
        return -1;
    s->window[s->nwindow++] = w;
    return 0;
}

/* The public view of sample x. */
static void sample_view(llmc_run_sample *v, const llmc_runlog *log,
                        const struct sample *x)
{
    *v = (llmc_run_sample){
        .size = sizeof *v, .time_unix_s = x->time_unix_s,
        .interval_s = x->interval_s, .energy_j = x->energy_j,
        .power_w = x->interval_s > 0 ? x->energy_j / x->interval_s : NAN,
        .intensity_gco2e_per_kwh = x->intensity,
        .operational_kgco2e = x->kgco2e, .embodied_kgco2e = x->embodied,
        .host = log->who[x->who].host, .rank = log->who[x->who].rank,
        .pid = x->pid, .phase = log->phase[x->phase].name, .step = x->step,
        .tokens = x->tokens, .device_count = x->ndev,
        .device_names = x->ndev ? &log->dev_name[x->dev_first] : NULL,
        .device_power_w = x->ndev ? &log->dev_power_w[x->dev_first] : NULL,
        .intensity_kind = llmc__ci_kind_name(x->kind),
        .intensity_source =
            x->source < log->nsource ? log->source[x->source].spec : NULL};
}

/* Keeps x, a sample of the line j, for llmc_runlog_sample (or hands it
 * to s->each, keeping nothing): with its
 * step, tokens, intensity and devices, which the totals do not read. */
static int keep_sample(llmc_runlog *s, const json_t *j, struct sample x)
{
    const json_t *step = json_object_get(j, "step");
    const json_t *tok = json_object_get(j, "tokens");
    const json_t *ci = json_object_get(j, "intensity_gco2e_per_kwh");
    void *p = s->sample;

    x.intensity = json_is_number(ci) ? json_number_value(ci) : NAN;
    x.step = json_is_integer(step) && json_integer_value(step) > 0
                 ? (uint64_t)json_integer_value(step)
                 : 0;
    x.tokens = json_is_integer(tok) ? (uint64_t)json_integer_value(tok) : 0;
    x.kind = kind_of(json_string_value(json_object_get(j, "intensity_kind")));
    if (devices_of(s, &x, j) != 0 || assumed(s, &x, j) != 0)
        return out_of_memory();
    if (s->each) {
        llmc_run_sample v;
        int rc;
        sample_view(&v, s, &x);
        rc = s->each(s->each_ctx, &v);
        s->ndev = 0; /* the next line's devices take the same room */
        return rc == 0 ? LLMC_OK : out_of_memory();
    }
    if (grow(&p, &s->capsample, s->nsample, sizeof *s->sample) != 0)
        return out_of_memory();
    s->sample = p;
    s->sample[s->nsample++] = x;
    return LLMC_OK;
}

/* A sample line (a line without "type"). */
static int read_sample(llmc_runlog *s, const json_t *j, const char *path,
                       size_t lineno, llmc_grid *g, double pue_override,
                       long long *tokens)
{
    double e, t, dt, pue = 1.0, op, emb;
    const char *host, *phase_name;
    json_int_t pid;
    long long rank;
    const json_t *tok = json_object_get(j, "tokens");
    long w, ph;
    int added, rc;

    if ((rc = identity_of(j, &host, &pid, &rank, path, lineno)) != LLMC_OK ||
        (rc = number_at(&t, j, "time_unix_s", 0, MAX_UNIX_S, 0, path,
                        lineno)) != LLMC_OK ||
        (rc = number_at(&dt, j, "interval_s", 0, t, 0, path, lineno)) !=
            LLMC_OK ||
        (rc = number_at(&e, j, "energy_j", 0, MAX_ENERGY_J, 1, path,
                        lineno)) != LLMC_OK ||
        (rc = number_at(&op, j, "operational_kgco2e", 0, MAX_KGCO2E, 1, path,
                        lineno)) != LLMC_OK ||
        (rc = number_at(&emb, j, "embodied_kgco2e", 0, MAX_KGCO2E, 1, path,
                        lineno)) != LLMC_OK ||
        (json_object_get(j, "pue") &&
         (rc = number_at(&pue, j, "pue", 1, 100, 0, path, lineno)) !=
             LLMC_OK))
        return rc;
    if (tok && !(json_is_integer(tok) && json_integer_value(tok) >= 0))
        return llmc__fail(LLMC_EFORMAT,
                          "%s:%zu: \"tokens\" is not an integer of 0 or more; "
                          "the log is damaged, so nothing was read",
                          path, lineno);
    if (s->no_samples) {
        struct proc *x = proc_of(s, host, pid, rank);
        added = x ? sample_seen(s, x, j, host, t) : -1;
    } else {
        added = line_seen(s, j, "sample", host, pid, rank, sample_identity);
    }
    if (added < 0)
        return out_of_memory();
    if (!added) {
        s->duplicates++;
        return LLMC_OK;
    }
    if (tok)
        *tokens = (long long)json_integer_value(tok);
    /* a sample without a phase name counts in the first phase, "train" */
    phase_name = json_string_value(json_object_get(j, "phase"));
    if ((w = who_of(s, host, rank)) < 0 ||
        (ph = phase_of(s, phase_name && *phase_name ? phase_name : "train"))
            < 0)
        return out_of_memory();
    if ((rc = resumed_of(s, j, (size_t)w, pid, path, lineno)) != LLMC_OK)
        return rc;
    /* the operational figure at the PUE given instead of the logged one
     * (NaN, unpriced, stays NaN) */
    if (pue_override > 0)
        op *= pue_override / pue;
    if ((!s->no_samples || s->each) &&
        (rc = keep_sample(
             s, j,
             (struct sample){
                 .time_unix_s = t, .interval_s = dt, .energy_j = e,
                 .kgco2e = op,
                 .embodied = emb, .pid = pid, .who = (size_t)w,
                 .phase = (size_t)ph})) != LLMC_OK)
        return rc;
    if ((rc = plan_sample(s, j, path, lineno, host, pid, rank, phase_name, e,
                          op, emb, dt, pue)) != LLMC_OK)
        return rc;
    s->samples++;
    s->who[w].samples++;
    s->phase[ph].samples++;
    /* null: the tracker counted no embodied carbon for the interval */
    if (isnan(emb)) {
        s->no_embodied++;
        s->who[w].no_embodied++;
        s->phase[ph].no_embodied++;
    } else {
        s->embodied_kgco2e += emb;
        s->who[w].embodied_kgco2e += emb;
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
        return LLMC_OK;
    }
    s->energy_j += e;
    s->who[w].energy_j += e;
    s->phase[ph].energy_j += e;
    if (isnan(op)) {
        /* no intensity when it was logged: a fill line may price it */
        void *p = s->unpriced;
        if (e == 0)
            return LLMC_OK; /* 0 J emits 0 at any intensity */
        /* fill lines price intervals, not phases: the phase's own
         * operational figure stays unknown */
        s->phase[ph].unpriced++;
        if (grow(&p, &s->capunpriced, s->nunpriced, sizeof *s->unpriced))
            return out_of_memory();
        s->unpriced = p;
        s->unpriced[s->nunpriced++] = (struct span){
            stream_of(host, pid, rank), t - dt, t, e, (size_t)w, 0, 0};
    } else {
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
    return LLMC_OK;
}

/* One line of a log, parsed; LLMC_OK, or a failure naming file:line. A
 * torn last line sets *torn. */
static int read_line(llmc_runlog *s, const char *line, size_t n, FILE *f,
                     const char *path, size_t lineno, llmc_grid *g,
                     double pue_override, long long *tokens, int *torn)
{
    json_error_t err;
    json_t *j;
    const json_t *type;
    int rc;

    if (!(j = llmc__json_loadb(line, n, 0, &err))) {
        int c;
        if (json_error_code(&err) == json_error_out_of_memory)
            return out_of_memory();
        /* a torn line is the last, and lacks the newline that ends every
         * line written whole */
        c = fgetc(f);
        if (c == EOF && !ferror(f) && line[n - 1] != '\n') {
            /* the writer was killed, or the disk was full, in the middle
             * of its last line */
            *torn = 1;
            return LLMC_OK;
        }
        return llmc__fail(LLMC_EFORMAT,
                          "%s:%zu: not a JSON line (%s); is it a log of "
                          "llmcarbon?",
                          path, lineno, err.text);
    }
    type = json_object_get(j, "type");
    if (!json_is_object(j))
        rc = llmc__fail(LLMC_EFORMAT,
                        "%s:%zu: a JSON line that is not an object; is it a "
                        "log of llmcarbon?",
                        path, lineno);
    else if (!type)
        rc = read_sample(s, j, path, lineno, g, pue_override, tokens);
    else if (json_is_string(type) &&
             strcmp(json_string_value(type), "fill") == 0)
        rc = read_fill(s, j, path, lineno, pue_override);
    else if (json_is_string(type) &&
             strcmp(json_string_value(type), "window") == 0)
        /* a named window's totals (sinks.c): its energy and CO2e are
         * those of the samples around it, counted there; kept with the
         * samples for the reports that show windows */
        rc = (s->no_samples && !s->each) || keep_window(s, j) == 0
                 ? LLMC_OK
                 : out_of_memory();
    else if (json_is_string(type) &&
             strcmp(json_string_value(type), "plan") == 0)
        /* the target the tracker projected to (sinks.c) */
        rc = read_plan(s, j, path, lineno);
    else
        rc = llmc__fail(LLMC_ENOTSUP,
                        "%s:%zu: a line of type %s%s%s, which this llmcarbon "
                        "does not know; is the log of a newer version?",
                        path, lineno, json_is_string(type) ? "'" : "",
                        json_is_string(type) ? json_string_value(type)
                                             : "(not a string)",
                        json_is_string(type) ? "'" : "");
    json_decref(j);
    return rc;
}

/* The status of a file that cannot be opened. */
static int open_status(int err)
{
    switch (err) {
    case ENOENT:
    case ENOTDIR:
        return LLMC_ENOTFOUND;
    case EACCES:
    case EPERM:
        return LLMC_EPERM;
    case ENOMEM:
        return LLMC_ENOMEM;
    default:
        return LLMC_EIO;
    }
}

static int read_log(llmc_runlog *s, const char *path, llmc_grid *g,
                    double pue_override)
{
    FILE *f = fopen(path, "re");
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    long long tokens = -1, samples_before = s->samples + s->duplicates;
    long long off = 0, limit;
    int again;
    ssize_t n;
    struct stat st;
    int rc = LLMC_OK, read_errno = 0, torn = 0;

    if (!f) {
        int err = errno;
        return llmc__fail(open_status(err), "cannot open '%s': %s", path,
                          strerror(err));
    }
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return llmc__fail(LLMC_EINVAL,
                          "'%s' is a directory, not a log; give the logs in "
                          "it, e.g. %s/*.jsonl",
                          path, path);
    }
    /* only a file can be read again to look for repeats (sample_seen) */
    again = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
    limit = s->limit_bytes ? s->limit_bytes[s->file] : -1;
    while (rc == LLMC_OK && !torn) {
        errno = 0;
        if ((n = getline(&line, &cap, f)) < 0) {
            /* the end, or a failure (ENOMEM need not set ferror) */
            if (!feof(f) || ferror(f))
                read_errno = errno ? errno : EIO;
            break;
        }
        /* a bounded reading ends at its bound: a line that passes it, or
         * that ends there without its newline, is being written (the log
         * of a running tracker) and is not read */
        if (limit >= 0 &&
            (off + n > limit || (off + n == limit && line[n - 1] != '\n')))
            break;
        lineno++;
        s->line_off = again ? off : -1;
        off += n;
        s->line_end = again ? off : -1;
        rc = read_line(s, line, (size_t)n, f, path, lineno, g, pue_override,
                       &tokens, &torn);
    }
    free(line);
    fclose(f);
    if (rc != LLMC_OK)
        return rc;
    if (read_errno)
        return llmc__fail(read_errno == ENOMEM ? LLMC_ENOMEM : LLMC_EIO,
                          "reading '%s' failed: %s", path,
                          strerror(read_errno));
    if (torn) {
        s->torn++;
        if (warn(s, "%s:%zu: the last line is cut short (a writer killed or "
                    "a full disk); it was skipped",
                 path, lineno) != 0)
            return out_of_memory();
    }
    if (s->samples + s->duplicates == samples_before)
        return llmc__fail(LLMC_ENODATA,
                          "'%s' %s; it is not a log of llmcarbon, or its run "
                          "logged nothing",
                          path,
                          lineno == 0 ? "is empty" : "holds no whole sample");
    /* the counts are cumulative: a log's last new sample holds them; a
     * log given again adds nothing */
    if (tokens >= 0)
        s->tokens += tokens;
    return LLMC_OK;
}

/* Prices what fill lines cover; what is left makes the operational
 * figure unknown. A fill covers the samples of its process whose
 * intervals lie in its own; times are logged to 12 digits (10 ms today),
 * so within a tolerance below any sampling interval. What is left of a
 * host and rank is covered by its carried fills when their energy is
 * at least as much, else all of it stays unpriced. Returns -1 when out of
 * memory. */
/* The fill line of stream that prices the interval from_s..to_s (its
 * own, not energy carried from before a restart), within a tolerance of a
 * quarter of the interval and at most 50 ms; NULL when none does. */
static const struct span *fill_covering(const llmc_runlog *s, uint64_t stream,
                                        double from_s, double to_s)
{
    double tol = fmin(0.05, (to_s - from_s) / 4);
    for (size_t k = 0; k < s->nfilled; k++) {
        const struct span *f = &s->filled[k];
        if (!CARRIED(f) && f->stream == stream && f->from_s <= from_s + tol &&
            to_s <= f->to_s + tol)
            return f;
    }
    return NULL;
}

static int match_fills(llmc_runlog *s)
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
        if (!fill_covering(s, u->stream, u->from_s, u->to_s)) {
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

/* Kept samples that had no intensity when logged and that a fill line of
 * their process prices: "filled", at the fill's intensity. */
static void mark_filled(llmc_runlog *s)
{
    if (!s->nfilled)
        return;
    for (size_t i = 0; i < s->nsample; i++) {
        struct sample *x = &s->sample[i];
        const struct who *w = &s->who[x->who];
        const struct span *f;
        if (!isnan(x->intensity) || isnan(x->energy_j))
            continue;
        f = fill_covering(s, stream_key(w->host, x->pid, w->rank),
                          x->time_unix_s - x->interval_s, x->time_unix_s);
        if (f) {
            x->kind = LLMC__CI_FILLED;
            x->intensity = f->gco2e_per_kwh;
        }
    }
}

/* The figures of the whole run: a number given is a promise, so a figure
 * with a part unknown is unknown (NaN), with the reason. */
static int conclude(llmc_runlog *s, llmc_grid *g)
{
    if (s->unmeasured)
        snprintf(s->energy_why, sizeof s->energy_why,
                 "%lld of %lld samples had no energy reading (no meter "
                 "measured energy)", s->unmeasured, s->samples);
    s->energy_known_j = *s->energy_why ? NAN : s->energy_j;
    if (*s->energy_why)
        snprintf(s->op_why, sizeof s->op_why, "the energy is unknown: %s",
                 s->energy_why);
    else if (s->unpriced_samples)
        snprintf(s->op_why, sizeof s->op_why,
                 "%.6g kWh in %lld samples had no grid intensity, and no "
                 "fill line prices it",
                 s->unpriced_j / 3.6e6, s->unpriced_samples);
    s->recorded_known = *s->op_why ? NAN : s->recorded_kgco2e;
    s->reweighted_known = !g || s->reweight_failures || *s->energy_why
                              ? NAN
                              : s->reweighted_kgco2e;
    /* samples whose tracker counted no embodied carbon make the figure
     * unknown, not smaller; the total is then the operational figure */
    if (s->no_embodied)
        snprintf(s->embodied_why, sizeof s->embodied_why,
                 "%lld of %lld samples counted no embodied carbon (the "
                 "tracker had no hardware=NAME, or no embodied figure for "
                 "it)", s->no_embodied, s->samples);
    s->embodied_known = *s->embodied_why ? NAN : s->embodied_kgco2e;
    if (s->duplicates &&
        warn(s, "%lld line%s seen before (the same host, pid, rank, time "
                "and counts: a log given twice?) %s dropped",
             s->duplicates, s->duplicates == 1 ? "" : "s",
             s->duplicates == 1 ? "was" : "were") != 0)
        return -1;
    if (!s->warnings && !(s->warnings = calloc(1, 1)))
        return -1;
    if (g && !(s->grid_spec = llmc__strdup(llmc_grid_spec(g))))
        return -1;
    return 0;
}

LLMC_API void llmc_runlog_free(llmc_runlog *log)
{
    if (!log)
        return;
    for (size_t i = 0; i < log->nnames; i++)
        free(log->names[i]);
    for (size_t i = 0; i < log->nproc; i++)
        free(log->proc[i].seg);
    free(log->proc);
    if (log->again)
        fclose(log->again);
    free(log->names);
    free(log->source);
    free(log->pue);
    free(log->meter);
    free(log->window);
    for (size_t i = 0; i < log->nagain_paths; i++)
        free(log->again_paths[i]);
    free(log->again_paths);
    free(log->again_limit_bytes);
    free(log->dev_name);
    free(log->dev_power_w);
    free(log->sample);
    free(log->who);
    free(log->phase);
    free(log->resumed);
    free(log->unpriced);
    free(log->filled);
    free(log->seen);
    free(log->grid_spec);
    free(log->warnings);
    free(log->planned);
    free(log);
}

LLMC_API int llmc_runlog_read(llmc_runlog **out, const char *const *paths,
                              size_t npaths, llmc_grid *grid, double pue)
{
    return llmc_runlog_read_flags(out, paths, npaths, grid, pue, 0);
}

/* The paths of a log read without samples, kept to read it again for a
 * report that draws it: none when one is not a regular file (a pipe reads
 * once). -1 when out of memory. */
static int keep_paths(llmc_runlog *s, const char *const *paths, size_t n)
{
    struct stat st;
    for (size_t i = 0; i < n; i++)
        if (stat(paths[i], &st) != 0 || !S_ISREG(st.st_mode))
            return 0;
    if (!(s->again_paths = calloc(n, sizeof *s->again_paths)))
        return -1;
    if (s->limit_bytes) {
        if (!(s->again_limit_bytes = malloc(n * sizeof *s->again_limit_bytes)))
            return -1;
        memcpy(s->again_limit_bytes, s->limit_bytes,
               n * sizeof *s->again_limit_bytes);
    }
    for (size_t i = 0; i < n; i++) {
        if (!(s->again_paths[i] = llmc__strdup(paths[i])))
            return -1;
        s->nagain_paths++;
    }
    return 0;
}

static int read_runlog(llmc_runlog **out, const char *const *paths,
                       size_t npaths, llmc_grid *grid, double pue,
                       unsigned flags, llmc__sample_fn each, void *each_ctx,
                       const long long *limit_bytes);

LLMC_API int llmc_runlog_read_flags(llmc_runlog **out,
                                    const char *const *paths, size_t npaths,
                                    llmc_grid *grid, double pue,
                                    unsigned flags)
{
    return read_runlog(out, paths, npaths, grid, pue, flags, NULL, NULL,
                       NULL);
}

int llmc__runlog_read_upto(llmc_runlog **out, const char *const *paths,
                           const long long *limit_bytes, size_t npaths,
                           llmc_grid *grid, double pue, unsigned flags)
{
    return read_runlog(out, paths, npaths, grid, pue, flags, NULL, NULL,
                       limit_bytes);
}

int llmc__runlog_read_each_upto(llmc_runlog **out, const char *const *paths,
                                const long long *limit_bytes, size_t npaths,
                                double pue, llmc__sample_fn each, void *ctx)
{
    return read_runlog(out, paths, npaths, NULL, pue,
                       LLMC_RUNLOG_NO_SAMPLES, each, ctx, limit_bytes);
}

const long long *llmc__runlog_limits(const llmc_runlog *log)
{
    return log->again_limit_bytes;
}

size_t llmc__runlog_paths(const char *const **out_paths, double *out_pue,
                          const llmc_runlog *log)
{
    *out_paths = (const char *const *)log->again_paths;
    *out_pue = log->pue_override;
    return log->nagain_paths;
}

static int read_runlog(llmc_runlog **out, const char *const *paths,
                       size_t npaths, llmc_grid *grid, double pue,
                       unsigned flags, llmc__sample_fn each, void *each_ctx,
                       const long long *limit_bytes)
{
    struct llmc__error_saved saved;
    llmc_runlog *s;
    int rc = LLMC_OK;

    if (!out || !paths)
        return llmc__fail(LLMC_EINVAL, "out or paths is NULL");
    *out = NULL;
    if (npaths == 0)
        return llmc__fail(LLMC_EINVAL, "no log given: pass the paths of the "
                                       "run's logs (log=FILE, one per rank)");
    for (size_t i = 0; i < npaths; i++)
        if (!paths[i])
            return llmc__fail(LLMC_EINVAL, "paths[%zu] is NULL", i);
    /* 0 keeps each sample's own PUE */
    if (pue != 0 && !(pue >= 1 && isfinite(pue)))
        return llmc__fail(LLMC_ERANGE,
                          "PUE %g is not a number of 1 or more; give 0 to "
                          "keep the PUE each sample recorded",
                          pue);
    if (flags & ~(unsigned)LLMC_RUNLOG_NO_SAMPLES)
        return llmc__fail(LLMC_EINVAL,
                          "flags 0x%x: unknown bits 0x%x; give 0 or "
                          "LLMC_RUNLOG_NO_SAMPLES",
                          flags, flags & ~(unsigned)LLMC_RUNLOG_NO_SAMPLES);
    if (!(s = calloc(1, sizeof *s)))
        return out_of_memory();
    llmc__error_save(&saved);
    s->nlogs = npaths;
    s->no_samples = (flags & LLMC_RUNLOG_NO_SAMPLES) != 0;
    s->each = each;
    s->each_ctx = each_ctx;
    s->pue_override = pue;
    s->paths = paths;
    s->limit_bytes = limit_bytes;
    for (size_t i = 0; i < npaths && rc == LLMC_OK; i++) {
        s->file = i;
        rc = read_log(s, paths[i], grid, pue);
    }
    /* what finds repeats is of the reading only */
    for (size_t i = 0; i < s->nproc; i++)
        free(s->proc[i].seg);
    free(s->proc);
    s->proc = NULL;
    s->nproc = 0;
    if (s->again)
        fclose(s->again);
    s->again = NULL;
    s->paths = NULL;
    if (rc == LLMC_OK && !s->no_samples)
        mark_filled(s);
    if (rc == LLMC_OK)
        project_run(s);
    if (rc == LLMC_OK && (match_fills(s) != 0 || conclude(s, grid) != 0 ||
                          (s->no_samples && !each &&
                           keep_paths(s, paths, npaths) != 0)))
        rc = out_of_memory();
    s->each = NULL;
    s->limit_bytes = NULL;
    if (rc != LLMC_OK) {
        llmc_runlog_free(s);
        return rc;
    }
    /* a grid that had no intensity for a sample is a figure unknown, not
     * a failure of this call */
    llmc__error_restore(&saved);
    *out = s;
    return LLMC_OK;
}

LLMC_API const char *llmc_runlog_warnings(const llmc_runlog *log)
{
    return log ? log->warnings : NULL;
}

/* ---- figures ------------------------------------------------------------ */

/* The total: operational and embodied, or the operational figure alone
 * where embodied carbon was not counted. */
static double total_of(double operational, double embodied)
{
    return isnan(embodied) ? operational : operational + embodied;
}

LLMC_API void llmc_run_totals_init(llmc_run_totals *out, size_t size)
{
    llmc__versioned_init(out, size);
}

LLMC_API void llmc_run_sample_init(llmc_run_sample *out, size_t size)
{
    llmc__versioned_init(out, size);
}

LLMC_API void llmc_run_resume_init(llmc_run_resume *out, size_t size)
{
    llmc__versioned_init(out, size);
}

/* The figures every kind of totals has; the rest stay 0. */
static void part_totals(llmc_run_totals *o, long long samples,
                        long long unmeasured, long long unpriced,
                        long long no_embodied, double energy_j,
                        double kgco2e, double embodied_kgco2e)
{
    o->rank = -1;
    o->samples = (uint64_t)samples;
    o->unmeasured_samples = (uint64_t)unmeasured;
    o->unpriced_samples = (uint64_t)unpriced;
    o->duration_s = NAN;
    o->energy_j = unmeasured ? NAN : energy_j;
    o->operational_kgco2e = unmeasured || unpriced ? NAN : kgco2e;
    o->embodied_kgco2e = no_embodied ? NAN : embodied_kgco2e;
    o->total_kgco2e = total_of(o->operational_kgco2e, o->embodied_kgco2e);
    o->filled_energy_j = o->filled_operational_kgco2e = NAN;
    o->unpriced_energy_j = NAN;
    o->reweighted_kgco2e = o->reweighted_intensity_gco2e_per_kwh = NAN;
    o->projected_total_kgco2e = o->projected_low_kgco2e =
        o->projected_high_kgco2e = NAN;
    o->plan_low_kgco2e = o->plan_high_kgco2e = NAN;
}

static void whole_totals(llmc_run_totals *o, const llmc_runlog *s)
{
    o->rank = -1;
    o->logs = s->nlogs;
    o->samples = (uint64_t)s->samples;
    o->unmeasured_samples = (uint64_t)s->unmeasured;
    o->duration_s = s->last_t - s->first_t;
    o->energy_j = s->energy_known_j;
    o->operational_kgco2e = s->recorded_known;
    o->embodied_kgco2e = s->embodied_known;
    o->total_kgco2e = total_of(s->recorded_known, s->embodied_known);
    o->tokens = (uint64_t)s->tokens;
    o->filled_energy_j = s->filled_energy_j;
    o->filled_operational_kgco2e = s->filled_kgco2e;
    o->fill_lines = (uint64_t)s->fills;
    o->unpriced_energy_j = s->unpriced_j;
    o->unpriced_samples = (uint64_t)s->unpriced_samples;
    o->target_tokens = s->target_tokens;
    o->projected_total_kgco2e = s->projected[0];
    o->projected_low_kgco2e = s->projected[1];
    o->projected_high_kgco2e = s->projected[2];
    o->plan_low_kgco2e = s->plan_lo_kgco2e;
    o->plan_high_kgco2e = s->plan_hi_kgco2e;
    o->projection_note = *s->projection_note ? s->projection_note : NULL;
    o->reweighted_kgco2e = s->reweighted_known;
    o->reweighted_intensity_gco2e_per_kwh =
        isfinite(s->reweighted_known) && s->energy_known_j > 0
            ? s->ci_energy / s->energy_known_j
            : NAN;
    o->reweight_failures = (uint64_t)s->reweight_failures;
    o->duplicate_lines = (uint64_t)s->duplicates;
    o->torn_lines = (uint64_t)s->torn;
    o->energy_unknown_reason = *s->energy_why ? s->energy_why : NULL;
    o->operational_unknown_reason = *s->op_why ? s->op_why : NULL;
    o->embodied_note = *s->embodied_why ? s->embodied_why : NULL;
    o->grid = s->grid_spec;
    o->reweight_problem = !s->grid_spec         ? NULL
                          : s->reweight_failures ? s->problem
                          : *s->energy_why       ? s->energy_why
                                                 : NULL;
}

LLMC_API int llmc_runlog_totals(llmc_run_totals *out,
                                const llmc_runlog *log, const char *phase)
{
    llmc_run_totals full;
    const struct phase *p = NULL;

    if (!out || !log)
        return llmc__fail(LLMC_EINVAL, "out or log is NULL");
    if (phase) {
        for (size_t i = 0; i < log->nphase && !p; i++)
            if (strcmp(log->phase[i].name, phase) == 0)
                p = &log->phase[i];
        if (!p)
            return llmc__fail(LLMC_ENOTFOUND,
                              "the logs have no sample of the phase '%s'; "
                              "llmc_runlog_phase_name lists those they have",
                              phase);
    }
    memset(&full, 0, sizeof full);
    full.size = sizeof full;
    if (p) {
        part_totals(&full, p->samples, p->unmeasured, p->unpriced,
                    p->no_embodied, p->energy_j, p->kgco2e,
                    p->embodied_kgco2e);
        full.phase = p->name;
    } else {
        whole_totals(&full, log);
    }
    return llmc__versioned_copy(out, &full, sizeof full, TOTALS_MIN,
                                "llmc_run_totals");
}

LLMC_API size_t llmc_runlog_phase_count(const llmc_runlog *log)
{
    return log ? log->nphase : 0;
}

LLMC_API const char *llmc_runlog_phase_name(const llmc_runlog *log,
                                            size_t index)
{
    return log && index < log->nphase ? log->phase[index].name : NULL;
}

LLMC_API size_t llmc_runlog_stream_count(const llmc_runlog *log)
{
    return log ? log->nwho : 0;
}

LLMC_API int llmc_runlog_stream(llmc_run_totals *out,
                                const llmc_runlog *log, size_t index)
{
    llmc_run_totals full;
    const struct who *w;

    if (!out || !log)
        return llmc__fail(LLMC_EINVAL, "out or log is NULL");
    if (index >= log->nwho)
        return llmc__fail(LLMC_ERANGE,
                          "stream %zu of %zu; llmc_runlog_stream_count says "
                          "how many there are",
                          index, log->nwho);
    w = &log->who[index];
    memset(&full, 0, sizeof full);
    full.size = sizeof full;
    part_totals(&full, w->samples, w->unmeasured, w->unpriced, w->no_embodied,
                w->energy_j, w->kgco2e, w->embodied_kgco2e);
    full.host = w->host;
    full.rank = w->rank;
    return llmc__versioned_copy(out, &full, sizeof full, TOTALS_MIN,
                                "llmc_run_totals");
}

LLMC_API size_t llmc_runlog_resume_count(const llmc_runlog *log)
{
    return log ? log->nresumed : 0;
}

LLMC_API int llmc_runlog_resume(llmc_run_resume *out,
                                const llmc_runlog *log, size_t index)
{
    llmc_run_resume full;
    const struct resume *r;

    if (!out || !log)
        return llmc__fail(LLMC_EINVAL, "out or log is NULL");
    if (index >= log->nresumed)
        return llmc__fail(LLMC_ERANGE,
                          "resume %zu of %zu; llmc_runlog_resume_count says "
                          "how many there are",
                          index, log->nresumed);
    r = &log->resumed[index];
    full = (llmc_run_resume){
        .size = sizeof full, .host = log->who[r->who].host,
        .rank = log->who[r->who].rank, .pid = r->pid,
        .from_unix_s = r->from_unix_s,
        .checkpoint_written_unix_s = r->written_unix_s,
        .energy_j = r->energy_j};
    return llmc__versioned_copy(out, &full, sizeof full, RESUME_MIN,
                                "llmc_run_resume");
}

LLMC_API size_t llmc_runlog_sample_count(const llmc_runlog *log)
{
    return log ? log->nsample : 0;
}

LLMC_API int llmc_runlog_sample(llmc_run_sample *out,
                                const llmc_runlog *log, size_t index)
{
    llmc_run_sample full;
    const struct sample *x;

    if (!out || !log)
        return llmc__fail(LLMC_EINVAL, "out or log is NULL");
    if (index >= log->nsample)
        return llmc__fail(LLMC_ERANGE,
                          "sample %zu of %zu; llmc_runlog_sample_count says "
                          "how many there are",
                          index, log->nsample);
    x = &log->sample[index];
    sample_view(&full, log, x);
    return llmc__versioned_copy(out, &full, sizeof full, SAMPLE_MIN,
                                "llmc_run_sample");
}

const char *llmc__ci_kind_name(unsigned kind)
{
    return kind < sizeof ci_kind_names / sizeof ci_kind_names[0]
               ? ci_kind_names[kind]
               : NULL;
}

unsigned llmc__ci_kind_of(const char *name)
{
    for (unsigned k = 1; name && k < sizeof ci_kind_names /
                                         sizeof ci_kind_names[0]; k++)
        if (strcmp(name, ci_kind_names[k]) == 0)
            return k;
    return LLMC__CI_UNKNOWN;
}

void llmc__runlog_facts(struct llmc__run_facts *out, const llmc_runlog *log)
{
    *out = (struct llmc__run_facts){
        .source = log->source, .nsource = log->nsource, .pue = log->pue,
        .npue = log->npue, .meter = log->meter, .nmeter = log->nmeter,
        .window = log->window, .nwindow = log->nwindow,
        .first_unix_s = log->have_t ? log->first_t : NAN,
        .last_unix_s = log->have_t ? log->last_t : NAN};
}


size_t llmc__runlog_fill_count(const llmc_runlog *log)
{
    return log->nfilled;
}

void llmc__runlog_fill(struct llmc__run_fill *out, const llmc_runlog *log,
                       size_t index)
{
    const struct span *f = &log->filled[index];
    *out = (struct llmc__run_fill){f->from_s, f->to_s, f->energy_j,
                                   f->gco2e_per_kwh, f->kgco2e};
}

/* ---- the report as JSON ------------------------------------------------- */

/* Sets key to v (a number, or null when not finite). */
static void set_num(int *ok, json_t *o, const char *key, double v)
{
    llmc__json_set(ok, o, key, isfinite(v) ? json_real(v) : json_null());
}

static json_t *text_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *rank_json(long long rank)
{
    return rank >= 0 ? json_integer(rank) : json_null();
}

/* What the samples of one phase counted, under the names of the run
 * report's phases. */
static json_t *phase_json(const struct phase *p, int *ok)
{
    json_t *o = json_object();
    double op = p->unmeasured || p->unpriced ? NAN : p->kgco2e;
    double emb = p->no_embodied ? NAN : p->embodied_kgco2e;
    if (!o) {
        *ok = 0;
        return NULL;
    }
    set_num(ok, o, "energy_j", p->unmeasured ? NAN : p->energy_j);
    set_num(ok, o, "operational_kgco2e", op);
    set_num(ok, o, "embodied_kgco2e", emb);
    set_num(ok, o, "total_kgco2e", total_of(op, emb));
    llmc__json_set(ok, o, "samples", json_integer(p->samples));
    return o;
}

static json_t *reweighted_json(const llmc_run_totals *f, int *ok)
{
    json_t *r = json_object();
    if (!r) {
        *ok = 0;
        return NULL;
    }
    llmc__json_set(ok, r, "grid", json_string(f->grid));
    set_num(ok, r, "operational_kgco2e", f->reweighted_kgco2e);
    set_num(ok, r, "intensity_gco2e_per_kwh",
            f->reweighted_intensity_gco2e_per_kwh);
    llmc__json_set(ok, r, "samples_without_intensity",
                   json_integer((json_int_t)f->reweight_failures));
    if (f->reweight_problem)
        llmc__json_set(ok, r, "problem", json_string(f->reweight_problem));
    return r;
}

static json_t *ranks_json(const llmc_runlog *s, int *ok)
{
    json_t *ranks = json_array();
    if (!ranks) {
        *ok = 0;
        return NULL;
    }
    for (size_t i = 0; i < s->nwho; i++) {
        const struct who *w = &s->who[i];
        json_t *r = json_object();
        if (!r) {
            *ok = 0;
            break;
        }
        llmc__json_set(ok, r, "host", json_string(w->host));
        llmc__json_set(ok, r, "rank", rank_json(w->rank));
        set_num(ok, r, "energy_j", w->unmeasured ? NAN : w->energy_j);
        set_num(ok, r, "operational_kgco2e",
                w->unmeasured || w->unpriced ? NAN : w->kgco2e);
        llmc__json_set(ok, r, "samples", json_integer((json_int_t)w->samples));
        llmc__json_append(ok, ranks, r);
    }
    return ranks;
}

static json_t *resumed_json(const llmc_runlog *s, int *ok)
{
    json_t *res = json_array();
    if (!res) {
        *ok = 0;
        return NULL;
    }
    for (size_t i = 0; i < s->nresumed; i++) {
        const struct resume *r = &s->resumed[i];
        const struct who *w = &s->who[r->who];
        json_t *x = json_object();
        if (!x) {
            *ok = 0;
            break;
        }
        llmc__json_set(ok, x, "host", json_string(w->host));
        llmc__json_set(ok, x, "rank", rank_json(w->rank));
        llmc__json_set(ok, x, "pid", json_integer(r->pid));
        set_num(ok, x, "from_unix_s", r->from_unix_s);
        set_num(ok, x, "checkpoint_written_unix_s", r->written_unix_s);
        set_num(ok, x, "energy_j", r->energy_j);
        llmc__json_append(ok, res, x);
    }
    return res;
}

/* The projection against the plan, shaped as the tracker's report's
 * (llmc_tracker_report_json): target_tokens null where the log records no
 * plan the run's projection can rest on, and the note says why. */
json_t *llmc__run_projection_json(const llmc_run_totals *f, int *ok)
{
    const double projected[3] = {f->projected_total_kgco2e,
                                 f->projected_low_kgco2e,
                                 f->projected_high_kgco2e};
    return llmc__projection_json(f->target_tokens, projected,
                                 f->plan_low_kgco2e, f->plan_high_kgco2e,
                                 f->projection_note, ok);
}

LLMC_API int llmc_runlog_report_json(char **out_json, const llmc_runlog *log)
{
    llmc_run_totals f;
    json_t *o, *phases;
    int ok = 1;

    if (!out_json || !log)
        return llmc__fail(LLMC_EINVAL, "out_json or log is NULL");
    *out_json = NULL;
    memset(&f, 0, sizeof f);
    whole_totals(&f, log);
    o = json_object();
    phases = json_object();
    if (!o || !phases) {
        json_decref(o);
        json_decref(phases);
        return llmc__fail(LLMC_ENOMEM, "out of memory building the report");
    }
    llmc__json_set(&ok, o, "logs", json_integer((json_int_t)f.logs));
    llmc__json_set(&ok, o, "samples", json_integer((json_int_t)f.samples));
    llmc__json_set(&ok, o, "unmeasured_samples",
                   json_integer((json_int_t)f.unmeasured_samples));
    set_num(&ok, o, "duration_s", f.duration_s);
    set_num(&ok, o, "energy_j", f.energy_j);
    set_num(&ok, o, "energy_kwh", f.energy_j / 3.6e6);
    llmc__json_set(&ok, o, "tokens", json_integer((json_int_t)f.tokens));
    set_num(&ok, o, "operational_kgco2e", f.operational_kgco2e);
    llmc__json_set(&ok, o, "energy_unknown_reason",
                   text_or_null(f.energy_unknown_reason));
    llmc__json_set(&ok, o, "operational_unknown_reason",
                   text_or_null(f.operational_unknown_reason));
    /* embodied carbon not counted is unknown (null), not 0; the total is
     * then the operational figure, and embodied_included says so */
    set_num(&ok, o, "embodied_kgco2e", f.embodied_kgco2e);
    llmc__json_set(&ok, o, "embodied_included",
                   json_boolean(!f.embodied_note));
    llmc__json_set(&ok, o, "embodied_note", text_or_null(f.embodied_note));
    set_num(&ok, o, "total_kgco2e", f.total_kgco2e);
    set_num(&ok, o, "unpriced_energy_j", f.unpriced_energy_j);
    set_num(&ok, o, "unpriced_energy_kwh", f.unpriced_energy_j / 3.6e6);
    llmc__json_set(&ok, o, "unpriced_samples",
                   json_integer((json_int_t)f.unpriced_samples));
    set_num(&ok, o, "filled_energy_j", f.filled_energy_j);
    set_num(&ok, o, "filled_energy_kwh", f.filled_energy_j / 3.6e6);
    set_num(&ok, o, "filled_operational_kgco2e", f.filled_operational_kgco2e);
    llmc__json_set(&ok, o, "fill_lines",
                   json_integer((json_int_t)f.fill_lines));
    llmc__json_set(&ok, o, "duplicate_lines_dropped",
                   json_integer((json_int_t)f.duplicate_lines));
    llmc__json_set(&ok, o, "torn_lines_skipped",
                   json_integer((json_int_t)f.torn_lines));
    if (f.grid)
        llmc__json_set(&ok, o, "reweighted", reweighted_json(&f, &ok));
    llmc__json_set(&ok, o, "ranks", ranks_json(log, &ok));
    llmc__json_set(&ok, o, "resumed", resumed_json(log, &ok));
    llmc__json_set(&ok, o, "projection", llmc__run_projection_json(&f, &ok));
    for (size_t i = 0; i < log->nphase; i++)
        llmc__json_set(&ok, phases, log->phase[i].name,
                       phase_json(&log->phase[i], &ok));
    llmc__json_set(&ok, o, "phases", phases);
    if (ok)
        *out_json = llmc__json_text(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                           JSON_REAL_PRECISION(15));
    json_decref(o);
    return *out_json ? LLMC_OK
                     : llmc__fail(LLMC_ENOMEM,
                                  "out of memory building the report; the "
                                  "log is kept, ask again");
}
