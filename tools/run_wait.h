/* run_wait.h - `llmcarbon run --start-within DUR --expected-duration DUR`:
 * the carbon-aware start, a wait for the lowest-carbon window of a
 * grid's forecast before the command runs. */
#ifndef LLMC_TOOLS_RUN_WAIT_H
#define LLMC_TOOLS_RUN_WAIT_H

#include <stdint.h>

#include <jansson.h>

struct run_wait {
    double within_s;              /* --start-within */
    double duration_s;            /* --expected-duration */
    int have_window;              /* a forecast gave a window */
    int64_t asked_unix_s;         /* when the window was looked for */
    int64_t planned_unix_s;       /* the window's start (asked when none) */
    double window_gco2e_per_kwh;  /* its mean; NaN without a forecast */
    double now_gco2e_per_kwh;     /* the mean starting at once */
    double saving_fraction;       /* 1 - window / now; NaN without one */
    double waited_s;              /* the time waited, s */
    char note[700];               /* why it started at once; "" if it waited */
};

/* Reads --start-within and --expected-duration (either may be NULL when
 * not given; both or neither): CLI_CONTINUE with w filled and *wanted 1
 * when a start is to be chosen, 0 when neither was given; CLI_USAGE after
 * saying what is wrong. Forms: llmc_quantity_parse's durations, a bare
 * number in hours ("1.5", "90min", "2h", "1d"). */
int run_wait_parse(struct run_wait *w, int *wanted, const char *within,
                   const char *duration);
/* Finds the best window of grid_spec's forecast (NULL: the run's default
 * grid, which has none) that starts within w->within_s, says on stderr
 * when and why it waits, and waits on the real clock for its start;
 * without a forecast, or when now is best, it starts at once and says
 * why. CLI_CONTINUE to run command, or 128 + the signal (SIGINT 130,
 * SIGTERM 143) that ended the wait, with nothing run. */
int run_wait(struct run_wait *w, const char *grid_spec, const char *command);
/* Before a wait: whether a file the tracker will write when the wait is
 * over (what: "--log", "LLMC_CHECKPOINT", ...; path NULL when not given)
 * can be written, so that a path the run cannot use is said now, not
 * after hours of waiting. CLI_CONTINUE, or CLI_FAILED after saying which
 * path and why. The tracker's start still checks it, as it always does. */
int run_wait_check_path(const char *what, const char *path);
/* Whether the grid answered for t from a forecast-less source (static
 * or const, e.g. the end of a chain whose live source failed): *why
 * then says which and why the others did not answer. For a window
 * chosen from it, every window was the same: no forecast chose it. */
int answered_without_forecast(llmc_grid *g, int64_t t, char *why,
                              size_t size);
/* The wait as the member "carbon_aware_start" of the run's JSON report:
 * report (the library's text) with it added, as cli_print_json prints
 * it; CLI_OK, or CLI_FAILED after saying why on stderr. */
int run_wait_print_json(const char *report, const struct run_wait *w);

#endif
