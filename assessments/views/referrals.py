"""A referral's questions and the coordinator's and custodians' replies, until the project goes back."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from .. import permissions
from ..forms.referrals import ReferralReplyForm
from ..selectors.projects import project_standing
from ..services.panels import ReviewError, referral_reply


@login_required
def project_referral(request, pk):
    project = permissions.project_for(request.user, pk)
    standing = project_standing(project)
    if standing["referral"] is None:
        raise Http404("This project is not waiting for replies to a referral.")
    reply_as = permissions.referral_reply_organisations(request.user, project)
    form, status = None, 200
    if request.method == "POST":
        if not reply_as:
            raise Http404("Only the project's coordinator and custodians reply to the panel.")
        posted = request.POST.get("question", "")
        form = ReferralReplyForm(
            request.POST, reply_as=reply_as, auto_id=f"q{posted}_%s" if posted.isdigit() else "reply_%s"
        )
        question = None
        if form.is_valid():
            question = next((q for q in standing["questions"] if q.pk == form.cleaned_data["question"]), None)
            if question is None:
                form.add_error(None, "That question is not part of this referral.")
        if form.is_valid():
            try:
                referral_reply(
                    question=question,
                    author=request.user,
                    text=form.cleaned_data["text"],
                    organisation=form.organisation(),
                    request=request,
                )
            except ReviewError as error:
                form.add_error("text", str(error))
            else:
                messages.success(request, f"Your reply to question {question.number} is recorded.")
                return redirect("project_referral", pk=project.pk)
        status = 400
    questions = [
        {
            "question": q,
            "form": form
            if form is not None and str(form.data.get("question")) == str(q.pk)
            else ReferralReplyForm(initial={"question": q.pk}, reply_as=reply_as, auto_id=f"q{q.pk}_%s"),
        }
        for q in standing["questions"]
    ]
    # An error that belongs to no question shown (a stale or forged question number) shows at the top.
    unplaced = form is not None and form.errors and not any(item["form"] is form for item in questions)
    return render(
        request,
        "projects/referral.html",
        {
            "unplaced_errors": [e for errors in form.errors.values() for e in errors] if unplaced else [],
            "project": project,
            **standing,
            "items": questions,
            "can_reply": bool(reply_as),
            "can_send": permissions.can_send_to_panel(request.user, project),
        },
        status=status,
    )
