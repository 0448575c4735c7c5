"""Reads about panels and their reviews: who sits where, the quorum, and who decides now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..models import PanelMembership

if TYPE_CHECKING:
    from ..models import PanelReview, Project, User


@dataclass(frozen=True)
class Quorum:
    members: int
    conflicted: int
    needed: int
    votes: int

    @property
    def eligible(self) -> int:
        return self.members - self.conflicted

    @property
    def met(self) -> bool:
        return self.eligible > 0 and self.votes >= self.needed


def quorum_of(review: PanelReview) -> Quorum:
    """Votes needed: the panel's quorum, or a majority of its non-conflicted members.

    A configured quorum never asks for more votes than there are members free to vote,
    and only the votes of current, non-conflicted members count.
    """
    seats = review.panel.seats.values("user")
    members = len(seats)
    conflicted = review.declarations.filter(conflicted=True, member__in=seats).count()
    eligible = members - conflicted
    needed = min(review.panel.quorum, eligible) if review.panel.quorum else eligible // 2 + 1
    votes = (
        review.votes.filter(member__in=seats)
        .exclude(member__in=review.declarations.filter(conflicted=True).values("member"))
        .count()
    )
    return Quorum(members=members, conflicted=conflicted, needed=needed, votes=votes)


def seat_of(review: PanelReview, user: User) -> PanelMembership | None:
    return PanelMembership.objects.filter(panel=review.panel, user=user).first()


@dataclass(frozen=True)
class Decider:
    """Who records this review's decision now, or why nobody can yet."""

    user: object  # the chair or deputy chair free to decide, or None
    role: str  # "chair" or "deputy": whose turn it is, even if they must declare first
    blocked: str  # why user is None, in words a panel member can act on

    def can_decide(self, user: User) -> bool:
        return self.user is not None and self.user.pk == user.pk


def decider_of(review: PanelReview) -> Decider:
    """The chair decides; when the chair declares a conflict, the deputy chair does.

    Whoever decides must first declare no conflict of interest.
    """
    seats = {seat.role: seat.user for seat in review.panel.seats.select_related("user").exclude(role="member")}
    declared = {d.member_id: d.conflicted for d in review.declarations.all()}
    chair, deputy = seats.get(PanelMembership.Role.CHAIR), seats.get(PanelMembership.Role.DEPUTY)
    fix = "An administrator of PRIAM can assign a deputy chair (or another chair) to the panel at /admin/."
    if chair is None:
        candidate, role = deputy, "deputy"
        if deputy is None:
            return Decider(None, "chair", f"{review.panel.name} has no chair or deputy chair. {fix}")
    elif declared.get(chair.pk) is not True:
        if chair.pk not in declared:
            return Decider(
                None,
                "chair",
                f"The chair, {chair.display_name}, must declare any conflict of interest before deciding.",
            )
        return Decider(chair, "chair", "")
    else:
        candidate, role = deputy, "deputy"
        if deputy is None:
            return Decider(
                None,
                "deputy",
                f"The chair, {chair.display_name}, has declared a conflict of interest and the panel has "
                f"no deputy chair, so nobody can record the decision. {fix}",
            )
    if candidate.pk not in declared:
        return Decider(
            None,
            role,
            f"The chair has declared a conflict of interest, so the deputy chair, {candidate.display_name}, "
            "decides once they have declared any conflict of interest.",
        )
    if declared[candidate.pk]:
        return Decider(
            None,
            role,
            f"Both the chair and the deputy chair, {candidate.display_name}, have declared a conflict of "
            f"interest, so nobody can record the decision. {fix}",
        )
    return Decider(candidate, role, "")


def review_reads(review: PanelReview, user: User) -> dict[str, Any]:
    """What the review page shows a user: their seat, declaration and vote, and everyone's."""
    seat = seat_of(review, user)
    return {
        "seat": seat,
        "declaration": review.declarations.filter(member=user).first() if seat else None,
        "vote": review.votes.filter(member=user).first() if seat else None,
        "votes": review.votes.select_related("member"),
        "declarations": review.declarations.select_related("member"),
        "members": review.panel.seats.select_related("user"),
    }


def last_panel_id(project: Project) -> int | None:
    """The panel that last reviewed the project, if any."""
    last = project.reviews.order_by("-sent_at", "-pk").only("panel_id").first()
    return last.panel_id if last else None
