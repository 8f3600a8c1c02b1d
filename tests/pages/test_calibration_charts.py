"""The calibration page's pieces that need no server: the SVG bar chart (web.pages.charts), a distribution against a
pattern of SE MenPAN-RB 3/2023 (services.calibration_board.distribution), and the decision form read into the API's
body with a justification beside every change (services.calibration_decision)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from domain.calibration import Change
from domain.errors import DomainError
from domain.policy import AppraisalPolicy
from domain.ratings import OrgPredicate, Predicate
from services.calibration_board import distribution
from services.calibration_decision import DecisionRefused, decision_from_form
from web.pages.charts import Band, Series, bar_chart, ident, percent_text, share

SVG = "{http://www.w3.org/2000/svg}"
CATEGORIES = [p.label for p in Predicate]


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def _title(element: ET.Element) -> str | None:
    found = element.find(f"{SVG}title")
    return found.text if found is not None else None


def _bars(svg: ET.Element, key: str) -> list[ET.Element]:
    return [r for r in svg.iter(f"{SVG}rect") if f"chart-bar-{key}" in r.get("class", "").split()]


def test_share_and_its_words() -> None:
    assert share(1, 3) == Decimal("33.33")
    assert share(2, 3) == Decimal("66.67")
    assert share(0, 0) == Decimal(0)
    assert percent_text(Decimal("70.00")) == "70%"
    assert percent_text(Decimal("33.30")) == "33,3%"
    assert percent_text(share(1, 3)) == "33,33%"


def test_a_chart_is_an_accessible_image_with_bars_in_proportion() -> None:
    markup = bar_chart(
        chart_id="grafik-instansi",
        title="Distribusi predikat",
        description="10 pegawai",
        categories=CATEGORIES,
        series=[Series("sekarang", "Hasil penilaian", (1, 8, 1, 0, 0)), Series("usulan", "Usulan", (1, 7, 2, 0, 0))],
        bands=[Band(1, Decimal(0), Decimal(70), "Baik paling banyak 70%")],
    )
    svg = _parse(markup)
    assert svg.get("role") == "img" and svg.get("id") == "grafik-instansi"
    assert svg.get("aria-labelledby") == "grafik-instansi-judul grafik-instansi-uraian"
    assert _title(svg) == "Distribusi predikat"
    assert svg.find(f"{SVG}desc") is not None
    now, proposed = _bars(svg, "sekarang"), _bars(svg, "usulan")
    assert len(now) == len(proposed) == 5 + 1  # a bar per predicate, and the legend's swatch
    heights = [float(r.get("height", "0")) for r in now if r.get("height") != "14"]
    assert heights[1] == pytest.approx(heights[0] * 8) and heights[3] == 0
    labels = [_title(r) for r in now if _title(r) is not None]
    assert labels[1] == "Hasil penilaian, Baik: 8 pegawai (80%)"
    bands = [r for r in svg.iter(f"{SVG}rect") if "chart-band" in r.get("class", "") and _title(r) is not None]
    assert [_title(r) for r in bands] == ["Baik paling banyak 70%"]
    texts = "".join(svg.itertext())
    assert "70%" in texts and "Butuh" in texts and "Perbaikan" in texts
    assert all("style" not in element.attrib for element in svg.iter()), "no inline style under the CSP"


def test_text_is_escaped_and_ids_are_safe() -> None:
    markup = bar_chart(
        chart_id='unit "<x>"',
        title="<script>alert(1)</script>",
        description="a & b",
        categories=["A"],
        series=[Series("s", "<b>", (0,))],
    )
    svg = _parse(markup)  # well-formed: every text escaped
    assert "<script>" not in markup and _title(svg) == "<script>alert(1)</script>"
    assert svg.get("id") == "unit---x" and ident("A-BID") == "A-BID"
    assert "belum ada data" in "".join(svg.itertext())


def test_a_chart_refuses_counts_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match="categories"):
        bar_chart(chart_id="x", title="t", description="d", categories=["A", "B"], series=[Series("s", "S", (1,))])
    with pytest.raises(ValueError, match="negative"):
        bar_chart(chart_id="x", title="t", description="d", categories=["A"], series=[Series("s", "S", (-1,))])


def test_a_distribution_against_the_pattern_of_baik() -> None:
    policy = AppraisalPolicy()
    counts = {Predicate.SANGAT_BAIK: 1, Predicate.BAIK: 9}
    found = distribution("A-BID", "Bidang", counts, OrgPredicate.BAIK, policy, missing=2)
    assert (found.total, found.missing, found.compliant) == (10, 2, False)
    most, least = found.rules
    assert (most.count, most.low, most.high, most.met) == (9, 0, 7, False)
    assert (least.count, least.low, least.met) == (0, 1, False)
    assert most.message and "9 dari 10" in most.message and "paling banyak 7" in most.message
    assert found.violations == [most.message, least.message]
    ((predicate, low, high, label),) = found.bands()
    assert (predicate, low, high) == (Predicate.BAIK, Decimal(0), Decimal(70)) and "0–7 dari 10" in label
    fine = distribution("", "Instansi", {Predicate.BAIK: 7, Predicate.BUTUH_PERBAIKAN: 3}, OrgPredicate.BAIK, policy)
    assert fine.compliant and fine.violations == []
    with pytest.raises(DomainError, match="negatif"):
        distribution("", "Instansi", {Predicate.BAIK: -1}, OrgPredicate.BAIK, policy)


def _change(nip: str) -> Change:
    return Change(
        employee_id=nip,
        name="Pegawai",
        unit="A-BID",
        achievement=Decimal("90"),
        from_predicate=Predicate.BAIK,
        to_predicate=Predicate.BUTUH_PERBAIKAN,
        rules=[],
        reason="capaian terendah",
    )


NIP_1, NIP_2 = "199004042015032004", "199107072016032007"


def test_a_change_needs_its_own_justification() -> None:
    changes = [_change(NIP_1)]
    with pytest.raises(DecisionRefused) as refused:
        decision_from_form({"keputusan": "terima", f"ubah-{NIP_1}": "baik", f"alasan-{NIP_1}": " "}, changes, "")
    assert [field for field, _ in refused.value.problems] == [f"alasan-{NIP_1}"]
    body = decision_from_form(
        {
            "keputusan": "terima",
            f"ubah-{NIP_1}": "baik",
            f"alasan-{NIP_1}": "Kinerja lapangan terbukti baik",
            "lain-0-nip": "1991 0707 2016 0320 07",
            "lain-0-predikat": "sangat_baik",
            "lain-0-alasan": "Penghargaan nasional tahun ini",
            "justifikasi": "Rapat komite 3 Februari",
        },
        changes,
        "abcdef012345",
    )
    assert body.terima and body.usulan == "abcdef012345"
    assert body.ubah == {NIP_1: Predicate.BAIK, NIP_2: Predicate.SANGAT_BAIK}
    assert body.justifikasi is not None and body.justifikasi.splitlines() == [
        "Rapat komite 3 Februari",
        f"{NIP_1} Pegawai → Baik: Kinerja lapangan terbukti baik",
        f"{NIP_2} → Sangat Baik: Penghargaan nasional tahun ini",
    ]
    plain = decision_from_form({"keputusan": "tolak", "justifikasi": ""}, changes, "")
    assert (plain.terima, plain.ubah, plain.justifikasi, plain.usulan) == (False, {}, None, None)


def test_every_bad_field_of_the_decision_is_named() -> None:
    with pytest.raises(DecisionRefused) as refused:
        decision_from_form(
            {
                f"alasan-{NIP_1}": "alasan tanpa predikat",
                "lain-0-nip": "123",
                "lain-1-nip": NIP_1,
                "lain-2-nip": NIP_2,
                "lain-2-predikat": "luar_biasa",
                "justifikasi": "x\x00",
            },
            [_change(NIP_1)],
            "",
        )
    assert [field for field, _ in refused.value.problems] == [
        "keputusan",
        f"ubah-{NIP_1}",
        "lain-0-nip",
        "lain-1-nip",
        "lain-2-predikat",
        "justifikasi",
    ]
