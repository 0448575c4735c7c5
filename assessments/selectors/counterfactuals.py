"""What would change an evaluation's result (issue 14): the engine's counterfactuals, computed
from the stored document under the version it was evaluated with."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..engine.counterfactuals import counterfactuals
from .frameworks import engine_framework

if TYPE_CHECKING:
    from ..models import Evaluation


def evaluation_counterfactuals(evaluation: Evaluation) -> dict[str, Any]:
    """Re-evaluated on each call (a few milliseconds for a 3-custodian project, bench/README.md),
    so it always matches the framework, criteria and appetites the evaluation used."""
    framework = engine_framework(evaluation.framework_version)
    return counterfactuals(framework, evaluation.document, result=evaluation.result)
