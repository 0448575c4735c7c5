"""Posting to a conversation. Threads are shown where they belong (project page, beside each question,
the panel's review); this page shows one thread on its own, and again with what was typed when a
comment is refused."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from .. import limits, permissions
from ..selectors.comments import project_thread, thread_url
from ..selectors.frameworks import engine_framework
from ..services.comments import CommentInvalid, CommentNotAllowed, comment_post


def _safe_next(request, value):
    """Back to the page the comment was posted from, if it is a page of this site."""
    if (
        value
        and value.startswith("/")
        and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return value
    return None


def _anchor(question):
    return f"#comments-{question}" if question else "#conversation"


@login_required
def project_comments_page(request, pk):
    project = permissions.project_for(request.user, pk)
    source = request.POST if request.method == "POST" else request.GET
    question = source.get("question", "").strip()[: limits.IDENTIFIER]
    assessment_id = source.get("assessment", "").strip()
    assessment = None
    if assessment_id:
        if not assessment_id.isdigit():
            raise Http404("No such assessment.")
        assessment = permissions.assessment_for(request.user, project, int(assessment_id))
    framework = engine_framework(project.framework_version)
    found = framework.questions_by_id.get(question) if question else None
    next_url = _safe_next(request, source.get("next", ""))
    typed, error, status = "", None, 200

    if request.method == "POST":
        typed = request.POST.get("text", "")
        try:
            comment = comment_post(
                project=project,
                user=request.user,
                text=typed,
                question=question,
                assessment=assessment,
                request=request,
            )
        except CommentNotAllowed as refusal:
            raise PermissionDenied(str(refusal)) from refusal
        except CommentInvalid as refusal:
            error, status = refusal, 400
            messages.error(request, f"Your comment was not posted: {refusal}")
        else:
            messages.success(request, "Comment posted.")
            if comment.not_notified:
                names = ", ".join(f"@{name}" for name in comment.not_notified)
                messages.warning(
                    request,
                    f"Nobody was notified for {names}: no one working on this project has that username.",
                )
            if next_url:
                return redirect(next_url if "#" in next_url else next_url + _anchor(question))
            return redirect(thread_url(project, question, assessment))
    elif question and found is None:
        raise Http404("No such question.")

    return render(
        request,
        "comments/thread.html",
        {
            "project": project,
            "question": found,
            "question_id": question,
            "assessment": assessment,
            "comments": project_thread(project, question, assessment),
            "can_comment": permissions.can_comment(request.user, project),
            "back_url": next_url or (thread_url(project, question, assessment) if (found or not question) else None),
            "next_url": next_url or "",
            "typed": typed,
            "comment_error": error,
        },
        status=status,
    )
