// train_char.cpp - a bigram character model in C++17, trained with
// mini-batch SGD, with libllmcarbon counting the run's energy and CO2e
// through its C API.
//
// The model is one table of logits, W[previous char][next char], with a
// softmax over each row: the simplest language model that learns
// something (which letters follow which). Fixed seed; batch 64; the
// learning rate falls linearly from 20 to 1; 20000 steps by default.
//
//   # no power counters here: say what the machine draws
//   build/examples/train_char_cpp --config "meters=const:65W;grid=FR"
//   # NVIDIA GPUs or readable RAPL counters: meters=auto finds them
//   build/examples/train_char_cpp
//
// Options as train_char: --steps N, --corpus FILE, --config "k=v;...",
// --expect-steps N (exit 1 unless the tracker counted N steps and a
// finite energy above 0, within 5% of power x duration for const meters).
//
// A tracker_guard (below) stops and frees the tracker when it goes out of
// scope, also when training throws. Measurement never stops training: when
// the tracker cannot start, the library's message is printed and the run
// goes on unmeasured.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <llmcarbon.h>

#ifndef DEFAULT_CORPUS
#define DEFAULT_CORPUS "examples/data/corpus.txt"
#endif

namespace {

constexpr int kBatch = 64;
constexpr long kDefaultSteps = 20000;
constexpr std::uint64_t kSeed = 20240611;

// Owns a tracker: stop and free on scope exit. Not copyable.
struct tracker_guard {
    llmc_tracker *t = nullptr;
    tracker_guard() = default;
    tracker_guard(const tracker_guard &) = delete;
    tracker_guard &operator=(const tracker_guard &) = delete;
    ~tracker_guard()
    {
        if (t) {
            llmc_tracker_stop(t);
            llmc_tracker_free(t);
        }
    }
    explicit operator bool() const { return t != nullptr; }
};

struct Corpus {
    std::vector<int> ids;        // text as vocabulary indices
    std::vector<unsigned char> byte_of;
    std::size_t n_train = 0;     // [0, n_train) trains, the rest is held out
    int vocab() const { return static_cast<int>(byte_of.size()); }

    bool load(const std::string &path)
    {
        std::ifstream f(path, std::ios::binary);
        if (!f) {
            std::perror(path.c_str());
            return false;
        }
        std::string text((std::istreambuf_iterator<char>(f)),
                         std::istreambuf_iterator<char>());
        if (text.size() < 1000) {
            std::fprintf(stderr, "%s: too little text to train on\n",
                         path.c_str());
            return false;
        }
        int index_of[256];
        bool seen[256] = {};
        for (char ch : text)
            seen[static_cast<unsigned char>(ch)] = true;
        for (int b = 0; b < 256; b++) {
            index_of[b] = -1;
            if (seen[b]) {
                index_of[b] = static_cast<int>(byte_of.size());
                byte_of.push_back(static_cast<unsigned char>(b));
            }
        }
        ids.reserve(text.size());
        for (char ch : text)
            ids.push_back(index_of[static_cast<unsigned char>(ch)]);
        n_train = ids.size() - ids.size() / 10;
        return true;
    }
};

class Bigram {
public:
    explicit Bigram(int vocab)
        : v_(vocab), w_(static_cast<std::size_t>(vocab) * vocab, 0.0f),
          grad_(w_.size(), 0.0f), p_(static_cast<std::size_t>(vocab))
    {
    }

    // Probabilities of the next char after prev, into p_.
    const std::vector<float> &predict(int prev)
    {
        const float *row = &w_[static_cast<std::size_t>(prev) * v_];
        float mx = row[0], sum = 0.0f;
        for (int c = 1; c < v_; c++)
            mx = std::fmax(mx, row[c]);
        for (int c = 0; c < v_; c++)
            sum += (p_[c] = std::exp(row[c] - mx));
        for (int c = 0; c < v_; c++)
            p_[c] /= sum;
        return p_;
    }

    // Forward, backward and one SGD step on a batch; returns the mean loss.
    double train_step(const std::vector<int> &prev,
                      const std::vector<int> &next, float lr)
    {
        const float inv = 1.0f / static_cast<float>(prev.size());
        double loss = 0.0;
        std::fill(grad_.begin(), grad_.end(), 0.0f);
        for (std::size_t b = 0; b < prev.size(); b++) {
            predict(prev[b]);
            loss -= std::log(static_cast<double>(p_[next[b]]) + 1e-30);
            float *g = &grad_[static_cast<std::size_t>(prev[b]) * v_];
            for (int c = 0; c < v_; c++)
                g[c] += (p_[c] - (c == next[b] ? 1.0f : 0.0f)) * inv;
        }
        for (std::size_t i = 0; i < w_.size(); i++)
            w_[i] -= lr * grad_[i];
        return loss / static_cast<double>(prev.size());
    }

    double loss_on(const std::vector<int> &ids, std::size_t from,
                   std::size_t to)
    {
        double loss = 0.0;
        for (std::size_t i = from + 1; i < to; i++)
            loss -= std::log(static_cast<double>(predict(ids[i - 1])[ids[i]]) +
                             1e-30);
        return loss / static_cast<double>(to - from - 1);
    }

private:
    int v_;
    std::vector<float> w_, grad_, p_;
};

llmc_tracker *tracker_setup(const char *config, std::uint64_t target_tokens)
{
    llmc_tracker *t = nullptr;
    int rc = llmc_tracker_new(&t); // the LLMC_* environment applies here
    if (rc != LLMC_OK) {
        std::fprintf(stderr, "llmcarbon: %s (%s); training continues "
                     "unmeasured\n", llmc_last_error(), llmc_status_name(rc));
        return nullptr;
    }
    if (!std::getenv("LLMC_METERS"))
        rc = llmc_tracker_configure(t, "meters=auto");
    if (rc == LLMC_OK && config)
        rc = llmc_tracker_configure(t, config);
    if (rc == LLMC_OK)
        rc = llmc_tracker_set_target_tokens(t, target_tokens);
    if (rc == LLMC_OK)
        rc = llmc_tracker_start(t);
    if (rc != LLMC_OK) {
        std::fprintf(stderr, "llmcarbon: %s (%s); training continues "
                     "unmeasured\n", llmc_last_error(), llmc_status_name(rc));
        llmc_tracker_free(t);
        return nullptr;
    }
    return t;
}

void print_value(const char *name, double v)
{
    if (std::isnan(v))
        std::printf("%-24s unmeasured\n", name);
    else
        std::printf("%-24s %.6g\n", name, v);
}

// Prints the totals; returns the --expect-steps status (0 without one).
int report(llmc_tracker *t, bool expect, std::uint64_t expect_steps)
{
    std::printf("\n--- llmcarbon ---\n");
    if (!t) {
        std::printf("measurement was off (see the message above)\n");
        return expect ? 1 : 0;
    }
    int rc = llmc_tracker_stop(t);
    if (rc != LLMC_OK)
        std::fprintf(stderr, "llmcarbon: stop: %s\n", llmc_last_error());
    llmc_totals o;
    llmc_totals_init(&o, sizeof o);
    if ((rc = llmc_tracker_totals(&o, t, nullptr)) != LLMC_OK) {
        std::fprintf(stderr, "llmcarbon: totals: %s\n", llmc_last_error());
        return expect ? 1 : 0;
    }
    std::printf("%-24s %llu\n", "steps", static_cast<unsigned long long>(o.steps));
    std::printf("%-24s %llu\n", "tokens", static_cast<unsigned long long>(o.tokens));
    std::printf("%-24s %.3f\n", "duration_s", o.duration_s);
    print_value("energy_j", o.energy_j);
    print_value("j_per_token", o.j_per_token);
    print_value("gco2e_per_token", o.gco2e_per_token);
    print_value("total_kgco2e", o.total_kgco2e);
    for (const char *phase : {"train", "eval"}) {
        llmc_totals p;
        llmc_totals_init(&p, sizeof p);
        std::string name = std::string(phase) + "_energy_j";
        if (llmc_tracker_totals(&p, t, phase) == LLMC_OK)
            print_value(name.c_str(), p.energy_j);
        else
            std::printf("%-24s none (no %s pass)\n", name.c_str(), phase);
    }
    if (!expect)
        return 0;

    if (o.steps != expect_steps) {
        std::printf("check FAILED: steps %llu, expected %llu\n",
                    static_cast<unsigned long long>(o.steps),
                    static_cast<unsigned long long>(expect_steps));
        return 1;
    }
    if (!std::isfinite(o.energy_j) || o.energy_j <= 0.0) {
        std::printf("check FAILED: energy_j %g is not finite and above 0\n",
                    o.energy_j);
        return 1;
    }
    std::size_t n = llmc_tracker_channel_count(t);
    bool all_const = n > 0;
    double watts = 0.0;
    for (std::size_t i = 0; i < n && all_const; i++) {
        llmc_channel ch;
        llmc_channel_init(&ch, sizeof ch);
        all_const = llmc_tracker_channel(&ch, t, i) == LLMC_OK &&
                    ch.method == LLMC_METHOD_CONST;
        watts += ch.power_w;
    }
    if (all_const) {
        double want = watts * o.duration_s;
        if (!(std::fabs(o.energy_j - want) <= 0.05 * want)) {
            std::printf("check FAILED: energy_j %.6g, but %.6g W x %.6g s = "
                        "%.6g\n", o.energy_j, watts, o.duration_s, want);
            return 1;
        }
    }
    std::printf("check ok: steps %llu, energy_j %.6g\n",
                static_cast<unsigned long long>(o.steps), o.energy_j);
    return 0;
}

bool parse_count(const char *text, long &out)
{
    char *end = nullptr;
    long v = std::strtol(text, &end, 10);
    if (!*text || *end || v < 1)
        return false;
    out = v;
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    std::string corpus_path = DEFAULT_CORPUS;
    const char *config = nullptr;
    long steps = kDefaultSteps, expect_steps = 0;
    bool expect = false;

    for (int i = 1; i < argc; i += 2) { // option, value
        std::string a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : nullptr;
        bool ok = val != nullptr;
        if (ok && a == "--steps")
            ok = parse_count(val, steps);
        else if (ok && a == "--expect-steps")
            ok = expect = parse_count(val, expect_steps);
        else if (ok && a == "--corpus")
            corpus_path = val;
        else if (ok && a == "--config")
            config = val;
        else
            ok = false;
        if (!ok) {
            std::fprintf(stderr, "usage: %s [--steps N] [--corpus FILE] "
                         "[--config \"key=value;...\"] [--expect-steps N]\n",
                         argv[0]);
            return a == "-h" || a == "--help" ? 0 : 2;
        }
    }

    Corpus c;
    if (!c.load(corpus_path))
        return 1;
    const int v = c.vocab();
    std::printf("corpus %s: %zu bytes, vocabulary %d; bigram model, "
                "%d parameters, batch %d, %ld steps\n", corpus_path.c_str(),
                c.ids.size(), v, v * v, kBatch, steps);
    std::printf("uniform guess: loss ln(%d) = %.3f\n", v, std::log(double(v)));

    Bigram model(v);
    std::mt19937_64 rng(kSeed);
    std::uniform_int_distribution<std::size_t> pick(1, c.n_train - 1);
    std::vector<int> prev(kBatch), next(kBatch);
    const long every = steps >= 10 ? steps / 10 : 1;
    double running = 0.0;

    tracker_guard guard;
    guard.t = tracker_setup(config, static_cast<std::uint64_t>(steps) * kBatch);

    for (long step = 1; step <= steps; step++) {
        for (int b = 0; b < kBatch; b++) {
            std::size_t pos = pick(rng);
            prev[b] = c.ids[pos - 1];
            next[b] = c.ids[pos];
        }
        float lr = static_cast<float>(20.0 - 19.0 * double(step - 1) / double(steps));
        double loss = model.train_step(prev, next, lr);
        if (guard)
            llmc_tracker_step(guard.t, kBatch);
        if (step == 1)
            std::printf("step %6d  train loss %.3f (first batch)\n", 1, loss);
        running += loss;
        if (step % every == 0 || step == steps) {
            if (guard)
                llmc_tracker_phase(guard.t, "eval");
            double held_out = model.loss_on(c.ids, c.n_train, c.ids.size());
            if (guard)
                llmc_tracker_phase(guard.t, "train");
            long n = step % every ? step % every : every;
            std::printf("step %6ld  train loss %.3f  held-out loss %.3f\n",
                        step, running / double(n), held_out);
            running = 0.0;
        }
    }

    std::printf("\nsample:\n");
    int ch = c.ids[0];
    std::putchar(c.byte_of[ch]);
    for (int i = 0; i < 200; i++) {
        const std::vector<float> &p = model.predict(ch);
        std::discrete_distribution<int> d(p.begin(), p.end());
        ch = d(rng);
        std::putchar(c.byte_of[ch]);
    }
    std::putchar('\n');

    return report(guard.t, expect, static_cast<std::uint64_t>(expect_steps));
}
