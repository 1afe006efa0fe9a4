/*
 * parse_ukci.c - UK Carbon Intensity API answers (national, and regional
 * in both nestings) into a series. Shapes: the API's own documentation
 * (carbon-intensity.github.io/api-definitions): national answers hold a
 * list of slots under "data"; regional ones nest the slots of one region
 * under "data" as a list for the current slot and as an object for ranges.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../core/internal.h"
#include "parse_common.h"
#include "series.h"

/* ---- UK Carbon Intensity ---------------------------------------------- */

/* A half hour: from/to of tobj, intensity of iobj (the same object in the
 * national shape, the region's in the regional one). LLMC_OK with *p
 * filled and *has 1, or *has 0 when the slot has no value; or an error. */
static int uk_point(struct llmc__point *p, int *has, const json_t *tobj,
                    const char *tpath, const json_t *iobj, const char *ipath,
                    const char *what)
{
    const json_t *in;
    char kp[128];
    int64_t to;
    int rc;

    memset(p, 0, sizeof *p);
    if ((rc = llmc__json_time(&p->start_unix_s, tobj, "from", tpath, what)) != 0 ||
        (rc = llmc__json_time(&to, tobj, "to", tpath, what)) != 0)
        return rc;
    if (to <= p->start_unix_s)
        return llmc__fail(LLMC_EFORMAT, "%s: %s: \"to\" is not after \"from\"",
                          what, tpath);
    p->duration_s = to - p->start_unix_s;
    in = json_object_get(iobj, "intensity");
    llmc__json_key_path(kp, sizeof kp, ipath, "intensity");
    if (!in)
        return llmc__json_missing(ipath, "intensity", what);
    if (!json_is_object(in))
        return llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not an object", what,
                          kp, llmc__json_type_name(in));
    /* regional slots have no "actual"; national forward slots have null */
    if (json_object_get(in, "actual")) {
        rc = llmc__json_value(&p->gco2e_per_kwh, has, in, "actual", kp,
                              what);
        if (rc != LLMC_OK || *has)
            return rc;
    }
    p->flags = LLMC__POINT_FORECAST;
    return llmc__json_value(&p->gco2e_per_kwh, has, in, "forecast", kp,
                            what);
}

/* Ends uk_point's rc and has: the point kept when it has a value. */
static int put_if(struct llmc__series *tmp, const struct llmc__point *p,
                  int has, int rc)
{
    return rc == LLMC_OK && has ? llmc__series_put(tmp, p) : rc;
}

static int get_regionid(long long *id, const json_t *obj, const char *path,
                        const char *what)
{
    const json_t *x = json_object_get(obj, "regionid");
    char kp[96];
    if (!x)
        return llmc__json_missing(path, "regionid", what);
    if (!json_is_integer(x))
        return llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not an integer", what,
                          llmc__json_key_path(kp, sizeof kp, path, "regionid"),
                          llmc__json_type_name(x));
    *id = json_integer_value(x);
    return LLMC_OK;
}

/* One entry of a regional answer: a half hour with every region in
 * "regions", or one region with its half hours in "data" (the postcode and
 * regionid paths; "data" may be a list or a single object). *matched is
 * raised when the entry holds the region. */
static int uk_regional(struct llmc__series *tmp, const json_t *entry,
                       const char *path, int region_id, int *matched,
                       const char *what)
{
    const json_t *regions = json_object_get(entry, "regions"), *x;
    struct llmc__point p;
    char rpath[128], kp[96];
    long long id;
    size_t j;
    int rc, has;

    if (regions) {
        if (!json_is_array(regions))
            return llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not a list", what,
                              llmc__json_key_path(kp, sizeof kp, path, "regions"),
                              llmc__json_type_name(regions));
        json_array_foreach(regions, j, x) {
            snprintf(rpath, sizeof rpath, "%s.regions[%zu]", path, j);
            if (!json_is_object(x))
                return llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not an object",
                                  what, rpath, llmc__json_type_name(x));
            if ((rc = get_regionid(&id, x, rpath, what)) != LLMC_OK)
                return rc;
            if (id != region_id)
                continue;
            (*matched)++;
            rc = uk_point(&p, &has, entry, path, x, rpath, what);
            if ((rc = put_if(tmp, &p, has, rc)) != LLMC_OK)
                return rc;
        }
        return LLMC_OK;
    }
    if (!json_object_get(entry, "regionid"))
        return llmc__fail(LLMC_EFORMAT,
                          "%s: %s has neither regions nor regionid: a "
                          "national answer, not region %d",
                          what, path, region_id);
    if ((rc = get_regionid(&id, entry, path, what)) != LLMC_OK)
        return rc;
    if (id != region_id)
        return LLMC_OK;
    (*matched)++;
    x = json_object_get(entry, "data");
    llmc__json_key_path(kp, sizeof kp, path, "data");
    if (!x)
        return llmc__json_missing(path, "data", what);
    if (json_is_object(x)) { /* the {from}/{to}/postcode form */
        rc = uk_point(&p, &has, x, kp, x, kp, what);
        return put_if(tmp, &p, has, rc);
    }
    if (!json_is_array(x))
        return llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not a list", what, kp,
                          llmc__json_type_name(x));
    for (j = 0; j < json_array_size(x); j++) {
        const json_t *slot = json_array_get(x, j);
        snprintf(rpath, sizeof rpath, "%s[%zu]", kp, j);
        if (!json_is_object(slot))
            return llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not an object",
                              what, rpath, llmc__json_type_name(slot));
        rc = uk_point(&p, &has, slot, rpath, slot, rpath, what);
        if ((rc = put_if(tmp, &p, has, rc)) != LLMC_OK)
            return rc;
    }
    return LLMC_OK;
}

static int uk_error(const json_t *root, const char *what)
{
    const json_t *err = json_object_get(root, "error");
    const char *code = json_string_value(json_object_get(err, "code"));
    const char *msg = json_string_value(json_object_get(err, "message"));
    char qc[64], qm[128];
    if (!err)
        return llmc__fail(LLMC_EFORMAT, "%s: no data in the answer", what);
    llmc__json_printable(qc, sizeof qc, code ? code : "", code ? strlen(code) : 0, 40);
    llmc__json_printable(qm, sizeof qm, msg ? msg : "", msg ? strlen(msg) : 0, 100);
    return llmc__fail(LLMC_EFORMAT,
                      "%s: no data; the answer is an error: %s%s%s", what, qc,
                      *qc && *qm ? ": " : "", *qc || *qm ? qm : "(no message)");
}

int llmc__parse_ukci(struct llmc__series *out, const char *body, size_t len,
                     const char *what, int region_id)
{
    struct llmc__series tmp;
    json_t *root = NULL;
    const json_t *data, *entry;
    int rc, matched = 0;
    size_t i, n;

    if (!out || (!body && len) || !what)
        return llmc__fail(LLMC_EINVAL, "parse_ukci: NULL argument");
    if (region_id < 0)
        return llmc__fail(LLMC_EINVAL, "%s: region id %d is negative", what,
                          region_id);
    if ((rc = llmc__json_load_object(&root, body, len, what)) != LLMC_OK)
        return rc;
    llmc__series_init(&tmp);
    data = json_object_get(root, "data");
    if (!data) {
        rc = uk_error(root, what);
        goto done;
    }
    /* the {from}/{to}/postcode/{pc} form answers one object, not a list */
    n = json_is_array(data) ? json_array_size(data) : 1;
    if (!json_is_array(data) && !(region_id > 0 && json_is_object(data))) {
        rc = llmc__fail(LLMC_EFORMAT, "%s: data is %s, not a list", what,
                        llmc__json_type_name(data));
        goto done;
    }
    for (i = 0; i < n; i++) {
        struct llmc__point p;
        char path[48];
        entry = json_is_array(data) ? json_array_get(data, i) : data;
        if (json_is_array(data))
            snprintf(path, sizeof path, "data[%zu]", i);
        else
            snprintf(path, sizeof path, "data");
        if (!json_is_object(entry)) {
            rc = llmc__fail(LLMC_EFORMAT, "%s: %s is %s, not an object", what,
                            path, llmc__json_type_name(entry));
            goto done;
        }
        if (region_id > 0) {
            rc = uk_regional(&tmp, entry, path, region_id, &matched, what);
        } else if (json_object_get(entry, "regions") ||
                   json_object_get(entry, "regionid")) {
            rc = llmc__fail(LLMC_EFORMAT,
                            "%s: %s is regional (it has %s); ask for one "
                            "region id",
                            what, path,
                            json_object_get(entry, "regions") ? "regions"
                                                              : "regionid");
        } else {
            int has;
            rc = uk_point(&p, &has, entry, path, entry, path, what);
            rc = put_if(&tmp, &p, has, rc);
        }
        if (rc != LLMC_OK)
            goto done;
    }
    if (region_id > 0 && n > 0 && !matched) {
        rc = llmc__fail(LLMC_ENODATA, "%s: region %d is not in the answer",
                        what, region_id);
        goto done;
    }
    rc = llmc__series_commit(out, &tmp, what);
done:
    llmc__series_free(&tmp);
    json_decref(root);
    return rc;
}
