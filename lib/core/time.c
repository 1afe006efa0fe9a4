/*
 * time.c - times as text: ISO 8601 date-times as the grid APIs and users
 * write them, and llmc_time_parse, which the CLI's --at and every caller
 * use, so that one parser decides what a time is; llmc_time_format writes
 * what it reads, for the CLI and the library's messages alike.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* Reads n decimal digits at *p: LLMC_OK, or LLMC_EPARSE. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)**p))
            return LLMC_EPARSE;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    *out = v;
    return LLMC_OK;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int y, int m, int d)
{
    int64_t era;
    unsigned yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int llmc__parse_iso8601(int64_t *out, const char *text)
{
    const char *p = text;
    int y, mo, d, h, mi, s = 0, oh = 0, om = 0, sign = 0;
    int64_t t;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (!text || digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
        *p++ != '-' || digits(&p, 2, &d) || (*p != 'T' && *p != ' '))
        return LLMC_EPARSE;
    p++;
    if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
        return LLMC_EPARSE;
    if (*p == ':') { /* seconds are optional: the GB API writes 12:00Z */
        p++;
        if (digits(&p, 2, &s))
            return LLMC_EPARSE;
        if (*p == '.') { /* fractions of a second: dropped */
            p++;
            if (!isdigit((unsigned char)*p))
                return LLMC_EPARSE;
            while (isdigit((unsigned char)*p))
                p++;
        }
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        p++;
        if (digits(&p, 2, &oh))
            return LLMC_EPARSE;
        if (*p == ':')
            p++;
        if (digits(&p, 2, &om))
            return LLMC_EPARSE;
    } else {
        /* a time without an offset is ambiguous: refused */
        return LLMC_EPARSE;
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
        mi > 59 || s > 59 || oh > 23 || om > 59)
        return LLMC_EPARSE;
    if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        return LLMC_EPARSE; /* no 29 February in a common year */
    t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s -
        sign * (oh * 3600 + om * 60);
    if (t < LLMC__TIME_MIN_UNIX_S || t > LLMC__TIME_MAX_UNIX_S)
        return LLMC_ERANGE;
    *out = t;
    return LLMC_OK;
}

/* t as "YYYY-MM-DDTHH:MM:SSZ" in buf: LLMC_OK, LLMC_ERANGE outside the
 * years 1970 to 9999, LLMC_EINVAL when buf cannot hold the text; no
 * message, so that the library's own messages can use it. */
static int format_utc(char *buf, size_t size, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (size > 0)
        buf[0] = '\0';
    if (t < LLMC__TIME_MIN_UNIX_S || t > LLMC__TIME_MAX_UNIX_S ||
        (int64_t)tt != t || !gmtime_r(&tt, &tm))
        return LLMC_ERANGE;
    if (size < LLMC_TIME_TEXT_SIZE ||
        strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return LLMC_EINVAL;
    return LLMC_OK;
}

void llmc__format_iso8601(char *buf, size_t size, int64_t t)
{
    if (format_utc(buf, size, t) == LLMC_ERANGE && size > 0)
        snprintf(buf, size, "@%lld", (long long)t);
}

LLMC_API int llmc_time_format(char *buf, size_t size, int64_t unix_s)
{
    int rc;

    if (!buf)
        return llmc__fail(LLMC_EINVAL, "buf is NULL");
    if ((rc = format_utc(buf, size, unix_s)) == LLMC_ERANGE)
        return llmc__fail(LLMC_ERANGE,
                          "time %lld is outside the years 1970 to 9999 (0 "
                          "to 253402300799 Unix seconds)",
                          (long long)unix_s);
    if (rc != LLMC_OK)
        return llmc__fail(LLMC_EINVAL,
                          "buf holds %zu bytes; a time needs %d "
                          "(LLMC_TIME_TEXT_SIZE)",
                          size, LLMC_TIME_TEXT_SIZE);
    return LLMC_OK;
}

LLMC_API int llmc_time_parse(int64_t *out_unix_s, const char *text)
{
    int64_t t;
    int rc;

    if (!out_unix_s || !text)
        return llmc__fail(LLMC_EINVAL, "out_unix_s or text is NULL");
    if (strcmp(text, "now") == 0) {
        *out_unix_s = llmc__unix_s();
        return LLMC_OK;
    }
    if (isdigit((unsigned char)text[0]) || text[0] == '@' ||
        (text[0] == '-' && isdigit((unsigned char)text[1]))) {
        const char *digits_at = text[0] == '@' ? text + 1 : text;
        char *end;
        long long v;
        errno = 0;
        v = strtoll(digits_at, &end, 10);
        if (end != digits_at && !*end &&
            (isdigit((unsigned char)*digits_at) || *digits_at == '-')) {
            if (errno == ERANGE || v < LLMC__TIME_MIN_UNIX_S ||
                v > LLMC__TIME_MAX_UNIX_S)
                return llmc__fail(LLMC_ERANGE,
                                  "time '%s' is outside the years 1970 to "
                                  "9999 (0 to 253402300799 Unix seconds)",
                                  text);
            *out_unix_s = (int64_t)v;
            return LLMC_OK;
        }
    }
    rc = llmc__parse_iso8601(&t, text);
    if (rc == LLMC_ERANGE)
        return llmc__fail(LLMC_ERANGE,
                          "time '%s' is outside the years 1970 to 9999",
                          text);
    if (rc != LLMC_OK)
        return llmc__fail(LLMC_EPARSE,
                          "'%s' is not a time; write an ISO 8601 date-time "
                          "with its offset (2026-12-04T15:00Z, "
                          "2026-12-04T16:00:00+01:00), Unix seconds "
                          "(1796396400) or now",
                          text);
    *out_unix_s = t;
    return LLMC_OK;
}
