"""Accounts and roles: the operator's bootstrap on the server, and the admin kepegawaian's work through the API.

kinerja akun admin --instansi DUKCAPIL-JPR --nip 198511022009031002     # the operator, on the server

kinerja akun buat|atur-ulang|nonaktifkan|aktifkan|buka-kunci --nip NIP [--instansi KODE]   # HR, signed in
kinerja peran daftar [--instansi KODE]
kinerja peran beri --nip NIP --peran pengawasan [--siklus ID] [--instansi KODE]
kinerja peran cabut --id ID [--instansi KODE]

`akun admin` acts directly on the domain database, as the operator (`operator:<user of this shell>`), never as a
typed NIP: it grants admin kepegawaian in the instansi (an audit entry names the operator), creates the person's local
account if they have none, and prints the one-time link that sets its password (also sent by e-mail when the roster
has an address). Everything else is the admin kepegawaian's, sent through the API as whoever signed in
(`kinerja masuk`); `--instansi` may be left out by someone who is admin kepegawaian of one instansi only.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from cli.api import Api, segment
from cli.database import open_database
from cli.operator import operator_actor
from cli.output import CommandError, emit_json, table
from cli.session import call_api
from domain.access import GRANTABLE, Grant
from domain.audit import AuditEntry
from domain.errors import DomainError, NotFound
from domain.stages import Role
from identity import accounts
from settings import load_settings


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
    for name, path, helptext in _ACCOUNT_ACTIONS:
        action = account.add_parser(name, help=f"{helptext} (admin kepegawaian, lewat API)")
        action.add_argument("--nip", required=True)
        action.add_argument("--instansi", help="kode instansi (bawaan: instansi tempat Anda admin kepegawaian)")
        action.set_defaults(handler=_account_action, path=path)

    role = commands.add_parser("peran", help="peran di instansi: pimpinan, tim pengawasan, ... (admin kepegawaian)")
    role_actions = role.add_subparsers(dest="role_command", required=True)
    listing = role_actions.add_parser("daftar", help="siapa memegang peran apa di instansi")
    grant = role_actions.add_parser("beri", help="berikan peran kepada seseorang")
    grant.add_argument("--nip", required=True)
    grant.add_argument("--peran", required=True, choices=[r.value for r in GRANTABLE])
    grant.add_argument("--siklus", help="hanya untuk siklus ini (bawaan: setiap siklus instansi)")
    revoke = role_actions.add_parser("cabut", help="cabut satu pemberian peran (id dari `kinerja peran daftar`)")
    revoke.add_argument("--id", dest="grant_id", type=int, required=True)
    for parser, handler in ((listing, _roles), (grant, _grant), (revoke, _revoke)):
        parser.add_argument("--instansi", help="kode instansi (bawaan: instansi tempat Anda admin kepegawaian)")
        parser.add_argument("--json", action="store_true")
        parser.set_defaults(handler=handler)


_ACCOUNT_ACTIONS = (
    ("buat", "", "buat akun pegawai dari roster; tautan kata sandi pertama lewat e-mail atau diserahkan"),
    ("atur-ulang", "reset-link", "kirim tautan atur ulang kata sandi"),
    ("nonaktifkan", "disable", "nonaktifkan akun: setiap sesi dan tokennya berakhir"),
    ("aktifkan", "enable", "aktifkan kembali akun (sekaligus membuka kuncinya)"),
    ("buka-kunci", "unlock", "buka kunci akun setelah terlalu banyak gagal masuk"),
)


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


# --- the admin kepegawaian's, through the API ----------------------------------------------------------------------


async def _instansi(api: Api, given: str | None) -> str:
    """The instansi given, or the one where the signed-in person is admin kepegawaian."""
    if given:
        return segment(given)
    me = await api.get("/me")
    held = sorted({g["instansi_code"] for g in me.get("peran", []) if g.get("role") == Role.ADMIN_KEPEGAWAIAN.value})
    if len(held) != 1:
        where = f" (Anda admin kepegawaian di {', '.join(held)})" if held else ""
        raise CommandError(f"--instansi wajib diisi{where}")
    return str(held[0])


def _account_action(args: argparse.Namespace) -> int:
    nip = "".join(args.nip.split())

    async def send(api: Api) -> Any:
        code = await _instansi(api, args.instansi)
        if not args.path:
            return await api.post(f"/instansi/{code}/accounts", {"nip": nip}, key=None)
        return await api.post(f"/instansi/{code}/accounts/{segment(nip)}/{args.path}")

    answer = call_api(send)
    if answer is None:
        done = {"disable": "dinonaktifkan", "enable": "diaktifkan kembali", "unlock": "dibuka kuncinya"}[args.path]
        print(f"Akun NIP {nip} {done}.")
        return 0
    what = "Akun dibuat" if not args.path else "Tautan atur ulang dibuat"
    if answer.get("dikirim_lewat_email"):
        print(f"{what}: tautan sekali pakai dikirim ke e-mail NIP {nip} pada roster.")
    else:
        print(f"{what}. Roster tidak memuat e-mail NIP {nip}: serahkan tautan sekali pakai ini hanya kepada orangnya:")
        print(f"  {answer.get('tautan')}")
    return 0


def _roles(args: argparse.Namespace) -> int:
    async def read(api: Api) -> tuple[str, Any]:
        code = await _instansi(api, args.instansi)
        return code, await api.get(f"/instansi/{code}/roles")

    code, grants = call_api(read)
    if args.json:
        emit_json(grants)
    elif not grants:
        print(f"Belum ada peran yang diberikan di instansi {code}.")
    else:
        table(
            ["Id", "NIP", "Nama", "Peran", "Siklus", "Diberikan oleh"],
            [[g["id"], g["nip"], g.get("nama"), g["peran"], g.get("siklus"), g["diberikan_oleh"]] for g in grants],
        )
    return 0


def _grant(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"nip": "".join(args.nip.split()), "peran": args.peran}
    if args.siklus:
        body["siklus"] = args.siklus

    async def send(api: Api) -> Any:
        code = await _instansi(api, args.instansi)
        return await api.post(f"/instansi/{code}/roles", body)

    return _show_grant(call_api(send), args, "diberikan")


def _revoke(args: argparse.Namespace) -> int:
    async def send(api: Api) -> Any:
        code = await _instansi(api, args.instansi)
        return await api.delete(f"/instansi/{code}/roles/{args.grant_id}")

    return _show_grant(call_api(send), args, "dicabut")


def _show_grant(view: dict[str, Any], args: argparse.Namespace, done: str) -> int:
    if args.json:
        emit_json(view)
        return 0
    where = f"siklus {view['siklus']}" if view.get("siklus") else "setiap siklus"
    who = f"{view.get('nama') or view['nip']} ({view['nip']})"
    print(f"Peran {view['peran']} {done}: {who}, {where} (id {view['id']}).")
    if view.get("siklus_diperbarui"):
        print(f"  siklus berjalan yang ikut diperbarui: {', '.join(view['siklus_diperbarui'])}")
    for reason in view.get("belum_diperbarui", []):
        print(f"  belum diperbarui: {reason}")
    return 0
