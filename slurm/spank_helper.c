/*
 * spank_helper.c - llmcarbon-spank-helper: the tracker of one job step on
 * one node, started by llmcarbon_spank.so as the job's user.
 *
 *   llmcarbon-spank-helper --config SITE --user-config USER --log FILE
 *       --totals FILE --runtime-dir DIR --job-dir DIR [--summary yes]
 *
 * It opens the meters and starts sampling (the device locks taken in
 * DIR), says "ok ..." or "error: ..." in one line on fd 3, runs until
 * standard input reaches its end (the plugin closes it when the step's
 * last task has exited), then stops, writes the step's totals (the
 * tracker's report) and, with --summary yes, the job summary over every
 * log of the job directory (summary.json, through llmc_runlog_read), and
 * says how it ended on fd 3. Only the public API of llmcarbon.h is used.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "llmcarbon.h"

/* lib/core/redact.c, built in: credentials out of every line said */
void llmc__redact(char *text, size_t size);

static void say(const char *fmt, const char *a, const char *b)
{
    char line[1024];
    int n = snprintf(line, sizeof line, fmt, a, b ? b : "");
    if (n < 0)
        return;
    llmc__redact(line, sizeof line - 1);
    n = (int)strlen(line);
    if ((size_t)n >= sizeof line - 1)
        n = (int)sizeof line - 2;
    /* one line: newlines inside a message become spaces */
    for (int i = 0; i < n; i++)
        if (line[i] == '\n')
            line[i] = ' ';
    line[n++] = '\n';
    if (write(3, line, (size_t)n) < 0) {
        /* the plugin is gone; the stderr file still has it */
    }
    fprintf(stderr, "llmcarbon-spank-helper: %.*s", n, line);
}

/* text written to path through a temporary file and a rename. */
static int write_file(const char *path, const char *text)
{
    char tmp[PATH_MAX];
    FILE *f;
    int ok;
    if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid()) >=
        (int)sizeof tmp)
        return -1;
    if (!(f = fopen(tmp, "w")))
        return -1;
    ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of dir whose names end in suffix, sorted; the count. */
static size_t list_dir(char **paths, size_t max, const char *dir,
                       const char *suffix)
{
    size_t n = 0, slen = strlen(suffix);
    char path[PATH_MAX];
    struct dirent *e;
    DIR *d = opendir(dir);

    if (!d)
        return 0;
    while ((e = readdir(d)) && n < max) {
        size_t len = strlen(e->d_name);
        if (len <= slen || strcmp(e->d_name + len - slen, suffix) != 0)
            continue;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >=
                (int)sizeof path ||
            !(paths[n] = strdup(path)))
            continue;
        n++;
    }
    closedir(d);
    qsort(paths, n, sizeof paths[0], by_name);
    return n;
}

/* The steps' totals files of the job directory, node by node and step by
 * step: {host, step, energy_j, duration_s, total_kgco2e, measured}. */
static json_t *steps_of(const char *job_dir)
{
    char *paths[1024];
    size_t n = list_dir(paths, sizeof paths / sizeof paths[0], job_dir,
                        ".totals.json");
    json_t *steps = json_array();

    for (size_t i = 0; i < n; i++) {
        json_t *t = json_load_file(paths[i], 0, NULL), *o;
        const char *base = strrchr(paths[i], '/') + 1;
        const char *mark = strstr(base, ".step-");
        if (t && steps && mark && (o = json_object())) {
            size_t slen = strlen(mark + 6) - strlen(".totals.json");
            json_object_set_new(o, "host",
                                json_stringn(base, (size_t)(mark - base)));
            json_object_set_new(o, "step", json_stringn(mark + 6, slen));
            json_object_set(o, "energy_j", json_object_get(t, "energy_j"));
            json_object_set(o, "duration_s",
                            json_object_get(t, "duration_s"));
            json_object_set(o, "total_kgco2e",
                            json_object_get(t, "total_kgco2e"));
            json_object_set(o, "measured", json_object_get(t, "measured"));
            json_object_set_new(o, "totals", json_string(base));
            json_array_append_new(steps, o);
        }
        json_decref(t);
        free(paths[i]);
    }
    return steps;
}

/* The job summary: every *.jsonl of the job directory read as one run
 * (llmc_runlog_read), with a "slurm" part: the job, the grid and PUE this
 * step used, and each step on each node; written to summary.json.
 * Returns an LLMC_* status. */
static int write_summary(const char *job_dir, const char *step_report)
{
    char *paths[1024];
    size_t n = list_dir(paths, sizeof paths / sizeof paths[0], job_dir,
                        ".jsonl");
    char path[PATH_MAX], *json = NULL, *text = NULL;
    llmc_runlog *log = NULL;
    json_t *sum = NULL, *step = NULL, *slurm;
    const char *job = getenv("SLURM_JOB_ID");
    int rc;

    if (n == 0)
        return LLMC_ENODATA;
    rc = llmc_runlog_read(&log, (const char *const *)paths, n, NULL, 0);
    if (rc == LLMC_OK)
        rc = llmc_runlog_report_json(&json, log);
    if (rc == LLMC_OK && (!(sum = json_loads(json, 0, NULL)) ||
                          !(step = json_loads(step_report, 0, NULL)) ||
                          !(slurm = json_object())))
        rc = LLMC_ENOMEM;
    if (rc == LLMC_OK) {
        json_t *grid = json_object_get(step, "grid");
        json_object_set_new(slurm, "job_id", json_string(job ? job : ""));
        json_object_set_new(slurm, "job_dir", json_string(job_dir));
        json_object_set(slurm, "grid", json_object_get(grid, "spec"));
        json_object_set(slurm, "pue", json_object_get(step, "pue"));
        json_object_set_new(slurm, "steps", steps_of(job_dir));
        json_object_set_new(sum, "slurm", slurm);
        if (!(text = json_dumps(sum, JSON_INDENT(2) | JSON_PRESERVE_ORDER)))
            rc = LLMC_ENOMEM;
    }
    if (rc == LLMC_OK) {
        snprintf(path, sizeof path, "%s/summary.json", job_dir);
        if (write_file(path, text) != 0)
            rc = LLMC_EIO;
    }
    free(text);
    json_decref(sum);
    json_decref(step);
    llmc_free(json);
    llmc_runlog_free(log);
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    return rc;
}

int main(int argc, char **argv)
{
    const char *config = "", *user_config = "", *log = NULL, *totals = NULL;
    const char *runtime_dir = NULL, *job_dir = NULL, *detail = NULL;
    llmc_tracker *t = NULL;
    llmc_totals tot;
    char *report = NULL, buf[256], figures[256];
    int rc, summary = 0;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--config") == 0)
            config = argv[i + 1];
        else if (strcmp(argv[i], "--user-config") == 0)
            user_config = argv[i + 1];
        else if (strcmp(argv[i], "--log") == 0)
            log = argv[i + 1];
        else if (strcmp(argv[i], "--totals") == 0)
            totals = argv[i + 1];
        else if (strcmp(argv[i], "--runtime-dir") == 0)
            runtime_dir = argv[i + 1];
        else if (strcmp(argv[i], "--job-dir") == 0)
            job_dir = argv[i + 1];
        else if (strcmp(argv[i], "--summary") == 0)
            summary = strcmp(argv[i + 1], "yes") == 0;
    }
    if (!log || !totals || !runtime_dir || !job_dir) {
        say("error: %s%s", "llmcarbon-spank-helper is started by "
            "llmcarbon_spank.so, with --log, --totals, --runtime-dir and "
            "--job-dir", NULL);
        return 2;
    }
    if ((rc = llmc_tracker_new(&t)) != LLMC_OK ||
        (rc = llmc_tracker_configure(t, config)) != LLMC_OK) {
        say("error: site options (plugstack.conf): %s%s", llmc_last_error(),
            NULL);
        llmc_tracker_free(t);
        return 1;
    }
    if (*user_config && (rc = llmc_tracker_configure(t, user_config)) !=
                            LLMC_OK) {
        say("error: --llmcarbon=%s: %s", user_config, llmc_last_error());
        llmc_tracker_free(t);
        return 1;
    }
    /* set last: where the plugin reads them, whatever the configs said */
    if ((rc = llmc_tracker_set(t, "log", log)) != LLMC_OK ||
        (rc = llmc_tracker_set(t, "runtime_dir", runtime_dir)) != LLMC_OK ||
        (rc = llmc_tracker_start(t)) != LLMC_OK) {
        say("error: the tracker does not start: %s%s", llmc_last_error(),
            NULL);
        llmc_tracker_free(t);
        return 1;
    }
    if (llmc_tracker_status(&detail, t) != LLMC_OK) {
        say("error: no meter reads here, so this step is not measured: %s%s",
            detail ? detail : "", NULL);
        llmc_tracker_free(t);
        return 1;
    }
    say("ok measuring, log %s%s", log, NULL);

    /* until the plugin closes our standard input */
    for (;;) {
        ssize_t r = read(0, buf, sizeof buf);
        if (r == 0 || (r < 0 && errno != EINTR))
            break;
    }
    llmc_tracker_stop(t);
    llmc_totals_init(&tot, sizeof tot);
    llmc_tracker_totals(&tot, t, NULL);
    rc = llmc_tracker_report_json(&report, t);
    if (rc == LLMC_OK && write_file(totals, report) != 0)
        rc = LLMC_EIO;
    llmc_tracker_free(t);
    if (rc != LLMC_OK) {
        say("error: cannot write the step's totals to %s: %s", totals,
            llmc_strerror(rc));
        llmc_free(report);
        return 1;
    }
    rc = summary ? write_summary(job_dir, report) : LLMC_OK;
    llmc_free(report);
    if (rc != LLMC_OK) {
        say("error: the job summary in %s is not written: %s", job_dir,
            rc == LLMC_ENOMEM || rc == LLMC_EIO ? llmc_strerror(rc)
                                                : llmc_last_error());
        return 1;
    }
    snprintf(figures, sizeof figures, "%.1f J in %.3f s, %.6g kg CO2e%s%s%s",
             tot.energy_j, tot.duration_s, tot.total_kgco2e,
             summary ? " (summary " : "", summary ? job_dir : "",
             summary ? "/summary.json)" : "");
    say("ok %s%s", figures, NULL);
    return 0;
}
