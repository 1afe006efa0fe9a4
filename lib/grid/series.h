/*
 * series.h - grid intensity as a time series: what every live or file
 * source turns its answers into, and the one place where a time is matched
 * to the interval that holds it. Parsers produce series; sources cache and
 * query them.
 */
#ifndef LLMC_GRID_SERIES_H
#define LLMC_GRID_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "../core/internal.h"

/* Flags of a point. */
#define LLMC__POINT_ESTIMATED 0x1 /* the provider modelled this value */
#define LLMC__POINT_FORECAST 0x2  /* a forecast, not (yet) a measurement */


struct llmc__point {
    int64_t start_unix_s;    /* the interval the value describes */
    int64_t duration_s;      /* > 0 */
    double gco2e_per_kwh;    /* finite, >= 0 */
    unsigned flags;
};

struct llmc__series {
    struct llmc__point *points; /* sorted by start, no overlaps */
    size_t count, cap;
};

void llmc__series_init(struct llmc__series *s);
void llmc__series_free(struct llmc__series *s);
/* Adds a point; a point with the same start replaces the old one (newer
 * data win: an actual replaces a forecast). LLMC_ENOMEM on failure;
 * LLMC_ERANGE for a point that starts or ends outside the years 1970 to
 * 9999 or lasts no time (the series is left as it was). */
int llmc__series_put(struct llmc__series *s, const struct llmc__point *p);
/* Adds every point of other; points of s that other's overlap are dropped. */
int llmc__series_merge(struct llmc__series *s, const struct llmc__series *other);
/* LLMC_OK when t is in the years 1970 to 9999, else LLMC_ERANGE with a
 * message naming what (the source or file) and name (the field). */
int llmc__time_check(int64_t t, const char *what, const char *name);
/* The point whose interval holds t, or NULL; any t is allowed. */
const struct llmc__point *llmc__series_at(const struct llmc__series *s,
                                          int64_t t);


/* Parsers: body (not NUL-terminated, len bytes) into points appended to
 * out. On malformed input: LLMC_EFORMAT with a message that names what was
 * wrong (the key, the item index) and the source (`what`, e.g.
 * "electricitymaps:DE"); nothing is appended then. A null value in an item
 * skips that item (an hour without data), it never becomes 0. */

/* Electricity Maps v3: latest (one object), history ({"history":[...]}),
 * past-range ({"data":[...]}) and forecast ({"forecast":[...]}). Points are
 * hourly unless the response says another temporalGranularity. *zone_out
 * (if not NULL, size zone_size) receives the response's "zone". Forecast
 * items get LLMC__POINT_FORECAST; isEstimated true gives ESTIMATED. */
int llmc__parse_electricitymaps(struct llmc__series *out, const char *body,
                                size_t len, const char *what, char *zone_out,
                                size_t zone_size);
/* UK Carbon Intensity API, national ({"data":[{from,to,intensity:{forecast,
 * actual}}]}) and regional (data[].regions[] for one region id, or the
 * postcode/regionid form with nested data, as a list or an object).
 * region_id 0 means national. "actual" when not null, else "forecast"
 * with LLMC__POINT_FORECAST. */
int llmc__parse_ukci(struct llmc__series *out, const char *body, size_t len,
                     const char *what, int region_id);
/* WattTime v3 forecast/historical ({"data":[{point_time,value}],"meta":{
 * units, data_point_period_seconds}}): lbs_co2_per_mwh is converted to
 * gCO2e/kWh (x 0.45359237); "percentile" or any other unit is refused with
 * LLMC_EUNIT. is_forecast marks every point FORECAST. */
int llmc__parse_watttime(struct llmc__series *out, const char *body,
                         size_t len, const char *what, int is_forecast);
/* WattTime /login: {"token": "..."} into token (size bytes). */
int llmc__parse_watttime_token(char *token, size_t size, const char *body,
                               size_t len, const char *what);
/* A user's series: CSV "datetime,intensity_gco2e_per_kwh" (header row
 * required, ISO 8601 with offset, one row holds until the next row's
 * datetime; the last row holds for the median spacing of the rows, or one
 * hour when there is one row) or JSON [{"datetime": ..., 
 * "intensity_gco2e_per_kwh": ...}, ...]. what names the file. */
int llmc__parse_user_series(struct llmc__series *out, const char *body,
                            size_t len, const char *what);

#endif
