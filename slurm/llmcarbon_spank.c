/*
 * llmcarbon_spank.c - a Slurm SPANK plugin that measures each step of a job
 * on each node with llmcarbon.
 *
 * The plugin itself never links libllmcarbon: slurmstepd is threaded and
 * runs the job, so the tracker runs in a process of its own,
 * llmcarbon-spank-helper, started (fork and exec, nothing else between)
 * before the step's tasks and stopped when the last of them has exited.
 * The helper runs as the job's user, holds the node's device locks in a
 * per-job lock directory, and the tasks are told that directory through
 * LLMC_RUNTIME_DIR, so a tracker inside the job (C, Python, `llmcarbon
 * run`) counts 0 J for what the plugin already counts.
 *
 * Nothing here fails a job: every callback returns 0, and what goes wrong
 * is logged through slurm_error() (slurmd's log) and leaves the step
 * unmeasured.
 *
 * plugstack.conf:
 *   optional llmcarbon_spank.so [default=off|on] [logdir=DIR] [grid=SPEC]
 *       [pue=X] [meters=SPEC] [interval=DUR] [rundir=DIR] [helper=PATH]
 * user: sbatch/srun --llmcarbon[=CONFIG]   (CONFIG "key=value;...", or off)
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/spank.h>

/* the macro ends in its own semicolon */
SPANK_PLUGIN(llmcarbon, 1)

#ifndef LLMC_SPANK_HELPER
#define LLMC_SPANK_HELPER "/usr/libexec/llmcarbon-spank-helper"
#endif
#ifndef LLMC_SPANK_LOGDIR
#define LLMC_SPANK_LOGDIR "/var/log/llmcarbon/slurm"
#endif

/* How long the helper may take to open its meters, and to stop. */
#define START_WAIT_MS 20000
#define STOP_WAIT_MS 30000

extern char **environ;

static struct site_options {
    int default_on;
    char logdir[PATH_MAX];
    char rundir[PATH_MAX];
    char helper[PATH_MAX];
    char grid[256];
    char pue[32];
    char meters[256];
    char interval[32];
} site;

static int user_given;          /* --llmcarbon seen                        */
static char user_config[1024];  /* its CONFIG ("" without one)             */

/* The running helper of this step in this slurmstepd. */
static pid_t helper_pid = -1;
static int helper_stop_fd = -1;   /* closing it tells the helper to stop  */
static int helper_status_fd = -1; /* the helper's one-line reports        */
static uint32_t tasks_left;
static char step_label[64];

static int user_option(int val, const char *optarg, int remote)
{
    (void)val;
    (void)remote;
    user_given = 1;
    snprintf(user_config, sizeof user_config, "%s", optarg ? optarg : "");
    return 0;
}

static struct spank_option option = {
    "llmcarbon", "[CONFIG]",
    "Measure this job's energy and CO2e on each node with llmcarbon; "
    "CONFIG is key=value;... of llmc_tracker_new(3) (meters, grid, pue, "
    "interval), or off. The job summary is in the job directory and from "
    "`llmcarbon report --slurm-job JOBID`.",
    2, 0, user_option};

/* Everywhere (sbatch, salloc, srun, slurmstepd): the user's option,
 * registered here since sbatch and salloc ignore a spank_options table. */
int slurm_spank_init(spank_t sp, int ac, char **av)
{
    spank_err_t rc;
    (void)ac;
    (void)av;
    if ((rc = spank_option_register(sp, &option)) != ESPANK_SUCCESS)
        slurm_error("llmcarbon: cannot register --llmcarbon: %s",
                    spank_strerror(rc));
    return 0;
}

static int copy_value(char *dst, size_t size, const char *arg, size_t keylen)
{
    const char *v = arg + keylen;
    if (strlen(v) >= size) {
        slurm_error("llmcarbon: plugstack.conf: '%s' is too long (at most "
                    "%zu bytes); the default is used", arg, size - 1);
        return -1;
    }
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

/* The site's options from plugstack.conf; unknown ones are logged. */
static void read_site(int ac, char **av)
{
    memset(&site, 0, sizeof site);
    snprintf(site.logdir, sizeof site.logdir, "%s", LLMC_SPANK_LOGDIR);
    snprintf(site.rundir, sizeof site.rundir, "%s", "/tmp");
    snprintf(site.helper, sizeof site.helper, "%s", LLMC_SPANK_HELPER);
    snprintf(site.meters, sizeof site.meters, "%s", "auto");
    for (int i = 0; i < ac; i++) {
        /* the options that take a value, and where it goes */
        static const struct {
            const char *prefix;
            size_t offset, size;
        } valued[] = {
#define SITE_TEXT(name)                                                     \
    {#name "=", offsetof(struct site_options, name), sizeof site.name}
            SITE_TEXT(logdir), SITE_TEXT(rundir), SITE_TEXT(helper),
            SITE_TEXT(grid), SITE_TEXT(pue), SITE_TEXT(meters),
            SITE_TEXT(interval),
#undef SITE_TEXT
        };
        const char *a = av[i];
        size_t k, n = sizeof valued / sizeof valued[0];
        if (strcmp(a, "default=on") == 0 || strcmp(a, "default=off") == 0) {
            site.default_on = strcmp(a, "default=on") == 0;
            continue;
        }
        for (k = 0; k < n; k++) {
            size_t len = strlen(valued[k].prefix);
            if (strncmp(a, valued[k].prefix, len) == 0) {
                copy_value((char *)&site + valued[k].offset, valued[k].size,
                           a, len);
                break;
            }
        }
        if (k == n)
            slurm_error("llmcarbon: plugstack.conf: unknown option '%s'; "
                        "known: default=on|off, logdir=, rundir=, helper=, "
                        "grid=, pue=, meters=, interval=", a);
    }
}

/* Whether this job asked to be measured (or the site measures all). */
static int wanted(void)
{
    if (!user_given)
        return site.default_on;
    return strcmp(user_config, "off") != 0 && strcmp(user_config, "no") != 0;
}

struct job {
    uint32_t id, step;
    uid_t uid;
    gid_t gid;
    char dir[PATH_MAX];  /* logdir/JOBID: logs, totals, summary */
    char locks[PATH_MAX]; /* rundir/llmcarbon-job-JOBID: device locks */
};

static int job_items(spank_t sp, struct job *job)
{
    int n;
    if (spank_get_item(sp, S_JOB_ID, &job->id) != ESPANK_SUCCESS ||
        spank_get_item(sp, S_JOB_STEPID, &job->step) != ESPANK_SUCCESS ||
        spank_get_item(sp, S_JOB_UID, &job->uid) != ESPANK_SUCCESS ||
        spank_get_item(sp, S_JOB_GID, &job->gid) != ESPANK_SUCCESS) {
        slurm_error("llmcarbon: the job's id, step or user is not known "
                    "here; this step is not measured");
        return -1;
    }
    n = snprintf(job->dir, sizeof job->dir, "%s/%u", site.logdir, job->id);
    if (n < 0 || (size_t)n >= sizeof job->dir)
        goto long_path;
    n = snprintf(job->locks, sizeof job->locks, "%s/llmcarbon-job-%u",
                 site.rundir, job->id);
    if (n < 0 || (size_t)n >= sizeof job->locks)
        goto long_path;
    return 0;
long_path:
    slurm_error("llmcarbon: logdir or rundir in plugstack.conf is too long; "
                "this step is not measured");
    return -1;
}

/* dir made (mode) or already there as a directory, not a link, owned by
 * root or the job's user, then given to the job's user. */
static int own_dir(const char *dir, mode_t mode, const struct job *job)
{
    struct stat st;
    if (mkdir(dir, mode) != 0 && errno != EEXIST) {
        slurm_error("llmcarbon: cannot create '%s': %s; check logdir and "
                    "rundir in plugstack.conf; this step is not measured",
                    dir, strerror(errno));
        return -1;
    }
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
        (st.st_uid != 0 && st.st_uid != job->uid)) {
        slurm_error("llmcarbon: '%s' is not a directory of root or of uid "
                    "%u; remove it; this step is not measured", dir,
                    (unsigned)job->uid);
        return -1;
    }
    if (chown(dir, job->uid, job->gid) != 0 || chmod(dir, mode) != 0) {
        slurm_error("llmcarbon: cannot give '%s' to uid %u: %s; this step "
                    "is not measured", dir, (unsigned)job->uid,
                    strerror(errno));
        return -1;
    }
    return 0;
}

/* In slurmstepd, as root, before privileges are dropped: the job's
 * directory and its lock directory, both the job user's. */
int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
    struct job job;
    if (!spank_remote(sp))
        return 0;
    read_site(ac, av);
    if (!wanted() || job_items(sp, &job) != 0)
        return 0;
    if (job.step == SLURM_EXTERN_CONT)
        return 0;
    if (mkdir(site.logdir, 0755) != 0 && errno != EEXIST)
        slurm_error("llmcarbon: cannot create logdir '%s': %s", site.logdir,
                    strerror(errno));
    own_dir(job.dir, 0755, &job);
    own_dir(job.locks, 0700, &job);
    return 0;
}

/* An environment entry "NAME=value" into env[*n] (malloc'd); 0 or -1. */
static int env_put(char **env, size_t *n, const char *name, const char *value)
{
    size_t len = strlen(name) + strlen(value) + 2;
    char *s = malloc(len);
    if (!s)
        return -1;
    snprintf(s, len, "%s=%s", name, value);
    env[(*n)++] = s;
    return 0;
}

static void env_free(char **env)
{
    for (size_t i = 0; env && env[i]; i++)
        free(env[i]);
    free(env);
}

/* The helper's environment: slurmstepd's own (the site's LLMC_* and the
 * meters' settings), the job's ids, and the GPUs the job was given:
 * CUDA_VISIBLE_DEVICES of the job, else Slurm's GPU list of the step or
 * job; with none the node's GPUs are read. */
static char **helper_env(spank_t sp, const struct job *job)
{
    static const char *const gpu_vars[] = {
        "CUDA_VISIBLE_DEVICES", "SLURM_STEP_GPUS", "SLURM_JOB_GPUS"};
    size_t count = 0, n = 0;
    char value[1024], num[32];
    char **env;

    while (environ && environ[count])
        count++;
    if (!(env = calloc(count + 8, sizeof *env)))
        return NULL;
    for (size_t i = 0; i < count; i++) {
        const char *e = environ[i];
        if (strncmp(e, "CUDA_VISIBLE_DEVICES=", 21) == 0 ||
            strncmp(e, "SLURM_JOB_ID=", 13) == 0 ||
            strncmp(e, "SLURM_STEP_ID=", 14) == 0 ||
            strncmp(e, "LLMC_RUNTIME_DIR=", 17) == 0 ||
            strncmp(e, "LLMC_LOG=", 9) == 0)
            continue;
        if (!(env[n++] = strdup(e)))
            goto fail;
    }
    for (size_t i = 0; i < sizeof gpu_vars / sizeof gpu_vars[0]; i++)
        if (spank_getenv(sp, gpu_vars[i], value, sizeof value) ==
                ESPANK_SUCCESS && *value) {
            if (env_put(env, &n, "CUDA_VISIBLE_DEVICES", value) != 0)
                goto fail;
            break;
        }
    snprintf(num, sizeof num, "%u", job->id);
    if (env_put(env, &n, "SLURM_JOB_ID", num) != 0)
        goto fail;
    if (env_put(env, &n, "SLURM_STEP_ID", step_label) != 0)
        goto fail;
    return env;
fail:
    env_free(env);
    return NULL;
}

/* Reads one line from the helper within ms; "" when it said nothing. */
static void read_status(char *line, size_t size, int ms)
{
    size_t n = 0;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    line[0] = '\0';
    while (n + 1 < size) {
        struct pollfd p = {helper_status_fd, POLLIN, 0};
        long spent;
        ssize_t r;
        clock_gettime(CLOCK_MONOTONIC, &t);
        spent = (t.tv_sec - t0.tv_sec) * 1000 +
                (t.tv_nsec - t0.tv_nsec) / 1000000;
        if (spent >= ms || poll(&p, 1, (int)(ms - spent)) <= 0)
            break;
        r = read(helper_status_fd, line + n, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
}

/* The helper's line to slurmd's log: "ok ..." as info, else an error. */
static void log_status(const char *when, const char *line)
{
    if (strncmp(line, "ok", 2) == 0)
        slurm_info("llmcarbon: step %s %s:%s", step_label, when, line + 2);
    else
        slurm_error("llmcarbon: step %s %s: %s", step_label, when,
                    *line ? line : "the helper said nothing; see its "
                    "stderr file in the job directory");
}

/* In slurmstepd with the job user's euid, before the tasks: start the
 * helper and wait until its meters are open (or it gave up). */
int slurm_spank_user_init(spank_t sp, int ac, char **av)
{
    struct job job;
    char log[PATH_MAX + 64], totals[PATH_MAX + 64], err[PATH_MAX + 64];
    char host[256], config[2048], line[1024];
    const char *node;
    char *argv[20];
    uint32_t nodeid;
    char **env = NULL;
    int stop_pipe[2] = {-1, -1}, status_pipe[2] = {-1, -1}, errfd = -1;
    gid_t groups[256];
    int ngroups;
    size_t a = 0;
    pid_t pid;

    if (!spank_remote(sp))
        return 0;
    read_site(ac, av);
    if (!wanted() || job_items(sp, &job) != 0)
        return 0;
    if (job.step == SLURM_EXTERN_CONT)
        return 0;
    if (job.step == SLURM_BATCH_SCRIPT)
        snprintf(step_label, sizeof step_label, "batch");
    else
        snprintf(step_label, sizeof step_label, "%u", job.step);
    if (spank_get_item(sp, S_JOB_LOCAL_TASK_COUNT, &tasks_left) !=
        ESPANK_SUCCESS)
        tasks_left = 1;
    /* the node's name in Slurm (several slurmd may share a host), else
     * the host's name */
    node = getenv("SLURMD_NODENAME");
    if (node && *node && !strchr(node, '/') && strlen(node) < sizeof host) {
        snprintf(host, sizeof host, "%s", node);
    } else {
        if (gethostname(host, sizeof host) != 0)
            snprintf(host, sizeof host, "node");
        host[sizeof host - 1] = '\0';
    }

    /* the tasks' trackers use the same locks: one count per device */
    if (spank_setenv(sp, "LLMC_RUNTIME_DIR", job.locks, 1) != ESPANK_SUCCESS ||
        spank_setenv(sp, "LLMC_SLURM_JOB_DIR", job.dir, 1) != ESPANK_SUCCESS)
        slurm_error("llmcarbon: cannot set LLMC_RUNTIME_DIR in the job's "
                    "environment; a tracker in the job may count a device "
                    "the plugin counts too");

    if (snprintf(log, sizeof log, "%s/%s.step-%s.jsonl", job.dir, host,
                 step_label) >= (int)sizeof log ||
        snprintf(totals, sizeof totals, "%s/%s.step-%s.totals.json",
                 job.dir, host, step_label) >= (int)sizeof totals ||
        snprintf(err, sizeof err, "%s/%s.step-%s.stderr", job.dir, host,
                 step_label) >= (int)sizeof err) {
        slurm_error("llmcarbon: the paths under '%s' are too long; this "
                    "step is not measured", job.dir);
        return 0;
    }
    snprintf(config, sizeof config, "meters=%s;fallback=none%s%s%s%s%s%s",
             site.meters, *site.grid ? ";grid=" : "", site.grid,
             *site.pue ? ";pue=" : "", site.pue,
             *site.interval ? ";interval=" : "", site.interval);

    if (!(env = helper_env(sp, &job))) {
        slurm_error("llmcarbon: out of memory; this step is not measured");
        return 0;
    }
    argv[a++] = site.helper;
    argv[a++] = "--config";
    argv[a++] = config;
    argv[a++] = "--user-config";
    argv[a++] = user_config;
    argv[a++] = "--log";
    argv[a++] = log;
    argv[a++] = "--totals";
    argv[a++] = totals;
    argv[a++] = "--runtime-dir";
    argv[a++] = job.locks;
    argv[a++] = "--job-dir";
    argv[a++] = job.dir;
    /* the summary reads every log of the job: the batch step, which ends
     * last, and the first node of each other step write it, not every
     * node of a large step */
    if (job.step == SLURM_BATCH_SCRIPT ||
        (spank_get_item(sp, S_JOB_NODEID, &nodeid) == ESPANK_SUCCESS &&
         nodeid == 0)) {
        argv[a++] = "--summary";
        argv[a++] = "yes";
    }
    argv[a] = NULL;

    ngroups = getgroups((int)(sizeof groups / sizeof groups[0]), groups);
    if (ngroups < 0)
        ngroups = 0;
    if (pipe2(stop_pipe, O_CLOEXEC) != 0 ||
        pipe2(status_pipe, O_CLOEXEC) != 0) {
        slurm_error("llmcarbon: pipe: %s; this step is not measured",
                    strerror(errno));
        goto fail;
    }
    errfd = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                 0644);
    if (errfd < 0) {
        slurm_error("llmcarbon: cannot write '%s': %s; this step is not "
                    "measured", err, strerror(errno));
        goto fail;
    }
    pid = fork();
    if (pid < 0) {
        slurm_error("llmcarbon: fork: %s; this step is not measured",
                    strerror(errno));
        goto fail;
    }
    if (pid == 0) {
        /* the child of a threaded process: system calls only, then exec.
         * It becomes the job's user for good (uid, gid and groups). */
        if (seteuid(0) == 0 && setgroups((size_t)ngroups, groups) != 0)
            _exit(126);
        if (setresgid(job.gid, job.gid, job.gid) != 0 ||
            setresuid(job.uid, job.uid, job.uid) != 0)
            _exit(126);
        if (dup2(stop_pipe[0], 0) < 0 || dup2(status_pipe[1], 3) < 0 ||
            dup2(errfd, 1) < 0 || dup2(errfd, 2) < 0)
            _exit(126);
        execve(site.helper, argv, env);
        {
            static const char msg[] = "error: cannot run the helper named "
                                      "by helper= in plugstack.conf\n";
            ssize_t w = write(3, msg, sizeof msg - 1);
            (void)w;
        }
        _exit(127);
    }
    close(stop_pipe[0]);
    close(status_pipe[1]);
    close(errfd);
    env_free(env);
    helper_pid = pid;
    helper_stop_fd = stop_pipe[1];
    helper_status_fd = status_pipe[0];
    read_status(line, sizeof line, START_WAIT_MS);
    log_status("start", line);
    if (strncmp(line, "ok", 2) != 0) {
        /* it measures nothing: let it go now */
        close(helper_stop_fd);
        helper_stop_fd = -1;
    }
    return 0;
fail:
    for (int i = 0; i < 2; i++) {
        if (stop_pipe[i] >= 0)
            close(stop_pipe[i]);
        if (status_pipe[i] >= 0)
            close(status_pipe[i]);
    }
    if (errfd >= 0)
        close(errfd);
    env_free(env);
    return 0;
}

/* Tells the helper to stop and waits for it (killed after STOP_WAIT_MS). */
static void stop_helper(void)
{
    char line[1024];
    int status = 0;
    if (helper_pid < 0)
        return;
    if (helper_stop_fd >= 0) {
        close(helper_stop_fd);
        helper_stop_fd = -1;
        read_status(line, sizeof line, STOP_WAIT_MS);
        log_status("end", line);
    }
    if (waitpid(helper_pid, &status, WNOHANG) == 0) {
        struct timespec pause = {0, 50000000};
        for (int i = 0; i < 40 && waitpid(helper_pid, &status, WNOHANG) == 0;
             i++)
            nanosleep(&pause, NULL);
        if (waitpid(helper_pid, &status, WNOHANG) == 0) {
            slurm_error("llmcarbon: step %s: the helper did not stop; "
                        "killed", step_label);
            kill(helper_pid, SIGKILL);
            waitpid(helper_pid, &status, 0);
        }
    }
    close(helper_status_fd);
    helper_status_fd = -1;
    helper_pid = -1;
}

/* In slurmstepd, as each task exits: the step ends with its last task,
 * before Slurm cleans up what the step left running. */
int slurm_spank_task_exit(spank_t sp, int ac, char **av)
{
    (void)ac;
    (void)av;
    if (!spank_remote(sp) || helper_pid < 0)
        return 0;
    if (tasks_left > 0)
        tasks_left--;
    if (tasks_left == 0)
        stop_helper();
    return 0;
}

int slurm_spank_exit(spank_t sp, int ac, char **av)
{
    (void)ac;
    (void)av;
    if (spank_remote(sp))
        stop_helper();
    return 0;
}

/* In slurmd, as root, when the job has ended on this node: its lock
 * directory goes (the lock files in it, then itself). */
int slurm_spank_job_epilog(spank_t sp, int ac, char **av)
{
    struct job job;
    struct dirent *e;
    DIR *d;
    int fd;

    read_site(ac, av);
    if (spank_get_item(sp, S_JOB_ID, &job.id) != ESPANK_SUCCESS)
        return 0;
    if (snprintf(job.locks, sizeof job.locks, "%s/llmcarbon-job-%u",
                 site.rundir, job.id) >= (int)sizeof job.locks)
        return 0;
    fd = open(job.locks, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 0; /* a job that was not measured here */
    if (!(d = fdopendir(fd))) {
        close(fd);
        return 0;
    }
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
            unlinkat(fd, e->d_name, 0) != 0)
            slurm_error("llmcarbon: cannot remove '%s/%s': %s", job.locks,
                        e->d_name, strerror(errno));
    closedir(d);
    if (rmdir(job.locks) != 0)
        slurm_error("llmcarbon: cannot remove the lock directory '%s': %s",
                    job.locks, strerror(errno));
    return 0;
}
