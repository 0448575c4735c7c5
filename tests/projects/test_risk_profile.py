"""The risk profile page (spec sections 3–5) and the Five Safes SVG chart."""

import json
import re
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.charts import five_safes_svg
from assessments.models import Membership, Organisation, User

SVG_NS = "{http://www.w3.org/2000/svg}"
LABELS = {"people": "People", "projects": "Projects", "settings": "Settings", "data": "Data", "outputs": "Outputs"}
EXAMPLES = Path("fixtures/examples")


# ---------------------------------------------------------------- helpers


def _url(project, revision=None):
    if revision is None:
        return reverse("risk_profile", args=[project.pk])
    return reverse("risk_profile_revision", args=[project.pk, revision])


def _page(client, project, revision=None):
    response = client.get(_url(project, revision))
    assert response.status_code == 200
    return response, response.content.decode()


def _text(html):
    """Visible-ish text: tags removed, entities decoded, whitespace collapsed."""
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()
    return re.sub(r" ([.,:;)”])", r"\1", text)


def _between(html, start_marker, end_marker="</section>"):
    start = html.index(start_marker)
    return html[start : html.index(end_marker, start)]


def _element(html, tag, attr, value):
    """The inner HTML of the first <tag ... attr="value" ...> up to its matching closing tag (no nesting of tag)."""
    match = re.search(rf'<{tag}\b[^>]*\b{attr}="{re.escape(value)}"[^>]*>(.*?)</{tag}>', html, re.S)
    assert match, f"no <{tag} {attr}={value!r}>"
    return match.group(1)


def _svg(html):
    match = re.search(r"<svg\b.*?</svg>", html, re.S)
    assert match, "no inline SVG on the page"
    return match.group(0)


def _member(project_name, custodian_name):
    slug = f"{project_name}-{custodian_name}".lower().replace(" ", "-")
    return User.objects.get(username=f"{slug}-member")


@pytest.fixture
def document_project(framework_v1, demo):
    """Like conftest's example_project, but from a document in memory (for variants of the examples)."""
    from assessments.services.seeding import project_from_document

    coordinator = User.objects.get(username="coordinator")

    def build(document, prefix, **kwargs):
        organisations = {}
        for custodian in document["custodians"]:
            slug = f"{prefix}-{custodian['name']}".lower().replace(" ", "-")
            org = Organisation.objects.create(slug=slug, name=f"{prefix} {custodian['name']}")
            user = User.objects.create_user(f"{slug}-member", password="priam-demo")
            Membership.objects.create(user=user, organisation=org)
            organisations[custodian["name"]] = org
        return project_from_document(
            document=document,
            coordinator=coordinator,
            coordinating_organisation=coordinator.memberships.get().organisation,
            organisations=organisations,
            framework_version=framework_v1,
            **kwargs,
        )

    return build


def _example(name):
    return json.loads((EXAMPLES / f"{name}.json").read_text())


# ---------------------------------------------------------------- the chart on its own


class TestFiveSafesSvg:
    def test_parses_labels_and_describes_every_tier(self):
        svg = five_safes_svg(
            {"people": 0, "projects": 1, "settings": 2, "data": 3, "outputs": 4},
            labels=LABELS,
            title="Tiers",
        )
        root = ET.fromstring(svg)
        assert root.tag == f"{SVG_NS}svg"
        assert root.get("role") == "img"
        for attr in ("width", "height", "viewBox"):
            assert root.get(attr)
        title = root.find(f"{SVG_NS}title")
        desc = root.find(f"{SVG_NS}desc")
        assert title.text == "Tiers"
        assert set(root.get("aria-labelledby").split()) == {title.get("id"), desc.get("id")}
        assert desc.text.startswith(
            "Tiers on a scale of 0 to 4: People 0 (Open), Projects 1 (Low), Settings 2 (Moderate), "
            "Data 3 (High), Outputs 4 (Very high). Overall 4 (Very high)."
        )
        texts = [t.text for t in root.iter(f"{SVG_NS}text")]
        for label in LABELS.values():
            assert label in texts
        # Value labels carry each tier in words: colour is never the only carrier.
        for value in ("0 Open", "1 Low", "2 Moderate", "3 High", "4 Very high"):
            assert value in texts
        # Tick labels 0–4 with tier names.
        for tick in ("0", "1", "2", "3", "4", "Open", "Low", "Moderate", "High", "Very high"):
            assert tick in texts

    def test_escapes_text_and_keeps_accents(self):
        svg = five_safes_svg(
            {"data": 3},
            labels={**LABELS, "people": "Pobl <ŵ>"},
            per_custodian=[("<Tŷ & Co>", {"data": 3}), ('Caffi "Ŵy" \x00', {"data": 1})],
            title="<Tŷ & Co> risk",
        )
        assert "<Tŷ" not in svg and "&lt;Tŷ &amp; Co&gt;" in svg
        root = ET.fromstring(svg)
        assert root.find(f"{SVG_NS}title").text == "<Tŷ & Co> risk"
        desc = root.find(f"{SVG_NS}desc").text
        assert "Custodian 1, <Tŷ & Co>: Pobl <ŵ> 0 (Open)" in desc
        assert 'Custodian 2, Caffi "Ŵy" : ' in desc and "Data 1 (Low)" in desc
        texts = [t.text for t in root.iter(f"{SVG_NS}text")]
        assert "Pobl <ŵ>" in texts
        assert "<Tŷ & Co>" in texts

    def test_no_style_script_or_external_resources(self):
        svg = five_safes_svg({"data": 2}, labels=LABELS, per_custodian=[("A", {"data": 2})], title="T")
        root = ET.fromstring(svg)
        for element in root.iter():
            assert "style" not in element.attrib
            assert element.tag not in (f"{SVG_NS}style", f"{SVG_NS}script", f"{SVG_NS}image", f"{SVG_NS}use")
            assert not any("href" in key for key in element.attrib)

    def test_custodian_markers_and_legend(self):
        svg = five_safes_svg(
            {"data": 3, "outputs": 2},
            labels=LABELS,
            title="T",
            per_custodian=[("GP records", {"data": 3}), ("Met grid", {"data": 0}), ("Census", {"data": 2})],
        )
        root = ET.fromstring(svg)
        texts = [t.text for t in root.iter(f"{SVG_NS}text")]
        for name in ("GP records", "Met grid", "Census"):
            assert name in texts
        # one numbered marker per custodian per safe, plus one per legend entry
        assert len(list(root.iter(f"{SVG_NS}circle"))) == 3 * 5 + 3

    def test_ids_are_distinct_per_chart(self):
        one = ET.fromstring(five_safes_svg({"data": 1}, labels=LABELS, title="One"))
        two = ET.fromstring(five_safes_svg({"data": 1}, labels=LABELS, title="Two", id_prefix="my chart"))
        assert one.find(f"{SVG_NS}title").get("id") != two.find(f"{SVG_NS}title").get("id")
        assert two.find(f"{SVG_NS}title").get("id") == "my-chart-title"


# ---------------------------------------------------------------- the page


@pytest.mark.django_db
class TestRiskProfileE2:
    @pytest.fixture
    def e2(self, example_project):
        return example_project("E2")

    def test_tiers_overall_and_outcome(self, e2, auditor, login):
        response, html = _page(login(auditor), e2)
        evaluation = e2.evaluations.get()
        assert evaluation.result["tiers"] == {"people": 0, "projects": 0, "settings": 0, "data": 3, "outputs": 2}
        assert html.count("<h1") == 1
        assert "Revision 1" in html
        assert 'data-overall="3"' in html
        assert "3 High" in _text(_element(html, "dd", "data-overall", "3"))
        assert _text(_element(html, "dd", "data-outcome", "approve")) == "Approve"
        assert "The approval panel decides" in html
        for safe, tier in {"people": 0, "projects": 0, "settings": 0, "data": 3, "outputs": 2}.items():
            row = _element(html, "tr", "data-safe", safe)
            assert f'data-tier="{tier}"' in row
        data_row = _text(_element(html, "tr", "data-safe", "data"))
        # combined tier, then each custodian's own tier (name order)
        assert data_row == "Data 3 High 2 Moderate 3 High 0 Open"  # Census, GP records, Met
        tiers_table = _between(html, 'class="table table-sm risk-tiers"', "</table>")
        assert "<caption>" in tiers_table
        for name in ("GP records", "Met and pollution grid", "Census and education"):
            assert f'<th scope="col">{name}</th>' in tiers_table
        assert response.context["outcome_label"] == "Approve"

    def test_chart(self, e2, auditor, login):
        _, html = _page(login(auditor), e2)
        root = ET.fromstring(_svg(html))
        assert root.get("role") == "img"
        assert root.find(f"{SVG_NS}title").text
        desc = root.find(f"{SVG_NS}desc").text
        assert "People 0 (Open), Projects 0 (Open), Settings 0 (Open), Data 3 (High), Outputs 2 (Moderate)" in desc
        assert "GP records" in desc
        texts = [t.text for t in root.iter(f"{SVG_NS}text")]
        for value in ("0 Open", "3 High", "2 Moderate"):
            assert value in texts
        assert ' style="' not in html
        assert "<script>" not in html

    def test_decisive_rules_and_who_set_them(self, e2, auditor, login):
        _, html = _page(login(auditor), e2)
        data = _between(html, 'id="why-data"')
        da02 = _text(_element(data, "li", "data-rule", "R-DA-02"))
        assert "set by GP records" in da02
        assert (
            "Identifiability is pseudonymised and Special categories include at least one option other than none"
            in da02
        )
        assert "Pseudonymised special-category data" in da02
        assert "T1 (Alan Turing Institute Data Safe Haven" in da02
        c01 = _text(_element(data, "li", "data-rule", "R-C-01"))
        assert "project-wide" in c01
        assert "records are linked across custodians" in c01
        assert "U1 (UK Data Service access levels" in c01
        assert "Set by: GP records (strictest custodian) and project-wide rules." in _text(data)
        outputs = _between(html, 'id="why-outputs"')
        assert "Set by: project-wide rules." in _text(outputs)
        assert "R-OU-04" in outputs
        # Safes at tier 0 get no explanation section.
        assert 'id="why-people"' not in html

    def test_what_would_lower_the_tier(self, e2, auditor, login):
        _, html = _page(login(auditor), e2)
        data = _between(html, 'id="why-data"')
        # Which other answer would help, found by re-evaluating (issue 14): GP records' health
        # records set data 3 (R-DA-02); aggregate tables instead leave Census's pseudonymised
        # records at 2 (R-DA-03). Nothing of one answer lowers it further.
        lower = _text(_between(data, 'class="lower-by"', "</ul>"))
        assert lower.removeprefix('class="lower-by"> ') == (
            "If GP records answered “aggregate only” instead of “pseudonymised” to identifiability, "
            "Data would fall from tier 3 to 2 (overall tier 2, approve)."
        )
        outputs = _text(_between(_between(html, 'id="why-outputs"'), 'class="lower-by"', "</ul>"))
        assert "“not expected” instead of “expected” to small-area or rare-outcome outputs" in outputs
        assert "Outputs would fall from tier 2 to 0" in outputs

    def test_fired_rules_equal_result(self, e2, auditor, login):
        response, html = _page(login(auditor), e2)
        result = e2.evaluations.get().result
        table = _between(html, 'class="table table-sm fired-rules"', "</table>")
        rows = re.findall(r'<tr data-rule="([^"]+)"', table)
        assert sorted(set(rows)) == result["fired"]
        assert rows == [f["rule"] for f in result["fired_details"]]
        assert _text(_element(html, "span", "class", "fired-ids")) == ", ".join(result["fired"])
        assert response.context["fired_ids"] == result["fired"]
        assert "<caption>" in table
        # no conditions, blocks or referrals for E2
        conditions = _text(_between(html, 'id="conditions-heading"'))
        assert conditions.count("None.") == 3

    def test_answers_table_and_record(self, e2, auditor, login):
        response, html = _page(login(auditor), e2)
        evaluation = e2.evaluations.get()
        table = _between(html, 'class="table table-sm risk-answers"', "</table>")
        assert "<caption>" in table
        pr7 = _text(_element(table, "tr", "data-question", "PR7"))
        assert pr7 == "PR7 Linkage design Project-wide: Cross-custodian through a trusted third party"
        da1 = _text(_element(table, "tr", "data-question", "DA1"))
        assert da1 == "DA1 Identifiability Pseudonymised Pseudonymised Aggregate only"  # Census, GP, Met
        assert "Assumed worst" not in table
        assert "five-safes@1" in html
        assert evaluation.result["framework"]["sha256"] in html
        assert evaluation.answers_sha256 in html
        # question rows in framework order
        framework_order = [q.id for q in response.context["framework"].questions]
        assert re.findall(r'<tr data-question="([A-Z]+\d+)"', table) == framework_order

    def test_custodian_of_participating_org_sees_it(self, e2, login):
        client = login(_member("E2", "GP records"))
        assert client.get(_url(e2)).status_code == 200

    def test_coordinator_sees_it(self, e2, coordinator, login):
        assert login(coordinator).get(_url(e2)).status_code == 200

    def test_outsider_gets_404(self, e2, outsider, login):
        assert login(outsider).get(_url(e2)).status_code == 404
        assert login(outsider).get(_url(e2, 1)).status_code == 404

    def test_anonymous_is_sent_to_login(self, e2, client):
        response = client.get(_url(e2))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_unknown_revision_is_404(self, e2, auditor, login):
        assert login(auditor).get(_url(e2, 1)).status_code == 200
        assert login(auditor).get(_url(e2, 2)).status_code == 404

    def test_missing_project_is_404(self, auditor, login, demo):
        assert login(auditor).get(reverse("risk_profile", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_e4b_condition_shown(example_project, auditor, login):
    project = example_project("E4b")
    _, html = _page(login(auditor), project)
    assert _text(_element(html, "dd", "data-outcome", "approve_with_conditions")) == "Approve with conditions"
    condition = _text(_element(html, "li", "data-rule", "R-PE-04"))
    assert "Every user must sign a user agreement" in condition
    assert "Blocking" not in condition
    assert "R-PE-04" in _text(_between(html, 'class="table table-sm fired-rules"', "</table>"))


@pytest.mark.django_db
def test_e1_federation(document_project, auditor, login):
    # conftest's example_project("E1") clashes with the demo's "Cambridge BRC" organisation name.
    project = document_project(_example("E1"), "e1")
    response, html = _page(login(auditor), project)
    result = project.evaluations.get().result
    assert result["tiers"] == {"people": 0, "projects": 0, "settings": 0, "data": 3, "outputs": 2}
    assert re.findall(r'<tr data-rule="([^"]+)"', _between(html, "fired-rules", "</table>")) == [
        f["rule"] for f in result["fired_details"]
    ]
    assert "R-C-03" in _between(html, 'id="why-outputs"')


@pytest.mark.django_db
def test_blocking_condition_and_block_are_marked(document_project, auditor, login):
    document = _example("E4")
    document["answers"]["SE1"] = "open_download"  # GAP! at T ≥ 3 (R-SE-01)
    document["custodians"][0]["answers"]["DA1"] = "identifiable"
    document["custodians"][0]["answers"]["PR3"] = "unclear"  # BLOCK (R-PR-01)
    project = document_project(document, "blk")
    _, html = _page(login(auditor), project)
    assert _text(_element(html, "dd", "data-outcome", "not_approvable")) == "Not approvable as proposed"
    se01 = _text(_element(html, "li", "data-rule", "R-SE-01"))
    assert se01.startswith("Blocking:")
    block = _text(_between(html, 'class="blocks"', "</ul>"))
    assert "Block: No lawful basis identified" in block and "R-PR-01" in block


@pytest.mark.django_db
def test_unknown_answer_is_marked_assumed_worst(document_project, auditor, login):
    document = _example("E4")
    document["custodians"][0]["answers"]["DA2"] = "unknown"
    project = document_project(document, "unk")
    response, html = _page(login(auditor), project)
    result = project.evaluations.get().result
    custodian = result["custodians"][0]["name"]
    assert result["assumed_worst"] == [{"custodian": custodian, "question": "DA2"}]
    # unknown = weak confidence → R-DA-05 raises data to 3
    assert result["tiers"]["data"] == 3
    listed = _text(_between(html, 'class="assumed-worst"', "</ul>"))
    assert listed.endswith(f"Assumed worst Confidence against re-identification ({custodian}): evaluated as “Weak”")
    row = _element(html, "tr", "data-question", "DA2")
    assert "answer-assumed-worst" in row and "Assumed worst" in row
    assert "Unknown" in _text(row)
    # only that answer is marked in the table
    table = _between(html, 'class="table table-sm risk-answers"', "</table>")
    assert table.count('<span class="marker-assumed">Assumed worst</span>') == 1


@pytest.mark.django_db
def test_project_scope_unknown_is_marked(document_project, auditor, login):
    document = _example("E4")
    document["answers"]["PE5"] = "unknown"
    project = document_project(document, "pun")
    _, html = _page(login(auditor), project)
    assert project.evaluations.get().result["assumed_worst"] == [{"custodian": None, "question": "PE5"}]
    assert "(project): evaluated as “Yes”" in _text(_between(html, 'class="assumed-worst"', "</ul>"))
    assert "Assumed worst" in _element(html, "tr", "data-question", "PE5")


@pytest.mark.django_db
def test_empty_state_before_evaluation(document_project, auditor, login):
    document = _example("E2")
    project = document_project(document, "empty", submit=[], confirm=["GP records"])
    assert not project.evaluations.exists()
    response, html = _page(login(auditor), project)
    assert response.context["evaluation"] is None
    assert "Not evaluated yet" in html
    waiting = _text(_between(html, 'class="custodians-waiting"', "</ul>"))
    assert "empty GP records: has not submitted its answers." in waiting
    assert "empty Census and education: has not submitted its answers nor confirmed" in waiting
    assert "empty Met and pollution grid:" in waiting
    assert "<svg" not in html
    assert html.count("<h1") == 1
    # no evaluation of any revision: 404 for an explicit one
    assert login(auditor).get(_url(project, 1)).status_code == 404


@pytest.mark.django_db
def test_revision_history(example_project, coordinator, auditor, login):
    from assessments.services.answers import section_save
    from assessments.services.assessments import assessment_confirm

    project = example_project("E4")
    project.refresh_from_db()
    section_save(
        project=project,
        safe="people",
        actor=coordinator,
        base_version=project.sections["people"]["version"],
        answers={**{q: project.answers[q] for q in ("PE1", "PE2", "PE3", "PE4", "PE5", "PE6")}, "PE7": False},
    )
    for assessment in project.assessments.select_related("organisation"):
        assessment_confirm(assessment=assessment, actor=assessment.organisation.members.first())
    project.refresh_from_db()
    assert list(project.evaluations.values_list("revision", flat=True)) == [2, 1]

    client = login(auditor)
    _, latest = _page(client, project)
    assert "Revision 2" in latest
    assert _url(project, 1) in latest
    assert "Earlier revision" not in latest
    assert "R-PE-04" in latest

    _, earlier = _page(client, project, 1)
    assert "Revision 1" in earlier and "Earlier revision" in earlier
    assert _url(project, 2) in earlier
    assert 'data-rule="R-PE-04"' not in earlier


@pytest.mark.django_db
def test_query_count_does_not_grow_with_custodians(example_project, auditor, login):
    one = example_project("E4")
    three = example_project("E2")
    client = login(auditor)
    client.get(_url(one))  # warm caches (framework build, session)
    counts = []
    for project in (one, three):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_url(project)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # session, user, project, revision list, evaluation, the framework's guide, the inbox's unread count
    assert counts[1] <= 8


@pytest.mark.django_db
def test_query_count_for_a_custodian_member(example_project, login):
    project = example_project("E2")
    client = login(_member("E2", "Census and education"))
    client.get(_url(project))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(_url(project)).status_code == 200
    # plus the membership check and the viewer's own confirmations ("changed since you confirmed")
    assert len(queries) <= 10


@pytest.mark.django_db
def test_names_are_escaped_on_the_page_and_in_the_chart(document_project, auditor, login):
    document = _example("E4")
    document["custodians"][0]["name"] = "<Tŷ & Co>"
    project = document_project(document, "esc")
    _, html = _page(login(auditor), project)
    assert "<Tŷ & Co>" not in html
    assert "esc &lt;Tŷ &amp; Co&gt;" in html
    root = ET.fromstring(_svg(html))
    assert "esc <Tŷ & Co>" in root.find(f"{SVG_NS}desc").text


@pytest.mark.django_db
def test_the_controls_the_tier_needs_and_plain_words(example_project, auditor, login):
    """E2 reaches overall tier 3: its controls come from the framework's guide (the spec's
    controls table as data) and show which the answers put in place."""
    project = example_project("E2")
    html = login(auditor).get(_url(project)).content.decode()
    controls = _between(html, "data-controls>", "</details>")
    # PE1 is accredited_safe_researcher in E2: the tier-3 People control is in place.
    assert re.search(r'data-control="people-3-accredited" data-in-place="yes"', controls)
    assert "not asked" in _text(controls)
    # No internal phase numbers or spec references in what a person reads.
    assert "each custodian's data on its own" in unescape(html)
    assert "spec principle" not in html
