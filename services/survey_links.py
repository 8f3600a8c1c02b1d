"""The survey's addresses and tokens as the admin kepegawaian and the pengelola kinerja keep them: a short address per
unit for a cycle (`/s/{code}`, a random code printed on the counter's poster with its QR code), and one-time tokens a
unit hands out on its receipts (shown once when made, stored only as hashes).

Who may: the roles that import survey answers (web.routes.imports: admin kepegawaian, pengelola kinerja), for a
cycle of an instansi where they hold the role; someone with no part in that instansi is told the cycle does not
exist. Making addresses and tokens is an audit entry with the person who did it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from domain.access import Principal
from domain.errors import DomainError, Forbidden, NotFound
from domain.stages import Role
from domain.survey_form import new_code, new_token, normal_token
from domain.survey_window import SurveyPhase
from persistence.ports import AbstractUnitOfWork, CycleRecord
from persistence.survey_form import SurveyLink, TokenCount
from services.actors import Acting, audit
from services.survey_form import token_hash
from services.surveys import window_of

UowFactory = Callable[[], AbstractUnitOfWork]
KEEPERS = (Role.ADMIN_KEPEGAWAIAN, Role.PENGELOLA_KINERJA)
MAX_TOKENS = 1000  # made at once: a day's receipts at a busy counter, printed on a few pages


def short_url(public_url: str, code: str) -> str:
    return f"{public_url.rstrip('/')}/s/{code}"


@dataclass(frozen=True)
class UnitAddress:
    unit_code: str
    unit_name: str
    code: str | None  # None: no address made yet
    url: str | None
    tokens: TokenCount
    answers: int  # answers stored for the unit in the period (the form's and the imported)


@dataclass(frozen=True)
class CycleAddresses:
    cycle: CycleRecord
    instansi_name: str
    phase: SurveyPhase
    computed: bool
    units: list[UnitAddress]

    @property
    def missing(self) -> int:
        return sum(1 for unit in self.units if unit.code is None)


@dataclass(frozen=True)
class Poster:
    code: str
    url: str
    unit_name: str
    instansi_name: str
    cycle: CycleRecord
    uses_tokens: bool


def cycle_for(uow: AbstractUnitOfWork, principal: Principal, cycle_id: str, roles: Collection[Role]) -> CycleRecord:
    """The cycle, if the person holds one of `roles` for it; NotFound if they have no part in its instansi."""
    cycle = uow.cycles.get(cycle_id) if 0 < len(cycle_id) <= 64 else None
    if cycle is None or cycle.instansi_code not in principal.instansi():
        raise NotFound(f"siklus {cycle_id} tidak ditemukan", field="siklus")
    if not principal.roles_in(cycle.instansi_code, cycle_id) & set(roles):
        allowed = ", ".join(role.label for role in roles)
        raise Forbidden(f"hanya {allowed} yang mengelola alamat survei", field="peran")
    return cycle


def cycles_kept(uow_factory: UowFactory, principal: Principal, *, limit: int = 20) -> list[tuple[str, CycleRecord]]:
    """The latest cycles of every instansi where the person keeps the survey, with the instansi's name."""
    found: list[tuple[str, CycleRecord]] = []
    with uow_factory() as uow:
        for code in sorted(principal.instansi()):
            instansi = uow.instansi.get(code)
            if instansi is None:
                continue
            for cycle in uow.cycles.of_instansi(code, limit=limit):
                if principal.roles_in(code, cycle.cycle_id) & set(KEEPERS):
                    found.append((instansi.name, cycle))
    return found


def addresses(
    uow_factory: UowFactory, principal: Principal, cycle_id: str, *, public_url: str, now: datetime
) -> CycleAddresses:
    """Every unit of the cycle's instansi with its address (if made), its tokens and the answers stored for it."""
    with uow_factory() as uow:
        cycle = cycle_for(uow, principal, cycle_id, KEEPERS)
        instansi = uow.instansi.get(cycle.instansi_code)
        units = uow.units.list_by_instansi(cycle.instansi_code)
        links = {link.unit_code: link for link in uow.survey_form.links(cycle_id)}
        tokens = uow.survey_form.token_counts(cycle_id)
        answers = uow.survey_form.answers_by_unit(cycle.instansi_code, cycle.period)
        computed = uow.survey_form.computed_at(cycle_id) is not None
    rows = [
        UnitAddress(
            unit_code=unit.code,
            unit_name=unit.name,
            code=links[unit.code].code if unit.code in links else None,
            url=short_url(public_url, links[unit.code].code) if unit.code in links else None,
            tokens=tokens.get(unit.code, TokenCount()),
            answers=answers.get(unit.code, 0),
        )
        for unit in units
    ]
    return CycleAddresses(
        cycle=cycle,
        instansi_name=instansi.name if instansi else cycle.instansi_code,
        phase=window_of(cycle).phase(now),
        computed=computed,
        units=rows,
    )


def create_addresses(uow_factory: UowFactory, principal: Principal, cycle_id: str, *, by: Acting, now: datetime) -> int:
    """Make an address for every unit of the instansi that has none for the cycle; returns how many were made."""
    with uow_factory() as uow:
        cycle = cycle_for(uow, principal, cycle_id, KEEPERS)
        have = {link.unit_code for link in uow.survey_form.links(cycle_id)}
        wanted = [unit for unit in uow.units.list_by_instansi(cycle.instansi_code) if unit.code not in have]
        made = uow.survey_form.add_links(
            [
                SurveyLink(
                    code=new_code(),
                    cycle_id=cycle_id,
                    instansi_code=cycle.instansi_code,
                    period=cycle.period,
                    unit_code=unit.code,
                    created_at=now,
                    created_by=by.nip,
                )
                for unit in wanted
            ]
        )
        if made:
            audit(uow, by, "survey.links", subject=cycle_id, after={"unit": [u.code for u in wanted]}, now=now)
        uow.commit()
    return made


def poster(uow_factory: UowFactory, principal: Principal, cycle_id: str, unit_code: str, *, public_url: str) -> Poster:
    with uow_factory() as uow:
        cycle = cycle_for(uow, principal, cycle_id, KEEPERS)
        link = _link(uow, cycle_id, unit_code)
        target = uow.survey_form.target(link.code)
    assert target is not None
    return Poster(
        code=link.code,
        url=short_url(public_url, link.code),
        unit_name=target.unit_name,
        instansi_name=target.instansi_name,
        cycle=cycle,
        uses_tokens=target.uses_tokens,
    )


def issue_tokens(
    uow_factory: UowFactory,
    principal: Principal,
    cycle_id: str,
    unit_code: str,
    count: int,
    *,
    by: Acting,
    now: datetime,
    public_url: str,
) -> tuple[Poster, list[str]]:
    """`count` new one-time tokens for the unit's address, as they are printed; only their hashes are kept, so this
    is the one time they can be read. From the first token on, the unit's form asks for one."""
    if isinstance(count, bool) or not 1 <= count <= MAX_TOKENS:
        raise DomainError(f"jumlah token 1 sampai {MAX_TOKENS} sekali buat", field="jumlah")
    with uow_factory() as uow:
        cycle = cycle_for(uow, principal, cycle_id, KEEPERS)
        link = _link(uow, cycle_id, unit_code)
        if window_of(cycle).phase(now) is SurveyPhase.CLOSED or uow.survey_form.computed_at(cycle_id) is not None:
            raise DomainError("masa survei siklus ini sudah ditutup; token tidak dapat dipakai lagi", field="jumlah")
        tokens = sorted({new_token() for _ in range(count)})
        while len(tokens) < count:  # two alike among 31^12: practically never, but a token is one answer
            tokens = sorted({*tokens, new_token()})
        uow.survey_form.add_tokens(link.code, [token_hash(normal_token(t)) for t in tokens], now)
        audit(uow, by, "survey.tokens", subject=cycle_id, after={"unit": unit_code, "jumlah": count}, now=now)
        target = uow.survey_form.target(link.code)
        uow.commit()
    assert target is not None
    found = Poster(
        code=link.code,
        url=short_url(public_url, link.code),
        unit_name=target.unit_name,
        instansi_name=target.instansi_name,
        cycle=cycle,
        uses_tokens=True,
    )
    return found, tokens


def _link(uow: AbstractUnitOfWork, cycle_id: str, unit_code: str) -> SurveyLink:
    link = next((found for found in uow.survey_form.links(cycle_id) if found.unit_code == unit_code), None)
    if link is None:
        raise NotFound(
            f"unit {unit_code} belum mempunyai alamat survei untuk siklus {cycle_id}; buat alamatnya dahulu",
            field="unit",
        )
    return link
