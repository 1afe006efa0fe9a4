/*
 * progress.c - `llmcarbon run`'s live line. While the command runs, stderr
 * on a terminal shows one line, redrawn in place once a second: the time
 * since the start, the power of the last sampled interval, the energy and
 * CO2e so far, the intensity, and the projection when there is one.
 *
 * The line lives on a thread of its own with a monotonic deadline: the
 * command is never waited on, and its end is seen at once by the main
 * thread's waitpid.
 *
 * The command writes to the same terminal whenever it likes, so the line
 * keeps a row of its own: the terminal's last. The rows above it are made
 * the scrolling region (DECSTBM, ESC [ top ; bottom r), where the
 * command's output scrolls as usual and never meets the line. Each redraw
 * saves the cursor (ESC 7), goes to the last row, returns to its start
 * (\r), writes the figures, erases what is left of the old ones (ESC [ K)
 * and puts the cursor back where the command left it (ESC 8). The line is
 * cut to the terminal's width, never wrapped: a wrapped line cannot be
 * redrawn in place. A change of the terminal's height moves the line and
 * the region at the next redraw. The stop erases the line and gives the
 * whole screen back to scrolling (ESC [ r), so the report starts on a
 * clean line below the command's output.
 *
 * Ctrl-Z stops llmcarbon with the command: before it stops, the line is
 * erased and the whole screen given back to the shell, as at the stop;
 * on the continue (fg, bg, SIGCONT) the region is set again at the next
 * redraw, on the terminal's size of then.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"

/* The job-control state, shared with the signal handlers: the last row
 * of the region drawn (0: none), and whether the line is suspended (after
 * SIGTSTP, until SIGCONT) and must set its region up again. */
static volatile sig_atomic_t drawn_rows;
static volatile sig_atomic_t suspended;
static volatile sig_atomic_t set_up_again;
static struct sigaction before_tstp, before_cont;

/* The figures of one redraw; an unknown one is NaN, written "-" with
 * its unit ("- W"), never 0. */
struct progress_figures {
    double elapsed_s;
    double power_w;
    double energy_j;
    double co2e_kg;
    double intensity_gco2e_per_kwh;
    double projected_kg;
    double projected_at_s;     /* the time the projection is for; NaN: the
                                  end, at target_tokens */
};

struct progress {
    llmc_tracker *t;
    double expected_s;         /* --expected-duration, or NaN */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int quit;
    int rows;                  /* the terminal's height the region was set
                                  for; 0 before the first redraw */
    struct timespec start;     /* monotonic */
    /* the power: energy over time between two distinct samples */
    uint64_t last_samples;
    double last_duration_s, last_energy_j, power_w;
};

/* Whether the line is shown: stderr is a terminal, TERM is not "dumb",
 * and quiet (--quiet) is 0. */
static int progress_wanted(int quiet)
{
    const char *term = getenv("TERM");
    if (quiet || !isatty(STDERR_FILENO))
        return 0;
    /* a terminal that cannot move back along a line (Emacs' shell, some
     * CI logs) says so with TERM=dumb */
    return !(term && strcmp(term, "dumb") == 0);
}

static double since_s(const struct timespec *a)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - a->tv_sec) +
           (double)(now.tv_nsec - a->tv_nsec) / 1e9;
}

static void fmt_energy(char *buf, size_t size, double j)
{
    if (!isfinite(j))
        snprintf(buf, size, "- J");
    else if (j < 1e3)
        snprintf(buf, size, "%.0f J", j);
    else if (j < 1e6)
        snprintf(buf, size, "%.1f kJ", j / 1e3);
    else if (j < 3.6e9)
        snprintf(buf, size, "%.3g kWh", j / 3.6e6);
    else
        snprintf(buf, size, "%.3g MWh", j / 3.6e9);
}

static void fmt_mass(char *buf, size_t size, double kg)
{
    if (!isfinite(kg))
        snprintf(buf, size, "- CO2e");
    else if (kg < 1e-3)
        snprintf(buf, size, "%.3f gCO2e", kg * 1e3);
    else if (kg < 1.0)
        snprintf(buf, size, "%.3g gCO2e", kg * 1e3);
    else if (kg < 1e3)
        snprintf(buf, size, "%.3g kgCO2e", kg);
    else
        snprintf(buf, size, "%.3g tCO2e", kg / 1e3);
}

/* The line of f (without the \r and the erase), cut to width columns;
 * its length. */
static size_t progress_format(char *buf, size_t size,
                       const struct progress_figures *f, int width)
{
    char power[32], energy[32], co2e[32], ci[32], proj[96] = "";
    long s = isfinite(f->elapsed_s) && f->elapsed_s > 0 ? (long)f->elapsed_s
                                                        : 0;
    size_t len;

    if (size == 0)
        return 0;
    if (isfinite(f->power_w))
        snprintf(power, sizeof power, "%.0f W", f->power_w);
    else
        snprintf(power, sizeof power, "- W");
    fmt_energy(energy, sizeof energy, f->energy_j);
    fmt_mass(co2e, sizeof co2e, f->co2e_kg);
    if (isfinite(f->intensity_gco2e_per_kwh))
        snprintf(ci, sizeof ci, "%.0f g/kWh", f->intensity_gco2e_per_kwh);
    else
        snprintf(ci, sizeof ci, "- g/kWh");
    if (isfinite(f->projected_kg)) {
        char p[32];
        long at = isfinite(f->projected_at_s) ? lround(f->projected_at_s) : -1;
        fmt_mass(p, sizeof p, f->projected_kg);
        if (at >= 0)
            snprintf(proj, sizeof proj, "  -> %s at %ld:%02ld:%02ld", p,
                     at / 3600, at / 60 % 60, at % 60);
        else
            snprintf(proj, sizeof proj, "  -> %s at target", p);
    }
    snprintf(buf, size, "llmcarbon %ld:%02ld:%02ld  %s  %s  %s  %s%s",
             s / 3600, s / 60 % 60, s % 60, power, energy, co2e, ci, proj);
    /* cut, never wrapped; the last column stays free, so that the cursor
     * never waits at the margin for a wrap */
    len = strlen(buf);
    if (width > 1 && len > (size_t)(width - 1)) {
        len = (size_t)(width - 1);
        buf[len] = '\0';
    }
    return len;
}

/* The terminal's size; 24 x 80 when it does not say. */
static void term_size(int *rows, int *cols)
{
    struct winsize ws;
    *rows = 24;
    *cols = 80;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0) {
        if (ws.ws_row > 0)
            *rows = ws.ws_row;
        if (ws.ws_col > 0)
            *cols = ws.ws_col;
    }
}

/* write(2) whole, so that a redraw is never half a line; a failure (the
 * terminal gone) only costs the line */
static void put(const char *s, size_t len)
{
    (void)cli_write_fd(STDERR_FILENO, s, len);
}

/* The erase of the line on row rows and the reset of the region, as
 * progress_main's stop writes it, built without stdio (a signal handler
 * calls it); its length. */
static size_t erase_sequence(char *out, int rows)
{
    static const char head[] = "\0337\033[", tail[] = ";1H\r\033[K\033[r\0338";
    char digits[12];
    size_t n = sizeof head - 1, k = 0;
    memcpy(out, head, n);
    do
        digits[k++] = (char)('0' + rows % 10);
    while ((rows /= 10) > 0 && k < sizeof digits);
    while (k > 0)
        out[n++] = digits[--k];
    memcpy(out + n, tail, sizeof tail - 1);
    return n + sizeof tail - 1;
}

static void on_tstp(int sig)
{
    int saved = errno;
    struct sigaction dfl;
    (void)sig;
    suspended = 1;
    set_up_again = 1;
    if (drawn_rows > 0) {
        char out[48];
        put(out, erase_sequence(out, (int)drawn_rows));
    }
    /* stop as SIGTSTP stops: the default action, once this returns */
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGTSTP, &dfl, NULL);
    raise(SIGTSTP);
    errno = saved;
}

static void on_cont(int sig);

static void catch_tstp(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_tstp;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTSTP, &sa, NULL);
}

static void on_cont(int sig)
{
    (void)sig;
    if (before_tstp.sa_handler != SIG_IGN)
        catch_tstp();
    suspended = 0;
    /* a SIGSTOP, which no handler sees, may have come before: the shell
     * wrote on the whole screen meanwhile, so the region is set again */
    set_up_again = 1;
}

static void redraw(struct progress *p)
{
    llmc_totals tot;
    struct progress_figures f;
    char line[512], out[700];
    size_t len, used = 0;
    int rows, cols;

    llmc_totals_init(&tot, sizeof tot);
    if (llmc_tracker_totals(&tot, p->t, NULL) != LLMC_OK)
        return;
    /* a new sample: the power of the interval it closed */
    if (tot.samples != p->last_samples) {
        double dt = tot.duration_s - p->last_duration_s;
        if (dt > 0 && isfinite(tot.energy_j) &&
            isfinite(p->last_energy_j))
            p->power_w = (tot.energy_j - p->last_energy_j) / dt;
        p->last_samples = tot.samples;
        p->last_duration_s = tot.duration_s;
        p->last_energy_j = tot.energy_j;
    }
    f.elapsed_s = since_s(&p->start);
    f.power_w = p->power_w;
    f.energy_j = tot.measured ? tot.energy_j : NAN;
    f.co2e_kg = tot.measured ? tot.total_kgco2e : NAN;
    f.intensity_gco2e_per_kwh = tot.intensity_gco2e_per_kwh;
    f.projected_kg = tot.projected_total_kgco2e;
    f.projected_at_s = NAN;
    /* run sees no tokens: with the duration it expects, the CO2e so far
     * at the same rate to its end (once a sample has set the rate) */
    if (!isfinite(f.projected_kg) && isfinite(p->expected_s) &&
        tot.duration_s > 0 && isfinite(f.co2e_kg) &&
        tot.duration_s < p->expected_s) {
        f.projected_kg = f.co2e_kg * p->expected_s / tot.duration_s;
        f.projected_at_s = p->expected_s;
    }
    if (suspended)
        return;
    if (set_up_again) {
        set_up_again = 0;
        p->rows = 0;
    }
    term_size(&rows, &cols);
    /* a terminal of two rows has none to spare */
    if (rows < 3 && p->rows == 0)
        return;
    if (rows < 3)
        rows = p->rows;
    if (p->rows == 0) {
        /* the cursor must be above the last row before it leaves the
         * region: a new line (scrolling the screen when the cursor is on
         * the last row) and back up, at the start of that line */
        used += (size_t)snprintf(out + used, sizeof out - used,
                                 "\n\033[1A\0337\033[1;%dr\0338", rows - 1);
    } else if (rows != p->rows) {
        /* resized: the old line erased, the region set again */
        used += (size_t)snprintf(out + used, sizeof out - used,
                                 "\0337\033[%d;1H\r\033[K\033[1;%dr\0338",
                                 p->rows, rows - 1);
    }
    p->rows = rows;
    len = progress_format(line, sizeof line, &f, cols);
    used += (size_t)snprintf(out + used, sizeof out - used,
                             "\0337\033[%d;1H\r%.*s\033[K\0338", rows,
                             (int)len, line);
    /* one write: the command's own output comes before or after it,
     * never inside it; none once a Ctrl-Z has given the screen back */
    if (!suspended)
        put(out, used < sizeof out ? used : sizeof out - 1);
    drawn_rows = rows;
}

static void *progress_main(void *arg)
{
    struct progress *p = arg;
    struct timespec next = p->start;

    pthread_mutex_lock(&p->mu);
    while (!p->quit) {
        pthread_mutex_unlock(&p->mu);
        redraw(p);
        pthread_mutex_lock(&p->mu);
        next.tv_sec += 1;
        while (!p->quit &&
               pthread_cond_timedwait(&p->cv, &p->mu, &next) != ETIMEDOUT)
            ;
    }
    if (p->rows > 0 && !suspended) {
        /* the line erased, the whole screen scrolling again, the cursor
         * where the command left it */
        char out[48];
        put(out, erase_sequence(out, p->rows));
    }
    drawn_rows = 0;
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

struct progress *progress_start(llmc_tracker *t, int quiet,
                                double expected_s)
{
    struct progress *p;
    pthread_condattr_t ca;
    sigset_t all, before;
    int rc;

    if (!progress_wanted(quiet) || !(p = calloc(1, sizeof *p)))
        return NULL;
    p->t = t;
    p->expected_s = expected_s;
    p->power_w = NAN;
    /* the power is that of the first interval sampled from here on (a
     * resumed run's totals start with its earlier ones) */
    {
        llmc_totals tot;
        llmc_totals_init(&tot, sizeof tot);
        if (llmc_tracker_totals(&tot, t, NULL) == LLMC_OK) {
            p->last_samples = tot.samples;
            p->last_duration_s = tot.duration_s;
            p->last_energy_j = isfinite(tot.energy_j) ? tot.energy_j : 0.0;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &p->start);
    pthread_mutex_init(&p->mu, NULL);
    /* the deadlines do not move with the wall clock */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    /* the signals a run forwards stay with the main thread */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &before);
    rc = pthread_create(&p->thread, NULL, progress_main, p);
    pthread_sigmask(SIG_SETMASK, &before, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        free(p);
        return NULL;
    }
    /* Ctrl-Z: the screen given back before the stop, the line set up
     * again after it */
    {
        struct sigaction sa;
        drawn_rows = suspended = set_up_again = 0;
        sigaction(SIGTSTP, NULL, &before_tstp);
        /* a Ctrl-Z that was to be ignored stays ignored */
        if (before_tstp.sa_handler != SIG_IGN)
            catch_tstp();
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_cont;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGCONT, &sa, &before_cont);
    }
    return p;
}

void progress_stop(struct progress *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    sigaction(SIGTSTP, &before_tstp, NULL);
    sigaction(SIGCONT, &before_cont, NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
