"""The authorisation matrix, generated from the app's route table: every route under /api/v1 × every role × where
the target stands from the caller (their own appraisal or instansi, another appraisal of the same instansi, another
instansi) and anonymous.

What each cell should answer comes from two things only: the route's declared rule (`x-kinerja-akses` in the OpenAPI
spec: the resource, the roles, whether it changes anything) and issue 17's reading rules, written out below
independently of domain.access:

- a role is *held* on a target when the person holds it there: pegawai, penilai and atasan on their own appraisal
  (relations to one appraisal, so never on a cycle or an instansi); the roles granted per instansi on every
  appraisal, cycle and the instansi itself where the grant is;
- an allowed call succeeds (2xx); anyone else is refused: 401 without credentials, 404 for anyone of another instansi
  (they learn nothing of it), 404 too for an appraisal the person may not see at all, else 403.

Who sees an appraisal (issue 17, "Reading is scoped too"): the employee their own, the penilai and atasan the ones
they rate, the supervision team, the pengelola kinerja and the pimpinan their instansi's, operators the histories.
The admin kepegawaian manages the roster, accounts and roles, and sees no appraisal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from domain.stages import Role
from settings import Settings
from tests.web.office import PERSONAS
from web.access import EXTENSION
from web.app import API_PREFIX, create_app

APPRAISAL_RELATIONS = frozenset({Role.PEGAWAI, Role.PENILAI, Role.ATASAN_PENILAI})
SEES_EVERY_APPRAISAL = frozenset({Role.PIMPINAN, Role.PENGAWASAN, Role.PENGELOLA_KINERJA, Role.OPERATOR})
GRANTED_ROLES = frozenset(p.role for p in PERSONAS) - APPRAISAL_RELATIONS
RESOURCES = ("public", "self", "appraisal", "instansi", "cycle")
OK = 200  # stands for any 2xx


class Relation(StrEnum):
    OWN = "sendiri"  # their own appraisal, their instansi, a cycle of their instansi
    SAME = "instansi-sama"  # another appraisal (or cycle) of the same instansi
    OTHER = "instansi-lain"  # another instansi


# Which relations mean something for a resource. Anonymous is one more cell per route.
RELATIONS = {
    "public": (Relation.OWN,),  # nobody's resource: who calls is all that varies
    "self": (Relation.OWN,),  # the caller's own account, tasks and tokens
    "appraisal": (Relation.OWN, Relation.SAME, Relation.OTHER),
    "cycle": (Relation.OWN, Relation.SAME, Relation.OTHER),
    "instansi": (Relation.OWN, Relation.OTHER),
}


@dataclass(frozen=True)
class Access:
    """A route's declared rule, as the OpenAPI spec states it."""

    resource: str
    roles: frozenset[Role]
    acts: bool

    @classmethod
    def parse(cls, extension: Any) -> Access | None:
        if not isinstance(extension, dict):
            return None
        return cls(
            resource=str(extension.get("sumber")),
            roles=frozenset(Role(r) for r in extension.get("peran", [])),
            acts=bool(extension.get("mengubah")),
        )


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    access: Access | None  # None: the route states no rule (a failure)
    in_spec: bool

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Cell:
    route: Route
    role: Role | None  # None: anonymous
    relation: Relation

    def __str__(self) -> str:
        return f"{self.route} | {self.role.value if self.role else 'anonim'} | {self.relation.value}"


def routes(app: FastAPI) -> list[Route]:
    """Every method of every route of the app (routers included), with its rule from the served OpenAPI spec."""
    spec = app.openapi()["paths"]
    found = []
    for context in iter_route_contexts(app.routes):
        path = context.path or ""
        methods = sorted((context.methods or {"*"}) - {"HEAD"})
        for method in methods:
            operation = spec.get(path, {}).get(method.lower())
            found.append(
                Route(
                    method=method,
                    path=path,
                    access=Access.parse(operation.get(EXTENSION)) if operation else None,
                    in_spec=operation is not None,
                )
            )
    return found


def api_routes(app: FastAPI) -> list[Route]:
    return [route for route in routes(app) if route.path.startswith(API_PREFIX + "/")]


def served_app() -> FastAPI:
    """The app as `kinerja web` builds it; nothing connects (the app opens its parts in its lifespan)."""
    return create_app(Settings(database_url="sqlite://"))


def route_table() -> list[Route]:
    return api_routes(served_app())


def cells(table: list[Route]) -> Iterator[Cell]:
    for route in table:
        relations = RELATIONS.get(route.access.resource, (Relation.OWN,)) if route.access else (Relation.OWN,)
        for persona in PERSONAS:
            for relation in relations:
                yield Cell(route, persona.role, relation)
        yield Cell(route, None, Relation.OWN)


def holds(role: Role, relation: Relation, resource: str) -> bool:
    """Whether the persona of `role` holds it on the target."""
    if relation is Relation.OTHER:
        return False
    if role in APPRAISAL_RELATIONS:
        return resource == "appraisal" and relation is Relation.OWN
    return True  # granted in the instansi: every appraisal and cycle of it, and the instansi itself


def sees_appraisal(role: Role, relation: Relation) -> bool:
    if relation is Relation.OTHER:
        return False
    if role in APPRAISAL_RELATIONS:
        return relation is Relation.OWN
    return role in SEES_EVERY_APPRAISAL


def expected(access: Access, role: Role | None, relation: Relation) -> int:
    """OK, or the status the call must be refused with."""
    if access.resource == "public":
        return OK
    if role is None:
        return 401
    if access.resource == "self":
        return OK
    if relation is Relation.OTHER:
        return 404
    if role in access.roles and holds(role, relation, access.resource):
        return OK
    if access.resource == "appraisal" and not sees_appraisal(role, relation):
        return 404
    return 403
