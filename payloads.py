"""How Kinerja's values travel through Temporal: pydantic JSON, as `temporalio.contrib.pydantic` does it, with one
type-adapter cache for the whole worker process.

The SDK makes a new payload converter for every workflow instance it creates, and the stock pydantic converter keeps
its TypeAdapters per converter. A worker with a bounded cache creates an instance for every new appraisal and for
every appraisal that left the cache (at a province's scale, nearly every Update), so each of those built the
adapters of the input, the Update and the activity results again: a twelfth of the worker's CPU per Update in a
py-spy profile. Shared here, each type's adapter is built once per process. The cache is bounded, and the types
that travel come from modules passed through the sandbox (workflows.contracts, workflows.cycle_contracts), so every
instance names the same classes.
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic import TypeAdapter
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
)

TYPE_ADAPTERS_CACHED = 1024  # as the SDK's own per-converter default


@functools.lru_cache(maxsize=TYPE_ADAPTERS_CACHED)
def _adapter(type_hint: Any) -> TypeAdapter[Any]:
    return TypeAdapter(type_hint)


class SharedAdapterJsonConverter(PydanticJSONPlainPayloadConverter):
    """Pydantic JSON, decoded through the process-wide adapter cache."""

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        hint: Any = type_hint if type_hint is not None else Any
        try:
            hash(hint)
        except TypeError:  # an unhashable hint cannot be cached: built each time, as the SDK does
            return TypeAdapter(hint).validate_json(payload.data)
        return _adapter(hint).validate_json(payload.data)


# One set of encoding converters for every KinerjaPayloadConverter, as the SDK shares its default ones: they hold no
# per-workflow state (the JSON one decodes through the process-wide cache above), and the SDK builds a new payload
# converter several times per workflow activation (each data converter it derives for a serialization context).
# Building the pydantic JSON converter each time (its schema serializer, its adapter cache) was 1-2% of the worker's
# CPU per Update.
_ENCODINGS = tuple(
    SharedAdapterJsonConverter() if isinstance(converter, JSONPlainPayloadConverter) else converter
    for converter in DefaultPayloadConverter.default_encoding_payload_converters
)


class KinerjaPayloadConverter(CompositePayloadConverter):
    """The SDK's default encodings, with pydantic JSON in place of plain JSON (as PydanticPayloadConverter)."""

    def __init__(self) -> None:
        super().__init__(*_ENCODINGS)


DATA_CONVERTER = DataConverter(payload_converter_class=KinerjaPayloadConverter)
