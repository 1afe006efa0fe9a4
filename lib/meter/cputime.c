/*
 * cputime.c - cputime[:CPU]: the energy of this process and its children
 * estimated from the CPU time they use, at a per-core share of the CPU's
 * TDP. It is the estimate a tracker falls back to when no meter can read
 * (fallback=cputime), and a meter anyone may name. It reads no hardware
 * and is labelled so: method model, quality "estimated".
 *
 * The model: a CPU-second costs TDP / cores joules, the TDP and the number
 * of physical cores per package being those of the CPU named in
 * /proc/cpuinfo (or given). A process's share is its CPU time, never the
 * machine's utilisation times a whole socket: a process that keeps one core
 * busy on a 56-core package is charged 1/56 of the TDP. Two hardware
 * threads of one core each count their time, so the power is capped at the
 * TDP of every package together. A CPU the catalogue does not know is
 * charged 12 W per core, the value Green Algorithms gives for any CPU
 * (GreenAlgorithms/green-algorithms-tool data/latest/TDP_cpu.csv, "Any";
 * Lannelongue et al., Adv. Sci. 2021, 2100707).
 *
 * "This process and its children": the process that opened the meter and
 * every live process below it (a data-loader worker, the command of
 * `llmcarbon run`), read from procfs each sample, plus what its finished
 * children used (cutime and cstime). A child that outlives its parent and
 * is re-parented leaves the tree; its time then stops counting, and the
 * interval in which that shows counts nothing rather than less than
 * nothing.
 */
#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "../core/internal.h"
#include "backend.h"

#define DEFAULT_W_PER_CORE 12.0

struct cputime_state {
    pid_t root;
    double w_per_core;
    double cap_w;            /* every package at its TDP */
    double ticks_per_s;
    unsigned long long last_ticks;
    int64_t last_ns;
    int have_last;
};

struct proc_row {
    pid_t pid, ppid;
    unsigned long long ticks; /* utime + stime + cutime + cstime */
};

/* One /proc/PID/stat: the fields after the command name, which may hold
 * spaces and parentheses (it ends at the last ')'). LLMC_OK, LLMC_EIO
 * (gone, or unreadable), or LLMC_EFORMAT. */
static int read_stat(const char *path, struct proc_row *row)
{
    char buf[1024];
    const char *p;
    long long ppid;
    unsigned long long ut, st;
    long long cut, cst;
    size_t n;
    FILE *f = fopen(path, "re");
    if (!f)
        return LLMC_EIO;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (!(p = strrchr(buf, ')')))
        return LLMC_EFORMAT;
    /* state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
     * cmajflt utime stime cutime cstime (proc(5)) */
    if (sscanf(p + 1, " %*c %lld %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
               "%lld %lld", &ppid, &ut, &st, &cut, &cst) != 5)
        return LLMC_EFORMAT;
    row->ppid = (pid_t)ppid;
    row->ticks = ut + st + (cut > 0 ? (unsigned long long)cut : 0) +
                 (cst > 0 ? (unsigned long long)cst : 0);
    return LLMC_OK;
}

static int by_pid(const void *a, const void *b)
{
    pid_t x = ((const struct proc_row *)a)->pid;
    pid_t y = ((const struct proc_row *)b)->pid;
    return x < y ? -1 : x > y;
}

static int pid_matches(const void *key, const void *row)
{
    pid_t x = *(const pid_t *)key, y = ((const struct proc_row *)row)->pid;
    return x < y ? -1 : x > y;
}

/* The CPU ticks of root and every live process below it: LLMC_OK;
 * LLMC_EIO when procfs cannot be listed, LLMC_ENOTFOUND when root itself
 * cannot be read, LLMC_ENOMEM (a part of the tree would go uncounted). */
static int tree_ticks(pid_t root, unsigned long long *out)
{
    char path[600];
    struct proc_row *rows = NULL, *grown;
    unsigned char *in = NULL;
    size_t n = 0, cap = 0;
    int found = 0, changed;
    struct dirent *de;
    DIR *d = opendir(llmc__procfs_root());

    if (!d)
        return LLMC_EIO;
    while ((de = readdir(d)) != NULL) {
        struct proc_row row;
        char *end;
        long v = strtol(de->d_name, &end, 10);
        if (*end || v <= 0 || !isdigit((unsigned char)de->d_name[0]))
            continue;
        snprintf(path, sizeof path, "%s/%s/stat", llmc__procfs_root(),
                 de->d_name);
        if (read_stat(path, &row) != LLMC_OK)
            continue; /* gone since the listing */
        row.pid = (pid_t)v;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            if (!(grown = realloc(rows, cap * sizeof *rows))) {
                closedir(d);
                free(rows);
                return LLMC_ENOMEM;
            }
            rows = grown;
        }
        rows[n++] = row;
    }
    closedir(d);
    if (n && !(in = calloc(n, 1))) {
        free(rows);
        return LLMC_ENOMEM;
    }
    /* by pid, so that a parent is found in log n: a node may run
     * thousands of processes, and this runs at every sample */
    if (n > 1) /* and rows is NULL when the listing found none */
        qsort(rows, n, sizeof *rows, by_pid);
    for (size_t i = 0; i < n; i++)
        if (rows[i].pid == root)
            in[i] = 1, found = 1;
    /* a pass per generation: trees of training jobs are a few deep */
    do {
        changed = 0;
        for (size_t i = 0; i < n; i++) {
            const struct proc_row *parent;
            if (in[i])
                continue;
            parent = bsearch(&rows[i].ppid, rows, n, sizeof *rows,
                             pid_matches);
            if (parent && in[parent - rows]) {
                in[i] = 1;
                changed = 1;
            }
        }
    } while (changed);
    *out = 0;
    for (size_t i = 0; i < n; i++)
        if (in[i])
            *out += rows[i].ticks;
    free(in);
    free(rows);
    return found ? LLMC_OK : LLMC_ENOTFOUND;
}

static int cputime_read(struct llmc__channel *ch, int64_t now_ns)
{
    struct cputime_state *s = ch->state;
    unsigned long long ticks;
    double dt_s, cpu_s, e_j;
    int rc = tree_ticks(s->root, &ticks);

    if (rc == LLMC_ENOMEM)
        return llmc__channel_fail(ch, LLMC_ENOMEM,
                                  "out of memory listing the processes of "
                                  "%s",
                                  llmc__procfs_root());
    if (rc != LLMC_OK)
        return llmc__channel_fail(ch, LLMC_EIO,
                                  "cannot read the CPU time of process %ld "
                                  "from %s/%ld/stat; is procfs mounted?",
                                  (long)s->root, llmc__procfs_root(),
                                  (long)s->root);
    if (!s->have_last) {
        llmc__channel_add(ch, 0.0, 0.0);
    } else {
        dt_s = (double)(now_ns - s->last_ns) / 1e9;
        /* a child re-parented away takes its time with it: nothing, not
         * a negative amount, for this interval */
        cpu_s = ticks > s->last_ticks
                    ? (double)(ticks - s->last_ticks) / s->ticks_per_s
                    : 0.0;
        e_j = cpu_s * s->w_per_core;
        if (dt_s > 0 && e_j > s->cap_w * dt_s)
            e_j = s->cap_w * dt_s;
        llmc__channel_add(ch, e_j, dt_s);
    }
    s->last_ticks = ticks;
    s->last_ns = now_ns;
    s->have_last = 1;
    return LLMC_OK;
}

static void cputime_close(struct llmc__channel *ch)
{
    free(ch->state);
    ch->state = NULL;
}

static const struct llmc__channel_ops cputime_ops = {cputime_read,
                                                     cputime_close};

/* What /proc/cpuinfo says of the CPU: the first "model name", physical
 * cores per package ("cpu cores"), and packages (distinct "physical id"). */
struct cpuinfo {
    char model[200];
    int cores_per_package;
    int packages;
};

static void read_cpuinfo(struct cpuinfo *ci)
{
    char path[600], line[512];
    int ids[64], nids = 0;
    FILE *f;

    memset(ci, 0, sizeof *ci);
    ci->packages = 1; /* also when there is no cpuinfo to read */
    snprintf(path, sizeof path, "%s/cpuinfo", llmc__procfs_root());
    if (!(f = fopen(path, "re")))
        return;
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':'), *v;
        size_t klen;
        if (!colon)
            continue;
        klen = (size_t)(colon - line);
        while (klen && isspace((unsigned char)line[klen - 1]))
            klen--;
        v = colon + 1;
        while (isspace((unsigned char)*v))
            v++;
        v[strcspn(v, "\n")] = '\0';
        if (klen == 10 && strncmp(line, "model name", 10) == 0 && !ci->model[0])
            snprintf(ci->model, sizeof ci->model, "%s", v);
        else if (klen == 9 && strncmp(line, "cpu cores", 9) == 0 &&
                 !ci->cores_per_package)
            ci->cores_per_package = atoi(v);
        else if (klen == 11 && strncmp(line, "physical id", 11) == 0) {
            int id = atoi(v), seen = 0;
            for (int i = 0; i < nids; i++)
                seen |= ids[i] == id;
            if (!seen && nids < 64)
                ids[nids++] = id;
        }
    }
    fclose(f);
    ci->packages = nids > 0 ? nids : 1;
}

/* "Intel(R) Xeon(R) Platinum 8480+" -> "Intel Xeon Platinum 8480+";
 * "AMD EPYC 7763 64-Core Processor" -> "AMD EPYC 7763": the marks and
 * tails /proc/cpuinfo adds to the names the catalogue uses. */
static void catalogue_name(char *out, size_t size, const char *model)
{
    static const char *const marks[] = {"(R)", "(r)", "(TM)", "(tm)"};
    char buf[200], *p;
    size_t n;

    snprintf(buf, sizeof buf, "%s", model);
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
        while ((p = strstr(buf, marks[i])) != NULL)
            memmove(p, p + strlen(marks[i]), strlen(p + strlen(marks[i])) + 1);
    if ((p = strstr(buf, " @")) != NULL) /* "CPU @ 2.00GHz" */
        *p = '\0';
    if ((p = strstr(buf, "-Core Processor")) != NULL) {
        while (p > buf && isdigit((unsigned char)p[-1]))
            p--;
        *p = '\0';
    }
    if ((p = strstr(buf, " Processor")) != NULL)
        *p = '\0';
    n = strlen(buf);
    while (n && (isspace((unsigned char)buf[n - 1])))
        buf[--n] = '\0';
    if (n >= 4 && strcmp(buf + n - 4, " CPU") == 0)
        buf[n - 4] = '\0';
    /* spaces collapse: the marks leave double ones */
    {
        size_t o = 0;
        for (size_t i = 0; buf[i] && o + 1 < size; i++)
            if (!(buf[i] == ' ' && (o == 0 || out[o - 1] == ' ')))
                out[o++] = buf[i];
        while (o && out[o - 1] == ' ')
            o--;
        out[o] = '\0';
    }
}

int llmc__cputime_open(struct llmc_meter *m, const char *args)
{
    struct cpuinfo ci;
    struct cputime_state *s;
    struct llmc__channel *ch;
    char device[160], how[200] = "", wanted[200];
    llmc_profile *p = NULL;
    double tdp_w = NAN;
    int cores, rc;

    read_cpuinfo(&ci);
    cores = ci.cores_per_package;
    if (cores <= 0) { /* no "cpu cores" line (e.g. on arm64) */
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        cores = online > 0 ? (int)(online / ci.packages) : 1;
        if (cores <= 0)
            cores = 1;
    }
    if (args) { /* the CPU named by the caller: it must be known */
        if ((rc = llmc_profile_lookup(&p, args)) != LLMC_OK)
            return rc;
        if (strcmp(llmc_profile_get_text(p, LLMC_PROFILE_KIND), "cpu") != 0 ||
            llmc_profile_get(&tdp_w, p, LLMC_PROFILE_TDP_W) != LLMC_OK) {
            rc = llmc__fail(LLMC_EINVAL,
                            "cputime:%s: '%s' is not a CPU with a TDP in the "
                            "catalogue; name one from `llmcarbon hw list`",
                            args, llmc_profile_get_text(p, LLMC_PROFILE_NAME));
            llmc_profile_free(p);
            return rc;
        }
        snprintf(how, sizeof how, "given");
    } else if (ci.model[0]) {
        catalogue_name(wanted, sizeof wanted, ci.model);
        if (llmc_profile_lookup(&p, wanted) == LLMC_OK &&
            (strcmp(llmc_profile_get_text(p, LLMC_PROFILE_KIND), "cpu") != 0 ||
             llmc_profile_get(&tdp_w, p, LLMC_PROFILE_TDP_W) != LLMC_OK)) {
            llmc_profile_free(p);
            p = NULL;
        }
        snprintf(how, sizeof how, "from %s/cpuinfo", llmc__procfs_root());
    }
    if (!(s = calloc(1, sizeof *s))) {
        llmc_profile_free(p);
        return llmc__fail(LLMC_ENOMEM, "out of memory for a meter");
    }
    s->root = getpid();
    s->ticks_per_s = (double)sysconf(_SC_CLK_TCK);
    if (!(s->ticks_per_s > 0))
        s->ticks_per_s = 100.0;
    if (p) {
        s->w_per_core = tdp_w / cores;
        s->cap_w = tdp_w * ci.packages;
        snprintf(device, sizeof device, "%s",
                 llmc_profile_get_text(p, LLMC_PROFILE_NAME));
    } else {
        s->w_per_core = DEFAULT_W_PER_CORE;
        s->cap_w = DEFAULT_W_PER_CORE * cores * ci.packages;
        snprintf(device, sizeof device, "%.150s",
                 ci.model[0] ? ci.model : "an unnamed CPU");
    }
    if (!(ch = llmc__meter_add(m, &cputime_ops, s, "model:cputime", device, "",
                               LLMC_METHOD_MODEL))) {
        free(s);
        llmc_profile_free(p);
        return llmc__fail(LLMC_ENOMEM, "out of memory for a meter");
    }
    ch->quality |= LLMC_QUALITY_ESTIMATED;
    if (p)
        snprintf(ch->detail, sizeof ch->detail,
                 "estimated, not measured: CPU time of process %ld and its "
                 "children x %.4g W per core (TDP %.6g W / %d cores of '%.60s', "
                 "%.60s; at most %.6g W)",
                 (long)s->root, s->w_per_core, tdp_w, cores, device, how,
                 s->cap_w);
    else
        snprintf(ch->detail, sizeof ch->detail,
                 "estimated, not measured: CPU time of process %ld and its "
                 "children x %.4g W per core, a default for a CPU the catalogue "
                 "does not know ('%.60s'); name the CPU: cputime:CPU, or "
                 "hardware=CPU for a tracker)",
                 (long)s->root, s->w_per_core, device);
    llmc_profile_free(p);
    return LLMC_OK;
}
