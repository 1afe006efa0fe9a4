/*
 * simple.c - meters that read no hardware: a constant power, a model
 * (TDP x utilisation, from a profile), and the replay of a recorded power
 * trace. Each is labelled as what it is: const or model, never a reading.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "backend.h"

/* ---- const:POWER ------------------------------------------------------ */

struct const_state {
    double power_w;
    int64_t last_ns;
};

static int const_read(struct llmc__channel *ch, int64_t now_ns)
{
    struct const_state *s = ch->state;
    double dt = s->last_ns ? (double)(now_ns - s->last_ns) / 1e9 : 0.0;
    llmc__channel_add(ch, s->power_w * dt, dt);
    ch->power_w = s->power_w;
    s->last_ns = now_ns;
    return LLMC_OK;
}

static void free_state(struct llmc__channel *ch)
{
    free(ch->state);
    ch->state = NULL;
}

static const struct llmc__channel_ops const_ops = {const_read, free_state};

static int add_constant(struct llmc_meter *m, double power_w, const char *name,
                        llmc_method method, const char *note)
{
    struct const_state *s = calloc(1, sizeof *s);
    struct llmc__channel *ch;
    char device[64];
    if (!s)
        return llmc__fail(LLMC_ENOMEM, "out of memory for a meter");
    s->power_w = power_w;
    snprintf(device, sizeof device, "%.6g W", power_w);
    if (!(ch = llmc__meter_add(m, &const_ops, s, name, device, "", method))) {
        free(s);
        return llmc__fail(LLMC_ENOMEM, "out of memory for a meter");
    }
    snprintf(ch->detail, sizeof ch->detail, "%s", note);
    if (method == LLMC_METHOD_MODEL)
        ch->quality |= LLMC_QUALITY_ESTIMATED;
    return LLMC_OK;
}

int llmc__const_open(struct llmc_meter *m, const char *args)
{
    double w;
    int rc;
    if (!args)
        return llmc__fail(LLMC_EPARSE,
                          "const needs a power, e.g. 'const:300W'");
    if ((rc = llmc_quantity_parse(&w, LLMC_DIM_POWER, args, "W")) != LLMC_OK)
        return rc;
    return add_constant(m, w, "const", LLMC_METHOD_CONST,
                        "a constant power given by the user");
}

/* ---- model:PROFILE[@U] ------------------------------------------------ */

struct cpu_model_state {
    double tdp_w;
    unsigned long long busy, total; /* /proc/stat jiffies at the last read */
    int64_t last_ns;
    char stat_path[512];
};

/* The aggregate "cpu" line of /proc/stat: busy and total jiffies.
 * LLMC_OK; LLMC_EIO when the file cannot be read; LLMC_EFORMAT when it
 * does not start with that line (line then holds what it starts with). */
static int read_proc_stat(const char *path, unsigned long long *busy,
                          unsigned long long *total, char *line,
                          size_t line_size)
{
    unsigned long long v[8] = {0};
    FILE *f = fopen(path, "r");
    int n;
    line[0] = '\0';
    if (!f)
        return LLMC_EIO;
    if (!fgets(line, (int)line_size, f)) {
        int e = ferror(f) ? errno : 0;
        fclose(f);
        line[0] = '\0';
        return e ? LLMC_EIO : LLMC_EFORMAT; /* an empty file */
    }
    fclose(f);
    line[strcspn(line, "\n")] = '\0';
    /* user nice system idle iowait irq softirq steal */
    n = sscanf(line, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
               &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
    if (n < 4)
        return LLMC_EFORMAT;
    *total = 0;
    for (int i = 0; i < 8; i++)
        *total += v[i];
    *busy = *total - v[3] - v[4];
    return LLMC_OK;
}

static int cpu_model_read(struct llmc__channel *ch, int64_t now_ns)
{
    struct cpu_model_state *s = ch->state;
    unsigned long long busy, total;
    double dt, u;
    char line[512];
    int rc = read_proc_stat(s->stat_path, &busy, &total, line, sizeof line);

    if (rc == LLMC_EFORMAT)
        return llmc__channel_fail(ch, LLMC_EFORMAT,
                                  "%s does not start with a \"cpu\" line of "
                                  "at least 4 numbers: '%.80s'; set "
                                  "LLMC_PROCFS_ROOT to a procfs, or give "
                                  "model:PROFILE@U",
                                  s->stat_path, line);
    if (rc != LLMC_OK)
        return llmc__channel_fail(ch, LLMC_EIO,
                                  "cannot read CPU utilisation from %s; set "
                                  "LLMC_PROCFS_ROOT, or give model:PROFILE@U",
                                  s->stat_path);
    if (!s->last_ns) {
        llmc__channel_add(ch, 0.0, 0.0);
    } else {
        dt = (double)(now_ns - s->last_ns) / 1e9;
        u = total > s->total ? (double)(busy - s->busy) / (double)(total - s->total)
                             : 0.0;
        if (u < 0.0)
            u = 0.0;
        if (u > 1.0)
            u = 1.0;
        llmc__channel_add(ch, s->tdp_w * u * dt, dt);
        snprintf(ch->detail, sizeof ch->detail,
                 "model: TDP %.6g W x CPU utilisation %.3f from %.200s (linear)",
                 s->tdp_w, u, s->stat_path);
    }
    s->busy = busy;
    s->total = total;
    s->last_ns = now_ns;
    return LLMC_OK;
}

static const struct llmc__channel_ops cpu_model_ops = {cpu_model_read,
                                                       free_state};

int llmc__model_open(struct llmc_meter *m, const char *args)
{
    char name[256], note[320], chname[64];
    const char *at;
    llmc_profile *p;
    double tdp, u = NAN;
    int rc, is_cpu;

    if (!args)
        return llmc__fail(LLMC_EPARSE,
                          "model needs a hardware profile, e.g. "
                          "'model:H100-SXM@0.8'");
    at = strrchr(args, '@');
    snprintf(name, sizeof name, "%.*s", at ? (int)(at - args) : (int)strlen(args),
             args);
    if (at) {
        char *end;
        errno = 0;
        u = strtod(at + 1, &end);
        if (end == at + 1 || *end || errno || !isfinite(u) || u < 0.0 || u > 1.0)
            return llmc__fail(LLMC_ERANGE,
                              "utilisation '%s' in '%s' is not a fraction "
                              "from 0 to 1",
                              at + 1, args);
    }
    if ((rc = llmc_profile_lookup(&p, name)) != LLMC_OK)
        return rc;
    if (llmc_profile_get(&tdp, p, LLMC_PROFILE_TDP_W) != LLMC_OK) {
        rc = llmc__fail(LLMC_ENODATA,
                        "'%s' has no TDP in the catalogue, so it cannot be "
                        "modelled; use const:POWER instead",
                        llmc_profile_get_text(p, LLMC_PROFILE_NAME));
        llmc_profile_free(p);
        return rc;
    }
    is_cpu = strcmp(llmc_profile_get_text(p, LLMC_PROFILE_KIND), "cpu") == 0;
    snprintf(chname, sizeof chname, "model:%.50s",
             llmc_profile_get_text(p, LLMC_PROFILE_NAME));

    if (isnan(u) && is_cpu) {
        struct cpu_model_state *s = calloc(1, sizeof *s);
        struct llmc__channel *ch;
        if (!s) {
            llmc_profile_free(p);
            return llmc__fail(LLMC_ENOMEM, "out of memory for a meter");
        }
        s->tdp_w = tdp;
        snprintf(s->stat_path, sizeof s->stat_path, "%s/stat",
                 llmc__procfs_root());
        ch = llmc__meter_add(m, &cpu_model_ops, s, chname,
                             llmc_profile_get_text(p, LLMC_PROFILE_NAME), "",
                             LLMC_METHOD_MODEL);
        llmc_profile_free(p);
        if (!ch) {
            free(s);
            return llmc__fail(LLMC_ENOMEM, "out of memory for a meter");
        }
        snprintf(ch->detail, sizeof ch->detail,
                 "model: TDP %.6g W x CPU utilisation from %.200s (linear)", tdp,
                 s->stat_path);
        ch->quality |= LLMC_QUALITY_ESTIMATED;
        return LLMC_OK;
    }
    if (isnan(u)) {
        u = 1.0;
        snprintf(note, sizeof note,
                 "model: TDP %.6g W of '%s' x utilisation 1.0 (not given: "
                 "assumed, an upper bound; write model:PROFILE@U)",
                 tdp, llmc_profile_get_text(p, LLMC_PROFILE_NAME));
    } else {
        snprintf(note, sizeof note,
                 "model: TDP %.6g W of '%s' x utilisation %.3g (given)", tdp,
                 llmc_profile_get_text(p, LLMC_PROFILE_NAME), u);
    }
    llmc_profile_free(p);
    return add_constant(m, tdp * u, chname, LLMC_METHOD_MODEL, note);
}

/* ---- replay:FILE ------------------------------------------------------ */

struct replay_state {
    size_t n;
    double *t_s, *p_w;   /* rows: power p_w[i] holds from t_s[i] to t_s[i+1] */
    double *e_j;         /* energy from t_s[0] to t_s[i] */
    int64_t start_ns;
    double last_e;
};

/* Energy of the trace from its start to t seconds after it. */
static double replay_energy(const struct replay_state *s, double t)
{
    size_t lo = 0, hi = s->n;
    if (t <= s->t_s[0])
        return 0.0;
    if (t >= s->t_s[s->n - 1])
        return s->e_j[s->n - 1];
    while (hi - lo > 1) { /* last row with t_s <= t */
        size_t mid = (lo + hi) / 2;
        if (s->t_s[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return s->e_j[lo] + s->p_w[lo] * (t - s->t_s[lo]);
}

static int replay_read(struct llmc__channel *ch, int64_t now_ns)
{
    struct replay_state *s = ch->state;
    double t, e;
    if (!s->start_ns) {
        s->start_ns = now_ns;
        llmc__channel_add(ch, 0.0, 0.0);
        return LLMC_OK;
    }
    t = (double)(now_ns - s->start_ns) / 1e9;
    e = replay_energy(s, t);
    llmc__channel_add(ch, e - s->last_e, 0.0);
    s->last_e = e;
    ch->power_w = t >= s->t_s[s->n - 1] ? 0.0 : NAN;
    /* time the trace does not cover is unknown, not 0 W: a gap, said
     * in the status and the detail, so 0 J is never silently a result */
    if (s->t_s[0] > 0.0)
        ch->quality |= LLMC_QUALITY_GAP; /* the run's first t_s[0] s */
    if (t < s->t_s[0])
        llmc__channel_fail(ch, LLMC_ENODATA,
                           "the trace starts at %.6g s, and the run is at "
                           "%.6g s: no power is recorded for it yet; times "
                           "in the trace count from the meter's open, so "
                           "start them at 0",
                           s->t_s[0], t);
    else if (t >= s->t_s[s->n - 1])
        llmc__channel_fail(ch, LLMC_ENODATA,
                           "the trace ended at %.6g s, and the run is at "
                           "%.6g s: no more energy is replayed, and the rest "
                           "of the run has no recorded power",
                           s->t_s[s->n - 1], t);
    return LLMC_OK;
}

static void replay_close(struct llmc__channel *ch)
{
    struct replay_state *s = ch->state;
    if (s) {
        free(s->t_s);
        free(s->p_w);
        free(s->e_j);
        free(s);
    }
    ch->state = NULL;
}

static const struct llmc__channel_ops replay_ops = {replay_read, replay_close};

static int replay_parse(struct replay_state *s, FILE *f, const char *path)
{
    char line[256];
    size_t cap = 0, lineno = 0;

    while (fgets(line, sizeof line, f)) {
        char *p = line, *end;
        double t, w;
        lineno++;
        while (isspace((unsigned char)*p))
            p++;
        if (!*p || *p == '#' || (lineno == 1 && isalpha((unsigned char)*p)))
            continue; /* blank, comment, or the header "time_s,power_w" */
        errno = 0;
        t = strtod(p, &end);
        if (end == p || *end != ',')
            return llmc__fail(LLMC_EFORMAT,
                              "%s:%zu: expected 'time_s,power_w', got '%.40s'",
                              path, lineno, p);
        p = end + 1;
        w = strtod(p, &end);
        while (isspace((unsigned char)*end))
            end++;
        if (end == p || *end || errno)
            return llmc__fail(LLMC_EFORMAT,
                              "%s:%zu: the power is not a number of watts",
                              path, lineno);
        if (!isfinite(t) || !isfinite(w) || w < 0.0 || t < 0.0)
            return llmc__fail(LLMC_ERANGE,
                              "%s:%zu: time and power must be finite and not "
                              "negative",
                              path, lineno);
        if (s->n && t <= s->t_s[s->n - 1])
            return llmc__fail(LLMC_EFORMAT,
                              "%s:%zu: times must increase (%.6g after %.6g)",
                              path, lineno, t, s->t_s[s->n - 1]);
        if (s->n == cap) {
            size_t c = cap ? cap * 2 : 64;
            double *a = realloc(s->t_s, c * sizeof *a);
            if (a)
                s->t_s = a;
            double *b = realloc(s->p_w, c * sizeof *b);
            if (b)
                s->p_w = b;
            double *e = realloc(s->e_j, c * sizeof *e);
            if (e)
                s->e_j = e;
            if (!a || !b || !e)
                return llmc__fail(LLMC_ENOMEM, "out of memory reading %s",
                                  path);
            cap = c;
        }
        s->t_s[s->n] = t;
        s->p_w[s->n] = w;
        s->e_j[s->n] = s->n ? s->e_j[s->n - 1] +
                                  s->p_w[s->n - 1] * (t - s->t_s[s->n - 1])
                            : 0.0;
        s->n++;
    }
    if (s->n < 2)
        return llmc__fail(LLMC_EFORMAT,
                          "%s: a trace needs at least two rows "
                          "'time_s,power_w' (the last one ends it)",
                          path);
    return LLMC_OK;
}

int llmc__replay_open(struct llmc_meter *m, const char *args)
{
    struct replay_state *s;
    struct llmc__channel *ch;
    FILE *f;
    int rc;

    if (!args)
        return llmc__fail(LLMC_EPARSE,
                          "replay needs a trace file, e.g. 'replay:trace.csv'");
    if (!(f = fopen(args, "r"))) {
        int e = errno;
        return llmc__fail(e == ENOENT ? LLMC_ENOTFOUND
                          : e == EACCES ? LLMC_EPERM : LLMC_EIO,
                          "cannot open the trace '%s': %s", args, strerror(e));
    }
    if (!(s = calloc(1, sizeof *s))) {
        fclose(f);
        return llmc__fail(LLMC_ENOMEM, "out of memory for a meter");
    }
    rc = replay_parse(s, f, args);
    fclose(f);
    if (rc == LLMC_OK &&
        !(ch = llmc__meter_add(m, &replay_ops, s, "replay", args, "",
                               LLMC_METHOD_CONST)))
        rc = llmc__fail(LLMC_ENOMEM, "out of memory for a meter");
    if (rc != LLMC_OK) {
        free(s->t_s);
        free(s->p_w);
        free(s->e_j);
        free(s);
        return rc;
    }
    if (s->t_s[0] > 0.0)
        snprintf(ch->detail, sizeof ch->detail,
                 "a recorded trace of %zu rows over %.6g s, replayed from the "
                 "meter's start; it starts at %.6g s, so the run's first "
                 "%.6g s have no recorded power",
                 s->n, s->t_s[s->n - 1] - s->t_s[0], s->t_s[0], s->t_s[0]);
    else
        snprintf(ch->detail, sizeof ch->detail,
                 "a recorded trace of %zu rows over %.6g s, replayed from the "
                 "meter's start",
                 s->n, s->t_s[s->n - 1] - s->t_s[0]);
    return LLMC_OK;
}
