"""Accounts from the server's shell: the operator makes an instansi's first admin kepegawaian.

kinerja akun admin --instansi DUKCAPIL-JPR --nip 198511022009031002

This acts directly on the domain database, as the operator (`operator:<user of this shell>`), never as a typed NIP:
it grants admin kepegawaian in the instansi (an audit entry names the operator), creates the person's local account
if they have none, and prints the one-time link that sets its password (also sent by e-mail when the roster has an
address). Everything else about accounts and roles is the admin kepegawaian's, through the API.
"""

from __future__ import annotations

import argparse
import getpass
import re
from datetime import UTC, datetime

from cli.database import open_database
from domain.access import Grant
from domain.audit import OPERATOR_ACTOR, AuditEntry
from domain.errors import DomainError, NotFound
from domain.stages import Role
from identity import accounts
from settings import load_settings

_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    account = commands.add_parser("akun", help="akun dan peran dari server (operator)").add_subparsers(
        dest="account_command", required=True
    )
    admin = account.add_parser(
        "admin",
        help="jadikan seseorang admin kepegawaian instansi (admin pertama), dengan akunnya",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    admin.add_argument("--instansi", required=True, help="kode instansi, mis. DUKCAPIL-JPR")
    admin.add_argument("--nip", required=True, help="NIP admin kepegawaian (pegawai aktif pada roster)")
    admin.set_defaults(handler=_admin)


def operator_actor() -> str:
    """`operator:<the account running this shell>`, as the audit log accepts it (domain.audit)."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        return OPERATOR_ACTOR
    name = _NAME.sub("_", user)[:40]
    return f"{OPERATOR_ACTOR}:{name}" if name else OPERATOR_ACTOR


def _admin(args: argparse.Namespace) -> int:
    settings = load_settings()
    uow_factory = open_database(settings)
    nip, code = "".join(args.nip.split()), args.instansi.strip()
    actor, now = operator_actor(), datetime.now(UTC)
    wanted = Grant(role=Role.ADMIN_KEPEGAWAIAN, instansi_code=code)
    with uow_factory() as uow:
        if uow.instansi.get(code) is None:
            raise NotFound(f"instansi {code} belum terdaftar; impor rosternya dahulu (`kinerja impor roster`)")
        employee = uow.employees.get(nip)
        home = uow.employees.instansi_of(nip) if employee is not None else None
        if employee is None or not employee.active or home is None:
            raise DomainError(
                f"NIP {nip} bukan pegawai aktif pada roster mana pun; akun hanya untuk pegawai pada roster", field="nip"
            )
        has_account = uow.identity.account(nip) is not None
        granted = wanted in uow.identity.grants_of(nip)
        if not granted:
            grant_id = uow.identity.add_grant(nip, wanted, actor, now)
            uow.audit.append(
                AuditEntry(
                    occurred_at=now,
                    actor=actor,
                    actor_role=Role.SYSTEM,
                    action="role.grant",
                    subject=nip,
                    after={
                        "grant_id": grant_id,
                        "role": wanted.role.value,
                        "instansi": code,
                        "cycle": None,
                        "roster": home,
                    },
                )
            )
            uow.commit()
    print(
        f"{employee.name} ({nip}) "
        + ("sudah admin kepegawaian" if granted else "kini admin kepegawaian")
        + f" instansi {code} (dicatat sebagai {actor})."
    )
    if has_account:
        print(
            "Akunnya sudah ada: masuk dengan kata sandinya (`kinerja masuk`); lupa kata sandi: minta tautan atur ulang."
        )
        return 0
    link = accounts.create_account(uow_factory, settings.auth, nip=nip, instansi_code=home, actor=actor, now=now)
    sent = " (juga dikirim ke e-mailnya)" if link.sent_by_email else ""
    print(f"Akun dibuat. Tautan sekali pakai untuk mengatur kata sandi (berlaku {settings.auth.link_hours} jam){sent}:")
    print(f"  {link.url}")
    print("Serahkan tautan ini hanya kepada orangnya; setelah itu ia masuk dengan `kinerja masuk --nip NIP`.")
    return 0
