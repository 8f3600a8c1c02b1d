"""Who may call each endpoint, declared on the route and enforced by its dependency (deny by default).

`guard(rule)` gives a route both: the dependency that checks the caller, and `x-kinerja-akses` in its OpenAPI entry,
so the spec says who may call what and the authorisation matrix test (tests/web/test_matrix.py) is generated from
the route table: a route under /api/v1 without a rule fails that test.

Resources:
- `public`: anyone (health, signing in, using a one-time link);
- `self`: any signed-in person, about themselves (their tasks, their tokens, signing out);
- `appraisal`: one appraisal, path `{cycle_id}` and `{nip}`; the roles are relations to it or grants in its instansi
  (services.steps checks them, NotFound for someone who may not see it);
- `instansi`: path `{instansi_code}`; the roles are grants there (NotFound for someone with no part in it);
- `cycle`: path `{cycle_id}`; the roles are grants in the cycle's instansi (NotFound likewise).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from domain.stages import Role

Resource = Literal["public", "self", "appraisal", "instansi", "cycle"]
EXTENSION = "x-kinerja-akses"


@dataclass(frozen=True)
class Rule:
    resource: Resource
    roles: tuple[Role, ...] = ()
    acts: bool = False  # changes something: a token needs the 'langkah' scope, a cookie the CSRF token

    def openapi(self) -> dict[str, Any]:
        return {EXTENSION: {"sumber": self.resource, "peran": [r.value for r in self.roles], "mengubah": self.acts}}
