"""Every page type PRIAM shows, each as a persona who reaches it, on the full demo.

The demo (five projects, both framework versions, criteria, appetites and a signed record)
plus what it leaves out: an open panel review, a project referred back with questions, a
criteria draft and impact previews. Shared by the phone-layout and accessibility tests,
so both look at the same pages.
"""

from concurrent.futures import ThreadPoolExecutor

from django.urls import NoReverseMatch, reverse

DECIDED = "Federated genomics across two TREs"
ASSESSING = "Asthma, air pollution and weather"
SIGNING_OFF = "Asthma, air pollution and weather: linked cohort (every custodian finished)"
V1_TO_COMPARE = "School absence and adolescent mental health (anonymised records)"
V2_PROJECT = "Asthma, air pollution and weather: 2027 extension (five-safes@2)"

GP_DRAFT = """\
- id: GP-01
  phase: 1
  when: {ge: [DA8, 1000000]}
  effects: [{raise: data, to: 4}]
  justification: Records of a million or more patients are very high risk for us
  sources: [{id: GP-DAP-3, title: "North Thames GP records data access policy, section 3"}]
- id: GP-02
  phase: 1
  when: {ge: [DA8, 5000]}
  effects: [{gap: true}]
  justification: Send the GP records team the study's output log every quarter
  sources: [{id: GP-DAP-4, title: "North Thames GP records data access policy, section 4"}]
"""


def off_the_event_loop(function, *args, **kwargs):
    """Call function in a worker thread: Playwright's loop runs in this one, and the PDF
    signer (pyHanko) calls asyncio.run(), which refuses to run inside a running loop."""
    from django.db import connection

    def run():
        try:
            return function(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def _world():
    """The demo and the states it does not reach by itself; returns the objects pages name."""
    from assessments.models import CustodianAssessment, DecisionRecord, Organisation, Panel, Project, SignOff, User
    from assessments.selectors.frameworks import framework_version_get
    from assessments.services.answers import section_save
    from assessments.services.criteria import criteria_draft_save
    from assessments.services.demo import demo_load
    from assessments.services.impact import framework_impact_request, impact_preview_request
    from assessments.services.panels import conflict_declare, review_decide, review_send, vote_cast

    demo_load()
    people = {u.username: u for u in User.objects.all()}
    projects = {p.title: p for p in Project.objects.all()}
    panel = Panel.objects.get(name="National Data Access Panel")

    # An open review: the chair and members see the declaration and vote forms.
    open_review = review_send(
        project=projects[SIGNING_OFF], panel=panel, actor=people["coordinator"], note="Please review the linkage."
    )
    # A review referred back with questions: the coordinator's referral page.
    referred = review_send(project=projects[V2_PROJECT], panel=panel, actor=people["coordinator"], note="")
    for username in ("chair", "panel", "panel2"):
        conflict_declare(review=referred, member=people[username], conflicted=False)
        vote_cast(review=referred, member=people[username], choice="refer_back", rationale="Questions first.")
    review_decide(
        review=referred,
        chair=people["chair"],
        outcome="refer_back",
        conditions=[],
        rationale="The linkage design needs explaining.",
        questions="Where are the linkage keys held?\nWho sees the linked records?",
    )

    # A project-wide answer changes after the custodian confirmed: its confirmation lapses.
    changed = projects[V1_TO_COMPARE]
    people_answers = {q: a for q, a in changed.answers.items() if q.startswith("PE")}
    section_save(
        project=changed,
        safe="people",
        base_version=changed.sections["people"]["version"],
        actor=people["coordinator"],
        answers={**people_answers, "PE4": (people_answers.get("PE4") or 0) + 4},
    )
    census_assessment = CustodianAssessment.objects.get(project=changed)

    gp = Organisation.objects.get(slug="north-thames-gp")
    draft, problems = criteria_draft_save(
        organisation=gp, text=GP_DRAFT, actor=people["custodian"], note="Adds an output-log condition."
    )
    assert not problems, problems
    criteria_preview = impact_preview_request(draft=draft, actor=people["custodian"])
    framework_preview = framework_impact_request(version=framework_version_get("five-safes@2"), actor=people["admin"])

    gp_assessment = CustodianAssessment.objects.get(project=projects[ASSESSING], organisation=gp)
    sign_off = SignOff.objects.filter(
        project=projects[SIGNING_OFF], organisation=gp, route="custodian_review", status="pending"
    ).latest("pk")
    return {
        "projects": {title: p.pk for title, p in projects.items()},
        "gp_assessment": gp_assessment.pk,
        "lapsed_assessment": census_assessment.pk,
        "sign_off": sign_off.pk,
        "open_review": open_review.pk,
        "decided_review": projects[DECIDED].reviews.get().pk,
        "record": DecisionRecord.objects.get(project=projects[DECIDED]).number,
        "criteria_preview": criteria_preview.pk,
        "framework_preview": framework_preview.pk,
    }


def _glossary():
    try:
        return reverse("glossary")
    except NoReverseMatch:  # not every checkout has the glossary yet
        return None


def demo_pages():
    """Build the world (off the event loop) and list (persona or None, label, path) for
    every page type, grouped by persona so each signs in once."""
    w = off_the_event_loop(_world)
    p = w["projects"]
    gp_section = ("assessment_section", [p[ASSESSING], w["gp_assessment"], "data"])
    pages = [
        (None, "sign in", reverse("login")),
        (None, "password reset", reverse("password_reset")),
        (None, "verify a record", reverse("verify")),
        ("coordinator", "home", reverse("home")),
        ("coordinator", "projects", reverse("projects")),
        ("coordinator", "new project", reverse("project_new")),
        ("coordinator", "project, assessing", reverse("project_detail", args=[p[ASSESSING]])),
        ("coordinator", "project, signing off", reverse("project_detail", args=[p[SIGNING_OFF]])),
        ("coordinator", "project, decided", reverse("project_detail", args=[p[DECIDED]])),
        ("coordinator", "project, referred", reverse("project_detail", args=[p[V2_PROJECT]])),
        ("coordinator", "edit project", reverse("project_edit", args=[p[ASSESSING]])),
        ("coordinator", "project-wide questions", reverse("project_section", args=[p[ASSESSING], "projects"])),
        ("coordinator", "framework comparison", reverse("project_framework", args=[p[V1_TO_COMPARE]]) + "?version=2"),
        ("coordinator", "request an amendment", reverse("project_amend", args=[p[DECIDED]])),
        ("coordinator", "obligations", reverse("project_obligations", args=[p[DECIDED]])),
        ("coordinator", "your obligations", reverse("my_obligations")),
        ("coordinator", "renew an approval", reverse("project_renew", args=[p[DECIDED]])),
        ("coordinator", "inbox", reverse("inbox")),
        ("coordinator", "notification settings", reverse("notification_preferences")),
        ("coordinator", "referral questions", reverse("project_referral", args=[p[V2_PROJECT]])),
        ("coordinator", "risk profile, not evaluated", reverse("risk_profile", args=[p[ASSESSING]])),
        ("coordinator", "risk profile, three custodians", reverse("risk_profile", args=[p[SIGNING_OFF]])),
        ("coordinator", "risk profile, decided", reverse("risk_profile", args=[p[DECIDED]])),
        ("coordinator", "risk profile, v2", reverse("risk_profile", args=[p[V2_PROJECT]])),
        ("coordinator", "custodians' criteria", reverse("custodians_criteria")),
        ("coordinator", "criteria", reverse("criteria_index", args=["north-thames-gp"])),
        ("coordinator", "criteria version", reverse("criteria_version", args=["north-thames-gp", 1])),
        ("coordinator", "risk appetite", reverse("appetite_index", args=["north-thames-gp"])),
        ("coordinator", "API tokens", reverse("tokens")),
        ("coordinator", "change password", reverse("password_change")),
        ("custodian", "home", reverse("home")),
        ("custodian", "assessment", reverse("assessment_detail", args=[p[ASSESSING], w["gp_assessment"]])),
        ("custodian", "questionnaire step", reverse(gp_section[0], args=gp_section[1])),
        ("custodian", "check answers", reverse("assessment_check", args=[p[ASSESSING], w["gp_assessment"]])),
        ("custodian", "risk profile with criteria", reverse("risk_profile", args=[p[SIGNING_OFF]])),
        ("custodian", "criteria draft", reverse("criteria_edit", args=["north-thames-gp"])),
        ("custodian", "publish criteria", reverse("criteria_publish", args=["north-thames-gp"])),
        ("custodian", "appetite draft", reverse("appetite_edit", args=["north-thames-gp"])),
        ("custodian", "criteria impact", reverse("criteria_impact", args=["north-thames-gp"])),
        (
            "custodian",
            "criteria impact preview",
            reverse("impact_preview", args=["north-thames-gp", w["criteria_preview"]]),
        ),
        (
            "census",
            "assessment, confirmation lapsed",
            reverse("assessment_detail", args=[p[V1_TO_COMPARE], w["lapsed_assessment"]]),
        ),
        ("census", "risk profile, newer revision pending", reverse("risk_profile", args=[p[V1_TO_COMPARE]])),
        ("gp-approver", "home", reverse("home")),
        ("gp-approver", "sign-off", reverse("sign_off", args=[w["sign_off"]])),
        ("genomics", "project, decided", reverse("project_detail", args=[p[DECIDED]])),
        ("genomics", "record", reverse("record_detail", args=[w["record"]])),
        ("genomics", "obligations, to check", reverse("project_obligations", args=[p[DECIDED]])),
        ("genomics", "your obligations", reverse("my_obligations") + "?role=check"),
        ("chair", "home", reverse("home")),
        ("chair", "panel review, open", reverse("review_detail", args=[w["open_review"]])),
        ("chair", "panel review, decided", reverse("review_detail", args=[w["decided_review"]])),
        ("chair", "record", reverse("record_detail", args=[w["record"]])),
        ("panel", "panel review, open", reverse("review_detail", args=[w["open_review"]])),
        ("auditor", "home", reverse("home")),
        ("auditor", "audit trail", reverse("audit_events")),
        ("auditor", "audit event", reverse("audit_event", args=[1])),
        ("auditor", "project timeline", reverse("audit_project_timeline", args=[p[DECIDED]])),
        ("admin", "framework impact", reverse("framework_impact")),
        ("admin", "framework impact preview", reverse("framework_impact_preview", args=[w["framework_preview"]])),
        ("outsider", "home", reverse("home")),
        ("outsider", "custodians' criteria", reverse("custodians_criteria")),
    ]
    glossary = _glossary()
    if glossary:
        pages += [(None, "glossary", glossary), ("custodian", "glossary", glossary)]
    order = {}
    for persona, _, _ in pages:
        order.setdefault(persona, len(order))
    return sorted(pages, key=lambda page: order[page[0]])
