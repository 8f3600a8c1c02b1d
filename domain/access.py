"""Who may see and do what: the roles a signed-in person holds, and what each lets them reach.

Two kinds of role (PermenPANRB 6/2022 names them; which person holds them is the instansi's decision):
- roles **on an appraisal**, read from the appraisal itself: the employee (pegawai), the pejabat penilai and the
  atasan pejabat penilai. The appraisal workflow's validators check these again for every step.
- roles **in an instansi**, granted by its admin kepegawaian and kept in the database (`role_grants`): pimpinan, tim
  pengawasan, pengelola kinerja, admin kepegawaian and operator. A provincial BKD's pengelola may hold the role in
  several instansi; one person may hold several roles.

Everything is denied unless a rule here allows it. Someone who may not see an appraisal at all is told it does not
exist (the API answers 404), so a person of instansi A learns nothing of instansi B.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.stages import Role

# Roles granted per instansi (and per cycle, where a grant names one).
GRANTABLE = (Role.PIMPINAN, Role.PENGAWASAN, Role.PENGELOLA_KINERJA, Role.ADMIN_KEPEGAWAIAN, Role.OPERATOR)
# Who in the instansi reads every appraisal in it (the supervision team, HR, the leader, and operators for history).
INSTANSI_READERS = frozenset({Role.PIMPINAN, Role.PENGAWASAN, Role.PENGELOLA_KINERJA, Role.OPERATOR})


class Scope(StrEnum):
    """What a personal access token may be used for; a browser session has both."""

    READ = "baca"  # read what the person may see
    ACT = "langkah"  # take steps and change data as the person


ALL_SCOPES = frozenset(Scope)


class Grant(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: Role
    instansi_code: str
    cycle_id: str | None = None  # None: every cycle of the instansi

    def covers(self, instansi_code: str, cycle_id: str | None = None) -> bool:
        """Whether the grant reaches this instansi (cycle_id None: the instansi as a whole, which a grant limited to
        one cycle does not) or this cycle of it."""
        if self.instansi_code != instansi_code:
            return False
        return self.cycle_id is None or self.cycle_id == cycle_id


class Principal(BaseModel):
    """The signed-in person: their NIP, where the roster places them, and what they were granted."""

    model_config = ConfigDict(frozen=True)

    nip: str
    name: str
    instansi_code: str | None = None  # from the roster; None for someone on no roster (a Sekda, an operator)
    grants: tuple[Grant, ...] = ()
    scopes: frozenset[Scope] = ALL_SCOPES

    def holds(self, role: Role, instansi_code: str, cycle_id: str | None = None) -> bool:
        return any(g.role is role and g.covers(instansi_code, cycle_id) for g in self.grants)

    def roles_in(self, instansi_code: str, cycle_id: str | None = None) -> set[Role]:
        return {g.role for g in self.grants if g.covers(instansi_code, cycle_id)}

    def instansi(self) -> set[str]:
        """Every instansi the person belongs to or holds a role in."""
        found = {g.instansi_code for g in self.grants}
        if self.instansi_code is not None:
            found.add(self.instansi_code)
        return found


class AppraisalParties(BaseModel):
    """Who is who on one appraisal, as the worklist keeps it."""

    model_config = ConfigDict(frozen=True)

    cycle_id: str
    instansi_code: str
    employee_nip: str
    penilai_nip: str
    atasan_nip: str | None = None


def roles_on(principal: Principal, appraisal: AppraisalParties) -> set[Role]:
    """Every role the person holds on this appraisal: their own relation to it and their grants in its instansi."""
    roles = principal.roles_in(appraisal.instansi_code, appraisal.cycle_id) & set(GRANTABLE)
    if principal.nip == appraisal.employee_nip:
        roles.add(Role.PEGAWAI)
    if principal.nip == appraisal.penilai_nip:
        roles.add(Role.PENILAI)
    if appraisal.atasan_nip is not None and principal.nip == appraisal.atasan_nip:
        roles.add(Role.ATASAN_PENILAI)
    return roles


def may_see(roles: set[Role]) -> bool:
    """An employee sees their own appraisal, the penilai and atasan theirs, the instansi's readers all of it."""
    return bool(roles & ({Role.PEGAWAI, Role.PENILAI, Role.ATASAN_PENILAI} | INSTANSI_READERS))


def acting_role(roles: set[Role], allowed: tuple[Role, ...]) -> Role | None:
    """The role in which the person takes a step allowed to `allowed` (in that order of preference), or None.

    The order puts the step's own role first: an employee who is also on the supervision team submits their own SKP
    as pegawai, never as a take-over of themselves."""
    return next((role for role in allowed if role in roles), None)
