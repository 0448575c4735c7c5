"""The public register (no sign-in) and its feeds, and the coordinator's publishing page."""

import csv
import io
import json
from datetime import datetime, time
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import permissions
from ..errors import FieldInvalid, PriamError
from ..forms.register import PublicationForm, WithdrawForm
from ..selectors.register import (
    RegisterFilters,
    entry_json,
    publication_of,
    publishable_approvals,
    register_all,
    register_entry_for,
    register_filter_choices,
    register_latest,
    register_numbers,
    register_page,
)
from ..services.audit_export import FORMULA_TRIGGERS
from ..services.register import approval_withdraw, project_publish
from .obligations import obligations_page_context

CSV_COLUMNS = (
    "record_number",
    "title",
    "lay_summary",
    "purpose",
    "lead_organisation",
    "coordinating_organisation",
    "custodians",
    "people_tier",
    "projects_tier",
    "settings_tier",
    "data_tier",
    "outputs_tier",
    "overall_tier",
    "overall_tier_name",
    "controls_in_place",
    "conditions",
    "outcome",
    "decision_date",
    "expires_on",
    "status",
    "url",
)


@require_GET
def register_list(request):
    filters = RegisterFilters.from_params(request.GET)
    page, entries = register_page(filters, request.GET.get("page"))
    query = filters.as_params()
    return render(
        request,
        "register/list.html",
        {
            "page": page,
            "entries": entries,
            "filters": filters,
            "choices": register_filter_choices(),
            "query": urlencode(query),
            "filtered": bool(query),
        },
    )


@require_GET
def register_detail(request, number):
    entry = register_entry_for(number)
    if entry is None:
        raise Http404("No such entry on the public register.")
    return render(request, "register/detail.html", {"entry": entry})


@require_GET
def register_json(request):
    """Every entry the query parameters (q, custodian, tier, status, year) match, as
    {"count": n, "results": [...]}; the fields are the API's (GET /api/v1/register/)."""
    entries = register_all(RegisterFilters.from_params(request.GET))
    body = {"count": len(entries), "results": [entry_json(e, request.build_absolute_uri) for e in entries]}
    return HttpResponse(json.dumps(body, cls=DjangoJSONEncoder, indent=1), content_type="application/json")


def _cell(value):
    # A spreadsheet runs a cell that starts like a formula: coordinators write the lay summary.
    text = str(value)
    return "'" + text if text[:1] in FORMULA_TRIGGERS else text


def _csv_row(entry, request):
    tiers = {t["safe"]: t["tier"] for t in entry["tiers"]}
    controls = [f"{s['label']}: {c}" for s in entry["controls"] for c in s["in_place"]]
    return [
        entry["record_number"],
        entry["title"],
        entry["lay_summary"],
        entry["purpose"],
        entry["lead_organisation"],
        entry["coordinating_organisation"],
        "; ".join(entry["custodians"]),
        *(tiers.get(safe, "") for safe in ("people", "projects", "settings", "data", "outputs")),
        entry["overall_tier"],
        entry["overall_tier_name"],
        " | ".join(controls),
        " | ".join(f"{c['number']}. {c['text']}" for c in entry["conditions"]),
        entry["outcome_label"],
        entry["decision_date"].isoformat(),
        entry["expires_on"].isoformat(),
        entry["status_label"],
        request.build_absolute_uri(entry["url"]),
    ]


@require_GET
def register_csv(request):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in register_all(RegisterFilters.from_params(request.GET)):
        writer.writerow([_cell(value) for value in _csv_row(entry, request)])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="priam-register.csv"'
    return response


class RegisterFeed(Feed):
    """New approvals on the public register, newest first."""

    feed_type = Atom1Feed
    title = "PRIAM public register: approved projects"
    subtitle = "Approvals of projects whose coordinators published them, with their five-safes tiers."

    def link(self):
        return reverse("register")

    def items(self):
        return register_latest()

    def item_title(self, item):
        return f"{item['title']} ({item['record_number']}, {item['status_label'].lower()})"

    def item_description(self, item):
        return item["lay_summary"]

    def item_link(self, item):
        return item["url"]

    def item_guid(self, item):
        return item["record_number"]

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return timezone.make_aware(datetime.combine(item["decision_date"], time()))

    def item_categories(self, item):
        return [f"Tier {item['overall_tier']}", *item["custodians"]]


register_atom = require_GET(RegisterFeed())


@login_required
@require_http_methods(["GET", "POST"])
def project_publish_page(request, pk):
    project = permissions.project_for(request.user, pk)
    if not permissions.can_publish_project(request.user, project):
        raise Http404("Only the project's coordinator publishes it on the public register.")
    approvals = publishable_approvals(project)
    publication = publication_of(project)
    if not approvals:
        messages.error(
            request, "This project has no approving decision record yet: only an approved project can be published."
        )
        return redirect("project_detail", pk=project.pk)
    initial = {"lay_summary": publication.lay_summary if publication else ""}
    for approval in approvals:
        published = (publication.condition_wording if publication else {}).get(approval.record.number)
        for obligation in approval.obligations.all():
            name = f"wording_{approval.record.number}_{obligation.number}"
            # A first publication offers the condition as written; later, what was chosen (blank kept blank).
            initial[name] = (published or {}).get(str(obligation.number), "") if publication else obligation.text
    form = PublicationForm(request.POST or None, initial=initial, approvals=approvals)
    if request.method == "POST" and form.is_valid():
        try:
            project_publish(
                project=project,
                user=request.user,
                lay_summary=form.cleaned_data["lay_summary"],
                condition_wording=form.condition_wording(),
                request=request,
            )
        except PriamError as error:
            field = getattr(error, "field", None)
            form.add_error(field if field in form.fields else None, str(error))
        else:
            numbers = register_numbers(project)
            messages.success(
                request, "Published on the public register." if not publication else "Register entry updated."
            )
            return redirect("register_detail", number=numbers[0])
    return render(
        request,
        "register/publish.html",
        {"project": project, "form": form, "publication": publication, "numbers": register_numbers(project)},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def approval_withdraw_view(request, pk):
    project = permissions.project_for(request.user, pk)
    approval = next((a for a in project.approvals.all() if a.status == "active"), None)
    if approval is None:
        messages.error(request, "This project has no approval in force to withdraw.")
        return redirect("project_obligations", pk=project.pk)
    form = WithdrawForm(request.POST)
    try:
        if not form.is_valid():
            raise FieldInvalid(" ".join(form.errors.get("reason", ["Say why."])), field="reason")
        approval_withdraw(approval=approval, by=request.user, reason=form.cleaned_data["reason"], request=request)
    except PriamError as error:
        # The obligations page again, the form open with the reason as typed: nothing is lost.
        context = obligations_page_context(request, project)
        context["withdraw_failed"] = {"reason": request.POST.get("reason", ""), "error": str(error)}
        return render(request, "obligations/project.html", context, status=error.status)
    messages.success(request, "Approval withdrawn: the obligations page and the public register show it as withdrawn.")
    return redirect("project_obligations", pk=project.pk)
