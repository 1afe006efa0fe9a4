/* progress.h - `llmcarbon run`'s live line on a terminal: the figures so
 * far, redrawn once a second on stderr while the command runs. */
#ifndef LLMC_TOOLS_PROGRESS_H
#define LLMC_TOOLS_PROGRESS_H

#include "llmcarbon.h"

struct progress;

/* Starts redrawing the line for t (running) once a second, on a thread of
 * its own that reads llmc_tracker_totals and never waits on the command.
 * The projection is the tracker's (at target_tokens) when it has one,
 * else, with expected_s (--expected-duration; NaN when not given), the
 * CO2e so far carried on at its rate to expected_s. NULL when the line
 * is not wanted or cannot be started (nothing said: the line is a
 * convenience, the run goes on without it). */
struct progress *progress_start(llmc_tracker *t, int quiet,
                                double expected_s);
/* Stops redrawing and erases the line, so that what is written next
 * starts on a clean line; releases p. NULL does nothing. */
void progress_stop(struct progress *p);

#endif
