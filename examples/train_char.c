/*
 * train_char.c - a small character-level language model, trained on one
 * CPU core, with libllmcarbon counting the energy and CO2e of the run.
 *
 * The model: the previous K=4 characters, each embedded in 16 numbers,
 * feed one hidden layer of 128 tanh units and a softmax over the bytes
 * that occur in the corpus. Mini-batch SGD (batch 64), cross-entropy loss,
 * forward and backward written out by hand, a fixed seed: two runs with
 * the same arguments print the same losses. 10% of the corpus (the end)
 * is held out and evaluated periodically in the tracker's "eval" phase.
 *
 * Run it (the default run takes about 10 s on one core):
 *
 *   # a machine without power counters (a laptop, a VM, a container):
 *   # say what the machine draws, and where it is
 *   build/examples/train_char --config "meters=const:65W;grid=FR"
 *
 *   # a machine with NVIDIA GPUs or readable RAPL counters: meters=auto
 *   # finds them
 *   build/examples/train_char
 *
 *   # the LLMC_* environment applies too (LLMC_METERS, LLMC_GRID, ...);
 *   # --config is applied after it and wins
 *   LLMC_GRID=US-CA build/examples/train_char --steps 2000
 *
 * Options:
 *   --steps N          training steps (default 4000)
 *   --corpus FILE      the text to learn (default: examples/data/corpus.txt)
 *   --config "k=v;..." tracker configuration, see llmc_tracker_new(3)
 *   --report FILE      write the tracker's JSON report to FILE
 *   --expect-steps N   self-check for the test suite: exit 1 unless the
 *                      tracker counted exactly N steps and a finite energy
 *                      above 0 (and, with const meters only, an energy
 *                      within 5% of power x duration)
 *
 * Measurement never stops training: when the tracker cannot be set up or
 * started, the library's message is printed and training goes on
 * unmeasured. An energy that was not measured is printed as "unmeasured",
 * never as 0.
 *
 * A GPU trainer would also call llmc_tracker_set_sync(t, fn, NULL) with a
 * fn that calls cudaDeviceSynchronize(), so that queued kernels are
 * counted in the interval they belong to; on one CPU thread the work is
 * done when the step returns, so this trainer needs none.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <llmcarbon.h>

#ifndef DEFAULT_CORPUS
#define DEFAULT_CORPUS "examples/data/corpus.txt"
#endif

#define K 4       /* context: previous characters */
#define E 16      /* embedding per character      */
#define KE (K * E)
#define H 128     /* hidden units                 */
#define B 64      /* batch                        */
#define VMAX 256  /* at most every byte           */
#define SEED 20240611u
#define SAMPLE_CHARS 200
#define DEFAULT_STEPS 4000

/* ---- random numbers: splitmix64, fixed seed --------------------------- */

static uint64_t rng_state = SEED;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_uniform(void) /* [0, 1) */
{
    return (double)(rng_next() >> 11) * (1.0 / 9007199254740992.0);
}

static size_t rng_below(size_t n)
{
    return (size_t)(rng_uniform() * (double)n);
}

/* ---- data -------------------------------------------------------------- */

struct corpus {
    unsigned char *ids; /* the text as vocabulary indices */
    size_t n, n_train;  /* [0, n_train) trains, [n_train, n) is held out */
    int v;              /* vocabulary size */
    unsigned char byte_of[VMAX];
};

static int corpus_load(struct corpus *c, const char *path)
{
    FILE *f = fopen(path, "rb");
    int index_of[VMAX];
    long size;

    if (!f) {
        perror(path);
        return -1;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        perror(path);
        fclose(f);
        return -1;
    }
    c->n = (size_t)size;
    c->ids = malloc(c->n ? c->n : 1);
    if (!c->ids || fread(c->ids, 1, c->n, f) != c->n) {
        fprintf(stderr, "%s: cannot read %zu bytes\n", path, c->n);
        fclose(f);
        return -1;
    }
    fclose(f);
    if (c->n < 20 * (K + B)) {
        fprintf(stderr, "%s: %zu bytes is too little text to train on\n",
                path, c->n);
        return -1;
    }
    for (int i = 0; i < VMAX; i++)
        index_of[i] = -1;
    for (size_t i = 0; i < c->n; i++)
        index_of[c->ids[i]] = 1;
    c->v = 0;
    for (int i = 0; i < VMAX; i++)
        if (index_of[i] > 0) {
            c->byte_of[c->v] = (unsigned char)i;
            index_of[i] = c->v++;
        }
    for (size_t i = 0; i < c->n; i++)
        c->ids[i] = (unsigned char)index_of[c->ids[i]];
    c->n_train = c->n - c->n / 10;
    return 0;
}

/* ---- the model --------------------------------------------------------- */

struct model {
    int v;
    float *emb;  /* [v][E]  */
    float *w1;   /* [KE][H] */
    float *b1;   /* [H]     */
    float *w2;   /* [H][v]  */
    float *b2;   /* [v]     */
};

struct work { /* activations and gradients of one batch */
    int ctx[B][K];
    int target[B];
    float x[B][KE];
    float h[B][H];
    float p[B][VMAX]; /* probabilities, then dloss/dlogits */
    float dh[B][H];
    float dx[B][KE];
    float gw1[KE][H], gb1[H], gb2[VMAX];
    float *gw2, *gemb;
};

static size_t model_size(int v)
{
    return (size_t)v * E + (size_t)KE * H + H + (size_t)H * v + (size_t)v;
}

static int model_init(struct model *m, int v)
{
    float *all = calloc(model_size(v), sizeof *all);
    double a;
    if (!all)
        return -1;
    m->v = v;
    m->emb = all;
    m->w1 = m->emb + (size_t)v * E;
    m->b1 = m->w1 + (size_t)KE * H;
    m->w2 = m->b1 + H;
    m->b2 = m->w2 + (size_t)H * v;
    for (size_t i = 0; i < (size_t)v * E; i++)
        m->emb[i] = (float)(rng_uniform() * 2.0 - 1.0);
    a = sqrt(6.0 / (KE + H)); /* Glorot uniform */
    for (size_t i = 0; i < (size_t)KE * H; i++)
        m->w1[i] = (float)((rng_uniform() * 2.0 - 1.0) * a);
    a = 0.1 * sqrt(6.0 / (H + v)); /* small: start near uniform output */
    for (size_t i = 0; i < (size_t)H * v; i++)
        m->w2[i] = (float)((rng_uniform() * 2.0 - 1.0) * a);
    return 0;
}

/* Forward pass for n examples whose ctx/target are set; returns the mean
 * cross-entropy (nats) and leaves the probabilities in w->p. */
static double forward(const struct model *m, struct work *w, int n)
{
    const int v = m->v;
    double loss = 0.0;
    for (int b = 0; b < n; b++) {
        float *x = w->x[b], *h = w->h[b], *p = w->p[b];
        float mx, sum = 0.0f;
        for (int k = 0; k < K; k++)
            memcpy(x + k * E, m->emb + (size_t)w->ctx[b][k] * E,
                   E * sizeof *x);
        memcpy(h, m->b1, H * sizeof *h);
        for (int i = 0; i < KE; i++) {
            const float xi = x[i], *row = m->w1 + (size_t)i * H;
            for (int j = 0; j < H; j++)
                h[j] += xi * row[j];
        }
        for (int j = 0; j < H; j++)
            h[j] = tanhf(h[j]);
        memcpy(p, m->b2, (size_t)v * sizeof *p);
        for (int j = 0; j < H; j++) {
            const float hj = h[j], *row = m->w2 + (size_t)j * v;
            for (int c = 0; c < v; c++)
                p[c] += hj * row[c];
        }
        mx = p[0];
        for (int c = 1; c < v; c++)
            mx = p[c] > mx ? p[c] : mx;
        for (int c = 0; c < v; c++)
            sum += (p[c] = expf(p[c] - mx));
        for (int c = 0; c < v; c++)
            p[c] /= sum;
        loss -= log((double)p[w->target[b]] + 1e-30);
    }
    return loss / n;
}

/* Backward pass for a full batch after forward(), then one SGD update. */
static void backward_update(struct model *m, struct work *w, float lr)
{
    const int v = m->v;
    const float inv_b = 1.0f / B;

    memset(w->gw1, 0, sizeof w->gw1);
    memset(w->gb1, 0, sizeof w->gb1);
    memset(w->gb2, 0, sizeof w->gb2);
    memset(w->gw2, 0, (size_t)H * v * sizeof *w->gw2);
    memset(w->gemb, 0, (size_t)v * E * sizeof *w->gemb);

    for (int b = 0; b < B; b++) {
        float *dl = w->p[b], *h = w->h[b], *dh = w->dh[b], *x = w->x[b];
        float *dx = w->dx[b];
        /* softmax + cross-entropy: dL/dlogit = p - onehot, over the batch */
        dl[w->target[b]] -= 1.0f;
        for (int c = 0; c < v; c++) {
            dl[c] *= inv_b;
            w->gb2[c] += dl[c];
        }
        for (int j = 0; j < H; j++) {
            const float hj = h[j], *row = m->w2 + (size_t)j * v;
            float *grow = w->gw2 + (size_t)j * v, s = 0.0f;
            for (int c = 0; c < v; c++) {
                grow[c] += hj * dl[c];
                s += dl[c] * row[c];
            }
            dh[j] = s * (1.0f - hj * hj); /* through tanh */
            w->gb1[j] += dh[j];
        }
        for (int i = 0; i < KE; i++) {
            const float xi = x[i], *row = m->w1 + (size_t)i * H;
            float *grow = w->gw1[i], s = 0.0f;
            for (int j = 0; j < H; j++) {
                grow[j] += xi * dh[j];
                s += dh[j] * row[j];
            }
            dx[i] = s;
        }
        for (int k = 0; k < K; k++) {
            float *ge = w->gemb + (size_t)w->ctx[b][k] * E;
            for (int e = 0; e < E; e++)
                ge[e] += dx[k * E + e];
        }
    }

    for (size_t i = 0; i < (size_t)v * E; i++)
        m->emb[i] -= lr * w->gemb[i];
    for (int i = 0; i < KE; i++)
        for (int j = 0; j < H; j++)
            m->w1[(size_t)i * H + j] -= lr * w->gw1[i][j];
    for (int j = 0; j < H; j++)
        m->b1[j] -= lr * w->gb1[j];
    for (size_t i = 0; i < (size_t)H * v; i++)
        m->w2[i] -= lr * w->gw2[i];
    for (int c = 0; c < v; c++)
        m->b2[c] -= lr * w->gb2[c];
}

static void set_example(struct work *w, int b, const struct corpus *c,
                        size_t pos)
{
    for (int k = 0; k < K; k++)
        w->ctx[b][k] = c->ids[pos - K + (size_t)k];
    w->target[b] = c->ids[pos];
}

/* Mean loss over the whole held-out part. */
static double evaluate(const struct model *m, struct work *w,
                       const struct corpus *c)
{
    double total = 0.0;
    size_t count = 0, pos = c->n_train + K;
    while (pos < c->n) {
        int n = 0;
        for (; n < B && pos < c->n; n++, pos++)
            set_example(w, n, c, pos);
        total += forward(m, w, n) * n;
        count += (size_t)n;
    }
    return total / (double)count;
}

static void sample_text(const struct model *m, struct work *w,
                        const struct corpus *c, int nchars)
{
    int ctx[K];
    for (int k = 0; k < K; k++) { /* start from the corpus's first chars */
        ctx[k] = c->ids[k];
        putchar(c->byte_of[ctx[k]]);
    }
    for (int i = 0; i < nchars; i++) {
        const float temperature = 0.8f;
        double r, acc = 0.0, sum = 0.0;
        int next = m->v - 1;
        memcpy(w->ctx[0], ctx, sizeof ctx);
        w->target[0] = 0;
        forward(m, w, 1);
        /* sharpen: p^(1/T), renormalised */
        for (int v = 0; v < m->v; v++)
            sum += pow(w->p[0][v], 1.0 / temperature);
        r = rng_uniform() * sum;
        for (int v = 0; v < m->v; v++) {
            acc += pow(w->p[0][v], 1.0 / temperature);
            if (r < acc) {
                next = v;
                break;
            }
        }
        putchar(c->byte_of[next]);
        memmove(ctx, ctx + 1, (K - 1) * sizeof *ctx);
        ctx[K - 1] = next;
    }
    putchar('\n');
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the tracker ------------------------------------------------------- */

/* Sets the tracker up; on any failure says why and returns NULL, and the
 * run goes on unmeasured. */
static llmc_tracker *tracker_setup(const char *config, uint64_t target_tokens)
{
    llmc_tracker *t = NULL;
    int rc;

    if ((rc = llmc_tracker_new(&t)) != LLMC_OK) { /* LLMC_* applied here */
        fprintf(stderr, "llmcarbon: %s (%s); training continues "
                "unmeasured\n", llmc_last_error(), llmc_status_name(rc));
        return NULL;
    }
    /* the default, unless the environment chose the meters */
    if (!getenv("LLMC_METERS"))
        rc = llmc_tracker_configure(t, "meters=auto");
    if (rc == LLMC_OK && config)
        rc = llmc_tracker_configure(t, config);
    if (rc == LLMC_OK)
        rc = llmc_tracker_set_target_tokens(t, target_tokens);
    if (rc != LLMC_OK) {
        fprintf(stderr, "llmcarbon: configuration: %s (%s); training "
                "continues unmeasured\n", llmc_last_error(),
                llmc_status_name(rc));
        llmc_tracker_free(t);
        return NULL;
    }
    if ((rc = llmc_tracker_start(t)) != LLMC_OK) {
        fprintf(stderr, "llmcarbon: cannot start: %s (%s); training "
                "continues unmeasured\n", llmc_last_error(),
                llmc_status_name(rc));
        llmc_tracker_free(t);
        return NULL;
    }
    return t;
}

/* A value, or "unmeasured" when it is NaN: never a silent 0. */
static void print_value(const char *name, double v, const char *fmt)
{
    printf("%-24s ", name);
    if (isnan(v))
        printf("unmeasured\n");
    else {
        printf(fmt, v);
        putchar('\n');
    }
}

static void print_phase(llmc_tracker *t, const char *phase)
{
    llmc_totals p;
    char name[40];
    llmc_totals_init(&p, sizeof p);
    snprintf(name, sizeof name, "%s_energy_j", phase);
    if (llmc_tracker_totals(&p, t, phase) != LLMC_OK)
        printf("%-24s none (no %s pass)\n", name, phase);
    else
        print_value(name, p.energy_j, "%.6g");
}

/* --expect-steps: the totals must hold real values. */
static int check_totals(llmc_tracker *t, const llmc_totals *o,
                        uint64_t expect_steps)
{
    size_t n = llmc_tracker_channel_count(t);
    double const_w = 0.0;
    int all_const = n > 0;

    if (o->steps != expect_steps) {
        printf("check FAILED: steps %llu, expected %llu\n",
               (unsigned long long)o->steps,
               (unsigned long long)expect_steps);
        return 1;
    }
    if (!isfinite(o->energy_j) || o->energy_j <= 0.0) {
        printf("check FAILED: energy_j %g is not a finite value above 0\n",
               o->energy_j);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        llmc_channel ch;
        llmc_channel_init(&ch, sizeof ch);
        if (llmc_tracker_channel(&ch, t, i) != LLMC_OK ||
            ch.method != LLMC_METHOD_CONST) {
            all_const = 0;
            break;
        }
        const_w += ch.power_w;
    }
    if (all_const) {
        double want = const_w * o->duration_s;
        if (!(fabs(o->energy_j - want) <= 0.05 * want)) {
            printf("check FAILED: energy_j %.6g, but %.6g W x %.6g s = "
                   "%.6g (more than 5%% apart)\n",
                   o->energy_j, const_w, o->duration_s, want);
            return 1;
        }
        printf("check ok: steps %llu, energy_j %.6g = %.6g W x %.6g s "
               "within 5%%\n", (unsigned long long)o->steps, o->energy_j,
               const_w, o->duration_s);
    } else {
        printf("check ok: steps %llu, energy_j %.6g\n",
               (unsigned long long)o->steps, o->energy_j);
    }
    return 0;
}

/* Prints the totals; returns the exit status of the --expect-steps check
 * (0 without one). */
static int tracker_finish(llmc_tracker *t, const char *report_path,
                          int expect, uint64_t expect_steps)
{
    llmc_totals o;
    int rc, status = 0;

    printf("\n--- llmcarbon ---\n");
    if (!t) {
        printf("measurement was off (see the message above)\n");
        if (expect)
            printf("check FAILED: no tracker\n");
        return expect ? 1 : 0;
    }
    if ((rc = llmc_tracker_stop(t)) != LLMC_OK)
        fprintf(stderr, "llmcarbon: stop: %s (%s)\n", llmc_last_error(),
                llmc_status_name(rc));
    llmc_totals_init(&o, sizeof o);
    if ((rc = llmc_tracker_totals(&o, t, NULL)) != LLMC_OK) {
        fprintf(stderr, "llmcarbon: totals: %s (%s)\n", llmc_last_error(),
                llmc_status_name(rc));
        llmc_tracker_free(t);
        return expect ? 1 : 0;
    }
    printf("%-24s %llu\n", "steps", (unsigned long long)o.steps);
    printf("%-24s %llu\n", "tokens", (unsigned long long)o.tokens);
    printf("%-24s %.3f\n", "duration_s", o.duration_s);
    print_value("energy_j", o.energy_j, "%.6g");
    print_value("j_per_token", o.j_per_token, "%.6g");
    print_value("gco2e_per_token", o.gco2e_per_token, "%.6g");
    print_value("intensity_gco2e_per_kwh", o.intensity_gco2e_per_kwh,
                "%.1f");
    print_value("total_kgco2e", o.total_kgco2e, "%.6g");
    print_phase(t, "train");
    print_phase(t, "eval");
    if (!isnan(o.projected_total_kgco2e))
        printf("%-24s %.6g (range %.6g..%.6g)\n", "projected_kgco2e",
               o.projected_total_kgco2e, o.projected_low_kgco2e,
               o.projected_high_kgco2e);
    for (size_t i = 0, n = llmc_tracker_channel_count(t); i < n; i++) {
        llmc_channel ch;
        llmc_channel_init(&ch, sizeof ch);
        if (llmc_tracker_channel(&ch, t, i) == LLMC_OK)
            printf("meter %s (%s, %s)%s%s\n", ch.name, ch.device,
                   llmc_method_name(ch.method), *ch.detail ? ": " : "",
                   ch.detail);
    }
    if (!o.measured)
        printf("no meter measured energy here; on a machine without power "
               "counters give one, e.g. --config \"meters=const:65W\" "
               "(the report says what was tried)\n");
    if (report_path) {
        char *json = NULL;
        if ((rc = llmc_tracker_report_json(&json, t)) != LLMC_OK) {
            fprintf(stderr, "llmcarbon: report: %s (%s)\n",
                    llmc_last_error(), llmc_status_name(rc));
        } else {
            FILE *f = fopen(report_path, "w");
            if (!f || fputs(json, f) == EOF || fclose(f) != 0)
                perror(report_path);
            else
                printf("report written to %s\n", report_path);
            llmc_free(json);
        }
    }
    if (expect)
        status = check_totals(t, &o, expect_steps);
    llmc_tracker_free(t);
    return status;
}

/* ---- main -------------------------------------------------------------- */

static int parse_count(const char *text, long *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || v < 1)
        return -1;
    *out = v;
    return 0;
}

static void usage(FILE *f, const char *argv0)
{
    fprintf(f, "usage: %s [--steps N] [--corpus FILE] "
            "[--config \"key=value;...\"] [--report FILE] "
            "[--expect-steps N]\n", argv0);
}

int main(int argc, char **argv)
{
    const char *corpus_path = DEFAULT_CORPUS, *config = NULL, *report = NULL;
    long steps = DEFAULT_STEPS, expect_steps = 0, every;
    int expect = 0, status;
    struct corpus c;
    struct model m;
    struct work *w;
    llmc_tracker *t;
    double train_loss = 0.0, first_loss = NAN, t0, t_last;
    int since_print = 0;

    for (int i = 1; i < argc; i += 2) { /* option, value */
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout, argv[0]);
            return 0;
        }
        if (!val) {
            usage(stderr, argv[0]);
            return 2;
        }
        if (strcmp(a, "--steps") == 0 && parse_count(val, &steps) == 0) {
        } else if (strcmp(a, "--expect-steps") == 0 &&
                   parse_count(val, &expect_steps) == 0) {
            expect = 1;
        } else if (strcmp(a, "--corpus") == 0) {
            corpus_path = val;
        } else if (strcmp(a, "--config") == 0) {
            config = val;
        } else if (strcmp(a, "--report") == 0) {
            report = val;
        } else {
            usage(stderr, argv[0]);
            return 2;
        }
    }

    memset(&c, 0, sizeof c);
    if (corpus_load(&c, corpus_path) != 0)
        return 1;
    w = calloc(1, sizeof *w);
    if (!w || model_init(&m, c.v) != 0 ||
        !(w->gw2 = calloc((size_t)H * c.v, sizeof *w->gw2)) ||
        !(w->gemb = calloc((size_t)c.v * E, sizeof *w->gemb))) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    /* print and evaluate 10 times a run (every 100 steps in short runs) */
    every = steps >= 1000 ? steps / 10 : steps >= 100 ? 100 : steps;
    printf("corpus %s: %zu bytes, vocabulary %d, %zu train / %zu held out\n",
           corpus_path, c.n, c.v, c.n_train, c.n - c.n_train);
    printf("model: %d chars x %d embedding -> %d tanh -> %d softmax, "
           "%zu parameters; batch %d, %ld steps\n", K, E, H, c.v,
           model_size(c.v), B, steps);
    printf("uniform guess: loss ln(%d) = %.3f\n", c.v, log((double)c.v));

    t = tracker_setup(config, (uint64_t)steps * B);

    t0 = t_last = now_s();
    for (long step = 1; step <= steps; step++) {
        /* linear decay from 0.5 to 0.05 */
        float lr = (float)(0.5 - 0.45 * (double)(step - 1) / (double)steps);
        double loss;
        for (int b = 0; b < B; b++)
            set_example(w, b, &c, K + rng_below(c.n_train - K));
        loss = forward(&m, w, B);
        backward_update(&m, w, lr);
        if (t)
            llmc_tracker_step(t, B); /* B tokens predicted this step */
        if (isnan(first_loss)) {
            first_loss = loss;
            printf("step %6d  train loss %.3f (first batch)\n", 1, loss);
        }
        train_loss += loss;
        since_print++;
        if (step % every == 0 || step == steps) {
            double val, now;
            if (t)
                llmc_tracker_phase(t, "eval");
            val = evaluate(&m, w, &c);
            if (t)
                llmc_tracker_phase(t, "train");
            now = now_s();
            printf("step %6ld  train loss %.3f  held-out loss %.3f  "
                   "(%.0f steps/s)\n", step, train_loss / since_print, val,
                   since_print / (now - t_last));
            fflush(stdout);
            train_loss = 0.0;
            since_print = 0;
            t_last = now;
        }
    }
    printf("trained %ld steps in %.1f s\n", steps, now_s() - t0);

    printf("\nsample (temperature 0.8):\n");
    sample_text(&m, w, &c, SAMPLE_CHARS);

    status = tracker_finish(t, report, expect, (uint64_t)expect_steps);
    free(w->gw2);
    free(w->gemb);
    free(w);
    free(m.emb);
    free(c.ids);
    return status;
}
