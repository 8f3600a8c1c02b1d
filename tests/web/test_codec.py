"""Temporal's Web UI opens histories through `POST /codec/decode` (web/routes/codec.py): an operator gets the
payloads decrypted and inflated, anyone else is refused; the Web UI's origin alone may call it across origins."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import AsyncIterator

import httpx
import pytest
from google.protobuf import json_format
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload, Payloads

from domain.stages import Role
from payloads import COMPRESSED, DATA_CONVERTER, CompressionCodec, EncryptionCodec, PayloadKeys
from tests.web.harness import BASE_URL, WebOffice
from web.app import create_app

KEYS = f"k1={base64.b64encode(os.urandom(32)).decode()}"
UI = "http://127.0.0.1:8233"
DECODE = "/codec/decode"


@pytest.fixture
async def codec_http(web_office: WebOffice) -> AsyncIterator[httpx.AsyncClient]:
    """The office's app again, with payload keys configured."""
    temporal = web_office.settings.temporal.model_copy(update={"payload_keys": SecretStr(KEYS), "ui_url": UI})
    settings = web_office.settings.model_copy(update={"temporal": temporal})
    app = create_app(settings, uow_factory=web_office.uow_factory, client=web_office.temporal)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http


async def _sealed_body() -> bytes:
    plain = DATA_CONVERTER.payload_converter.to_payloads([{"nama": "Sri Wahyuni", "catatan": "perbaiki target"}])
    sealed = await EncryptionCodec(PayloadKeys.parse(KEYS)).encode(plain)
    return json_format.MessageToJson(Payloads(payloads=sealed)).encode()


async def test_an_operator_reads_the_payloads_in_clear(web_office: WebOffice, codec_http: httpx.AsyncClient) -> None:
    body = await _sealed_body()
    assert b"Sri Wahyuni" not in body
    token = web_office.tokens[Role.OPERATOR]
    answered = await codec_http.post(
        DECODE,
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Origin": UI},
    )
    assert answered.status_code == 200, answered.text
    assert answered.headers["access-control-allow-origin"] == UI
    assert answered.headers["access-control-allow-credentials"] == "true"
    decoded = json_format.Parse(answered.content, Payloads())
    [value] = DATA_CONVERTER.payload_converter.from_payloads(list(decoded.payloads))
    assert value == {"nama": "Sri Wahyuni", "catatan": "perbaiki target"}


async def test_anyone_else_is_refused_and_sees_ciphertext(web_office: WebOffice, codec_http: httpx.AsyncClient) -> None:
    body = await _sealed_body()
    for role in (Role.PENGAWASAN, Role.ADMIN_KEPEGAWAIAN, Role.PEGAWAI):
        headers = {"Authorization": f"Bearer {web_office.tokens[role]}", "Content-Type": "application/json"}
        refused = await codec_http.post(DECODE, content=body, headers=headers)
        assert refused.status_code == 403 and "operator" in refused.json()["detail"], (role, refused.text)
        assert b"Sri Wahyuni" not in refused.content
    anonymous = await codec_http.post(DECODE, content=body, headers={"Content-Type": "application/json"})
    assert anonymous.status_code == 401


async def test_only_the_web_uis_origin_is_allowed_across_origins(codec_http: httpx.AsyncClient) -> None:
    asked = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-namespace"}
    preflight = await codec_http.options(DECODE, headers={"Origin": UI, **asked})
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == UI
    assert "x-namespace" in preflight.headers["access-control-allow-headers"]
    other = await codec_http.options(DECODE, headers={"Origin": "https://penyerang.example", **asked})
    assert other.status_code == 204 and "access-control-allow-origin" not in other.headers


async def test_what_is_not_a_payload_list_or_not_configured_is_said_so(
    web_office: WebOffice, codec_http: httpx.AsyncClient
) -> None:
    headers = {"Authorization": f"Bearer {web_office.tokens[Role.OPERATOR]}", "Content-Type": "application/json"}
    for body in (b"{", b'{"payloads": 3}', json.dumps({"payloads": [{"metadata": 5}]}).encode()):
        refused = await codec_http.post(DECODE, content=body, headers={**headers, "Origin": UI})
        assert refused.status_code == 422, refused.text
        assert refused.headers["access-control-allow-origin"] == UI  # the Web UI may read why, as every refusal
    unconfigured = await web_office.http.post(DECODE, content=await _sealed_body(), headers=headers)
    assert unconfigured.status_code == 404 and "TEMPORAL__PAYLOAD_KEYS_FILE" in unconfigured.json()["detail"]


async def test_without_keys_an_operator_reads_the_compressed_payloads(web_office: WebOffice) -> None:
    value = {"catatan": "perbaiki target " * 40, "nip": "199212252019032001"}
    packed = await CompressionCodec().encode(DATA_CONVERTER.payload_converter.to_payloads([value]))
    assert packed[0].metadata["encoding"] == COMPRESSED
    headers = {"Authorization": f"Bearer {web_office.tokens[Role.OPERATOR]}", "Content-Type": "application/json"}
    body = json_format.MessageToJson(Payloads(payloads=packed)).encode()
    answered = await web_office.http.post(DECODE, content=body, headers=headers)
    assert answered.status_code == 200, answered.text
    decoded = json_format.Parse(answered.content, Payloads())
    assert DATA_CONVERTER.payload_converter.from_payloads(list(decoded.payloads)) == [value]
    packed[0].data = packed[0].data[:-8]
    damaged = json_format.MessageToJson(Payloads(payloads=packed)).encode()
    refused = await web_office.http.post(DECODE, content=damaged, headers=headers)
    assert refused.status_code == 422 and refused.json()["field"] == "payloads", refused.text
    for role in (Role.PENGAWASAN, Role.PEGAWAI):
        other = {**headers, "Authorization": f"Bearer {web_office.tokens[role]}"}
        assert (await web_office.http.post(DECODE, content=body, headers=other)).status_code == 403


async def test_what_would_open_to_more_than_an_answer_holds_is_refused(web_office: WebOffice) -> None:
    """Compressed payloads inflate: five of a few KiB each opening to almost 4 MB pass the body's bound, not the
    answer's."""
    big = Payload(metadata={"encoding": b"json/plain"}, data=b"a" * (3_900_000))
    packed = await CompressionCodec().encode([big] * 5)
    body = json_format.MessageToJson(Payloads(payloads=packed)).encode()
    assert len(body) < 100_000
    headers = {"Authorization": f"Bearer {web_office.tokens[Role.OPERATOR]}", "Content-Type": "application/json"}
    refused = await web_office.http.post(DECODE, content=body, headers=headers)
    assert refused.status_code == 413 and refused.json()["field"] == "payloads", refused.text
    answered = await web_office.http.post(
        DECODE, content=json_format.MessageToJson(Payloads(payloads=packed[:2])).encode(), headers=headers
    )
    assert answered.status_code == 200 and len(json_format.Parse(answered.content, Payloads()).payloads) == 2
