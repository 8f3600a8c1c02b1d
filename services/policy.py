"""An instansi's appraisal policy: read it, and replace its adjustments (`kinerja kebijakan tampil/atur`), each
change an audit entry with who made it and the versions before and after."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.bounds import check_text
from domain.errors import DomainError
from domain.policy import DEFAULT_POLICY, AppraisalPolicy
from persistence.ports import AbstractUnitOfWork
from services.actors import OPERATOR, Acting, audit

UowFactory = Callable[[], AbstractUnitOfWork]
MAX_OVERRIDES_BYTES = 20_000  # the whole adjustment as JSON: the full policy is a few kilobytes
MAX_DEPTH = 8  # the whole policy is 6 deep
FIELD = "penyesuaian"


def show(uow_factory: UowFactory, instansi_code: str | None) -> AppraisalPolicy:
    """The policy in force for the instansi (None: the regulation's defaults)."""
    if instansi_code is None:
        return DEFAULT_POLICY
    with uow_factory() as uow:
        return uow.instansi.policy(instansi_code)


def set_overrides(
    uow_factory: UowFactory,
    instansi_code: str,
    overrides: dict[str, Any],
    *,
    by: Acting = OPERATOR,
    now: datetime | None = None,
) -> AppraisalPolicy:
    """Replace the instansi's adjustments after checking they make a valid policy; the new policy in force."""
    check_overrides(overrides)
    with uow_factory() as uow:
        before = uow.instansi.policy(instansi_code)
        policy = uow.instansi.set_policy_overrides(instansi_code, overrides)
        audit(
            uow,
            by,
            "policy.set",
            subject=instansi_code,
            before={"version": before.version},
            after={"version": policy.version, "overrides": overrides},
            now=now,
        )
        uow.commit()
    return policy


def check_overrides(overrides: object) -> None:
    """Bounds on an adjustment before it is read: an object of limited size and depth, texts without control
    characters. Whether it makes a valid policy is the policy's own check."""
    if not isinstance(overrides, dict):
        raise DomainError('harus berupa objek JSON, mis. {"survey": {...}}', field=FIELD)
    size = len(json.dumps(overrides, ensure_ascii=False).encode())
    if size > MAX_OVERRIDES_BYTES:
        raise DomainError(
            f"paling besar {MAX_OVERRIDES_BYTES:,} bita sebagai JSON, yang dikirim {size:,}".replace(",", "."),
            field=FIELD,
        )
    _walk(overrides, FIELD, 0)


def _walk(value: object, where: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise DomainError(f"bersarang lebih dari {MAX_DEPTH} tingkat", field=where)
    if isinstance(value, dict):
        for key, item in value.items():
            check_text(str(key), where, limit=100, multiline=False)
            _walk(item, f"{where}.{key}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{where}[{index}]", depth + 1)
    elif isinstance(value, str):
        check_text(value, where, limit=200, multiline=False)
    elif isinstance(value, float) and not math.isfinite(value):
        raise DomainError("bukan bilangan yang sah (NaN atau tak hingga)", field=where)
