"""Evidence pages: upload a document to a question or an obligation, and download one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from .. import permissions
from ..errors import EvidenceTampered, PriamError
from ..forms.evidence import EvidenceUploadForm
from ..selectors.evidence import evidence_upload_target, upload_target_objects
from ..services.evidence import evidence_open, evidence_upload


def _safe_next(request, fallback):
    """Back where the form was, but only to a path on this site."""
    wanted = request.POST.get("next", "")
    if wanted.startswith("/") and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return fallback


class _FormRefusal(PriamError):
    """The form itself was incomplete (no file chosen): shown like the service's refusals."""

    status, kind = 400, "validation"


@require_POST
@login_required
def evidence_upload_view(request, pk):
    project = permissions.project_for(request.user, pk)
    back = _safe_next(request, reverse("project_detail", args=[project.pk]))
    form = EvidenceUploadForm(request.POST, request.FILES)
    target = None
    try:
        if not form.is_valid():
            if "file" in form.errors:
                raise _FormRefusal("Choose a file to upload.")
            raise _FormRefusal("The upload form was incomplete; go back and try again.")
        data = form.cleaned_data
        assessment, obligation = upload_target_objects(
            project, assessment_id=data["assessment"], obligation_id=data["obligation"]
        )
        target = evidence_upload_target(
            project, next_url=back, question=data["question"], assessment=assessment, obligation=obligation
        )
        evidence = evidence_upload(
            project=project,
            user=request.user,
            uploaded_file=data["file"],
            obligation=obligation,
            question=data["question"],
            assessment=assessment,
            description=data["description"],
            request=request,
        )
    except PriamError as error:
        return render(
            request,
            "evidence/upload.html",
            {
                "project": project,
                "error": str(error),
                "back_url": back,
                # Offer the form again only where it can succeed: a refused file, not a refused target.
                "upload_target": target if error.kind in ("evidence", "validation") else None,
                "upload_description": request.POST.get("description", ""),
            },
            status=error.status,
        )
    messages.success(request, f"“{evidence.name}” uploaded (SHA-256 {evidence.sha256[:12]}…).")
    return redirect(back)


@require_GET
@login_required
def evidence_download(request, pk):
    evidence = permissions.evidence_for(request.user, pk)
    try:
        handle = evidence_open(evidence=evidence, user=request.user, request=request)
    except EvidenceTampered as error:
        return render(request, "evidence/tampered.html", {"evidence": evidence, "error": str(error)}, status=409)
    response = FileResponse(handle, as_attachment=True, filename=evidence.name, content_type=evidence.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
