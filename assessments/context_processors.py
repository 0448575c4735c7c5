"""What every page's navigation needs: the signed-in person's unread notifications."""

from django.utils.functional import SimpleLazyObject

from .selectors.notifications import unread_count


def notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: counted (one indexed query) only when a page draws the navigation bar.
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
