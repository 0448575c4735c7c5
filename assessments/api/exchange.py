"""The exchange format's types in API bodies: the risk profile's result is the exchange format's
EvaluationResult (its schema is assessments/schemas/evaluation-result.schema.json)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import exchange


@extend_schema_field(exchange.component_ref("EvaluationResult"))
class EvaluationResultField(serializers.JSONField):
    pass


@extend_schema_field(exchange.component_ref("WhatWouldChange"))
class WhatWouldChangeField(serializers.JSONField):
    pass


class RiskProfileSerializer(serializers.Serializer):
    revision = serializers.IntegerField()
    evaluated_at = serializers.DateTimeField()
    current = serializers.BooleanField(help_text="Whether the evaluation is of the project's current revision.")
    result = EvaluationResultField()
    what_would_change = WhatWouldChangeField(
        help_text="The smallest answer changes that would lower each tier or make it approvable."
    )


@extend_schema_field(
    {
        "type": "object",
        "description": "The record's complete content, as signed. Its document and evaluation result are "
        "in the exchange format; the other members are described in the README.",
        "properties": {
            "document": exchange.component_ref("AssessmentDocument"),
            "evaluation": {
                "type": "object",
                "properties": {
                    "revision": {"type": "integer"},
                    "evaluated_at": {"type": "string"},
                    "result": exchange.component_ref("EvaluationResult"),
                },
            },
        },
        "additionalProperties": {},
    }
)
class RecordSnapshotField(serializers.JSONField):
    pass
