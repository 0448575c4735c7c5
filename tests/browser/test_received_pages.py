"""The received-assessment pages in real Chromium: axe at WCAG 2.2 AA and the phone layout check,
on desktop and phone widths, as the administrator who imports and the coordinator who starts
from one."""

import pytest
from django.urls import reverse

from assessments.crates.build import crate_build
from assessments.models import Project, User
from assessments.pdf import testca
from assessments.services.crate_import import crate_import, peer_trust
from assessments.services.demo import demo_load
from tests.browser.page_checks import PageChecks
from tests.browser.page_types import off_the_event_loop

pytestmark = pytest.mark.django_db(transaction=True)


def test_received_pages_pass_axe_and_fit_a_phone(live_server, open_page, sign_in, signing_ca):
    off_the_event_loop(demo_load)  # the PDF signer runs its own event loop
    admin = User.objects.get(username="admin")
    record = Project.objects.get(title="Federated genomics across two TREs").records.order_by("-issued_at").first()
    # This instance's own CA stands in for another PRIAM's: the pages are the same.
    peer_trust(
        name="North PRIAM",
        base_url="https://north.priam.example",
        certificate_pem=(testca.default_directory() / testca.CA_FILE).read_text(),
        by=admin,
    )
    received = off_the_event_loop(crate_import, data=crate_build(record=record), by=admin)
    detail = reverse("received_detail", args=[received.pk])
    checks = PageChecks(live_server.url)
    look = checks.look

    administrator = sign_in(open_page(), "admin")
    for path in (reverse("received_list"), reverse("received_upload"), detail):
        look(administrator, path)
    coordinator = sign_in(open_page(), "coordinator")
    for path in (reverse("projects"), detail):
        look(coordinator, path)
    assert not checks.found, checks.found
    assert not checks.too_wide, checks.too_wide
