"""What guards the public survey form, which has no session to tie a form to: a signed field that says this site made
the form for this address not long ago (with the Origin check of every form, web.pages.deps.same_site), a signed
counter of the answers a browser gave today, and the keyed hash of the address an answer came from.

One key signs and hashes all three (a sub-key each): SURVEY__FORM_SECRET, or a random one made once and kept in the
database, so every web process reads the same. No external CAPTCHA service: the limits are in services.survey_form.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from web.deps import Services

FORM_FIELD = "f"
DEVICE_COOKIE = "kinerja_skm"
SECRET_NAME = "survey_form"
_SKEW_SECONDS = 300  # a form "made" this far in the future is still believed (clocks of two web processes)


@dataclass(frozen=True)
class SurveyKeys:
    form: bytes
    device: bytes
    address: bytes

    @classmethod
    def of(cls, secret: bytes) -> SurveyKeys:
        def sub(purpose: str) -> bytes:
            return hmac.new(secret, purpose.encode(), hashlib.sha256).digest()

        return cls(form=sub("kinerja survey form"), device=sub("kinerja survey device"), address=sub("address"))

    # --- the form's anti-forgery field ------------------------------------------------------------------------

    def form_token(self, code: str, now: datetime) -> str:
        issued = int(now.timestamp())
        nonce = secrets.token_hex(8)
        return f"{issued}.{nonce}.{self._mac(self.form, f'{code}.{issued}.{nonce}')}"

    def form_token_ok(self, code: str, token: str, now: datetime, *, max_age_seconds: int) -> bool:
        parts = token.split(".")
        if len(parts) != 3 or len(token) > 100 or not parts[0].isdigit():
            return False
        issued, nonce, mac = parts
        if not hmac.compare_digest(mac, self._mac(self.form, f"{code}.{issued}.{nonce}")):
            return False
        age = now.timestamp() - int(issued)
        return -_SKEW_SECONDS <= age <= max_age_seconds

    # --- the browser's counter -----------------------------------------------------------------------------------

    def device_answers(self, cookie: str | None, now: datetime) -> int:
        """Answers this browser gave today (UTC), by its cookie; 0 for none, another day's, or one not ours."""
        parts = (cookie or "").split(".")
        if len(parts) != 3 or len(cookie or "") > 100:
            return 0
        day, count, mac = parts
        if day != _day(now) or not count.isdigit():
            return 0
        if not hmac.compare_digest(mac, self._mac(self.device, f"{day}.{count}")):
            return 0
        return int(count)

    def device_cookie(self, answers: int, now: datetime) -> str:
        day = _day(now)
        return f"{day}.{answers}.{self._mac(self.device, f'{day}.{answers}')}"

    # --- the address ---------------------------------------------------------------------------------------------

    def address_key(self, address: str) -> str:
        """The address as the limit counts it: a keyed hash, so the database never holds the address."""
        return hmac.new(self.address, address.encode(), hashlib.sha256).hexdigest()

    @staticmethod
    def _mac(key: bytes, message: str) -> str:
        return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()[:32]


def _day(now: datetime) -> str:
    return now.strftime("%Y%m%d")


async def survey_keys(request: Request, svc: Services) -> SurveyKeys:
    """The keys of this app (read once: from the settings, or the database's, made by the first process to ask)."""
    found: SurveyKeys | None = getattr(request.app.state, "survey_keys", None)
    if found is not None:
        return found
    configured = svc.settings.survey.form_secret
    if configured is not None:
        secret = configured.get_secret_value()
    else:

        def stored() -> str:
            with svc.uow_factory() as uow:
                value = uow.survey_form.secret(SECRET_NAME, secrets.token_hex(32), svc.clock())
                uow.commit()
            return value

        secret = await run_in_threadpool(stored)
    found = SurveyKeys.of(secret.encode())
    request.app.state.survey_keys = found
    return found
