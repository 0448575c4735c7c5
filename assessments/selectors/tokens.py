"""Reads of a user's API tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from ..models import ApiToken, User


def tokens_of(user: User) -> QuerySet[ApiToken]:
    return user.api_tokens.all()


def token_of(user: User, pk: int) -> ApiToken | None:
    """One of the user's own tokens, or None: nobody reaches another person's token."""
    return user.api_tokens.filter(pk=pk).first()
