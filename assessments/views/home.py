from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from ..selectors.home import (
    assessments_waiting_for,
    projects_coordinated_by,
    referrals_waiting_for,
    reviews_waiting_for,
    roles_of,
)
from ..selectors.obligations import ObligationFilters, obligations_for_user
from ..selectors.signoffs import sign_offs_waiting_for


@login_required
def home(request):
    roles = roles_of(request.user)
    return render(
        request,
        "assessments/home.html",
        {
            "roles": roles,
            "waiting": assessments_waiting_for(request.user) if roles.is_custodian else [],
            "referrals": referrals_waiting_for(request.user) if roles.is_custodian else [],
            "sign_offs": sign_offs_waiting_for(request.user) if roles.is_custodian else [],
            "coordinated": projects_coordinated_by(request.user) if roles.is_coordinator else [],
            "reviews": reviews_waiting_for(request.user) if roles.is_panel_member else [],
            # The first few not yet met, blocking and soonest first; the list page has them all.
            "obligations": list(obligations_for_user(request.user, ObligationFilters(status="open"))[:10])
            if roles.is_custodian
            else [],
        },
    )
