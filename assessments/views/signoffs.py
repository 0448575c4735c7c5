"""A custodian approver signs off, for their organisation, what its appetite routes to them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from .. import permissions
from ..errors import PriamError
from ..forms.signoffs import OUTCOMES, SignOffForm
from ..services.signoffs import signoff_decide


@login_required
def sign_off(request, pk):
    """GET: the project's risk in brief and the form. POST: a confirmation page; POST with
    `confirmed`: the sign-off itself (it cannot be undone)."""
    sign_off = permissions.sign_off_for(request.user, pk)
    if not permissions.can_sign_off(request.user, sign_off):
        raise Http404("Only the custodian's approvers sign off here.")
    form = SignOffForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            if request.POST.get("confirmed") != "1":
                return render(
                    request,
                    "signoffs/confirm.html",
                    {"sign_off": sign_off, "form": form, "outcome_label": dict(OUTCOMES)[form.cleaned_data["outcome"]]},
                )
            try:
                record = signoff_decide(
                    sign_off=sign_off,
                    approver=request.user,
                    outcome=form.cleaned_data["outcome"],
                    reason=form.cleaned_data["reason"],
                    conditions=form.condition_list(),
                    request=request,
                )
            except PriamError as error:
                form.add_error(None, str(error))
            else:
                done = f"{sign_off.organisation}'s sign-off is recorded."
                if record is not None:
                    messages.success(request, f"{done} Every custodian has now signed off: record {record.number}.")
                    return redirect("record_detail", number=record.number)
                messages.success(request, f"{done} The record is issued when every custodian has signed off.")
                return redirect("project_detail", pk=sign_off.project_id)
        status = 400
    return render(request, "signoffs/sign_off.html", {"sign_off": sign_off, "form": form}, status=status)
