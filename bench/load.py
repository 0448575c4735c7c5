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

With --decision-projects N (default 0: the mix above, unchanged) the coordinator
also brings N projects to the point where a decision is the next step, before the
clock starts: half with North Thames GP Records and Met and Pollution Grid (GP's
appetite routes the E2 answers to its own approver, Met's approves them
automatically: gp-approver's sign-off issues the record), half with Met and Census
and Education (Census states no appetite, so the panel decides: sent to the
National Data Access Panel, every member has declared no conflict, `panel` and
`panel2` have voted). gp-approver, met-approver and panel2 then join the personas
in turn, and while such work remains, --decide-share of their actions (and the
chair's and panel members') is a decision:

- an approver: GET one of its custodian's pending sign-offs (API), then PUT the
  decision with If-Match (approve, approve with a condition, or decline); 200 names
  the record it issued, 409/412 mean another approver signed first (a conflict);
- the chair: the review page, the decision form, then its confirmation ("Issue"),
  through the pages; 302 to the record issued; 400 "already decided" is a conflict;
- `panel`, `panel2`: change their vote on an open review (a conflict once decided).

Every user also reads, in --risk-share of its actions, a risk profile (the page or
the API's, with its "what would change") of an evaluated project it may see.
After the run the script waits (up to --drain-timeout s) until every record of
those projects has its signed PDF (rendered by the Celery worker), then counts
duplicate records (more than one record for a decided project, or two records
with the same PDF), records issued, PDFs signed and records still without one.
The load average (1 min) is sampled before, during and after the run. The
preparation runs in --prepare-workers threads (1 by default) and retries an HTTP
500 up to four times, printing each: concurrent preparers meet a deadlock in the
app (bench/README.md, "50 users on `make serve`", which bench/serve_load.sh runs).

Signing in and API writes use the session (and its CSRF token), so this measures
the pages and the API, not personal tokens.
"""

import argparse
import http.client
import itertools
import json
import math
import os
import random
import re
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
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

# Decisions (--decision-projects): the demo's approvers and panel, and the E2 worked example's
# answers, under which GP's appetite routes to its approver, Met's approves, Census's (none) to a panel.
APPROVERS = {"gp-approver": "North Thames GP Records", "met-approver": "Met and Pollution Grid Service"}
DECIDERS = [*APPROVERS, "panel2"]  # join the rotation when there are decisions to make
PANEL_NAME = "National Data Access Panel"
EXAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "examples" / "E2.json"
E2_CUSTODIANS = {  # the example's custodian → demo organisation slug, answering persona, DA10 (five-safes@2)
    "GP records": ("north-thames-gp", "custodian", "motivated"),
    "Met and pollution grid": ("met-pollution-grid", "metgrid", "opportunistic"),
    "Census and education": ("census-education", "census", "motivated"),
}
DECISION_KINDS = {  # custodians of each kind of decision project, by the example's names
    "signoff": ["GP records", "Met and pollution grid"],
    "panel": ["Met and pollution grid", "Census and education"],
}
ALREADY_DECIDED = (b"already been decided", b"review is closed")


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

    def form(self, path, fields):
        """POST a page's form, with the CSRF token the cookie holds."""
        body = urlencode({**fields, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")})
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-CSRFToken": self.cookies.get("csrftoken", ""),
        }
        return self.request("POST", path, body, headers)

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
        self.decision_conflicts = 0  # someone else decided first (409/412 on a sign-off, 400 "already decided")
        self.issued = []  # (kind, project id, record number) as the server acknowledged them

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


def timed_page(stats, kind, session, method, path, expected=(200,), fields=None):
    """A page request (a form POST when `fields`), timed; returns status, headers and body."""
    started = time.perf_counter()
    try:
        if fields is not None:
            status, headers, body = session.form(path, fields)
        else:
            status, headers, body = session.request(method, path)
    except Exception as error:
        stats.record(kind, time.perf_counter() - started, False, f"{method} {_shape(path)}: {error!r}"[:120])
        return None, None, None
    ok = status in expected or (status == 400 and any(t in body for t in ALREADY_DECIDED))
    stats.record(kind, time.perf_counter() - started, ok, f"{method} {_shape(path)}: {status}")
    return status, headers, body


def _shape(path):
    return re.sub(r"\d+", "N", path)


DECISION_TITLE = "Load test decision"


def setup(args, host, port, personas, decisions=None):
    """Open the bench projects; find, per persona, the pages, API reads and risk profiles it may open."""
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

    reads, risk = {}, {}
    for persona in personas:
        session = Session(host, port, args.timeout)
        session.login(persona)
        _, _, listing = session.json("GET", "/api/v1/projects/?page_size=200")
        visible = listing["results"] if isinstance(listing, dict) else listing
        # The decision projects are read through the risk profiles and the decisions themselves.
        visible = [p for p in visible if not p["title"].startswith(DECISION_TITLE)]
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
        # Risk profiles of the evaluated projects it may see (an unevaluated one's API answers 404).
        profiles = [f"/api/v1/projects/{p['id']}/risk-profile/" for p in visible]
        profiles = [p for p in profiles if session.request("GET", p)[0] == 200]
        risk[persona] = [p.replace("/api/v1/", "/").replace("/risk-profile/", "/risk/") for p in profiles] + profiles
        for projects in (decisions.projects if decisions else {}).values():
            # Who may read one project of a kind may read them all (the same custodians, the same panel).
            if projects and session.request("GET", f"/projects/{projects[0]}/risk/")[0] == 200:
                for pid in projects:
                    risk[persona] += [f"/projects/{pid}/risk/", f"/api/v1/projects/{pid}/risk-profile/"]
    return targets, reads, risk


class Decisions:
    """The decisions waiting to be made, shared by the users, and the projects they belong to."""

    def __init__(self):
        self.lock = threading.Lock()
        self.projects = {"signoff": [], "panel": []}  # kind -> project ids
        self.waiting = defaultdict(list)  # persona -> [(project id, sign-off or review id)]

    def pick(self, persona, rng):
        # Not taken off the list until done: two people may open the same work, as people do.
        with self.lock:
            items = self.waiting.get(persona)
            return rng.choice(items) if items else None

    def done(self, persona, item):
        with self.lock:
            if item in self.waiting.get(persona, []):
                self.waiting[persona].remove(item)

    def any_for(self, persona):
        with self.lock:
            return bool(self.waiting.get(persona))


class Retrying:
    """A session for the preparation: a 500 is retried (four times) and counted, so that a defect the
    preparation meets is reported with the run rather than stopping it (the transaction rolled back)."""

    server_errors = []  # (method, path shape, status) of every 500 met while preparing

    def __init__(self, session):
        self.session = session

    def _again(self, call, method, path):
        for attempt in range(5):
            result = call()
            if result[0] != 500 or attempt == 4:
                return result
            Retrying.server_errors.append(f"{method} {_shape(path)}")
            time.sleep(0.5)

    def json(self, method, path, payload=None, headers=None):
        return self._again(lambda: self.session.json(method, path, payload, headers), method, path)

    def form(self, path, fields):
        return self._again(lambda: self.session.form(path, fields), "POST", path)

    def request(self, method, path):
        return self._again(lambda: self.session.request(method, path), method, path)


def _must(status, data, what, expected=(200,)):
    if status not in expected:
        raise SystemExit(f"Preparing the decision projects: {what} gave HTTP {status}: {str(data)[:500]}")


def prepare_decisions(args, host, port):
    """Bring --decision-projects projects to the point where a sign-off or a panel decision is next."""
    decisions = Decisions()
    if not args.decision_projects:
        return decisions
    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    kinds = ["signoff" if n % 2 == 0 else "panel" for n in range(args.decision_projects)]
    # One preparer by default: concurrent ones meet the audit-chain deadlock (bench/README.md).
    workers = max(1, min(args.prepare_workers, len(kinds)))

    def chunk(numbers):
        sessions = {}
        for persona in ("coordinator", "custodian", "metgrid", "census", "chair", "panel", "panel2"):
            session = Session(host, port, args.timeout)
            session.login(persona)
            sessions[persona] = Retrying(session)
        for n in numbers:
            _prepare_one(sessions, n, kinds[n], example, decisions)

    with ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(chunk, range(w, len(kinds), workers)) for w in range(workers)]:
            future.result()
    for items in decisions.waiting.values():
        items.sort()
    if Retrying.server_errors:
        print(f"While preparing, HTTP 500 (retried): {Retrying.server_errors}", flush=True)
    return decisions


def _prepare_one(sessions, n, kind, example, decisions):
    coordinator = sessions["coordinator"]
    names = DECISION_KINDS[kind]
    status, _, project = coordinator.json(
        "POST",
        "/api/v1/projects/",
        {
            "title": f"{DECISION_TITLE} {n + 1} ({'sign-off' if kind == 'signoff' else 'panel'})",
            "summary": "Opened by bench/load.py, to be decided during the run.",
            "lead_researcher": "Dr Load",
            "lead_organisation": "Bench University",
            "purpose": "Measuring PRIAM's decisions under load.",
            "public_benefit": "Faster decisions.",
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
            "custodians": [E2_CUSTODIANS[name][0] for name in names],
        },
    )
    _must(status, project, "opening a project", (201,))
    pid = project["id"]
    v2 = project["framework"].endswith("@2")
    answers_path = f"/api/v1/projects/{pid}/answers/"
    status, headers, data = coordinator.json("GET", answers_path)
    _must(status, data, "reading the project answers")
    status, _, data = coordinator.json(
        "PUT", answers_path, {"answers": example["answers"]}, headers={"If-Match": headers["ETag"]}
    )
    _must(status, data, "saving the project answers")
    by_organisation = {c["organisation"]: c["id"] for c in project["custodians"]}
    custodians = {c["name"]: c["answers"] for c in example["custodians"]}
    paths = {}
    for name in names:
        slug, persona, da10 = E2_CUSTODIANS[name]
        organisation = CUSTODIANS[persona]
        path = f"/api/v1/projects/{pid}/assessments/{by_organisation[organisation]}/"
        paths[name] = path
        session = sessions[persona]
        status, headers, data = session.json("GET", path)
        _must(status, data, f"reading {organisation}'s assessment")
        answers = {**data["answers"], **custodians[name], **({"DA10": da10} if v2 else {})}
        status, _, data = session.json(
            "PUT", path + "answers/", {"answers": answers}, headers={"If-Match": headers["ETag"]}
        )
        _must(status, data, f"saving {organisation}'s answers")
        status, _, data = session.json("POST", path + "submit/")
        _must(status, data, f"submitting {organisation}'s assessment")
    for name in names:
        session = sessions[E2_CUSTODIANS[name][1]]
        status, headers, data = session.json("GET", answers_path)
        _must(status, data, "reading the project answers to confirm them")
        status, _, data = session.json("POST", paths[name] + "confirm/", headers={"If-Match": headers["ETag"]})
        _must(status, data, "confirming the project answers")
    status, _, data = coordinator.json("GET", f"/api/v1/projects/{pid}/sign-offs/")
    _must(status, data, "reading the sign-offs")
    routes = {s["custodian"]: (s["route"], s["status"]) for s in data["sign_offs"]}
    if kind == "signoff":
        waiting = [s for s in data["sign_offs"] if s["route"] == "custodian_review" and s["status"] == "pending"]
        others = [s for s in data["sign_offs"] if s not in waiting]
        if not waiting or any(s["status"] == "pending" for s in others):
            raise SystemExit(f"Project {pid}: expected one approver's sign-off to be the last step, found {routes}")
        approvers = {name: persona for persona, name in APPROVERS.items()}
        with decisions.lock:
            decisions.projects["signoff"].append(pid)
            for sign_off in waiting:
                decisions.waiting[approvers[sign_off["custodian"]]].append((pid, sign_off["id"]))
        return
    if [r for r, st in routes.values() if st == "pending"] != ["panel"]:
        raise SystemExit(f"Project {pid}: expected the panel's sign-off to be the last step, found {routes}")
    status, _, page = coordinator.request("GET", f"/projects/{pid}/")
    _must(status, page[:300], "reading the project page")
    panel = re.search(rb'<option value="(\d+)"[^>]*>' + re.escape(PANEL_NAME.encode()), page)
    if panel is None:
        raise SystemExit(f"Project {pid}: the project page offers no {PANEL_NAME} to send it to")
    status, _, page = coordinator.form(f"/projects/{pid}/send/", {"panel": panel.group(1).decode(), "note": "Bench."})
    _must(status, page[:300], "sending the project to the panel", (302,))
    # The review's link is on the project page of the panel's members (not the coordinator's).
    status, _, page = sessions["chair"].request("GET", f"/projects/{pid}/")
    reviews = re.findall(rb'href="/reviews/(\d+)/"', page or b"")
    if status != 200 or not reviews:
        alerts = re.findall(rb'class="alert[^"]*">([^<]+)', coordinator.request("GET", f"/projects/{pid}/")[2])
        raise SystemExit(f"Project {pid} was not sent to the panel (chair's page: HTTP {status}): {alerts}")
    review = int(reviews[-1])
    for persona in ("chair", "panel", "panel2"):
        status, _, page = sessions[persona].form(f"/reviews/{review}/declare/", {"conflicted": "no", "details": ""})
        _must(status, page[:300], f"{persona} declaring", (302,))
    for persona in ("panel", "panel2"):
        status, _, page = sessions[persona].form(
            f"/reviews/{review}/vote/", {"choice": "approve", "rationale": "Aggregate outputs only; acceptable."}
        )
        _must(status, page[:300], f"{persona} voting", (302,))
    with decisions.lock:
        decisions.projects["panel"].append(pid)
        for persona in ("chair", "panel", "panel2"):
            decisions.waiting[persona].append((pid, review))


def sign_off(persona, session, decisions, stats, rng):
    """An approver opens one of its pending sign-offs and signs it, with the ETag it read."""
    item = decisions.pick(persona, rng)
    pid, sign_off_id = item
    path = f"/api/v1/sign-offs/{sign_off_id}/"
    status, headers, data = timed(stats, "signoff", session, "GET", path)
    if status != 200:
        return
    if data["status"] != "pending":
        decisions.done(persona, item)  # signed meanwhile by another approver
        return
    roll = rng.random()
    if roll < 0.7:
        body = {"outcome": "approve", "reason": "Within our appetite."}
    elif roll < 0.9:
        body = {"outcome": "approve_with_conditions", "reason": "With a check.", "conditions": ["Monthly logs."]}
    else:
        body = {"outcome": "decline", "reason": "Too identifiable for us."}
    status, _, data = timed(
        stats,
        "signoff",
        session,
        "PUT",
        path,
        expected=(200, 409, 412),
        payload=body,
        headers={"If-Match": headers["ETag"]},
    )
    if status in (409, 412):
        with stats.lock:
            stats.decision_conflicts += 1
        decisions.done(persona, item)
    elif status == 200:
        decisions.done(persona, item)
        with stats.lock:
            stats.issued.append(("signoff", pid, data["record"]))


def panel_decide(persona, session, decisions, stats, rng):
    """The chair opens a review, fills in the decision, reads the confirmation and issues it."""
    item = decisions.pick(persona, rng)
    pid, review = item
    status, _, _ = timed_page(stats, "decide", session, "GET", f"/reviews/{review}/")
    if status != 200:
        return
    roll = rng.random()
    outcome = "approve" if roll < 0.6 else "approve_with_conditions" if roll < 0.9 else "reject"
    conditions = ["Only aggregate results leave the TRE."] if outcome == "approve_with_conditions" else []
    fields = {
        "outcome": outcome,
        "rationale": "Aggregate outputs from a trusted research environment: acceptable.",
        "dissent": "",
        "questions": "",
        "conditions-TOTAL_FORMS": len(conditions),
        "conditions-INITIAL_FORMS": 0,
        "conditions-MIN_NUM_FORMS": 0,
        "conditions-MAX_NUM_FORMS": 1000,
    }
    for i, text in enumerate(conditions):
        fields |= {f"conditions-{i}-text": text, f"conditions-{i}-rule": ""}
    # The form, then its confirmation page's "Issue", which carries the same values.
    for step, expected in (({}, 200), ({"confirm": "Issue"}, 302)):
        status, headers, body = timed_page(
            stats, "decide", session, "POST", f"/reviews/{review}/decide/", (expected,), {**fields, **step}
        )
        if status == 400 and any(t in body for t in ALREADY_DECIDED):
            with stats.lock:
                stats.decision_conflicts += 1
            decisions.done(persona, item)
            return
        if status != expected:
            return  # an error, counted by timed_page
    location = headers.get("Location", "")
    number = re.search(r"/records/([^/]+)/", location)
    decisions.done(persona, item)
    with stats.lock:
        stats.issued.append(("panel", pid, number.group(1) if number else None))
        if number is None:
            stats.errors[f"decide: redirected to {_shape(location)}, not to a record"] += 1


def panel_vote(persona, session, decisions, stats, rng):
    """A panel member changes its vote on an open review (refused once the chair has decided)."""
    item = decisions.pick(persona, rng)
    _, review = item
    choice = rng.choice(["approve", "approve_with_conditions"])
    status, _, body = timed_page(
        stats,
        "vote",
        session,
        "POST",
        f"/reviews/{review}/vote/",
        (302,),
        {"choice": choice, "rationale": "Reconsidered."},
    )
    if status == 400 and any(t in body for t in ALREADY_DECIDED):
        with stats.lock:
            stats.decision_conflicts += 1
        decisions.done(persona, item)


DECIDE = {
    "gp-approver": sign_off,
    "met-approver": sign_off,
    "chair": panel_decide,
    "panel": panel_vote,
    "panel2": panel_vote,
}


def user(number, persona, session, targets, reads, stats, args, stop_at, counter, risk=None, decisions=None):
    rng = random.Random(number)
    pages, api = reads[persona]
    profiles = (risk or {}).get(persona, [])
    writer = persona in CUSTODIANS
    time.sleep(rng.uniform(0, args.think))
    while time.time() < stop_at:
        time.sleep(min(rng.expovariate(1 / args.think) if args.think else 0, max(0, stop_at - time.time())))
        if time.time() >= stop_at:
            break
        if profiles and rng.random() < args.risk_share:
            timed(stats, "risk", session, "GET", rng.choice(profiles))
            continue
        if decisions and persona in DECIDE and decisions.any_for(persona) and rng.random() < args.decide_share:
            DECIDE[persona](persona, session, decisions, stats, rng)
            continue
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


def record_check(decisions, stats, session, drain_timeout):
    """Wait for the worker to sign every record of the decision projects, then count them.

    Duplicates: a decided project with more than one record, or two records sharing one PDF."""
    projects = set(decisions.projects["signoff"] + decisions.projects["panel"])
    started = time.time()
    while True:
        records, path = [], "/api/v1/records/?page_size=200"
        while path:
            status, _, data = session.json("GET", path)
            if status != 200:
                raise SystemExit(f"Listing the records gave HTTP {status}")
            records += data["results"]
            path = data["next"] and data["next"][data["next"].index("/api/") :]
        mine = [r for r in records if r["project"] in projects]
        unsigned = [r for r in mine if not r["pdf_sha256"]]
        if not unsigned or time.time() - started > drain_timeout:
            break
        time.sleep(2)
    waited = time.time() - started
    per_project = defaultdict(int)
    for record in mine:
        per_project[record["project"]] += 1
    pdfs = [r["pdf_sha256"] for r in mine if r["pdf_sha256"]]
    acknowledged = {number for _, _, number in stats.issued}
    return {
        "records": len(mine),
        "projects decided": len(per_project),
        "acknowledged": len(stats.issued),
        "duplicates": sum(n - 1 for n in per_project.values()) + len(pdfs) - len(set(pdfs)),
        "pdfs": len(pdfs),
        "unsigned": len(unsigned),
        "unacknowledged": len({r["number"] for r in mine} - acknowledged),
        "acknowledged but missing": len(acknowledged - {r["number"] for r in mine}),
        "waited": waited,
    }


class LoadAverage:
    """os.getloadavg()'s one-minute figure before, every 5 s during, and after the run."""

    def __init__(self):
        self.before = os.getloadavg()[0]
        self.during = []
        self.after = None
        self._stop = threading.Event()

    def start(self):
        def sample():
            while not self._stop.wait(5):
                self.during.append(os.getloadavg()[0])

        threading.Thread(target=sample, daemon=True).start()

    def stop(self):
        self._stop.set()
        self.after = os.getloadavg()[0]

    def __str__(self):
        during = self.during or [float("nan")]
        return (
            f"load average (1 min, {os.cpu_count()} cores): before {self.before:.1f}; during min "
            f"{min(during):.1f} mean {sum(during) / len(during):.1f} max {max(during):.1f}; after {self.after:.1f}"
        )


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def report(stats, elapsed, lost, args, records=None, load=None):
    rows = []
    everything = sorted(itertools.chain.from_iterable(stats.latencies.values()))
    for kind in ("page", "api", "write", "risk", "signoff", "decide", "vote"):
        if kind in ("page", "api", "write") or stats.latencies[kind]:
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
    ok = errors == 0 and lost == 0
    if records is not None:
        print(
            f"decisions: {records['acknowledged']} acknowledged ({stats.decision_conflicts} conflicts: someone "
            f"decided first); records issued {records['records']} on {records['projects decided']} projects; "
            f"PDFs signed {records['pdfs']} (waited {records['waited']:.0f} s after the run); "
            f"records without a signed PDF {records['unsigned']}; duplicate records {records['duplicates']}; "
            f"records nobody was told of {records['unacknowledged']}; acknowledged but missing "
            f"{records['acknowledged but missing']}"
        )
        ok = ok and not (records["duplicates"] or records["unsigned"] or records["acknowledged but missing"])
    if load is not None:
        print(load)
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=180, help="seconds")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time between actions, seconds")
    parser.add_argument("--write-share", type=float, default=0.3, help="share of a custodian's actions that write")
    parser.add_argument("--projects", type=int, default=8, help="bench projects to open")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument(
        "--decision-projects", type=int, default=0, help="projects prepared for a sign-off or panel decision"
    )
    parser.add_argument("--decide-share", type=float, default=0.05, help="share of a decider's actions that decide")
    parser.add_argument("--risk-share", type=float, default=0.0, help="share of every user's actions reading risk")
    parser.add_argument("--prepare-workers", type=int, default=1, help="threads preparing the decision projects")
    parser.add_argument("--drain-timeout", type=float, default=600, help="seconds to wait for the PDFs afterwards")
    args = parser.parse_args()

    url = urlsplit(args.url)
    if url.scheme != "http" or url.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("bench/load.py only loads a server on this machine: use http://127.0.0.1:PORT")
    host, port = url.hostname, url.port or 80

    load = LoadAverage()
    decisions = prepare_decisions(args, host, port)
    personas = PERSONAS + (DECIDERS if args.decision_projects else [])
    targets, reads, risk = setup(args, host, port, personas, decisions)
    stats = Stats()
    sessions = []
    for number in range(args.users):
        persona = personas[number % len(personas)]
        session = Session(host, port, args.timeout)
        session.login(persona)
        sessions.append((number, persona, session))
    initial = {}
    for persona in CUSTODIANS:
        writer = Session(host, port, args.timeout)
        writer.login(persona)
        for path in targets[persona]:
            initial[path] = writer.json("GET", path)[1]["ETag"]
    waiting = {persona: len(items) for persona, items in decisions.waiting.items()}
    print(
        f"Set up: {args.projects} projects, {args.decision_projects} decision projects (waiting: {waiting}), "
        f"{args.users} users signed in; running {args.duration:.0f} s…",
        flush=True,
    )
    load.start()

    counter = itertools.count(1)
    started = time.time()
    stop_at = started + args.duration
    threads = [
        threading.Thread(
            target=user, args=(n, p, s, targets, reads, stats, args, stop_at, counter, risk, decisions), daemon=True
        )
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
    records = None
    if args.decision_projects:
        auditor = Session(host, port, args.timeout)
        auditor.login("auditor")
        records = record_check(decisions, stats, auditor, args.drain_timeout)
    load.stop()
    sys.exit(0 if report(stats, elapsed, lost, args, records, load) else 1)


if __name__ == "__main__":
    main()
