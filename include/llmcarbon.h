/*
 * llmcarbon.h - the public interface of libllmcarbon.
 *
 * libllmcarbon accounts for the energy and CO2e of training runs:
 *
 *   CO2e = sum over intervals of E_it x PUE x CI(t)
 *        + sum over devices of embodied x device-time / lifetime
 *
 * Conventions (see llmcarbon(7)):
 *   - fallible calls return int: LLMC_OK (0) or a negative LLMC_E* code;
 *     llmc_last_error() then holds a message for the calling thread;
 *   - out-parameters come first; handles are opaque, created into **out and
 *     released by their _free function, which accepts NULL;
 *   - every quantity carries its unit in its name;
 *   - output structs start with a size field: initialise them with their
 *     _init function and sizeof (llmc_intensity_init(&ci, sizeof ci)); the
 *     library fills only what that size covers, so programs built against
 *     an older or newer header keep working.
 *
 * This header compiles as C11 and as C++.
 */
#ifndef LLMCARBON_H
#define LLMCARBON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(LLMC_BUILDING_LIBRARY) && defined(__GNUC__)
#define LLMC_API __attribute__((visibility("default")))
#else
#define LLMC_API
#endif

/* ------------------------------------------------------------------------
 * Version
 * ------------------------------------------------------------------------ */

#define LLMC_VERSION_MAJOR 0
#define LLMC_VERSION_MINOR 1
#define LLMC_VERSION_PATCH 0
/* MAJOR * 10000 + MINOR * 100 + PATCH, comparable across releases. */
#define LLMC_VERSION_NUM                                                      \
    (LLMC_VERSION_MAJOR * 10000 + LLMC_VERSION_MINOR * 100 + LLMC_VERSION_PATCH)

/* The version of the library that is running, as "0.1.0". */
LLMC_API const char *llmc_version_string(void);
/* The LLMC_VERSION_NUM the running library was built with. */
LLMC_API int llmc_version_num(void);

/* ------------------------------------------------------------------------
 * Status codes and errors. Values are fixed forever; new codes are appended.
 * ------------------------------------------------------------------------ */

#define LLMC_OK 0
#define LLMC_EINVAL (-1)     /* invalid argument: NULL, unknown key, bad flag  */
#define LLMC_ENOMEM (-2)     /* out of memory                                  */
#define LLMC_EPARSE (-3)     /* text does not parse: syntax, trailing garbage  */
#define LLMC_EUNIT (-4)      /* a unit this quantity does not accept           */
#define LLMC_ERANGE (-5)     /* NaN, infinite, negative, or below a minimum    */
#define LLMC_ENOTFOUND (-6)  /* unknown name: zone, hardware, file            */
#define LLMC_EAMBIGUOUS (-7) /* a name that matches several entries            */
#define LLMC_ENODATA (-8)    /* the value is not known (no source gives it)    */
#define LLMC_EIO (-9)        /* reading or writing a file failed               */
#define LLMC_EFORMAT (-10)   /* malformed content: JSON, CSV, missing fields   */
#define LLMC_EBUSY (-11)     /* the object is shared and no longer changes     */
#define LLMC_ENOTSUP (-12)   /* not supported here or not built in             */
#define LLMC_ENODEV (-13)    /* the device is absent                           */
#define LLMC_EPERM (-14)     /* permission denied                              */
#define LLMC_ESTATE (-15)    /* the call does not fit the object's state       */

/* A static description of a status code ("unknown name"); never NULL. */
LLMC_API const char *llmc_strerror(int status);
/* The code's name as written in this header ("LLMC_ENOTFOUND"); never NULL. */
LLMC_API const char *llmc_status_name(int status);
/* The detail of the last failure in the calling thread; "" when none.
 * The text stays valid until the next libllmcarbon call in this thread. */
LLMC_API const char *llmc_last_error(void);

/* Releases memory that the library handed out (strings, JSON text). */
LLMC_API void llmc_free(void *ptr);

/* ------------------------------------------------------------------------
 * Logging. The library never prints by itself; LLMC_DEBUG=1 in the
 * environment logs to stderr when no callback is installed.
 * ------------------------------------------------------------------------ */

#define LLMC_LOG_ERROR 0
#define LLMC_LOG_WARN 1
#define LLMC_LOG_INFO 2
#define LLMC_LOG_DEBUG 3

typedef void (*llmc_log_fn)(int level, const char *message, void *userdata);
/* Installs (or, with NULL, removes) the process-wide log callback. */
LLMC_API void llmc_log_set(llmc_log_fn fn, void *userdata);

/* ------------------------------------------------------------------------
 * Quantities with units. One parser serves the CLI, config strings and the
 * bindings. Values come back in the dimension's canonical unit.
 * ------------------------------------------------------------------------ */

typedef enum llmc_dimension {
    LLMC_DIM_POWER = 1,     /* canonical W;    W kW MW                          */
    LLMC_DIM_ENERGY = 2,    /* canonical J;    J kJ MJ GJ Wh kWh MWh GWh        */
    LLMC_DIM_INTENSITY = 3, /* canonical gCO2e/kWh; g/kWh kg/kWh gCO2e/kWh
                               kgCO2e/kWh t/MWh lb/MWh                        */
    LLMC_DIM_DURATION = 4,  /* canonical s;    ms s min h d y (y = 365.25 d)    */
    LLMC_DIM_PUE = 5,       /* dimensionless, at least 1                       */
    LLMC_DIM_MASS = 6       /* canonical kgCO2e; g kg t lb gCO2e kgCO2e tCO2e   */
} llmc_dimension;

/* Parses one quantity ("1.5kWh", "300 W", "720h"). A bare number is read in
 * bare_unit (one of the dimension's units, e.g. "kWh"); with bare_unit NULL a
 * bare number is an error (except for LLMC_DIM_PUE, which has no unit).
 * Errors: LLMC_EPARSE, LLMC_EUNIT, LLMC_ERANGE (NaN, infinity, negative, PUE
 * below 1), LLMC_EINVAL. */
LLMC_API int llmc_quantity_parse(double *out, llmc_dimension dim,
                                 const char *text, const char *bare_unit);

/* Parses a quantity or a range "low..high" ("550W..700W", "1.1..1.4",
 * "550..700W": a bare bound takes the other bound's unit). A single value
 * gives low == high. low must not exceed high. */
LLMC_API int llmc_quantity_parse_range(double *out_low, double *out_high,
                                       llmc_dimension dim, const char *text,
                                       const char *bare_unit);

/* Writes value (canonical unit) as text in a readable unit ("1.5 MWh") that
 * llmc_quantity_parse reads back. Returns LLMC_OK, or LLMC_ERANGE when the
 * buffer is too small or the value is not finite. */
LLMC_API int llmc_quantity_format(char *buf, size_t size, llmc_dimension dim,
                                  double value);

/* ------------------------------------------------------------------------
 * Hardware profiles
 * ------------------------------------------------------------------------ */

typedef struct llmc_profile llmc_profile;

typedef enum llmc_profile_field {
    LLMC_PROFILE_TDP_W = 1,
    LLMC_PROFILE_IDLE_W = 2,
    LLMC_PROFILE_PEAK_FP32_FLOPS = 3, /* dense FLOP/s (not TFLOPS)        */
    LLMC_PROFILE_PEAK_TF32_FLOPS = 4,
    LLMC_PROFILE_PEAK_BF16_FLOPS = 5,
    LLMC_PROFILE_PEAK_FP16_FLOPS = 6,
    LLMC_PROFILE_PEAK_FP8_FLOPS = 7,
    LLMC_PROFILE_MEMORY_GB = 8,
    LLMC_PROFILE_EMBODIED_KGCO2E = 9, /* per device; see EMBODIED_BASIS    */
    LLMC_PROFILE_LIFETIME_S = 10,     /* service life for amortisation     */
    LLMC_PROFILE_DIE_MM2 = 11,
    LLMC_PROFILE_PROCESS_NM = 12
} llmc_profile_field;

typedef enum llmc_profile_text {
    LLMC_PROFILE_NAME = 1,
    LLMC_PROFILE_VENDOR = 2,
    LLMC_PROFILE_KIND = 3,           /* gpu, tpu, accelerator, board, cpu  */
    LLMC_PROFILE_SOURCE = 4,         /* where the numbers come from        */
    LLMC_PROFILE_EMBODIED_BASIS = 5, /* die-only, board-share, board       */
    LLMC_PROFILE_LIFETIME_SOURCE = 6 /* why that lifetime                  */
} llmc_profile_text;

/* Finds a profile in the bundled catalogue. Case, spaces, dashes,
 * underscores and the vendor prefix do not matter ("h100-sxm", "MI300X").
 * Errors: LLMC_ENOTFOUND and LLMC_EAMBIGUOUS, whose message lists the
 * closest or the matching names. */
LLMC_API int llmc_profile_lookup(llmc_profile **out, const char *name);
/* An empty profile to fill with setters; every number starts unknown. */
LLMC_API int llmc_profile_new(llmc_profile **out, const char *name);
/* Loads a profile from a JSON file; llmc_profile_load_json from text. */
LLMC_API int llmc_profile_load(llmc_profile **out, const char *path);
LLMC_API int llmc_profile_load_json(llmc_profile **out, const char *json,
                                    size_t length);
/* Takes one more reference; each reference is released by llmc_profile_free.
 * A profile with more than one reference is frozen: setters then fail with
 * LLMC_EBUSY. */
LLMC_API llmc_profile *llmc_profile_ref(llmc_profile *profile);
LLMC_API void llmc_profile_free(llmc_profile *profile);

/* Reads a number. LLMC_ENODATA when no source gives it (never a silent 0). */
LLMC_API int llmc_profile_get(double *out, const llmc_profile *profile,
                              llmc_profile_field field);
/* Sets a number (finite, not negative); NaN marks it unknown again. */
LLMC_API int llmc_profile_set(llmc_profile *profile, llmc_profile_field field,
                              double value);
/* Reads a text field; "" when unknown, NULL for an invalid field. */
LLMC_API const char *llmc_profile_get_text(const llmc_profile *profile,
                                           llmc_profile_text field);
LLMC_API int llmc_profile_set_text(llmc_profile *profile,
                                   llmc_profile_text field, const char *value);

/* The bundled catalogue, for listings: count, then profiles by index. */
LLMC_API size_t llmc_profile_catalogue_count(void);
LLMC_API int llmc_profile_catalogue_get(llmc_profile **out, size_t index);

/* ------------------------------------------------------------------------
 * Grid carbon intensity
 * ------------------------------------------------------------------------ */

typedef struct llmc_grid llmc_grid;

typedef enum llmc_basis {
    LLMC_BASIS_UNSPECIFIED = 0,
    LLMC_BASIS_LIFECYCLE = 1,             /* includes upstream emissions     */
    LLMC_BASIS_DIRECT = 2,                /* combustion at the plant only    */
    LLMC_BASIS_OPERATIONAL_GENERATION = 3,/* generation-based factors        */
    LLMC_BASIS_MARGINAL = 4               /* marginal, not an average        */
} llmc_basis;

/* "lifecycle", "direct", "operational-generation", "marginal",
 * "unspecified"; never NULL. */
LLMC_API const char *llmc_basis_name(llmc_basis basis);

/* One answer of a grid source, with its provenance. Strings belong to the
 * grid (or to the bundled tables) and live as long as the grid does. */
typedef struct llmc_intensity {
    uint32_t size;                /* sizeof, set by llmc_intensity_init   */
    double gco2e_per_kwh;
    int64_t start_unix_s;         /* interval the value describes;        */
    int64_t duration_s;           /* 0 and 0 when it is not time-bound    */
    llmc_basis basis;
    int is_estimated;
    int is_forecast;
    int year;                     /* year the data describe; 0 unknown    */
    const char *zone;             /* canonical zone key ("FRA", "US-CA")  */
    const char *source;           /* "static", "const", ...               */
    const char *dataset;          /* "llmcarbon-grid 2026.11 sha256:87bd..." */
    const char *provenance;       /* the upstream file or document        */
    const char *licence;
} llmc_intensity;

/* Zeroes size bytes of out and sets out->size = size; pass sizeof *out. */
LLMC_API void llmc_intensity_init(llmc_intensity *out, size_t size);

/* Makes a grid source from a spec: "static:FR", "FR", "US-CA",
 * "gcp:europe-west1", "const:450g/kWh". Unknown zones fail with
 * LLMC_ENOTFOUND and a message that suggests near matches. */
LLMC_API int llmc_grid_new(llmc_grid **out, const char *spec);
/* A constant intensity, in gCO2e/kWh. */
LLMC_API int llmc_grid_new_const(llmc_grid **out, double gco2e_per_kwh);
LLMC_API llmc_grid *llmc_grid_ref(llmc_grid *grid);
LLMC_API void llmc_grid_free(llmc_grid *grid);
/* The spec the grid was made from, in canonical form ("static:FRA"). */
LLMC_API const char *llmc_grid_spec(const llmc_grid *grid);

/* The intensity that applies at time_unix_s (seconds since the epoch). */
LLMC_API int llmc_grid_intensity_at(llmc_intensity *out, llmc_grid *grid,
                                    int64_t time_unix_s);

/* The bundled yearly table, for listings. kind is "country", "world",
 * "us_state", "ca_province", "au_state", "us_nerc_region", "cloud_region". */
LLMC_API size_t llmc_grid_zone_count(void);
LLMC_API int llmc_grid_zone_get(llmc_intensity *out, const char **out_kind,
                                size_t index);

/* ------------------------------------------------------------------------
 * Accounting: the one place where energy, PUE, intensity and embodied
 * carbon meet. The tracker and the estimator both use these.
 * ------------------------------------------------------------------------ */

/* energy_j x pue x intensity, in kgCO2e. */
LLMC_API int llmc_account_operational(double *out_kgco2e, double energy_j,
                                      double pue,
                                      double intensity_gco2e_per_kwh);
/* embodied_kgco2e x device_time_s / lifetime_s, in kgCO2e. */
LLMC_API int llmc_account_embodied(double *out_kgco2e, double embodied_kgco2e,
                                   double device_time_s, double lifetime_s);

/* ------------------------------------------------------------------------
 * Estimates: energy and CO2e of a run from what is known before or after it.
 * Inputs are keys named as the CLI flags of `llmcarbon estimate` ("energy",
 * "hardware", "count", "hours", "device_hours", "power", "pue", "zone",
 * "intensity", "grid", "embodied", "lifetime"; '-' and '_' are the same).
 * ------------------------------------------------------------------------ */

typedef struct llmc_estimate llmc_estimate;

typedef struct llmc_estimate_result {
    uint32_t size;                   /* set by llmc_estimate_result_init */
    double energy_kwh;               /* IT energy                        */
    double facility_energy_kwh;      /* energy_kwh x pue                 */
    double device_hours;             /* 0 when not known                 */
    double power_w;                  /* per device; 0 when not used      */
    double pue;
    double intensity_gco2e_per_kwh;
    double operational_kgco2e;
    double embodied_kgco2e;          /* 0 when not included              */
    double total_kgco2e;
    int embodied_included;           /* 1 when embodied_kgco2e counts    */
} llmc_estimate_result;

/* Zeroes size bytes of out and sets out->size = size; pass sizeof *out. */
LLMC_API void llmc_estimate_result_init(llmc_estimate_result *out,
                                        size_t size);
LLMC_API int llmc_estimate_new(llmc_estimate **out);
LLMC_API void llmc_estimate_free(llmc_estimate *estimate);
/* Sets one input from text, with units ("1000kWh", "0.5kg/kWh", "720h").
 * A bad key is LLMC_EINVAL; a bad value is the parser's code. */
LLMC_API int llmc_estimate_set(llmc_estimate *estimate, const char *key,
                               const char *value);
/* Typed alternatives; the estimate takes its own reference. */
LLMC_API int llmc_estimate_set_profile(llmc_estimate *estimate,
                                       llmc_profile *profile);
LLMC_API int llmc_estimate_set_grid(llmc_estimate *estimate, llmc_grid *grid);
/* Computes. LLMC_EINVAL names what is missing ("give --energy, or
 * --hardware with --hours or --device-hours"). */
LLMC_API int llmc_estimate_compute(llmc_estimate_result *out,
                                   llmc_estimate *estimate);
/* The last computed estimate as one JSON object with every assumption and
 * its source. Release the text with llmc_free. */
LLMC_API int llmc_estimate_json(char **out_json, const llmc_estimate *estimate);

#ifdef __cplusplus
}
#endif

#endif /* LLMCARBON_H */
