"""The templates of the pages and the filters they print with (domain.formats): Indonesian dates (`31-01-2027`),
times in the instansi's zone (WIB, WITA, WIT), numbers with a decimal comma (`76,61`).

Built once by the app factory (`templates()`); nothing here runs at import time but the filters' definitions.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from domain.formats import angka, awal_kapital, bulat, lama, sisa_hari, tanggal, tanggal_panjang, waktu, zone_label

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html", "xml", "svg")),
        undefined=StrictUndefined,  # a misspelt name fails the page's test instead of printing nothing
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        tanggal=tanggal,
        tanggal_panjang=tanggal_panjang,
        waktu=waktu,
        angka=angka,
        bulat=bulat,
        awal_kapital=awal_kapital,
        lama=lama,
    )
    env.globals.update(sisa_hari=sisa_hari, zone_label=zone_label)
    return env


def templates() -> Jinja2Templates:
    return Jinja2Templates(env=environment())
