"""The criteria pages: managers write and publish through a confirmation, members read the draft,
every signed-in user reads published versions, strangers to the organisation get 404 for its draft."""

from html import unescape

import pytest
from django.urls import reverse

from assessments.models import AuditEvent, CriteriaVersion, Membership, Organisation
from assessments.selectors.frameworks import framework_default
from assessments.services.criteria import criteria_draft_save, criteria_publish

pytestmark = pytest.mark.django_db

GP = "test-gp-records"
GP_01 = """- id: GP-01
  phase: 1
  when: {ge: [DA8, 1000000]}
  effects: [{raise: data, to: 4}]
  justification: Records of a million or more patients are very high risk for us
  sources: [{id: GP-DAP-3, title: "GP data access policy, section 3", url: "https://example.org/policy"}]
"""


@pytest.fixture
def gp(demo, framework_v1):
    # An organisation of its own, so whatever criteria the demo publishes do not count here.
    return Organisation.objects.create(name="Test GP Records", slug=GP)


@pytest.fixture
def manager(gp, django_user_model):
    user = django_user_model.objects.create_user("gp-manager", first_name="Grace", last_name="Mensah")
    Membership.objects.create(user=user, organisation=gp, manages_criteria=True)
    return user


@pytest.fixture
def member(gp, django_user_model):
    user = django_user_model.objects.create_user("gp-member")
    Membership.objects.create(user=user, organisation=gp)
    return user


def _publish(gp, manager, text=GP_01, note=""):
    draft, problems = criteria_draft_save(organisation=gp, text=text, actor=manager, note=note)
    assert problems == []
    return criteria_publish(draft=draft, actor=manager)


def _urls(slug=GP):
    return {
        "index": reverse("criteria_index", args=[slug]),
        "edit": reverse("criteria_edit", args=[slug]),
        "publish": reverse("criteria_publish", args=[slug]),
        "version": reverse("criteria_version", args=[slug, 1]),
        "overview": reverse("custodians_criteria"),
    }


# --- who sees what -------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_sign_in(client, gp, manager):
    _publish(gp, manager)
    for url in _urls().values():
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"], url


def test_every_signed_in_user_reads_published_versions(login, gp, manager, genomics, auditor, outsider, coordinator):
    _publish(gp, manager)
    for user in (genomics, auditor, outsider, coordinator):
        client = login(user)
        for name in ("index", "version", "overview"):
            assert client.get(_urls()[name]).status_code == 200, (user, name)


@pytest.mark.parametrize("who", ["member", "genomics", "auditor", "outsider", "coordinator"])
def test_only_criteria_managers_reach_the_editor_and_the_publish_page(request, login, gp, manager, who):
    criteria_draft_save(organisation=gp, text=GP_01, actor=manager)
    client = login(request.getfixturevalue(who))
    assert client.get(_urls()["edit"]).status_code == 404
    assert client.post(_urls()["edit"], {"text": "- x"}).status_code == 404
    assert client.get(_urls()["publish"]).status_code == 404
    assert client.post(_urls()["publish"]).status_code == 404
    assert not CriteriaVersion.objects.filter(organisation=gp, status="published").exists()


def test_the_draft_is_shown_to_members_auditors_and_managers_only(login, gp, manager, member, auditor, genomics):
    _publish(gp, manager)
    criteria_draft_save(organisation=gp, text=GP_01 + "# secret draft", actor=manager)
    for user in (manager, member, auditor):
        assert "secret draft" in _page(login(user).get(_urls()["index"])), user
    page = _page(login(genomics).get(_urls()["index"]))
    assert "secret draft" not in page and 'id="draft"' not in page


def test_an_unknown_organisation_or_version_is_404(login, gp, manager):
    client = login(manager)
    assert client.get(reverse("criteria_index", args=["nowhere"])).status_code == 404
    assert client.get(reverse("criteria_edit", args=["nowhere"])).status_code == 404
    assert client.get(reverse("criteria_version", args=[GP, 1])).status_code == 404


def test_a_manager_of_one_organisation_does_not_edit_another(login, gp, manager):
    assert login(manager).get(_urls("genomics-england")["edit"]).status_code == 404


# --- editing and publishing ----------------------------------------------------------------


def test_saving_an_invalid_draft_keeps_the_text_and_names_the_rules_problem(login, gp, manager):
    text = GP_01.replace("DA8", "DA99") + "  # kept as typed\n"
    response = login(manager).post(
        _urls()["edit"], {"framework_version": gp_framework(), "text": text, "note": "", "save": "1"}
    )
    assert response.status_code == 200
    page = _page(response)
    assert 'id="error-summary"' in page and 'href="#id_text"' in page
    assert "rule GP-01" in page and "DA99" in page
    assert "# kept as typed" in page
    draft = CriteriaVersion.objects.get(organisation=gp)
    assert draft.is_draft and draft.text == text and draft.data is None
    # Coming back later shows the same problems beside the same text.
    again = _page(login(manager).get(_urls()["edit"]))
    assert "rule GP-01" in again and "# kept as typed" in again


def test_review_of_an_invalid_draft_stays_in_the_editor(login, gp, manager):
    response = login(manager).post(
        _urls()["edit"], {"framework_version": gp_framework(), "text": "- id: X\n  phase: 2\n", "review": "1"}
    )
    assert response.status_code == 200 and "phase 2" in _page(response)
    assert login(manager).get(_urls()["publish"]).status_code == 400


def test_publishing_through_the_confirmation_page_creates_version_1_and_an_audit_event(login, gp, manager):
    client = login(manager)
    response = client.post(
        _urls()["edit"], {"framework_version": gp_framework(), "text": GP_01, "note": "First", "review": "1"}
    )
    assert response.status_code == 302 and response["Location"] == _urls()["publish"]
    confirm = client.get(_urls()["publish"])
    page = _page(confirm)
    assert "can never be changed" in page and "Publish version 1" in page
    assert "GP-01" in page and "this custodian's own data" in page
    draft = CriteriaVersion.objects.get(organisation=gp)
    response = client.post(_urls()["publish"], {"reviewed": draft.updated_at.isoformat()})
    assert response.status_code == 302 and response["Location"] == _urls()["version"]
    version = CriteriaVersion.objects.get(organisation=gp)
    assert (version.status, version.number, version.note) == ("published", 1, "First")
    event = AuditEvent.objects.get(action="criteria.published", organisation_id=gp.pk)
    assert event.actor_id == manager.pk and event.data["number"] == 1


def test_publishing_a_draft_changed_since_it_was_reviewed_is_refused(login, gp, manager):
    criteria_draft_save(organisation=gp, text=GP_01, actor=manager)
    response = login(manager).post(_urls()["publish"], {"reviewed": "2000-01-01T00:00:00+00:00"})
    assert response.status_code == 302 and response["Location"] == _urls()["publish"]
    assert CriteriaVersion.objects.get(organisation=gp).is_draft


def test_a_refused_publish_returns_to_the_editor_with_the_problems_and_the_text(login, gp, manager):
    bad = GP_01.replace("phase: 1", "phase: 2")
    draft, _ = criteria_draft_save(organisation=gp, text=bad, actor=manager)
    response = login(manager).post(_urls()["publish"], {"reviewed": draft.updated_at.isoformat()})
    assert response.status_code == 400
    page = _page(response)
    assert "rule GP-01" in page and "phase 2" in page and "GP data access policy" in page
    assert not AuditEvent.objects.filter(action="criteria.published", organisation_id=gp.pk).exists()


def test_a_second_publish_makes_version_2_and_version_1_still_renders(login, gp, manager, genomics):
    _publish(gp, manager, note="First")
    client = login(manager)
    client.post(
        _urls()["edit"],
        {"framework_version": gp_framework(), "text": GP_01.replace("1000000", "500000"), "save": "1"},
    )
    draft = CriteriaVersion.objects.get(organisation=gp, status="draft")
    client.post(_urls()["publish"], {"reviewed": draft.updated_at.isoformat()})
    assert list(
        CriteriaVersion.objects.filter(organisation=gp).values_list("number", flat=True).order_by("number")
    ) == [1, 2]
    reader = login(genomics)
    first = _page(reader.get(_urls()["version"]))
    assert "1,000,000" in first or "1000000" in first
    second = _page(reader.get(reverse("criteria_version", args=[GP, 2])))
    assert "500,000" in second or "500000" in second
    index = _page(reader.get(_urls()["index"]))
    assert "Version 1" in index and "Version 2" in index


def test_a_version_page_shows_each_rule_in_words_with_its_sources_and_the_yaml(login, gp, manager, outsider):
    version = _publish(gp, manager)
    page = _page(login(outsider).get(_urls()["version"]))
    assert "GP-01" in page and "this custodian's own data" in page
    assert "raises the data tier to at least 4" in page
    assert 'href="https://example.org/policy"' in page
    assert version.sha256 in page
    assert "<pre" in page and "justification: Records of a million" in page


def test_the_overview_lists_every_organisation_with_its_latest_versions(login, gp, manager, genomics):
    _publish(gp, manager)
    _publish(gp, manager, text=GP_01.replace("1000000", "900000"))
    page = _page(login(genomics).get(_urls()["overview"]))
    assert reverse("criteria_version", args=[GP, 2]) in page
    assert reverse("criteria_version", args=[GP, 1]) not in page
    assert "Genomics England" in page


def test_criteria_managers_find_their_criteria_from_home_and_navigation(login, manager, member):
    page = _page(login(manager).get(reverse("home")))
    assert _urls()["index"] in page and reverse("custodians_criteria") in page
    assert _urls()["index"] not in _page(login(member).get(reverse("home")))


def test_page_queries_do_not_grow_with_the_number_of_versions(login, gp, manager, django_assert_max_num_queries):
    client = login(manager)
    _publish(gp, manager)
    counts = {}
    for url in (_urls()["index"], _urls()["overview"]):
        with django_assert_max_num_queries(20) as captured:
            client.get(url)
        counts[url] = len(captured)
    for n in range(4):
        _publish(gp, manager, text=GP_01.replace("1000000", str(900000 - n)))
    criteria_draft_save(organisation=gp, text=GP_01, actor=manager)
    for url, before in counts.items():
        with django_assert_max_num_queries(before + 1) as captured:  # +1: the draft is read now
            client.get(url)


def gp_framework():
    return framework_default().pk


def _page(response):
    return unescape(response.content.decode())


def test_a_new_draft_starts_from_the_version_in_force_so_publishing_drops_nothing(login, gp, manager):
    _publish(gp, manager)
    page = login(manager).get(_urls()["edit"]).content.decode()
    textarea = page.split('name="text"', 1)[1].split("</textarea>", 1)[0]
    assert "GP-01" in unescape(textarea) and "Records of a million" in unescape(textarea)


def test_criteria_published_only_for_v1_are_flagged_once_v2_arrives_and_a_new_draft_targets_v2(
    gp, manager, client, framework_v1
):
    _publish(gp, manager)  # for five-safes@1, the only version loaded
    client.force_login(manager)
    assert "data-behind-latest" not in client.get(_urls()["index"]).content.decode()

    from assessments.services.frameworks import framework_load

    v2, _ = framework_load(path="fixtures/frameworks/five-safes/v2")
    html = client.get(_urls()["index"]).content.decode()
    assert "data-behind-latest" in html and "Write a draft for five-safes@2" in html
    form = client.get(_urls()["edit"]).context["form"]
    assert form.initial["framework_version"] == v2 and "GP-01" in form.initial["text"]

    _publish(gp, manager)  # criteria_draft_save targets the latest version by default
    assert CriteriaVersion.objects.get(organisation=gp, number=2).framework_version == v2
    assert "data-behind-latest" not in client.get(_urls()["index"]).content.decode()
