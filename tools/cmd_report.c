/*
 * cmd_report.c - `llmcarbon report LOG... [--grid SPEC] [--json]`: one job
 * report from the per-sample logs of its ranks, and, with --grid, the
 * operational CO2e weighted again by another grid source: the history a
 * provider published after the run, or another basis.
 *
 * The library reads the logs (llmc_runlog_read(3)); this file takes the
 * command line and prints what it read. A figure that is not fully known
 * is printed as unknown, with its reason, never as a partial sum.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "tables.h"

static const char help[] =
    "usage: llmcarbon report LOG... [--grid SPEC] [--pue X] [--json] "
    "[--html FILE]\n"
    "       llmcarbon report --slurm-job JOBID|DIR [--grid SPEC] [--pue X] "
    "[--json]\n"
    "       llmcarbon report --compare A.jsonl B.jsonl [--json]\n"
    "       llmcarbon report --compare A0.jsonl A1.jsonl... vs B0.jsonl... "
    "[--json]\n"
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
    "operational figure alone, and says so.\n"
    "\n"
    "--slurm-job reads every log of a job that llmcarbon_spank.so measured:\n"
    "JOBID under $LLMC_SLURM_LOG_DIR (default the plugin's logdir), or the\n"
    "job directory itself.\n"
    "\n"
    "--csv FILE appends the run's row to FILE (CSV: the columns of\n"
    "llmcarbon run --csv, a header when FILE is new); --csv-samples FILE\n"
    "writes one row per sample line, with a power column per device.\n"
    "--compare puts two runs side by side (A, then B after 'vs', or two\n"
    "logs), with B's change against A's, absolute and in percent.\n"
    "--html FILE also writes the report as one self-contained HTML page\n"
    "(inline charts, nothing fetched, printable): power per device, grid\n"
    "intensity and cumulative CO2e over time, energy and CO2e by phase,\n"
    "window, rank and node, and the assumptions. FILE is replaced whole or\n"
    "not at all.\n";


/* A failure of the library, in its words (which name the file and line). */
static int failed(int status)
{
    if (status == LLMC_ENOMEM)
        return report_out_of_memory();
    fprintf(stderr, "llmcarbon report: %s\n", llmc_last_error());
    return CLI_FAILED;
}

/* The total: operational and embodied, or the operational figure alone
 * where embodied carbon was not counted (embodied_included says so). */
static double total_of(double operational, double embodied)
{
    return isnan(embodied) ? operational : operational + embodied;
}

/* One phase, on one line: its energy and CO2e as run names them. */
static void print_phase(const llmc_run_totals *p)
{
    char a[64], b[64], c[64], d[64];
    double op = p->operational_kgco2e, emb = p->embodied_kgco2e;
    printf("    %-10s %s J, %s kgCO2e operational, ", p->phase,
           cli_num(a, sizeof a, p->energy_j), cli_num(b, sizeof b, op));
    if (isnan(emb))
        printf("embodied not included, %s kgCO2e total (operational only)\n",
               cli_num(d, sizeof d, op));
    else
        printf("%s kgCO2e embodied, %s kgCO2e total\n",
               cli_num(c, sizeof c, emb),
               cli_num(d, sizeof d, total_of(op, emb)));
}

/* The phases, the ranks and the resumed processes; LLMC_OK or a failure
 * of the library. */
static int print_parts(const llmc_runlog *log)
{
    size_t n = llmc_runlog_phase_count(log);
    char a[64];
    int rc;

    if (n)
        printf("  phases\n");
    for (size_t i = 0; i < n; i++) {
        llmc_run_totals p;
        llmc_run_totals_init(&p, sizeof p);
        if ((rc = llmc_runlog_totals(&p, log,
                                     llmc_runlog_phase_name(log, i))) !=
            LLMC_OK)
            return rc;
        print_phase(&p);
    }
    if ((n = llmc_runlog_stream_count(log)) != 0)
        printf("  ranks\n");
    for (size_t i = 0; i < n; i++) {
        llmc_run_totals w;
        llmc_run_totals_init(&w, sizeof w);
        if ((rc = llmc_runlog_stream(&w, log, i)) != LLMC_OK)
            return rc;
        printf("    %s rank %lld: %s J\n", w.host, (long long)w.rank,
               cli_num(a, sizeof a, w.energy_j));
    }
    n = llmc_runlog_resume_count(log);
    for (size_t i = 0; i < n; i++) {
        llmc_run_resume r;
        char when[32], written[64] = "";
        llmc_run_resume_init(&r, sizeof r);
        if ((rc = llmc_runlog_resume(&r, log, i)) != LLMC_OK)
            return rc;
        cli_utc(when, sizeof when, r.from_unix_s);
        if (!isnan(r.checkpoint_written_unix_s)) {
            char w[32];
            cli_utc(w, sizeof w, r.checkpoint_written_unix_s);
            snprintf(written, sizeof written, " written at %s", w);
        }
        printf("    %s rank %lld: resumed at %s (pid %lld), from a "
               "checkpoint%s of %s J\n",
               r.host, (long long)r.rank, when, (long long)r.pid, written,
               cli_num(a, sizeof a, r.energy_j));
    }
    return LLMC_OK;
}

static int print_text(const llmc_runlog *log)
{
    char a[64], b[64];
    llmc_run_totals f;
    int rc;

    llmc_run_totals_init(&f, sizeof f);
    if ((rc = llmc_runlog_totals(&f, log, NULL)) != LLMC_OK)
        return rc;
    printf("llmcarbon report: %llu log%s, %llu samples over %s s\n",
           (unsigned long long)f.logs, f.logs == 1 ? "" : "s",
           (unsigned long long)f.samples,
           cli_num(a, sizeof a, f.duration_s));
    if (f.energy_unknown_reason)
        printf("  %-24s unknown: %s\n", "energy", f.energy_unknown_reason);
    else
        printf("  %-24s %s J = %s kWh\n", "energy",
               cli_num(a, sizeof a, f.energy_j),
               cli_num(b, sizeof b, f.energy_j / 3.6e6));
    if (f.operational_unknown_reason)
        printf("  %-24s unknown: %s\n", "operational, as recorded",
               f.operational_unknown_reason);
    else
        printf("  %-24s %s kgCO2e\n", "operational, as recorded",
               cli_num(a, sizeof a, f.operational_kgco2e));
    if (f.fill_lines)
        printf("  %-24s %s kWh priced after its interval, %s kgCO2e (%llu "
               "fill line%s)\n",
               "filled", cli_num(a, sizeof a, f.filled_energy_j / 3.6e6),
               cli_num(b, sizeof b, f.filled_operational_kgco2e),
               (unsigned long long)f.fill_lines, f.fill_lines == 1 ? "" : "s");
    /* embodied and total as llmcarbon run prints them */
    if (f.embodied_note)
        printf("  %-14s not included: %s\n", "embodied", f.embodied_note);
    else
        printf("  %-14s %s kgCO2e\n", "embodied",
               cli_num(a, sizeof a, f.embodied_kgco2e));
    if (f.operational_unknown_reason)
        printf("  %-14s unknown: %s\n", "total",
               f.operational_unknown_reason);
    else
        printf("  %-14s %s kgCO2e%s\n", "total",
               cli_num(a, sizeof a, f.total_kgco2e),
               f.embodied_note ? " (operational only; embodied not included)"
                               : "");
    if (f.grid) {
        if (f.reweight_failures)
            printf("  %-24s unknown: %llu samples had no intensity (%s)\n",
                   "reweighted", (unsigned long long)f.reweight_failures,
                   f.reweight_problem);
        else if (f.energy_unknown_reason)
            printf("  %-24s unknown: %s\n", "reweighted",
                   f.energy_unknown_reason);
        else
            printf("  %-24s %s kgCO2e at a mean %s gCO2e/kWh (%s)\n",
                   "reweighted", cli_num(a, sizeof a, f.reweighted_kgco2e),
                   cli_num(b, sizeof b,
                           isnan(f.reweighted_intensity_gco2e_per_kwh)
                               ? 0
                               : f.reweighted_intensity_gco2e_per_kwh),
                   f.grid);
    }
    /* the projection against the plan the log records */
    if (isnan(f.projected_total_kgco2e)) {
        printf("  %-14s none: %s\n", "projection",
               f.projection_note ? f.projection_note : "unknown");
    } else {
        char c[64];
        printf("  %-14s %s kgCO2e at %llu tokens (95%% range %s to %s "
               "kgCO2e)",
               "projection", cli_num(a, sizeof a, f.projected_total_kgco2e),
               (unsigned long long)f.target_tokens,
               cli_num(b, sizeof b, f.projected_low_kgco2e),
               cli_num(c, sizeof c, f.projected_high_kgco2e));
        if (!isnan(f.plan_low_kgco2e))
            printf(", plan %s to %s kgCO2e",
                   cli_num(a, sizeof a, f.plan_low_kgco2e),
                   cli_num(b, sizeof b, f.plan_high_kgco2e));
        printf("\n");
    }
    return print_parts(log);
}

/* The library's warnings, each on a line of its own. */
void report_print_warnings(const llmc_runlog *log)
{
    const char *w = llmc_runlog_warnings(log), *nl;
    for (; w && *w; w = nl + 1) {
        if (!(nl = strchr(w, '\n')))
            nl = w + strlen(w);
        fprintf(stderr, "llmcarbon report: warning: %.*s\n", (int)(nl - w),
                w);
        if (!*nl)
            break;
    }
}

/* Writes len bytes of text to fd: 0, or the errno of the failure. */
/* The page into a regular file, whole or not at all: written beside it
 * under a temporary name, then renamed over it (over the target of a
 * symbolic link, which stays). 0, or the errno of the failure. */
static int replace_file(const char *path, const char *html)
{
    char *tmp;
    int fd, err = 0;

    if (!(tmp = malloc(strlen(path) + 16)))
        return ENOMEM;
    sprintf(tmp, "%s.tmp.XXXXXX", path);
    if ((fd = mkstemp(tmp)) < 0) {
        err = errno;
        free(tmp);
        return err;
    }
    err = cli_write_fd(fd, html, strlen(html));
    /* a page the disk did not take is not a page; mkstemp's 0600 gives
     * way to what the umask allows a new file */
    if (!err && fsync(fd) != 0)
        err = errno;
    if (!err) {
        mode_t mask = umask(0);
        umask(mask);
        if (fchmod(fd, 0666 & ~mask) != 0)
            err = errno;
    }
    if (close(fd) != 0 && !err)
        err = errno;
    if (!err && rename(tmp, path) != 0)
        err = errno;
    if (err)
        unlink(tmp);
    free(tmp);
    return err;
}

/* The page into path: a regular file (or none yet) is replaced whole or
 * not at all; anything else that exists (a device, a pipe: /dev/stdout)
 * is written into, since renaming over it would replace the device
 * itself; a directory is refused. */
static int write_html(const llmc_runlog *log, const char *path)
{
    struct stat st;
    char *html, *target = NULL;
    int rc, err;

    if ((rc = llmc_runlog_report_html(&html, log, 0)) != LLMC_OK)
        return failed(rc);
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        int fd = S_ISDIR(st.st_mode)
                     ? (errno = EISDIR, -1)
                     : open(path, O_WRONLY | O_TRUNC | O_NOCTTY | O_CLOEXEC);
        err = fd < 0 ? errno : cli_write_fd(fd, html, strlen(html));
        if (fd >= 0 && close(fd) != 0 && !err)
            err = errno;
    } else {
        if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
            target = realpath(path, NULL);
        err = replace_file(target ? target : path, html);
        free(target);
    }
    llmc_free(html);
    if (err == ENOMEM)
        return report_out_of_memory();
    if (err) {
        fprintf(stderr, "llmcarbon report: --html '%s': %s; the file was "
                        "left as it was\n",
                path, strerror(err));
        return CLI_FAILED;
    }
    return CLI_OK;
}

static int print_json(const llmc_runlog *log)
{
    char *text;
    int rc = llmc_runlog_report_json(&text, log);
    if (rc != LLMC_OK)
        return failed(rc);
    rc = cli_write(text, strlen(text)) == CLI_OK &&
                 cli_write("\n", 1) == CLI_OK
             ? CLI_OK
             : CLI_FAILED;
    llmc_free(text);
    if (rc != CLI_OK)
        fputs("llmcarbon: cannot write the output\n", stderr);
    return rc;
}

int cmd_report(int argc, char **argv)
{
    const char *grid_spec = NULL, *pue_text = NULL, *slurm_job = NULL;
    const char *html_path = NULL;
    const char **logs = NULL;
    char **job_logs = NULL;
    size_t njob_logs = 0;
    size_t nlogs = 0;
    int json = 0, rc;
    /* the tables (tools/report_tables.c) */
    const char *csv_path = NULL, *csv_samples = NULL;
    int compare = 0;
    double pue = 0;
    llmc_grid *g = NULL;
    llmc_runlog *log;

    {
        static const struct option options[] = {
            {"grid", required_argument, NULL, 'g'},
            {"pue", required_argument, NULL, 'p'},
            {"json", no_argument, NULL, 'j'},
            {"slurm-job", required_argument, NULL, 's'},
            {"csv", required_argument, NULL, 'c'},
            {"csv-samples", required_argument, NULL, 'S'},
            {"compare", no_argument, NULL, 'C'},
            {"html", required_argument, NULL, 'H'},
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
            else if (c == 's')
                slurm_job = optarg;
            else if (c == 'c')
                csv_path = optarg;
            else if (c == 'S')
                csv_samples = optarg;
            else if (c == 'C')
                compare = 1;
            else if (c == 'H')
                html_path = optarg;
        }
        /* the paths as given: one per rank, thousands in a large job */
        logs = (const char **)(argv + optind);
        nlogs = optind < argc ? (size_t)(argc - optind) : 0;
    }
    if (compare && (slurm_job || csv_path || csv_samples || html_path))
        return cli_usage("report", "--compare prints two runs side by side; "
                         "give it logs only (without --slurm-job, --csv, "
                         "--csv-samples or --html)");
    if (slurm_job && nlogs > 0)
        return cli_usage("report", "--slurm-job reads the job's own logs; "
                         "give it or LOG..., not both");
    if (nlogs == 0 && !slurm_job)
        return cli_usage("report", "no log given; write `llmcarbon report "
                         "run.jsonl [rank1.jsonl ...]`");
    if (pue_text && (rc = llmc_quantity_parse(&pue, LLMC_DIM_PUE, pue_text,
                                              NULL)) != LLMC_OK)
        return cli_fail("report", "--pue", rc);
    if (grid_spec && (rc = llmc_grid_new(&g, grid_spec)) != LLMC_OK)
        return cli_fail("report", "--grid", rc);
    if (slurm_job &&
        (rc = report_slurm_logs(&job_logs, &njob_logs, slurm_job)) != CLI_OK) {
        llmc_grid_free(g);
        return rc;
    }
    if (slurm_job) {
        logs = (const char **)job_logs;
        nlogs = njob_logs;
    }
    if (compare) {
        rc = report_compare(logs, nlogs, g, pue, json);
        llmc_grid_free(g);
        return rc;
    }
    /* the totals only: memory that grows with the ranks, not the lines;
     * the tables read the samples (the intensity, one row each), and the
     * page reads the logs again to draw them, in the same memory */
    rc = llmc_runlog_read_flags(&log, logs, nlogs, g, pue,
                                csv_path || csv_samples
                                    ? 0
                                    : LLMC_RUNLOG_NO_SAMPLES);
    llmc_grid_free(g);
    if (rc != LLMC_OK) {
        report_slurm_free(job_logs, njob_logs);
        return failed(rc);
    }
    report_print_warnings(log);
    if (json)
        rc = print_json(log);
    else if ((rc = print_text(log)) != LLMC_OK)
        rc = failed(rc);
    /* the report before the tables: one may be /dev/stdout */
    fflush(stdout);
    if (rc == CLI_OK && csv_path) {
        /* the row's name: the job given, or the logs as given */
        size_t len = 1;
        char *name;
        for (size_t i = 0; i < nlogs; i++)
            len += strlen(logs[i]) + 1;
        if ((name = malloc(len)) != NULL) {
            size_t at = 0;
            for (size_t i = 0; i < nlogs; i++)
                at += (size_t)sprintf(name + at, "%s%s", i ? " " : "",
                                      logs[i]);
            name[at] = '\0';
        }
        rc = !name ? report_out_of_memory()
                   : report_csv_run(csv_path, log, logs, nlogs,
                                    slurm_job ? slurm_job : name, pue);
        free(name);
    }
    if (rc == CLI_OK && csv_samples)
        rc = report_csv_samples(csv_samples, log);
    if (rc == CLI_OK && html_path)
        rc = write_html(log, html_path);
    report_slurm_free(job_logs, njob_logs);
    llmc_runlog_free(log);
    return rc;
}
