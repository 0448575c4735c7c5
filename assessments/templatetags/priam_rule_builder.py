"""The rule builder's question catalogue, for a page whose view knows nothing of the builder."""

from django import template

from ..views.criteria_builder import builder_catalogue

register = template.Library()


@register.simple_tag
def rule_builder_catalogue(organisation):
    return builder_catalogue(organisation)
