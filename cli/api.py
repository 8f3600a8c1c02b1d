"""The command line as a client of Kinerja's HTTP API: every request as the signed-in person, every answer that is
not a success as one line a person understands.

- a refusal (403, 404, 409, 422, ...) is the problem's own detail, already Indonesian and naming the field:
  `ditolak: <field>: <detail>`;
- 401: the token is no longer valid, so `kinerja masuk` again;
- 503: an outage (Temporal or the database), not a refusal: the detail says what to do;
- an API that does not answer is told as such, with the command that starts one (`kinerja up` or `kinerja web`).

A step carries a fresh Idempotency-Key (a uuid4); the one automatic retry after a connection error sends the same
key, so the API answers a step that did arrive with its first result instead of recording it twice.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from cli.output import CommandError
from workflows.contracts import AppraisalState, AppraisalSummary

API_PREFIX = "/api/v1"
# A step waits for the workflow's Update; Temporal answers within seconds, a busy worker may take longer.
TIMEOUT = httpx.Timeout(90.0, connect=5.0)
USER_AGENT = "kinerja-cli"


class ApiError(CommandError):
    """An answer that is not a success; the message is the one line the user sees."""

    def __init__(
        self, message: str, *, status: int | None = None, field: str | None = None, detail: str | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.field = status, field
        self.detail = detail or message  # the API's own words, without the command line's hint


class Unreachable(ApiError):
    """Nothing answered at the API's address: no request reached it."""


class Api:
    """One base URL and (once signed in) one bearer token; use as `async with Api(url, token) as api:`."""

    def __init__(self, base_url: str, token: str | None = None, *, transport: httpx.AsyncBaseTransport | None = None):
        self.base_url = base_url.rstrip("/")
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=TIMEOUT, transport=transport)

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def get(self, path: str, *, params: dict[str, Any] | None = None) -> Any:
        return await self._send("GET", path, params=params)

    async def post(self, path: str, body: dict[str, Any] | None = None, *, key: str | None = None) -> Any:
        return await self._send("POST", path, body=body, key=key)

    async def delete(self, path: str) -> Any:
        return await self._send("DELETE", path)

    async def step(self, cycle_id: str, nip: str, step: str, body: dict[str, Any]) -> AppraisalSummary:
        """One human step of an appraisal (services.steps.STEPS names them): where it stands now, and the step."""
        path = f"/cycles/{segment(cycle_id)}/appraisals/{segment(nip)}/steps/{step}"
        answer = await self.post(path, body, key=str(uuid.uuid4()))
        return AppraisalSummary.model_validate(answer)

    async def appraisal(self, cycle_id: str, nip: str) -> AppraisalState:
        answer = await self.get(f"/cycles/{segment(cycle_id)}/appraisals/{segment(nip)}")
        return AppraisalState.model_validate(answer)

    async def download(self, path: str) -> bytes:
        """A file the API answers with (a PDF, a workbook): its bytes, or the refusal as for any call."""
        try:
            response = await self._http.get(API_PREFIX + path)
        except httpx.ConnectError:
            raise Unreachable(unreachable(self.base_url)) from None
        if response.is_success:
            return response.content
        raise answer_error(response)

    async def _send(
        self, method: str, path: str, *, body: dict[str, Any] | None = None, params: Any = None, key: str | None = None
    ) -> Any:
        headers = {"Idempotency-Key": key} if key is not None else None
        url = API_PREFIX + path
        for attempt in (1, 2):
            try:
                response = await self._http.request(method, url, json=body, params=params, headers=headers)
                break
            except httpx.ConnectError:
                # Nothing reached the API: the same request once more (a restart, a dropped connection).
                if attempt == 2:
                    raise Unreachable(unreachable(self.base_url)) from None
            except httpx.TransportError:
                # Sent, but the answer was lost: safe to send again only with the same Idempotency-Key (or a read).
                if attempt == 2 or (method != "GET" and key is None):
                    raise ApiError(
                        f"jawaban API Kinerja di {self.base_url} tidak sampai; langkah mungkin sudah tercatat —"
                        " periksa dengan `kinerja status` sebelum mengulang"
                    ) from None
        if response.status_code == 204:
            return None
        if response.is_success:
            return response.json()
        raise answer_error(response)


def answer_error(response: httpx.Response) -> ApiError:
    """The user's line for an answer that is not a success (a problem+json, or whatever a proxy put there)."""
    status = response.status_code
    problem = _problem(response)
    detail = str(problem.get("detail") or response.reason_phrase or "galat")
    field = problem.get("field") if isinstance(problem.get("field"), str) else None
    if status == 401:
        hint = "" if "kinerja masuk" in detail else "; masuk dengan `kinerja masuk`"
        return ApiError(f"{detail}{hint}", status=status, field=field, detail=detail)
    if status in (502, 503, 504):
        # An outage, never a refusal: nothing was decided about the step.
        shown = detail if problem else f"API Kinerja tidak tersedia ({status})"
        return ApiError(shown, status=status, field=field, detail=detail)
    if status >= 500:
        return ApiError(f"API Kinerja gagal ({status}): {detail}", status=status, field=field, detail=detail)
    return ApiError(f"ditolak: {refusal(problem, detail)}", status=status, field=field, detail=detail)


def refusal(problem: dict[str, Any], detail: str) -> str:
    """`field: detail (aturan: rule)`, as the command line has always worded a refused step."""
    field, rule = problem.get("field"), problem.get("rule")
    text = detail if not field or detail.startswith(f"{field}") else f"{field}: {detail}"
    return f"{text} (aturan: {rule})" if rule and str(rule) not in text else text


def unreachable(base_url: str) -> str:
    return (
        f"API Kinerja tidak dapat dihubungi di {base_url}: jalankan `kinerja up` (atau `kinerja web`) di terminal"
        " lain, atau masuk ke alamat lain dengan `kinerja masuk --api URL`"
    )


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def segment(value: str) -> str:
    """A path segment as typed, with nothing that could leave the segment."""
    cleaned = "".join(value.split())
    if not cleaned or any(ch in cleaned for ch in "/?#%"):
        raise CommandError(f"'{value}' tidak dapat dipakai sebagai id (tanpa /, ?, # atau %)")
    return cleaned
