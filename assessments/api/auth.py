"""API authentication: the browser's session, or a personal token (Authorization: Bearer …)."""

from rest_framework import authentication, exceptions, permissions

from ..services.tokens import token_authenticate


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, token = header.partition(" ")
        if keyword.lower() != self.keyword.lower():
            return None
        api_token = token_authenticate(token.strip())
        if api_token is None:
            raise exceptions.AuthenticationFailed("This API token is unknown, revoked or malformed.")
        return api_token.user, api_token

    def authenticate_header(self, request):
        # Makes unauthenticated requests 401 (with a challenge) rather than 403.
        return f'{self.keyword} realm="PRIAM API"'


class TokenScope(permissions.BasePermission):
    """A read-only token may only read (and use the stateless evaluate and verify endpoints)."""

    message = "This API token is read-only."

    def has_permission(self, request, view):
        token = request.auth
        if token is None or not getattr(token, "read_only", False):
            return True
        return request.method in permissions.SAFE_METHODS or getattr(view, "stateless", False)
