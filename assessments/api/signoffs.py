"""Custodians' sign-offs (custodian-criteria spec section 4): read by whoever sees the project,
signed by the custodian's approvers.

Signing is a PUT of the decision onto the sign-off, conditional on its ETag like the answers' PUT:
it happens once (a second is a 409), and If-Match keeps an approver from signing something that
changed since they read it.
"""

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import permissions
from ..selectors.projects import evaluation_full, project_evaluations
from ..selectors.signoffs import sign_offs_of
from ..services.signoffs import signoff_decide, signoff_etag
from . import etags
from . import serializers as s
from .problems import problem
from .views import PROBLEM

REVISION_PARAM = OpenApiParameter(
    "revision", OpenApiTypes.INT, description="An earlier revision of the project (default: the current one)"
)
IF_MATCH = OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True, description="The sign-off's ETag")


def _revision(request, project):
    given = request.query_params.get("revision")
    if given is None:
        return project.revision
    if not re.fullmatch(r"[0-9]+", given) or int(given) < 1:
        raise ValidationError({"revision": "A revision number: 1, 2, …"})
    if int(given) > project.revision:
        raise NotFound(f"This project has no revision {int(given)}: its current one is {project.revision}.")
    return int(given)


class ProjectSignOffs(APIView):
    """Each custodian's sign-off of one evaluated revision: route and why, who or what signed and when,
    the criteria and appetite versions applied, and each sign-off's ETag."""

    @extend_schema(
        parameters=[REVISION_PARAM], responses={200: s.RevisionSignOffsSerializer, 400: PROBLEM, 404: PROBLEM}
    )
    def get(self, request, pk):
        project = permissions.project_for(request.user, pk)
        revision = _revision(request, project)
        evaluation = next((e for e in project_evaluations(project) if e.revision == revision), None)
        if evaluation is not None:
            evaluation = evaluation_full(evaluation)
        criteria = {c["custodian"]: c for c in evaluation.result.get("criteria", [])} if evaluation else {}
        sign_offs = s.SignOffSerializer(sign_offs_of(evaluation), many=True, context={"criteria": criteria})
        return Response(
            {
                "project": project.pk,
                "revision": revision,
                "current": revision == project.revision,
                "evaluated_at": evaluation.created_at if evaluation else None,
                "sign_offs": sign_offs.data,
            }
        )


def _sign_off_response(sign_off, data):
    response = Response(data)
    response["ETag"] = signoff_etag(sign_off)
    return response


class SignOffDetail(APIView):
    """GET: one sign-off, with its ETag. PUT: its custodian's approver signs it off, once: send the
    ETag as If-Match; the response names the decision record if this sign-off issued it."""

    @extend_schema(responses={200: s.SignOffSerializer, 404: PROBLEM})
    def get(self, request, pk):
        sign_off = permissions.sign_off_for(request.user, pk)
        return _sign_off_response(sign_off, s.SignOffSerializer(sign_off).data)

    @extend_schema(
        request=s.SignOffDecideSerializer,
        parameters=[IF_MATCH],
        responses={
            200: s.SignOffDecidedSerializer,
            400: PROBLEM,
            404: PROBLEM,
            409: PROBLEM,
            412: PROBLEM,
            428: PROBLEM,
        },
    )
    def put(self, request, pk):
        sign_off = permissions.sign_off_for(request.user, pk)
        if not permissions.can_sign_off(request.user, sign_off):
            raise NotFound("No such sign-off you can sign.")
        serializer = s.SignOffDecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if_match = request.headers.get("If-Match")
        if not if_match:
            return problem(
                428,
                "Precondition required",
                "Send If-Match with the sign-off's ETag, so that you sign what you read.",
                kind="if-match",
            )
        record = signoff_decide(
            sign_off=sign_off,
            approver=request.user,
            matches_etag=etags.if_match(if_match),
            request=request,
            **serializer.validated_data,
        )
        sign_off = permissions.sign_off_for(request.user, pk)
        return _sign_off_response(
            sign_off,
            {"sign_off": s.SignOffSerializer(sign_off).data, "record": record.number if record else None},
        )
