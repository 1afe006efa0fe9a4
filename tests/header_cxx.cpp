// The public header compiles as C++, and the C++ wrapper (llmcarbon.hpp)
// gives the C API's answers and throws on its failures.
#include <llmcarbon.h>
#include <llmcarbon.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <utility>

#include <stdlib.h> // mkstemp
#include <stdio.h>  // fdopen

#define EXPECT(cond)                                                          \
    do {                                                                      \
        if (!(cond)) {                                                        \
            std::fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__,   \
                         #cond);                                              \
            return 1;                                                         \
        }                                                                     \
    } while (0)

int main()
{
    // the plain C API, from C++
    llmc_grid *raw = nullptr;
    EXPECT(llmc_grid_new(&raw, "static:FR") == LLMC_OK);
    llmc_grid_free(raw);

    // the wrapper: values
    llmcarbon::grid fr("FR");
    llmcarbon::intensity ci = fr.at(0);
    EXPECT(ci.zone == "FRA");
    EXPECT(ci.gco2e_per_kwh == 56.039);
    EXPECT(ci.basis == LLMC_BASIS_LIFECYCLE);

    llmcarbon::estimate e;
    e.set("energy", "1000kWh").set("intensity", "0.5kg/kWh");
    EXPECT(std::fabs(e.compute().total_kgco2e - 500.0) < 1e-9);
    EXPECT(e.json().find("\"total_kgco2e\": 500.0") != std::string::npos);

    double tdp = 0;
    llmcarbon::profile h100 = llmcarbon::profile::lookup("h100 sxm");
    EXPECT(h100.get(LLMC_PROFILE_TDP_W, tdp) && tdp == 700.0);
    EXPECT(!llmcarbon::profile::lookup("NVIDIA A10 24GB").get(LLMC_PROFILE_TDP_W, tdp));

    // failures throw llmcarbon::error with the code and the message
    try {
        llmcarbon::grid bad("XX");
        return 1;
    } catch (const llmcarbon::error &err) {
        EXPECT(err.code() == LLMC_ENOTFOUND);
        EXPECT(std::strcmp(err.name(), "LLMC_ENOTFOUND") == 0);
        EXPECT(std::strstr(err.what(), "llmcarbon grid list") != nullptr);
    }

    // move-only handles: moved-from objects release nothing twice
    llmcarbon::grid moved = std::move(fr);
    EXPECT(moved.spec() == "static:FRA");

    llmcarbon::tracker t("meters=const:100W;grid=const:1;interval=100ms");
    t.start();
    EXPECT(t.measurement_problem().empty());
    EXPECT(t.step(10) == LLMC_OK);
    EXPECT(t.add_steps(3, 20) == LLMC_OK);
    t.stop();
    EXPECT(t.totals().steps == 4);
    EXPECT(t.totals().tokens == 30);
    EXPECT(t.report_json().find("\"tokens\": 30") != std::string::npos);
    EXPECT(t.metrics_text().find(",phase=\"train\"} 30\n") !=
           std::string::npos);
    EXPECT(t.metrics_text(LLMC_METRICS_OPENMETRICS).find("# EOF\n") !=
           std::string::npos);
    EXPECT(std::fabs(llmcarbon::parse_quantity("1.5kWh", LLMC_DIM_ENERGY) -
                     5.4e6) < 1e-6);

    // nothing that reads here: said at start, and the estimate stands in
    {
        setenv("LLMC_SYSFS_ROOT", "/nonexistent-sysfs", 1);
        setenv("LLMC_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
        llmcarbon::tracker bare("grid=const:1;sampler=inline");
        bare.start();
        std::string why = bare.measurement_problem();
        EXPECT(why.find("no meter can read energy here") != std::string::npos);
        EXPECT(why.find("estimated") != std::string::npos);
        bare.stop();
        EXPECT(bare.totals().quality & LLMC_QUALITY_ESTIMATED);
        unsetenv("LLMC_SYSFS_ROOT");
        unsetenv("LLMC_NVML_LIBRARY");
    }

    // windows: begun and ended by name, or by a scope; the destructor of
    // a window that was not ended ends it without throwing
    {
        llmcarbon::tracker w("meters=const:100W;grid=const:400;"
                             "interval=100ms");
        w.start();
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        w.window_begin("epoch");
        {
            llmcarbon::window fwd(w, "fwd");
            EXPECT(fwd.name() == "fwd");
            w.step(7);
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            llmc_totals f = fwd.end();
            EXPECT(f.steps == 1 && f.tokens == 7);
            EXPECT(f.duration_s >= 0.05);
            // 100 W on a constant meter: its duration's energy, up to the
            // milliseconds between the meter's clock and the tracker's
            EXPECT(std::fabs(f.energy_j - 100.0 * f.duration_s) < 0.5);
            try {
                fwd.end();
                return 1;
            } catch (const llmcarbon::error &err) {
                EXPECT(err.code() == LLMC_ESTATE);
            }
        }
        {
            llmcarbon::window quiet(w, "bwd");
            w.step(1);
        } // ended here: it may begin again
        w.window_begin("bwd");
        try {
            w.window_begin("bwd");
            return 1;
        } catch (const llmcarbon::error &err) {
            EXPECT(err.code() == LLMC_ESTATE);
            EXPECT(std::strstr(err.what(), "already open") != nullptr);
        }
        llmc_totals e = w.window_end("epoch");
        EXPECT(e.steps == 2 && e.tokens == 8);
        {
            llmcarbon::window left(w, "left-open");
            w.stop(); // its destructor's end fails, silently
        }
        EXPECT(w.report_json().find("\"windows\"") != std::string::npos);
    }

    // a meter on its own: const:100W counts 100 W x the time between reads
    {
        llmcarbon::meter m("const:100W");
        EXPECT(m.channel_count() == 1);
        m.read();
        llmcarbon::channel_reading first = m.channel(0);
        EXPECT(first.name == "const");
        EXPECT(first.device == "100 W");
        EXPECT(first.method == LLMC_METHOD_CONST);
        EXPECT(first.status == LLMC_OK);
        EXPECT(!first.node_level);
        auto t0 = std::chrono::steady_clock::now();
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        m.read();
        double dt_s = std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - t0)
                          .count();
        llmcarbon::channel_reading second = m.channel(0);
        // the copied strings outlive the read that replaced the C API's
        EXPECT(first.name == "const");
        EXPECT(second.energy_j > first.energy_j);
        // up to the milliseconds between the meter's clock and this one
        EXPECT(std::fabs((second.energy_j - first.energy_j) - 100.0 * dt_s) <
               0.5);
        EXPECT(std::fabs(second.power_w - 100.0) < 1e-9);
        try {
            m.channel(1);
            return 1;
        } catch (const llmcarbon::error &err) {
            EXPECT(err.code() == LLMC_ERANGE);
        }
    }
    // "auto" with nothing to read opens with no channel, and says why
    {
        setenv("LLMC_SYSFS_ROOT", "/nonexistent-sysfs", 1);
        setenv("LLMC_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
        llmcarbon::meter none("auto");
        EXPECT(none.channel_count() == 0);
        EXPECT(none.diagnostics().find("no meter can read on this machine") !=
               std::string::npos);
        unsetenv("LLMC_SYSFS_ROOT");
        unsetenv("LLMC_NVML_LIBRARY");
    }
    try {
        llmcarbon::meter bad("watts:100");
        return 1;
    } catch (const llmcarbon::error &err) {
        EXPECT(err.code() == LLMC_EPARSE);
        EXPECT(std::strcmp(err.name(), "LLMC_EPARSE") == 0);
        EXPECT(std::strstr(err.what(), "'watts' is not a meter") != nullptr);
    }

    // totals() returns the whole struct, its last fields too: a grid API
    // nobody answers (a closed loopback port) leaves all the energy unpriced
    llmcarbon::tracker dark("meters=const:100W;interval=100ms;grid="
                            "electricitymaps:ZZ-LLMC-CXX?token=t&"
                            "base_url=http://127.0.0.1:9");
    dark.start();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    dark.stop();
    llmc_totals o = dark.totals();
    EXPECT(o.energy_j > 20.0);
    EXPECT(std::isnan(o.operational_kgco2e));
    EXPECT(std::fabs(o.unpriced_energy_j - o.energy_j) <= 1e-9 * o.energy_j);
    EXPECT(o.filled_energy_j == 0.0);

    // a run's log read back: two samples of 1 kWh at 300 g/kWh, PUE 1
    char path[] = "/tmp/llmc-cxx-runlog-XXXXXX";
    int fd = mkstemp(path);
    EXPECT(fd >= 0);
    std::FILE *f = fdopen(fd, "w");
    EXPECT(f != nullptr);
    for (int i = 1; i <= 2; i++)
        std::fprintf(f,
                     "{\"time_unix_s\":%d,\"interval_s\":60.0,\"host\":\"n1\","
                     "\"rank\":3,\"pid\":7,\"phase\":\"train\",\"step\":%d,"
                     "\"tokens\":%d,\"energy_j\":3600000.0,\"meters\":[],"
                     "\"intensity_gco2e_per_kwh\":300.0,\"pue\":1.0,"
                     "\"operational_kgco2e\":0.3,\"embodied_kgco2e\":0.0}\n",
                     1714564800 + 60 * i, i, 10 * i);
    std::fclose(f);
    {
        llmcarbon::runlog log({path});
        llmc_run_totals t = log.totals();
        EXPECT(t.samples == 2 && t.energy_j == 7.2e6 && t.tokens == 20);
        EXPECT(std::fabs(t.operational_kgco2e - 0.6) < 1e-12);
        EXPECT(log.streams().size() == 1 && log.streams()[0].rank == 3);
        EXPECT(log.phases().size() == 1 && log.phases()[0] == "train");
        EXPECT(log.sample(1).power_w == 60000.0);
        EXPECT(log.warnings().empty() && log.resumes().empty());
        EXPECT(log.report_html().find("data-figure=\"samples\">2<") !=
               std::string::npos);
        try {
            log.totals("eval");
            return 1;
        } catch (const llmcarbon::error &err) {
            EXPECT(err.code() == LLMC_ENOTFOUND);
        }
    }
    {
        // the log given twice, read without samples: the same figures
        llmcarbon::runlog log({path, path}, nullptr, 0,
                              LLMC_RUNLOG_NO_SAMPLES);
        llmc_run_totals t = log.totals();
        EXPECT(t.samples == 2 && t.energy_j == 7.2e6 && t.tokens == 20);
        EXPECT(t.duplicate_lines == 2 && log.sample_count() == 0);
    }
    std::remove(path);
    return 0;
}
