from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from ..selectors import roles_of


@login_required
def home(request):
    return render(request, "assessments/home.html", {"roles": roles_of(request.user)})
