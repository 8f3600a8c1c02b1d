"""Signing the command line in and out: `kinerja masuk`, `kinerja keluar`, `kinerja saya`.

kinerja masuk [--nip NIP] [--api URL]        # asks the password; stores a personal access token
kinerja masuk --token-stdin [--api URL]       # a token created elsewhere, pasted (or in KINERJA_TOKEN)
kinerja saya                                  # who is signed in, with their roles
kinerja keluar                                # revokes the token and forgets it

The API's URL and the token live in `~/.config/kinerja/sesi.json` (`KINERJA_CONFIG_DIR` for another directory), a
file only its owner may read (0600). The human-step commands send that token: the API knows who is acting from it,
never from the command's arguments. `KINERJA_TOKEN`, when set, is used instead of the file (scripts, CI); the URL is
then `KINERJA_API` (default http://127.0.0.1:8000).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import os
import socket
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeAlias, TypeVar
from urllib.parse import urlsplit

from cli.api import Api, ApiError
from cli.output import CommandError, emit_json, local_time

Parsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
T = TypeVar("T")

DEFAULT_API = "http://127.0.0.1:8000"
SESSION_FILE = "sesi.json"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class Session:
    api: str
    token: str
    nip: str = ""
    name: str = ""
    expires: str | None = None
    from_environment: bool = False  # KINERJA_TOKEN: nothing stored, nothing to forget


def config_dir() -> Path:
    configured = os.environ.get("KINERJA_CONFIG_DIR")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "kinerja"


def session_path() -> Path:
    return config_dir() / SESSION_FILE


def default_api() -> str:
    return (os.environ.get("KINERJA_API") or DEFAULT_API).rstrip("/")


def current_session() -> Session:
    """The session commands act with, or a CommandError that says to sign in."""
    token = os.environ.get("KINERJA_TOKEN", "").strip()
    if token:
        return Session(api=default_api(), token=token, from_environment=True)
    stored = load_session()
    if stored is None:
        raise CommandError("belum masuk: jalankan `kinerja masuk --nip NIP` (atau atur KINERJA_TOKEN)")
    return stored


def load_session() -> Session | None:
    path = session_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise CommandError(
            f"berkas sesi {path} tidak dapat dibaca ({error}); hapus lalu `kinerja masuk` lagi"
        ) from None
    if not isinstance(data, dict) or not data.get("api") or not data.get("token"):
        raise CommandError(f"berkas sesi {path} rusak; hapus lalu `kinerja masuk` lagi")
    return Session(
        api=str(data["api"]),
        token=str(data["token"]),
        nip=str(data.get("nip", "")),
        name=str(data.get("nama", "")),
        expires=data.get("berlaku_sampai"),
    )


def save_session(session: Session) -> Path:
    """Write the file readable by its owner only: created 0600 in a 0700 directory, then renamed into place."""
    directory = config_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / SESSION_FILE
    temporary = directory / f".{SESSION_FILE}.{os.getpid()}"
    data = {
        "api": session.api,
        "token": session.token,
        "nip": session.nip,
        "nama": session.name,
        "berlaku_sampai": session.expires,
    }
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)  # a leftover file of the same name keeps its mode otherwise
        with os.fdopen(descriptor, "w", encoding="utf-8") as output:
            json.dump(data, output, ensure_ascii=False, indent=2)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return path


def forget_session() -> bool:
    try:
        session_path().unlink()
    except FileNotFoundError:
        return False
    return True


def call_api(body: Callable[[Api], Coroutine[Any, Any, T]], session: Session | None = None) -> T:
    """Run `body` with an API client as the signed-in person."""
    session = session or current_session()

    async def main() -> T:
        async with Api(session.api, session.token or None) as api:
            return await body(api)

    return asyncio.run(main())


# --- the commands --------------------------------------------------------------------------------------------------


def register(commands: Parsers) -> None:
    sign_in = commands.add_parser(
        "masuk",
        aliases=["login"],
        help="masuk sebagai diri sendiri: langkah penilaian lalu dikirim lewat API atas nama Anda",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sign_in.add_argument("--nip", help="NIP Anda (ditanyakan bila tidak diisi)")
    sign_in.add_argument("--api", help=f"alamat layanan Kinerja (bawaan: KINERJA_API atau {DEFAULT_API})")
    source = sign_in.add_mutually_exclusive_group()
    source.add_argument(
        "--token-stdin", action="store_true", help="baca token akses pribadi (knj_...) dari stdin, bukan kata sandi"
    )
    source.add_argument(
        "--kata-sandi-stdin", dest="password_stdin", action="store_true", help="baca kata sandi dari stdin (skrip)"
    )
    sign_in.add_argument("--hari", dest="days", type=int, help="masa berlaku token (bawaan: kebijakan layanan)")
    sign_in.set_defaults(handler=_sign_in)

    sign_out = commands.add_parser("keluar", aliases=["logout"], help="cabut token sesi ini dan lupakan")
    sign_out.set_defaults(handler=_sign_out)

    me = commands.add_parser("saya", aliases=["whoami"], help="siapa yang sedang masuk, dengan perannya")
    me.add_argument("--json", action="store_true")
    me.set_defaults(handler=_whoami)


def _sign_in(args: argparse.Namespace) -> int:
    api_url = (args.api or default_api()).rstrip("/")
    _check_url(api_url)
    token = _token_given(args)
    if token is not None:
        me = call_api(lambda api: api.get("/me"), Session(api=api_url, token=token))
        session = Session(api=api_url, token=token, nip=me["nip"], name=me["nama"])
    else:
        nip = "".join((args.nip or _ask("NIP: ")).split())
        password = _read_line(sys.stdin) if args.password_stdin else getpass.getpass("Kata sandi: ")
        if not nip or not password:
            raise CommandError("NIP dan kata sandi wajib diisi")
        body = {"nip": nip, "kata_sandi": password, "token": _token_request(args.days)}
        try:
            answer = call_api(lambda api: api.post("/auth/login", body), Session(api=api_url, token=""))
        except ApiError as error:
            if error.status in (401, 403, 429):  # wrong password, locked, nobody, too many tries: as the API says
                raise CommandError(error.detail) from None
            raise
        me = answer
        session = Session(
            api=api_url, token=answer["token"], nip=answer["nip"], name=answer["nama"], expires=answer["berlaku_sampai"]
        )
    previous = load_session()
    path = save_session(session)
    if previous is not None and previous.token != session.token:
        _revoke_quietly(previous)  # a second `masuk` replaces the first token, which would otherwise stay valid
    print(f"Masuk sebagai {session.name} ({session.nip}) di {api_url}.")
    print(f"  peran    : {_roles(me) or 'pegawai'}")
    if session.expires:
        print(f"  berlaku  : sampai {_when(session.expires)}")
    print(f"  tersimpan: {path} (hanya dapat dibaca pemiliknya)")
    if os.environ.get("KINERJA_TOKEN"):
        print("  catatan  : KINERJA_TOKEN diatur dan dipakai lebih dulu daripada sesi ini")
    return 0


def _sign_out(_args: argparse.Namespace) -> int:
    stored = load_session()
    if stored is None:
        print("Tidak ada sesi tersimpan.")
    else:
        try:
            call_api(lambda api: api.post("/auth/logout"), stored)
        except ApiError as error:
            if error.status != 401:  # 401: already worthless; anything else: keep it to try again
                raise CommandError(f"token belum dicabut, sesi tetap tersimpan: {error}") from None
        forget_session()
        print(f"Keluar: token {stored.name or stored.nip} dicabut dan dihapus dari {session_path()}.")
    if os.environ.get("KINERJA_TOKEN"):
        print("KINERJA_TOKEN masih diatur: perintah tetap memakai token itu sampai dihapus dari lingkungan.")
    return 0


def _whoami(args: argparse.Namespace) -> int:
    session = current_session()
    me = call_api(lambda api: api.get("/me"), session)
    if args.json:
        emit_json({**me, "api": session.api})
        return 0
    print(f"{me['nama']} ({me['nip']}) — instansi {me.get('instansi') or '-'}")
    print(f"  peran    : {_roles(me) or 'pegawai'}")
    print(f"  cakupan  : {', '.join(me.get('cakupan', []))}")
    print(f"  API      : {session.api}")
    source = "KINERJA_TOKEN" if session.from_environment else str(session_path())
    print(f"  token    : {source}" + (f", berlaku sampai {_when(session.expires)}" if session.expires else ""))
    return 0


# --- helpers -------------------------------------------------------------------------------------------------------


def _token_given(args: argparse.Namespace) -> str | None:
    if args.token_stdin:
        token = _read_line(sys.stdin)
        if not token:
            raise CommandError("--token-stdin: tidak ada token di stdin")
        return token
    if args.nip is None and not args.password_stdin:
        token = os.environ.get("KINERJA_TOKEN", "").strip()
        return token or None
    return None


def _token_request(days: int | None) -> dict[str, Any]:
    request: dict[str, Any] = {"nama": f"kinerja CLI di {socket.gethostname()}"[:100], "cakupan": ["baca", "langkah"]}
    if days is not None:
        request["hari"] = days
    return request


def _when(text: str) -> str:
    """An instant the API gave (ISO-8601) as this machine's local time."""
    try:
        return local_time(datetime.fromisoformat(text))
    except ValueError:
        return text


def _roles(me: dict[str, Any]) -> str:
    roles = []
    for grant in me.get("peran", []):
        where = grant.get("instansi_code", "")
        if grant.get("cycle_id"):
            where += f" siklus {grant['cycle_id']}"
        roles.append(f"{grant.get('role')} ({where})")
    return ", ".join(roles)


def _revoke_quietly(previous: Session) -> None:
    with contextlib.suppress(CommandError):
        call_api(lambda api: api.post("/auth/logout"), previous)


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CommandError(f"--api: '{url}' bukan alamat http(s)://HOST[:PORT]")
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        print(
            f"peringatan: {url} tanpa TLS; kata sandi dan token terkirim tanpa enkripsi (pakai https:// di jaringan)",
            file=sys.stderr,
        )


def _ask(prompt: str) -> str:
    try:
        return input(prompt)
    except EOFError:
        raise CommandError("NIP wajib diisi (--nip)") from None


def _read_line(stream: Any) -> str:
    line: str = stream.readline()
    return line.strip()
