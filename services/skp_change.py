"""A new version of the year's SKP as the person proposing it typed it (issue 20, domain.skp_versions): built by the
SKP editor's rules (services.skp_edit) from the draft sent with the step `skp-change` (services.steps), its rows
numbered after every id the earlier versions used, so the year's realisations name exactly one version's indicator.
The workflow checks the rest (the day it takes effect, who proposes, the reason).

Also what an RHK may cascade from, for a draft and for a change alike: the period's IKU and the penilai's RHKs.
"""

from __future__ import annotations

from collections.abc import Callable

from domain.access import AppraisalParties
from domain.errors import DomainError
from domain.skp import Skp
from persistence.ports import AbstractUnitOfWork
from services.skp_edit import References, SkpDraft, build_skp
from workflows.contracts import appraisal_workflow_id

UowFactory = Callable[[], AbstractUnitOfWork]


def new_version(uow_factory: UowFactory, parties: AppraisalParties, period: int, draft: SkpDraft) -> Skp:
    """The SKP `draft` describes as the next version of the employee's; DraftRefused naming every field that breaks
    a rule, DomainError when no SKP is stored. Whether it may change now (approved, at the self-assessment) is the
    workflow's to say."""
    nip = parties.employee_nip
    with uow_factory() as uow:
        stored = uow.skp.get(nip, period)
        if stored is None:
            raise DomainError(
                f"SKP pegawai {nip} periode {period} belum ada; perubahan SKP diajukan setelah SKP berlaku",
                field="skp",
            )
        earlier = [version.skp for version in uow.skp.versions(appraisal_workflow_id(parties.cycle_id, nip))]
        refs = references(uow, parties, period, stored.skp)
    taken = frozenset(
        {plan.id for skp in (stored.skp, *earlier) for plan in skp.rhk}
        | {indicator.id for skp in (stored.skp, *earlier) for plan in skp.rhk for indicator in plan.indicators}
    )
    return build_skp(draft.compact(), nip=nip, period=period, previous=None, references=refs, taken=taken)


def references(uow: AbstractUnitOfWork, parties: AppraisalParties, period: int, previous: Skp | None) -> References:
    """The period's IKU codes, and the RHKs of the pejabat penilai's SKP; a reference the stored draft already made
    (an import may cascade from another RHK of the instansi) stays valid."""
    codes = {iku.code for iku in uow.iku.for_period(parties.instansi_code, period)}
    superior = uow.skp.get(parties.penilai_nip, period)
    rhk = {r.id for r in superior.skp.rhk} if superior is not None else set()
    if previous is not None:
        rhk |= {
            r.cascaded_from.superior_rhk_id for r in previous.rhk if r.cascaded_from and r.cascaded_from.superior_rhk_id
        }
    return References(iku=frozenset(codes), superior_rhk=frozenset(rhk))
