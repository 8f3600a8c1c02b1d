"""The demo's people: a local account with the one known demo password for each, and the roles of the instansi.

Demo only, and on the embedded SQLite database only: a known password is exactly what production must never have.
Nothing here is reachable from the API; the accounts are written by the operator (`operator:<user>`, audited) the
way `kinerja akun admin` would, with the password set directly instead of through a one-time link.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import make_url

from cli.operator import operator_actor
from cli.output import CommandError, table
from domain.access import Grant
from domain.audit import AuditEntry
from domain.stages import Role
from identity.passwords import check_new_password, hasher
from identity.records import Account
from persistence.db import resolve_url
from persistence.ports import AbstractUnitOfWork
from settings import Settings

UowFactory = Callable[[], AbstractUnitOfWork]
DEMO_PASSWORD = "demo-kinerja-2026"

SRI = "199212252019032001"  # Verifikator Data Kependudukan
HERMAN = "198009092005011001"  # Kepala Bidang Pendaftaran Penduduk: Sri's pejabat penilai
KEPALA = "197203151998031001"  # Kepala Dinas: atasan pejabat penilai, decides the keberatan
BUDI = "198808082011021001"  # Analis Pencatatan Sipil: the one who misses his deadline
YAKOB = "199401312020011003"  # Pranata Komputer: moves to the province mid-year, withdrawn by HR
PENGAWAS = "197807212003122001"  # Sekretaris Dinas, in the tim pengawasan for the demo
PENGELOLA = "198511022009031002"  # Kasubbag Umum dan Kepegawaian: pengelola kinerja
SEKDA = "196801011990031001"  # Sekretaris Daerah: sets the organisation predicate at calibration (on no roster)
RUTH = "199502142023212004"  # Pengadministrasi Perkantoran: admin kepegawaian of the demo
PETRUS = "199706182024211002"  # Operator Layanan Operasional: the read-only operator role


OFF_ROSTER = {SEKDA: "Sekretaris Daerah (di luar roster dinas)"}


@dataclass(frozen=True)
class Person:
    nip: str
    role: str  # as shown: the role this person demonstrates
    grant: Role | None = None  # the role granted in the instansi, if it is one


PEOPLE = (
    Person(SRI, "pegawai"),
    Person(HERMAN, "pejabat penilai"),
    Person(KEPALA, "atasan pejabat penilai"),
    Person(PENGAWAS, "tim pengawasan", Role.PENGAWASAN),
    Person(PENGELOLA, "pengelola kinerja", Role.PENGELOLA_KINERJA),
    Person(SEKDA, "pimpinan", Role.PIMPINAN),
    Person(RUTH, "admin kepegawaian", Role.ADMIN_KEPEGAWAIAN),
    Person(PETRUS, "operator (hanya membaca)", Role.OPERATOR),
    Person(BUDI, "pegawai (terlambat)"),
    Person(YAKOB, "pegawai (ditarik)"),
)


def require_embedded_database(settings: Settings) -> None:
    if make_url(resolve_url(settings.database_url)).get_backend_name() != "sqlite":
        raise CommandError(
            "kinerja demo membuat akun dengan kata sandi contoh, jadi hanya berjalan pada basis data SQLite bawaan"
            " (DATABASE_URL=sqlite:///kinerja.db), tidak pada basis data instansi; `--tanpa-siklus` tetap dapat"
        )


def prepare(uow_factory: UowFactory, settings: Settings, instansi: str) -> None:
    """Every demo person can sign in with DEMO_PASSWORD and holds the demo's roles in `instansi`."""
    actor, now = operator_actor(), datetime.now(UTC)
    check_new_password(DEMO_PASSWORD, SRI)
    password_hash = hasher(settings.auth).hash(DEMO_PASSWORD)  # one hash for all: the demo's password is one
    with uow_factory() as uow:
        for person in PEOPLE:
            if uow.identity.account(person.nip) is None:
                uow.identity.add_account(Account(nip=person.nip, created_at=now, created_by=actor))
                _audit(uow, actor, "account.create", person.nip, now, {"instansi": instansi})
            uow.identity.set_password(person.nip, password_hash, now)  # a second demo finds it as the first left it
            uow.identity.set_disabled(person.nip, False)
            if person.grant is not None:
                wanted = Grant(role=person.grant, instansi_code=instansi)
                if wanted not in uow.identity.grants_of(person.nip):
                    grant_id = uow.identity.add_grant(person.nip, wanted, actor, now)
                    after: dict[str, object] = {"grant_id": grant_id, "role": person.grant.value, "instansi": instansi}
                    _audit(uow, actor, "role.grant", person.nip, now, after)
        uow.commit()


def print_logins(uow_factory: UowFactory, web_url: str | None) -> None:
    with uow_factory() as uow:
        names = {p.nip: employee.name for p in PEOPLE if (employee := uow.employees.get(p.nip)) is not None}
    print(f"\nMasuk sebagai orang demo — kata sandi semuanya: {DEMO_PASSWORD} (hanya untuk demo ini)")
    table(["Peran", "NIP", "Nama"], [[p.role, p.nip, names.get(p.nip, OFF_ROSTER.get(p.nip, "-"))] for p in PEOPLE])
    where = (
        f"layanan web tetap berjalan di {web_url}" if web_url else "jalankan `kinerja up` (layanan web di port 8000)"
    )
    print(
        f"\nCoba: {where}, lalu buka {web_url or 'http://127.0.0.1:8000'}/ di peramban dan masuk sebagai salah satunya;"
    )
    print("atau di terminal lain")
    print(f"  kinerja masuk --nip {HERMAN}" + (f" --api {web_url}" if web_url else ""))
    print("  kinerja tugas                      # yang menunggu Herman, lewat API atas namanya")
    print("  kinerja saya")


def _audit(uow: AbstractUnitOfWork, actor: str, action: str, nip: str, now: datetime, after: dict[str, object]) -> None:
    reason = "demo: akun dengan kata sandi contoh" if action == "account.create" else None
    uow.audit.append(
        AuditEntry(
            occurred_at=now, actor=actor, actor_role=Role.SYSTEM, action=action, subject=nip, reason=reason, after=after
        )
    )
