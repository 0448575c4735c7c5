"""Reads of a user's API tokens."""


def tokens_of(user):
    return user.api_tokens.all()


def token_of(user, pk):
    """One of the user's own tokens, or None: nobody reaches another person's token."""
    return user.api_tokens.filter(pk=pk).first()
