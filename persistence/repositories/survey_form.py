"""The citizens' survey form in SQL: short addresses, tokens, the per-address limit, a site secret and the answers.

The answers go into `survey_responses`, the table `kinerja impor survei` fills, with the same columns
(persistence.repositories.survey) plus the optional profile, so the IKM computed at the window's close reads both
alike. Everything on a submission's path is one Core statement each: a form is answered many times a second at a
busy office.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Executable, Result, Select, Table, and_, bindparam, delete, exists, func, insert, select, update
from sqlalchemy.orm import Session

from domain.survey_form import Profile
from persistence.orm import (
    Base,
    CycleRow,
    CycleSurveyRow,
    InstansiRow,
    SiteSecretRow,
    SurveyLimitRow,
    SurveyLinkRow,
    SurveyResponseRow,
    SurveyTokenRow,
    UnitRow,
)
from persistence.ports import SURVEY_ITEMS, SurveyResponseRecord
from persistence.repositories._sql import dialect_insert, insert_unless_exists
from persistence.survey_form import FormTarget, SurveyLink, TokenCount, TokenSpent

_ANSWER_COLUMNS = [f"u{n}" for n in range(1, SURVEY_ITEMS + 1)]


def _link(row: SurveyLinkRow) -> SurveyLink:
    return SurveyLink(
        code=row.code,
        cycle_id=row.cycle_id,
        instansi_code=row.instansi_code,
        period=row.period,
        unit_code=row.unit_code,
        created_at=row.created_at,
        created_by=row.created_by,
    )


class SqlSurveyFormRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _hot_run(self, name: str, values: dict[str, Any]) -> Result[Any]:
        """One of the submission path's statements, on the unit of work's connection: Core, without the ORM's
        execution layer (a fifth of a submission's CPU through Session.execute)."""
        connection = self._session.connection()
        statement: Executable = getattr(_hot(connection.dialect.name), name)
        return connection.execute(statement, values)

    # --- addresses ------------------------------------------------------------------------------------------------

    def links(self, cycle_id: str) -> builtins.list[SurveyLink]:
        rows = self._session.scalars(
            select(SurveyLinkRow).where(SurveyLinkRow.cycle_id == cycle_id).order_by(SurveyLinkRow.unit_code)
        )
        return [_link(row) for row in rows]

    def add_links(self, links: Sequence[SurveyLink]) -> int:
        """Store the addresses of units that have none for the cycle yet; returns how many were stored."""
        stored = 0
        for link in links:
            found = self._session.execute(
                insert_unless_exists(self._session, SurveyLinkRow, ["cycle_id", "unit_code"])
                .values(**link.model_dump())
                .returning(SurveyLinkRow.code)
            ).scalar_one_or_none()
            stored += found is not None
        return stored

    def target(self, code: str) -> FormTarget | None:
        row = self._hot_run("target", {"code": code}).one_or_none()
        if row is None:
            return None
        (code, cycle_id, instansi_code, period, unit_code, created_at, created_by, instansi_name, unit_name, opens,
         closes, deadlines, computed_at, tokens) = tuple(row)  # fmt: skip
        offset = deadlines.get("utc_offset_hours") if isinstance(deadlines, dict) else None
        link = SurveyLink(
            code=code,
            cycle_id=cycle_id,
            instansi_code=instansi_code,
            period=period,
            unit_code=unit_code,
            created_at=created_at,
            created_by=created_by,
        )
        return FormTarget(
            link=link,
            instansi_name=instansi_name,
            unit_name=unit_name or unit_code,
            opens=opens,
            closes=closes,
            utc_offset_hours=offset if isinstance(offset, int) else None,
            computed_at=computed_at,
            uses_tokens=bool(tokens),
        )

    # --- the answer and what guards it -------------------------------------------------------------------------

    def hold(self, instansi_code: str) -> None:
        """Hold the instansi against the IKM's computation until this unit of work ends (InstansiRepository.lock is
        what the computation and an import take). On PostgreSQL a shared row lock: answers go on side by side and
        only the computation waits for them (and they for it); on SQLite the database's write lock, as `lock`."""
        self._hot_run("hold", {"instansi": instansi_code})

    def computed_at(self, cycle_id: str) -> datetime | None:
        found: datetime | None = self._hot_run("computed_at", {"cycle_id": cycle_id}).scalar_one_or_none()
        return found

    def add_tokens(self, code: str, hashes: Collection[str], now: datetime) -> int:
        if not hashes:
            return 0
        self._session.execute(
            insert(SurveyTokenRow),
            [{"token_hash": h, "link_code": code, "created_at": now, "used_at": None} for h in hashes],
        )
        return len(hashes)

    def spend_token(self, code: str, token_hash: str, now: datetime) -> TokenSpent:
        """Mark the token used, if it is this address's and unused: one statement, so two answers with one token at
        once cannot both spend it."""
        token = SurveyTokenRow
        spent = self._session.execute(
            update(token)
            .where(token.token_hash == token_hash, token.link_code == code, token.used_at.is_(None))
            .values(used_at=now)
        )
        if getattr(spent, "rowcount", 0) == 1:
            return TokenSpent.SPENT
        used = self._session.execute(
            select(token.used_at).where(token.token_hash == token_hash, token.link_code == code)
        ).first()
        return TokenSpent.USED if used is not None else TokenSpent.UNKNOWN

    def token_counts(self, cycle_id: str) -> dict[str, TokenCount]:
        token, link = SurveyTokenRow, SurveyLinkRow
        rows = self._session.execute(
            select(link.unit_code, func.count(), func.count(token.used_at))
            .join(link, link.code == token.link_code)
            .where(link.cycle_id == cycle_id)
            .group_by(link.unit_code)
        )
        return {unit: TokenCount(issued=issued, used=used) for unit, issued, used in rows}

    def hit(self, key: str, window_start: datetime, *, prune_before: datetime) -> int:
        """Count one answer for `key` in the window starting then; returns the window's count with it. The first
        answer of a key in a window also clears the counts of windows long past."""
        hits = int(self._hot_run("hit", {"key": key, "window_start": window_start, "hits": 1}).scalar_one())
        if hits == 1:
            self._hot_run("prune", {"before": prune_before})
        return hits

    def add_answer(self, response: SurveyResponseRecord, profile: Profile) -> bool:
        """Store one answer (False: its respondent token was stored already)."""
        values: dict[str, Any] = response.model_dump(exclude={"answers"})
        values.update(zip(_ANSWER_COLUMNS, response.answers, strict=True))
        values.update(age=profile.age, sex=profile.sex, education=profile.education, occupation=profile.occupation)
        stored = self._hot_run("answer", values).scalar_one_or_none()
        return stored is not None

    def answers_by_unit(self, instansi_code: str, period: int) -> dict[str, int]:
        response = SurveyResponseRow
        rows = self._session.execute(
            select(response.unit_code, func.count())
            .where(response.instansi_code == instansi_code, response.period == period)
            .group_by(response.unit_code)
        )
        return {unit: int(count) for unit, count in rows}

    def secret(self, name: str, candidate: str, now: datetime) -> str:
        """The secret kept under `name`: `candidate` if there was none (the first process to ask stores it)."""
        self._session.execute(
            insert_unless_exists(self._session, SiteSecretRow, ["name"]).values(
                name=name, value=candidate, created_at=now
            )
        )
        return str(self._session.execute(select(SiteSecretRow.value).where(SiteSecretRow.name == name)).scalar_one())


@dataclass(frozen=True)
class _Statements:
    target: Select[Any]
    hold: Executable
    computed_at: Select[Any]
    hit: Executable
    prune: Executable
    answer: Executable


def _table(row: type[Base]) -> Table:
    found: Table = row.__table__  # type: ignore[assignment]
    return found


@cache
def _hot(dialect: str) -> _Statements:
    """The statements of a submission's path, built once per backend: the values go in as parameters, so SQLAlchemy
    neither builds them again nor recomputes their cache keys (most of a submission's CPU when built per call)."""
    link, cycle, unit = _table(SurveyLinkRow), _table(CycleRow), _table(UnitRow)
    computed, instansi, token = _table(CycleSurveyRow), _table(InstansiRow), _table(SurveyTokenRow)
    limits, responses = _table(SurveyLimitRow), _table(SurveyResponseRow)
    uses_tokens = exists().where(token.c.link_code == link.c.code)
    target = (
        select(
            link.c.code,
            link.c.cycle_id,
            link.c.instansi_code,
            link.c.period,
            link.c.unit_code,
            link.c.created_at,
            link.c.created_by,
            instansi.c.name,
            unit.c.name,
            cycle.c.survey_opens,
            cycle.c.survey_closes,
            cycle.c.deadlines,
            computed.c.computed_at,
            uses_tokens,
        )
        .select_from(
            link.join(cycle, cycle.c.cycle_id == link.c.cycle_id)
            .join(instansi, instansi.c.code == link.c.instansi_code)
            .outerjoin(unit, and_(unit.c.instansi_code == link.c.instansi_code, unit.c.code == link.c.unit_code))
            .outerjoin(computed, computed.c.cycle_id == link.c.cycle_id)
        )
        .where(link.c.code == bindparam("code"))
    )
    hold: Executable
    if dialect == "postgresql":
        hold = select(instansi.c.code).where(instansi.c.code == bindparam("instansi")).with_for_update(read=True)
    else:
        hold = (
            update(instansi)
            .where(instansi.c.code == bindparam("instansi"))
            .values(policy_revision=instansi.c.policy_revision)
        )
    hit = (
        dialect_insert(dialect, limits)
        .on_conflict_do_update(index_elements=["key", "window_start"], set_={"hits": limits.c.hits + 1})
        .returning(limits.c.hits)
    )
    answer = (
        dialect_insert(dialect, responses)
        .on_conflict_do_nothing(index_elements=["instansi_code", "period", "respondent_token"])
        .returning(responses.c.id)
    )
    return _Statements(
        target=target,
        hold=hold,
        computed_at=select(computed.c.computed_at).where(computed.c.cycle_id == bindparam("cycle_id")),
        hit=hit,
        prune=delete(limits).where(limits.c.window_start < bindparam("before")),
        answer=answer,
    )
