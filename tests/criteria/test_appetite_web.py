"""The risk appetite pages: one route per overall tier becomes the spec's bands, refusals name the
tier, publishing goes through a confirmation, and everyone signed in reads what is in force."""

from html import unescape

import pytest
from django.urls import reverse

from assessments.forms.criteria import AppetiteForm, appetite_from_choices, choices_from_appetite
from assessments.models import AppetiteVersion, AuditEvent, Membership, Organisation
from assessments.selectors.frameworks import engine_framework, framework_default
from assessments.services.criteria import appetite_draft_save, appetite_publish

pytestmark = pytest.mark.django_db

GP = "test-gp-records"
SPEC_EXAMPLE = {
    "routes": [
        {"up_to": 1, "route": "automatic"},
        {"up_to": 2, "route": "custodian_review"},
        {"up_to": 3, "route": "panel"},
    ],
    "otherwise": "decline",
}


@pytest.fixture
def gp(demo, framework_v1):
    # An organisation of its own, so whatever criteria the demo publishes do not count here.
    return Organisation.objects.create(name="Test GP Records", slug=GP)


@pytest.fixture
def framework(framework_v1):
    return engine_framework(framework_v1)


@pytest.fixture
def manager(gp, django_user_model):
    user = django_user_model.objects.create_user("gp-manager", first_name="Grace", last_name="Mensah")
    Membership.objects.create(user=user, organisation=gp, manages_criteria=True)
    return user


def _post(routes, limits=None, note="", **buttons):
    data = {f"tier_{n}": route for n, route in enumerate(routes)}
    data.update({f"limit_{safe}": str(limit) for safe, limit in (limits or {}).items()})
    return {**data, "note": note, **(buttons or {"save": "1"})}


def _page(response):
    return unescape(response.content.decode())


def _urls(slug=GP):
    return {
        "index": reverse("appetite_index", args=[slug]),
        "edit": reverse("appetite_edit", args=[slug]),
        "publish": reverse("appetite_publish", args=[slug]),
    }


# --- the form's conversion -----------------------------------------------------------------


def test_consecutive_tiers_with_one_route_merge_and_the_last_band_is_otherwise():
    per_tier = ["automatic", "automatic", "custodian_review", "panel", "decline"]
    assert appetite_from_choices(per_tier, {}) == SPEC_EXAMPLE


def test_one_route_for_every_tier_is_otherwise_alone():
    assert appetite_from_choices(["panel"] * 5, {}) == {"routes": [], "otherwise": "panel"}


def test_the_form_converts_choices_and_safe_limits_to_the_spec_format(framework):
    form = AppetiteForm(
        _post(["automatic", "automatic", "automatic", "automatic", "panel"], {"data": 3, "people": 2}),
        framework=framework,
    )
    assert form.is_valid(), form.errors
    assert form.appetite() == {
        "routes": [{"up_to": 3, "route": "automatic"}],
        "otherwise": "panel",
        "safe_limits": {"data": 3, "people": 2},
    }


def test_the_form_reads_its_tiers_and_safes_from_the_framework(framework):
    form = AppetiteForm(framework=framework)
    assert [f.label for f in form.tier_fields()] == [f"Tier {t['level']} ({t['name']})" for t in framework.tiers]
    assert [f.name for f in form.limit_fields()] == [f"limit_{s}" for s in framework.safes]
    labels = [label for _, label in form.fields["tier_0"].choices]
    assert labels == ["Approved automatically", "Our approver reviews", "The approval panel", "We decline"]


def test_an_appetite_reads_back_into_the_same_choices(framework):
    data = {**SPEC_EXAMPLE, "safe_limits": {"data": 3}}
    initial = choices_from_appetite(data, framework)
    per_tier = [initial[f"tier_{t['level']}"] for t in framework.tiers]
    assert appetite_from_choices(per_tier, {"data": int(initial["limit_data"])}) == data


# --- the pages -----------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, gp):
    for url in _urls().values():
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"]


@pytest.mark.parametrize("who", ["genomics", "auditor", "outsider", "coordinator"])
def test_others_read_the_appetite_but_never_edit_or_publish_it(request, login, gp, manager, who):
    draft, _ = appetite_draft_save(organisation=gp, data=SPEC_EXAMPLE, actor=manager)
    appetite_publish(draft=draft, actor=manager)
    appetite_draft_save(organisation=gp, data={"routes": [], "otherwise": "panel"}, actor=manager)
    client = login(request.getfixturevalue(who))
    assert client.get(_urls()["index"]).status_code == 200
    assert client.get(reverse("custodians_criteria")).status_code == 200
    for url in (_urls()["edit"], _urls()["publish"]):
        assert client.get(url).status_code == 404
        assert client.post(url, _post(["panel"] * 5)).status_code == 404
    assert AppetiteVersion.objects.filter(organisation=gp, status="published").count() == 1


def test_a_plain_member_reads_the_draft_but_does_not_edit_it(login, gp, manager, django_user_model):
    member = django_user_model.objects.create_user("gp-member")
    Membership.objects.create(user=member, organisation=gp)
    appetite_draft_save(organisation=gp, data=SPEC_EXAMPLE, actor=manager, note="Draft note")
    client = login(member)
    assert "Draft note" in _page(client.get(_urls()["index"]))
    assert client.get(_urls()["edit"]).status_code == 404


def test_an_unknown_organisation_is_404(login, manager):
    assert login(manager).get(_urls("nowhere")["index"]).status_code == 404


def test_a_manager_saves_publishes_through_the_confirmation_and_everyone_reads_it(login, gp, manager, genomics):
    client = login(manager)
    routes = ["automatic", "automatic", "custodian_review", "panel", "decline"]
    response = client.post(_urls()["edit"], _post(routes, {"data": 3}, note="First"))
    assert response.status_code == 302
    page = _page(client.get(_urls()["edit"]))
    assert "Tier 0–1: approved automatically. Tier 2: our approver reviews." in page
    draft = AppetiteVersion.objects.get(organisation=gp)
    assert draft.data == {**SPEC_EXAMPLE, "safe_limits": {"data": 3}}
    confirm = _page(client.get(_urls()["publish"]))
    assert "can never be changed" in confirm and "Publish version 1" in confirm
    response = client.post(_urls()["publish"], {"reviewed": draft.updated_at.isoformat()})
    assert response.status_code == 302
    version = AppetiteVersion.objects.get(organisation=gp)
    assert (version.status, version.number) == ("published", 1)
    assert AuditEvent.objects.filter(action="appetite.published", actor=manager).exists()
    for page in (
        _page(login(genomics).get(_urls()["index"])),
        _page(login(genomics).get(reverse("custodians_criteria"))),
    ):
        assert "Tier 3: the panel. Tier 4: we decline." in page


def test_a_riskier_tier_with_less_scrutiny_is_refused_naming_the_tier(login, gp, manager):
    routes = ["panel", "automatic", "automatic", "automatic", "automatic"]
    response = login(manager).post(_urls()["edit"], _post(routes, review="1"))
    assert response.status_code == 200
    page = _page(response)
    assert 'id="error-summary"' in page and 'href="#id_tier_1"' in page
    assert "Tiers 1–4: “Approved automatically” is less scrutiny than “The approval panel”" in page
    # The draft is kept as chosen, but it cannot be published.
    assert login(manager).get(_urls()["publish"]).status_code == 400
    assert not AppetiteVersion.objects.filter(organisation=gp, status="published").exists()


def test_a_problem_in_a_middle_band_names_its_tiers_and_the_band_below(login, gp, manager):
    routes = ["panel", "automatic", "automatic", "decline", "decline"]
    page = _page(login(manager).post(_urls()["edit"], _post(routes)))
    assert 'href="#id_tier_1"' in page
    assert "Tiers 1–2: route “Approved automatically” is less scrutiny than “The approval panel” for tier 0" in page


def test_a_second_version_supersedes_the_first_and_both_stay_in_the_history(login, gp, manager, outsider):
    client = login(manager)
    for routes in (["panel"] * 5, ["automatic"] * 2 + ["panel"] * 3):
        client.post(_urls()["edit"], _post(routes))
        draft = AppetiteVersion.objects.get(organisation=gp, status="draft")
        response = client.post(_urls()["publish"], {"reviewed": draft.updated_at.isoformat()})
        assert response.status_code == 302, _page(response)
    page = _page(login(outsider).get(_urls()["index"]))
    assert "Version 1" in page and "Version 2" in page
    assert page.index("Tier 0–1: approved automatically") < page.index("Tier 0–4: the panel")


def test_the_appetite_page_queries_do_not_grow_with_versions(login, gp, manager, django_assert_max_num_queries):
    client = login(manager)
    draft, _ = appetite_draft_save(organisation=gp, data=SPEC_EXAMPLE, actor=manager)
    appetite_publish(draft=draft, actor=manager)
    with django_assert_max_num_queries(20) as captured:
        client.get(_urls()["index"])
    before = len(captured)
    for _ in range(4):
        draft, _ = appetite_draft_save(organisation=gp, data=SPEC_EXAMPLE, actor=manager)
        appetite_publish(draft=draft, actor=manager)
    with django_assert_max_num_queries(before):
        client.get(_urls()["index"])


def test_no_appetite_means_every_project_goes_to_the_panel(login, gp, genomics):
    page = _page(login(genomics).get(_urls()["index"]))
    assert "every project goes to the approval panel" in page and "Tier 0–4: the panel." in page


def test_framework_default_is_the_one_appetites_are_checked_against(framework_v1):
    assert framework_default() == framework_v1
