#!/usr/bin/env python3
"""fake_grid_server.py - a stand-in for the live grid-intensity APIs.

Usage:
    python3 tests/fake_grid_server.py --port-file FILE [--tls CERT KEY] [--verbose]

Binds 127.0.0.1 on an ephemeral port, writes the port number to FILE (the
file appears complete: written aside and renamed) once it listens, and
serves until killed, or until its parent process dies. Standard library only.

It answers like the real services, in the shapes their own documentation
gives (Electricity Maps API v3 reference, carbon-intensity.github.io,
docs.watttime.org), with deterministic data (times are real: "now"
is the server's clock, UTC).

Electricity Maps v3
    GET /v3/carbon-intensity/{latest,history,forecast,past-range}
        ?zone=DE&emissionFactorType=lifecycle|direct
        &shouldUseFallbackCallerLookup=false   (400 when missing or not false)
        [&start=ISO&end=ISO for past-range; lat=&lon= instead of zone]
    header auth-token: "good-token" -> 200; missing -> 401 JSON {"error":...};
    any other token -> 401 text/plain "Token unauthorized for zoneKey".
    Zones DE, FR, GB, US-CAL-CISO, SE-SE3 all get the same data; "XX" and
    any other zone -> 404 JSON {"error":...}. lat/lon inside 47..55 N,
    5..15 E map to DE, others -> 400.
      latest:     carbonIntensity 322, datetime = current hour
      history:    24 hourly points ending at the current hour, value
                  300 + hour of day; the 03:00 point has carbonIntensity null
      forecast:   24 hourly points from the next hour, 200 + hour of day
      past-range: hourly points in [start, end) (on the hour), 250 + hour of
                  day; start/end required, end > start, at most 240 h
    emissionFactorType=direct: every value minus 50.

UK Carbon Intensity, no authentication
    GET /intensity                              the current half hour
    GET /intensity/{from}/fw24h|fw48h|pt24h     48 / 96 / 48 slots
    GET /intensity/{from}/{to}                  slots from floor(from) to to
    GET /intensity/date/{YYYY-MM-DD}            the 48 slots of that day
    GET /regional/regionid/{id}                 current slot; data is a LIST
    GET /regional/intensity/{from}/{to|fw24h|fw48h|pt24h}/regionid/{id}
                                                data is an OBJECT (the real
                                                API's quirk)
    Times are YYYY-MM-DDThh:mmZ. National: for slots that have started,
    actual = 100 + slot index within the day (0..47) and forecast =
    actual + 5; for later slots actual = null and forecast = 150.
    Regional: no actual; forecast = the national forecast + region id.
    Region ids 1..17; others -> 400 {"error":{"code":"400 Bad Request",...}}.

WattTime v3
    GET /login  Basic wt-user:wt-pass -> {"token": <random per login>};
                other credentials -> 403.
    GET /v3/forecast?region=CAISO_NORTH&signal_type=co2_moer&horizon_hours=N
        5-minute points from the current 5-minute period (N*12 points, 1 when
        N = 0), value 1000 + i, meta.units "lbs_co2_per_mwh",
        data_point_period_seconds 300.
    GET /v3/historical?region=..&signal_type=..&start=..&end=..
        5-minute points from start (rounded up) to end inclusive, 1000 + i;
        start and end need an explicit time zone (else 400).
    GET /v3/signal-index?region=..&signal_type=..   one percentile point
    GET /v3/region-from-loc?latitude=..&longitude=..&signal_type=..
    Region "PERCENTILE": units "percentile", values i % 101. Regions other
    than CAISO_NORTH and PERCENTILE -> 403. /v3/* needs
    "Authorization: Bearer <the last token issued>", else 401.

Test hooks - a PATH PREFIX (not a query parameter, so that a test can put
it into a provider's base URL):  /_mode/<mode>[,<mode>...]/<the real path>
    slow       sleep 5 s, then answer normally
    hang       read the request and never answer, until the client leaves
    drop       close the socket without answering
    truncate   200 with Content-Length 1000, send 10 bytes, close
    html500    500 with an HTML body
    plain403   403 "Access denied", text/plain
    text200    200 with a text/plain body that is not JSON
    badjson    200 application/json '{"zone": "DE", "carbonIntensity": '
    empty      200 application/json with an empty body
    null       intensity values null (EM carbonIntensity, GB actual and
               forecast, WattTime value)
    missing    intensity values left out (the same fields)
    wrongzone  EM answers for zone "FR" whatever was asked
    units      WattTime meta.units "kg_per_kwh"
    valley     WattTime forecast and historical: the point of the current
               5-minute period is 1500 instead of 1000, so that the lowest
               window starts at the next period (a carbon-aware start
               waits for it)
    lag        EM latest describes the hour before the current one (the
               newest published hour lags, as the real API's may)
    429        429 with Retry-After: 1 (JSON body)
    503date    503 with Retry-After as an HTTP date 2 s ahead
    flaky      every other request to a path (1st, 3rd, ...) is a 503
    redirect   302 to the same path without the prefix
    huge       200 with a 9 MiB body (with Content-Length)
    hugenolen  200 with a 9 MiB body, no Content-Length (ends at close)
    echo       401 text/plain echoing the credentials received: the bare
               auth-token value, the bare Basic password and bearer token,
               then "auth-token: ...", "Authorization: ..." and the query;
               the same values in X-Echo-* response headers
    echo500    500 JSON {"error": ...} with the same text
    The transport modes (drop ... badjson, empty, 429, 503date, flaky,
    redirect, huge*, echo*) answer before authentication and routing.

Introspection (never counted, never prefixed)
    GET /_stats  -> {"logins": n, "login_failures": n,
                     "requests": {path: count},     (path without query,
                                                     with any mode prefix)
                     "last": {"path", "header_names": [...],
                              "auth_token_present": bool,
                              "authorization_present": bool,
                              "authorization_scheme": "Bearer"|"Basic"|null,
                              "user_agent": str|null, "accept": str|null,
                              "proxied": bool, "host": str|null}}
                 Header VALUES are never returned (the user agent and accept
                 are not secret).
    GET /_reset  -> zeroes the counters.
Requests in absolute form ("GET http://host/path", as sent to a proxy) are
served as if direct, with "proxied": true, so the server can act as an
http_proxy.
"""

import argparse
import base64
import email.utils
import json
import os
import re
import secrets
import select
import socket
import ssl
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

GOOD_TOKEN = "good-token"
WT_USER, WT_PASS = "wt-user", "wt-pass"
EM_ZONES = {"DE", "FR", "GB", "US-CAL-CISO", "SE-SE3"}
GB_REGIONS = {
    1: ("SSE North", "North Scotland"),
    2: ("SP Distribution", "South Scotland"),
    3: ("Electricity North West", "North West England"),
    4: ("NPG North East", "North East England"),
    5: ("NPG Yorkshire", "Yorkshire"),
    6: ("SP Manweb", "North Wales & Merseyside"),
    7: ("WPD South Wales", "South Wales"),
    8: ("WPD West Midlands", "West Midlands"),
    9: ("WPD East Midlands", "East Midlands"),
    10: ("UKPN East", "East England"),
    11: ("WPD South West", "South West England"),
    12: ("SSE South", "South England"),
    13: ("UKPN London", "London"),
    14: ("UKPN South East", "South East England"),
    15: ("England", "England"),
    16: ("Scotland", "Scotland"),
    17: ("Wales", "Wales"),
}
WT_REGIONS = {"CAISO_NORTH", "PERCENTILE"}
WT_SIGNALS = {"co2_moer", "co2_aoer", "health_damage"}
MODES = {"slow", "drop", "truncate", "html500", "plain403", "text200",
         "badjson", "empty", "null", "missing", "wrongzone", "units", "429",
         "503date", "flaky", "redirect", "huge", "hugenolen", "echo",
         "echo500", "hang", "lag", "valley"}
HUGE = 9 * 1024 * 1024


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.logins = 0
        self.login_failures = 0
        self.token = None
        self.requests = {}
        self.last = None


STATE = State()


class HttpError(Exception):
    def __init__(self, status, body, ctype="application/json", headers=None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.ctype = ctype
        self.headers = headers or {}


def now_utc():
    return datetime.now(timezone.utc)


def em_time(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def gb_time(t):
    return t.strftime("%Y-%m-%dT%H:%MZ")


def wt_time(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S+00:00")


ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
    r"(Z|z|[+-]\d{2}:?\d{2})?$")


def parse_iso(text, need_zone=False):
    """Lenient ISO-8601: Z, +00:00, optional seconds and fraction (any
    number of digits). Naive times are UTC unless need_zone."""
    m = ISO_RE.match(text or "")
    if not m:
        return None
    y, mo, d, h, mi, s, frac, tz = m.groups()
    if tz is None and need_zone:
        return None
    try:
        t = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0),
                     int((frac or "0")[:6].ljust(6, "0")), tzinfo=timezone.utc)
    except ValueError:
        return None
    if tz and tz not in ("Z", "z"):
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        off = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        t -= sign * off
    return t


def floor_to(t, seconds):
    epoch = int(t.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, timezone.utc)


def ceil_to(t, seconds):
    f = floor_to(t, seconds)
    return f if f == t else f + timedelta(seconds=seconds)


def em_error(status, message):
    return HttpError(status, {"error": message})


def gb_error(status, message):
    code = {400: "400 Bad Request", 404: "404 Not Found",
            500: "500 Internal Server Error"}.get(status, str(status))
    return HttpError(status, {"error": {"code": code, "message": message}})


def one(q, name):
    v = q.get(name)
    return v[-1] if v else None


# ---- Electricity Maps ---------------------------------------------------


def em_value(base, hour, factor, modes):
    v = base + hour
    if factor == "direct":
        v -= 50
    return v


def em_item(t, value, factor, estimated=False, modes=()):
    item = {"carbonIntensity": value, "datetime": em_time(t),
            "updatedAt": em_time(now_utc()), "createdAt": em_time(t),
            "emissionFactorType": factor, "isEstimated": estimated,
            "estimationMethod": "TIME_SLICER_AVERAGE" if estimated else None}
    if "null" in modes:
        item["carbonIntensity"] = None
    if "missing" in modes:
        del item["carbonIntensity"]
    return item


def electricity_maps(kind, q, headers, modes):
    token = headers.get("auth-token")
    if token is None:
        raise em_error(401, "No auth-token header was given")
    if token != GOOD_TOKEN:
        raise HttpError(401, "Token unauthorized for zoneKey", "text/plain")
    if one(q, "shouldUseFallbackCallerLookup") != "false":
        raise em_error(400, "shouldUseFallbackCallerLookup must be false in "
                            "this fake (the library must always send it)")
    factor = one(q, "emissionFactorType") or "lifecycle"
    if factor not in ("lifecycle", "direct"):
        raise em_error(400, "emissionFactorType must be lifecycle or direct")
    zone = one(q, "zone")
    if zone is None:
        lat, lon = one(q, "lat"), one(q, "lon")
        try:
            lat, lon = float(lat), float(lon)
        except (TypeError, ValueError):
            raise em_error(400, "Missing arguments: give zone or lat and lon")
        if not (47 <= lat <= 55 and 5 <= lon <= 15):
            raise em_error(400, "lat/lon do not map to a known zone")
        zone = "DE"
    if zone not in EM_ZONES:
        raise em_error(404, "Zone '%s' does not exist" % zone)
    if "wrongzone" in modes:
        zone = "FR"
    now = now_utc()
    hour = floor_to(now, 3600)
    if kind == "latest":
        published = hour - timedelta(hours=1) if "lag" in modes else hour
        item = em_item(published, em_value(322, 0, factor, modes), factor,
                       modes=modes)
        item["isEstimated"] = False
        out = {"zone": zone}
        out.update(item)
        out["temporalGranularity"] = "hourly"
        return out
    if kind == "history":
        pts = []
        for i in range(23, -1, -1):
            t = hour - timedelta(hours=i)
            v = None if t.hour == 3 else em_value(300, t.hour, factor, modes)
            pts.append(em_item(t, v, factor, estimated=v is None,
                               modes=modes))
        return {"zone": zone, "history": pts}
    if kind == "forecast":
        pts = []
        for i in range(1, 25):
            t = hour + timedelta(hours=i)
            p = {"carbonIntensity": em_value(200, t.hour, factor, modes),
                 "datetime": em_time(t)}
            if "null" in modes:
                p["carbonIntensity"] = None
            if "missing" in modes:
                del p["carbonIntensity"]
            pts.append(p)
        return {"zone": zone, "forecast": pts, "updatedAt": em_time(now)}
    if kind == "past-range":
        start = parse_iso(one(q, "start"))
        end = parse_iso(one(q, "end"))
        if start is None or end is None:
            raise em_error(400, "start and end are required ISO-8601 times")
        if end <= start:
            raise em_error(400, "end must be after start")
        if end - start > timedelta(hours=240):
            raise em_error(400, "range too long: at most 240 hours at hourly "
                                "granularity")
        pts = []
        t = ceil_to(start, 3600)
        while t < end:
            pts.append(em_item(t, em_value(250, t.hour, factor, modes),
                               factor, modes=modes))
            t += timedelta(hours=1)
        return {"zone": zone, "temporalGranularity": "hourly", "data": pts}
    raise em_error(404, "Endpoint not found")


# ---- UK Carbon Intensity ------------------------------------------------


def gb_index(v):
    if v is None:
        return "moderate"
    if v < 110:
        return "very low"
    if v < 125:
        return "low"
    if v < 140:
        return "moderate"
    if v < 150:
        return "high"
    return "very high"


def gb_national(t, now):
    """(actual, forecast) of the half hour starting at t."""
    if t <= now:
        idx = t.hour * 2 + t.minute // 30
        return 100 + idx, 105 + idx
    return None, 150


def gb_slot(t, now, modes, region=None):
    actual, forecast = gb_national(t, now)
    slot = {"from": gb_time(t), "to": gb_time(t + timedelta(minutes=30))}
    if region is None:
        intensity = {"forecast": forecast, "actual": actual,
                     "index": gb_index(forecast)}
    else:
        forecast += region
        intensity = {"forecast": forecast, "index": gb_index(forecast)}
    if "null" in modes:
        intensity["forecast"] = None
        if "actual" in intensity:
            intensity["actual"] = None
    if "missing" in modes:
        slot_missing = dict(slot)
        if region is not None:
            slot_missing["generationmix"] = gb_mix()
        return slot_missing
    slot["intensity"] = intensity
    if region is not None:
        slot["generationmix"] = gb_mix()
    return slot


def gb_mix():
    return [{"fuel": "biomass", "perc": 5.0}, {"fuel": "coal", "perc": 0.0},
            {"fuel": "imports", "perc": 10.0}, {"fuel": "gas", "perc": 35.0},
            {"fuel": "nuclear", "perc": 15.0}, {"fuel": "other", "perc": 0.0},
            {"fuel": "hydro", "perc": 2.0}, {"fuel": "solar", "perc": 3.0},
            {"fuel": "wind", "perc": 30.0}]


def gb_parse(text):
    m = re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$", text or "")
    t = parse_iso(text) if m else None
    if t is None:
        raise gb_error(400, "Please enter a valid ISO8601 datetime in the "
                            "format YYYY-MM-DDThh:mmZ, not '%s'" % text)
    return t


def gb_range(frm, to_or_window):
    """Slot start times for {from}/{to|fw24h|fw48h|pt24h}."""
    start = floor_to(gb_parse(frm), 1800)
    if to_or_window == "fw24h":
        return [start + timedelta(minutes=30 * i) for i in range(48)]
    if to_or_window == "fw48h":
        return [start + timedelta(minutes=30 * i) for i in range(96)]
    if to_or_window == "pt24h":
        return [start - timedelta(minutes=30 * i) for i in range(47, -1, -1)]
    end = gb_parse(to_or_window)
    if end <= start:
        raise gb_error(400, "to must be after from")
    if end - start > timedelta(days=14):
        raise gb_error(400, "the range is limited to 14 days")
    out, t = [], start
    while t < end:
        out.append(t)
        t += timedelta(minutes=30)
    return out


def gb_region(text):
    try:
        rid = int(text)
    except ValueError:
        rid = -1
    if rid not in GB_REGIONS:
        raise gb_error(400, "Please enter a valid region id between 1 and 17")
    return rid


def gb_region_block(rid, slots, now, modes):
    dno, short = GB_REGIONS[rid]
    return {"regionid": rid, "dnoregion": dno, "shortname": short,
            "data": [gb_slot(t, now, modes, region=rid) for t in slots]}


def carbon_intensity_uk(parts, modes):
    now = now_utc()
    cur = floor_to(now, 1800)
    if parts == ["intensity"]:
        return {"data": [gb_slot(cur, now, modes)]}
    if len(parts) == 3 and parts[:2] == ["intensity", "date"]:
        try:
            day = datetime.strptime(parts[2], "%Y-%m-%d").replace(
                tzinfo=timezone.utc)
        except ValueError:
            raise gb_error(400, "Please enter a valid date YYYY-MM-DD")
        return {"data": [gb_slot(day + timedelta(minutes=30 * i), now, modes)
                         for i in range(48)]}
    if len(parts) == 3 and parts[0] == "intensity":
        return {"data": [gb_slot(t, now, modes)
                         for t in gb_range(parts[1], parts[2])]}
    if len(parts) == 3 and parts[:2] == ["regional", "regionid"]:
        rid = gb_region(parts[2])
        return {"data": [gb_region_block(rid, [cur], now, modes)]}
    if (len(parts) == 6 and parts[:2] == ["regional", "intensity"]
            and parts[4] == "regionid"):
        rid = gb_region(parts[5])
        # the {from}/{to} region forms answer with an object, not a list
        return {"data": gb_region_block(rid, gb_range(parts[2], parts[3]),
                                        now, modes)}
    raise gb_error(404, "Not found")


# ---- WattTime -----------------------------------------------------------


def wt_login(headers):
    auth = headers.get("authorization") or ""
    ok = False
    if auth.lower().startswith("basic "):
        try:
            user, _, pw = base64.b64decode(auth[6:].strip()).decode(
                "utf-8").partition(":")
            ok = user == WT_USER and pw == WT_PASS
        except (ValueError, UnicodeDecodeError):
            ok = False
    with STATE.lock:
        if not ok:
            STATE.login_failures += 1
            raise HttpError(403, {"error": "Invalid credentials"})
        STATE.logins += 1
        STATE.token = secrets.token_urlsafe(24)
        return {"token": STATE.token}


def wt_meta(region, signal, modes, now):
    units = "percentile" if region == "PERCENTILE" else "lbs_co2_per_mwh"
    if "units" in modes:
        units = "kg_per_kwh"
    return {"data_point_period_seconds": 300, "region": region,
            "warnings": [], "signal_type": signal,
            "model": {"type": "binned_regression", "date": "2023-03-01"},
            "units": units, "generated_at_period_seconds": 300,
            "generated_at": wt_time(floor_to(now, 300))}


def wt_point(t, i, region, modes):
    p = {"point_time": wt_time(t),
         "value": float(i % 101 if region == "PERCENTILE" else 1000 + i)}
    if "valley" in modes and region != "PERCENTILE" and \
            t == floor_to(now_utc(), 300):
        p["value"] = 1500.0
    if "null" in modes:
        p["value"] = None
    if "missing" in modes:
        del p["value"]
    return p


def watttime(parts, q, headers, modes):
    if parts == ["login"]:
        return wt_login(headers)
    auth = headers.get("authorization") or ""
    with STATE.lock:
        token = STATE.token
    if (not auth.startswith("Bearer ") or token is None
            or auth[7:].strip() != token):
        raise HttpError(401, {"error": "Unauthorized: invalid or expired "
                                       "token"})
    endpoint = "/".join(parts[1:])
    now = now_utc()
    if endpoint == "region-from-loc":
        if one(q, "latitude") is None or one(q, "longitude") is None:
            raise HttpError(400, {"error": "latitude and longitude required"})
        return {"region": "CAISO_NORTH",
                "region_full_name": "California ISO - North",
                "signal_type": one(q, "signal_type") or "co2_moer"}
    region, signal = one(q, "region"), one(q, "signal_type")
    if region is None or signal is None:
        raise HttpError(400, {"error": "region and signal_type are required"})
    if signal not in WT_SIGNALS:
        raise HttpError(400, {"error": "unknown signal_type '%s'" % signal})
    if region not in WT_REGIONS:
        raise HttpError(403, {"error": "no access to region '%s'" % region})
    meta = wt_meta(region, signal, modes, now)
    first = floor_to(now, 300)
    if endpoint == "forecast":
        try:
            horizon = int(one(q, "horizon_hours") or "24")
        except ValueError:
            horizon = -1
        if not 0 <= horizon <= 72:
            raise HttpError(400, {"error": "horizon_hours must be 0..72"})
        n = max(1, horizon * 12)
        return {"data": [wt_point(first + timedelta(minutes=5 * i), i, region,
                                  modes) for i in range(n)], "meta": meta}
    if endpoint == "historical":
        start = parse_iso(one(q, "start"), need_zone=True)
        end = parse_iso(one(q, "end"), need_zone=True)
        if start is None or end is None:
            raise HttpError(400, {"error": "start and end are required, with "
                                           "an explicit time zone"})
        if end < start or end - start > timedelta(days=32):
            raise HttpError(400, {"error": "bad start/end range"})
        pts, t, i = [], ceil_to(start, 300), 0
        while t <= end:
            pts.append(wt_point(t, i, region, modes))
            t += timedelta(minutes=5)
            i += 1
        return {"data": pts, "meta": meta}
    if endpoint == "signal-index":
        meta["units"] = "percentile"
        return {"data": [{"point_time": wt_time(first), "value": 42.0}],
                "meta": meta}
    raise HttpError(404, {"error": "Not found"})


# ---- the server ---------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-grid/1"
    verbose = False

    def setup(self):
        super().setup()
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            self.request.do_handshake()
            self.request.settimeout(None)

    def log_message(self, fmt, *args):  # noqa: N802 (http.server's name)
        if self.verbose:
            sys.stderr.write("fake_grid_server: " + (fmt % args) + "\n")

    def send_body(self, status, body, ctype="application/json", headers=None,
                  length=True):
        if isinstance(body, (dict, list)):
            data = json.dumps(body, separators=(",", ":")).encode()
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if length:
            self.send_header("Content-Length", str(len(data)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def record(self, path, proxied, host):
        names = list(self.headers.keys())
        auth = self.headers.get("Authorization")
        with STATE.lock:
            STATE.requests[path] = STATE.requests.get(path, 0) + 1
            STATE.last = {
                "path": path,
                "header_names": names,
                "auth_token_present": "auth-token" in
                {n.lower() for n in names},
                "authorization_present": auth is not None,
                "authorization_scheme": auth.split(" ", 1)[0]
                if auth else None,
                "user_agent": self.headers.get("User-Agent"),
                "accept": self.headers.get("Accept"),
                "proxied": proxied,
                "host": host,
            }
            return STATE.requests[path]

    def do_GET(self):  # noqa: N802 (http.server's name)
        target = self.path
        proxied, host = False, self.headers.get("Host")
        if "://" in target.split("?", 1)[0]:
            parts = urlsplit(target)
            proxied, host = True, parts.netloc
            target = parts.path + ("?" + parts.query if parts.query else "")
        split = urlsplit(target)
        path, q = split.path, parse_qs(split.query, keep_blank_values=True)
        if path == "/_stats":
            with STATE.lock:
                body = {"logins": STATE.logins,
                        "login_failures": STATE.login_failures,
                        "requests": dict(STATE.requests), "last": STATE.last}
            return self.send_body(200, body)
        if path == "/_reset":
            with STATE.lock:
                STATE.reset()
            return self.send_body(200, {"reset": True})
        count = self.record(path, proxied, host)

        modes = set()
        real = path
        m = re.match(r"^/_mode/([^/]+)(/.*)?$", path)
        if m:
            modes = set(m.group(1).split(","))
            real = m.group(2) or "/"
            bad = modes - MODES
            if bad:
                return self.send_body(400, "unknown mode(s): %s\n"
                                      % ",".join(sorted(bad)), "text/plain")
        if "slow" in modes:
            time.sleep(5)
        if "hang" in modes:
            self.hang_until_the_client_leaves()
            return None
        if self.transport_mode(modes, real, split.query, count):
            return None
        headers = {k.lower(): v for k, v in self.headers.items()}
        parts = [p for p in real.split("/") if p]
        try:
            if parts[:2] == ["v3", "carbon-intensity"] and len(parts) == 3:
                body = electricity_maps(parts[2], q, headers, modes)
            elif parts and parts[0] in ("intensity", "regional"):
                body = carbon_intensity_uk(parts, modes)
            elif parts == ["login"] or (parts and parts[0] == "v3"):
                body = watttime(parts, q, headers, modes)
            else:
                raise HttpError(404, {"error": "no such path: %s" % real})
        except HttpError as e:
            return self.send_body(e.status, e.body, e.ctype, e.headers)
        return self.send_body(200, body)

    def hang_until_the_client_leaves(self):
        """Accepted and read, never answered: a server that hangs."""
        self.close_connection = True
        deadline = time.time() + 600
        while time.time() < deadline:
            ready, _, _ = select.select([self.connection], [], [], 0.2)
            if ready:
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        return
                except (OSError, ValueError):  # ValueError: TLS, no peek
                    return

    def transport_mode(self, modes, real, query, count):
        if "drop" in modes:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True
        if "truncate" in modes:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"zone":"D')
            self.wfile.flush()
            self.close_connection = True
            return True
        simple = {
            "html500": (500, "<html><head><title>500 Internal Server Error"
                        "</title></head><body><h1>Internal Server Error</h1>"
                        "</body></html>\n", "text/html"),
            "plain403": (403, "Access denied", "text/plain"),
            "text200": (200, "OK: this is not JSON\n", "text/plain"),
            "badjson": (200, '{"zone": "DE", "carbonIntensity": ',
                        "application/json"),
            "empty": (200, "", "application/json"),
        }
        for mode, (status, body, ctype) in simple.items():
            if mode in modes:
                self.send_body(status, body, ctype)
                return True
        if "429" in modes:
            self.send_body(429, {"error": "Too many requests"},
                           headers={"Retry-After": "1"})
            return True
        if "503date" in modes:
            when = email.utils.formatdate(time.time() + 2, usegmt=True)
            self.send_body(503, {"error": "Service unavailable"},
                           headers={"Retry-After": when})
            return True
        if "flaky" in modes and count % 2 == 1:
            self.send_body(503, {"error": "Service unavailable (flaky)"})
            return True
        if "redirect" in modes:
            loc = real + ("?" + query if query else "")
            self.send_body(302, "<html>Found</html>", "text/html",
                           headers={"Location": loc})
            return True
        if "echo" in modes or "echo500" in modes:
            self.echo_credentials("echo500" in modes, query)
            return True
        if "huge" in modes or "hugenolen" in modes:
            body = b'{"pad":"' + b"x" * (HUGE - 10) + b'"}'
            self.send_body(200, body, length="huge" in modes)
            return True
        return False

    def echo_credentials(self, as_500, query):
        """What a careless server does: quotes the credentials it got."""
        token = self.headers.get("auth-token") or ""
        auth = self.headers.get("Authorization") or ""
        bare = ""
        if auth.startswith("Basic "):
            try:
                pair = base64.b64decode(auth[6:]).decode()
                bare = pair.split(":", 1)[1] if ":" in pair else pair
            except ValueError:
                bare = ""
        elif auth.startswith("Bearer "):
            bare = auth[7:]
        text = ("%s%s rejected (auth-token: %s; Authorization: %s; query %s)"
                % (token, bare, token, auth, query))
        headers = {"X-Echo-Auth-Token": token, "X-Echo-Authorization": auth}
        if as_500:
            self.send_body(500, {"error": text}, headers=headers)
        else:
            self.send_body(401, text, "text/plain", headers=headers)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # clients that abort (a refused certificate, a size limit) are normal
        if Handler.verbose:
            super().handle_error(request, client_address)


def watch_parent():
    parent = os.getppid()
    while True:
        time.sleep(0.3)
        if os.getppid() != parent:
            os._exit(0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    Handler.verbose = args.verbose

    server = Server(("127.0.0.1", 0), Handler)
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        # the handshake happens in the handler's thread, not in accept()
        server.socket = ctx.wrap_socket(server.socket, server_side=True,
                                        do_handshake_on_connect=False)
    threading.Thread(target=watch_parent, daemon=True).start()

    port = server.server_address[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, args.port_file)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
