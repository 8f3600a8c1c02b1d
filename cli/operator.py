"""Who acts when a command works directly on the server: the operator, named by the account running this shell
(`operator:<user>`, as domain.audit accepts it), never a NIP typed on the command line."""

from __future__ import annotations

import getpass
import re

from domain.audit import OPERATOR_ACTOR

_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def operator_actor() -> str:
    """`operator:<the account running this shell>`, or `operator` when the account has no name."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        return OPERATOR_ACTOR
    name = _NAME.sub("_", user)[:40]
    return f"{OPERATOR_ACTOR}:{name}" if name else OPERATOR_ACTOR
