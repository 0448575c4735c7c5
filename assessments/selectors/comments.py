"""Reads for conversations: a project's threads, in a fixed number of queries however long they get."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from django.urls import reverse

from ..models import Comment, CustodianAssessment, User
from .frameworks import engine_framework

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from ..models import Project

# "@gp-approver," or "(@chair)": a username's characters, not ending in the sentence's full stop;
# an e-mail address (letters before the @) is not a mention.
MENTION = re.compile(r"(?<![\w@.+-])@([\w.+-]*[\w+-])")

# The project's own thread: no question, no custodian.
PROJECT_THREAD: tuple[str, int | None] = ("", None)


def mentioned_names(text: str) -> list[str]:
    """The usernames a text @mentions, each once, in the order written."""
    return list(dict.fromkeys(MENTION.findall(text)))


def project_comments(project: Project, *, question: str | None = None) -> QuerySet[Comment]:
    """A project's comments, oldest first, with what a page or the API shows of each: two queries."""
    comments = (
        Comment.objects.filter(project=project)
        .select_related("author", "assessment__organisation")
        .prefetch_related("mentions")
        .order_by("created_at", "pk")
    )
    if question is not None:
        comments = comments.filter(question=question)
    return comments


def project_thread(
    project: Project, question: str = "", assessment: CustodianAssessment | None = None
) -> list[Comment]:
    """One thread: the project's own (no question), or a question's (for a custodian-scope one, whose answer)."""
    return list(project_comments(project, question=question).filter(assessment=assessment))


class Threads:
    """A project's comments grouped by thread: (question, assessment id), "" for the project's own."""

    def __init__(self, comments: list[Comment]) -> None:
        self.by_thread: dict[tuple[str, int | None], list[Comment]] = defaultdict(list)
        for comment in comments:
            self.by_thread[(comment.question, comment.assessment_id)].append(comment)
        # Badges count every comment on a question, whichever custodian's answer it is about.
        self.counts: Counter[str] = Counter(c.question for c in comments if c.question)

    def of(self, question: str = "", assessment: CustodianAssessment | int | None = None) -> list[Comment]:
        assessment_id = assessment.pk if isinstance(assessment, CustodianAssessment) else assessment
        return self.by_thread.get((question, assessment_id), [])

    @property
    def project_thread(self) -> list[Comment]:
        return self.of(*PROJECT_THREAD)

    def question_threads(self) -> list[tuple[str, CustodianAssessment | None, list[Comment]]]:
        """Every question thread: (question id, whose answer or None, its comments), by first comment."""
        found = [(key, comments) for key, comments in self.by_thread.items() if key[0]]
        found.sort(key=lambda item: (item[1][0].created_at, item[1][0].pk))
        return [(key[0], comments[0].assessment, comments) for key, comments in found]


def project_threads(project: Project) -> Threads:
    return Threads(list(project_comments(project)))


def thread_followers(project: Project, question: str, assessment_id: int | None) -> QuerySet:
    """Who has written in a thread already: they hear of what follows."""
    return User.objects.filter(
        pk__in=Comment.objects.filter(project=project, question=question, assessment_id=assessment_id).values(
            "author_id"
        )
    )


def thread_url(project: Project, question: str = "", assessment: CustodianAssessment | None = None) -> str:
    """Where a thread is shown: beside its question in the questionnaire, else on the project page."""
    if not question:
        return reverse("project_detail", args=[project.pk]) + "#conversation"
    safe = engine_framework(project.framework_version).questions_by_id[question].safe
    if assessment is None:
        page = reverse("project_section", args=[project.pk, safe])
    else:
        page = reverse("assessment_section", args=[project.pk, assessment.pk, safe])
    return f"{page}#comments-{question}"
