"""How Kinerja's values travel through Temporal: pydantic JSON, as `temporalio.contrib.pydantic` does it, with one
type-adapter cache for the whole worker process; every payload of some size compressed (`CompressionCodec`), so that
a province's year of histories takes less of Temporal's database; and, where keys are configured, every payload
encrypted (`EncryptionCodec`) so that Temporal's histories hold no names, NIPs, ratings or reasons in clear.

The SDK makes a new payload converter for every workflow instance it creates, and the stock pydantic converter keeps
its TypeAdapters per converter. A worker with a bounded cache creates an instance for every new appraisal and for
every appraisal that left the cache (at a province's scale, nearly every Update), so each of those built the
adapters of the input, the Update and the activity results again: a twelfth of the worker's CPU per Update in a
py-spy profile. Shared here, each type's adapter is built once per process. The cache is bounded, and the types
that travel come from modules passed through the sandbox (workflows.contracts, workflows.cycle_contracts), so every
instance names the same classes.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import os
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.message import DecodeError
from pydantic import TypeAdapter
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
    PayloadCodec,
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


# --- compression ---------------------------------------------------------------------------------------------------

COMPRESSED = b"binary/zlib"  # the payload's `encoding` once compressed: the Web UI shows it as such without a codec
COMPRESS_FROM = 160  # bytes of a serialised payload below which zlib's header and checksum outweigh what it saves
COMPRESSION_LEVEL = 6  # zlib's default balance of size and CPU
MAX_INFLATED = 4 * 1024 * 1024  # twice Temporal's 2 MB payload limit: a payload that inflates past it is refused


class PayloadCompressionError(ValueError):
    """A compressed payload that cannot be opened: damaged, or inflating past MAX_INFLATED."""


class CompressionCodec(PayloadCodec):
    """zlib over each whole payload (its metadata and data, serialised) of COMPRESS_FROM bytes or more, where that
    makes it smaller. An appraisal's payloads are JSON that repeats its field names and NIPs: its year's history
    took 36 KiB in the 1,000-employee run of issue 21, against a target of 25 (docs/history-size.md). Decoding
    passes through what is not compressed: the histories written before still replay and still run."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.compress(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decompress(payload) for payload in payloads]

    def compress(self, payload: Payload) -> Payload:
        raw = payload.SerializeToString()
        # One that would open past what decoding accepts goes as it is: Temporal refuses it when it is written (its
        # 2 MB limit), as before, rather than keeping what no worker could read back.
        if not COMPRESS_FROM <= len(raw) <= MAX_INFLATED:
            return payload
        packed = Payload(metadata={"encoding": COMPRESSED}, data=zlib.compress(raw, COMPRESSION_LEVEL))
        return packed if packed.ByteSize() < payload.ByteSize() else payload  # the new metadata counts too

    def decompress(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != COMPRESSED:
            return payload
        inflater = zlib.decompressobj()
        try:
            raw = inflater.decompress(payload.data, MAX_INFLATED)
        except zlib.error:
            raise PayloadCompressionError("payload terkompresi rusak: tidak dapat dibuka") from None
        if inflater.unconsumed_tail or not inflater.eof or inflater.unused_data:
            raise PayloadCompressionError(
                f"payload terkompresi rusak atau lebih dari {MAX_INFLATED // (1024 * 1024)} MB setelah dibuka"
            )
        opened = Payload()
        try:
            opened.ParseFromString(raw)
        except DecodeError:
            raise PayloadCompressionError("payload terkompresi rusak: isinya bukan payload Temporal") from None
        return opened


class CodecChain(PayloadCodec):
    """Codecs in turn: each encodes what the one before it encoded, and decoding runs them backwards. Compression
    comes before encryption, as ciphertext does not compress."""

    def __init__(self, *codecs: PayloadCodec) -> None:
        self.codecs = codecs

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        done = list(payloads)
        for codec in self.codecs:
            done = await codec.encode(done)
        return done

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        done = list(payloads)
        for codec in reversed(self.codecs):
            done = await codec.decode(done)
        return done


COMPRESSION = CompressionCodec()
DATA_CONVERTER = DataConverter(payload_converter_class=KinerjaPayloadConverter, payload_codec=COMPRESSION)


# --- encryption ----------------------------------------------------------------------------------------------------

ENCRYPTED = b"binary/encrypted"  # the payload's `encoding` once encrypted: the Web UI shows it as such without a codec
KEY_ID = "encryption-key-id"  # which key, so that payloads written before a rotation still decrypt
NONCE_BYTES = 12  # AES-GCM's standard nonce, random per payload
KEY_BYTES = 32  # AES-256


class PayloadKeyError(ValueError):
    """The keys as configured cannot be used (says which and why, never the key itself)."""


@dataclass(frozen=True)
class PayloadKeys:
    """The keys payloads are encrypted with: `current` encrypts, every one decrypts (a rotated key stays listed until
    no history that needs it is kept)."""

    current: str
    keys: Mapping[str, bytes]

    @classmethod
    def parse(cls, text: str) -> PayloadKeys:
        """`id=base64` entries, one per line or comma-separated, of 32-byte keys; the first is the current one. Blank
        lines and `#` comments are skipped. Make one with `python -c "import os,base64;
        print('k1=' + base64.b64encode(os.urandom(32)).decode())"`."""
        keys: dict[str, bytes] = {}
        for raw in text.replace(",", "\n").splitlines():
            entry = raw.strip()
            if not entry or entry.startswith("#"):
                continue
            key_id, sep, encoded = entry.partition("=")
            key_id = key_id.strip()
            if not sep or not key_id or len(key_id) > 64 or not key_id.replace("-", "").replace("_", "").isalnum():
                raise PayloadKeyError("kunci payload harus berbentuk ID=BASE64 (ID huruf/angka/-/_, paling panjang 64)")
            try:
                key = base64.b64decode(encoded.strip(), validate=True)
            except binascii.Error:
                raise PayloadKeyError(f"kunci payload {key_id}: bukan base64") from None
            if len(key) != KEY_BYTES:
                raise PayloadKeyError(f"kunci payload {key_id}: harus {KEY_BYTES} bita (AES-256), bukan {len(key)}")
            if key_id in keys:
                raise PayloadKeyError(f"kunci payload {key_id} disebut dua kali")
            keys[key_id] = key
        if not keys:
            raise PayloadKeyError("tidak ada kunci payload")
        return cls(current=next(iter(keys)), keys=keys)


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM over each whole payload (its metadata and data, serialised), the key's id in the clear metadata
    and as associated data. Decoding passes through what is not encrypted: the histories written before encryption
    was turned on still replay and still run."""

    def __init__(self, keys: PayloadKeys) -> None:
        self._keys = keys
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.keys.items()}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(payload) for payload in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        key_id = self._keys.current.encode()
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self._keys.current].encrypt(nonce, payload.SerializeToString(), key_id)
        return Payload(metadata={"encoding": ENCRYPTED, KEY_ID: key_id}, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCRYPTED:
            return payload
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadKeyError(f"payload dienkripsi dengan kunci {key_id!r} yang tidak ada di kunci yang diatur")
        try:
            plain = cipher.decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], key_id.encode())
        except InvalidTag:
            raise PayloadKeyError(
                f"payload dengan kunci {key_id!r} tidak dapat dibuka: kunci salah atau diubah"
            ) from None
        decrypted = Payload()
        decrypted.ParseFromString(plain)
        return decrypted


def encrypting(converter: DataConverter) -> bool:
    """Whether `converter` encrypts what it sends (compression alone does not hide anything)."""
    found = converter.payload_codec
    codecs = found.codecs if isinstance(found, CodecChain) else (found,)
    return any(isinstance(one, EncryptionCodec) for one in codecs)


def codec(keys: PayloadKeys | None) -> PayloadCodec:
    """What every payload goes through: compression, then encryption with `keys` (None: compression only)."""
    return COMPRESSION if keys is None else CodecChain(COMPRESSION, EncryptionCodec(keys))


def data_converter(keys: PayloadKeys | None) -> DataConverter:
    """Kinerja's converter, compressing every payload and encrypting every payload and failure message with `keys`
    (None: compressed, in clear)."""
    if keys is None:
        return DATA_CONVERTER
    return dataclasses.replace(
        DATA_CONVERTER,
        payload_codec=codec(keys),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
