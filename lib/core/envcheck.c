/*
 * envcheck.c - "did you mean" for names given by hand: LLMC_* variables of
 * the environment, and the command line's commands and options. A variable
 * with a typo in its name (LLMC_GIRD) is otherwise ignored without a word,
 * and the run it was meant for uses a default nobody chose.
 *
 * The command line compiles this file in too (tools/meson.build), with
 * distance.c, the one measure of how far apart two names are.
 */
#include <stdio.h>
#include <string.h>

#include "envcheck.h"
#include "internal.h"

extern char **environ;

/* Every LLMC_* variable a user may set: the tracker's configuration keys
 * (lib/track/config.c, LLMC_<KEY>), the meters, the grid sources, the
 * log. A typo is told the nearest of these. */
static const char *const known[] = {
    /* tracker configuration keys */
    "LLMC_METERS", "LLMC_GRID", "LLMC_PUE", "LLMC_INTERVAL", "LLMC_LOG",
    "LLMC_CHECKPOINT", "LLMC_CHECKPOINT_INTERVAL", "LLMC_HARDWARE",
    "LLMC_DEVICES", "LLMC_TARGET_TOKENS", "LLMC_SAMPLER", "LLMC_REQUIRE",
    "LLMC_RUNTIME_DIR", "LLMC_PLAN", "LLMC_FALLBACK", "LLMC_EMBODIED_SCOPE",
    /* meters */
    "LLMC_NVML_LIBRARY", "LLMC_NVML_METHOD", "LLMC_SYSFS_ROOT",
    "LLMC_PROCFS_ROOT",
    /* grid sources */
    "LLMC_CACHE_DIR", "LLMC_CA_BUNDLE", "LLMC_ELECTRICITYMAPS_URL",
    "LLMC_CARBONINTENSITY_UK_URL", "LLMC_WATTTIME_URL", "LLMC_CURL_LIBRARY",
    /* logging */
    "LLMC_DEBUG",
    /* Slurm: the job directory the plugin gives a job, and where
     * `llmcarbon report --slurm-job` looks for job directories */
    "LLMC_SLURM_JOB_DIR", "LLMC_SLURM_LOG_DIR",
};
#define NKNOWN (sizeof known / sizeof known[0])

/* Read by the build (scripts/bootstrap) and the test suite
 * (tests/meson.build, tests/failmalloc.c): their programs run with these
 * set, so they are never warned about, and never offered to a user as
 * the name meant. */
static const char *const internal_names[] = {
    "LLMC_MESON_OPTIONS", "LLMC_CLI", "LLMC_SOURCE_ROOT", "LLMC_FAKE_NVML",
    "LLMC_FAILMALLOC_N", "LLMC_FAILMALLOC_COUNT_FILE",
};
#define NINTERNAL (sizeof internal_names / sizeof internal_names[0])

#define MAX_NAME 64

const char *llmc__nearest(const char *query, const char *const *names,
                          size_t count)
{
    size_t qlen = strlen(query);
    size_t limit = qlen <= 3 ? 1 : qlen / 3 + 1;
    size_t best_d = (size_t)-1;
    const char *best = NULL;

    for (size_t i = 0; i < count; i++) {
        size_t d;
        if (strcmp(query, names[i]) == 0)
            return NULL;
        d = llmc__edit_distance(query, names[i]);
        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    return best_d <= limit ? best : NULL;
}

int llmc__env_known(const char *name)
{
    for (size_t i = 0; i < NKNOWN; i++)
        if (strcmp(name, known[i]) == 0)
            return 1;
    return 0;
}

static int env_internal(const char *name)
{
    for (size_t i = 0; i < NINTERNAL; i++)
        if (strcmp(name, internal_names[i]) == 0)
            return 1;
    return 0;
}

size_t llmc__env_check(void (*warn)(const char *message, void *userdata),
                       void *userdata)
{
    const char *suffixes[NKNOWN];
    size_t count = 0;

    /* compared after "LLMC_", which every name shares: LLMC_FOO is no
     * typo of LLMC_LOG */
    for (size_t i = 0; i < NKNOWN; i++)
        suffixes[i] = known[i] + 5;
    for (char **e = environ; e && *e; e++) {
        char name[MAX_NAME + 1], message[400];
        const char *eq = strchr(*e, '='), *near;
        size_t len = eq ? (size_t)(eq - *e) : strlen(*e);

        if (strncmp(*e, "LLMC_", 5) != 0)
            continue;
        if (len > MAX_NAME)
            len = MAX_NAME;
        memcpy(name, *e, len);
        name[len] = '\0';
        if (llmc__env_known(name) || env_internal(name))
            continue;
        count++;
        if ((near = llmc__nearest(name + 5, suffixes, NKNOWN)) != NULL)
            snprintf(message, sizeof message,
                     "the environment variable %s is not one llmcarbon "
                     "reads, so it has no effect; did you mean LLMC_%s?",
                     name, near);
        else
            snprintf(message, sizeof message,
                     "the environment variable %s is not one llmcarbon "
                     "reads, so it has no effect; the LLMC_* variables are "
                     "listed in llmc_tracker_new(3) and llmcarbon(1)",
                     name);
        if (warn)
            warn(message, userdata);
    }
    return count;
}
