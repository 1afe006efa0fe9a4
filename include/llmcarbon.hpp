// llmcarbon.hpp - a header-only C++17 wrapper of llmcarbon.h.
//
// Handles are move-only RAII objects; a failing call throws
// llmcarbon::error, which carries the status code, its name and the
// library's message. Nothing here adds behaviour to the C API: every
// member calls one C function.
//
//   llmcarbon::tracker t("meters=auto;grid=FR");
//   t.start();
//   for (...) { train(); t.step(tokens); }
//   t.stop();
//   std::cout << t.totals().total_kgco2e << " kgCO2e\n";
//
// The one exception to "throws on failure" is tracker::step, which returns
// the status: it is the hot path, and a measurement problem must never
// stop training.
#ifndef LLMCARBON_HPP
#define LLMCARBON_HPP

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "llmcarbon.h"

namespace llmcarbon {

class error : public std::runtime_error {
public:
    explicit error(int code)
        : std::runtime_error(std::string(llmc_status_name(code)) + ": " +
                             (*llmc_last_error() ? llmc_last_error()
                                                 : llmc_strerror(code))),
          code_(code)
    {
    }
    int code() const noexcept { return code_; }
    const char *name() const noexcept { return llmc_status_name(code_); }

private:
    int code_;
};

namespace detail {
inline void check(int rc)
{
    if (rc != LLMC_OK)
        throw error(rc);
}
inline std::string str(const char *s) { return s ? std::string(s) : std::string(); }

// A move-only owner of a C handle released by Free.
template <class T, void (*Free)(T *)> class handle {
public:
    handle() noexcept = default;
    explicit handle(T *p) noexcept : p_(p) {}
    handle(const handle &) = delete;
    handle &operator=(const handle &) = delete;
    handle(handle &&o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    handle &operator=(handle &&o) noexcept
    {
        if (this != &o) {
            Free(p_);
            p_ = std::exchange(o.p_, nullptr);
        }
        return *this;
    }
    ~handle() { Free(p_); }
    T *get() const noexcept { return p_; }
    T **out() noexcept
    {
        Free(p_);
        p_ = nullptr;
        return &p_;
    }

private:
    T *p_ = nullptr;
};
} // namespace detail

inline std::string version() { return llmc_version_string(); }

inline double parse_quantity(const std::string &text, llmc_dimension dim,
                             const char *bare_unit = nullptr)
{
    double v = 0;
    detail::check(llmc_quantity_parse(&v, dim, text.c_str(), bare_unit));
    return v;
}

class profile {
public:
    static profile lookup(const std::string &name)
    {
        profile p;
        detail::check(llmc_profile_lookup(p.h_.out(), name.c_str()));
        return p;
    }
    static profile load(const std::string &path)
    {
        profile p;
        detail::check(llmc_profile_load(p.h_.out(), path.c_str()));
        return p;
    }
    // false when no source gives the value (the C API's LLMC_ENODATA)
    bool get(llmc_profile_field field, double &out) const
    {
        int rc = llmc_profile_get(&out, h_.get(), field);
        if (rc == LLMC_ENODATA)
            return false;
        detail::check(rc);
        return true;
    }
    std::string text(llmc_profile_text field) const
    {
        return detail::str(llmc_profile_get_text(h_.get(), field));
    }
    std::string name() const { return text(LLMC_PROFILE_NAME); }
    llmc_profile *get() const noexcept { return h_.get(); }

private:
    detail::handle<llmc_profile, llmc_profile_free> h_;
};

// An answer of a grid, with its strings copied.
struct intensity {
    double gco2e_per_kwh = 0;
    std::int64_t start_unix_s = 0, duration_s = 0;
    llmc_basis basis = LLMC_BASIS_UNSPECIFIED;
    bool is_estimated = false, is_forecast = false;
    int year = 0;
    std::string zone, source, dataset, provenance, licence, fallback;
};

class grid {
public:
    explicit grid(const std::string &spec)
    {
        detail::check(llmc_grid_new(h_.out(), spec.c_str()));
    }
    void set(const std::string &key, const std::string &value)
    {
        detail::check(llmc_grid_set(h_.get(), key.c_str(), value.c_str()));
    }
    intensity at(std::int64_t time_unix_s) const
    {
        llmc_intensity ci;
        llmc_intensity_init(&ci, sizeof ci);
        detail::check(llmc_grid_intensity_at(&ci, h_.get(), time_unix_s));
        intensity r;
        r.gco2e_per_kwh = ci.gco2e_per_kwh;
        r.start_unix_s = ci.start_unix_s;
        r.duration_s = ci.duration_s;
        r.basis = ci.basis;
        r.is_estimated = ci.is_estimated != 0;
        r.is_forecast = ci.is_forecast != 0;
        r.year = ci.year;
        r.zone = detail::str(ci.zone);
        r.source = detail::str(ci.source);
        r.dataset = detail::str(ci.dataset);
        r.provenance = detail::str(ci.provenance);
        r.licence = detail::str(ci.licence);
        r.fallback = detail::str(ci.fallback);
        return r;
    }
    llmc_window best_window(std::int64_t from_unix_s, double duration_s,
                            double within_s) const
    {
        llmc_window w;
        llmc_window_init(&w, sizeof w);
        detail::check(llmc_grid_best_window(&w, h_.get(), from_unix_s,
                                            duration_s, within_s));
        return w;
    }
    std::string spec() const { return detail::str(llmc_grid_spec(h_.get())); }
    llmc_grid *get() const noexcept { return h_.get(); }

private:
    detail::handle<llmc_grid, llmc_grid_free> h_;
};

class estimate {
public:
    estimate() { detail::check(llmc_estimate_new(h_.out())); }
    estimate &set(const std::string &key, const std::string &value)
    {
        detail::check(llmc_estimate_set(h_.get(), key.c_str(), value.c_str()));
        return *this;
    }
    estimate &set_profile(const profile &p)
    {
        detail::check(llmc_estimate_set_profile(h_.get(), p.get()));
        return *this;
    }
    estimate &set_grid(const grid &g)
    {
        detail::check(llmc_estimate_set_grid(h_.get(), g.get()));
        return *this;
    }
    llmc_estimate_result compute()
    {
        llmc_estimate_result r;
        llmc_estimate_result_init(&r, sizeof r);
        detail::check(llmc_estimate_compute(&r, h_.get()));
        return r;
    }
    std::pair<llmc_estimate_result, llmc_estimate_result> range() const
    {
        llmc_estimate_result lo, hi;
        llmc_estimate_result_init(&lo, sizeof lo);
        llmc_estimate_result_init(&hi, sizeof hi);
        detail::check(llmc_estimate_range(&lo, &hi, h_.get()));
        return {lo, hi};
    }
    std::string json() const
    {
        char *text = nullptr;
        detail::check(llmc_estimate_json(&text, h_.get()));
        std::string s(text);
        llmc_free(text);
        return s;
    }

private:
    detail::handle<llmc_estimate, llmc_estimate_free> h_;
};

// A channel of a meter as its last read left it, with its strings copied
// (the C API's live only until the next read).
struct channel_reading {
    std::string name, device, detail;
    llmc_method method = LLMC_METHOD_NONE;
    double energy_j = 0, power_w = 0;
    int status = LLMC_OK;
    unsigned quality = 0;
    bool node_level = false;
};

// Power meters on their own, without a tracker: open a spec ("const:300W",
// "nvml:all+rapl", "auto"), read, and look at each channel.
class meter {
public:
    explicit meter(const std::string &spec)
    {
        detail::check(llmc_meter_open(h_.out(), spec.c_str()));
    }
    // Reads every channel. A channel that fails keeps its own status and
    // the others are still read; then the first failure is thrown.
    void read() { detail::check(llmc_meter_read(h_.get())); }
    std::size_t channel_count() const noexcept
    {
        return llmc_meter_channel_count(h_.get());
    }
    channel_reading channel(std::size_t index) const
    {
        llmc_channel c;
        llmc_channel_init(&c, sizeof c);
        detail::check(llmc_meter_channel(&c, h_.get(), index));
        channel_reading r;
        r.name = detail::str(c.name);
        r.device = detail::str(c.device);
        r.detail = detail::str(c.detail);
        r.method = c.method;
        r.energy_j = c.energy_j;
        r.power_w = c.power_w;
        r.status = c.status;
        r.quality = c.quality;
        r.node_level = c.node_level != 0;
        return r;
    }
    // One line per source tried and what came of it.
    std::string diagnostics() const
    {
        return detail::str(llmc_meter_diagnostics(h_.get()));
    }
    llmc_meter *get() const noexcept { return h_.get(); }

private:
    detail::handle<llmc_meter, llmc_meter_free> h_;
};

class tracker {
public:
    explicit tracker(const std::string &config = std::string())
    {
        detail::check(llmc_tracker_new(h_.out()));
        if (!config.empty())
            detail::check(llmc_tracker_configure(h_.get(), config.c_str()));
    }
    tracker &set(const std::string &key, const std::string &value)
    {
        detail::check(llmc_tracker_set(h_.get(), key.c_str(), value.c_str()));
        return *this;
    }
    void start() { detail::check(llmc_tracker_start(h_.get())); }
    // What the start found, without throwing: "" while some meter reads;
    // else each meter tried and why, and what stands in (the fallback's
    // estimate, or nothing), as llmc_tracker_status(3) says.
    std::string measurement_problem() const
    {
        const char *why = nullptr;
        if (llmc_tracker_status(&why, h_.get()) == LLMC_ENODEV && why)
            return why;
        return std::string();
    }
    // The hot path: no exception, the status is returned.
    int step(std::uint64_t tokens) noexcept
    {
        return llmc_tracker_step(h_.get(), tokens);
    }
    // steps counted elsewhere, handed over at once (as many step() calls)
    int add_steps(std::uint64_t steps, std::uint64_t tokens) noexcept
    {
        return llmc_tracker_add_steps(h_.get(), steps, tokens);
    }
    void phase(const std::string &name)
    {
        detail::check(llmc_tracker_phase(h_.get(), name.c_str()));
    }
    // Named windows, which may overlap and nest; each takes the lock.
    void window_begin(const std::string &name)
    {
        detail::check(llmc_tracker_window_begin(h_.get(), name.c_str()));
    }
    llmc_totals window_end(const std::string &name)
    {
        llmc_totals o;
        llmc_totals_init(&o, sizeof o);
        detail::check(llmc_tracker_window_end(&o, h_.get(), name.c_str()));
        return o;
    }
    void stop() { detail::check(llmc_tracker_stop(h_.get())); }
    llmc_totals totals(const char *phase = nullptr) const
    {
        llmc_totals o;
        llmc_totals_init(&o, sizeof o);
        detail::check(llmc_tracker_totals(&o, h_.get(), phase));
        return o;
    }
    std::string report_json() const
    {
        char *text = nullptr;
        detail::check(llmc_tracker_report_json(&text, h_.get()));
        std::string s(text);
        llmc_free(text);
        return s;
    }
    // Its log drawn as one HTML page (llmc_tracker_report_html(3)); an
    // error with LLMC_ENODATA for a tracker without log=FILE.
    std::string report_html() const
    {
        char *text = nullptr;
        detail::check(llmc_tracker_report_html(&text, h_.get()));
        std::string s(text);
        llmc_free(text);
        return s;
    }
    // Prometheus text 0.0.4, or OpenMetrics 1.0 with LLMC_METRICS_OPENMETRICS
    // in flags (llmc_tracker_metrics_text(3)).
    std::string metrics_text(unsigned flags = 0) const
    {
        char *text = nullptr;
        detail::check(llmc_tracker_metrics_text(&text, h_.get(), flags));
        std::string s(text);
        llmc_free(text);
        return s;
    }
    llmc_tracker *get() const noexcept { return h_.get(); }

private:
    detail::handle<llmc_tracker, llmc_tracker_free> h_;
};

// A window of a tracker for a scope: the constructor begins it, end()
// ends it and returns its totals, and the destructor ends it if end() did
// not, without totals and without throwing (a training loop's scope exit
// never fails for its measurement). The tracker must outlive it.
class window {
public:
    window(tracker &t, std::string name) : t_(&t), name_(std::move(name))
    {
        t.window_begin(name_);
    }
    window(const window &) = delete;
    window &operator=(const window &) = delete;
    window(window &&o) noexcept
        : t_(std::exchange(o.t_, nullptr)), name_(std::move(o.name_)),
          open_(std::exchange(o.open_, false))
    {
    }
    window &operator=(window &&) = delete;
    ~window()
    {
        if (open_)
            llmc_tracker_window_end(nullptr, t_->get(), name_.c_str());
    }
    // Ends the window now; a second call throws LLMC_ESTATE (not open).
    llmc_totals end()
    {
        llmc_totals o;
        llmc_totals_init(&o, sizeof o);
        open_ = false;
        detail::check(llmc_tracker_window_end(&o, t_ ? t_->get() : nullptr,
                                              name_.c_str()));
        return o;
    }
    const std::string &name() const noexcept { return name_; }

private:
    tracker *t_;
    std::string name_;
    bool open_ = true;
};

// The logs of a run read back as one run (llmc_runlog_read(3)); flags
// LLMC_RUNLOG_NO_SAMPLES keeps no sample, in memory of the processes, not
// the lines. The strings in the structs it returns live as long as the
// object.
class runlog {
public:
    explicit runlog(const std::vector<std::string> &paths,
                    const grid *g = nullptr, double pue = 0,
                    unsigned flags = 0)
    {
        std::vector<const char *> p;
        for (const std::string &s : paths)
            p.push_back(s.c_str());
        detail::check(llmc_runlog_read_flags(h_.out(), p.data(), p.size(),
                                             g ? g->get() : nullptr, pue,
                                             flags));
    }
    // What the reading skipped, one line each.
    std::string warnings() const
    {
        return detail::str(llmc_runlog_warnings(h_.get()));
    }
    llmc_run_totals totals(const char *phase = nullptr) const
    {
        llmc_run_totals o;
        llmc_run_totals_init(&o, sizeof o);
        detail::check(llmc_runlog_totals(&o, h_.get(), phase));
        return o;
    }
    std::vector<std::string> phases() const
    {
        std::vector<std::string> v;
        for (std::size_t i = 0; i < llmc_runlog_phase_count(h_.get()); i++)
            v.push_back(llmc_runlog_phase_name(h_.get(), i));
        return v;
    }
    std::vector<llmc_run_totals> streams() const
    {
        std::vector<llmc_run_totals> v(llmc_runlog_stream_count(h_.get()));
        for (std::size_t i = 0; i < v.size(); i++) {
            llmc_run_totals_init(&v[i], sizeof v[i]);
            detail::check(llmc_runlog_stream(&v[i], h_.get(), i));
        }
        return v;
    }
    std::vector<llmc_run_resume> resumes() const
    {
        std::vector<llmc_run_resume> v(llmc_runlog_resume_count(h_.get()));
        for (std::size_t i = 0; i < v.size(); i++) {
            llmc_run_resume_init(&v[i], sizeof v[i]);
            detail::check(llmc_runlog_resume(&v[i], h_.get(), i));
        }
        return v;
    }
    std::size_t sample_count() const
    {
        return llmc_runlog_sample_count(h_.get());
    }
    llmc_run_sample sample(std::size_t index) const
    {
        llmc_run_sample x;
        llmc_run_sample_init(&x, sizeof x);
        detail::check(llmc_runlog_sample(&x, h_.get(), index));
        return x;
    }
    std::string report_json() const
    {
        char *text = nullptr;
        detail::check(llmc_runlog_report_json(&text, h_.get()));
        std::string s(text);
        llmc_free(text);
        return s;
    }
    // The run as one self-contained HTML page (llmc_runlog_report_html(3)).
    std::string report_html() const
    {
        char *text = nullptr;
        detail::check(llmc_runlog_report_html(&text, h_.get(), 0));
        std::string s(text);
        llmc_free(text);
        return s;
    }
    llmc_runlog *get() const noexcept { return h_.get(); }

private:
    detail::handle<llmc_runlog, llmc_runlog_free> h_;
};

} // namespace llmcarbon

#endif // LLMCARBON_HPP
