/*
 * llmcarbon_mpi.h - a job's totals on one rank, over MPI.
 *
 * libllmcarbon-mpi is a small library beside libllmcarbon, built where MPI
 * is found: libllmcarbon itself never links MPI. Link with
 * `pkg-config --libs llmcarbon-mpi` (it brings libllmcarbon and MPI).
 */
#ifndef LLMCARBON_MPI_H
#define LLMCARBON_MPI_H

#include <mpi.h>

#include "llmcarbon.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Collective over comm: every rank calls it at the same point (every N
 * steps, or after llmc_tracker_stop), with its tracker, or NULL where none
 * could start (its figures then count as unknown: a job's figure is known
 * only when every rank's is). On rank root, out holds the job's totals:
 * llmc_totals_combine(3) of every rank's llmc_tracker_totals for phase
 * (NULL: the whole run); on the other ranks, their own. Each device is
 * counted by one rank of its node, so each is in the sum once.
 * LLMC_OK; LLMC_EINVAL for a bad argument (on that rank, which still takes
 * part; a root outside comm on every rank, none of which takes part);
 * LLMC_ENOMEM on root when it cannot hold every rank's totals (every rank
 * then returns at once); LLMC_EIO when MPI fails, naming the call and MPI's
 * error string (only under an error handler that returns, such as
 * MPI_ERRORS_RETURN); on a rank whose tracker gives no totals, that status
 * (the rank still takes part, with unknown figures).
 * llmc_mpi_last_error() says what went wrong. */
LLMC_API int llmc_mpi_totals(llmc_totals *out, llmc_tracker *tracker,
                             const char *phase, MPI_Comm comm, int root);
/* The message of this thread's last failing llmc_mpi_totals: what was
 * wrong and what to do; "" before any. Valid until the next call. */
LLMC_API const char *llmc_mpi_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* LLMCARBON_MPI_H */
