"""The exchange format as JSON Schema: the assessment document and the evaluation result.

The files in assessments/schemas/ are the one source: the API serves them as they are, the
evaluate endpoint validates against them, and the OpenAPI document gets their definitions
as named components (converted to OpenAPI 3.0, which the rest of the API schema uses).
"""

from __future__ import annotations

import copy
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
# URL name -> file; the names are what GET /api/v1/schemas/<name>.json serves.
SCHEMAS = {
    "assessment-document": "assessment-document.schema.json",
    "evaluation-result": "evaluation-result.schema.json",
}
COMPONENT_PREFIX = "#/components/schemas/"


class UnknownSchema(KeyError):
    pass


@cache
def schema_bytes(name: str) -> bytes:
    if name not in SCHEMAS:
        raise UnknownSchema(name)
    return (SCHEMA_DIR / SCHEMAS[name]).read_bytes()


@cache
def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_bytes(name))
    return loaded


def schema_etag(name: str) -> str:
    # Strong: the served bytes are the file's bytes.
    return '"' + hashlib.sha256(schema_bytes(name)).hexdigest()[:32] + '"'


@cache
def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema(name), format_checker=FormatChecker())


def _path_text(path: Any) -> str:
    return ".".join(str(part) for part in path)


def document_errors(document: Any) -> list[dict[str, Any]]:
    """Where a document breaks the schema, as the API's field errors: the field's dotted path,
    and the custodian and question it belongs to when it belongs to one, so the errors read like
    the engine's."""
    found = []
    errors = sorted(validator("assessment-document").iter_errors(document), key=lambda e: list(map(str, e.path)))
    for error in errors:
        path = list(error.absolute_path)
        custodian = question = None
        if len(path) >= 2 and path[0] == "custodians" and isinstance(path[1], int):
            entry = document["custodians"][path[1]]
            name = entry.get("name") if isinstance(entry, dict) else None
            custodian = name if isinstance(name, str) and name.strip() else f"#{path[1] + 1}"
            rest = path[2:]
        else:
            rest = path
        if len(rest) >= 2 and rest[0] == "answers":
            question = rest[1]
        field = _path_text(path) or None
        message = error.message
        if error.validator == "anyOf" and question is not None:
            # jsonschema's anyOf message repeats the value; the engine's wording lists the kinds.
            message = "an answer is an option id, true or false, a number, or a list of option ids"
        found.append({"field": field, "custodian": custodian, "question": question, "message": message})
    return found


def _to_openapi(node: Any) -> Any:
    """One JSON Schema 2020-12 node as OpenAPI 3.0: nullable instead of a "null" type, local
    references pointing at the components."""
    if isinstance(node, list):
        return [_to_openapi(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("$schema", "$id", "$defs"):
            continue
        if key == "$ref":
            out[key] = COMPONENT_PREFIX + value.removeprefix("#/$defs/")
        elif key == "type" and isinstance(value, list):
            types = [t for t in value if t != "null"]
            out["type"] = types[0]
            if len(types) != 1:
                raise ValueError(f"OpenAPI 3.0 has one type per schema, not {value}")
            if "null" in value:
                out["nullable"] = True
        elif key == "enum" and None in value:
            out[key] = [v for v in value if v is not None]
        elif key in ("properties", "patternProperties"):
            out[key] = {name: _to_openapi(sub) for name, sub in value.items()}
        else:
            out[key] = _to_openapi(value)
    return out


@cache
def openapi_components() -> dict[str, dict[str, Any]]:
    """Every definition of both schemas, by name, as OpenAPI 3.0 component schemas."""
    components: dict[str, dict[str, Any]] = {}
    for name in SCHEMAS:
        for key, definition in schema(name)["$defs"].items():
            converted = _to_openapi(definition)
            if key in components and components[key] != converted:
                raise ValueError(f"{key} differs between the exchange schemas")
            components[key] = converted
    return components


def component_ref(name: str) -> dict[str, str]:
    return {"$ref": COMPONENT_PREFIX + name}


def nullable_ref(name: str) -> dict[str, Any]:
    # OpenAPI 3.0 ignores siblings of $ref, so a nullable reference wraps it.
    return {"allOf": [component_ref(name)], "nullable": True}


def openapi_components_copy() -> dict[str, dict[str, Any]]:
    return copy.deepcopy(openapi_components())
