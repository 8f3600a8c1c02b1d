"""Payload encryption (payloads.EncryptionCodec): AES-256-GCM per payload, the key's id beside it, rotation, and the
histories written in clear still read."""

from __future__ import annotations

import asyncio
import base64
import os
from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.api.common.v1 import Payload

from payloads import DATA_CONVERTER, ENCRYPTED, KEY_ID, EncryptionCodec, PayloadKeyError, PayloadKeys, data_converter
from settings import TemporalSettings


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _payload(text: str) -> Payload:
    [payload] = DATA_CONVERTER.payload_converter.to_payloads([{"nama": text, "nip": "199212252019032001"}])
    return payload


async def test_a_payload_is_sealed_with_its_key_id_and_opened_again() -> None:
    codec = EncryptionCodec(PayloadKeys.parse(f"k1={_key()}"))
    plain = _payload("Sri Wahyuni")
    [sealed] = await codec.encode([plain])
    assert sealed.metadata["encoding"] == ENCRYPTED and sealed.metadata[KEY_ID] == b"k1"
    assert b"Sri Wahyuni" not in sealed.SerializeToString() and b"199212252019032001" not in sealed.data
    [opened] = await codec.decode([sealed])
    assert opened == plain
    [again] = await codec.encode([plain])
    assert again.data != sealed.data  # a fresh nonce each time


async def test_a_rotated_key_still_opens_what_it_sealed_and_a_clear_payload_passes() -> None:
    old, new = _key(), _key()
    [sealed_before] = await EncryptionCodec(PayloadKeys.parse(f"lama={old}")).encode([_payload("A")])
    rotated = EncryptionCodec(PayloadKeys.parse(f"baru={new}\nlama={old}"))
    [sealed_after] = await rotated.encode([_payload("B")])
    assert sealed_after.metadata[KEY_ID] == b"baru"
    clear = _payload("C")  # written before encryption was turned on
    assert await rotated.decode([sealed_before, sealed_after, clear]) == [_payload("A"), _payload("B"), clear]


async def test_an_unknown_key_or_an_altered_payload_is_refused() -> None:
    [sealed] = await EncryptionCodec(PayloadKeys.parse(f"k1={_key()}")).encode([_payload("A")])
    with pytest.raises(PayloadKeyError, match="'k1' yang tidak ada"):
        await EncryptionCodec(PayloadKeys.parse(f"k2={_key()}")).decode([sealed])
    with pytest.raises(PayloadKeyError, match="kunci salah atau diubah"):
        await EncryptionCodec(PayloadKeys.parse(f"k1={_key()}")).decode([sealed])  # the same id, another key
    altered = Payload(metadata=dict(sealed.metadata), data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    codec = EncryptionCodec(PayloadKeys.parse(f"k1={_key()}"))
    with pytest.raises(PayloadKeyError):
        await codec.decode([altered])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "tidak ada kunci payload"),
        ("k1", "ID=BASE64"),
        ("k1=bukan-base64!", "bukan base64"),
        (f"k1={base64.b64encode(os.urandom(16)).decode()}", "harus 32 bita"),
        ("k1={0},k1={0}".format(base64.b64encode(os.urandom(32)).decode()), "disebut dua kali"),
        (f"k 1={base64.b64encode(os.urandom(32)).decode()}", "ID=BASE64"),
    ],
)
def test_keys_that_cannot_be_used_are_refused_naming_why_not_the_key(text: str, message: str) -> None:
    with pytest.raises(PayloadKeyError, match=message) as refused:
        PayloadKeys.parse(text)
    assert text.partition("=")[2] not in str(refused.value) or not text.partition("=")[2]


def test_the_settings_take_keys_from_the_environment_or_a_file_and_refuse_both(tmp_path: Path) -> None:
    key = _key()
    assert TemporalSettings().encryption() is None
    assert data_converter(None) is DATA_CONVERTER
    found = TemporalSettings(payload_keys=f"# kunci Kinerja\nk1={key}\n").encryption()
    assert found is not None and found.current == "k1"
    [sealed] = asyncio.run(data_converter(found).encode(["Sri Wahyuni"]))  # compressed, where worth it, then sealed
    assert sealed.metadata["encoding"] == ENCRYPTED and sealed.metadata[KEY_ID] == b"k1"
    path = tmp_path / "kunci"
    path.write_text(f"k2={key}, k1={key}\n")
    from_file = TemporalSettings(payload_keys_file=path).encryption()
    assert from_file is not None and from_file.current == "k2" and set(from_file.keys) == {"k1", "k2"}
    with pytest.raises(ValidationError, match="bukan keduanya"):
        TemporalSettings(payload_keys=f"k1={key}", payload_keys_file=path)
    with pytest.raises(ValidationError, match="harus 32 bita"):
        TemporalSettings(payload_keys="k1=" + base64.b64encode(b"pendek").decode())
