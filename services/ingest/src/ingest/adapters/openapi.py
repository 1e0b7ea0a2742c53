"""The OpenAPI description of ``POST /v1/events``: body per content type, examples, responses.

The body is read raw (size-capped stream), so FastAPI cannot derive it from a parameter: it is
described here, with the event schemas of `dunghan_common.events` merged into the components.
"""

from __future__ import annotations

import copy
from typing import Any

import orjson
from dunghan_common.events import EXAMPLES, event_adapter
from fastapi import FastAPI
from pydantic import BaseModel

from ingest.domain.bodies import CLOUDEVENT, CLOUDEVENTS_BATCH, JSON, NDJSON

_EVENT_REF = {"$ref": "#/components/schemas/CloudEvent"}
_BATCH = {"type": "array", "items": _EVENT_REF, "minItems": 1}


class Accepted(BaseModel):
    """202: every event is in Kafka or was accepted before."""

    accepted: int
    duplicates: int


class ErrorItem(BaseModel):
    """One invalid attribute of one event."""

    index: int
    field: str
    message: str


class ValidationErrors(BaseModel):
    """422: every error of every event (capped), nothing accepted."""

    errors: list[ErrorItem]


class Problem(BaseModel):
    """Any other refusal."""

    detail: str


def _examples() -> dict[str, Any]:
    return {kind: {"summary": kind, "value": event} for kind, event in EXAMPLES.items()}


def _ndjson_example() -> str:
    return "\n".join(orjson.dumps(e).decode() for e in EXAMPLES.values()) + "\n"


REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        CLOUDEVENT: {"schema": _EVENT_REF, "examples": _examples()},
        CLOUDEVENTS_BATCH: {
            "schema": _BATCH,
            "examples": {"all types": {"value": list(EXAMPLES.values())}},
        },
        JSON: {
            "schema": {"oneOf": [_EVENT_REF, _BATCH]},
            "examples": {"all types": {"value": list(EXAMPLES.values())}, **_examples()},
        },
        NDJSON: {
            "schema": {"type": "string", "description": "one JSON event per line"},
            "examples": {"all types": {"value": _ndjson_example()}},
        },
    },
}


def _problem(description: str, retry: bool = False) -> dict[str, Any]:
    entry: dict[str, Any] = {"model": Problem, "description": description}
    if retry:
        entry["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "s"}}
    return entry


RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"model": Accepted, "description": "Every event acknowledged by Kafka (or a duplicate)"},
    400: _problem("Unparseable body or NDJSON line (the line number is given), or no events"),
    401: _problem("Missing or unknown key; missing, stale or wrong signature"),
    403: _problem("An event's source is not the key's source"),
    413: _problem(
        "Body larger than the byte cap, more events than the count cap, or an event whose "
        "Kafka record would exceed the record cap (`errors` names it)"
    ),
    415: _problem("Unsupported Content-Type"),
    422: {"model": ValidationErrors, "description": "Invalid events; nothing accepted"},
    429: _problem("Over the source's rate limit; nothing accepted", retry=True),
    503: _problem("Kafka (or the duplicate ledger) unavailable; nothing accepted", retry=True),
}


def install_event_schemas(app: FastAPI) -> None:
    """Make ``app.openapi()`` include the CloudEvent schema (all types) in its components."""
    build = app.openapi  # the shared frame's document (access documented), extended here

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        event = copy.deepcopy(
            event_adapter().json_schema(ref_template="#/components/schemas/{model}")
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(event.pop("$defs", {}))
        components["CloudEvent"] = event
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
