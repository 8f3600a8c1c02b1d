"""Schemathesis against the app's own /openapi.json: anonymous and as each of the eight roles, every operation gets
generated requests (valid ones, and ones that break the schema), and every answer must be no 5xx and match what the
spec says of it: a documented status, its content type (application/problem+json for every refusal), its headers
and its body schema.

Generated path parameters rarely name anything, so half the cases of an operation are about real things instead:
the employee's appraisal, instansi A, a real cycle at calibration. The requests go through the app's ASGI interface
on the test's own event loop (where the app's Temporal client lives); Hypothesis runs in a worker thread and hands
each request over. Each case presents a new bearer token of the role's person, so a generated sign-out or token
revocation spends only its own.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

try:  # a dev dependency (pyproject.toml): its absence fails the suite with CI=true and skips it elsewhere
    import requests
    import schemathesis
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.core.failures import FailureGroup
    from schemathesis.core.result import Err
    from schemathesis.schemas import APIOperation, BaseSchema
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )
except ImportError as missing:
    if os.environ.get("CI", "").lower() == "true":
        raise
    pytest.skip(f"schemathesis is not installed ({missing}): `make setup` installs it", allow_module_level=True)

from domain.stages import Role, Step
from settings import TemporalSettings
from tests.ports import free_port
from tests.web.appraisals import Need
from tests.web.harness import BASE_URL, WebOffice
from tests.web.office import APPRAISED_1, INSTANSI_A, PERSONA, PERSONAS
from web.app import create_app

ROLES: list[Role | None] = [None, *(persona.role for persona in PERSONAS)]
# Per operation and caller: 9 callers × ~47 operations × 4 ≈ 1,700 requests, about a minute on two cores. A deeper
# run: KINERJA_SCHEMATHESIS_EXAMPLES=50.
EXAMPLES = int(os.environ.get("KINERJA_SCHEMATHESIS_EXAMPLES", "4"))
# What issue 17 asks: no 5xx, and every answer as the spec states it. Not `negative_data_rejection`: pydantic's lax
# mode converts some JSON the spec calls invalid (`"hari": true` is read as a token of 1 day): leniency in reading a
# request, not an answer out of line with the spec, and left to a decision on strict request models.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# /readyz answers 503 by design when Temporal or the database does not answer within its timeout, as the spec says
# (web/routes/health.py): on a loaded machine the test's dev server sometimes does not. That answer is still checked
# against the spec (a documented status, content type, headers and body); it is not a server error.
NOT_READY_IS_AN_ANSWER = {"GET /readyz": [check for check in CHECKS if check is not not_a_server_error]}


@pytest.fixture(scope="module")
async def schema(web_office: WebOffice) -> BaseSchema:
    response = await web_office.http.get("/openapi.json")
    assert response.status_code == 200, response.text
    return schemathesis.openapi.from_dict(response.json())


@pytest.fixture(scope="module")
async def real(web_office: WebOffice) -> AsyncIterator[dict[str, str]]:
    """Path parameters that name real things: the employee's appraisal in a cycle at calibration, instansi A."""
    cycle = await web_office.appraisals.shared(Need(APPRAISED_1, Step.AWAITING_CALIBRATION, calibrating=True))
    yield {"cycle_id": cycle.cycle_id, "nip": APPRAISED_1.nip, "instansi_code": INSTANSI_A}


Operation = APIOperation[Any, Any, Any, Any]


def _operations(schema: BaseSchema) -> list[Operation]:
    found = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise AssertionError(f"the spec describes an operation schemathesis cannot read: {result.err()}")
        found.append(result.ok())
    return found


@pytest.fixture(scope="module")
def strategies() -> dict[str, st.SearchStrategy[Any]]:
    """Each operation's strategy, built by the first caller's test and drawn from by the eight others: it depends on
    the operation and `real` alone, not on who calls (the caller's token is added to each request as it is sent)."""
    return {}


def _strategy(operation: Operation, real: dict[str, str]) -> st.SearchStrategy[Any]:
    names = {p.name for p in operation.path_parameters}
    pinned = {name: real[name] for name in names if name in real}
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    strategies = [operation.as_strategy(mode) for mode in modes]
    if pinned:
        strategies += [operation.as_strategy(mode, path_parameters=pinned) for mode in modes]
    return st.one_of(strategies)


def _fuzz(
    office: WebOffice,
    operations: list[Operation],
    real: dict[str, str],
    role: Role | None,
    on_loop: Callable[[Coroutine[Any, Any, httpx.Response]], httpx.Response],
    strategies: dict[str, st.SearchStrategy[Any]],
) -> list[str]:
    """Run Hypothesis over every operation (in this worker thread); the failures, one per operation."""
    failures: list[str] = []

    def send(case: Any) -> None:
        sent = case.as_transport_kwargs(base_url=BASE_URL)
        prepared = requests.Request(
            method=sent["method"],
            url=sent["url"],
            headers=sent.get("headers"),
            params=sent.get("params"),
            cookies=sent.get("cookies"),
            json=sent.get("json"),
            data=sent.get("data"),
            files=sent.get("files"),
        ).prepare()
        headers = {key: str(value) for key, value in prepared.headers.items()}
        if role is not None:
            headers["Authorization"] = f"Bearer {office.new_token(PERSONA[role].nip)[0]}"
        response = on_loop(_request(office, prepared, headers))
        checks = NOT_READY_IS_AN_ANSWER.get(case.operation.label, CHECKS)
        case.validate_response(response, checks=checks, headers=headers)

    for operation in operations:
        if operation.label not in strategies:
            strategies[operation.label] = _strategy(operation, real)

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
        )
        @given(case=strategies[operation.label])
        def run(case: Any) -> None:
            send(case)

        try:
            run()
        except (Exception, FailureGroup) as error:  # every operation is tried; the report lists each that failed
            failures.append(f"{operation.label}: {error}")
    return failures


async def _request(office: WebOffice, prepared: requests.PreparedRequest, headers: dict[str, str]) -> httpx.Response:
    body = prepared.body
    content = body.encode() if isinstance(body, str) else body if isinstance(body, bytes) else None
    try:
        return await office.http.request(
            prepared.method or "GET", prepared.url or "/", headers=headers, content=content
        )
    finally:
        office.http.cookies.clear()


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.value if role else "anonim")
async def test_the_api_answers_as_its_spec_says(
    role: Role | None,
    web_office: WebOffice,
    schema: BaseSchema,
    real: dict[str, str],
    strategies: dict[str, st.SearchStrategy[Any]],
) -> None:
    loop = asyncio.get_running_loop()

    def on_loop(coroutine: Coroutine[Any, Any, httpx.Response]) -> httpx.Response:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=120)

    failures = await asyncio.to_thread(_fuzz, web_office, _operations(schema), real, role, on_loop, strategies)
    assert not failures, "\n\n".join(failures)


async def test_not_ready_answers_as_the_spec_says(web_office: WebOffice, schema: BaseSchema) -> None:
    """/readyz while Temporal does not answer: 503 with what does not answer, as the spec states (not a problem)."""
    nobody = TemporalSettings(address=f"127.0.0.1:{free_port()}", task_queue=web_office.task_queue)
    app = create_app(web_office.settings.model_copy(update={"temporal": nobody}), uow_factory=web_office.uow_factory)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http,
    ):
        response = await http.get("/readyz")
    assert response.status_code == 503, response.text
    assert response.json() == {"status": "belum siap", "basis_data": "siap", "temporal": "tidak menjawab"}
    conformance = [check for check in CHECKS if check is not not_a_server_error]  # a 503 is this answer's purpose
    schema["/readyz"]["GET"].Case().validate_response(response, checks=conformance)
