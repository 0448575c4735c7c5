"""Assessments received from other PRIAMs as RO-Crates: the list, the upload, the read-only page,
the original signed PDF, and starting a local assessment from one."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from .. import permissions
from ..errors import PriamError
from ..selectors.received import received_list
from ..selectors.register import result_tiers
from ..services.crate_import import MAX_CRATE_BYTES, crate_import, project_start_from_received


class CrateForm(forms.Form):
    file = forms.FileField(
        label=f"RO-Crate from another PRIAM (.zip, at most {MAX_CRATE_BYTES // (1024 * 1024)} MB)",
        widget=forms.ClearableFileInput(attrs={"accept": "application/zip,.zip"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CRATE_BYTES:
            raise forms.ValidationError(f"The crate is larger than {MAX_CRATE_BYTES // (1024 * 1024)} MB.")
        return upload


@login_required
def received_list_page(request):
    if not permissions.can_read_received(request.user):
        raise Http404("No such page.")
    return render(
        request,
        "received/list.html",
        {"received": received_list(), "can_import": permissions.can_import_crate(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def received_upload(request):
    if not permissions.can_import_crate(request.user):
        raise Http404("No such page.")
    form = CrateForm(request.POST, request.FILES) if request.method == "POST" else CrateForm()
    refusal, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            try:
                received = crate_import(data=form.cleaned_data["file"].read(), by=request.user, request=request)
            except PriamError as exc:
                refusal, status = str(exc), 422
            else:
                return redirect("received_detail", received.pk)
        else:
            status = 400
    return render(request, "received/upload.html", {"form": form, "refusal": refusal}, status=status)


@login_required
def received_detail(request, pk):
    received = permissions.received_for(request.user, pk)
    return render(
        request,
        "received/detail.html",
        {
            "received": received,
            "s": received.snapshot,
            "tiers": result_tiers(received.snapshot["evaluation"]["result"]),
            "can_start": permissions.can_start_from_received(request.user),
        },
    )


@login_required
def received_pdf(request, pk):
    received = permissions.received_for(request.user, pk)
    response = HttpResponse(bytes(received.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{received.record_number}.pdf"'
    return response


@login_required
@require_POST
def received_start(request, pk):
    received = permissions.received_for(request.user, pk)
    if not permissions.can_start_from_received(request.user):
        raise Http404("No such page.")
    try:
        project = project_start_from_received(received=received, actor=request.user, request=request)
    except PriamError as exc:
        return render(
            request,
            "received/detail.html",
            {"received": received, "s": received.snapshot, "can_start": True, "start_refusal": str(exc)},
            status=409,
        )
    return redirect("project_detail", project.pk)
