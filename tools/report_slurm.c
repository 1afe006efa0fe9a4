/*
 * report_slurm.c - the logs of a Slurm job measured by llmcarbon_spank.so,
 * for `llmcarbon report --slurm-job JOBID|DIR`: every *.jsonl of the job
 * directory (the plugin's per-node step logs, and those of trackers the
 * job ran there), in name order.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

#ifndef LLMC_SLURM_LOGDIR
#define LLMC_SLURM_LOGDIR "/var/log/llmcarbon/slurm"
#endif

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void report_slurm_free(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

int report_slurm_logs(char ***out, size_t *out_n, const char *job)
{
    const char *base = getenv("LLMC_SLURM_LOG_DIR");
    char dir[4096], path[4096 + 256];
    char **paths = NULL;
    size_t n = 0, cap = 0;
    struct stat st;
    struct dirent *e;
    DIR *d;

    *out = NULL;
    *out_n = 0;
    if (!base || !*base)
        base = LLMC_SLURM_LOGDIR;
    /* a job id names a directory under the log directory; anything else
     * is the directory itself */
    if (job[0] && strspn(job, "0123456789") == strlen(job) &&
        !(stat(job, &st) == 0 && S_ISDIR(st.st_mode))) {
        if (snprintf(dir, sizeof dir, "%s/%s", base, job) >= (int)sizeof dir)
            return cli_usage("report", "--slurm-job: the path is too long");
    } else if (snprintf(dir, sizeof dir, "%s", job) >= (int)sizeof dir) {
        return cli_usage("report", "--slurm-job: the path is too long");
    }
    if (!(d = opendir(dir))) {
        fprintf(stderr, "llmcarbon report: --slurm-job %s: cannot open the "
                "job directory '%s': %s; give the directory, or set "
                "LLMC_SLURM_LOG_DIR to the plugin's logdir\n", job, dir,
                strerror(errno));
        return CLI_FAILED;
    }
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 7 || strcmp(e->d_name + len - 6, ".jsonl") != 0)
            continue;
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 16;
            char **p = realloc(paths, ncap * sizeof *p);
            if (!p)
                goto nomem;
            paths = p;
            cap = ncap;
        }
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (!(paths[n] = strdup(path)))
            goto nomem;
        n++;
    }
    closedir(d);
    if (n == 0) {
        fprintf(stderr, "llmcarbon report: --slurm-job %s: no log (*.jsonl) "
                "in '%s'; was the job run with --llmcarbon?\n", job, dir);
        free(paths);
        return CLI_FAILED;
    }
    qsort(paths, n, sizeof *paths, by_name);
    *out = paths;
    *out_n = n;
    return CLI_OK;
nomem:
    closedir(d);
    report_slurm_free(paths, n);
    fprintf(stderr, "llmcarbon report: out of memory; nothing was "
                    "reported\n");
    return CLI_FAILED;
}
