"""The appraisal stage machine: stages, who may act in each, and the legal transitions (PermenPANRB 6/2022 Pasal 5).

Plain data and functions so the rules are tested without Temporal; the workflow asks `transition` before it
records anything, and its Update validators use the same call to reject a wrong actor or a wrong stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.errors import DomainError


class Stage(StrEnum):
    """The seven stages users and reports speak of."""

    TARGET_SETTING = "target_setting"
    SELF_ASSESSMENT = "self_assessment"
    SUPERVISOR_REVIEW = "supervisor_review"
    CALIBRATION = "calibration"
    SIGN_OFF = "sign_off"
    OBJECTION_WINDOW = "objection_window"
    FINAL = "final"
    WITHDRAWN = "withdrawn"  # taken out of the cycle before the end (domain.withdrawal)

    @property
    def label(self) -> str:
        return _STAGE_LABELS[self]


_STAGE_LABELS = {
    Stage.TARGET_SETTING: "Penyusunan SKP",
    Stage.SELF_ASSESSMENT: "Penilaian Diri",
    Stage.SUPERVISOR_REVIEW: "Penilaian oleh Pejabat Penilai",
    Stage.CALIBRATION: "Kalibrasi",
    Stage.SIGN_OFF: "Penetapan",
    Stage.OBJECTION_WINDOW: "Masa Keberatan",
    Stage.FINAL: "Final",
    Stage.WITHDRAWN: "Ditarik dari Siklus",
}


class Role(StrEnum):
    PEGAWAI = "pegawai"
    PENILAI = "penilai"  # pejabat penilai kinerja
    ATASAN_PENILAI = "atasan_penilai"
    PENGELOLA_KINERJA = "pengelola_kinerja"  # HR: BKD/BKPSDM
    PENGAWASAN = "pengawasan"  # internal supervision team
    SYSTEM = "system"
    # Roles held in an instansi rather than on one appraisal (domain.access): they act through the API and the audit
    # log names them; an appraisal's Update validators know only the roles above.
    PIMPINAN = "pimpinan"  # sets the organisation predicate and decides calibration (SE MenPAN-RB 3/2023)
    ADMIN_KEPEGAWAIAN = "admin_kepegawaian"  # imports, cycles, accounts and roles
    OPERATOR = "operator"  # read-only: histories and health

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]


_ROLE_LABELS = {
    Role.PEGAWAI: "Pegawai",
    Role.PENILAI: "Pejabat Penilai Kinerja",
    Role.ATASAN_PENILAI: "Atasan Pejabat Penilai Kinerja",
    Role.PENGELOLA_KINERJA: "Pengelola Kinerja (BKD/BKPSDM)",
    Role.PENGAWASAN: "Tim Pengawasan",
    Role.SYSTEM: "Sistem",
    Role.PIMPINAN: "Pimpinan",
    Role.ADMIN_KEPEGAWAIAN: "Admin Kepegawaian",
    Role.OPERATOR: "Operator",
}


class Step(StrEnum):
    """Who is to act next: a finer cut of the stages (each step has exactly one responsible role)."""

    SKP_DRAFTING = "skp_drafting"
    SKP_APPROVAL = "skp_approval"
    # A new version of the SKP proposed during the year (domain.skp_versions); the one in force stays meanwhile.
    SKP_CHANGE_APPROVAL = "skp_change_approval"
    SELF_ASSESSMENT = "self_assessment"
    SUPERVISOR_REVIEW = "supervisor_review"
    AWAITING_CALIBRATION = "awaiting_calibration"
    SIGN_OFF = "sign_off"
    OBJECTION_WINDOW = "objection_window"
    OBJECTION_REVIEW = "objection_review"
    FINAL = "final"
    WITHDRAWN = "withdrawn"

    @property
    def closed(self) -> bool:
        """Nobody acts on the appraisal any more: it ended with a predicate, or was withdrawn from the cycle."""
        return self in (Step.FINAL, Step.WITHDRAWN)

    @property
    def stage(self) -> Stage:
        return _STEP_STAGE[self]

    @property
    def responsible(self) -> Role:
        return _STEP_ROLE[self]

    @property
    def label(self) -> str:
        return _STEP_LABELS[self]


_STEP_STAGE = {
    Step.SKP_DRAFTING: Stage.TARGET_SETTING,
    Step.SKP_APPROVAL: Stage.TARGET_SETTING,
    Step.SKP_CHANGE_APPROVAL: Stage.TARGET_SETTING,
    Step.SELF_ASSESSMENT: Stage.SELF_ASSESSMENT,
    Step.SUPERVISOR_REVIEW: Stage.SUPERVISOR_REVIEW,
    Step.AWAITING_CALIBRATION: Stage.CALIBRATION,
    Step.SIGN_OFF: Stage.SIGN_OFF,
    Step.OBJECTION_WINDOW: Stage.OBJECTION_WINDOW,
    Step.OBJECTION_REVIEW: Stage.OBJECTION_WINDOW,
    Step.FINAL: Stage.FINAL,
    Step.WITHDRAWN: Stage.WITHDRAWN,
}
_STEP_ROLE = {
    Step.SKP_DRAFTING: Role.PEGAWAI,
    Step.SKP_APPROVAL: Role.PENILAI,
    Step.SKP_CHANGE_APPROVAL: Role.PENILAI,
    Step.SELF_ASSESSMENT: Role.PEGAWAI,
    Step.SUPERVISOR_REVIEW: Role.PENILAI,
    Step.AWAITING_CALIBRATION: Role.SYSTEM,
    Step.SIGN_OFF: Role.PENILAI,
    Step.OBJECTION_WINDOW: Role.PEGAWAI,
    Step.OBJECTION_REVIEW: Role.ATASAN_PENILAI,
    Step.FINAL: Role.SYSTEM,
    Step.WITHDRAWN: Role.SYSTEM,
}
_STEP_LABELS = {
    Step.SKP_DRAFTING: "Pegawai menyusun SKP",
    Step.SKP_APPROVAL: "Pejabat penilai menyetujui SKP",
    Step.SKP_CHANGE_APPROVAL: "Pejabat penilai menyetujui perubahan SKP",
    Step.SELF_ASSESSMENT: "Pegawai mengisi realisasi (penilaian diri)",
    Step.SUPERVISOR_REVIEW: "Pejabat penilai menilai kinerja",
    Step.AWAITING_CALIBRATION: "Menunggu hasil kalibrasi",
    Step.SIGN_OFF: "Pejabat penilai menetapkan hasil penilaian",
    Step.OBJECTION_WINDOW: "Pegawai menerima hasil atau mengajukan keberatan",
    Step.OBJECTION_REVIEW: "Atasan pejabat penilai memutus keberatan",
    Step.FINAL: "Selesai",
    Step.WITHDRAWN: "Ditarik dari siklus penilaian",
}


class Action(StrEnum):
    SUBMIT_SKP = "submit_skp"
    APPROVE_SKP = "approve_skp"
    RETURN_SKP = "return_skp"
    CHANGE_SKP = "change_skp"  # a new version during the year (domain.skp_versions)
    SUBMIT_SELF_ASSESSMENT = "submit_self_assessment"
    SUBMIT_REVIEW = "submit_review"
    APPLY_CALIBRATION = "apply_calibration"
    SIGN = "sign"
    ACKNOWLEDGE = "acknowledge"
    FILE_OBJECTION = "file_objection"
    DECIDE_OBJECTION = "decide_objection"
    CLOSE_OBJECTION_WINDOW = "close_objection_window"
    WITHDRAW = "withdraw"  # from any open step (domain.withdrawal), so not in TRANSITIONS

    @property
    def label(self) -> str:
        return _ACTION_LABELS[self]


_ACTION_LABELS = {
    Action.SUBMIT_SKP: "Ajukan SKP",
    Action.APPROVE_SKP: "Setujui SKP",
    Action.RETURN_SKP: "Kembalikan SKP",
    Action.CHANGE_SKP: "Ajukan perubahan SKP",
    Action.SUBMIT_SELF_ASSESSMENT: "Kirim penilaian diri",
    Action.SUBMIT_REVIEW: "Kirim penilaian",
    Action.APPLY_CALIBRATION: "Terapkan hasil kalibrasi",
    Action.SIGN: "Tetapkan hasil penilaian",
    Action.ACKNOWLEDGE: "Terima hasil penilaian",
    Action.FILE_OBJECTION: "Ajukan keberatan",
    Action.DECIDE_OBJECTION: "Putuskan keberatan",
    Action.CLOSE_OBJECTION_WINDOW: "Tutup masa keberatan",
    Action.WITHDRAW: "Tarik dari siklus",
}


@dataclass(frozen=True)
class Transition:
    step: Step
    action: Action
    to: Step
    by: Role | None = None  # None: the step's responsible role

    @property
    def actor(self) -> Role:
        return self.by or self.step.responsible


TRANSITIONS: tuple[Transition, ...] = (
    Transition(Step.SKP_DRAFTING, Action.SUBMIT_SKP, Step.SKP_APPROVAL),
    Transition(Step.SKP_APPROVAL, Action.APPROVE_SKP, Step.SELF_ASSESSMENT),
    Transition(Step.SKP_APPROVAL, Action.RETURN_SKP, Step.SKP_DRAFTING),
    # A change of SKP during the year (domain.skp_versions): approved, the new version is in force; returned, the
    # one in force stays. Either way the year goes on at the self-assessment.
    Transition(Step.SELF_ASSESSMENT, Action.CHANGE_SKP, Step.SKP_CHANGE_APPROVAL),
    Transition(Step.SKP_CHANGE_APPROVAL, Action.APPROVE_SKP, Step.SELF_ASSESSMENT),
    Transition(Step.SKP_CHANGE_APPROVAL, Action.RETURN_SKP, Step.SELF_ASSESSMENT),
    Transition(Step.SELF_ASSESSMENT, Action.SUBMIT_SELF_ASSESSMENT, Step.SUPERVISOR_REVIEW),
    Transition(Step.SUPERVISOR_REVIEW, Action.SUBMIT_REVIEW, Step.AWAITING_CALIBRATION),
    Transition(Step.AWAITING_CALIBRATION, Action.APPLY_CALIBRATION, Step.SIGN_OFF),
    Transition(Step.SIGN_OFF, Action.SIGN, Step.OBJECTION_WINDOW),
    # PP 30/2019 Pasal 59: keberatan within 14 days, to the atasan pejabat penilai, whose decision is final.
    Transition(Step.OBJECTION_WINDOW, Action.ACKNOWLEDGE, Step.FINAL),
    Transition(Step.OBJECTION_WINDOW, Action.FILE_OBJECTION, Step.OBJECTION_REVIEW),
    Transition(Step.OBJECTION_WINDOW, Action.CLOSE_OBJECTION_WINDOW, Step.FINAL, by=Role.SYSTEM),
    Transition(Step.OBJECTION_REVIEW, Action.DECIDE_OBJECTION, Step.FINAL),
)
_BY_KEY = {(t.step, t.action): t for t in TRANSITIONS}

# The pengelola kinerja fallback (PermenPANRB 8/2021 annex: HR drafts the SKP when the employee has not): HR and the
# supervision team may act on the employee's behalf, always with a reason. Reviewer steps are reassigned instead,
# because a rating must come from an appraising official.
TAKE_OVER_ROLES = frozenset({Role.PENGELOLA_KINERJA, Role.PENGAWASAN})
TAKE_OVER_ACTIONS = frozenset({Action.SUBMIT_SKP, Action.CHANGE_SKP, Action.SUBMIT_SELF_ASSESSMENT, Action.ACKNOWLEDGE})


# Stages someone may still be in, for filters: a closed appraisal (final or withdrawn) is on nobody's list.
OPEN_STAGES = list(dict.fromkeys(step.stage.value for step in Step if not step.closed))


class IllegalTransition(DomainError):
    """The action is not allowed in this step or not by this role."""


def allowed_actions(step: Step) -> list[Action]:
    return [t.action for t in TRANSITIONS if t.step is step]


def transition(step: Step, action: Action, role: Role, *, on_behalf: bool = False) -> Step:
    """The step after `role` does `action` in `step`, or IllegalTransition saying why not.

    `on_behalf` marks a take-over: a pengelola kinerja or the supervision team acting for the employee.
    """
    found = _BY_KEY.get((step, action))
    if found is None:
        allowed = ", ".join(a.label for a in allowed_actions(step)) or "tidak ada"
        raise IllegalTransition(
            f"'{action.label}' tidak dapat dilakukan pada tahap '{step.stage.label}' ({step.label});"
            f" yang dapat dilakukan: {allowed}",
            field="tahap",
            rule="urutan tahap penilaian kinerja (PermenPANRB 6/2022 Pasal 5)",
        )
    if on_behalf:
        if role not in TAKE_OVER_ROLES or action not in TAKE_OVER_ACTIONS:
            raise IllegalTransition(
                f"'{action.label}' tidak dapat diambil alih oleh {role.label}; pengambilalihan hanya untuk langkah"
                " pegawai oleh Pengelola Kinerja atau Tim Pengawasan",
                field="peran",
            )
        return found.to
    if role is not found.actor:
        raise IllegalTransition(
            f"'{action.label}' pada tahap '{step.stage.label}' hanya dapat dilakukan oleh {found.actor.label},"
            f" bukan {role.label}",
            field="peran",
        )
    return found.to
