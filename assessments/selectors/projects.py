"""Reads for projects: lists, exchange-format documents, completeness."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch
from django.utils.text import capfirst

from .. import engine
from ..models import CustodianAssessment, Evaluation, FrameworkVersion, Project
from ..permissions import projects_visible_to
from .criteria import appetites_in_force, criteria_in_force
from .frameworks import engine_framework, newer_framework_versions
from .signoffs import panel_sign_off_pending, sign_offs_of

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from django.db.models import QuerySet

    from ..models import Decision, DecisionRecord, PanelReview, User


def project_list(user: User) -> QuerySet[Project]:
    """Visible projects with everything their list row shows, in a fixed number of queries.

    The framework's definition files stay unloaded: a row needs only its name and version.
    """
    return (
        projects_visible_to(user)
        .select_related("coordinator", "coordinating_organisation", "framework_version")
        .defer("framework_version__texts")
        .prefetch_related(
            Prefetch(
                "assessments",
                queryset=CustodianAssessment.objects.select_related("organisation").order_by("organisation__name"),
            )
        )
        .order_by("-updated_at", "-pk")
    )


def project_rows(user: User) -> QuerySet[Project]:
    """The projects page's rows: project_list without any answers, which the page never shows."""
    return (
        project_list(user)
        .defer("answers", "sections")
        .prefetch_related(None)
        .prefetch_related(
            Prefetch(
                "assessments",
                queryset=CustodianAssessment.objects.select_related("organisation")
                .defer("answers", "sections", "confirmed_snapshot")
                .order_by("organisation__name"),
            )
        )
    )


def project_document(project: Project, assessments: Iterable[CustodianAssessment]) -> dict[str, Any]:
    """The project as a spec section 8 assessment document; custodians in name order."""
    return {
        "title": project.title,
        "answers": dict(project.answers),
        "custodians": [
            {"name": a.organisation.name, "answers": dict(a.answers)}
            for a in sorted(assessments, key=lambda a: a.organisation.name)
        ],
    }


def evaluation_document(
    project: Project, assessments: Sequence[CustodianAssessment], framework_version: FrameworkVersion | None = None
) -> dict[str, Any]:
    """The document to evaluate: the project's, with each custodian's criteria and appetite in
    force inline (spec custodian-criteria section 3), so the stored document alone repeats the
    evaluation exactly, whatever is published later."""
    document = project_document(project, assessments)
    organisations = [a.organisation for a in assessments]
    # Another version's criteria when previewing a move to it (selectors/framework_change.py).
    criteria = criteria_in_force(organisations, framework_version or project.framework_version)
    appetites = appetites_in_force(organisations)
    by_name = {a.organisation.name: a.organisation.pk for a in assessments}
    for custodian in document["custodians"]:
        organisation_id = by_name[custodian["name"]]
        if organisation_id in criteria:
            custodian["criteria"] = criteria[organisation_id].data
        if organisation_id in appetites:
            custodian["appetite"] = appetites[organisation_id].data
    return document


def project_problems(
    project: Project, assessments: Sequence[CustodianAssessment], *, scope: str
) -> list[QuestionProblem]:
    """What stops these answers from being complete: engine problems of one scope.

    scope "project": the project-scope answers; scope "custodian": the given
    custodians' own answers.
    """
    framework = engine_framework(project.framework_version)
    document = project_document(project, assessments)
    if not document["custodians"]:
        # A placeholder custodian keeps the engine from reporting "no custodians".
        document["custodians"] = [{"name": "-", "answers": {}}]
    problems = engine.validate_document(framework, document)
    if scope == "project":
        problems = [p for p in problems if p.custodian is None]
    else:
        names = {a.organisation.name for a in assessments}
        problems = [p for p in problems if p.custodian in names]
    return [QuestionProblem(p, framework.questions_by_id.get(p.question)) for p in problems]


class QuestionProblem(engine.Problem):
    """An engine problem as a person reads it: by its question's text, in the question's section.

    The engine's ids and message stay for the API; pages show `str(problem)`.
    """

    __slots__ = ("question_text", "safe")

    def __init__(self, problem: engine.Problem, question: engine.Question | None) -> None:
        super().__init__(problem.custodian, problem.question, problem.message)
        self.question_text = question.text if question else None
        self.safe = question.safe if question else None

    @property
    def description(self) -> str:
        return "not answered yet" if self.message == "missing answer" else self.message

    def __str__(self) -> str:
        if self.question_text is None:
            return super().__str__()
        return f"{self.question_text}: {self.description}"


def questions_missing(
    project: Project, assessment: CustodianAssessment | None, questions: Iterable[engine.Question]
) -> list[engine.Question]:
    """The given questions still unanswered or invalid, ignoring those that do not apply."""
    framework = engine_framework(project.framework_version)
    own = project.answers if assessment is None else {**project.answers, **assessment.answers}
    effective = engine.effective_answers(framework, own)
    return [q for q in questions if not _question_done(framework, q, own, effective)]


def project_record_in_force(project: Project) -> DecisionRecord | None:
    """The decision record that governs the project now: its latest final decision.

    A referral's record asks questions and decides nothing, so it never replaces one in force;
    an amendment's record does, once issued.
    """
    return (
        project.records.exclude(outcome="refer_back").select_related("decision").order_by("-issued_at", "-pk").first()
    )


def project_standing(project: Project) -> dict[str, Any]:
    """Where a project stands beyond its status: the record in force while an amendment is
    under way, and the referral questions waiting for replies."""
    from ..models import Decision, ReferralQuestion

    in_force = project_record_in_force(project)
    referral = None
    questions = []
    if project.status == Project.Status.REFERRED:
        referral = (
            Decision.objects.filter(review__project=project, outcome="refer_back")
            .select_related("review__panel", "decided_by")
            .order_by("-decided_at", "-pk")
            .first()
        )
        if referral is not None:
            questions = list(
                ReferralQuestion.objects.filter(decision=referral).prefetch_related(
                    "replies__author", "replies__organisation"
                )
            )
    return {
        "record_in_force": in_force,
        "amendment_in_progress": in_force is not None
        and project.status not in (Project.Status.DECIDED, Project.Status.EXPIRED),
        "referral": referral,
        "questions": questions,
        "unanswered": [q for q in questions if not q.replies.all()],
    }


def referral_history(review: PanelReview) -> list[Decision]:
    """The project's referrals up to this review (its own included), each with its questions and replies,
    so the panel reads the replies beside its questions."""
    from ..models import Decision

    decisions = (
        Decision.objects.filter(
            review__project_id=review.project_id, outcome="refer_back", review__sent_at__lte=review.sent_at
        )
        .select_related("review__panel", "decided_by")
        .prefetch_related("referral_questions__replies__author", "referral_questions__replies__organisation")
        .order_by("-decided_at", "-pk")
    )
    return list(decisions)


def confirmation_changes(assessment: CustodianAssessment, document: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What changed since the custodian confirmed: project-wide answers and details (which lapse the
    confirmation) and other custodians' own answers (which do not). Raw values; pages format them."""
    snapshot = assessment.confirmed_snapshot or {}
    project = assessment.project
    framework = engine_framework(project.framework_version)
    then = snapshot.get("project", {})
    now = project.confirmation_content()
    order = {qid: question.index for qid, question in framework.questions_by_id.items()}

    def answer_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [
            {
                "question": framework.questions_by_id.get(qid),
                "qid": qid,
                "before": before.get(qid),
                "after": after.get(qid),
            }
            for qid in sorted(set(before) | set(after), key=lambda q: (order.get(q, len(order)), q))
            if before.get(qid) != after.get(qid)
        ]

    details = [
        {
            "field": field,
            "label": capfirst(Project._meta.get_field(field).verbose_name),
            "before": then.get("details", {}).get(field),
            "after": now["details"][field],
        }
        for field in Project.DETAIL_FIELDS
        if then and then.get("details", {}).get(field) != now["details"][field]
    ]
    others = []
    if snapshot:
        # Against an evaluated document when given (what the risk profile shows), else the answers now.
        if document is not None:
            now_by_custodian = {c["name"]: c["answers"] for c in document["custodians"]}
        else:
            now_by_custodian = {
                a.organisation.name: a.answers for a in project.assessments.select_related("organisation")
            }
        for name, answers in sorted(now_by_custodian.items()):
            if name == assessment.organisation.name:
                continue
            for change in answer_changes(snapshot.get("custodians", {}).get(name, {}), answers):
                others.append({"custodian": name, **change})
    moved = bool(then) and then.get("framework_version") != now["framework_version"]
    return {
        "confirmed": bool(snapshot),
        "framework_changed": moved,
        "framework_before": _framework_spec(then.get("framework_version")) if moved else None,
        "framework_after": project.framework_version.spec,
        # What the move asks of this custodian: the new version's questions it has not answered.
        "unanswered": [
            framework.questions_by_id[u.question]
            for u in engine.unanswered(framework, project_document(project, [assessment]))
            if u.custodian == assessment.organisation.name
        ]
        if moved
        else [],
        "answers": answer_changes(then.get("answers", {}), now["answers"]) if then else [],
        "details": details,
        "other_custodians": others,
    }


def _framework_spec(pk: int | None) -> str | None:
    found = FrameworkVersion.objects.filter(pk=pk).only("framework_id", "version").first()
    return found.spec if found else None


def project_evaluations(project: Project) -> list[Evaluation]:
    """Every evaluation of the project, newest revision first, without the big fields."""
    return list(
        project.evaluations.order_by("-revision").only(
            "pk", "project_id", "revision", "overall", "outcome", "created_at", "answers_sha256"
        )
    )


def evaluation_full(evaluation: Evaluation) -> Evaluation:
    """The whole of one evaluation (result and document) with its framework version."""
    return Evaluation.objects.select_related("framework_version").get(pk=evaluation.pk)


def project_assessments(project: Project) -> list[CustodianAssessment]:
    return list(project.assessments.select_related("organisation").order_by("organisation__name"))


def latest_evaluation(project: Project) -> Evaluation | None:
    return project.evaluations.select_related("framework_version").order_by("-revision").first()


class Section:
    """One step of a questionnaire as a particular viewer sees it."""

    def __init__(
        self,
        safe: str,
        label: str,
        editable: list[engine.Question],
        readonly: list[engine.Question],
        complete: bool,
    ) -> None:
        self.safe, self.label = safe, label
        self.editable, self.readonly = editable, readonly
        self.complete = complete


def _question_done(
    framework: engine.Framework, question: engine.Question, answers: Mapping[str, Any], effective: dict[str, Any]
) -> bool:
    if question.show_if and not framework.is_visible(question, effective):
        return True
    if question.id not in answers:
        return not question.required
    return question.check(answers[question.id])[0] is None


def questionnaire_sections(project: Project, assessment: CustodianAssessment | None = None) -> list[Section]:
    """The steps of the project questionnaire (assessment=None) or of one custodian's.

    The coordinator's steps are the safes with project-scope questions; a
    custodian's are all five safes: its own questions to answer and the
    project's answers to review before confirming them.
    """
    framework = engine_framework(project.framework_version)
    own = project.answers if assessment is None else {**project.answers, **assessment.answers}
    effective = engine.effective_answers(framework, own)
    sections = []
    for safe in framework.safes:
        project_qs = framework.section(safe, "project")
        custodian_qs = framework.section(safe, "custodian")
        editable, readonly = (project_qs, []) if assessment is None else (custodian_qs, project_qs)
        if not editable and not readonly:
            continue
        if assessment is None and not editable:
            continue
        complete = all(_question_done(framework, q, own, effective) for q in editable + readonly)
        sections.append(Section(safe, framework.safe_labels[safe], editable, readonly, complete))
    return sections


def project_overview(project: Project, user: User) -> dict[str, Any]:
    """Everything the project page shows, for one viewer."""
    from .. import permissions

    assessments = list(project.assessments.select_related("organisation", "submitted_by", "confirmed_by"))
    mine = {a.pk for a in assessments if permissions.can_edit_assessment(user, a)} if assessments else set()
    project_sections = questionnaire_sections(project)
    evaluations = list(
        project.evaluations.order_by("-revision").only("pk", "revision", "overall", "outcome", "created_at")
    )
    newer = newer_framework_versions(project)
    current_evaluation = evaluations[0] if evaluations and evaluations[0].revision == project.revision else None
    reviews = list(project.reviews.select_related("panel").order_by("-sent_at"))
    visible_reviews = [
        r for r in reviews if permissions.reads_everything(user) or r.panel.seats.filter(user=user).exists()
    ]
    return {
        "project": project,
        "reviews": visible_reviews,
        "open_review": next((r for r in reviews if r.status == r.Status.OPEN), None),
        "records": list(
            project.records.order_by("-issued_at", "-pk").only("number", "issued_at", "supersedes", "outcome")
        ),
        "record_in_force": project_record_in_force(project),
        "can_amend": permissions.can_request_amendment(user, project),
        "can_renew": permissions.can_renew(user, project),
        # Only while some custodian's route on this revision still waits for the panel.
        "can_send": permissions.can_send_to_panel(user, project) and panel_sign_off_pending(project),
        "sign_offs": [
            {"sign_off": s, "can_sign": s.status == "pending" and permissions.can_sign_off(user, s)}
            for s in sign_offs_of(current_evaluation)
        ],
        "assessments": assessments,
        "my_assessment_ids": mine,
        "project_sections": project_sections,
        "project_complete": sum(s.complete for s in project_sections),
        "can_edit_project": permissions.can_edit_project_answers(user, project),
        "can_read_audit": permissions.can_read_audit_trail(user),
        "evaluations": evaluations,
        "latest_evaluation": evaluations[0] if evaluations else None,
        "newer_frameworks": newer,
    }
