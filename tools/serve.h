/* serve.h - a tracker's metrics for Prometheus: served over HTTP
 * (libmicrohttpd, when this program was built with it) and written to a
 * file for node_exporter's textfile collector; shared by `run --metrics`
 * and `exporter`. */
#ifndef LLMC_TOOLS_SERVE_H
#define LLMC_TOOLS_SERVE_H

#include "llmcarbon.h"

struct metrics_out;

/* Starts what was asked for t: listen ("HOST:PORT", "[V6]:PORT" or
 * ":PORT" for every address; NULL: no server), given as flag ("--metrics",
 * "--listen"), and textfile (NULL: none), written at once and then every
 * interval_s. flags: those of llmc_tracker_metrics_text
 * (LLMC_METRICS_NO_STEPS). The address served is said on stderr. CLI_OK,
 * or CLI_FAILED after saying on stderr why (the address in use, a
 * textfile that cannot be written, no HTTP server built in), with *out
 * NULL. Call it with the signals the command handles blocked or not:
 * its threads block them. */
int metrics_out_start(struct metrics_out **out, const char *cmd,
                      llmc_tracker *t, const char *flag, const char *listen,
                      const char *textfile, double interval_s,
                      unsigned flags);
/* Whether listen (given as flag) can be served, checked before anything
 * starts: CLI_CONTINUE when it can (or is NULL), else the exit status after saying
 * why: CLI_USAGE for an address of the wrong shape, CLI_FAILED when this
 * program was built without an HTTP server (with what to install). */
int metrics_check_listen(const char *cmd, const char *flag,
                         const char *listen);
/* Writes the textfile once more (call it after the tracker's stop, for
 * the final figures), stops the server and releases m. CLI_OK, or
 * CLI_FAILED when the last textfile could not be written (said). NULL
 * does nothing. */
int metrics_out_stop(struct metrics_out *m);

/* The sampling interval a run will use, s: value (a --interval or
 * LLMC_INTERVAL value), else 1. */
double metrics_interval_s(const char *value);

#endif
