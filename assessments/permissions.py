"""Who may do what. Views and the API both ask here, so the policy lives in one place.

Outsiders get 404 rather than 403: PRIAM does not confirm that something
exists to someone who may not see it.
"""

from django.db.models import Q
from django.http import Http404

from .models import CustodianAssessment, Membership, PanelMembership, PanelReview, Project, SignOff, User


def can_read_audit_trail(user):
    """Whoever reads everything (auditors and administrators) reads the audit trail too."""
    return reads_everything(user)


def require_audit_reader(user):
    if not can_read_audit_trail(user):
        raise Http404("No such page.")


def reads_everything(user):
    """Auditors and administrators see every project, read-only for auditors."""
    return user.is_authenticated and (user.is_auditor or user.is_superuser)


def coordinator_organisations(user):
    return [
        m.organisation for m in user.memberships.select_related("organisation") if m.role == Membership.Role.COORDINATOR
    ]


def can_open_project(user):
    return user.is_authenticated and user.memberships.filter(role=Membership.Role.COORDINATOR).exists()


def projects_visible_to(user):
    """The projects a user may see: their organisations', those they coordinate, and
    those sent to a panel they sit on."""
    projects = Project.objects.all()
    if reads_everything(user):
        return projects
    if not user.is_authenticated:
        return projects.none()
    org_ids = user.memberships.values("organisation_id")
    panel_ids = user.panel_seats.values("panel_id")
    return (
        projects.filter(pk__in=CustodianAssessment.objects.filter(organisation_id__in=org_ids).values("project_id"))
        | projects.filter(coordinator=user)
        | projects.filter(pk__in=PanelReview.objects.filter(panel_id__in=panel_ids).values("project_id"))
    )


def project_for(user, pk, queryset=None):
    """Fetch and authorise in one call: the project, or 404 for missing and not-yours alike."""
    queryset = queryset if queryset is not None else Project.objects.all()
    project = queryset.filter(pk=pk).first()
    if project is None or not can_view_project(user, project):
        raise Http404("No such project.")
    return project


def can_view_project(user, project):
    if reads_everything(user):
        return True
    if not user.is_authenticated:
        return False
    if project.coordinator_id == user.pk:
        return True
    if project.assessments.filter(organisation__memberships__user=user).exists():
        return True
    return project.reviews.filter(panel__seats__user=user).exists()


# Conversations: whoever works on the project talks about it, in every status (a decided project's
# conditions and amendments still need discussing). Everyone who sees the project reads them.


def can_comment(user, project):
    """The coordinator, members of its custodians (approvers among them) and members of any panel
    that has reviewed it. Auditors only read, even where they also hold one of those roles."""
    if not user.is_authenticated or not user.is_active or user.is_auditor:
        return False
    if project.coordinator_id == user.pk:
        return True
    if project.assessments.filter(organisation__memberships__user=user).exists():
        return True
    return project.reviews.filter(panel__seats__user=user).exists()


def project_commenters(project):
    """Everyone can_comment allows on this project, as one queryset (who may be @mentioned)."""
    return (
        User.objects.filter(is_active=True, is_auditor=False)
        .filter(
            Q(pk=project.coordinator_id)
            | Q(memberships__organisation__assessments__project=project)
            | Q(panel_seats__panel__reviews__project=project)
        )
        .distinct()
    )


def can_edit_project_answers(user, project):
    return user.is_authenticated and project.coordinator_id == user.pk


def can_edit_project_details(user, project):
    return can_edit_project_answers(user, project)


def can_edit_assessment(user, assessment):
    return (
        user.is_authenticated
        and Membership.objects.filter(user=user, organisation_id=assessment.organisation_id).exists()
    )


def assessment_for(user, project, pk):
    """A custodian assessment the user may see (read-only or not), or 404."""
    assessment = project.assessments.select_related("organisation").filter(pk=pk).first()
    if assessment is None or not can_view_project(user, project):
        raise Http404("No such assessment.")
    return assessment


def editable_assessments(user, project):
    """The assessments of this project that belong to the user's organisations."""
    if not user.is_authenticated:
        return []
    return list(project.assessments.select_related("organisation").filter(organisation__memberships__user=user))


def can_send_to_panel(user, project):
    return can_edit_project_answers(user, project) and project.status in (
        Project.Status.ASSESSED,
        Project.Status.REFERRED,
    )


def can_request_amendment(user, project):
    return can_edit_project_answers(user, project) and project.status == Project.Status.DECIDED


def can_change_framework(user, project):
    """The coordinator moves the project to a newer framework version while it is being
    assessed; a project with the panel waits, and a decided one needs an amendment first."""
    return can_edit_project_answers(user, project) and not project.is_locked


def referral_reply_organisations(user, project):
    """Who the user may reply to a referral as: [None] for the coordinator, plus their custodian
    organisations on this project. Empty: the user only reads the replies."""
    if not user.is_authenticated:
        return []
    as_coordinator = [None] if project.coordinator_id == user.pk else []
    return as_coordinator + [a.organisation for a in editable_assessments(user, project)]


def review_for(user, pk):
    """A panel review, for its panel's members and for auditors and administrators; else 404."""
    review = PanelReview.objects.select_related("project", "panel", "evaluation").filter(pk=pk).first()
    if review is None:
        raise Http404("No such review.")
    if reads_everything(user) or PanelMembership.objects.filter(panel=review.panel, user=user).exists():
        return review
    raise Http404("No such review.")


# Custodians' criteria and appetites. Published versions are public to every signed-in user:
# custodians calibrate against each other by reading each other's criteria. Drafts stay inside
# the organisation (and with auditors and administrators).


def can_manage_criteria(user, organisation):
    """Write and publish the organisation's criteria and appetite: its criteria managers."""
    return user.is_authenticated and user.memberships.filter(organisation=organisation, manages_criteria=True).exists()


def can_read_criteria_drafts(user, organisation):
    return user.is_authenticated and (
        reads_everything(user) or user.memberships.filter(organisation=organisation).exists()
    )


def criteria_organisations(user):
    """The organisations whose criteria the user manages."""
    if not user.is_authenticated:
        return []
    return [m.organisation for m in user.memberships.select_related("organisation") if m.manages_criteria]


def can_sign_off(user, sign_off):
    """A custodian's approver signs off what its appetite routes to its own review."""
    return (
        user.is_authenticated
        and sign_off.route == "custodian_review"
        and user.memberships.filter(organisation_id=sign_off.organisation_id, approves=True).exists()
    )


def sign_off_for(user, pk):
    """A sign-off, for those who may see its project; else 404."""
    sign_off = SignOff.objects.select_related("project", "organisation", "evaluation").filter(pk=pk).first()
    if sign_off is None or not can_view_project(user, sign_off.project):
        raise Http404("No such sign-off.")
    return sign_off


def can_check_obligation(user, obligation):
    """The custodian that owns a condition signs it off, waives it or returns its evidence; the
    framework's and the panel's conditions belong to every custodian of the project. Nobody
    checks what they must meet themselves: a coordinator who is also a custodian's member does
    not sign off the coordinator's obligations."""
    return ObligationRights(user, obligation.project).can_check(obligation)


class ObligationRights:
    """What one user may do to a project's obligations, from one query for the whole page."""

    def __init__(self, user, project):
        self.user, self.project = user, project
        self.organisations = (
            set(user.memberships.values_list("organisation_id", flat=True)) if user.is_authenticated else set()
        )
        self.custodian_ids = set(project.assessments.values_list("organisation_id", flat=True))
        self.is_coordinator = user.is_authenticated and project.coordinator_id == user.pk

    def can_check(self, obligation):
        if obligation.owner_organisation_id is None and self.is_coordinator:
            return False
        if obligation.checker_id is not None:
            return obligation.checker_id in self.organisations
        return bool(self.organisations & self.custodian_ids)

    def can_upload(self, obligation):
        """Evidence comes from whoever meets it or checks it."""
        if self.is_coordinator:
            return True
        if {obligation.owner_organisation_id, obligation.checker_id} & self.organisations:
            return True
        return obligation.checker_id is None and bool(self.organisations & self.custodian_ids)


def obligation_for(user, pk):
    """An obligation, for those who may see its project; else 404."""
    from .models import Obligation

    obligation = (
        Obligation.objects.select_related("project", "approval", "checker", "owner_organisation").filter(pk=pk).first()
    )
    if obligation is None or not can_view_project(user, obligation.project):
        raise Http404("No such obligation.")
    return obligation


def can_renew(user, project):
    """The coordinator renews an approval: while it is in force and decided, or once it expired."""
    return can_edit_project_answers(user, project) and project.status in (
        Project.Status.DECIDED,
        Project.Status.EXPIRED,
    )


def can_preview_framework(user):
    """Preview a new framework version's impact across every project: administrators, who load
    framework versions; the preview reads every custodian's projects."""
    return user.is_authenticated and user.is_superuser


# Evidence: documents attached to an answer or an obligation. Everyone who sees the project reads
# them. Uploading follows who answers or meets the thing it supports:
# - a project-wide answer: the coordinator, who answers it, and members of every custodian, who
#   confirm it and often hold the document (the ethics letter, the data sharing agreement);
# - a custodian's own answer: that custodian's members only. The coordinator cannot change those
#   answers, so cannot attach to them either: a custodian vouches for what supports its own part;
# - an obligation: the coordinator, members of the organisation that must meet it, and members of
#   the custodian that checks it (every custodian of the project when no one custodian does).


def can_upload_answer_evidence(user, project, assessment=None):
    if not user.is_authenticated:
        return False
    if assessment is not None:
        return assessment.project_id == project.pk and can_edit_assessment(user, assessment)
    if project.coordinator_id == user.pk:
        return True
    return project.assessments.filter(organisation__memberships__user=user).exists()


def can_upload_obligation_evidence(user, obligation):
    return ObligationRights(user, obligation.project).can_upload(obligation)


def evidence_for(user, pk):
    """One evidence file, for those who may see its project; else 404."""
    from .models import Evidence

    evidence = (
        Evidence.objects.select_related("project", "uploaded_by", "obligation", "assessment__organisation")
        .filter(pk=pk)
        .first()
    )
    if evidence is None or not can_view_project(user, evidence.project):
        raise Http404("No such document.")
    return evidence


def can_publish_project(user, project):
    """Only the coordinator puts a project on the public register: they write its lay summary and
    answer for what the public reads. Whether there is an approval to publish is the service's
    refusal, with its own message."""
    return can_edit_project_answers(user, project)


def can_withdraw_approval(user, approval):
    """An approver of one of the project's custodians, or an administrator, withdraws an approval:
    the custodians granted it, so they take it back."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    custodians = approval.project.assessments.values_list("organisation_id", flat=True)
    return user.memberships.filter(organisation_id__in=custodians, approves=True).exists()


def can_import_crate(user):
    """Only administrators import crates: accepting another PRIAM's record rests on the trusted
    peers they configure, so the same people answer for both."""
    return user.is_authenticated and user.is_administrator


def can_read_received(user):
    """Administrators, and coordinators, who may start a local assessment from a received one. A
    received record is another PRIAM's decision about another organisation's project: custodians,
    panels and auditors here have no part in it until a local project is opened from it."""
    return can_import_crate(user) or can_open_project(user)


def received_for(user, pk):
    from .selectors.received import received_get

    received = received_get(pk) if can_read_received(user) else None
    if received is None:
        raise Http404("No such received assessment.")
    return received


def can_start_from_received(user):
    return can_open_project(user)
