"""How the command line words each answer of the API that is not a success: the problem's own detail, naming the
field and the rule for a refusal; an outage as an outage; an expired sign-in with the command that renews it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cli.api import answer_error, segment
from cli.output import CommandError

PROBLEM = {"content-type": "application/problem+json"}


def _answer(status: int, problem: dict[str, Any] | None = None, text: str = "") -> httpx.Response:
    if problem is None:
        return httpx.Response(status, text=text)
    return httpx.Response(status, json={"type": "about:blank", "title": "-", "status": status, **problem})


@pytest.mark.parametrize(
    ("status", "problem", "said"),
    [
        (  # the workflow's validator: the field and rule were taken out of the detail by the API; put back here
            422,
            {"detail": "2099-01-31 di luar tahun penilaian", "field": "new_deadline", "rule": "tanggal dalam tahun"},
            "ditolak: new_deadline: 2099-01-31 di luar tahun penilaian (aturan: tanggal dalam tahun)",
        ),
        (
            403,
            {"detail": "hanya Pimpinan yang dapat melakukan ini", "field": "peran"},
            "ditolak: peran: hanya Pimpinan yang dapat melakukan ini",
        ),
        (  # someone with no part in it: told it does not exist, in words that already name what
            404,
            {"detail": "penilaian kinerja NIP 1 siklus X tidak ditemukan", "field": "penilaian"},
            "ditolak: penilaian kinerja NIP 1 siklus X tidak ditemukan",
        ),
        (
            409,
            {"detail": "hasil kalibrasi sudah diterapkan", "field": "tahap", "rule": "kalibrasi (SE 3/2023)"},
            "ditolak: tahap: hasil kalibrasi sudah diterapkan (aturan: kalibrasi (SE 3/2023))",
        ),
        (  # a detail that already begins with its field is not prefixed again; a rule it names is not repeated
            409,
            {"detail": "tahap sudah lewat", "field": "tahap", "rule": "tahap sudah lewat"},
            "ditolak: tahap sudah lewat",
        ),
        (
            401,
            {"detail": "token tidak berlaku (salah, kedaluwarsa atau dicabut); masuk lagi dengan `kinerja masuk`"},
            "token tidak berlaku (salah, kedaluwarsa atau dicabut); masuk lagi dengan `kinerja masuk`",
        ),
        (401, {"detail": "belum masuk"}, "belum masuk; masuk dengan `kinerja masuk`"),
        (  # an outage is not a refusal: the step was not taken and may be sent again
            503,
            {"detail": "Temporal tidak dapat dihubungi; tidak ada yang tercatat. Coba lagi sebentar lagi"},
            "Temporal tidak dapat dihubungi; tidak ada yang tercatat. Coba lagi sebentar lagi",
        ),
        (502, None, "API Kinerja tidak tersedia (502)"),  # a proxy's page, not a problem
        (
            500,
            {"detail": "kesalahan tak terduga pada server"},
            "API Kinerja gagal (500): kesalahan tak terduga pada server",
        ),
    ],
)
def test_each_answer_is_one_line_in_the_api_s_own_words(status: int, problem: dict[str, Any] | None, said: str) -> None:
    error = answer_error(_answer(status, problem, text="<html>Bad Gateway</html>"))
    assert (str(error), error.status) == (said, status)
    assert "\n" not in str(error)


def test_an_id_that_would_leave_its_path_segment_is_refused_before_anything_is_sent() -> None:
    assert segment(" 2026-DUKCAPIL ") == "2026-DUKCAPIL"
    for bad in ("../admin", "2026?x=1", "a#b", "%2e%2e", ""):
        with pytest.raises(CommandError):
            segment(bad)
