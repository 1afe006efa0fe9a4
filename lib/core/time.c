/*
 * time.c - times as text: ISO 8601 date-times as the grid APIs and users
 * write them, and llmc_time_parse, which the CLI's --at and every caller
 * use, so that one parser decides what a time is.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)**p))
            return -1;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    *out = v;
    return 0;
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
        return -1;
    p++;
    if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
        return -1;
    if (*p == ':') { /* seconds are optional: the GB API writes 12:00Z */
        p++;
        if (digits(&p, 2, &s))
            return -1;
        if (*p == '.') { /* fractions of a second: dropped */
            p++;
            if (!isdigit((unsigned char)*p))
                return -1;
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
            return -1;
        if (*p == ':')
            p++;
        if (digits(&p, 2, &om))
            return -1;
    } else {
        return -1; /* a time without an offset is ambiguous: refused */
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
        mi > 59 || s > 59 || oh > 23 || om > 59)
        return -1;
    if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        return -1; /* no 29 February in a common year */
    t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s -
        sign * (oh * 3600 + om * 60);
    if (t < LLMC__TIME_MIN_UNIX_S || t > LLMC__TIME_MAX_UNIX_S)
        return -2;
    *out = t;
    return 0;
}

void llmc__format_iso8601(char *buf, size_t size, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (size == 0)
        return;
    if (t < LLMC__TIME_MIN_UNIX_S || t > LLMC__TIME_MAX_UNIX_S) {
        snprintf(buf, size, "@%lld", (long long)t);
        return;
    }
    if (!gmtime_r(&tt, &tm) ||
        strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        buf[0] = '\0';
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
    if (rc == -2)
        return llmc__fail(LLMC_ERANGE,
                          "time '%s' is outside the years 1970 to 9999",
                          text);
    if (rc != 0)
        return llmc__fail(LLMC_EPARSE,
                          "'%s' is not a time; write an ISO 8601 date-time "
                          "with its offset (2026-12-04T15:00Z, "
                          "2026-12-04T16:00:00+01:00), Unix seconds "
                          "(1796396400) or now",
                          text);
    *out_unix_s = t;
    return LLMC_OK;
}
