"""Load test: simulated users against a running PRIAM on this machine (127.0.0.1 only).

    .venv/bin/python bench/load.py [--url http://127.0.0.1:8000] [--users 50] [--duration 180]

The server must hold the demo data (`make demo`). Before the clock starts the
coordinator opens --projects bench projects (through the API, each with the four
demo custodians) and every simulated user signs in, one after another (Argon2 is
slow on purpose; a burst of sign-ins is not what this measures). Then, for
--duration seconds, each user loops: think (exponentially distributed, mean
--think seconds), then one action:

- a page read (home, project list, project, questionnaire section, risk profile,
  record), chosen among the pages its persona may open;
- an API read (projects, a project, its answers, an assessment, records);
- custodians only: a write. GET one of its assessments (the API read), then PUT
  its answers with a new marker in DA8 and `If-Match: <the ETag read>`. 412 means
  someone wrote first: expected under contention, counted as a conflict.

Errors are transport failures and any other status. Lost writes: every
acknowledged PUT must extend the ETag chain of its assessment (no two
acknowledged writes may start from the same ETag) and the last one's marker must
be what the server holds at the end.

Signing in and API writes use the session (and its CSRF token), so this measures
the pages and the API, not personal tokens.
"""

import argparse
import http.client
import itertools
import json
import math
import random
import re
import sys
import threading
import time
from collections import defaultdict
from urllib.parse import urlencode, urlsplit

PASSWORD = "priam-demo"
CUSTODIANS = {
    "custodian": "North Thames GP Records",
    "genomics": "Genomics England",
    "metgrid": "Met and Pollution Grid Service",
    "census": "Census and Education Data Service",
}
SLUGS = ["north-thames-gp", "genomics-england", "met-pollution-grid", "census-education"]
READERS = ["coordinator", "chair", "panel", "auditor"]
PERSONAS = list(CUSTODIANS) + READERS
MARKER_QUESTION = "DA8"  # "Number of individuals": any integer ≥ 0 is a valid draft answer


class Session:
    """One user's keep-alive connection and cookies."""

    def __init__(self, host, port, timeout):
        self.host, self.port, self.timeout = host, port, timeout
        self.cookies = {}
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: reconnect once.
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.headers.get("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return response.status, response.headers, data

    def login(self, username):
        status, _, page = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        body = urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token})
        status, headers, _ = self.request(
            "POST", "/accounts/login/", body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if status != 302:
            raise SystemExit(f"Could not sign in as {username} (HTTP {status}): is the demo data loaded?")

    def json(self, method, path, payload=None, headers=None):
        headers = dict(headers or {})
        body = None
        if payload is not None:
            body = json.dumps(payload)
            headers["Content-Type"] = "application/json"
        if method != "GET":
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        status, response_headers, data = self.request(method, path, body, headers)
        parsed = json.loads(data) if data and response_headers.get("Content-Type", "").endswith("json") else None
        return status, response_headers, parsed


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = defaultdict(list)
        self.errors = defaultdict(int)
        self.conflicts = 0
        self.acknowledged = []  # (assessment path, If-Match, new ETag, marker)

    def record(self, kind, seconds, ok, what=""):
        with self.lock:
            self.latencies[kind].append(seconds)
            if not ok:
                self.errors[what] += 1


def timed(stats, kind, session, method, path, expected=(200,), **kwargs):
    started = time.perf_counter()
    try:
        status, headers, data = session.json(method, path, **kwargs)
    except Exception as error:
        stats.record(kind, time.perf_counter() - started, False, f"{method} {_shape(path)}: {error!r}"[:120])
        return None, None, None
    stats.record(kind, time.perf_counter() - started, status in expected, f"{method} {_shape(path)}: {status}")
    return status, headers, data


def _shape(path):
    return re.sub(r"\d+", "N", path)


def setup(args, host, port):
    """Open the bench projects; find, per persona, the pages and API reads it may open."""
    coordinator = Session(host, port, args.timeout)
    coordinator.login("coordinator")
    projects = []
    for n in range(args.projects):
        status, _, data = coordinator.json(
            "POST",
            "/api/v1/projects/",
            {
                "title": f"Load test project {n + 1}",
                "summary": "Opened by bench/load.py.",
                "lead_researcher": "Dr Load",
                "lead_organisation": "Bench University",
                "purpose": "Measuring PRIAM under load.",
                "public_benefit": "Faster pages.",
                "start_date": "2027-01-01",
                "end_date": "2027-12-31",
                "custodians": SLUGS,
            },
        )
        if status != 201:
            raise SystemExit(f"Could not open a bench project (HTTP {status}): {data}")
        projects.append(data)

    targets = defaultdict(list)  # persona -> assessment API paths it writes
    for project in projects:
        for custodian in project["custodians"]:
            for persona, organisation in CUSTODIANS.items():
                if custodian["organisation"] == organisation:
                    targets[persona].append(f"/api/v1/projects/{project['id']}/assessments/{custodian['id']}/")

    reads = {}
    for persona in PERSONAS:
        session = Session(host, port, args.timeout)
        session.login(persona)
        _, _, listing = session.json("GET", "/api/v1/projects/?page_size=100")
        visible = listing["results"] if isinstance(listing, dict) else listing
        pages = ["/", "/projects/"]
        api = ["/api/v1/projects/", "/api/v1/records/"]
        for project in visible:
            pid = project["id"]
            pages += [f"/projects/{pid}/", f"/projects/{pid}/risk/"]
            api += [f"/api/v1/projects/{pid}/", f"/api/v1/projects/{pid}/answers/"]
            for custodian in project["custodians"]:
                pages.append(f"/projects/{pid}/custodians/{custodian['id']}/questions/data/")
                api.append(f"/api/v1/projects/{pid}/assessments/{custodian['id']}/")
        _, _, records = session.json("GET", "/api/v1/records/")
        for record in (records or {}).get("results", []) if isinstance(records, dict) else records or []:
            pages.append(f"/records/{record['number']}/")
        # Keep what this persona may open: a refusal is correct behaviour, not load.
        reads[persona] = (
            [p for p in pages if session.request("GET", p)[0] == 200],
            [p for p in api if session.request("GET", p)[0] == 200],
        )
    return targets, reads


def user(number, persona, session, targets, reads, stats, args, stop_at, counter):
    rng = random.Random(number)
    pages, api = reads[persona]
    writer = persona in CUSTODIANS
    time.sleep(rng.uniform(0, args.think))
    while time.time() < stop_at:
        time.sleep(min(rng.expovariate(1 / args.think) if args.think else 0, max(0, stop_at - time.time())))
        if time.time() >= stop_at:
            break
        roll = rng.random()
        if writer and roll < args.write_share:
            path = rng.choice(targets[persona])
            status, headers, data = timed(stats, "api", session, "GET", path)
            if status != 200:
                continue
            answers = dict(data["answers"])
            marker = number * 1_000_000 + next(counter)
            answers[MARKER_QUESTION] = marker
            etag = headers["ETag"]
            status, headers, _ = timed(
                stats,
                "write",
                session,
                "PUT",
                path + "answers/",
                expected=(200, 412),
                payload={"answers": answers},
                headers={"If-Match": etag},
            )
            if status == 200:
                with stats.lock:
                    stats.acknowledged.append((path, etag, headers["ETag"], marker))
            elif status == 412:
                with stats.lock:
                    stats.conflicts += 1
        elif roll < (0.5 if not writer else 0.5 + args.write_share / 2):
            timed(stats, "page", session, "GET", rng.choice(pages))
        else:
            timed(stats, "api", session, "GET", rng.choice(api))


def lost_writes(stats, session, initial):
    """Acknowledged writes that the final state or the ETag chain does not account for."""
    lost = 0
    by_path = defaultdict(list)
    for path, if_match, new_etag, marker in stats.acknowledged:
        by_path[path].append((if_match, new_etag, marker))
    for path, writes in by_path.items():
        following = {}
        for if_match, new_etag, marker in writes:
            if if_match in following:
                lost += 1  # two acknowledged writes both started from this ETag
            following[if_match] = (new_etag, marker)
        etag, last_marker, chained = initial[path], None, 0
        while etag in following and chained < len(following):
            etag, last_marker = following[etag]
            chained += 1
        lost += len(following) - chained  # acknowledged, yet not built on what came before
        _, headers, data = session.json("GET", path)
        if headers["ETag"] != etag or data["answers"].get(MARKER_QUESTION) != last_marker:
            lost += 1
    return lost


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def report(stats, elapsed, lost, args):
    rows = []
    everything = sorted(itertools.chain.from_iterable(stats.latencies.values()))
    for kind in ("page", "api", "write"):
        rows.append((kind, sorted(stats.latencies[kind])))
    rows.append(("all", everything))
    print(f"\n{args.users} users, {elapsed:.0f} s, think time mean {args.think} s, {args.url}")
    print(f"{'kind':<6} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for kind, values in rows:
        print(
            f"{kind:<6} {len(values):>9} "
            + " ".join(
                f"{1000 * v:>8.0f}"
                for v in (
                    percentile(values, 0.5),
                    percentile(values, 0.95),
                    percentile(values, 0.99),
                    values[-1] if values else float("nan"),
                )
            )
        )
    errors = sum(stats.errors.values())
    print(
        f"throughput {len(everything) / elapsed:.1f} requests/s; errors {errors}; "
        f"writes acknowledged {len(stats.acknowledged)}, conflicts (412) {stats.conflicts}; lost writes {lost}"
    )
    for what, count in sorted(stats.errors.items(), key=lambda item: -item[1])[:10]:
        print(f"  {count} × {what}")
    return errors == 0 and lost == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=180, help="seconds")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time between actions, seconds")
    parser.add_argument("--write-share", type=float, default=0.3, help="share of a custodian's actions that write")
    parser.add_argument("--projects", type=int, default=8, help="bench projects to open")
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()

    url = urlsplit(args.url)
    if url.scheme != "http" or url.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("bench/load.py only loads a server on this machine: use http://127.0.0.1:PORT")
    host, port = url.hostname, url.port or 80

    targets, reads = setup(args, host, port)
    stats = Stats()
    sessions = []
    for number in range(args.users):
        persona = PERSONAS[number % len(PERSONAS)]
        session = Session(host, port, args.timeout)
        session.login(persona)
        sessions.append((number, persona, session))
    initial = {}
    for persona in CUSTODIANS:
        writer = Session(host, port, args.timeout)
        writer.login(persona)
        for path in targets[persona]:
            initial[path] = writer.json("GET", path)[1]["ETag"]
    print(f"Set up: {args.projects} projects, {args.users} users signed in; running {args.duration:.0f} s…", flush=True)

    counter = itertools.count(1)
    started = time.time()
    stop_at = started + args.duration
    threads = [
        threading.Thread(target=user, args=(n, p, s, targets, reads, stats, args, stop_at, counter), daemon=True)
        for n, p, s in sessions
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.time() - started

    verifier = {}
    for persona in CUSTODIANS:
        verifier[persona] = Session(host, port, args.timeout)
        verifier[persona].login(persona)
    lost = 0
    for persona in CUSTODIANS:
        own = Stats()
        own.acknowledged = [w for w in stats.acknowledged if w[0] in targets[persona]]
        lost += lost_writes(own, verifier[persona], {p: initial[p] for p in targets[persona]})
    sys.exit(0 if report(stats, elapsed, lost, args) else 1)


if __name__ == "__main__":
    main()
