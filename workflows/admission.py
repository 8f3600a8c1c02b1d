"""What only an appraisal Update's validator checks: the bounds on what people send (domain.bounds), and the rules
added after Updates were accepted without them (a manager may not make themself the reviewer).

Not in the plans, which the handler runs again (workflows/appraisal.py `_handle`): on replay a handler runs for every
Update accepted in the past, while Temporal runs a validator only when the Update arrives. A bound or rule added to a
plan would refuse, on replay, a step that was accepted and recorded under the old rules, change the commands the
replay produces and stop the appraisal; here it can only refuse what arrives from now on. Nor as constraints on the
contracts' fields, for the same reason: the payloads of accepted Updates are decoded again on every replay.

Imported through the sandbox's passthrough, like the rest of the workflow's helpers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.bounds import (
    MAX_EVIDENCE_ITEMS,
    MAX_FEEDBACK_CHARS,
    MAX_ID_CHARS,
    MAX_INDICATORS_PER_RHK,
    MAX_LIST_ITEMS,
    MAX_REASON_CHARS,
    MAX_RHK_ITEMS,
    MAX_SKP_TEXT_CHARS,
    MAX_URL_CHARS,
    check_amount,
    check_in_years,
    check_items,
    check_text,
)
from domain.errors import DomainError
from domain.skp import Realisation, Skp
from workflows.contracts import (
    Acknowledge,
    ApplyCalibration,
    ApproveSkp,
    ChangeSkp,
    DecideObjection,
    ExtendDeadline,
    FileObjection,
    Reassign,
    ReturnSkp,
    Sign,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitSkp,
    Withdraw,
)

Years = tuple[int, int]


def admit(command: object, years: Years, utc_offset_hours: int | None = None) -> None:
    """DomainError naming the field and the rule if `command` (an appraisal Update's payload) exceeds a bound;
    `years` are the first and last a date in it may fall in (domain.bounds.appraisal_years)."""
    check = _CHECKS.get(type(command))
    if check is not None:
        check(command, years, utc_offset_hours)


def _reason(text: str | None, field: str = "alasan", limit: int = MAX_REASON_CHARS) -> None:
    if text is not None:
        check_text(text, field, limit=limit)


def _skp(skp: Skp) -> None:
    check_items(skp.rhk, "skp.rhk", limit=MAX_RHK_ITEMS)
    for rhk in skp.rhk:
        where = f"skp.rhk[{rhk.id}]"
        check_text(rhk.text, f"{where}.teks", limit=MAX_SKP_TEXT_CHARS, multiline=False)
        check_items(rhk.indicators, f"{where}.indikator", limit=MAX_INDICATORS_PER_RHK)
        for indicator in rhk.indicators:
            check_text(indicator.text, f"{where}.indikator[{indicator.id}].teks", limit=MAX_SKP_TEXT_CHARS)
    for behaviour in skp.perilaku:
        check_text(behaviour.expectation, f"skp.perilaku[{behaviour.value.value}].ekspektasi")


def _submit_skp(cmd: SubmitSkp, _years: Years, _offset: int | None) -> None:
    _reason(cmd.reason)
    _skp(cmd.skp)


def _change_skp(cmd: ChangeSkp, years: Years, _offset: int | None) -> None:
    _reason(cmd.reason)
    _skp(cmd.skp)
    if not years[0] <= cmd.effective_from.year <= years[1]:
        raise DomainError(
            f"berlaku sejak {cmd.effective_from.isoformat()} di luar tahun penilaian", field="berlaku_sejak"
        )


def _self_assessment(cmd: SubmitSelfAssessment, _years: Years, _offset: int | None) -> None:
    _reason(cmd.reason)
    check_realisations(cmd.realisations)


def check_realisations(realisations: list[Realisation]) -> None:
    """The bounds of realisations as a self-assessment or a period's evaluation sends them."""
    check_items(realisations, "realisasi", limit=MAX_LIST_ITEMS)
    for index, realisation in enumerate(realisations):
        check_text(realisation.indicator_id, f"realisasi[{index}].indikator", limit=MAX_ID_CHARS, multiline=False)
        where = f"realisasi[{realisation.indicator_id}]"
        check_amount(realisation.value, f"{where}.nilai")
        check_text(realisation.note, f"{where}.catatan")
        check_items(realisation.evidence, f"{where}.bukti", limit=MAX_EVIDENCE_ITEMS)
        for number, link in enumerate(realisation.evidence):
            check_text(link, f"{where}.bukti[{number}]", limit=MAX_URL_CHARS, multiline=False)


def _review(cmd: SubmitReview, _years: Years, _offset: int | None) -> None:
    _reason(cmd.override_reason)
    _reason(cmd.feedback, "umpan_balik", MAX_FEEDBACK_CHARS)


def _extend(cmd: ExtendDeadline, years: Years, offset: int | None) -> None:
    _reason(cmd.reason)
    check_in_years(cmd.new_deadline, "new_deadline", years=years, utc_offset_hours=offset)


def _reassign(cmd: Reassign, _years: Years, _offset: int | None) -> None:
    _reason(cmd.reason)
    # Whoever reassigns (the supervision team, HR) manages the appraisal: rating it too would leave nobody to check
    # the rating. Validator-only (see the module's docstring): Updates accepted before the rule still replay.
    for field, nip in (("penilai_nip", cmd.penilai_nip), ("atasan_nip", cmd.atasan_nip)):
        if nip == cmd.actor.nip:
            raise DomainError(
                f"{cmd.actor.role.label} {nip} tidak dapat mengalihkan penilaian kepada dirinya sendiri;"
                " pilih pejabat lain",
                field=field,
                rule="pengalih bukan penerima pengalihan",
            )


def _note(cmd: ApproveSkp | Sign, _years: Years, _offset: int | None) -> None:
    _reason(cmd.note, "catatan")


def _comments(cmd: ReturnSkp, _years: Years, _offset: int | None) -> None:
    _reason(cmd.comments, "catatan")


def _reason_only(
    cmd: Acknowledge | FileObjection | DecideObjection | Withdraw | ApplyCalibration, _years: Years, _offset: int | None
) -> None:
    _reason(cmd.reason)


_CHECKS: dict[type, Callable[[Any, Years, int | None], None]] = {
    SubmitSkp: _submit_skp,
    ChangeSkp: _change_skp,
    ApproveSkp: _note,
    ReturnSkp: _comments,
    SubmitSelfAssessment: _self_assessment,
    SubmitReview: _review,
    Sign: _note,
    Acknowledge: _reason_only,
    FileObjection: _reason_only,
    DecideObjection: _reason_only,
    ExtendDeadline: _extend,
    Reassign: _reassign,
    Withdraw: _reason_only,
    ApplyCalibration: _reason_only,
}
