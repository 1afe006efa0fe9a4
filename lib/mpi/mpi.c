/*
 * mpi.c - libllmcarbon-mpi: each rank's totals gathered on one rank and
 * combined there (llmc_totals_combine). Only public calls of libllmcarbon
 * are used, as by any program that links it.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmcarbon_mpi.h"

/* What the last failing call in this thread said (llmc_mpi_last_error). */
static _Thread_local char last_error[1024];

static int fail(int rc, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(last_error, sizeof last_error, "llmc_mpi_totals: ");
    va_start(ap, fmt);
    vsnprintf(last_error + n, sizeof last_error - (size_t)n, fmt, ap);
    va_end(ap);
    return rc;
}

LLMC_API const char *llmc_mpi_last_error(void)
{
    return last_error;
}

/* Totals that know nothing: a rank without a tracker, or whose tracker
 * could not give any. Counts stay 0; figures are NaN. */
static void unknown_totals(llmc_totals *t)
{
    llmc_totals_init(t, sizeof *t);
    t->duration_s = t->energy_j = t->energy_kwh = NAN;
    t->operational_kgco2e = t->embodied_kgco2e = t->total_kgco2e = NAN;
    t->j_per_token = t->gco2e_per_token = NAN;
    t->intensity_gco2e_per_kwh = NAN;
    t->projected_total_kgco2e = t->projected_low_kgco2e = NAN;
    t->projected_high_kgco2e = NAN;
}

/* As far as the caller's struct reaches, keeping its size. */
static int copy_out(llmc_totals *out, const llmc_totals *full)
{
    uint32_t size = out->size;
    if (size < offsetof(llmc_totals, duration_s) + sizeof(double))
        return fail(LLMC_EINVAL, "out has size %u; fill it with "
                    "llmc_totals_init first", (unsigned)size);
    memcpy(out, full, size < sizeof *full ? size : sizeof *full);
    out->size = size;
    return LLMC_OK;
}

static int mpi_failed(const char *call, int err)
{
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(err, text, &len) != MPI_SUCCESS)
        snprintf(text, sizeof text, "MPI error %d", err);
    return fail(LLMC_EIO, "%s failed: %s; the job's totals are not known",
                call, text);
}

LLMC_API int llmc_mpi_totals(llmc_totals *out, llmc_tracker *tracker,
                        const char *phase, MPI_Comm comm, int root)
{
    llmc_totals mine, *all = NULL;
    const llmc_totals **parts = NULL;
    int rank, size, err, rc, local = LLMC_OK, ready = 0;

    if ((err = MPI_Comm_rank(comm, &rank)) != MPI_SUCCESS)
        return mpi_failed("MPI_Comm_rank", err);
    if ((err = MPI_Comm_size(comm, &size)) != MPI_SUCCESS)
        return mpi_failed("MPI_Comm_size", err);
    /* every rank sees the same root: none enters the collective */
    if (root < 0 || root >= size)
        return fail(LLMC_EINVAL, "root %d is not a rank of a communicator "
                    "of %d", root, size);
    /* this rank takes part whatever happens to it: the others wait */
    llmc_totals_init(&mine, sizeof mine);
    if (!out)
        local = fail(LLMC_EINVAL, "out is NULL");
    if (!tracker) {
        unknown_totals(&mine);
    } else if ((rc = llmc_tracker_totals(&mine, tracker, phase)) != LLMC_OK) {
        if (local == LLMC_OK)
            local = fail(rc, "this rank's totals: %s", llmc_last_error());
        unknown_totals(&mine);
    }
    /* root says first whether it can receive, so that no rank enters a
     * gather that root cannot complete */
    if (rank == root) {
        all = malloc((size_t)size * sizeof *all);
        parts = malloc((size_t)size * sizeof *parts);
        ready = all && parts;
    }
    if ((err = MPI_Bcast(&ready, 1, MPI_INT, root, comm)) != MPI_SUCCESS) {
        free(all);
        free(parts);
        return mpi_failed("MPI_Bcast", err);
    }
    if (!ready) {
        free(all);
        free(parts);
        if (rank == root)
            return fail(LLMC_ENOMEM, "out of memory for the totals of %d "
                        "ranks on rank %d", size, root);
    } else if ((err = MPI_Gather(&mine, (int)sizeof mine, MPI_BYTE, all,
                                 (int)sizeof mine, MPI_BYTE, root,
                                 comm)) != MPI_SUCCESS) {
        free(all);
        free(parts);
        return mpi_failed("MPI_Gather", err);
    }
    if (rank != root) {
        if (local != LLMC_OK)
            return local;
        return copy_out(out, &mine);
    }
    for (int i = 0; i < size; i++)
        parts[i] = &all[i];
    if (local == LLMC_EINVAL)
        rc = LLMC_EINVAL;
    else {
        llmc_totals job;
        llmc_totals_init(&job, sizeof job);
        rc = llmc_totals_combine(&job, parts, (size_t)size);
        if (rc != LLMC_OK)
            rc = fail(rc, "%s", llmc_last_error());
        else
            rc = copy_out(out, &job);
    }
    free(all);
    free(parts);
    return rc;
}
