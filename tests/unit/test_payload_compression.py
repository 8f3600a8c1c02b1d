"""Payload compression (payloads.CompressionCodec): what is worth compressing is, the rest passes as it was, the
histories written before still read, and a payload that inflates past its bound or is damaged is refused, never
opened whole into memory. With keys, compression comes before encryption (payloads.codec)."""

from __future__ import annotations

import base64
import os
import random
import zlib

import pytest
from temporalio.api.common.v1 import Payload

from payloads import (
    COMPRESS_FROM,
    COMPRESSED,
    DATA_CONVERTER,
    ENCRYPTED,
    MAX_INFLATED,
    CompressionCodec,
    EncryptionCodec,
    PayloadCompressionError,
    PayloadKeys,
    codec,
    data_converter,
    encrypting,
)

CODEC = CompressionCodec()


def _payload(value: object) -> Payload:
    [payload] = DATA_CONVERTER.payload_converter.to_payloads([value])
    return payload


def _skp(indicators: int) -> dict[str, object]:
    """JSON the way an appraisal's payloads look: the same field names and NIPs again and again."""
    return {
        "nip": "199212252019032001",
        "rhk": [
            {"id": f"RHK-{n}", "penilai": "198703152010011002", "indikator": "Persentase layanan tepat waktu"}
            for n in range(indicators)
        ],
    }


async def test_a_large_payload_is_compressed_and_opened_again() -> None:
    plain = _payload(_skp(20))
    [packed] = await CODEC.encode([plain])
    assert packed.metadata["encoding"] == COMPRESSED and len(packed.data) * 3 < plain.ByteSize()
    [opened] = await CODEC.decode([packed])
    assert opened == plain
    assert DATA_CONVERTER.payload_converter.from_payloads([opened]) == [_skp(20)]


async def test_a_small_or_incompressible_payload_and_one_written_before_pass_as_they_are() -> None:
    small = _payload({"nip": "199212252019032001"})
    assert small.ByteSize() < COMPRESS_FROM
    noise = Payload(metadata={"encoding": b"binary/plain"}, data=os.urandom(4096))
    # Past the threshold, where zlib saves some bytes of data but the compressed encoding's metadata costs more.
    barely = Payload(metadata={"encoding": b"binary/plain"}, data=random.Random(7).randbytes(130) + b"a" * 40)
    assert barely.ByteSize() >= COMPRESS_FROM and len(zlib.compress(barely.SerializeToString())) < barely.ByteSize()
    assert await CODEC.encode([small, noise, barely]) == [small, noise, barely]
    before = _payload(_skp(20))  # a history written before compression: decoded as it is
    assert await CODEC.decode([before]) == [before]


async def test_a_payload_inflating_past_its_bound_or_damaged_is_refused() -> None:
    bomb = Payload(metadata={"encoding": COMPRESSED}, data=zlib.compress(bytes(MAX_INFLATED + 1), 9))
    assert len(bomb.data) < 10_000
    with pytest.raises(PayloadCompressionError, match="lebih dari 4 MB"):
        await CODEC.decode([bomb])
    [packed] = await CODEC.encode([_payload(_skp(20))])
    cut = Payload(metadata=dict(packed.metadata), data=packed.data[:-8])
    with pytest.raises(PayloadCompressionError, match="rusak"):
        await CODEC.decode([cut])
    trailing = Payload(metadata=dict(packed.metadata), data=packed.data + b"tambahan")
    with pytest.raises(PayloadCompressionError, match="rusak"):
        await CODEC.decode([trailing])
    garbage = Payload(metadata={"encoding": COMPRESSED}, data=b"bukan zlib")
    with pytest.raises(PayloadCompressionError, match="rusak"):
        await CODEC.decode([garbage])
    not_a_payload = Payload(metadata={"encoding": COMPRESSED}, data=zlib.compress(b"\xff" * 300))
    with pytest.raises(PayloadCompressionError, match="bukan payload Temporal"):
        await CODEC.decode([not_a_payload])


async def test_with_keys_a_payload_is_compressed_then_sealed_and_both_older_forms_still_open() -> None:
    keys = PayloadKeys.parse(f"k1={base64.b64encode(os.urandom(32)).decode()}")
    both = codec(keys)
    plain = _payload(_skp(20))
    [sealed] = await both.encode([plain])
    assert sealed.metadata["encoding"] == ENCRYPTED
    [inner] = await EncryptionCodec(keys).decode([sealed])
    assert inner.metadata["encoding"] == COMPRESSED  # compressed first: ciphertext does not compress
    sealed_before = (await EncryptionCodec(keys).encode([plain]))[0]  # encrypted, from before compression
    assert await both.decode([sealed, sealed_before, plain]) == [plain, plain, plain]
    assert encrypting(data_converter(keys)) and not encrypting(data_converter(None))  # the worker's warning says so


async def test_a_payload_too_large_to_be_read_back_is_not_compressed() -> None:
    """Temporal refuses a payload over its 2 MB limit when it is written; compressed, one opening past MAX_INFLATED
    would be stored and then refused by every worker reading it back."""
    huge = Payload(metadata={"encoding": b"json/plain"}, data=b"[" + b"1," * (MAX_INFLATED // 2) + b"1]")
    assert await CODEC.encode([huge]) == [huge]
    [packed] = await CODEC.encode([Payload(metadata={"encoding": b"json/plain"}, data=b"1," * (MAX_INFLATED // 4))])
    assert packed.metadata["encoding"] == COMPRESSED and (await CODEC.decode([packed]))[0].ByteSize() < MAX_INFLATED
