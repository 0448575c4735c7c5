"""Sending a project to a panel, and the panel's review: declarations, votes, decision."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .. import permissions
from ..forms.panels import (
    ConditionFormSet,
    DecisionForm,
    DeclarationForm,
    SendToPanelForm,
    VoteForm,
    conditions_from,
)
from ..models import PanelMembership, PanelReview, Vote
from ..selectors.comments import project_threads, thread_url
from ..selectors.frameworks import engine_framework
from ..selectors.panels import decider_of, quorum_of, review_reads, seat_of
from ..selectors.projects import project_assessments, referral_history
from ..services.panels import (
    ReviewError,
    conflict_declare,
    review_decide,
    review_decide_check,
    review_send,
    vote_cast,
)
from .projects import project_detail_page


@require_POST
@login_required
def send_to_panel(request, pk):
    project = permissions.project_for(request.user, pk)
    if not permissions.can_send_to_panel(request.user, project):
        raise Http404("Only the coordinator sends an assessed project to a panel.")
    form = SendToPanelForm(request.POST)
    if not form.is_valid():
        # The project page again, with the form and what was typed in it.
        messages.error(request, "Nothing was sent: " + " ".join(e for errors in form.errors.values() for e in errors))
        return project_detail_page(request, project, send_form=form, status=400)
    try:
        review = review_send(
            project=project,
            panel=form.cleaned_data["panel"],
            actor=request.user,
            note=form.cleaned_data["note"],
            request=request,
        )
    except ReviewError as error:
        messages.error(request, str(error))
        return redirect("project_detail", pk=project.pk)
    messages.success(request, f"Sent to {review.panel.name}. Its answers are locked while the panel reviews it.")
    return redirect("project_detail", pk=project.pk)


def _conversation(request, project):
    """The project's threads for the panel: its own, to take part in, and each question's, to read
    (a question's conversation continues beside the question)."""
    threads = project_threads(project)
    questions = engine_framework(project.framework_version).questions_by_id
    return {
        "conversation": threads.project_thread,
        "question_threads": [
            {
                "question": questions.get(qid),
                "question_id": qid,
                "custodian": assessment.organisation.name if assessment else None,
                "comments": comments,
                "url": thread_url(project, qid, assessment) if qid in questions else None,
            }
            for qid, assessment, comments in threads.question_threads()
        ],
        "can_comment": permissions.can_comment(request.user, project),
    }


@login_required
def review_detail(request, pk):
    review = permissions.review_for(request.user, pk)
    return _review_page(request, review)


def _review_page(
    request, review, *, declaration_form=None, vote_form=None, decision_form=None, condition_formset=None, status=200
):
    reads = review_reads(review, request.user)
    seat, vote = reads["seat"], reads["vote"]
    decider = decider_of(review)
    # "is_chair": whoever records the decision now — the chair, or the deputy chair in its place.
    is_chair = seat is not None and decider.can_decide(request.user)
    is_open = review.status == PanelReview.Status.OPEN
    if is_chair and is_open and condition_formset is None:
        engine_conditions = review.evaluation.result.get("conditions", [])
        condition_formset = ConditionFormSet(
            prefix="conditions",
            initial=[{"text": c["text"], "rule": c["rule"], "blocking": c["blocking"]} for c in engine_conditions],
        )
    return render(
        request,
        "panels/review.html",
        {
            **reads,
            "review": review,
            "project": review.project,
            "is_chair": is_chair,
            "is_open": is_open,
            "quorum": quorum_of(review),
            "declaration_form": declaration_form or DeclarationForm(),
            "vote_form": vote_form
            or VoteForm(initial={"choice": vote.choice, "rationale": vote.rationale} if vote else None),
            "decision_form": decision_form or DecisionForm(),
            "condition_formset": condition_formset,
            "decision": getattr(review, "decision", None) if not is_open else None,
            "decider": decider,
            "is_chair_seat": seat is not None and seat.role != PanelMembership.Role.MEMBER,
            "referrals": referral_history(review),
            **_conversation(request, review.project),
        },
        status=status,
    )


def _member_review(request, pk):
    review = permissions.review_for(request.user, pk)
    if seat_of(review, request.user) is None:
        raise Http404("Only the panel's members act on its review.")
    return review


def _member_act(request, pk, form_class, form_name, act, done):
    """A panel member's form: valid and accepted by the service → back to the review; else
    the review page again with the form, its answers and the reason."""
    review = _member_review(request, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            act(review=review, member=request.user, request=request, **form.cleaned_data)
        except ReviewError as error:
            form.add_error(None, str(error))
            messages.error(request, str(error))
        else:
            messages.success(request, done)
            return redirect("review_detail", pk=review.pk)
    return _review_page(request, review, status=400, **{form_name: form})


@require_POST
@login_required
def declare(request, pk):
    return _member_act(
        request, pk, DeclarationForm, "declaration_form", conflict_declare, "Your declaration is recorded."
    )


@require_POST
@login_required
def vote(request, pk):
    return _member_act(request, pk, VoteForm, "vote_form", vote_cast, "Your vote is recorded.")


@require_POST
@login_required
def decide(request, pk):
    """The decision form leads to a confirmation page that carries its values; only the
    confirmation's "Issue" records the decision, and "Change" goes back with everything kept."""
    review = _member_review(request, pk)
    form = DecisionForm(request.POST)
    formset = ConditionFormSet(request.POST, prefix="conditions")
    if not (form.is_valid() and formset.is_valid()):
        return _review_page(request, review, decision_form=form, condition_formset=formset, status=400)
    conditions = conditions_from(formset)
    if "change" in request.POST:
        return _review_page(
            request,
            review,
            decision_form=DecisionForm(initial=form.cleaned_data),
            condition_formset=ConditionFormSet(prefix="conditions", initial=conditions),
        )
    if "confirm" not in request.POST:
        try:
            review_decide_check(
                review=review,
                chair=request.user,
                outcome=form.cleaned_data["outcome"],
                conditions=conditions,
                rationale=form.cleaned_data["rationale"],
                questions=form.cleaned_data["questions"],
            )
        except ReviewError as error:
            form.add_error(None, str(error))
            messages.error(request, str(error))
            return _review_page(request, review, decision_form=form, condition_formset=formset, status=400)
        return _decide_confirmation(request, review, form.cleaned_data, conditions)
    try:
        record = review_decide(
            review=review,
            chair=request.user,
            outcome=form.cleaned_data["outcome"],
            conditions=conditions,
            rationale=form.cleaned_data["rationale"],
            dissent=form.cleaned_data["dissent"],
            questions=form.cleaned_data["questions"],
            request=request,
        )
    except ReviewError as error:
        form.add_error(None, str(error))
        messages.error(request, str(error))
        return _review_page(request, review, decision_form=form, condition_formset=formset, status=400)
    if record is None:
        # The panel decided for the custodians routed to it; others still sign off on their own route.
        messages.success(
            request,
            "The panel's decision is recorded for the custodians it decides for. The decision record is "
            "issued when every other custodian has signed off.",
        )
        return redirect("project_detail", pk=review.project_id)
    messages.success(request, f"Decision recorded as {record.number}. Its signed PDF is being made.")
    return redirect("record_detail", number=record.number)


def _decide_confirmation(request, review, decision, conditions):
    carried = [(name, decision[name]) for name in ("outcome", "rationale", "dissent", "questions")]
    carried += [
        ("conditions-TOTAL_FORMS", len(conditions)),
        ("conditions-INITIAL_FORMS", 0),
        ("conditions-MIN_NUM_FORMS", 0),
        ("conditions-MAX_NUM_FORMS", 1000),
    ]
    for i, condition in enumerate(conditions):
        carried += [(f"conditions-{i}-text", condition["text"]), (f"conditions-{i}-rule", condition["rule"] or "")]
        if condition["blocking"]:
            carried.append((f"conditions-{i}-blocking", "on"))
    return render(
        request,
        "panels/decide_confirm.html",
        {
            "review": review,
            "project": review.project,
            "outcome": Vote.Choice(decision["outcome"]),
            "decision": decision,
            "conditions": conditions,
            "custodians": project_assessments(review.project),
            "quorum": quorum_of(review),
            "decider": decider_of(review),
            "carried": carried,
        },
    )
