/*
 * test_mpi.c - run under mpirun (tests/check_distributed.py) as
 * `test_mpi nvml`: ranks of one node share two fake GPUs (300 W and
 * 450 W); the job's totals on rank 0 count each GPU once, its energy and
 * its embodied carbon, and add up every rank's steps and tokens. As
 * `test_mpi const`: each rank has a constant 100 W of its own (a model of
 * its process, no device to share), and the job counts every rank's.
 *
 * Exit status 0 on every rank when the figures hold; rank 0 prints them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llmcarbon_mpi.h"

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "test_mpi: rank %d: %s: ", rank, #cond);      \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
            failed = 1;                                                    \
        }                                                                  \
    } while (0)

static void sleep_ms(long ms)
{
    struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&d, &d) != 0)
        ;
}

static double rel(double got, double want)
{
    return fabs(got - want) / fabs(want);
}

int main(int argc, char **argv)
{
    llmc_tracker *t = NULL;
    llmc_totals mine, live, job, *all = NULL;
    int rank = 0, size = 0, failed = 0, rc;
    int gpus = argc < 2 || strcmp(argv[1], "const") != 0;
    /* the fake's "NVIDIA H100 80GB HBM3" is the H100 SXM5 profile: 164
     * kgCO2e over 5 years */
    const double kg_per_s = 164.0 / (5 * 365.25 * 86400);

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (llmc_tracker_new(&t) != LLMC_OK ||
        llmc_tracker_configure(t, gpus ? "meters=nvml:all; grid=const:100; "
                                         "interval=100ms"
                                       : "meters=const:100W; grid=const:100; "
                                         "interval=100ms") != LLMC_OK ||
        llmc_tracker_start(t) != LLMC_OK) {
        fprintf(stderr, "test_mpi: rank %d: no tracker: %s\n", rank,
                llmc_last_error());
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    /* rank r takes 10 (r + 1) steps of 100 tokens */
    for (int i = 0; i < 10 * (rank + 1); i++) {
        llmc_tracker_step(t, 100);
        sleep_ms(800 / (10 * (rank + 1)));
    }
    /* while the job runs: rank 0 sees the job so far */
    llmc_totals_init(&live, sizeof live);
    rc = llmc_mpi_totals(&live, t, NULL, MPI_COMM_WORLD, 0);
    CHECK(rc == LLMC_OK, "%s", llmc_mpi_last_error());
    sleep_ms(300);
    llmc_tracker_stop(t);
    MPI_Barrier(MPI_COMM_WORLD);

    llmc_totals_init(&job, sizeof job);
    rc = llmc_mpi_totals(&job, t, NULL, MPI_COMM_WORLD, 0);
    CHECK(rc == LLMC_OK, "%s", llmc_mpi_last_error());
    /* every rank's own totals, gathered here to check the job's against */
    llmc_totals_init(&mine, sizeof mine);
    llmc_tracker_totals(&mine, t, NULL);
    if (rank == 0)
        all = calloc((size_t)size, sizeof *all);
    MPI_Gather(&mine, (int)sizeof mine, MPI_BYTE, all, (int)sizeof mine,
               MPI_BYTE, 0, MPI_COMM_WORLD);
    if (rank != 0) {
        /* the others get their own totals back */
        CHECK(job.energy_j == mine.energy_j, "%g vs %g", job.energy_j,
              mine.energy_j);
        CHECK(job.steps == mine.steps, "%llu", (unsigned long long)job.steps);
    } else {
        double sum_e = 0, longest = 0;
        unsigned long long steps = 0;
        int counting = 0;
        for (int r = 0; r < size; r++) {
            sum_e += all[r].energy_j;
            steps += all[r].steps;
            counting += all[r].energy_j > 0;
            if (all[r].duration_s > longest)
                longest = all[r].duration_s;
        }
        printf("job of %d ranks: %.3f J (%d ranks counted energy), embodied "
               "%.6g kg, %llu steps, %llu tokens, %.3f s; while running "
               "%.3f J\n", size, job.energy_j, counting, job.embodied_kgco2e,
               (unsigned long long)job.steps,
               (unsigned long long)job.tokens, job.duration_s, live.energy_j);
        CHECK(rel(job.energy_j, sum_e) < 1e-12, "%g vs %g", job.energy_j,
              sum_e);
        if (gpus) {
            CHECK(counting == 2, "%d ranks counted energy, not the 2 with a "
                  "GPU", counting);
            /* GPU 0 (300 W) is local rank 0's, GPU 1 (450 W) rank 1's:
             * each counted once, for the time its rank ran */
            CHECK(rel(job.energy_j, 300.0 * all[0].duration_s +
                                        450.0 * all[1].duration_s) < 0.02,
                  "%.3f J against 300 W x %.3f s + 450 W x %.3f s",
                  job.energy_j, all[0].duration_s, all[1].duration_s);
            /* and their embodied carbon, once each */
            CHECK(rel(job.embodied_kgco2e,
                      kg_per_s * (all[0].duration_s + all[1].duration_s)) <
                      0.02,
                  "embodied %.6g kg against 2 GPUs for %.3f + %.3f s",
                  job.embodied_kgco2e, all[0].duration_s, all[1].duration_s);
        } else {
            /* every rank's own 100 W for its own time, exactly: the
             * sampler hands the const meter the clock reading that ends
             * its interval (preempted between two readings, a rank was
             * once 4 ms off in 4.5 s); a rank left out would be 25 %
             * short */
            double want = 0;
            for (int r = 0; r < size; r++)
                want += 100.0 * all[r].duration_s;
            CHECK(counting == size, "%d ranks counted energy, not %d",
                  counting, size);
            CHECK(rel(job.energy_j, want) < 1e-9, "%.6f J against %.6f J",
                  job.energy_j, want);
        }
        CHECK(job.steps == steps && steps == 10ull * size * (size + 1) / 2,
              "%llu steps", (unsigned long long)job.steps);
        CHECK(job.tokens == 100 * steps, "%llu tokens",
              (unsigned long long)job.tokens);
        CHECK(job.duration_s == longest, "%g vs %g", job.duration_s, longest);
        CHECK(job.measured == 1, "not measured");
        CHECK(live.energy_j > 0 && live.energy_j < job.energy_j,
              "live %.3f J, final %.3f J", live.energy_j, job.energy_j);
        free(all);
    }
    /* a rank without a tracker makes the job's energy unknown, not less */
    llmc_totals_init(&job, sizeof job);
    rc = llmc_mpi_totals(&job, rank == size - 1 ? NULL : t, NULL,
                         MPI_COMM_WORLD, 0);
    if (rank == 0)
        CHECK(rc == LLMC_OK && isnan(job.energy_j) && job.measured == 0,
              "rc %d, %g J", rc, job.energy_j);
    /* a root that is no rank: refused on every rank, with no collective */
    rc = llmc_mpi_totals(&job, t, NULL, MPI_COMM_WORLD, size);
    CHECK(rc == LLMC_EINVAL && strstr(llmc_mpi_last_error(), "not a rank"),
          "rc %d: %s", rc, llmc_mpi_last_error());
    llmc_tracker_free(t);
    MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Finalize();
    return failed;
}
