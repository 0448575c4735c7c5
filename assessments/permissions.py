"""Who may do what. Views and the API both ask here, so the policy lives in one place.

Outsiders get 404 rather than 403: PRIAM does not confirm that something
exists to someone who may not see it.
"""

from django.http import Http404


def can_read_audit_trail(user):
    return user.is_authenticated and (user.is_auditor or user.is_superuser)


def require_audit_reader(user):
    if not can_read_audit_trail(user):
        raise Http404("No such page.")
