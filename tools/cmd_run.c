/*
 * cmd_run.c - `llmcarbon run [OPTIONS] -- COMMAND [ARGS...]`: measures a
 * command from start to end, forwards the signals a job receives to it,
 * prints the report, and exits with the command's own status.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"
#include "run_wait.h"
#include "serve.h"
#include "tables.h"

/* the library's redaction, built into this program too (tools/meson.build) */
void llmc__redact(char *text, size_t size);

static const char help_head[] =
    "usage: llmcarbon run [OPTIONS] -- COMMAND [ARGS...]\n"
    "\n"
    "Runs COMMAND, measuring the energy of this machine's devices while it\n"
    "runs, and prints the energy and CO2e at the end. Signals (INT, TERM,\n"
    "HUP, QUIT, USR1, USR2) are passed on to COMMAND; the exit status is\n"
    "COMMAND's (128+N when a signal N ended it).\n"
    "\n"
    "options (each tracker key also an LLMC_* environment variable, e.g.\n"
    "LLMC_METERS for --meters; a flag wins over its variable):\n";

static const char help_tail[] =
    "  --metrics ADDR:PORT        serve the run's metrics for Prometheus at\n"
    "                             http://ADDR:PORT/metrics while COMMAND runs\n"
    "                             (127.0.0.1:9400, [::1]:9400, :9400)\n"
    "  --textfile PATH            write them to PATH every interval, and at\n"
    "                             the end, for node_exporter's textfile\n"
    "                             collector (replaced atomically)\n"
    "  --strict                   refuse to run COMMAND when a meter named in\n"
    "                             --meters cannot be opened (default: warn and\n"
    "                             run it without that meter)\n"
    "  --json                     print the report as one JSON object\n"
    "  --quiet                    no live line on the terminal (stderr)\n"
    "                             while COMMAND runs; warnings still show\n"
    "  --start-within DUR         carbon-aware start: wait up to DUR for\n"
    "                             the lowest-carbon window of the --grid's\n"
    "                             forecast (1.5 = 1.5h, 90min, 2h, 1d)\n"
    "  --expected-duration DUR    how long COMMAND will run: the window's\n"
    "                             length (5min to 30d)\n"
    "  --csv FILE                 append the run's row to FILE (CSV, the\n"
    "                             report's figures; a header when FILE is new)\n"
    "  --help                     print this help\n"
    "\n"
    "Without --grid (or LLMC_GRID) the world average is used, and said so\n"
    "on stderr. The report goes to stdout after COMMAND's own output. If\n"
    "llmcarbon run itself is killed (kill -9), COMMAND is killed too\n"
    "(SIGKILL).\n";

/* The help: the tracker's keys come from the library's table
 * (llmc_tracker_key_get), so every key is a flag and its help says what
 * the library does. */
static void print_help(void)
{
    llmc_key_info k;
    fputs(help_head, stdout);
    for (size_t i = 0; i < llmc_tracker_key_count(); i++) {
        llmc_key_info_init(&k, sizeof k);
        if (llmc_tracker_key_get(&k, i) != LLMC_OK)
            continue;
        cli_print_key(&k, 26);
    }
    fputs(help_tail, stdout);
}

enum { OPT_JSON = 1000, OPT_HELP, OPT_STRICT, OPT_METRICS, OPT_TEXTFILE,
       OPT_CSV, OPT_KEY = 2000 };
/* the live line and the carbon-aware start (progress.c, run_wait.c) */
enum { OPT_QUIET = 1100, OPT_START_WITHIN, OPT_EXPECTED_DURATION };

/* run's own flags, then one per tracker key (val OPT_KEY + its index) */
#define RUN_OWN 9
static struct option options[RUN_OWN + 64 + 1] = {
    {"strict", no_argument, NULL, OPT_STRICT},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, OPT_HELP},
    {"metrics", required_argument, NULL, OPT_METRICS},
    {"textfile", required_argument, NULL, OPT_TEXTFILE},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"start-within", required_argument, NULL, OPT_START_WITHIN},
    {"expected-duration", required_argument, NULL, OPT_EXPECTED_DURATION},
    {"csv", required_argument, NULL, OPT_CSV},
};

static void build_options(void)
{
    cli_key_options(options, RUN_OWN, sizeof options / sizeof options[0], llmc_tracker_key_count,
                    llmc_tracker_key_get, OPT_KEY);
}

static volatile sig_atomic_t child_pid;

/* A signal sent to llmcarbon run (by a scheduler, by kill) goes on to the
 * command. One the terminal sent to the whole foreground process group
 * (Ctrl-C, Ctrl-\\) has reached the command already: sending it again would
 * deliver it twice. */
static void forward(int sig, siginfo_t *info, void *context)
{
    (void)context;
    if (info && info->si_code == SI_KERNEL)
        return;
    if (child_pid > 0)
        kill((pid_t)child_pid, sig);
}

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1,
                                SIGUSR2};

static void set_forwarding(int on)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    if (on) {
        sa.sa_sigaction = forward;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
    } else {
        sa.sa_handler = SIG_DFL;
    }
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
        sigaction(forwarded[i], &sa, NULL);
}

static double num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* Why a figure of the report is unknown: the energy was not measured, or
 * (with energy) no grid intensity was ever known for it. */
static const char *unknown_why(json_t *r)
{
    const char *note = str(json_object_get(r, "grid"), "operational_note");
    if (!json_is_true(json_object_get(r, "measured")))
        return "energy was not measured";
    return *note ? note : "no grid intensity was known";
}

static int has_quality(json_t *r, const char *flag)
{
    json_t *q = json_object_get(r, "quality"), *v;
    size_t i;
    json_array_foreach(q, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), flag) == 0)
            return 1;
    }
    return 0;
}

static void print_text(FILE *out, json_t *r, const char *what,
                       int status_desc_sig, int code)
{
    char a[64], b[64];
    json_t *meters = json_object_get(r, "meters"), *m, *g, *e, *p;
    size_t i;

    if (status_desc_sig)
        fprintf(out, "\nllmcarbon run: %s ended by signal %d after %s s\n",
                what, code, cli_num(a, sizeof a, num(r, "duration_s")));
    else
        fprintf(out, "\nllmcarbon run: %s exited with status %d after %s s\n",
                what, code, cli_num(a, sizeof a, num(r, "duration_s")));
    if (json_is_true(json_object_get(r, "measured")))
        fprintf(out, "  %-14s %s J = %s kWh%s\n", "energy",
                cli_num(a, sizeof a, num(r, "energy_j")),
                cli_num(b, sizeof b, num(r, "energy_kwh")),
                has_quality(r, "estimated")
                    ? " (estimated, not measured: see meters)"
                    : "");
    else
        fprintf(out, "  %-14s not measured (see below)\n", "energy");
    g = json_object_get(r, "grid");
    if (isnan(num(r, "intensity_gco2e_per_kwh"))) {
        fprintf(out, "  %-14s unknown (%s): %s\n", "intensity", str(g, "spec"),
                *str(g, "problem") ? str(g, "problem") : "no answer");
    } else {
        fprintf(out, "  %-14s %s gCO2e/kWh (%s", "intensity",
                cli_num(a, sizeof a, num(r, "intensity_gco2e_per_kwh")),
                str(g, "spec"));
        if (json_is_integer(json_object_get(g, "year")))
            fprintf(out, ", %lld",
                    (long long)json_integer_value(json_object_get(g, "year")));
        fprintf(out, ", %s)\n", str(g, "basis"));
    }
    if (*str(g, "filled_by"))
        fprintf(out, "  %-14s %s J sampled before an intensity was known, "
                "priced with %s\n", "",
                cli_num(a, sizeof a, num(r, "filled_energy_j")),
                str(g, "filled_by"));
    if (isnan(num(r, "operational_kgco2e")))
        fprintf(out, "  %-14s unknown: %s\n", "operational", unknown_why(r));
    else
        fprintf(out, "  %-14s %s kgCO2e (x PUE %s)\n", "operational",
                cli_num(a, sizeof a, num(r, "operational_kgco2e")),
                cli_num(b, sizeof b, num(r, "pue")));
    e = json_object_get(r, "embodied");
    if (json_is_true(json_object_get(e, "included"))) {
        fprintf(out, "  %-14s %s kgCO2e (scope %s, method %s)\n", "embodied",
                cli_num(a, sizeof a, num(r, "embodied_kgco2e")),
                str(e, "scope"), str(e, "method"));
        if (json_is_string(json_object_get(e, "hardware_from")))
            fprintf(out, "  %-14s %s, found from the meters: %s\n", "",
                    str(e, "hardware"), str(e, "hardware_from"));
    }
    else
        fprintf(out, "  %-14s not included: %s\n", "embodied", str(e, "note"));
    if (isnan(num(r, "total_kgco2e")))
        fprintf(out, "  %-14s unknown: %s\n", "total", unknown_why(r));
    else
        fprintf(out, "  %-14s %s kgCO2e\n", "total",
                cli_num(a, sizeof a, num(r, "total_kgco2e")));
    if (json_is_object(json_object_get(r, "resumed"))) {
        json_t *res = json_object_get(r, "resumed");
        char took[32], wrote[32];
        cli_utc(took, sizeof took, num(res, "from_unix_s"));
        cli_utc(wrote, sizeof wrote, num(res, "checkpoint_written_unix_s"));
        fprintf(out, "  %-14s at %s, from a checkpoint written at %s "
                "(carrying %s J over %s s)\n", "resumed", took, wrote,
                cli_num(a, sizeof a, num(res, "energy_j")),
                cli_num(b, sizeof b, num(res, "duration_s")));
    }
    if (json_integer_value(json_object_get(r, "tokens")) > 0)
        fprintf(out, "  %-14s %s J/token, %s gCO2e/token\n", "per token",
                cli_num(a, sizeof a, num(r, "j_per_token")),
                cli_num(b, sizeof b, num(r, "gco2e_per_token")));
    fprintf(out, "  meters\n");
    json_array_foreach(meters, i, m) {
        const char *detail = str(m, "detail");
        fprintf(out, "    %-18s %-8s %14s J  %s%s%s\n", str(m, "name"),
                str(m, "method"),
                json_is_number(json_object_get(m, "energy_j"))
                    ? cli_num(a, sizeof a, num(m, "energy_j"))
                    : "unmeasured",
                str(m, "device"), *detail ? ": " : "", detail);
    }
    if (json_array_size(meters) == 0)
        fprintf(out, "    (none)\n");
    if (*str(r, "meter_diagnostics")) {
        const char *d = str(r, "meter_diagnostics");
        fprintf(out, "  meter notes:\n");
        while (*d) {
            const char *nl = strchr(d, '\n');
            int len = nl ? (int)(nl - d) : (int)strlen(d);
            fprintf(out, "    %.*s\n", len, d);
            d += len + (nl != NULL);
        }
    }
    if ((p = json_object_get(r, "problems")) != NULL)
        fprintf(out, "  problems: %s\n", json_string_value(p));
}

/* 1 when name (up to ':') is a meter of this machine's hardware, which
 * may be absent here: the others (const, model, replay) are the user's own
 * numbers, and an error in them stays an error. */
static int is_hardware_meter(const char *part)
{
    static const char *const hw[] = {"nvml", "rapl", "amdgpu"};
    size_t n = strcspn(part, ":");
    for (size_t i = 0; i < sizeof hw / sizeof hw[0]; i++)
        if (strlen(hw[i]) == n && strncmp(part, hw[i], n) == 0)
            return 1;
    return 0;
}

/* A job is not lost to a meter: each hardware meter named in spec that
 * cannot be opened here (no driver, no powercap, no permission) is a
 * warning on stderr, and the tracker is given the others, or meters=auto
 * when none is left (what this machine has; when nothing reads, the
 * tracker's fallback, said on stderr before the command starts). A spec that does not parse stays an error,
 * reported by the start. Returns CLI_CONTINUE, or an exit status. */
static int drop_unopenable_meters(llmc_tracker *t, const char *spec,
                                  const char *command)
{
    char *copy, *part, *save = NULL, *kept;
    size_t used = 0, dropped = 0;
    int rc;

    if (strcmp(spec, "auto") == 0)
        return CLI_CONTINUE;
    copy = strdup(spec);
    kept = calloc(1, strlen(spec) + 1);
    if (!copy || !kept) {
        free(copy);
        free(kept);
        fputs("llmcarbon run: out of memory (LLMC_ENOMEM)\n", stderr);
        return CLI_FAILED;
    }
    for (part = strtok_r(copy, "+", &save); part;
         part = strtok_r(NULL, "+", &save)) {
        llmc_meter *m = NULL;
        while (*part == ' ')
            part++;
        if (is_hardware_meter(part)) {
            rc = llmc_meter_open(&m, part);
            llmc_meter_free(m);
            if (rc != LLMC_OK && rc != LLMC_EPARSE && rc != LLMC_EINVAL &&
                rc != LLMC_ENOMEM) {
                char line[1200];
                snprintf(line, sizeof line, "llmcarbon run: warning: meter "
                         "'%s' cannot be opened: %s (%s)", part,
                         llmc_last_error(), llmc_status_name(rc));
                llmc__redact(line, sizeof line);
                fprintf(stderr, "%s\n", line);
                dropped++;
                continue;
            }
        }
        used += (size_t)sprintf(kept + used, "%s%s", used ? "+" : "", part);
    }
    free(copy);
    if (dropped) {
        if (used)
            fprintf(stderr, "llmcarbon run: %s runs measured by %s only; "
                    "give --strict to refuse to run instead\n", command,
                    kept);
        else
            fprintf(stderr, "llmcarbon run: %s runs with meters=auto "
                    "instead: what this machine has, or if it has nothing "
                    "that reads, the estimate of --fallback; give --strict "
                    "to refuse to run instead\n", command);
        rc = llmc_tracker_set(t, "meters", used ? kept : "auto");
        if (rc != LLMC_OK) {
            free(kept);
            return cli_fail("run", "--meters", rc);
        }
    }
    free(kept);
    return CLI_CONTINUE;
}

/* The grid a run uses when none is given prices all of it: it is said,
 * with its value, year and basis, before the command starts. */
static void announce_default_grid(void)
{
    llmc_grid *g = NULL;
    llmc_intensity ci;
    llmc_intensity_init(&ci, sizeof ci);
    if (llmc_grid_new(&g, "static:WORLD") == LLMC_OK &&
        llmc_grid_intensity_at(&ci, g, (int64_t)time(NULL)) == LLMC_OK) {
        char year[16] = "";
        if (ci.year > 0)
            snprintf(year, sizeof year, "%d, ", ci.year);
        fprintf(stderr, "llmcarbon run: no --grid given: using %s, %.0f "
                "gCO2e/kWh (%s%s); give --grid ZONE for your site\n",
                llmc_grid_spec(g), ci.gco2e_per_kwh, year,
                llmc_basis_name(ci.basis));
    }
    llmc_grid_free(g);
}

/* No meter can read here: said before the command starts, not only in the
 * report at its end (llmc_tracker_status). */
static void warn_if_unmeasured(llmc_tracker *t)
{
    const char *why = NULL;
    if (llmc_tracker_status(&why, t) != LLMC_OK && why) {
        char line[4096];
        snprintf(line, sizeof line, "llmcarbon run: warning: %s", why);
        llmc__redact(line, sizeof line);
        fprintf(stderr, "%s\n", line);
    }
}

/* Runs cmd (NULL-terminated) to its end, passing on the signals a job
 * gets; *status is its wait status. CLI_OK, or CLI_FAILED when it could
 * not be started. */
static int run_command(char **cmd, int *status)
{
    pid_t pid, parent;
    sigset_t blocked_before;

    /* no signal may arrive between fork and knowing the child's pid */
    {
        sigset_t all;
        sigemptyset(&all);
        for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
            sigaddset(&all, forwarded[i]);
        sigprocmask(SIG_BLOCK, &all, &blocked_before);
    }
    set_forwarding(1);
    parent = getpid();
    pid = fork();
    if (pid < 0) {
        int e = errno;
        set_forwarding(0);
        sigprocmask(SIG_SETMASK, &blocked_before, NULL);
        fprintf(stderr, "llmcarbon run: cannot start '%s': %s\n", cmd[0],
                strerror(e));
        return CLI_FAILED;
    }
    if (pid == 0) {
        /* The command dies with us: when llmcarbon run is killed outright
         * (kill -9, an OOM kill), nothing is measured any more, and a
         * command left running would use a job's devices unaccounted.
         * SIGKILL, not TERM: a command that ignores TERM must not outlive
         * us either; a TERM for a graceful end is forwarded while we live. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
            _exit(128 + SIGKILL); /* we died before the request took hold */
        set_forwarding(0);
        sigprocmask(SIG_SETMASK, &blocked_before, NULL);
        execvp(cmd[0], cmd);
        fprintf(stderr, "llmcarbon run: cannot run '%s': %s\n", cmd[0],
                strerror(errno));
        _exit(errno == ENOENT ? 127 : 126);
    }
    child_pid = pid;
    sigprocmask(SIG_SETMASK, &blocked_before, NULL);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    child_pid = 0;
    set_forwarding(0);
    return CLI_OK;
}

/* --csv FILE: the run's row (tools/csv.c), from its JSON report; the
 * command, as given, names it. */
static const char *csv_path;
static char **csv_command;
static double csv_start_unix_s = NAN;

static int append_csv_row(const char *report)
{
    struct csv_identity id = {.start_unix_s = csv_start_unix_s};
    json_error_t err;
    json_t *r = llmc__json_loadb(report, strlen(report), 0, &err), *who;
    char *name = NULL;
    size_t len = 0;
    FILE *f;
    int rc;

    if (!r || !(f = open_memstream(&name, &len))) {
        json_decref(r);
        fprintf(stderr, "llmcarbon run: --csv %s: out of memory; no row "
                "was written (LLMC_ENOMEM)\n", csv_path);
        return CLI_FAILED;
    }
    for (char **a = csv_command; *a; a++)
        fprintf(f, "%s%s", a == csv_command ? "" : " ", *a);
    if (fclose(f) != 0) {
        free(name);
        json_decref(r);
        fprintf(stderr, "llmcarbon run: --csv %s: out of memory; no row "
                "was written (LLMC_ENOMEM)\n", csv_path);
        return CLI_FAILED;
    }
    who = json_object_get(r, "identity");
    id.name = name;
    id.job = json_string_value(json_object_get(who, "job"));
    id.host = json_string_value(json_object_get(who, "host"));
    id.grid = str(json_object_get(r, "grid"), "spec");
    id.pue = num(r, "pue");
    id.measurement = !json_is_true(json_object_get(r, "measured"))
                         ? "unmeasured"
                     : has_quality(r, "estimated") ? "estimated"
                                                   : "measured";
    rc = csv_append_run("run", csv_path, &id, r);
    free(name);
    json_decref(r);
    return rc;
}

/* Stops the tracker and prints its report (JSON or text) after the
 * command's own output. 1 when the measurement was completed and shown,
 * 0 when it was not (said on stderr). */
static int stop_and_report(llmc_tracker *t, int json, const char *what,
                           int status, const struct run_wait *wait)
{
    char *report = NULL;
    int measured = 1, rc;

    if ((rc = llmc_tracker_stop(t)) != LLMC_OK) {
        cli_fail("run", "stop", rc); /* e.g. the last checkpoint write */
        measured = 0;
    }
    if ((rc = llmc_tracker_report_json(&report, t)) == LLMC_OK) {
        json_error_t err;
        json_t *r;
        if (json && wait) {
            if (run_wait_print_json(report, wait) != CLI_OK)
                measured = 0;
        } else if (json) {
            if (cli_write(report, strlen(report)) != CLI_OK ||
                cli_write("\n", 1) != CLI_OK) {
                fputs("llmcarbon run: cannot write the report\n", stderr);
                measured = 0;
            }
        } else if ((r = llmc__json_loadb(report, strlen(report), 0, &err)) !=
                   NULL) {
            struct cli_out co;
            FILE *out = cli_out_open(&co);
            if (out)
                print_text(out, r, what, WIFSIGNALED(status),
                           WIFSIGNALED(status) ? WTERMSIG(status)
                                               : WEXITSTATUS(status));
            json_decref(r);
            if (cli_out_close(&co, "run") != CLI_OK)
                measured = 0;
        } else {
            fprintf(stderr, "llmcarbon run: the report could not be read "
                    "back (%s); it was not printed\n", err.text);
            measured = 0;
        }
        fflush(stdout);
        if (csv_path && append_csv_row(report) != CLI_OK)
            measured = 0;
    } else {
        cli_fail("run", "report", rc);
        measured = 0;
    }
    llmc_free(report);
    return measured;
}

int cmd_run(int argc, char **argv)
{
    llmc_tracker *t = NULL;
    int json = 0, strict = 0, c, rc, status = 0, exit_status;
    int measured;
    const char *meters = NULL, *env, *listen = NULL, *textfile = NULL;
    const char *interval = NULL;
    struct metrics_out *mo = NULL;
    struct cli_getopt g;
    /* the live line and the carbon-aware start */
    int quiet = 0, wait_wanted = 0;
    const char *start_within = NULL, *expected_duration = NULL;
    const char *grid_spec = NULL, *log_path = NULL, *checkpoint_path = NULL;
    struct run_wait wait;
    struct progress *live = NULL;

    build_options();
    /* '+': stop at the first non-option, so COMMAND's own flags stay its */
    cli_getopt_init(&g, "run", argc, argv, "+:", options);
    while ((c = cli_getopt_next(&g)) != CLI_GETOPT_END) {
        if (c == CLI_GETOPT_USAGE) {
            llmc_tracker_free(t);
            return CLI_USAGE;
        }
        if (c == OPT_HELP) {
            print_help();
            llmc_tracker_free(t);
            return CLI_OK;
        }
        if (!t && (rc = llmc_tracker_new(&t)) != LLMC_OK)
            return cli_fail("run", "", rc);
        if (c == OPT_JSON) {
            json = 1;
            continue;
        }
        if (c == OPT_STRICT) {
            strict = 1;
            continue;
        }
        if (c == OPT_CSV) {
            csv_path = optarg;
            continue;
        }
        if (c == OPT_METRICS || c == OPT_TEXTFILE) {
            *(c == OPT_METRICS ? &listen : &textfile) = optarg;
            continue;
        }
        if (c == OPT_QUIET || c == OPT_START_WITHIN ||
            c == OPT_EXPECTED_DURATION) {
            quiet |= c == OPT_QUIET;
            if (c == OPT_START_WITHIN)
                start_within = optarg;
            if (c == OPT_EXPECTED_DURATION)
                expected_duration = optarg;
            continue;
        }
        /* a tracker key: the library's table knows it */
        {
            const char *key = cli_flag_name(options, c);
            if (strcmp(key, "meters") == 0)
                meters = optarg;
            if (strcmp(key, "grid") == 0)
                grid_spec = optarg;
            if (strcmp(key, "log") == 0 || strcmp(key, "checkpoint") == 0)
                *(key[0] == 'l' ? &log_path : &checkpoint_path) = optarg;
            if (strcmp(key, "interval") == 0)
                interval = optarg;
            if ((rc = cli_tracker_set(t, "run", key, optarg)) !=
                CLI_CONTINUE) {
                llmc_tracker_free(t);
                return rc;
            }
        }
    }
    if (optind >= argc) {
        llmc_tracker_free(t);
        return cli_usage("run", "no command to run; write `llmcarbon run -- "
                         "COMMAND [ARGS...]`");
    }
    if ((rc = metrics_check_listen("run", "--metrics", listen)) !=
        CLI_CONTINUE) {
        llmc_tracker_free(t);
        return rc;
    }
    if ((rc = run_wait_parse(&wait, &wait_wanted, start_within,
                             expected_duration)) != CLI_CONTINUE) {
        llmc_tracker_free(t);
        return rc;
    }
    /* a table that cannot take the row is said before, not after the run */
    if (csv_path && csv_check("run", csv_path) != CLI_OK) {
        llmc_tracker_free(t);
        return CLI_FAILED;
    }
    if (!t && (rc = llmc_tracker_new(&t)) != LLMC_OK)
        return cli_fail("run", "", rc);
    /* the tracker took LLMC_METERS from the environment, unless --meters */
    if (!meters && (env = getenv("LLMC_METERS")) != NULL && *env)
        meters = env;
    if (!strict && meters &&
        (rc = drop_unopenable_meters(t, meters, argv[optind])) !=
            CLI_CONTINUE) {
        llmc_tracker_free(t);
        return rc;
    }
    /* the wait comes before the measurement: it is not the command's */
    if (wait_wanted) {
        if (!grid_spec && (env = getenv("LLMC_GRID")) != NULL && *env)
            grid_spec = env;
        if ((rc = run_wait_check_path(log_path ? "--log" : "LLMC_LOG",
                                      log_path ? log_path
                                               : getenv("LLMC_LOG"))) !=
                CLI_CONTINUE ||
            (rc = run_wait_check_path(
                 checkpoint_path ? "--checkpoint" : "LLMC_CHECKPOINT",
                 checkpoint_path ? checkpoint_path
                                 : getenv("LLMC_CHECKPOINT"))) !=
                CLI_CONTINUE) {
            llmc_tracker_free(t);
            return rc;
        }
        if ((rc = run_wait(&wait, grid_spec, argv[optind])) !=
            CLI_CONTINUE) {
            llmc_tracker_free(t);
            return rc;
        }
    }
    csv_command = &argv[optind];
    {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        csv_start_unix_s = (double)now.tv_sec + now.tv_nsec / 1e9;
    }
    if ((rc = llmc_tracker_start(t)) != LLMC_OK) {
        llmc_tracker_free(t);
        return cli_fail("run", "", rc);
    }
    if (!grid_spec && !((env = getenv("LLMC_GRID")) != NULL && *env))
        announce_default_grid();
    warn_if_unmeasured(t);
    /* the command starts only once what was asked for serves: a port in
     * use is said before, not found after a day's run */
    if ((listen || textfile) &&
        (rc = metrics_out_start(
             &mo, "run", t, "--metrics", listen, textfile,
             metrics_interval_s(interval ? interval : getenv("LLMC_INTERVAL")),
             /* the command's steps are its own: llmcarbon run sees none */
             LLMC_METRICS_NO_STEPS)) != CLI_OK) {
        llmc_tracker_free(t);
        return rc;
    }
    live = progress_start(t, quiet, wait_wanted ? wait.duration_s : NAN);
    rc = run_command(&argv[optind], &status);
    /* the line is erased before anything else is written */
    progress_stop(live);
    if (rc != CLI_OK) {
        metrics_out_stop(mo);
        llmc_tracker_free(t);
        return rc;
    }
    measured = stop_and_report(t, json, argv[optind], status,
                               wait_wanted ? &wait : NULL);
    /* the last textfile holds the final figures */
    if (metrics_out_stop(mo) != CLI_OK)
        measured = 0;
    llmc_tracker_free(t);
    exit_status = WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                      : WEXITSTATUS(status);
    /* the command succeeded but its measurement did not: not a success */
    if (!measured && exit_status == 0)
        exit_status = CLI_FAILED;
    return exit_status;
}
