"""Custodians' criteria and risk appetites, read-only: every signed-in user reads published versions
(custodians calibrate against each other); a draft is listed only to those who may read it."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import engine, permissions
from ..errors import FrameworkNotFound
from ..selectors.criteria import (
    appetite_published,
    appetite_versions_listed,
    criteria_published,
    criteria_versions_listed,
    engine_appetite,
    organisation_by_slug,
    organisation_list,
)
from ..selectors.frameworks import engine_framework, framework_default
from . import serializers as s
from .views import PROBLEM, Pages


def _organisation(slug):
    organisation = organisation_by_slug(slug)
    if organisation is None:
        raise NotFound("No such organisation.")
    return organisation


class OrganisationList(generics.ListAPIView):
    serializer_class = s.OrganisationSerializer
    pagination_class = Pages

    def get_queryset(self):
        return organisation_list()


class _VersionList(generics.ListAPIView):
    pagination_class = Pages
    versions = None  # the selector listing one organisation's versions

    def get_queryset(self):
        organisation = _organisation(self.kwargs["slug"])
        with_draft = permissions.can_read_criteria_drafts(self.request.user, organisation)
        return type(self).versions(organisation, with_draft=with_draft)


class CriteriaList(_VersionList):
    """The organisation's published criteria, newest first; its draft first for its members."""

    serializer_class = s.CriteriaVersionSummarySerializer
    versions = staticmethod(criteria_versions_listed)

    @extend_schema(responses={200: s.CriteriaVersionSummarySerializer(many=True), 404: PROBLEM})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AppetiteList(_VersionList):
    """The organisation's published risk appetites, newest first; its draft first for its members."""

    serializer_class = s.AppetiteVersionSummarySerializer
    versions = staticmethod(appetite_versions_listed)

    @extend_schema(responses={200: s.AppetiteVersionSummarySerializer(many=True), 404: PROBLEM})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CriteriaDetail(APIView):
    @extend_schema(responses={200: s.CriteriaVersionSerializer, 404: PROBLEM})
    def get(self, request, slug, number):
        version = criteria_published(_organisation(slug), number)
        if version is None:
            raise NotFound("No such published criteria version.")
        return Response(s.CriteriaVersionSerializer(version).data)


class AppetiteDetail(APIView):
    @extend_schema(responses={200: s.AppetiteVersionSerializer, 404: PROBLEM})
    def get(self, request, slug, number):
        version = appetite_published(_organisation(slug), number)
        if version is None:
            raise NotFound("No such published appetite version.")
        context = {"description": _description(version)}
        return Response(s.AppetiteVersionSerializer(version, context=context).data)


def _description(version):
    # An appetite names the framework's safes and tiers; it was checked against the framework
    # of its day, and a later framework version may no longer read it.
    try:
        framework = engine_framework(framework_default())
        return engine.describe_appetite(framework, engine_appetite(version, framework))
    except (FrameworkNotFound, engine.AppetiteInvalid):
        return None
