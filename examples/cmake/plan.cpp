// plan.cpp - a CMake consumer of libllmcarbon through the C++ wrapper: the
// footprint of a planned run, with its range.
#include <iostream>

#include <llmcarbon.hpp>

int main()
{
    try {
        llmcarbon::estimate e;
        e.set("hardware", "NVIDIA H100 SXM5 80GB")
            .set("count", "1024")
            .set("params", "70B")
            .set("tokens", "2T")
            .set("mfu", "0.35..0.45")
            .set("zone", "FR");
        auto r = e.compute();
        auto [lo, hi] = e.range();
        std::cout << "total_kgco2e " << r.total_kgco2e << "\n"
                  << "range " << lo.total_kgco2e << " " << hi.total_kgco2e
                  << "\n";
        return r.total_kgco2e > lo.total_kgco2e && r.total_kgco2e < hi.total_kgco2e
                   ? 0
                   : 1;
    } catch (const llmcarbon::error &err) {
        std::cerr << err.what() << "\n";
        return 1;
    }
}
