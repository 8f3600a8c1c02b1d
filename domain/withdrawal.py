"""Withdrawing an employee from a running appraisal cycle: why, who may do it, from which steps, and who is told.

An employee who leaves the instansi mid-period (moved, retired, died, dismissed) or stops working for it for a long
time (unpaid leave, study leave) cannot finish the cycle: nobody would draft, review or sign for them, and every
deadline would escalate to the supervision team for nothing. The pengelola kinerja (BKD/BKPSDM), who keeps the
roster, withdraws the appraisal with the cause and a written reason. It ends at once, out of the worklist, the
calibration and the cycle's predicates, and the audit log keeps who did it, when, why and from which step.

The domain notes (../shared/domain/asn-appraisal.md) hold no rule for a partial period: what the new instansi does
with the months served here is its own cycle's matter. The causes below are the ones HR records, not a legal list.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from domain.errors import DomainError
from domain.stages import Action, IllegalTransition, Role, Step

WITHDRAW_ROLES = frozenset({Role.PENGELOLA_KINERJA})  # the roster is HR's: the one who knows someone has left


class WithdrawalCause(StrEnum):
    MUTASI = "mutasi"
    PENSIUN = "pensiun"
    MENINGGAL = "meninggal"
    DIBERHENTIKAN = "diberhentikan"
    CLTN = "cltn"
    TUGAS_BELAJAR = "tugas_belajar"
    LAINNYA = "lainnya"

    @property
    def label(self) -> str:
        return _CAUSE_LABELS[self]


_CAUSE_LABELS = {
    WithdrawalCause.MUTASI: "pindah ke instansi lain (mutasi)",
    WithdrawalCause.PENSIUN: "pensiun",
    WithdrawalCause.MENINGGAL: "meninggal dunia",
    WithdrawalCause.DIBERHENTIKAN: "diberhentikan",
    WithdrawalCause.CLTN: "cuti di luar tanggungan negara",
    WithdrawalCause.TUGAS_BELAJAR: "tugas belajar",
    WithdrawalCause.LAINNYA: "sebab lain",
}


def withdrawal_step(step: Step, role: Role) -> Step:
    """The step a withdrawal leads to from `step` by `role`, or IllegalTransition saying why not.

    Any open step may be withdrawn from, sign-off and the objection window included: someone may die in them too.
    A closed appraisal keeps its result."""
    if role not in WITHDRAW_ROLES:
        raise IllegalTransition(
            f"'{Action.WITHDRAW.label}' hanya dapat dilakukan oleh {Role.PENGELOLA_KINERJA.label}, bukan {role.label}",
            field="peran",
            rule="penarikan pegawai dari siklus dilakukan pengelola data pegawai (BKD/BKPSDM)",
        )
    if step is Step.WITHDRAWN:
        raise IllegalTransition("pegawai ini sudah ditarik dari siklus", field="tahap")
    if step.closed:
        raise IllegalTransition(
            f"penilaian ini sudah {Step.FINAL.label.lower()} dan hasilnya tetap; tidak dapat ditarik lagi",
            field="tahap",
        )
    return Step.WITHDRAWN


def told_of_withdrawal(cause: WithdrawalCause, employee_nip: str, penilai_nip: str, assignees: list[str]) -> list[str]:
    """Who hears of it: the employee unless they died, the pejabat penilai, and whoever's list loses the step now
    (the atasan deciding an objection, say)."""
    told = [employee_nip, penilai_nip, *assignees]
    if cause is WithdrawalCause.MENINGGAL:
        told = [nip for nip in told if nip != employee_nip]
    return list(dict.fromkeys(told))


def check_effective_on(effective_on: date | None, period: int) -> None:
    """The TMT, when given, falls in the appraisal's year or the next (a retirement from 1 January, say): a date
    further off is a typing error, and a withdrawal cannot be undone."""
    if effective_on is not None and effective_on.year not in (period, period + 1):
        raise DomainError(
            f"TMT {effective_on.isoformat()} tidak di tahun penilaian {period} atau tahun berikutnya", field="tmt"
        )
