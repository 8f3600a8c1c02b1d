"""Who a NIP is once signed in: the roster's name and instansi, and the roles granted to them."""

from __future__ import annotations

from domain.access import ALL_SCOPES, Principal, Scope
from persistence.ports import AbstractUnitOfWork


def principal_of(uow: AbstractUnitOfWork, nip: str, scopes: frozenset[Scope] = ALL_SCOPES) -> Principal | None:
    """The person, or None when the NIP is on no roster and holds no role (nobody to sign in as).

    An employee made inactive on the roster keeps only the roles granted to them explicitly."""
    grants = tuple(uow.identity.grants_of(nip))
    employee = uow.employees.get(nip)
    if employee is not None and employee.active:
        instansi = uow.employees.instansi_of(nip)
        return Principal(nip=nip, name=employee.name, instansi_code=instansi, grants=grants, scopes=scopes)
    if not grants:
        return None
    return Principal(nip=nip, name=employee.name if employee else nip, grants=grants, scopes=scopes)
