/*
 * runlog.h - what the run-log reader (runlog.c) keeps beyond its public
 * accessors, for the reports of lib/track/ that draw a run: the grids,
 * PUEs and meters its samples assumed, the named windows' lines, and the
 * fill lines' prices.
 */
#ifndef LLMC_TRACK_RUNLOG_H
#define LLMC_TRACK_RUNLOG_H

#include <stddef.h>
#include <stdint.h>

#include "llmcarbon.h"

/* What a sample's intensity was, as its line says (intensity_kind). */
enum llmc__ci_kind {
    LLMC__CI_UNKNOWN = 0, /* no intensity, or a log without the key */
    LLMC__CI_MEASURED = 1,
    LLMC__CI_ESTIMATED = 2,
    LLMC__CI_FORECAST = 3,
    LLMC__CI_FILLED = 4 /* none when logged; a fill line priced it */
};
/* "measured", "estimated", "forecast", "filled"; NULL for unknown. */
const char *llmc__ci_kind_name(unsigned kind);
/* The kind so named (one of the four above), or LLMC__CI_UNKNOWN. */
unsigned llmc__ci_kind_of(const char *name);

/* A grid spec with its basis, and the samples that named it. */
struct llmc__run_source {
    const char *spec, *basis;
    uint64_t samples;
};
struct llmc__run_meter {
    const char *name, *method;
};
/* A window's line (sinks.c); NaN where the line has null. */
struct llmc__run_window {
    const char *name, *host;
    long long rank;
    double begin_unix_s, end_unix_s, energy_j, operational_kgco2e,
        embodied_kgco2e, total_kgco2e;
};
struct llmc__run_fill {
    double from_unix_s, to_unix_s, energy_j, gco2e_per_kwh,
        operational_kgco2e;
};
/* Of a log read with its samples (empty without); all live as long as
 * the log. */
struct llmc__run_facts {
    const struct llmc__run_source *source;
    size_t nsource;
    const double *pue;
    size_t npue;
    const struct llmc__run_meter *meter;
    size_t nmeter;
    const struct llmc__run_window *window;
    size_t nwindow;
    double first_unix_s, last_unix_s; /* NaN without a sample */
};
void llmc__runlog_facts(struct llmc__run_facts *out, const llmc_runlog *log);
/* A sample handed over as it is read: 0 to go on, else the reading stops
 * (out of memory). */
typedef int (*llmc__sample_fn)(void *ctx, const llmc_run_sample *sample);
/* The paths and PUE override of a log read without samples, to read it
 * again with llmc__runlog_read_each_upto; 0 when it cannot be (a path that is
 * not a regular file, or a log read with its samples). */
size_t llmc__runlog_paths(const char *const **out_paths, double *out_pue,
                          const llmc_runlog *log);
/* A reading bounded in bytes: of paths[i], only the lines that end, with
 * their newline, within its first limit_bytes[i] bytes (-1: all; NULL:
 * all of every path); a line that passes the bound is not read. A log of
 * a running tracker so read, and read again to the same bounds, counts
 * the same samples both times while its tracker appends to it. A log read
 * without samples keeps its bounds for the reading again
 * (llmc__runlog_limits: NULL when unbounded, else one per path of
 * llmc__runlog_paths). */
int llmc__runlog_read_upto(llmc_runlog **out, const char *const *paths,
                           const long long *limit_bytes, size_t npaths,
                           llmc_grid *grid, double pue, unsigned flags);
/* The same reading with LLMC_RUNLOG_NO_SAMPLES, handing each sample
 * counted to each as it is read (its strings and arrays live until the
 * call returns), and keeping the facts above as a reading with samples
 * does: a month of samples drawn in the memory of its processes. */
int llmc__runlog_read_each_upto(llmc_runlog **out, const char *const *paths,
                                const long long *limit_bytes, size_t npaths,
                                double pue, llmc__sample_fn each, void *ctx);
const long long *llmc__runlog_limits(const llmc_runlog *log);
/* For the tests, of llmc_tracker_report_html (report_html.c): the samples
 * its first reading of the last log it drew kept, and a function called
 * between that reading and the one that draws (NULL: none), which may
 * append to the log. */
extern _Atomic size_t llmc__html_samples_kept;
extern void (*llmc__html_between_readings)(const char *path);
size_t llmc__runlog_fill_count(const llmc_runlog *log);
void llmc__runlog_fill(struct llmc__run_fill *out, const llmc_runlog *log,
                       size_t index);
/* The projection of totals f read from a log, shaped as the tracker's
 * report's "projection" object (target_tokens null without a plan, and a
 * note that says why none was made); *ok is cleared for want of memory. */
struct json_t;
struct json_t *llmc__run_projection_json(const llmc_run_totals *f, int *ok);

#endif
