"""`kinerja notifikasi`: where the notices in the outbox stand; sending the due ones now; queuing given-up ones again;
giving up those that waited too long to be worth sending.

    kinerja notifikasi [--json] [--gagal 20]     # counts, and the messages given up with their last error
    kinerja notifikasi kirim [--json]            # send the e-mail due now (each worker does so every 15 s)
    kinerja notifikasi kirim --terus             # deliver e-mail and log notices until Ctrl-C/SIGTERM (the one
                                                 # sender where workers have OUTBOX__RELAY=false)
    kinerja notifikasi tampil --id 12            # one message in full (a log notice's line names its id only)
    kinerja notifikasi ulangi --id 12 15         # queue given-up messages again (or --semua), to the roster's address
    kinerja notifikasi batalkan --sampai 2026-11-30   # give up what was queued until then and is still waiting

E-mail goes through SMTP__HOST (SMTP__PORT, SMTP__SECURITY, SMTP__USERNAME, SMTP__PASSWORD, SMTP__SENDER,
SMTP__CA_CERT) of the process that sends it. Notices of people without an address in the roster (the log channel)
are announced in the log of the worker, or of `kirim --terus`, by their number only (no recipient, subject or body:
they are personal data); `tampil --id` shows one in full.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeAlias

from cli.database import open_database
from cli.output import CommandError, emit_json, table
from cli.steps import parse_instant
from delivery.mail import Mailer
from delivery.smtp import build_mailer
from observability import configure_logging
from persistence.ports import AbstractUnitOfWork, OutboxCounts
from services import notices
from services.dispatch import Dispatched, dispatch_due, relay
from settings import Settings, load_settings
from worker import stop_on_signals

Parsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
SHOWN_FAILED = 20
SHOWN_ERROR = 70  # characters of the last error in the table; --json has all of it


def register(commands: Parsers) -> None:
    notices = commands.add_parser(
        "notifikasi",
        help="notifikasi di outbox: jumlahnya, yang gagal terkirim; kirim, ulangi, batalkan",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    notices.add_argument("--json", action="store_true", help="keluaran JSON")
    notices.add_argument(
        "--gagal", dest="shown", type=_count, default=SHOWN_FAILED, metavar="N", help="tampilkan N pesan gagal terlama"
    )
    notices.set_defaults(handler=_status)
    actions = notices.add_subparsers(dest="notices_command", metavar="TINDAKAN")
    send = actions.add_parser("kirim", help="kirim sekarang e-mail yang sudah waktunya (worker melakukannya sendiri)")
    send.add_argument("--json", action="store_true", help="keluaran JSON")
    send.add_argument(
        "--terus",
        dest="keep_going",
        action="store_true",
        help="kirim e-mail dan notifikasi log terus sampai Ctrl-C/SIGTERM (pengirim satu-satunya bila worker diberi"
        " OUTBOX__RELAY=false)",
    )
    send.set_defaults(handler=_send)
    again = actions.add_parser(
        "ulangi", help="antrekan lagi notifikasi yang gagal terkirim, ke alamat yang tercatat di data pegawai sekarang"
    )
    which = again.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--id", dest="ids", type=int, nargs="+", metavar="ID", help="nomor pesan (lihat kinerja notifikasi)"
    )
    which.add_argument("--semua", dest="all", action="store_true", help="semua yang gagal")
    again.set_defaults(handler=_requeue)
    show = actions.add_parser(
        "tampil", help="satu pesan: penerima, judul dan isinya (log hanya menyebut nomornya, bukan isi pribadinya)"
    )
    show.add_argument("--id", dest="message_id", type=int, required=True, metavar="ID", help="nomor pesan")
    show.add_argument("--json", action="store_true", help="keluaran JSON")
    show.set_defaults(handler=_show)
    drop = actions.add_parser(
        "batalkan", help="jangan kirim notifikasi yang menunggu sejak lama (mis. sebelum SMTP diatur)"
    )
    drop.add_argument(
        "--sampai",
        dest="until",
        required=True,
        help="yang dibuat sampai tanggal ini (akhir hari, WIB) atau waktu ISO-8601 ini",
    )
    drop.set_defaults(handler=_give_up)


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"'{text}' bukan jumlah (0 atau lebih)")
    return int(text)


def _status(args: argparse.Namespace) -> int:
    settings = load_settings()
    uow_factory = open_database(settings)
    with uow_factory() as uow:
        counts = uow.outbox.counts()
        failed = uow.outbox.failed(limit=args.shown)
    if args.json:
        emit_json({"counts": counts, "failed": failed})
        return 0
    channels = by_channel(counts)
    print(
        f"Menunggu: {counts.waiting}{f' ({channels})' if channels else ''} · gagal: {counts.failed}"
        f" · terkirim: {counts.sent}"
    )
    if failed:
        print()
        table(
            ["id", "dibuat", "penerima", "percobaan", "galat terakhir"],
            [
                (m.id, m.created_at.strftime("%Y-%m-%d %H:%M UTC"), m.recipient, m.attempts, _short(m.last_error))
                for m in failed
            ],
        )
        if counts.failed > len(failed):
            print(f"... dan {counts.failed - len(failed)} lagi (--gagal N)")
        print("Antrekan lagi setelah penyebabnya diperbaiki: kinerja notifikasi ulangi --id ID ... (atau --semua)")
    return 0


def by_channel(counts: OutboxCounts) -> str:
    """'email 2, log 1': what waits on each channel ("" when nothing does)."""
    return ", ".join(f"{channel} {count}" for channel, count in counts.waiting_by_channel.items())


def _short(text: str | None) -> str | None:
    if text is None or len(text) <= SHOWN_ERROR:
        return text
    return text[: SHOWN_ERROR - 1] + "…"


def _show(args: argparse.Namespace) -> int:
    """One message in full, for the operator who delivers a log-channel notice by hand (the log names its id only)."""
    uow_factory = open_database(load_settings())
    with uow_factory() as uow:
        message = uow.outbox.get(args.message_id)
    if message is None:
        raise CommandError(f"pesan {args.message_id} tidak ada di outbox")
    if args.json:
        emit_json(message)
        return 0
    state = "terkirim" if message.sent_at else "gagal" if message.failed_at else "menunggu"
    print(f"Pesan {message.id} ({message.channel}, {state}) untuk {message.recipient}")
    print(f"Judul: {message.subject}")
    print()
    print(message.body)
    return 0


def _send(args: argparse.Namespace) -> int:
    settings = load_settings()
    uow_factory = open_database(settings)
    mailer = build_mailer(settings.smtp)
    if args.keep_going and args.json:
        raise CommandError("--json tidak dapat dipakai dengan --terus (yang terkirim dicatat di log)")
    # JSON lines on stderr, as the worker writes them (with --terus, the log channel's notices are delivered there).
    configure_logging(settings.log_level)
    if args.keep_going:
        asyncio.run(_relay_until_stopped(uow_factory, mailer, settings))
        return 0
    if mailer is None:
        raise CommandError(
            "SMTP__HOST belum diatur untuk perintah ini; e-mail dikirim oleh worker yang SMTP__HOST-nya diatur"
        )
    total = Dispatched()
    while True:  # until a pass finds fewer than a batch (a failed message is not due again in this run)
        done = dispatch_due(
            uow_factory,
            mailer,
            batch=settings.outbox.batch,
            max_attempts=settings.outbox.max_attempts,
            channels=("email",),  # the log channel belongs in a service's log, not in this terminal
        )
        total += done
        if done.claimed < settings.outbox.batch or done.unreachable is not None:
            break
    if args.json:
        emit_json(dataclasses.asdict(total))
    else:
        print(f"Terkirim: {total.sent} · dicoba lagi nanti: {total.retrying} · gagal: {total.failed}")
    if total.unreachable is not None:
        raise CommandError(
            f"{total.unreachable}; yang belum terkirim dicoba lagi mulai semenit lagi oleh worker (atau `kirim` lagi)"
        )
    return 0


async def _relay_until_stopped(
    uow_factory: Callable[[], AbstractUnitOfWork], mailer: Mailer | None, settings: Settings
) -> None:
    stop = asyncio.Event()
    with stop_on_signals(stop, install=True):
        await relay(
            uow_factory,
            mailer,
            stop=stop,
            poll_seconds=settings.outbox.poll_seconds,
            batch=settings.outbox.batch,
            max_attempts=settings.outbox.max_attempts,
        )


def _requeue(args: argparse.Namespace) -> int:
    uow_factory = open_database(load_settings())
    with uow_factory() as uow:
        done = notices.requeue(uow, None if args.all else args.ids, now=datetime.now(UTC))
        uow.commit()
    if args.ids and done.queued < len(set(args.ids)):
        print(f"Diantrekan lagi: {done.queued} dari {len(set(args.ids))} (yang lain tidak ada atau tidak gagal)")
    else:
        print(f"Diantrekan lagi: {done.queued}")
    for message_id, before, now in done.readdressed:
        print(f"  #{message_id} ke alamat dari data pegawai sekarang: {before} → {now}")
    return 0


def _give_up(args: argparse.Namespace) -> int:
    until = parse_instant(args.until, "sampai")
    uow_factory = open_database(load_settings())
    with uow_factory() as uow:
        dropped = uow.outbox.give_up(
            created_before=until,
            reason=f"dibatalkan operator: dibuat sampai {args.until}, tidak dikirim",
            at=datetime.now(UTC),
        )
        uow.commit()
    print(f"Dibatalkan: {dropped} (tampil sebagai gagal; kinerja notifikasi ulangi mengantrekannya lagi)")
    return 0
