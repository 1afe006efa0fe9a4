/*
 * tracker.h - the tracker's internals, shared by the files of lib/track/.
 *
 * Threads: the training threads call llmc_tracker_step, which touches only
 * the calling thread's slot (below) and takes no lock. Everything else -
 * the sampler thread, totals, reports, phase switches - holds `mu`.
 */
#ifndef LLMC_TRACK_TRACKER_H
#define LLMC_TRACK_TRACKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "llmcarbon.h"

#define LLMC__PHASES 16
#define LLMC__PHASE_NAME 32
#define LLMC__OWN_SLOTS 64            /* slots a thread can own */
#define LLMC__SLOTS (LLMC__OWN_SLOTS + 1) /* and the shared one */
#define LLMC__SWITCHES 64

/* Step counters of one thread, per phase. A thread finds its slot from its
 * thread pointer (a hash: no thread-local variable, no call) and claims it
 * once; the owner updates it with plain loads and stores (no
 * read-modify-write). A thread whose slot another live thread owns uses the
 * shared last slot, with atomic adds. A dead thread's slot passes to the
 * next thread with its thread pointer, which cannot run beside it. */
struct llmc__slot {
    _Atomic uintptr_t owner;
    _Atomic uint64_t steps[LLMC__PHASES];
    _Atomic uint64_t tokens[LLMC__PHASES];
} __attribute__((aligned(64)));

struct llmc__acc {
    double energy_j;
    double operational_kgco2e;
    double embodied_kgco2e;
    double duration_s;
    double ci_energy_j; /* sum of energy x intensity, for the weighted mean */
    uint64_t steps, tokens, samples;
};

struct llmc__chan {
    int held;           /* this process counts the channel */
    int lock_fd;        /* the flock that makes it so, or -1 */
    int owned;          /* this rank may compete for it at all */
    double last_j;      /* energy_j at the previous sample */
    double counted_j;   /* what this process counted */
    double delta_j;     /* what it counted in the last interval */
    char note[200];     /* why it is not counted here, when it is not */
};

struct llmc__identity {
    char host[128];
    char job[64];
    int rank, local_rank, world_size, local_world_size; /* -1 unknown */
};

enum llmc__state { LLMC__NEW = 0, LLMC__RUNNING = 1, LLMC__STOPPED = 2 };

struct llmc_tracker {
    /* configuration */
    char *meters_spec;
    llmc_grid *grid;
    double pue;
    double interval_s;
    char *log_path;
    char *checkpoint_path;
    double checkpoint_interval_s;
    llmc_profile *profile;
    int devices;                 /* 0: count the devices read here */
    uint64_t target_tokens;
    double plan_lo_kgco2e, plan_hi_kgco2e; /* the ex-ante estimate; NAN */
    int inline_sampler;
    int require_measured;
    char *runtime_dir;
    llmc_sync_fn sync;
    void *sync_userdata;

    /* life */
    atomic_int state;
    pid_t owner_pid;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int thread_running;
    int stop_requested;
    int stop_finished; /* under mu: the stop that won has returned */
    int stop_rc;       /* under mu: and what it returned */
    int exit_pin;      /* under running_mu: the exit handler stops it */
    llmc_tracker *next_running; /* under running_mu */
    atomic_flag inline_busy;
    _Atomic int64_t next_inline_ns;

    /* steps: lock-free */
    struct llmc__slot slots[LLMC__SLOTS];
    atomic_uint phase;

    /* everything below is guarded by mu */
    char phase_names[LLMC__PHASES][LLMC__PHASE_NAME];
    unsigned nphases;
    struct { int64_t t_ns; unsigned phase; } switches[LLMC__SWITCHES];
    unsigned nswitches;
    unsigned phase_at_last_sample;

    llmc_meter *meter;
    struct llmc__chan *chans;
    size_t nchans;
    struct llmc__identity id;
    char boot_id[64];

    int64_t start_ns, last_ns, last_checkpoint_ns;
    int64_t start_unix_s;
    uint64_t seen_steps[LLMC__PHASES], seen_tokens[LLMC__PHASES];
    struct llmc__acc total, phases[LLMC__PHASES];
    struct llmc__acc resumed, resumed_phases[LLMC__PHASES];
    int resumed_from_checkpoint;
    unsigned quality;
    int measured;
    llmc_intensity intensity;      /* the last answer of the grid */
    llmc_intensity prefetched;     /* fetched by the sampler outside mu */
    int prefetched_rc;             /* its status; 1 = nothing prefetched */
    char prefetched_error[400];
    int intensity_ok;
    char grid_problem[400];
    double embodied_per_device_kgco2e, lifetime_s;
    int embodied_devices;
    char embodied_note[256];

    /* projection: train-phase J/token of each sample after the warm-up */
    unsigned train_samples;
    double rate_n, rate_mean, rate_m2;
    double post_warmup_j, post_warmup_tokens, post_warmup_s;

    FILE *log;
    char problems[1024];           /* sinks that failed, for the report */
};

/* config.c */
int llmc__tracker_apply(llmc_tracker *t, const char *key, const char *value,
                        const char *origin);
int llmc__tracker_apply_env(llmc_tracker *t);
/* Releases what the configuration keys own: strings, grid, profile. */
void llmc__tracker_config_free(llmc_tracker *t);
/* identity.c */
void llmc__identity_read(struct llmc__identity *id);
void llmc__boot_id(char *buf, size_t size);
/* election.c */
int llmc__lock_try(const llmc_tracker *t, const char *key);
void llmc__lock_release(int fd);
/* sample.c: the grid's answer for now, asked without mu held (it may
 * wait for the network); the next sample uses it */
void llmc__tracker_prefetch(llmc_tracker *t);
/* sample.c: kind is one of these */
#define LLMC__SAMPLE_NORMAL 0
#define LLMC__SAMPLE_FINAL 1
#define LLMC__SAMPLE_BASELINE 2
void llmc__tracker_sample(llmc_tracker *t, int kind);
/* sinks.c */
void llmc__log_sample(llmc_tracker *t, double de_j, double op_kg,
                      double emb_kg, double dt_s);
int llmc__checkpoint_write(llmc_tracker *t);
int llmc__checkpoint_read(llmc_tracker *t);
/* report.c */
void llmc__totals_fill(llmc_totals *full, const llmc_tracker *t, int phase);
int llmc__phase_find(const llmc_tracker *t, const char *name);

void llmc__problem(llmc_tracker *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
