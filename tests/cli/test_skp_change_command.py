"""`kinerja skp ubah` (cli/steps.py): a new version of an employee's SKP read from a file in the SKP import's format
becomes the body the API's step `skp-change` takes (services.steps.ChangeSkpBody), its rows without ids (the API gives
them new ones after every earlier version's); a file with another employee's rows, or a day that is not a date, is
refused before anything is sent. Sending it is every step's `_send`, taken end to end in tests/e2e."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from cli.steps import _change_skp
from domain.errors import DomainError
from services.steps import ChangeSkpBody

SRI = "199001012015032004"
HEADER = "nip,rhk,jenis_rhk,indikator,aspek,target,satuan,polaritas,iku,rhk_atasan\n"
ROWS = (
    f"{SRI},Akta pencatatan sipil diterbitkan,utama,Akta kelahiran diterbitkan,kuantitas,600,akta,maksimal,,\n"
    f'{SRI},Akta pencatatan sipil diterbitkan,utama,Akta tanpa kesalahan data,kualitas,"98,5",%,maksimal,,\n'
)


def _args(tmp_path: Path, rows: str = ROWS, since: str = "2026-07-01") -> argparse.Namespace:
    file = tmp_path / "skp-baru.csv"
    file.write_text(HEADER + rows, encoding="utf-8")
    return argparse.Namespace(file=file, since=since, nip=SRI, alasan="SK mutasi jabatan 821/12/2026")


def test_the_file_becomes_the_apis_body_without_ids(tmp_path: Path) -> None:
    body = ChangeSkpBody.model_validate(_change_skp(_args(tmp_path)))
    assert body.berlaku_sejak.isoformat() == "2026-07-01" and body.alasan == "SK mutasi jabatan 821/12/2026"
    [rhk] = body.skp.rhk
    assert (rhk.id, rhk.kind, rhk.text) == ("", "utama", "Akta pencatatan sipil diterbitkan")
    assert [(i.id, i.text, i.target) for i in rhk.indicators] == [
        ("", "Akta kelahiran diterbitkan", "600"),
        ("", "Akta tanpa kesalahan data", "98,5"),
    ]


def test_another_employees_rows_or_a_bad_day_are_refused_before_sending(tmp_path: Path) -> None:
    other = ROWS.replace(SRI, "198003032005011003", 1)
    with pytest.raises(DomainError) as refused:
        _change_skp(_args(tmp_path, other))
    assert refused.value.field == "berkas" and "198003032005011003" in str(refused.value)
    with pytest.raises(DomainError) as refused:
        _change_skp(_args(tmp_path, since="1 Juli 2026"))
    assert refused.value.field == "berlaku_sejak"
