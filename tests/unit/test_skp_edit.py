"""The SKP draft a person edits on its page (services.skp_edit), its form (web.pages.skp_form) and the links the
appraisal's page offers (services.appraisal_view): pure rules, no database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.skp import Aspect, Indicator, Polarity, RencanaHasilKerja, RhkKind, Skp, Target
from domain.stages import Role, Step
from services.appraisal_view import offers
from services.skp_edit import (
    DraftRefused,
    IndicatorDraft,
    References,
    RhkDraft,
    SkpDraft,
    build_skp,
    draft_of,
    shown_number,
)
from web.pages.skp_form import draft_from_form, with_row_added, with_row_removed

NIP = "199004042015032004"
PERIOD = 2026
REFS = References(iku=frozenset({"IKU-1"}), superior_rhk=frozenset({"197503032002031003-R1"}))


def _indicator(**changes: str) -> IndicatorDraft:
    values = {"text": "Berkas yang diverifikasi", "aspect": "kuantitas", "target": "1.200", "unit": "berkas"}
    return IndicatorDraft(**{**values, **changes})


def _draft(*rhk: RhkDraft) -> SkpDraft:
    return SkpDraft(rhk=list(rhk) or [RhkDraft(kind="utama", text="Data terverifikasi", indicators=[_indicator()])])


def _refused(draft: SkpDraft, previous: Skp | None = None) -> dict[str | None, str]:
    with pytest.raises(DraftRefused) as refused:
        build_skp(draft, nip=NIP, period=PERIOD, previous=previous, references=REFS)
    found: dict[str | None, str] = {}
    for field, message in refused.value.problems:
        found.setdefault(field, message)  # the first, as the page shows it
    return found


def _stored() -> Skp:
    target = Target(value=Decimal("98"))
    return Skp(
        employee_nip=NIP,
        period=PERIOD,
        rhk=[
            RencanaHasilKerja(
                id="R1",
                kind=RhkKind.UTAMA,
                text="Data terverifikasi",
                indicators=[
                    Indicator(id="I1", aspect=Aspect.KUALITAS, text="Tanpa salah", target=target, unit_of_measure="%")
                ],
            )
        ],
    )


def test_a_draft_becomes_the_skp_with_indonesian_numbers_and_its_cascade() -> None:
    draft = _draft(
        RhkDraft(kind="utama", text="Data terverifikasi", cascade="iku:IKU-1", indicators=[_indicator()]),
        RhkDraft(
            kind="tambahan",
            text="Layanan keliling",
            cascade="rhk:197503032002031003-R1",
            indicators=[
                _indicator(text="Rentang waktu", aspect="waktu", target="2", target_upper="4,5", polarity="range")
            ],
        ),
    )
    skp = build_skp(draft, nip=NIP, period=PERIOD, previous=None, references=REFS)
    assert [r.id for r in skp.rhk] == [f"{NIP}-R1", f"{NIP}-R2"]
    assert skp.rhk[0].indicators[0].id == f"{NIP}-R1-1"
    assert skp.rhk[0].indicators[0].target.value == Decimal("1200")
    assert skp.rhk[0].cascaded_from is not None and skp.rhk[0].cascaded_from.iku_code == "IKU-1"
    band = skp.rhk[1].indicators[0].target
    assert (band.polarity, band.value, band.upper) == (Polarity.RANGE, Decimal("2"), Decimal("4.5"))
    assert len(skp.perilaku) == 7


def test_a_line_break_typed_in_a_text_area_is_a_space() -> None:
    draft = _draft(RhkDraft(kind="utama", text="Data\r\nterverifikasi", indicators=[_indicator(text="A\tB")]))
    skp = build_skp(draft, nip=NIP, period=PERIOD, previous=None, references=REFS)
    assert (skp.rhk[0].text, skp.rhk[0].indicators[0].text) == ("Data terverifikasi", "A B")


def test_ids_of_the_stored_draft_are_kept_and_forged_ones_are_not() -> None:
    previous = _stored()
    draft = _draft(
        RhkDraft(kind="utama", text="Data terverifikasi", id="R1", indicators=[_indicator(id="I1")]),
        RhkDraft(kind="tambahan", text="Lain", id="R9", indicators=[_indicator(id="I1")]),
    )
    skp = build_skp(draft, nip=NIP, period=PERIOD, previous=previous, references=REFS)
    assert [r.id for r in skp.rhk] == ["R1", f"{NIP}-R2"]  # R9 is not the stored draft's: a new id
    assert [i.id for r in skp.rhk for i in r.indicators] == ["I1", f"{NIP}-R2-1"]  # I1 is used once only


def test_the_stored_skp_round_trips_through_the_form() -> None:
    stored = _stored()
    again = build_skp(draft_of(stored), nip=NIP, period=PERIOD, previous=stored, references=REFS)
    assert again == stored
    assert shown_number(Decimal("98.50")) == "98,5" and shown_number(Decimal("1200")) == "1200"


@pytest.mark.parametrize(
    ("rhk", "field", "words"),
    [
        (RhkDraft(kind="utama", text=" ", indicators=[_indicator()]), "rhk-0-teks", "wajib diisi"),
        (RhkDraft(kind="utama", text="x" * 501, indicators=[_indicator()]), "rhk-0-teks", "paling panjang 500"),
        (
            RhkDraft(kind="utama", text="Data", indicators=[_indicator(target="-5")]),
            "rhk-0-ind-0-target",
            "lebih besar",
        ),
        (RhkDraft(kind="utama", text="Data", indicators=[_indicator(text="a\x00b")]), "rhk-0-ind-0-teks", "U+0000"),
        (RhkDraft(kind="utama", text="Data", cascade="iku:NOPE", indicators=[_indicator()]), "rhk-0-acuan", "NOPE"),
        (RhkDraft(kind="utama", text="Data", cascade="rhk:X-R1", indicators=[_indicator()]), "rhk-0-acuan", "X-R1"),
        (
            RhkDraft(kind="utama", text="Data", cascade="lain", indicators=[_indicator()]),
            "rhk-0-acuan",
            "tidak dikenal",
        ),
        (RhkDraft(kind="utama", text="Data", indicators=[]), "rhk-0-indikator", "paling sedikit satu"),
        (RhkDraft(kind="tambahan", text="Data", indicators=[_indicator()]), "rhk-0-jenis", "RHK utama"),
        (RhkDraft(kind="pokok", text="Data", indicators=[_indicator()]), "rhk-0-jenis", "utama atau tambahan"),
        (RhkDraft(kind="utama", text="Data", indicators=[_indicator(aspect="mutu")]), "rhk-0-ind-0-aspek", "kualitas"),
        (RhkDraft(kind="utama", text="Data", indicators=[_indicator(target="1,2,3")]), "rhk-0-ind-0-target", "ribuan"),
        (
            RhkDraft(kind="utama", text="Data", indicators=[_indicator(polarity="range", target="5", target_upper="")]),
            "rhk-0-ind-0-target_atas",
            "wajib diisi",
        ),
        (
            RhkDraft(
                kind="utama", text="Data", indicators=[_indicator(polarity="range", target="5", target_upper="1")]
            ),
            "rhk-0-ind-0-target_atas",
            "target_atas",
        ),
        (
            RhkDraft(kind="utama", text="Data", indicators=[_indicator(target_upper="9")]),
            "rhk-0-ind-0-target_atas",
            "rentang",
        ),
        (RhkDraft(kind="utama", text="Data", indicators=[_indicator(unit="")]), "rhk-0-ind-0-satuan", "wajib diisi"),
        (RhkDraft(kind="utama", text="Data", indicators=[_indicator(), _indicator()]), "rhk-0-ind-1-teks", "sudah ada"),
    ],
)
def test_a_broken_rule_names_its_field(rhk: RhkDraft, field: str, words: str) -> None:
    problems = _refused(_draft(rhk))
    assert field in problems, problems
    assert words in problems[field]


def test_every_problem_is_reported_at_once_and_an_own_rhk_is_no_superior() -> None:
    previous = _stored()
    problems = _refused(
        _draft(
            RhkDraft(kind="utama", text="", indicators=[_indicator(target="")]),
            RhkDraft(kind="utama", text="Data terverifikasi", id="R1", cascade="rhk:R1", indicators=[_indicator()]),
        ),
        previous,
    )
    assert set(problems) == {"rhk-0-teks", "rhk-0-ind-0-target", "rhk-1-acuan"}
    assert "pegawai lain" in problems["rhk-1-acuan"]


def test_behaviour_expectations_are_bounded() -> None:
    draft = _draft().model_copy(update={"perilaku": ["", "", "x\x07"]})
    assert "U+0007" in _refused(draft)["perilaku-2"]
    assert None in _refused(_draft().model_copy(update={"perilaku": [""] * 8}))


def test_the_form_reads_rows_in_order_and_its_buttons_add_and_remove_rows() -> None:
    form = {
        "rhk-1-teks": "Kedua",
        "rhk-1-jenis": "tambahan",
        "rhk-0-teks": "Pertama",
        "rhk-0-ind-1-teks": "B",
        "rhk-0-ind-0-teks": "A",
        "perilaku-0": "Ramah",
        "perilaku-9": "diabaikan",
        "lain": "diabaikan",
    }
    draft = draft_from_form(form)
    assert [r.text for r in draft.rhk] == ["Pertama", "Kedua"]
    assert [i.text for i in draft.rhk[0].indicators] == ["A", "B"]
    assert draft.perilaku[0] == "Ramah" and len(draft.perilaku) == 7
    assert len(with_row_added(draft, "ind-1").rhk[1].indicators) == 1
    assert len(with_row_added(draft, "rhk").rhk) == 3
    assert with_row_added(draft, "ind-7") == draft
    assert [i.text for i in with_row_removed(draft, "rhk-0-ind-0").rhk[0].indicators] == ["B"]
    assert [r.text for r in with_row_removed(draft, "rhk-0").rhk] == ["Kedua"]
    blank = with_row_added(draft, "rhk")
    assert len(blank.compact().rhk) == 2  # an RHK left empty is no RHK


@pytest.mark.parametrize(
    ("step", "roles", "pages"),
    [
        (Step.SKP_DRAFTING, {Role.PEGAWAI}, ["skp"]),
        (Step.SKP_DRAFTING, {Role.PENILAI}, []),
        (Step.SKP_APPROVAL, {Role.PENILAI}, ["skp"]),
        (Step.SKP_DRAFTING, {Role.PENGAWASAN}, ["skp", "tindakan"]),
        (Step.SELF_ASSESSMENT, {Role.PEGAWAI, Role.PENGELOLA_KINERJA}, ["realisasi", "skp", "tindakan"]),
        (Step.SKP_CHANGE_APPROVAL, {Role.PENILAI}, ["skp"]),
        (Step.SUPERVISOR_REVIEW, {Role.PENILAI}, ["nilai"]),
        (Step.SIGN_OFF, {Role.PENILAI}, ["penetapan"]),
        (Step.OBJECTION_WINDOW, {Role.PEGAWAI}, ["penetapan"]),
        (Step.OBJECTION_REVIEW, {Role.ATASAN_PENILAI}, ["penetapan"]),
        (Step.FINAL, {Role.PENGELOLA_KINERJA, Role.OPERATOR}, ["riwayat"]),
        (Step.AWAITING_CALIBRATION, {Role.PIMPINAN}, []),
    ],
)
def test_the_appraisal_page_offers_the_pages_of_the_steps_a_person_may_take(
    step: Step, roles: set[Role], pages: list[str]
) -> None:
    assert [offer.page for offer in offers(step, roles, has_deadline=True)] == pages


def test_a_take_over_is_marked_and_a_deadline_is_extended_only_where_there_is_one() -> None:
    found = offers(Step.SKP_DRAFTING, {Role.PENGAWASAN}, has_deadline=False)
    assert found[0].on_behalf
    assert "Perpanjang batas waktu" not in found[1].steps
    assert not offers(Step.SKP_DRAFTING, {Role.PEGAWAI, Role.PENGAWASAN}, has_deadline=True)[0].on_behalf
