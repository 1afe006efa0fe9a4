/*
 * tracker.h - the tracker's internals, shared by the files of lib/track/.
 *
 * Threads: the training threads call llmc_tracker_step, which touches only
 * the calling thread's slot (below) and takes no lock (a thread's first
 * step on a tracker may take the lock of the list of trackers alive, in
 * tracker.c). Everything else - the sampler thread, totals, reports,
 * phase switches - holds `mu`. The disk is written with `mu` released
 * (struct llmc__writer).
 */
#ifndef LLMC_TRACK_TRACKER_H
#define LLMC_TRACK_TRACKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "llmcarbon.h"
#include "../profile/profile.h"
#include "project.h"

#define LLMC__PHASE_NAME 32
/* Phases: any number of names, each with an entry in the growing arrays
 * below (its name, totals, resumed totals and unpriced energy in each
 * span: about 0.5 kB per distinct name, at most twice that while the
 * arrays wait for their next doubling; documented in
 * llmc_tracker_phase(3)).
 *
 * The step counters in the slots stay a fixed array, so that the step
 * hook is unchanged: an index into LLMC__HOT counters, read from the
 * atomic `phase`. Each counter index serves one phase at a time; index 0
 * is always "train". A phase that becomes current without an index takes
 * a free one, else the one whose phase has not been current for longest:
 * under mu, that phase's uncounted steps are first added to its totals,
 * and the counters (which only ever grow) count for the new phase from
 * then on. A step counts for the phase current when its thread read
 * `phase`, as before; only a thread held between that read and its count
 * while LLMC__HOT - 2 further phases became current would count its one
 * step for the newest. */
#define LLMC__HOT 16
#define LLMC__OWN_SLOTS 64            /* slots a thread can own */
#define LLMC__SLOTS (LLMC__OWN_SLOTS + 1) /* and the shared one */
#define LLMC__SWITCHES 64
/* Hints from a thread's thread pointer to its slot (tracker.c). The step
 * takes the hint's index from the top bits of a 64-bit multiplicative
 * hash, and the slot's index from the low bits of an aligned pointer. */
#define LLMC__HINT_BITS 8
#define LLMC__HINTS (1u << LLMC__HINT_BITS)
_Static_assert(LLMC__OWN_SLOTS <= 64 &&
                   (LLMC__OWN_SLOTS & (LLMC__OWN_SLOTS - 1)) == 0,
               "a hint keeps the slot's index in the 6 bits below a thread "
               "pointer aligned to 64 bytes");

/* Step counters of one thread, per phase. A thread's first step on a
 * tracker claims a free slot (a compare-and-swap on `owner`), and its
 * later steps find it again through a hint that its thread pointer hashes
 * to, or, when another thread holds that hint, through a thread-local
 * cache keyed by the tracker's `gen` (tracker.c); the owner updates the
 * slot with plain loads and stores (no read-modify-write). When every owned slot is taken, a thread counts in
 * the shared last slot, with atomic adds. A thread that exits gives its
 * slots back (the release of `owner`), counts and all: the next thread to
 * claim one goes on adding to what the dead thread counted. */
struct llmc__slot {
    _Atomic uintptr_t owner;  /* the owning thread's record, or 0: free */
    _Atomic uint64_t steps[LLMC__HOT];
    _Atomic uint64_t tokens[LLMC__HOT];
} __attribute__((aligned(64)));

struct llmc__acc {
    double energy_j;
    double operational_kgco2e;
    double embodied_kgco2e;
    double duration_s;
    double ci_energy_j; /* sum of energy x intensity, for the weighted mean */
    double unpriced_j;  /* energy of energy_j still without an intensity */
    double filled_j;    /* energy priced after its interval (spans below) */
    uint64_t steps, tokens, samples;
};

/* Energy whose interval had no grid intensity when it was sampled. It is
 * priced once a value is known: the grid's own value for the span's time,
 * else the value known nearest in time. Adjacent intervals share a span,
 * and a full list widens its last span, so an outage of any length takes
 * the same memory. */
#define LLMC__SPANS 32
#define LLMC__SPAN_MAX_S 3600.0 /* one grid value per hour at most */
struct llmc__span {
    double from_unix_s, to_unix_s;
    double *energy_j;     /* per phase, phase_cap entries; kept by the
                           * slot when spans move */
    double total_j;
    uint64_t id;          /* tells a span being priced from a later one */
    int asking;           /* the grid thread asks for its value */
    int carried;          /* a checkpoint's, of unknown time */
    double before_gco2e;  /* the value known when it began, NaN: none */
    double before_unix_s;
};

struct llmc__chan {
    int held;           /* this process counts the channel */
    int lock_fd;        /* its node lock (llmc__lock_try), or LLMC__LOCK_NONE */
    int owned;          /* this rank may compete for it at all */
    int device;         /* one device (a GPU), not node-wide or a model */
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

/* Named windows (window.c): an entry per name ever used, kept for the
 * tracker's life, so that a name's later begin/end pairs allocate nothing
 * (about 0.3 kB per name). A window's energy is the sampled energy
 * between the samples around it, less the share of the interval that held
 * its begin from before it, plus the time after the last sample at the
 * last interval's power. */
struct llmc__window {
    char name[LLMC__PHASE_NAME];
    int open;
    int pending;              /* open, with no sample since its begin */
    unsigned pending_at;      /* its place in win_pending, when pending */
    int64_t begin_ns;
    double begin_unix_s;
    struct llmc__acc base;    /* t->sampled at its begin */
    uint64_t base_steps, base_tokens; /* steps and tokens counted by then */
    struct llmc__acc head;    /* the interval that held its begin */
    int64_t head_from_ns, head_to_ns;
    /* the windows of this name that ended, summed */
    uint64_t ended, sum_steps, sum_tokens;
    double sum_energy_j, sum_operational_kgco2e, sum_embodied_kgco2e,
        sum_total_kgco2e, sum_duration_s;
};

/* An ended window waiting for the sampler to log it. */
#define LLMC__WINDOW_LINES 256
struct llmc__window_line {
    char name[LLMC__PHASE_NAME];
    double begin_unix_s, end_unix_s;
    llmc_totals totals;
};

/* What the samples give the disk. The log's lines and the checkpoint's
 * text are made under mu and queued here; the sampler thread (the grid
 * thread, stop, an inline sample) writes them after releasing mu, holding
 * io_mu, which no caller of the API takes: a phase switch or a totals
 * call never waits for a slow filesystem. Lock order: mu, then q_mu;
 * io_mu, then q_mu; io_mu is never taken with mu held. Lines leave the
 * queue in the order they were made, and one writer at a time takes
 * them, so the log keeps the order of the samples. */
struct llmc__writer {
    pthread_mutex_t io_mu;     /* held while writing */
    pthread_mutex_t q_mu;      /* the fields below, held briefly */
    FILE *log;                 /* under io_mu: the open log, or NULL */
    char *lines;               /* whole lines, each ending in '\n' */
    size_t len, cap;
    long nlines;
    char *checkpoint;          /* the newest checkpoint not yet written */
    /* what the writes came to, until llmc__writer_report takes it */
    long lost;                 /* lines that could not be written */
    int log_errno;             /* why, of the last of them */
    long dropped;              /* lines dropped while the queue was full */
    int checkpoint_errno;      /* the last checkpoint written: 0, or why
                                * it failed (kept: stop's answer) */
    int checkpoint_failed;     /* why the last that failed did, or 0 */
};

/* STARTING: one llmc_tracker_start owns the tracker until it runs or
 * fails; every other start and setter sees it taken */
enum llmc__state { LLMC__NEW = 0, LLMC__RUNNING = 1, LLMC__STOPPED = 2,
                   LLMC__STARTING = 3 };

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
    int inline_sampler;          /* the setting; steps read sample_inline */
    int require_measured;
    int fallback_none;           /* fallback=none: no estimate stands in */
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

    llmc_tracker *next_live;     /* under the live list's lock (tracker.c) */

    /* steps: lock-free */
    struct llmc__slot slots[LLMC__SLOTS];
    /* what every step reads, on a line of its own that no step writes */
    atomic_uint phase;           /* the counter index of the current phase */
    /* this tracker among all the process ever had: no other tracker, even
     * one allocated at the same address after this one is freed, has the
     * same; set by llmc_tracker_new, never changed */
    uint64_t gen;
    /* whether steps take the samples: set by the start before RUNNING */
    atomic_int sample_inline;
    /* thread pointer | slot index, or 0: each set by the thread it names
     * when it claims a slot, cleared by it when it exits */
    _Alignas(64) _Atomic uintptr_t hint[LLMC__HINTS];

    /* everything below is guarded by mu */
    char (*phase_names)[LLMC__PHASE_NAME]; /* phase_cap entries */
    unsigned nphases, phase_cap;
    unsigned cur_phase;          /* the current phase */
    int *phase_hot;              /* each phase's counter index, or -1 */
    int hot_phase[LLMC__HOT];    /* each counter index's phase, or -1 */
    uint64_t hot_used[LLMC__HOT];/* hot_clock when its phase was current */
    uint64_t hot_clock;          /* phase switches so far */
    double *phase_scratch;       /* 2 x phase_cap: the sampler's own */
    unsigned *phase_index;       /* 2 x phase_cap: open addressing on the
                                  * name's hash, phase + 1; 0 is empty */
    struct { int64_t t_ns; unsigned phase; } switches[LLMC__SWITCHES];
    unsigned nswitches;
    unsigned phase_at_last_sample;

    llmc_meter *meter;
    /* Whether a meter could read at start: LLMC_OK, or LLMC_ENODEV with
     * measure_detail naming each meter tried and what stands in (set by
     * the start, read-only after it) */
    int measure_status;
    char *measure_detail;
    struct llmc__chan *chans;
    size_t nchans;
    struct llmc__identity id;
    char boot_id[64];

    int64_t start_ns, last_ns, last_checkpoint_ns;
    int64_t start_unix_s;
    uint64_t seen_steps[LLMC__HOT], seen_tokens[LLMC__HOT]; /* per index */
    struct llmc__acc total, *phases;         /* phase_cap entries */
    struct llmc__acc resumed, *resumed_phases;
    int resumed_from_checkpoint;
    int64_t resumed_written_unix_s; /* when that checkpoint was written */
    unsigned quality;
    int measured;
    /* The grid is asked by a thread of its own (sample.c), so that no
     * sample, start or stop waits for the network; with sampler=inline,
     * by the sample itself, from the cache only. */
    pthread_t grid_thread;
    int grid_async;                /* asked by the thread, not the samples */
    int grid_thread_running;
    pthread_cond_t grid_cv;        /* wakes the grid thread, and stop */
    int grid_wake;                 /* a round is wanted */
    int grid_busy;                 /* a round is under way */
    int grid_held;                 /* manual time waits for the thread */
    int grid_quit;                 /* the thread ends; answers are dropped */
    uint64_t grid_rounds;          /* rounds completed */
    atomic_int grid_cancel;        /* ends a fetch in flight */
    llmc_intensity intensity;      /* the last answer of the grid */
    char intensity_provenance[700];/* its provenance, kept here */
    int intensity_ok;              /* the last question was answered */
    int intensity_known;           /* some question was, in this run */
    double known_unix_s;           /* when the last answer was asked */
    double grid_next_ask_unix_s;   /* the last answer holds until then */
    char grid_problem[400];        /* why the last question was not */
    struct llmc__span spans[LLMC__SPANS];
    unsigned nspans;
    uint64_t span_ids;
    double filled_by_grid_j, filled_by_nearest_j;
    double last_unix_s;            /* wall clock of the last sample */
    double embodied_per_device_kgco2e, lifetime_s;
    int embodied_included;       /* a profile with an embodied figure */
    int embodied_devices;        /* charged each interval, unless... */
    int embodied_by_held;        /* ...charged per device held instead */
    char embodied_note[512];
    int embodied_scope;            /* an llmc__embodied_scope */
    const char *embodied_method;   /* of the figure counted: "pcf", ... */
    /* the profile was found from what the meters' driver says of the
     * devices, not given: which channel said what */
    int profile_from_meters;
    char hardware_from[256];

    /* projection: train-phase J/token of each sample after the warm-up */
    struct llmc__rate rate;

    /* windows, under mu */
    struct llmc__window *windows;  /* nwindows of window_cap */
    unsigned nwindows, window_cap;
    unsigned *window_index;        /* 2 x window_cap: open addressing on
                                    * the name's hash, window + 1 */
    unsigned *win_pending;         /* window_cap: the pending windows */
    unsigned npending;
    struct llmc__acc sampled;      /* what the samples gave, this run */
    struct llmc__acc last_iv;      /* the last interval's own */
    int64_t last_iv_ns;            /* its length; 0 before the first */
    struct llmc__window_line *win_lines; /* LLMC__WINDOW_LINES, or NULL */
    unsigned nwin_lines;
    long win_lines_lost;           /* ended windows the log missed */

    FILE *log;                     /* under mu: lines are queued for it;
                                    * written through writer.log */
    long log_lines_lost;           /* under mu: stop then fails */
    struct llmc__writer writer;
    char problems[1024];           /* sinks that failed, for the report */
};

/* A caller's llmc_totals reaches at least this far. */
#define LLMC__TOTALS_MIN LLMC__FIELD_END(llmc_totals, duration_s)

/* config.c */
int llmc__tracker_apply(llmc_tracker *t, const char *key, const char *value,
                        const char *origin);
int llmc__tracker_apply_env(llmc_tracker *t);
/* Releases what the configuration keys own: strings, grid, profile. */
void llmc__tracker_config_free(llmc_tracker *t);
/* identity.c */
void llmc__identity_read(struct llmc__identity *id);
void llmc__boot_id(char *buf, size_t size);
/* election.c: takes the node lock of key. LLMC_OK with *handle the
 * process's hold on it (>= 0, for llmc__lock_release), or with *handle
 * LLMC__LOCK_NONE when another process holds it (not a failure: that
 * process reads the device). A failure (LLMC_EIO, LLMC_EBUSY when this
 * process holds too many) when no lock can be taken at all, with why
 * saying what is wrong and what to do. */
#define LLMC__LOCK_NONE (-1)
int llmc__lock_try(const llmc_tracker *t, const char *key, int *handle,
                   char *why, size_t why_size);
void llmc__lock_release(int handle);
/* sample.c: the grid thread (started and ended with mu not held), and
 * stop's wait for the pricing of what is left, at most until deadline_ns */
int llmc__grid_thread_start(llmc_tracker *t);
/* sample.c: a checkpoint's energy without an intensity waits in a span */
void llmc__spans_carry(llmc_tracker *t);
void llmc__grid_thread_end(llmc_tracker *t);
void llmc__grid_settle(llmc_tracker *t, int64_t deadline_ns);
/* sample.c: kind is one of these */
#define LLMC__SAMPLE_NORMAL 0
#define LLMC__SAMPLE_FINAL 1
#define LLMC__SAMPLE_BASELINE 2
void llmc__tracker_sample(llmc_tracker *t, int kind);
/* sample.c: adds the steps and tokens counted at index h since it was
 * last looked at to its phase and the total; returns the tokens */
uint64_t llmc__hot_harvest(llmc_tracker *t, unsigned h);
/* sinks.c */
void llmc__log_sample(llmc_tracker *t, double de_j, double op_kg,
                      double emb_kg, double dt_s);
void llmc__log_fill(llmc_tracker *t, const struct llmc__span *s,
                    double gco2e_per_kwh, double op_kg, const char *filled_by);
/* sinks.c, under mu: the checkpoint's text, queued for the writer;
 * LLMC_ERANGE or LLMC_ENOMEM (said, and a problem) when none could be
 * made, and the previous checkpoint stays */
int llmc__checkpoint_queue(llmc_tracker *t);
int llmc__checkpoint_read(llmc_tracker *t);
/* sinks.c: the writer's locks (new) and what it still holds (free) */
void llmc__writer_init(struct llmc__writer *w);
void llmc__writer_free(struct llmc__writer *w);
/* sinks.c, mu not held: writes what is queued. wait 0: returns at once
 * when another thread is writing (the lines wait for the next write). */
void llmc__writer_flush(llmc_tracker *t, int wait);
/* sinks.c, mu not held: writes what is queued and closes the log */
void llmc__writer_close(llmc_tracker *t);
/* sinks.c, under mu: the writes' failures become problems and lost
 * lines, as when the sample wrote them itself. */
void llmc__writer_report(llmc_tracker *t);
/* sinks.c, under mu: releases mu while the writer writes what is queued,
 * takes it back, and reports (llmc__writer_report) */
void llmc__writer_flush_released(llmc_tracker *t);
/* sinks.c: how the last checkpoint written fared, whichever thread wrote
 * it: LLMC_OK when it succeeded or none was; else LLMC_EPERM or LLMC_EIO
 * with the message (llmc__fail) saying why and what to do. */
int llmc__writer_checkpoint_result(llmc_tracker *t);
/* report.c */
void llmc__totals_fill(llmc_totals *full, const llmc_tracker *t, int phase);
/* tracker.c, under mu: the index of a phase, or -1 */
int llmc__phase_find(const llmc_tracker *t, const char *name);
/* tracker.c, under mu: room for n phases in every per-phase array;
 * LLMC_ENOMEM leaves the tracker as it was, larger arrays aside */
int llmc__phases_reserve(llmc_tracker *t, unsigned n);
/* tracker.c, under mu: adds a phase not there yet; its index, or -1
 * (LLMC_ENOMEM, said) */
int llmc__phase_add(llmc_tracker *t, const char *name);

/* tracker.c: FNV-1a of a name, for the phase and window indexes */
unsigned llmc__name_hash(const char *name);
/* window.c, under mu: a sample's interval [from_ns, to_ns] and what it
 * gave, for the windows; then the ended windows are logged */
void llmc__windows_sample(llmc_tracker *t, const struct llmc__acc *iv,
                          int64_t from_ns, int64_t to_ns);
void llmc__windows_free(llmc_tracker *t);
/* report.c: totals from an accumulator, as llmc__totals_fill does */
void llmc__totals_of(llmc_totals *o, const llmc_tracker *t,
                     const struct llmc__acc *s);
/* report.c, under mu: the steps and tokens counted so far, including
 * those not yet harvested */
void llmc__live_counts(const llmc_tracker *t, uint64_t *steps,
                       uint64_t *tokens);
/* sinks.c, under mu: the plan line (target_tokens) */
void llmc__log_plan(llmc_tracker *t);
/* LLMC_OK when every line of the log was written, else LLMC_EIO saying
 * how many were lost: a log that misses samples undercounts what is
 * summed or drawn from it. Under mu. */
int llmc__log_whole(const llmc_tracker *t);
/* sinks.c */
void llmc__log_window(llmc_tracker *t, const struct llmc__window_line *w);
void llmc__problem(llmc_tracker *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
