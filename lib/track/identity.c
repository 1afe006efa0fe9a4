/*
 * identity.c - who this process is in a job: host, job id, rank and local
 * rank, from the variables launchers set (torchrun, Slurm, Open MPI, PMI,
 * Flux). Never from polling a scheduler.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/internal.h"
#include "tracker.h"

static int first_int(const char *const *vars)
{
    for (; *vars; vars++) {
        const char *v = getenv(*vars);
        char *end;
        long n;
        if (!v || !*v)
            continue;
        n = strtol(v, &end, 10);
        if (!*end && n >= 0 && n < 1 << 30)
            return (int)n;
    }
    return -1;
}

void llmc__identity_read(struct llmc__identity *id)
{
    static const char *const rank[] = {"RANK", "SLURM_PROCID",
                                       "OMPI_COMM_WORLD_RANK", "PMI_RANK",
                                       "PMIX_RANK", "FLUX_TASK_RANK", NULL};
    static const char *const local[] = {"LOCAL_RANK", "SLURM_LOCALID",
                                        "OMPI_COMM_WORLD_LOCAL_RANK",
                                        "MPI_LOCALRANKID", "FLUX_TASK_LOCAL_ID",
                                        NULL};
    static const char *const world[] = {"WORLD_SIZE", "SLURM_NTASKS",
                                        "OMPI_COMM_WORLD_SIZE", "PMI_SIZE",
                                        NULL};
    static const char *const local_world[] = {
        "LOCAL_WORLD_SIZE", "SLURM_NTASKS_PER_NODE",
        "OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", NULL};
    static const char *const job[] = {"SLURM_JOB_ID", "PBS_JOBID", "LSB_JOBID",
                                      "FLUX_JOB_ID", "TORCHELASTIC_RUN_ID",
                                      NULL};

    memset(id, 0, sizeof *id);
    if (gethostname(id->host, sizeof id->host - 1) != 0)
        snprintf(id->host, sizeof id->host, "unknown");
    for (const char *const *v = job; *v; v++)
        if (getenv(*v) && *getenv(*v)) {
            snprintf(id->job, sizeof id->job, "%s", getenv(*v));
            break;
        }
    id->rank = first_int(rank);
    id->local_rank = first_int(local);
    id->world_size = first_int(world);
    id->local_world_size = first_int(local_world);
}

void llmc__boot_id(char *buf, size_t size)
{
    char path[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/sys/kernel/random/boot_id",
             llmc__procfs_root());
    buf[0] = '\0';
    if ((f = fopen(path, "r")) != NULL) {
        if (fgets(buf, (int)size, f))
            buf[strcspn(buf, "\n")] = '\0';
        fclose(f);
    }
    if (!*buf) /* without a boot id, the host name keys the node */
        gethostname(buf, size - 1);
}
