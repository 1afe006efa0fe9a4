/*
 * window.c - named windows: ranges of a run, begun and ended by name, that
 * may overlap and nest, each ending with its own totals.
 *
 * The samples are the only energy readings: a window's energy is what the
 * samples between its begin and its end gave, with the interval that held
 * its begin split by time at that interval's mean power, and the time
 * since the last sample at the last interval's mean power (documented in
 * llmc_tracker_window_begin(3)). Steps and tokens are counted exactly,
 * from the step counters as they stand at begin and end. Begin and end
 * take mu and read the clock; neither reads a meter nor writes a file: an
 * ended window waits in a bounded queue for the next sample to log it.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/internal.h"
#include "tracker.h"

static double wall_now_s(void)
{
    int64_t ns = llmc__unix_ns();
    return (double)(ns / 1000000000) + (double)(ns % 1000000000) / 1e9;
}

/* s += k x a, for what a sample measures (not steps, tokens, samples). */
static void acc_axpy(struct llmc__acc *s, double k, const struct llmc__acc *a)
{
    s->energy_j += k * a->energy_j;
    s->operational_kgco2e += k * a->operational_kgco2e;
    s->embodied_kgco2e += k * a->embodied_kgco2e;
    s->ci_energy_j += k * a->ci_energy_j;
    s->unpriced_j += k * a->unpriced_j;
}

/* The index entry of name: its window's, or the empty one it would take. */
static unsigned *index_slot(unsigned *index, unsigned size,
                            const struct llmc__window *w, const char *name)
{
    unsigned i = llmc__name_hash(name) & (size - 1);
    while (index[i] && strcmp(w[index[i] - 1].name, name) != 0)
        i = (i + 1) & (size - 1);
    return &index[i];
}

static int window_find(const llmc_tracker *t, const char *name)
{
    unsigned e;
    if (!t->window_index)
        return -1;
    e = *index_slot(t->window_index, 2 * t->window_cap, t->windows, name);
    return e ? (int)e - 1 : -1;
}

/* Room for one more name: the arrays double, the index is built afresh
 * at twice their size. LLMC_ENOMEM leaves the windows as they were. */
static int windows_reserve(llmc_tracker *t)
{
    unsigned cap = t->window_cap ? 2 * t->window_cap : 16, *index, *pending;
    struct llmc__window *w;
    if (t->nwindows < t->window_cap)
        return LLMC_OK;
    if (t->window_cap > UINT32_MAX / 4)
        return LLMC_ENOMEM;
    if (!(w = realloc(t->windows, sizeof *w * cap)))
        return LLMC_ENOMEM;
    t->windows = w;
    if (!(pending = realloc(t->win_pending, sizeof *pending * cap)))
        return LLMC_ENOMEM;
    t->win_pending = pending;
    if (!(index = calloc(2 * (size_t)cap, sizeof *index)))
        return LLMC_ENOMEM;
    for (unsigned i = 0; i < t->nwindows; i++)
        *index_slot(index, 2 * cap, t->windows, t->windows[i].name) = i + 1;
    free(t->window_index);
    t->window_index = index;
    t->window_cap = cap;
    return LLMC_OK;
}

static int window_add(llmc_tracker *t, const char *name)
{
    struct llmc__window *w;
    if (windows_reserve(t) != LLMC_OK)
        return -1;
    w = &t->windows[t->nwindows];
    memset(w, 0, sizeof *w);
    snprintf(w->name, sizeof w->name, "%s", name);
    *index_slot(t->window_index, 2 * t->window_cap, t->windows, name) =
        t->nwindows + 1;
    return (int)t->nwindows++;
}

static int check_name(const llmc_tracker *t, const char *name)
{
    if (!t || !name)
        return llmc__fail(LLMC_EINVAL, "tracker or name is NULL");
    if (!*name || strlen(name) >= LLMC__PHASE_NAME)
        return llmc__fail(LLMC_EINVAL,
                          "a window name has 1 to %d characters ('%s')",
                          LLMC__PHASE_NAME - 1, name);
    return LLMC_OK;
}

/* Under mu: LLMC_OK while the tracker runs, else why not. */
static int check_running(const llmc_tracker *t, const char *name,
                         const char *verb)
{
    int s = atomic_load(&t->state);
    if (s == LLMC__RUNNING)
        return LLMC_OK;
    if (s == LLMC__STOPPED)
        return llmc__fail(LLMC_ESTATE,
                          "cannot %s the window '%s': the tracker has "
                          "stopped (windows still open at stop have no "
                          "totals)",
                          verb, name);
    return llmc__fail(LLMC_ESTATE,
                      "cannot %s the window '%s': the tracker has not "
                      "started; start it first",
                      verb, name);
}

LLMC_API int llmc_tracker_window_begin(llmc_tracker *t, const char *name)
{
    struct llmc__window *w;
    int rc, i;

    if ((rc = check_name(t, name)) != LLMC_OK)
        return rc;
    pthread_mutex_lock(&t->mu);
    if ((rc = check_running(t, name, "begin")) != LLMC_OK)
        goto out;
    if ((i = window_find(t, name)) < 0 && (i = window_add(t, name)) < 0) {
        rc = llmc__fail(LLMC_ENOMEM,
                        "out of memory for the window '%s' (the tracker "
                        "has %u names); free memory or reuse window names",
                        name, t->nwindows);
        goto out;
    }
    w = &t->windows[i];
    if (w->open) {
        rc = llmc__fail(LLMC_ESTATE,
                        "window '%s' is already open; end it first or use "
                        "another name",
                        name);
        goto out;
    }
    w->open = 1;
    w->begin_ns = llmc__now_ns();
    w->begin_unix_s = wall_now_s();
    w->base = t->sampled;
    llmc__live_counts(t, &w->base_steps, &w->base_tokens);
    /* the next sample tells the power of the interval it begins in */
    w->pending = 1;
    w->pending_at = t->npending;
    t->win_pending[t->npending++] = (unsigned)i;
out:
    pthread_mutex_unlock(&t->mu);
    return rc;
}

/* Under mu: the ended window waits for the sampler to log it. */
static void queue_line(llmc_tracker *t, const struct llmc__window *w,
                       double end_unix_s, const llmc_totals *o)
{
    struct llmc__window_line *line;
    if (!t->win_lines &&
        !(t->win_lines = malloc(sizeof *t->win_lines * LLMC__WINDOW_LINES))) {
        t->win_lines_lost++;
        llmc__problem(t, "the log '%s' misses ended windows: out of memory "
                      "for their lines", t->log_path);
        return;
    }
    if (t->nwin_lines == LLMC__WINDOW_LINES) {
        t->win_lines_lost++;
        llmc__problem(t, "the log '%s' misses ended windows: more than %d "
                      "ended between two samples (the report's \"windows\" "
                      "still sums them); sample more often or end fewer "
                      "windows",
                      t->log_path, LLMC__WINDOW_LINES);
        return;
    }
    line = &t->win_lines[t->nwin_lines++];
    memcpy(line->name, w->name, sizeof line->name);
    line->begin_unix_s = w->begin_unix_s;
    line->end_unix_s = end_unix_s;
    line->totals = *o;
}

LLMC_API int llmc_tracker_window_end(llmc_totals *out, llmc_tracker *t,
                                     const char *name)
{
    struct llmc__window *w;
    struct llmc__acc s;
    llmc_totals full = {0};
    uint64_t steps, tokens;
    int64_t end_ns;
    int rc, i;

    if ((rc = check_name(t, name)) != LLMC_OK)
        return rc;
    /* checked first: a window stays open when its totals cannot go out */
    if (out && (rc = llmc__versioned_check(out, LLMC__TOTALS_MIN,
                                           "llmc_totals")) != LLMC_OK)
        return rc;
    pthread_mutex_lock(&t->mu);
    if ((rc = check_running(t, name, "end")) != LLMC_OK)
        goto out;
    if ((i = window_find(t, name)) < 0 || !t->windows[i].open) {
        rc = llmc__fail(LLMC_ESTATE,
                        "window '%s' is not open; begin it first (a "
                        "window ends once)",
                        name);
        goto out;
    }
    w = &t->windows[i];
    end_ns = llmc__now_ns();

    /* the samples since its begin */
    memset(&s, 0, sizeof s);
    acc_axpy(&s, 1.0, &t->sampled);
    acc_axpy(&s, -1.0, &w->base);
    s.samples = t->sampled.samples - w->base.samples;
    if (w->pending) {
        /* no sample since its begin: all of it at the last interval's
         * power */
        unsigned last = t->win_pending[--t->npending];
        t->win_pending[w->pending_at] = last;
        t->windows[last].pending_at = w->pending_at;
        w->pending = 0;
        if (t->last_iv_ns > 0)
            acc_axpy(&s, (double)(end_ns - w->begin_ns) /
                             (double)t->last_iv_ns,
                     &t->last_iv);
    } else {
        /* less the head interval's time before the begin, plus the time
         * since the last sample */
        double len = (double)(w->head_to_ns - w->head_from_ns);
        double before = (double)(w->begin_ns - w->head_from_ns) / len;
        acc_axpy(&s, -fmin(fmax(before, 0.0), 1.0), &w->head);
        if (t->last_iv_ns > 0 && end_ns > t->last_ns)
            acc_axpy(&s, (double)(end_ns - t->last_ns) /
                             (double)t->last_iv_ns,
                     &t->last_iv);
    }
    /* what subtraction leaves of nothing */
    s.energy_j = fmax(s.energy_j, 0.0);
    s.operational_kgco2e = fmax(s.operational_kgco2e, 0.0);
    s.embodied_kgco2e = fmax(s.embodied_kgco2e, 0.0);
    s.ci_energy_j = fmax(s.ci_energy_j, 0.0);
    s.unpriced_j = fmin(fmax(s.unpriced_j, 0.0), s.energy_j);
    s.duration_s = (double)(end_ns - w->begin_ns) / 1e9;
    llmc__live_counts(t, &steps, &tokens);
    s.steps = steps - w->base_steps;
    s.tokens = tokens - w->base_tokens;
    llmc__totals_of(&full, t, &s);

    w->open = 0;
    w->ended++;
    w->sum_steps += full.steps;
    w->sum_tokens += full.tokens;
    w->sum_energy_j += full.energy_j;
    w->sum_operational_kgco2e += full.operational_kgco2e;
    w->sum_embodied_kgco2e += full.embodied_kgco2e;
    w->sum_total_kgco2e += full.total_kgco2e;
    w->sum_duration_s += full.duration_s;
    if (t->log)
        queue_line(t, w, wall_now_s(), &full);
out:
    pthread_mutex_unlock(&t->mu);
    if (rc == LLMC_OK && out)
        rc = llmc__versioned_copy(out, &full, sizeof full, LLMC__TOTALS_MIN,
                                  "llmc_totals");
    return rc;
}

void llmc__windows_sample(llmc_tracker *t, const struct llmc__acc *iv,
                          int64_t from_ns, int64_t to_ns)
{
    acc_axpy(&t->sampled, 1.0, iv);
    t->sampled.duration_s += iv->duration_s;
    t->sampled.samples += iv->samples;
    if (to_ns > from_ns) {
        t->last_iv = *iv;
        t->last_iv_ns = to_ns - from_ns;
        for (unsigned k = 0; k < t->npending; k++) {
            struct llmc__window *w = &t->windows[t->win_pending[k]];
            w->head = *iv;
            w->head_from_ns = from_ns;
            w->head_to_ns = to_ns;
            w->pending = 0;
        }
        t->npending = 0;
    }
    if (t->log)
        for (unsigned k = 0; k < t->nwin_lines; k++)
            llmc__log_window(t, &t->win_lines[k]);
    t->nwin_lines = 0;
}

void llmc__windows_free(llmc_tracker *t)
{
    free(t->windows);
    free(t->window_index);
    free(t->win_pending);
    free(t->win_lines);
}
