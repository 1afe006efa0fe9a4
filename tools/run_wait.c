/*
 * run_wait.c - the carbon-aware start of `llmcarbon run`: the window of
 * --expected-duration with the lowest mean intensity in the grid's
 * forecast (llmc_grid_best_window: starts now or at a 5-minute step),
 * starting within --start-within, is waited for before the command runs.
 *
 * The wait follows the real clock: it sleeps in pieces of at most a
 * minute and reads the time again after each, so that a clock set while
 * it waits (NTP, a suspended laptop) moves the wake-up with it, and it
 * wakes at the start to the millisecond. SIGINT and SIGTERM end it at
 * once, with nothing run: the signals are blocked except inside ppoll,
 * so that none is lost between a test and the sleep.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "run_wait.h"

#define MIN_DURATION_S 300.0      /* the window search's own limits */
#define MAX_SPAN_S (30 * 86400.0)

int run_wait_parse(struct run_wait *w, int *wanted, const char *within,
                   const char *duration)
{
    int rc;

    memset(w, 0, sizeof *w);
    w->window_gco2e_per_kwh = w->now_gco2e_per_kwh = NAN;
    w->saving_fraction = NAN;
    *wanted = 0;
    if (!within && !duration)
        return CLI_CONTINUE;
    if (!within)
        return cli_usage("run", "--expected-duration goes with "
                         "--start-within DUR (how long the start may wait)");
    if (!duration)
        return cli_usage("run", "--start-within needs --expected-duration "
                         "DUR (how long COMMAND will run, e.g. 6h), to "
                         "choose the window it runs in");
    if ((rc = llmc_quantity_parse(&w->within_s, LLMC_DIM_DURATION, within,
                                  "h")) != LLMC_OK)
        return cli_usage("run", "--start-within '%s': %s", within,
                         llmc_last_error());
    if ((rc = llmc_quantity_parse(&w->duration_s, LLMC_DIM_DURATION,
                                  duration, "h")) != LLMC_OK)
        return cli_usage("run", "--expected-duration '%s': %s", duration,
                         llmc_last_error());
    if (w->within_s > MAX_SPAN_S)
        return cli_usage("run", "--start-within '%s': a forecast is "
                         "searched at most 30 days ahead; give 0 to 30d",
                         within);
    if (w->duration_s < MIN_DURATION_S || w->duration_s > MAX_SPAN_S)
        return cli_usage("run", "--expected-duration '%s': give 5min to "
                         "30d (windows are chosen in 5-minute steps)",
                         duration);
    *wanted = 1;
    return CLI_CONTINUE;
}

/* "45 s", "12 min", "3 h 5 min" */
static const char *span(char *buf, size_t size, double s)
{
    long n = (long)llround(s), m = (n + 30) / 60; /* whole minutes */
    if (n < 60)
        snprintf(buf, size, "%ld s", n);
    else if (m < 60)
        snprintf(buf, size, "%ld min", m);
    else
        snprintf(buf, size, "%ld h %ld min", m / 60, m % 60);
    return buf;
}

int answered_without_forecast(llmc_grid *g, int64_t t, char *why,
                              size_t size)
{
    llmc_intensity ci;
    llmc_intensity_init(&ci, sizeof ci);
    if (llmc_grid_intensity_at(&ci, g, t) != LLMC_OK)
        return 0;
    if (!ci.source || (strcmp(ci.source, "static") != 0 &&
                       strcmp(ci.source, "const") != 0))
        return 0;
    snprintf(why, size, "its values come from the %s source, which is the "
             "same at every hour%s%s", ci.source,
             ci.fallback && *ci.fallback ? ": " : "",
             ci.fallback ? ci.fallback : "");
    return 1;
}

/* Looks for the window; 1 with w filled when there is one to wait for
 * (or now is it), 0 with w->note saying why there is no forecast. */
static int find_window(struct run_wait *w, const char *grid_spec)
{
    llmc_grid *g = NULL;
    llmc_window win;
    char why[600];
    int rc;

    if (!grid_spec) {
        snprintf(w->note, sizeof w->note, "no --grid (or LLMC_GRID) was "
                 "given, and the default, static:WORLD, is a yearly value "
                 "with no forecast; give a source that forecasts, e.g. "
                 "--grid electricitymaps:DE");
        return 0;
    }
    if ((rc = llmc_grid_new(&g, grid_spec)) != LLMC_OK) {
        /* the spec as given may hold a ?token=: the library's message
         * names the problem without it */
        snprintf(w->note, sizeof w->note, "the grid given cannot be used: "
                 "%s (%s)", llmc_last_error(), llmc_status_name(rc));
        return 0;
    }
    llmc_window_init(&win, sizeof win);
    rc = llmc_grid_best_window(&win, g, w->asked_unix_s, w->duration_s,
                               w->within_s);
    if (rc != LLMC_OK) {
        snprintf(w->note, sizeof w->note, "%s gave no forecast to choose a "
                 "start from: %s (%s)", llmc_grid_spec(g), llmc_last_error(),
                 llmc_status_name(rc));
        llmc_grid_free(g);
        return 0;
    }
    if (answered_without_forecast(g, win.start_unix_s, why, sizeof why)) {
        snprintf(w->note, sizeof w->note, "%s has no forecast to choose a "
                 "start from: %s", llmc_grid_spec(g), why);
        llmc_grid_free(g);
        return 0;
    }
    w->have_window = 1;
    w->planned_unix_s = win.start_unix_s;
    w->window_gco2e_per_kwh = win.mean_gco2e_per_kwh;
    w->now_gco2e_per_kwh = win.now_mean_gco2e_per_kwh;
    w->saving_fraction = win.saving_fraction;
    llmc_grid_free(g);
    return 1;
}

static double realtime_s(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static volatile sig_atomic_t wait_signal;

static void on_wait_signal(int sig)
{
    wait_signal = sig;
}

/* The signals that end a wait: caught from before the wait is announced
 * (one sent as soon as it is read must not kill the process), blocked
 * except inside ppoll, so that none is lost between a test and the
 * sleep. */
struct wait_signals {
    struct sigaction old[2];
    sigset_t before;
};
static const int wait_ends[] = {SIGINT, SIGTERM};

static void catch_wait_signals(struct wait_signals *ws)
{
    struct sigaction sa;
    sigset_t block;

    wait_signal = 0;
    sigemptyset(&block);
    for (size_t i = 0; i < 2; i++)
        sigaddset(&block, wait_ends[i]);
    sigprocmask(SIG_BLOCK, &block, &ws->before);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_wait_signal; /* no SA_RESTART: ppoll returns */
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < 2; i++)
        sigaction(wait_ends[i], &sa, &ws->old[i]);
}

static void release_wait_signals(struct wait_signals *ws)
{
    for (size_t i = 0; i < 2; i++)
        sigaction(wait_ends[i], &ws->old[i], NULL);
    sigprocmask(SIG_SETMASK, &ws->before, NULL);
}

/* Sleeps until the wall clock reads until_s, the signals caught; 0, or
 * the signal that ended the wait. */
static int sleep_until(const struct wait_signals *ws, double until_s)
{
    sigset_t open = ws->before;
    double left;

    for (size_t i = 0; i < 2; i++)
        sigdelset(&open, wait_ends[i]);
    while (!wait_signal && (left = until_s - realtime_s()) > 0) {
        struct timespec d;
        if (left > 60)
            left = 60;
        d.tv_sec = (time_t)left;
        d.tv_nsec = (long)((left - (double)d.tv_sec) * 1e9);
        /* the signals are let in only while it sleeps */
        if (ppoll(NULL, 0, &d, &open) < 0 && errno != EINTR)
            break;
    }
    return (int)wait_signal;
}

/* path's errno when it cannot be written: a file that exists must be
 * writable, a new one needs a directory it can be made in; 0 when it can */
static int unwritable(const char *path)
{
    char dir[4096];
    const char *slash;
    size_t n;

    if (access(path, F_OK) == 0)
        return access(path, W_OK) == 0 ? 0 : errno;
    if (errno != ENOENT)
        return errno;
    if (!(slash = strrchr(path, '/')))
        return access(".", W_OK | X_OK) == 0 ? 0 : errno;
    n = slash == path ? 1 : (size_t)(slash - path);
    if (n >= sizeof dir)
        return ENAMETOOLONG;
    memcpy(dir, path, n);
    dir[n] = '\0';
    return access(dir, W_OK | X_OK) == 0 ? 0 : errno;
}

int run_wait_check_path(const char *what, const char *path)
{
    int err;
    if (!path || !*path || (err = unwritable(path)) == 0)
        return CLI_CONTINUE;
    fprintf(stderr, "llmcarbon run: %s '%s' cannot be written (%s); give a "
                    "file in a directory you can write: nothing was waited "
                    "for, and the command was not run\n",
            what, path, strerror(err));
    return CLI_FAILED;
}

int run_wait(struct run_wait *w, const char *grid_spec, const char *command)
{
    char at[32], in[32], a[32], b[32], c[32], d[32];
    struct wait_signals ws;
    double start_s;
    int sig;

    w->asked_unix_s = (int64_t)time(NULL);
    w->planned_unix_s = w->asked_unix_s;
    if (!find_window(w, grid_spec)) {
        fprintf(stderr, "llmcarbon run: starting %s now, without waiting: "
                "%s\n", command, w->note);
        return CLI_CONTINUE;
    }
    cli_utc(at, sizeof at, (double)w->planned_unix_s);
    if (w->planned_unix_s <= w->asked_unix_s) {
        snprintf(w->note, sizeof w->note, "now starts the best %s window "
                 "within the next %s (mean %s gCO2e/kWh)",
                 span(a, sizeof a, w->duration_s),
                 span(b, sizeof b, w->within_s),
                 cli_num(c, sizeof c, w->window_gco2e_per_kwh));
        fprintf(stderr, "llmcarbon run: starting %s now: %s\n", command,
                w->note);
        return CLI_CONTINUE;
    }
    catch_wait_signals(&ws);
    {
        char pct[32], per_kwh[32];
        fprintf(stderr, "llmcarbon run: waiting until %s (in %s) to start "
                "%s: the best %s window within the next %s has a mean of %s "
                "gCO2e/kWh against %s starting now, %s%% less (%s gCO2e "
                "less per kWh used); Ctrl-C stops the wait and runs "
                "nothing\n",
                at, span(in, sizeof in, (double)(w->planned_unix_s -
                                                 w->asked_unix_s)),
                command, span(a, sizeof a, w->duration_s),
                span(b, sizeof b, w->within_s),
                cli_num(c, sizeof c, w->window_gco2e_per_kwh),
                cli_num(d, sizeof d, w->now_gco2e_per_kwh),
                cli_num(pct, sizeof pct, 100 * w->saving_fraction),
                cli_num(per_kwh, sizeof per_kwh,
                        w->now_gco2e_per_kwh - w->window_gco2e_per_kwh));
    }
    start_s = realtime_s();
    sig = sleep_until(&ws, (double)w->planned_unix_s);
    release_wait_signals(&ws);
    w->waited_s = realtime_s() - start_s;
    if (sig) {
        fprintf(stderr, "llmcarbon run: the wait for %s was ended by "
                "signal %d after %s; %s was not run\n", at, sig,
                span(a, sizeof a, w->waited_s), command);
        return 128 + sig;
    }
    fprintf(stderr, "llmcarbon run: starting %s at %s, after a wait of %s\n",
            command, at, span(a, sizeof a, w->waited_s));
    return CLI_CONTINUE;
}

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

int run_wait_print_json(const char *report, const struct run_wait *w)
{
    json_error_t err;
    json_t *r = llmc__json_loadb(report, strlen(report), 0, &err), *o;
    char at[32];

    if (!r) {
        fprintf(stderr, "llmcarbon run: the report could not be read back "
                "(%s); it was not printed\n", err.text);
        return CLI_FAILED;
    }
    cli_utc(at, sizeof at, (double)w->planned_unix_s);
    o = json_object();
    o = cli_set(o, "start_within_s", json_real(w->within_s));
    o = cli_set(o, "expected_duration_s", json_real(w->duration_s));
    o = cli_set(o, "waited_s", json_real(w->waited_s));
    o = cli_set(o, "planned_start", json_string(at));
    o = cli_set(o, "planned_start_unix_s", json_integer(w->planned_unix_s));
    o = cli_set(o, "window_gco2e_per_kwh",
                num_or_null(w->window_gco2e_per_kwh));
    o = cli_set(o, "now_gco2e_per_kwh", num_or_null(w->now_gco2e_per_kwh));
    o = cli_set(o, "expected_saving_fraction",
                num_or_null(w->saving_fraction));
    o = cli_set(o, "expected_saving_gco2e_per_kwh",
                num_or_null(w->now_gco2e_per_kwh - w->window_gco2e_per_kwh));
    o = cli_set(o, "forecast", json_boolean(w->have_window));
    o = cli_set(o, "note", json_string(w->note));
    return cli_print_json(cli_set(r, "carbon_aware_start", o));
}
