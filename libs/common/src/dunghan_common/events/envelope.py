"""The CloudEvents 1.0 envelope (JSON structured mode) and its per-type validators.

Extension attributes: CloudEvents allows them, so they are accepted when named like the spec says
(1 to 20 lowercase ASCII letters or digits) and carrying a string of at most 1,000 characters, at
most 10 of them and 4,000 characters in all (names and values): an event cannot grow a record
past what the topics take. Any other unknown top-level attribute (`data_base64`, `Foo`, a
number) is rejected. They are kept in `CloudEvent.extensions`; ingest forwards only the declared
ones onto the topics, as `ce_<name>` Kafka headers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any, Literal, Union, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    JsonValue,
    StringConstraints,
    TypeAdapter,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from dunghan_common.events.catalog import DATA_MODELS, TOPIC_DATA_MODELS
from dunghan_common.events.event_types import SERVICE_EVENT_TYPES, subject_required
from dunghan_common.events.fields import Code, EventData, EventId, Rfc3339, Source

Form = Literal["pushed", "topic"]
"""`pushed`: as sources send it to ingest; `topic`: as on `dossier-events` (no applicant)."""

_EXTENSION_NAME = re.compile(r"[a-z0-9]{1,20}", re.ASCII)


def _check_extension_name(name: str) -> str:
    """Accept an unknown attribute only if it is named like a CloudEvents extension attribute."""
    if _EXTENSION_NAME.fullmatch(name) is None:
        raise PydanticCustomError(
            "extension_attribute_name",
            "unknown attribute; extension attributes are named with 1 to 20 lowercase letters or "
            "digits and have string values",
        )
    return name


ExtensionName = Annotated[str, AfterValidator(_check_extension_name)]
ExtensionValue = Annotated[str, StringConstraints(max_length=1000)]
#: Bounds of an event's extension attributes: how many, and characters of names and values in all.
MAX_EXTENSIONS = 10
MAX_EXTENSION_CHARS = 4000
DataSchema = Annotated[str, StringConstraints(min_length=1, max_length=2048, pattern=r"^\S+$")]


class Envelope(BaseModel):
    """The CloudEvents context attributes every event of the project carries."""

    model_config = ConfigDict(strict=True, extra="allow", frozen=True)
    __pydantic_extra__: dict[ExtensionName, ExtensionValue] = Field(init=False)

    specversion: Literal["1.0"]
    id: EventId
    source: Source
    type: str
    time: Rfc3339
    subject: Code | None = None
    # JSON structured mode implies JSON data; the default makes the binary-mode round trip exact.
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: DataSchema | None = None

    @property
    def extensions(self) -> dict[str, str]:
        """The extension attributes, by name."""
        return dict(self.__pydantic_extra__ or {})

    @model_validator(mode="after")
    def _bounded_extensions(self) -> Envelope:
        """At most `MAX_EXTENSIONS` extension attributes, `MAX_EXTENSION_CHARS` in all."""
        extra = self.__pydantic_extra__
        if extra and (
            len(extra) > MAX_EXTENSIONS
            or sum(len(k) + len(v) for k, v in extra.items()) > MAX_EXTENSION_CHARS
        ):
            raise PydanticCustomError(
                "extension_attributes_bounds",
                f"too many or too large extension attributes: at most {MAX_EXTENSIONS}, "
                f"{MAX_EXTENSION_CHARS} characters in all (names and values)",
            )
        return self


class CloudEvent(Envelope):
    """An event pushed by a source (docs/contract.md §1), its `data` validated against its `type`.

    Build instances with `parse_events`, `parse_event` or `from_kafka`: they pick the subclass of
    the event's type, whose `data` is the type's model and whose `subject` is required where the
    contract requires it. Validating `CloudEvent` itself only knows the base `EventData`.
    """

    data: EventData


class ServiceEvent(Envelope):
    """An event a service emits (`sla.*` onto `sla-alerts`, `audit.*` onto `audit-findings`)."""

    subject: Code
    data: dict[str, JsonValue]

    @field_validator("type")
    @classmethod
    def _known_service_type(cls, value: str) -> str:
        """Only the service event types of docs/contract.md §2."""
        if value not in SERVICE_EVENT_TYPES:
            raise PydanticCustomError("event_type", "unknown service event type")
        return value


@cache
def _typed_model(event_type: str, data_model: type[EventData]) -> type[CloudEvent]:
    """The `CloudEvent` subclass for one type; cached, so both forms share it where equal."""
    subject: Any = (Code, ...) if subject_required(event_type) else (Code | None, None)
    return create_model(
        f"{data_model.__name__}Event",
        __base__=CloudEvent,
        __module__=__name__,
        type=(cast(Any, Literal)[event_type], ...),
        subject=subject,
        data=(data_model, ...),
    )


@cache
def _typed_models(form: Form) -> Mapping[str, type[CloudEvent]]:
    """Every type's `CloudEvent` subclass in one form, built on first use."""
    data_models = DATA_MODELS if form == "pushed" else TOPIC_DATA_MODELS
    return {name: _typed_model(name, model) for name, model in data_models.items()}


def event_model(event_type: str, form: Form = "pushed") -> type[CloudEvent]:
    """The `CloudEvent` subclass for a known type; `KeyError` for an unknown one."""
    return _typed_models(form)[event_type]


@cache
def event_adapter(form: Form = "pushed") -> TypeAdapter[CloudEvent]:
    """A validator for any event, dispatching on `type` in one lookup; built once, on first use."""
    members = tuple(_typed_models(form).values())
    union: Any = Annotated[Union[members], Discriminator("type")]  # noqa: UP007
    return TypeAdapter(union)
