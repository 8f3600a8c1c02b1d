"""Kinerja's payload converter (payloads.py): pydantic JSON with one type-adapter cache per process, because the SDK
makes a new converter for every workflow instance it creates."""

from __future__ import annotations

from typing import Annotated, Any

from domain.stages import Role
from payloads import DATA_CONVERTER, KinerjaPayloadConverter, SharedAdapterJsonConverter, _adapter
from workflows.contracts import Actor


def test_a_new_converter_decodes_with_the_adapters_an_earlier_one_built() -> None:
    actor = Actor(nip="199003032015031004", role=Role.PENILAI)
    [payload] = KinerjaPayloadConverter().to_payloads([actor])
    assert KinerjaPayloadConverter().from_payloads([payload], [Actor]) == [actor]  # builds (or finds) Actor's
    hits = _adapter.cache_info().hits
    assert KinerjaPayloadConverter().from_payloads([payload], [Actor]) == [actor]  # another instance's converter
    assert _adapter.cache_info().hits == hits + 1


def test_an_unhashable_type_hint_is_decoded_without_the_cache() -> None:
    hint: Any = Annotated[list[int], []]  # a list in the metadata: not hashable
    [payload] = DATA_CONVERTER.payload_converter.to_payloads([[1, 2]])
    assert DATA_CONVERTER.payload_converter.from_payloads([payload], [hint]) == [[1, 2]]


def test_every_converter_shares_one_set_of_encoding_converters() -> None:
    # The SDK builds a payload converter for each serialization context of each activation: building is cheap only
    # if the encodings (the pydantic one holds a schema serializer) are built once.
    first, second = KinerjaPayloadConverter(), KinerjaPayloadConverter()
    assert list(first.converters) == list(second.converters)
    assert all(first.converters[encoding] is second.converters[encoding] for encoding in first.converters)
    assert any(isinstance(converter, SharedAdapterJsonConverter) for converter in first.converters.values())
