"""The auditor's interface: list, detail, project timeline and exports of the audit trail.

Only auditors and administrators see any of it; everyone else gets 404.
"""

import json
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render

from ..forms.audit import AuditFilterForm
from ..models import AuditAction, AuditExport
from ..permissions import require_audit_reader
from ..selectors.audit import (
    FILTER_KEYS,
    audit_chain_status,
    audit_event_get,
    audit_events_filtered,
    audit_export_get,
    audit_head,
    audit_rows,
)
from ..services.audit_export import (
    audit_export_request,
    audit_export_rows,
    export_file_name,
    export_path,
)

PAGE_SIZE = 50
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}


def _filter_query(form):
    """The submitted filters (non-empty, known keys only) as a query string."""
    return urlencode([(key, form.data[key]) for key in FILTER_KEYS if form.data.get(key)])


@login_required
def audit_events(request):
    require_audit_reader(request.user)
    form = AuditFilterForm(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    page = None
    if valid:
        filters = form.cleaned_data if form.is_bound else {}
        paginator = Paginator(audit_events_filtered(filters=filters), PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
    head_sequence, head_hash = audit_head()
    query = _filter_query(form) if form.is_bound else ""
    return render(
        request,
        "audit/events.html",
        {
            "form": form,
            "page": page,
            "rows": audit_rows(page.object_list) if page is not None else [],
            "query": query,
            "head_sequence": head_sequence,
            "head_hash": head_hash,
            "chain": audit_chain_status(),
        },
        status=200 if valid else 400,
    )


@login_required
def audit_event(request, sequence):
    require_audit_reader(request.user)
    found = audit_event_get(sequence)
    if found is None:
        raise Http404("No such audit event.")
    event, organisation, actor_name = found
    return render(
        request,
        "audit/event.html",
        {
            "event": event,
            "action_label": AuditAction.label_of(event.action),
            "organisation_name": organisation,
            "actor_name": actor_name,
            "data_pretty": json.dumps(event.data, indent=2, sort_keys=True, ensure_ascii=False),
        },
    )


@login_required
def audit_project_timeline(request, project_id):
    require_audit_reader(request.user)
    events = audit_events_filtered(filters={"project": project_id})
    return render(
        request,
        "audit/project_timeline.html",
        {"project_id": project_id, "rows": audit_rows(events)},
    )


@login_required
def audit_export(request):
    require_audit_reader(request.user)
    fmt = request.GET.get("format", "csv")
    form = AuditFilterForm(request.GET)
    if fmt not in CONTENT_TYPES or not form.is_valid():
        if fmt not in CONTENT_TYPES:
            form.is_valid()
            form.add_error(None, "Choose an export format: CSV or JSON Lines.")
        head_sequence, head_hash = audit_head()
        return render(
            request,
            "audit/events.html",
            {
                "form": form,
                "page": None,
                "rows": [],
                "query": _filter_query(form),
                "head_sequence": head_sequence,
                "head_hash": head_hash,
                "chain": audit_chain_status(),
            },
            status=400,
        )
    filters = form.cleaned_data
    events = audit_events_filtered(filters=filters)
    total = events.count()
    if total <= settings.AUDIT_EXPORT_STREAM_LIMIT:
        response = StreamingHttpResponse(
            audit_export_rows(queryset=events, fmt=fmt, actor=request.user, request=request, filters=filters),
            content_type=CONTENT_TYPES[fmt],
        )
        response["Content-Disposition"] = f'attachment; filename="{export_file_name(fmt)}"'
        response["Cache-Control"] = "no-store"
        return response
    with transaction.atomic():
        export = audit_export_request(user=request.user, fmt=fmt, filters=filters, total=total)
    return redirect("audit_export_status", export_id=export.pk)


def _own_export(request, export_id):
    require_audit_reader(request.user)
    export = audit_export_get(export_id)
    if export is None or export.requested_by_id != request.user.pk and not request.user.is_administrator:
        raise Http404("No such export.")
    return export


@login_required
def audit_export_status(request, export_id):
    export = _own_export(request, export_id)
    pending = export.status in (AuditExport.Status.PENDING, AuditExport.Status.RUNNING)
    return render(request, "audit/export_status.html", {"export": export, "pending": pending})


@login_required
def audit_export_download(request, export_id):
    export = _own_export(request, export_id)
    if export.status != AuditExport.Status.DONE or not export.file_name:
        raise Http404("This export is not ready.")
    path = export_path(export)
    if not path.is_file():
        raise Http404("This export's file is no longer available.")
    response = FileResponse(
        open(path, "rb"),  # noqa: SIM115 (FileResponse closes it when the download ends)
        as_attachment=True,
        filename=export.file_name,
        content_type=CONTENT_TYPES[export.format],
    )
    response["Cache-Control"] = "no-store"
    return response
