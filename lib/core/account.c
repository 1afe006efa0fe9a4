/*
 * account.c - the accounting core. Every CO2e figure the library reports
 * goes through these two functions, so a prediction and a measurement of
 * the same run are computed the same way.
 */
#include <math.h>

#include "internal.h"

LLMC_API int llmc_account_operational(double *out_kgco2e, double energy_j,
                                      double pue,
                                      double intensity_gco2e_per_kwh)
{
    if (!out_kgco2e)
        return llmc__fail(LLMC_EINVAL, "out_kgco2e is NULL");
    if (!isfinite(energy_j) || energy_j < 0.0)
        return llmc__fail(LLMC_ERANGE,
                          "energy %g J is not allowed; energy must be finite "
                          "and not negative",
                          energy_j);
    if (!isfinite(pue) || pue < 1.0)
        return llmc__fail(LLMC_ERANGE,
                          "PUE %g is not allowed; PUE is facility energy over "
                          "IT energy, so at least 1",
                          pue);
    if (!isfinite(intensity_gco2e_per_kwh) || intensity_gco2e_per_kwh < 0.0)
        return llmc__fail(LLMC_ERANGE,
                          "intensity %g gCO2e/kWh is not allowed; it must be "
                          "finite and not negative",
                          intensity_gco2e_per_kwh);
    *out_kgco2e = energy_j / LLMC__J_PER_KWH * pue * intensity_gco2e_per_kwh /
                  1000.0;
    return LLMC_OK;
}

LLMC_API int llmc_account_embodied(double *out_kgco2e, double embodied_kgco2e,
                                   double device_time_s, double lifetime_s)
{
    if (!out_kgco2e)
        return llmc__fail(LLMC_EINVAL, "out_kgco2e is NULL");
    if (!isfinite(embodied_kgco2e) || embodied_kgco2e < 0.0)
        return llmc__fail(LLMC_ERANGE,
                          "embodied %g kgCO2e is not allowed; it must be "
                          "finite and not negative",
                          embodied_kgco2e);
    if (!isfinite(device_time_s) || device_time_s < 0.0)
        return llmc__fail(LLMC_ERANGE,
                          "device time %g s is not allowed; it must be finite "
                          "and not negative",
                          device_time_s);
    if (!isfinite(lifetime_s) || lifetime_s <= 0.0)
        return llmc__fail(LLMC_ERANGE,
                          "lifetime %g s is not allowed; embodied carbon is "
                          "amortised over a lifetime above 0",
                          lifetime_s);
    *out_kgco2e = embodied_kgco2e * device_time_s / lifetime_s;
    return LLMC_OK;
}
