"""The public register's pages in real Chromium: axe at WCAG 2.2 AA and the phone layout check,
on desktop and phone widths, signed out and as the coordinator who publishes."""

import pytest
from django.urls import reverse

from assessments.models import Project, User
from assessments.services.demo import demo_load
from assessments.services.register import project_publish
from tests.browser.page_checks import PageChecks
from tests.browser.page_types import off_the_event_loop

pytestmark = pytest.mark.django_db(transaction=True)


def test_register_pages_pass_axe_and_fit_a_phone(live_server, open_page, sign_in, signing_ca):
    off_the_event_loop(demo_load)  # the PDF signer runs its own event loop
    project = Project.objects.get(title="Federated genomics across two TREs")
    publish_form = reverse("project_publish", args=[project.pk])
    coordinator_pages = [publish_form]
    # The empty register first (as a new instance shows it), then with the demo's project published.
    signed_out = [reverse("register")]
    checks = PageChecks(live_server.url)
    look = checks.look

    anonymous = open_page()
    for path in signed_out:
        look(anonymous, path)
    coordinator = sign_in(open_page(), "coordinator")
    for path in coordinator_pages:
        look(coordinator, path)
    record = project.records.order_by("-issued_at").first()
    project_publish(
        project=project,
        user=User.objects.get(username="coordinator"),
        lay_summary="Researchers link genetic and health records inside two secure environments.",
        condition_wording={record.number: {"1": "Ethics approval came first."}},
    )
    for path in [reverse("register"), reverse("register_detail", args=[record.number]), reverse("register") + "?q=x"]:
        look(anonymous, path)
    look(coordinator, publish_form)
    look(coordinator, reverse("project_detail", args=[project.pk]))
    assert not checks.found, checks.found
    assert not checks.too_wide, checks.too_wide
