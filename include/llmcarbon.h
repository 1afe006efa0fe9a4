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
 *     released by their _free function, which accepts NULL; a NULL handle
 *     or out-parameter elsewhere is LLMC_EINVAL (functions returning a
 *     count or a pointer give 0 or NULL);
 *   - strings returned as const char * belong to the library: static text,
 *     or text that lives as long as the handle it came from unless its
 *     comment names an earlier end; never free them. Text handed out
 *     through char ** is the caller's, released with llmc_free;
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
#define LLMC_ENET (-16)      /* network: refused, unreachable, cut short       */
#define LLMC_ETIMEDOUT (-17) /* a network operation took too long              */
#define LLMC_EHTTP (-18)     /* the server answered with an HTTP error status  */
#define LLMC_ETLS (-19)      /* TLS: the server's certificate is not trusted   */
#define LLMC_EAUTH (-20)     /* credentials missing, refused or expired        */

/* A static description of a status code ("unknown name"); never NULL. */
LLMC_API const char *llmc_strerror(int status);
/* The code's name as written in this header ("LLMC_ENOTFOUND"); never NULL. */
LLMC_API const char *llmc_status_name(int status);
/* The detail of the last failure in the calling thread; "" when none.
 * A call that succeeds leaves it as it was, even when it recovered from a
 * failure inside (a grid chain's fallback). The text stays valid until
 * the next libllmcarbon call in this thread. */
LLMC_API const char *llmc_last_error(void);

/* Reads a time: an ISO 8601 date-time with its offset
 * ("2026-12-04T15:00Z", "2026-12-04T16:00:00+01:00"; seconds and their
 * fractions optional), Unix seconds ("1796396400" or "@1796396400"), or
 * "now". LLMC_EPARSE for anything else (a time without an offset is
 * ambiguous and refused; 31 April does not exist), LLMC_ERANGE outside
 * the years 1970 to 9999. */
LLMC_API int llmc_time_parse(int64_t *out_unix_s, const char *text);

/* The room llmc_time_format needs: "YYYY-MM-DDTHH:MM:SSZ" and its NUL. */
#define LLMC_TIME_TEXT_SIZE 21
/* Writes unix_s as ISO 8601 UTC, "2026-12-04T15:00:00Z", into buf of size
 * bytes; llmc_time_parse reads it back as the same second. LLMC_OK;
 * LLMC_EINVAL when buf is NULL or size is below LLMC_TIME_TEXT_SIZE,
 * LLMC_ERANGE outside the years 1970 to 9999 (0 to 253402300799). On a
 * failure buf holds "" when size is not 0. */
LLMC_API int llmc_time_format(char *buf, size_t size, int64_t unix_s);

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
    LLMC_PROFILE_PROCESS_NM = 12,
    /* Embodied carbon per device by scope, each including the one before:
     * the die; the package (die + on-package memory); the board or module;
     * the server share (board + the host's share per device). */
    LLMC_PROFILE_EMBODIED_DIE_KGCO2E = 13,
    LLMC_PROFILE_EMBODIED_PACKAGE_KGCO2E = 14,
    LLMC_PROFILE_EMBODIED_BOARD_KGCO2E = 15,
    LLMC_PROFILE_EMBODIED_SERVER_KGCO2E = 16
} llmc_profile_field;

typedef enum llmc_profile_text {
    LLMC_PROFILE_NAME = 1,
    LLMC_PROFILE_VENDOR = 2,
    LLMC_PROFILE_KIND = 3,           /* gpu, tpu, accelerator, board, cpu  */
    LLMC_PROFILE_SOURCE = 4,         /* where the numbers come from        */
    LLMC_PROFILE_EMBODIED_BASIS = 5, /* die-only, board-share, board       */
    LLMC_PROFILE_LIFETIME_SOURCE = 6,/* why that lifetime                  */
    /* How each embodied scope's figure was made: "pcf" (a vendor's product
     * carbon footprint), "model" (die area, memory and board model),
     * "model-bound" (the same model over a die area or process node that
     * is not published and is taken at its upper bound, so its die term
     * is an upper estimate), "pcf+model" (a vendor's board figure plus a
     * modelled host share);
     * "" when unknown or not said. */
    LLMC_PROFILE_EMBODIED_DIE_METHOD = 7,
    LLMC_PROFILE_EMBODIED_PACKAGE_METHOD = 8,
    LLMC_PROFILE_EMBODIED_BOARD_METHOD = 9,
    LLMC_PROFILE_EMBODIED_SERVER_METHOD = 10
} llmc_profile_text;

/* The key of a field in profile JSON, as llmc_profile_load reads it and
 * `llmcarbon hw show --json` writes it ("tdp_w", "embodied_basis"); NULL
 * for a value that is not a field. Static text. */
LLMC_API const char *llmc_profile_field_name(llmc_profile_field field);
LLMC_API const char *llmc_profile_text_name(llmc_profile_text field);
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
/* Releases one reference; the last frees the profile. NULL does nothing. */
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
/* Sets a text field (copied); LLMC_EBUSY on a shared profile. */
LLMC_API int llmc_profile_set_text(llmc_profile *profile,
                                   llmc_profile_text field, const char *value);

/* The bundled catalogue, for listings: count, then profiles by index. */
LLMC_API size_t llmc_profile_catalogue_count(void);
/* A new profile (the caller's reference) for entry index; LLMC_ERANGE past
 * the end. */
LLMC_API int llmc_profile_catalogue_get(llmc_profile **out, size_t index);
/* Finds the profile of a device as its driver names it (nvidia-smi, NVML,
 * rocm-smi: "NVIDIA H100 80GB HBM3", "Tesla T4"), like llmc_profile_lookup;
 * where the name fits several profiles, the device memory (GiB, as NVML
 * reports it / 2^30) and its default power limit (W) pick one. Either may
 * be NAN when unknown. LLMC_EAMBIGUOUS, listing each candidate's memory
 * and power, when they still do not decide. */
LLMC_API int llmc_profile_lookup_device(llmc_profile **out, const char *name,
                                        double memory_gib,
                                        double power_limit_w);

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
    /* In a chain ("electricitymaps:DE,static:DE"): why the sources before
     * the one that answered did not; "" when the first answered. Valid
     * until the next llmc_grid_intensity_at call in the same thread. */
    const char *fallback;
} llmc_intensity;

/* Zeroes size bytes of out and sets out->size = size; pass sizeof *out. */
LLMC_API void llmc_intensity_init(llmc_intensity *out, size_t size);

/* Makes a grid source from a spec: "static:FR", "FR", "US-CA",
 * "gcp:europe-west1", "const:450g/kWh", "file:ci.csv",
 * "electricitymaps:DE", "ukci:national", "ukci:region/13",
 * "watttime:CAISO_NORTH", or a chain "a,b,c" where the first source that
 * answers wins. A source may end in "?key=value&..." (see llmc_grid_set).
 * Unknown zones fail with LLMC_ENOTFOUND and a message that suggests near
 * matches. No network is used here: live sources fetch when asked. */
LLMC_API int llmc_grid_new(llmc_grid **out, const char *spec);
/* A constant intensity, in gCO2e/kWh. */
LLMC_API int llmc_grid_new_const(llmc_grid **out, double gco2e_per_kwh);
/* Sets an option of the sources that take it: "token" (Electricity Maps;
 * default ELECTRICITYMAPS_API_TOKEN), "username" and "password" (WattTime;
 * WATTTIME_USERNAME, WATTTIME_PASSWORD), "ca_bundle" (LLMC_CA_BUNDLE),
 * "base_url", "emission_factor_type" (lifecycle or direct), "timeout".
 * Secrets never appear in messages, logs, reports or caches. */
LLMC_API int llmc_grid_set(llmc_grid *grid, const char *key, const char *value);
/* Takes one more reference (returns grid); a grid with more than one is
 * frozen, and llmc_grid_set then fails with LLMC_EBUSY. */
LLMC_API llmc_grid *llmc_grid_ref(llmc_grid *grid);
/* Releases one reference; the last frees the grid. NULL does nothing. */
LLMC_API void llmc_grid_free(llmc_grid *grid);
/* The spec the grid was made from, in canonical form ("static:FRA"). */
LLMC_API const char *llmc_grid_spec(const llmc_grid *grid);

/* The intensity that applies at time_unix_s (seconds since the epoch). */
LLMC_API int llmc_grid_intensity_at(llmc_intensity *out, llmc_grid *grid,
                                    int64_t time_unix_s);

/* The lowest-carbon window of a given length: for carbon-aware scheduling
 * of a training job from a forecast. */
typedef struct llmc_window {
    uint32_t size;                     /* set by llmc_window_init          */
    int64_t start_unix_s;              /* the best time to start           */
    double mean_gco2e_per_kwh;         /* mean intensity over that window  */
    double now_mean_gco2e_per_kwh;     /* the same, starting at from       */
    double saving_fraction;            /* 1 - mean / now_mean              */
    int64_t searched_until_unix_s;     /* the end of the data searched     */
} llmc_window;

/* Zeroes size bytes of out and sets out->size = size; pass sizeof *out. */
LLMC_API void llmc_window_init(llmc_window *out, size_t size);
/* Searches starts from from_unix_s to from_unix_s + within_s (in steps of
 * 5 minutes) for the window of duration_s with the lowest mean intensity.
 * A forecast shorter than within_s + duration_s limits the search, and
 * searched_until_unix_s says where; LLMC_ENODATA when not even one window
 * fits the data. */
LLMC_API int llmc_grid_best_window(llmc_window *out, llmc_grid *grid,
                                   int64_t from_unix_s, double duration_s,
                                   double within_s);

/* The bundled yearly table, for listings. kind is "country", "world",
 * "us_state", "ca_province", "au_state", "us_nerc_region", "cloud_region". */
LLMC_API size_t llmc_grid_zone_count(void);
/* Fills out (and *out_kind, when not NULL: static text) for row index;
 * LLMC_ERANGE past the end. */
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
 * "intensity", "grid", "embodied", "lifetime", and for a run planned from
 * its compute "params", "active_params", "tokens", "precision", "mfu",
 * "power_factor", "overhead_power", "layers", "hidden", "seq_len", "vocab",
 * "recompute"; '-' and '_' are the same). Numbers may be ranges
 * "low..high": the result is then the middle, and llmc_estimate_range gives
 * the bounds.
 * ------------------------------------------------------------------------ */

/* A key of the tracker's configuration or of an estimate's inputs, from
 * the one table every way of setting them reads: name, CLI flag,
 * environment variable ("" for an estimate's), unit and bounds of a number
 * (NaN for a key that is not one), whether it may change while the tracker
 * runs, a one-line summary. Strings are static. */
typedef struct llmc_key_info {
    uint32_t size;          /* set by llmc_key_info_init                   */
    const char *name;       /* "checkpoint_interval"                       */
    const char *flag;       /* "--checkpoint-interval"                     */
    const char *env;        /* "LLMC_CHECKPOINT_INTERVAL"                  */
    const char *arg;        /* the value's placeholder in help: "DUR"      */
    const char *unit;       /* of min and max: "s", "kg", "" (none)        */
    double min, max;        /* inclusive bounds; NaN when not a number     */
    int while_running;      /* llmc_tracker_set may change it after start  */
    const char *help;       /* one line                                    */
} llmc_key_info;

LLMC_API void llmc_key_info_init(llmc_key_info *out, size_t size);

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
    double flops;                    /* training compute; 0 when unknown */
    double days;                     /* wall-clock; 0 when unknown       */
    double gco2e_per_mtoken;         /* per million tokens; 0 unknown    */
} llmc_estimate_result;

/* Zeroes size bytes of out and sets out->size = size; pass sizeof *out. */
LLMC_API void llmc_estimate_result_init(llmc_estimate_result *out,
                                        size_t size);
/* An estimate with no inputs; set them, then compute. */
LLMC_API int llmc_estimate_new(llmc_estimate **out);
/* Releases the estimate and its references to profile and grid; NULL does
 * nothing. */
LLMC_API void llmc_estimate_free(llmc_estimate *estimate);
/* Sets one input from text, with units ("1000kWh", "0.5kg/kWh", "720h").
 * A bad key is LLMC_EINVAL; a bad value is the parser's code. */
LLMC_API int llmc_estimate_set(llmc_estimate *estimate, const char *key,
                               const char *value);
/* The estimate's input keys, as llmc_tracker_key_get gives the tracker's:
 * the key at index (LLMC_ERANGE past the end), or of a name written with
 * '-' or '_' in any case (LLMC_EINVAL, listing the keys, when none). */
LLMC_API size_t llmc_estimate_key_count(void);
LLMC_API int llmc_estimate_key_get(llmc_key_info *out, size_t index);
LLMC_API int llmc_estimate_key_find(llmc_key_info *out, const char *name);
/* Typed alternatives; the estimate takes its own reference. */
LLMC_API int llmc_estimate_set_profile(llmc_estimate *estimate,
                                       llmc_profile *profile);
LLMC_API int llmc_estimate_set_grid(llmc_estimate *estimate, llmc_grid *grid);
/* Computes. LLMC_EINVAL names what is missing ("give --energy, or
 * --hardware with --hours or --device-hours"). */
LLMC_API int llmc_estimate_compute(llmc_estimate_result *out,
                                   llmc_estimate *estimate);
/* The bounds of the last computed estimate: every ranged input at the end
 * that lowers (raises) the footprint. Without ranges both equal the
 * result. */
LLMC_API int llmc_estimate_range(llmc_estimate_result *out_low,
                                 llmc_estimate_result *out_high,
                                 const llmc_estimate *estimate);
/* The last computed estimate as one JSON object with every assumption and
 * its source. Release the text with llmc_free. */
LLMC_API int llmc_estimate_json(char **out_json, const llmc_estimate *estimate);

/* ------------------------------------------------------------------------
 * Power meters. A meter is opened from a spec and has one channel per
 * device or domain it reads ("nvml:all" has one per GPU). Energy is
 * cumulative per channel since the meter was opened, and every channel
 * says how it was obtained; a channel that cannot read says why, and its
 * energy is NaN, never a silent 0.
 *
 *   nvml[:I,J|all]      NVIDIA GPUs (libnvidia-ml.so.1, loaded at run time)
 *   rapl[:DOMAINS]      CPU packages (and dram when asked) via powercap
 *   amdgpu[:I,J|all]    AMD GPUs via hwmon
 *   model:PROFILE[@U]   TDP x utilisation (CPU utilisation from /proc/stat)
 *   cputime[:CPU]       this process's and its children's CPU time x the
 *                       TDP per core of the CPU (/proc/cpuinfo): an estimate
 *   const:POWER         a constant power, e.g. const:300W
 *   replay:FILE         a recorded trace, CSV time_s,power_w
 *   auto                every source that works here
 * Several specs join with '+': "nvml:all+rapl".
 * ------------------------------------------------------------------------ */

typedef struct llmc_meter llmc_meter;

typedef enum llmc_method {
    LLMC_METHOD_NONE = 0,    /* nothing measured (see the channel's status) */
    LLMC_METHOD_COUNTER = 1, /* a hardware energy counter                   */
    LLMC_METHOD_POWER = 2,   /* power readings integrated over time         */
    LLMC_METHOD_MODEL = 3,   /* TDP x utilisation: a model, not a reading   */
    LLMC_METHOD_CONST = 4    /* a constant or replayed power, given         */
} llmc_method;

/* "counter", "power", "model", "const" or "none"; never NULL. */
LLMC_API const char *llmc_method_name(llmc_method method);

/* Quality flags of a channel (bits). */
#define LLMC_QUALITY_TOO_SHORT 0x1 /* window shorter than the counter's update */
#define LLMC_QUALITY_RESET 0x2     /* the counter went back (driver reload)    */
#define LLMC_QUALITY_WRAPPED 0x4   /* the counter wrapped and was unwrapped    */
#define LLMC_QUALITY_FALLBACK 0x8  /* counter unusable; power integrated      */
#define LLMC_QUALITY_GAP 0x10      /* a read failed; that interval is missing  */
#define LLMC_QUALITY_ESTIMATED 0x20 /* a model's estimate, not a reading       */

typedef struct llmc_channel {
    uint32_t size;          /* set by llmc_channel_init                     */
    const char *name;       /* "nvml:0", "rapl:package-0", "const"          */
    const char *device;     /* "NVIDIA H100 80GB HBM3", "package-0"         */
    llmc_method method;
    double energy_j;        /* since the meter was opened; NaN unmeasured   */
    double power_w;         /* mean over the last interval; NaN unknown     */
    int status;             /* LLMC_OK or the code of the last failure      */
    const char *detail;     /* what went wrong and what to do, or a note    */
    unsigned quality;       /* LLMC_QUALITY_* bits seen so far              */
    int node_level;         /* a node-wide reading (RAPL), not one device   */
} llmc_channel;

/* Zeroes size bytes of out and sets out->size = size; pass sizeof *out. */
LLMC_API void llmc_channel_init(llmc_channel *out, size_t size);

/* Opens the meters of a spec. "auto" succeeds with whatever works, even
 * nothing (then llmc_meter_channel_count is 0 and llmc_meter_diagnostics
 * says why); an explicit spec that cannot be read fails with LLMC_ENODEV,
 * LLMC_EPERM (with the remedy), LLMC_ENOTSUP or a parse error. */
LLMC_API int llmc_meter_open(llmc_meter **out, const char *spec);
/* Closes every source (unloading NVML when no other meter uses it); NULL
 * does nothing. */
LLMC_API void llmc_meter_free(llmc_meter *meter);
/* Reads every channel now. Failures are recorded per channel; the call
 * returns the first failure's code after reading all of them. */
LLMC_API int llmc_meter_read(llmc_meter *meter);
/* The number of channels; 0 for NULL. */
LLMC_API size_t llmc_meter_channel_count(const llmc_meter *meter);
/* Strings in out live until the next read or the meter is freed. */
LLMC_API int llmc_meter_channel(llmc_channel *out, const llmc_meter *meter,
                                size_t index);
/* One line per source that was tried and what came of it ("rapl: ... is
 * readable only by root (CVE-2020-8694); remedies: ..."). */
LLMC_API const char *llmc_meter_diagnostics(const llmc_meter *meter);

/* ------------------------------------------------------------------------
 * Training runs. Four calls in a training loop:
 *
 *   llmc_tracker_new(&t); llmc_tracker_start(t);
 *   for each step: train...; llmc_tracker_step(t, tokens);
 *   llmc_tracker_stop(t); ...read totals...; llmc_tracker_free(t);
 *
 * Configuration ("key=value;key=value", the same names as the CLI flags
 * and, upper-cased with LLMC_, as environment variables): meters, grid,
 * pue, interval, log, checkpoint, checkpoint_interval, hardware, devices,
 * target_tokens, sampler (thread or inline), require (measured),
 * fallback (cputime or none), runtime_dir, plan. See llmc_tracker_new(3).
 * ------------------------------------------------------------------------ */

typedef struct llmc_tracker llmc_tracker;

/* Called before each sample, e.g. to cudaDeviceSynchronize(), so that the
 * work of a step lands in the interval it belongs to. */
typedef void (*llmc_sync_fn)(void *userdata);

typedef struct llmc_totals {
    uint32_t size;                    /* set by llmc_totals_init           */
    double duration_s;
    double energy_j;                  /* IT energy counted by this process */
    double energy_kwh;
    double operational_kgco2e;
    double embodied_kgco2e;
    double total_kgco2e;
    uint64_t steps;
    uint64_t tokens;
    uint64_t samples;
    double j_per_token;               /* NaN before the first token        */
    double gco2e_per_token;
    double intensity_gco2e_per_kwh;   /* energy-weighted mean              */
    int measured;                     /* 1 when some meter counted energy  */
    unsigned quality;                 /* LLMC_QUALITY_* bits of all meters */
    double projected_total_kgco2e;    /* at target_tokens; NaN without one */
    double projected_low_kgco2e;
    double projected_high_kgco2e;
    double filled_energy_j;           /* priced after its interval     */
    double unpriced_energy_j;         /* J with no intensity known yet */
} llmc_totals;

/* Zeroes size bytes of out and sets out->size = size; pass sizeof *out. */
LLMC_API void llmc_totals_init(llmc_totals *out, size_t size);

/* The tracker's configuration keys (llmc_key_info, above). */
LLMC_API size_t llmc_tracker_key_count(void);
/* The key at index (LLMC_ERANGE past the end), or of a name written with
 * '-' or '_' in any case (LLMC_EINVAL, listing the keys, when none). */
LLMC_API int llmc_tracker_key_get(llmc_key_info *out, size_t index);
LLMC_API int llmc_tracker_key_find(llmc_key_info *out, const char *name);

/* A tracker with the configuration of the environment (LLMC_*) applied;
 * without any, it uses meters=auto and the defaults of llmc_tracker_new(3). */
LLMC_API int llmc_tracker_new(llmc_tracker **out);
/* Applies "key=value;key=value" before the start, all or nothing: a bad
 * key or value leaves every key as it was. LLMC_ESTATE after the start. */
LLMC_API int llmc_tracker_configure(llmc_tracker *tracker, const char *config);
/* One key, one value: for values that hold ';' (paths) and for bindings.
 * Before the start, or while running for a key whose llmc_key_info says
 * while_running (target_tokens). */
LLMC_API int llmc_tracker_set(llmc_tracker *tracker, const char *key,
                              const char *value);
/* Typed setters, before the start (LLMC_ESTATE after it). The tracker
 * takes its own reference to grid and profile; the caller keeps its own
 * and releases it as usual. */
LLMC_API int llmc_tracker_set_grid(llmc_tracker *tracker, llmc_grid *grid);
LLMC_API int llmc_tracker_set_profile(llmc_tracker *tracker,
                                      llmc_profile *profile);
/* PUE at least 1 (LLMC_ERANGE below, or NaN). */
LLMC_API int llmc_tracker_set_pue(llmc_tracker *tracker, double pue);
/* 100 ms to 1 day (LLMC_ERANGE outside). */
LLMC_API int llmc_tracker_set_interval(llmc_tracker *tracker,
                                       double interval_s);
/* The tokens the run will have trained on, for the projection; the one
 * setting that may also change while the tracker runs (its log then
 * records the new plan). At least 1. */
LLMC_API int llmc_tracker_set_target_tokens(llmc_tracker *tracker,
                                            uint64_t tokens);
/* fn(userdata) is called on the sampler thread before each sample (NULL
 * removes it); userdata must stay valid until the tracker is freed. */
LLMC_API int llmc_tracker_set_sync(llmc_tracker *tracker, llmc_sync_fn fn,
                                   void *userdata);
/* Opens the meters, resumes from the checkpoint if there is one, and starts
 * sampling. */
LLMC_API int llmc_tracker_start(llmc_tracker *tracker);
/* The per-step hook: O(1), lock-free, no allocation, no system call (with
 * sampler=inline it samples when an interval has passed). Safe from
 * several threads at once. */
LLMC_API int llmc_tracker_step(llmc_tracker *tracker, uint64_t tokens);
/* steps steps of tokens tokens in all, counted elsewhere (a binding's own
 * counters) and handed over at once: the totals are those of as many
 * llmc_tracker_step calls. Lock-free; from any thread. */
LLMC_API int llmc_tracker_add_steps(llmc_tracker *tracker, uint64_t steps,
                                    uint64_t tokens);
/* Switches the phase that later steps and energy count towards: "train"
 * (the first), "eval", "checkpoint", or any name of up to 31 bytes (as
 * many names as memory holds, about 0.5 kB each). */
LLMC_API int llmc_tracker_phase(llmc_tracker *tracker, const char *name);
/* Whether the tracker measures, as its start found: LLMC_OK when some
 * meter reads; LLMC_ENODEV when none could, with *out_detail (may be NULL;
 * it lives as long as the tracker) naming each meter tried and why, and
 * what stands in: the estimate of fallback=cputime (method "model",
 * quality LLMC_QUALITY_ESTIMATED) or, with fallback=none, nothing.
 * LLMC_ESTATE before the start. */
LLMC_API int llmc_tracker_status(const char **out_detail,
                                 llmc_tracker *tracker);
/* Named windows: ranges of the run that may overlap and nest, begun and
 * ended by name (1 to 31 bytes) while the tracker runs. Ending one gives
 * its own totals (out may be NULL). They take the tracker's lock: use
 * them per stretch of work, not per step; see
 * llmc_tracker_window_begin(3). */
LLMC_API int llmc_tracker_window_begin(llmc_tracker *tracker,
                                       const char *name);
LLMC_API int llmc_tracker_window_end(llmc_totals *out, llmc_tracker *tracker,
                                     const char *name);
/* Takes a final sample, writes the checkpoint, stops the sampler. Calling
 * it again does nothing. */
LLMC_API int llmc_tracker_stop(llmc_tracker *tracker);
/* Stops if needed and releases everything. */
LLMC_API void llmc_tracker_free(llmc_tracker *tracker);

/* Totals so far (live while running); phase NULL for the whole run. */
LLMC_API int llmc_tracker_totals(llmc_totals *out, llmc_tracker *tracker,
                                 const char *phase);
/* The totals of a job from those of its n processes (each from
 * llmc_tracker_totals; each process counts the devices it holds, so each
 * device is in one part): energy, CO2e, steps, tokens and samples add up,
 * the duration is the longest, the intensity is weighted by priced energy,
 * per-token figures are recomputed, quality bits are joined, and measured
 * holds only when every part was measured. A figure unknown (NaN) in any
 * part is unknown in the job. LLMC_EINVAL for n == 0 or a NULL part. */
LLMC_API int llmc_totals_combine(llmc_totals *out,
                                 const llmc_totals *const *parts, size_t n);
/* The channels of the tracker's meters; 0 before the start and for NULL. */
LLMC_API size_t llmc_tracker_channel_count(llmc_tracker *tracker);
/* A channel's energy as this process counted it (0 J, with a detail, for a
 * device that another process on the node reads). The strings live until
 * the next llmc_tracker_channel call in the same thread. */
LLMC_API int llmc_tracker_channel(llmc_channel *out, llmc_tracker *tracker,
                                  size_t index);
/* The whole report as one JSON object (release with llmc_free). */
LLMC_API int llmc_tracker_report_json(char **out_json, llmc_tracker *tracker);
/* The tracker's figures as text for Prometheus, to serve on an endpoint
 * of the caller's (release with llmc_free): counters
 * llmcarbon_energy_joules_total (per channel), _co2e_grams_total
 * (kind operational, embodied), _steps_total and _tokens_total (per
 * phase), gauges llmcarbon_power_watts (per channel) and
 * llmcarbon_grid_intensity_grams_per_kilowatt_hour; labels node, rank and
 * job_id on each. An unknown figure is left out, never written as 0.
 * flags: 0 for the Prometheus text format 0.0.4 (Content-Type
 * "text/plain; version=0.0.4"), or LLMC_METRICS_OPENMETRICS for
 * OpenMetrics 1.0 ("application/openmetrics-text; version=1.0.0", with
 * # UNIT and # EOF); LLMC_METRICS_NO_STEPS leaves out steps and tokens. */
#define LLMC_METRICS_OPENMETRICS 0x1
#define LLMC_METRICS_NO_STEPS 0x2
LLMC_API int llmc_tracker_metrics_text(char **out_text, llmc_tracker *tracker,
                                       unsigned flags);

/* ------------------------------------------------------------------------
 * Run logs: the JSON-lines logs a tracker writes (log=FILE; one per
 * process, `llmcarbon run --log`) read back as one run. This is the reader
 * of `llmcarbon report`. A read log does not change: every function below
 * may be called on it from several threads at once.
 * ------------------------------------------------------------------------ */

typedef struct llmc_runlog llmc_runlog;

/* The figures of the whole run, of one phase, or of one stream (a host
 * and rank, across the processes that resumed it). A figure with a part
 * unknown is NaN, never a partial sum: energy when a sample had no
 * reading, operational CO2e also when energy had no intensity that a fill
 * line priced, embodied when a sample counted none (the total is then the
 * operational figure alone). Fields marked "whole" are 0, NaN or NULL for
 * a phase or a stream. Strings live as long as the log. */
typedef struct llmc_run_totals {
    uint32_t size;                    /* set by llmc_run_totals_init       */
    const char *phase;                /* a phase's name; NULL otherwise    */
    const char *host;                 /* a stream's host; NULL otherwise   */
    int64_t rank;                     /* a stream's rank; -1 otherwise     */
    uint64_t samples;                 /* a sample given twice counts once  */
    uint64_t unmeasured_samples;      /* samples no meter measured         */
    uint64_t unpriced_samples;        /* samples no intensity priced       */
    double energy_j;
    double operational_kgco2e;        /* as recorded (or at the new PUE)   */
    double embodied_kgco2e;
    double total_kgco2e;
    double duration_s;                /* whole: first start to last end    */
    uint64_t tokens;                  /* whole: the last count of each log */
    uint64_t logs;                    /* whole: the paths read             */
    double filled_energy_j;           /* whole: priced by fill lines       */
    double filled_operational_kgco2e; /* whole                             */
    uint64_t fill_lines;              /* whole                             */
    double unpriced_energy_j;         /* whole: what no intensity prices   */
    uint64_t duplicate_lines;         /* whole: lines seen before, dropped */
    uint64_t torn_lines;              /* whole: torn last lines, skipped   */
    const char *energy_unknown_reason;      /* whole: NULL when known      */
    const char *operational_unknown_reason; /* whole: NULL when known      */
    const char *embodied_note;        /* whole: why embodied is NaN        */
    const char *grid;                 /* whole: the spec of the grid given
                                         to llmc_runlog_read; NULL without */
    double reweighted_kgco2e;         /* whole: at that grid; NaN unknown  */
    double reweighted_intensity_gco2e_per_kwh; /* whole: energy-weighted */
    uint64_t reweight_failures;       /* whole: samples it had no value for */
    const char *reweight_problem;     /* whole: why reweighted is NaN      */
    /* whole: the projection to the plan's target_tokens, as the tracker
     * makes it (llmc_tracker_totals), where the log records the plan and
     * its samples are of one process; else NaN, and projection_note says
     * why */
    uint64_t target_tokens;           /* whole: the plan's; 0 without one  */
    double projected_total_kgco2e;    /* whole: at target_tokens           */
    double projected_low_kgco2e;      /* whole: 95% range                  */
    double projected_high_kgco2e;
    double plan_low_kgco2e;           /* whole: the plan= range; NaN       */
    double plan_high_kgco2e;          /*   without one                     */
    const char *projection_note;      /* whole: NULL when projected        */
} llmc_run_totals;

/* One sample line, as read. Strings and arrays live as long as the log. */
typedef struct llmc_run_sample {
    uint32_t size;                    /* set by llmc_run_sample_init       */
    double time_unix_s;               /* the end of its interval           */
    double interval_s;
    double energy_j;                  /* NaN: no meter measured            */
    double power_w;                   /* energy_j / interval_s             */
    double intensity_gco2e_per_kwh;   /* NaN: none known when logged       */
    double operational_kgco2e;        /* NaN: not priced when logged       */
    double embodied_kgco2e;           /* NaN: none counted                 */
    const char *host;
    int64_t rank;                     /* -1 without one                    */
    int64_t pid;
    const char *phase;
    uint64_t step;                    /* the counts so far                 */
    uint64_t tokens;
    size_t device_count;              /* the meters' channels              */
    const char *const *device_names;  /* device_count names                */
    const double *device_power_w;     /* NaN: not counted by this process  */
    /* what the grid said of the intensity: "measured", "estimated",
     * "forecast", or "filled" (none when logged; a fill line priced the
     * energy later, at intensity_gco2e_per_kwh); NULL when unknown (no
     * intensity, or a log older than the key) */
    const char *intensity_kind;
    const char *intensity_source;     /* the grid spec; NULL when unnamed  */
} llmc_run_sample;

/* A process that took over from a checkpoint, as its lines say. */
typedef struct llmc_run_resume {
    uint32_t size;                    /* set by llmc_run_resume_init       */
    const char *host;                 /* lives as long as the log          */
    int64_t rank;                     /* -1 without one                    */
    int64_t pid;
    double from_unix_s;               /* when it took over                 */
    double checkpoint_written_unix_s; /* NaN in logs that lack it          */
    double energy_j;                  /* the energy it took over           */
} llmc_run_resume;

/* Zero size bytes of out and set out->size = size; pass sizeof *out. */
LLMC_API void llmc_run_totals_init(llmc_run_totals *out, size_t size);
LLMC_API void llmc_run_sample_init(llmc_run_sample *out, size_t size);
LLMC_API void llmc_run_resume_init(llmc_run_resume *out, size_t size);

/* Reads the npaths logs at paths as one run: a torn last line is skipped,
 * a line seen before counts once (both with a warning), anything else
 * that is not a whole line of a log fails naming the file and line; a
 * named window's line is read past; a plan line (target_tokens) gives the
 * projection of the whole run's totals. paths and grid (may be NULL) are used
 * during the call only. With grid every sample's energy is priced again
 * at the grid's intensity in the middle of its interval. pue 0 keeps each
 * sample's PUE; 1 or more replaces it. *out is NULL after a failure.
 * Errors:
 * LLMC_EINVAL (no paths, a directory), LLMC_ERANGE (pue), LLMC_ENOTFOUND
 * and LLMC_EPERM (a file cannot be opened), LLMC_EIO, LLMC_EFORMAT (a line
 * that is not a log's, or a value out of bounds), LLMC_ENOTSUP (a line
 * of a newer version), LLMC_ENODATA (a file with no whole sample),
 * LLMC_ENOMEM. */
LLMC_API int llmc_runlog_read(llmc_runlog **out, const char *const *paths,
                              size_t npaths, llmc_grid *grid, double pue);
/* llmc_runlog_read with flags: 0 is llmc_runlog_read;
 * LLMC_RUNLOG_NO_SAMPLES keeps no sample (llmc_runlog_sample_count is 0)
 * and no set of the lines read, so memory grows with the processes,
 * phases and logs, not the lines; a line seen before still counts once
 * (a repeat is looked for again in its log, which must not change during
 * the call; a pipe is read once, and there a sample older than one its
 * process counted is taken for a repeat). The figures are those of
 * llmc_runlog_read. Errors: those of llmc_runlog_read, and LLMC_EINVAL
 * for an unknown flag. */
#define LLMC_RUNLOG_NO_SAMPLES 0x1
LLMC_API int llmc_runlog_read_flags(llmc_runlog **out,
                                    const char *const *paths, size_t npaths,
                                    llmc_grid *grid, double pue,
                                    unsigned flags);
LLMC_API void llmc_runlog_free(llmc_runlog *log);
/* What the reading skipped, one line each ("FILE:LINE: the last line is
 * cut short ..."); "" when nothing; lives as long as the log. */
LLMC_API const char *llmc_runlog_warnings(const llmc_runlog *log);
/* The whole run's figures (phase NULL) or a phase's (LLMC_ENOTFOUND when
 * no sample has it). */
LLMC_API int llmc_runlog_totals(llmc_run_totals *out,
                                const llmc_runlog *log, const char *phase);
/* The phases in the order first seen; NULL past the end. */
LLMC_API size_t llmc_runlog_phase_count(const llmc_runlog *log);
LLMC_API const char *llmc_runlog_phase_name(const llmc_runlog *log,
                                            size_t index);
/* The streams (host and rank) in the order first seen; LLMC_ERANGE past
 * the end. */
LLMC_API size_t llmc_runlog_stream_count(const llmc_runlog *log);
LLMC_API int llmc_runlog_stream(llmc_run_totals *out,
                                const llmc_runlog *log, size_t index);
/* The processes that resumed from a checkpoint; LLMC_ERANGE past the end. */
LLMC_API size_t llmc_runlog_resume_count(const llmc_runlog *log);
LLMC_API int llmc_runlog_resume(llmc_run_resume *out,
                                const llmc_runlog *log, size_t index);
/* The samples in the order read (file by file, line by line), each once;
 * LLMC_ERANGE past the end. */
LLMC_API size_t llmc_runlog_sample_count(const llmc_runlog *log);
LLMC_API int llmc_runlog_sample(llmc_run_sample *out,
                                const llmc_runlog *log, size_t index);
/* The report as one JSON object, as `llmcarbon report --json` prints it
 * (release with llmc_free). */
LLMC_API int llmc_runlog_report_json(char **out_json, const llmc_runlog *log);
/* The report as one self-contained HTML page (release with llmc_free):
 * inline SVG charts and CSS, no script and no address of any kind, so it
 * opens offline and prints. It draws the power of each device, the grid
 * intensity (measured, estimated, forecast or filled, with its source)
 * and the cumulative CO2e over time, and tables and bars of energy and
 * CO2e by phase, window, rank and node, and the assumptions; every figure
 * is one of llmc_run_totals, written as `llmcarbon report` writes it,
 * "unknown" with its reason where not known. A long run's series are cut
 * into at most 1,000 time buckets, each drawn as its mean within a band
 * from its lowest to its highest sample (a one-sample spike stays), and
 * the page says so. A log read with LLMC_RUNLOG_NO_SAMPLES is read again
 * from its files, sample by sample, to draw it in the memory of its
 * processes (tables only, saying why, where a file changed or is a pipe).
 * flags: 0 (LLMC_EINVAL otherwise). Errors: LLMC_EINVAL, LLMC_ENOMEM. */
LLMC_API int llmc_runlog_report_html(char **out_html, const llmc_runlog *log,
                                     unsigned flags);
/* The page of llmc_runlog_report_html for a tracker that writes a log
 * (log=FILE): its log as written so far (what is queued is written
 * first), with the projection against target_tokens and the embodied
 * carbon's source from the tracker's own report. LLMC_ENODATA for a
 * tracker without log=FILE (its totals are in llmc_tracker_report_json),
 * LLMC_ESTATE before the start; the errors of llmc_runlog_read. */
LLMC_API int llmc_tracker_report_html(char **out_html, llmc_tracker *tracker);

#ifdef __cplusplus
}
#endif

#endif /* LLMCARBON_H */
