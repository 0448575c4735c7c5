"""Decision records: their page, their signed PDF, and the public verification page."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .. import ratelimit
from ..crates import CrateUnavailable
from ..models import RecordPdfJob
from ..selectors.records import record_for, record_pdf_job, record_successor
from ..services.crates import record_crate_export
from ..services.verification import MAX_UPLOAD_BYTES, MAX_UPLOAD_TEXT, TOO_LARGE, record_verify


def _record_for(user, number):
    record = record_for(user, number)
    if record is None:
        raise Http404("No such decision record.")
    return record


@login_required
def record_detail(request, number):
    record = _record_for(request.user, number)
    job = record_pdf_job(record)
    pdf = record.pdf if hasattr(record, "pdf") else None
    successor = record_successor(record)
    return render(
        request,
        "records/detail.html",
        {
            "record": record,
            "s": record.snapshot,
            "job": job,
            "pdf": pdf,
            "successor": successor,
            "refresh": pdf is None and job is not None and job.status != RecordPdfJob.Status.FAILED,
        },
    )


@login_required
def record_pdf(request, number):
    record = _record_for(request.user, number)
    if not hasattr(record, "pdf"):
        raise Http404("The signed PDF is not ready yet.")
    response = HttpResponse(bytes(record.pdf.data), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{record.number}.pdf"'
    return response


@login_required
def record_crate(request, number):
    """The record as a Five Safes RO-Crate zip, for whoever sees the record; audited."""
    record = _record_for(request.user, number)
    try:
        data = record_crate_export(record=record, by=request.user, request=request)
    except CrateUnavailable as error:
        messages.error(request, str(error))
        return redirect("record_detail", number=record.number)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{record.number}.crate.zip"'
    return response


class VerifyForm(forms.Form):
    file = forms.FileField(
        label=f"Decision record (PDF, at most {MAX_UPLOAD_TEXT})",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(TOO_LARGE)
        return upload


@require_http_methods(["GET", "POST"])
def verify(request):
    """Anyone may check a PDF: no sign-in, and nothing about unrelated records is revealed."""
    form = VerifyForm(request.POST, request.FILES) if request.method == "POST" else VerifyForm()
    result, status = None, 200
    if request.method == "POST":
        if not ratelimit.allow(f"verify:{ratelimit.client_key(request)}", **settings.PRIAM_VERIFY_RATE):
            form = VerifyForm()
            return render(request, "records/verify.html", {"form": form, "limited": True}, status=429)
        if form.is_valid():
            result = record_verify(form.cleaned_data["file"].read())
        else:
            status = 400
    return render(request, "records/verify.html", {"form": form, "result": result}, status=status)
