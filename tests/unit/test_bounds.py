"""The bounds on what people send (domain.bounds) and the appraisal validators' admission of each payload
(workflows.admission): every free text, list, realisation and date, refused with the field and the rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from domain.bounds import (
    MAX_EVIDENCE_ITEMS,
    MAX_FEEDBACK_CHARS,
    MAX_INDICATORS_PER_RHK,
    MAX_LIST_ITEMS,
    MAX_REASON_CHARS,
    MAX_RHK_ITEMS,
    appraisal_years,
    check_amount,
    check_in_years,
    check_items,
    check_text,
)
from domain.errors import DomainError
from domain.ratings import Expectation
from domain.skp import Realisation, RencanaHasilKerja, RhkKind
from domain.stages import Role
from domain.withdrawal import WithdrawalCause
from tests.workflows import scenario
from workflows.admission import admit
from workflows.contracts import (
    Acknowledge,
    Actor,
    ApproveSkp,
    DecideObjection,
    ExtendDeadline,
    FileObjection,
    Reassign,
    ReturnSkp,
    Sign,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitSkp,
    Withdraw,
)

PERIOD = scenario.PERIOD
MEGABYTE = "x" * 1_000_000
WIT = 9  # Indonesia's easternmost zone


def refused(call: object, *args: object, **kwargs: object) -> DomainError:
    with pytest.raises(DomainError) as error:
        call(*args, **kwargs)  # type: ignore[operator]
    return error.value


# --- domain.bounds ------------------------------------------------------------------------------------------------


def test_a_text_within_the_limit_with_line_breaks_passes() -> None:
    text = "Baris satu\nbaris dua\r\n\tdiindentasi"
    assert check_text(text, "alasan") == text
    assert check_text("x" * MAX_REASON_CHARS, "alasan") == "x" * MAX_REASON_CHARS


def test_a_text_over_the_limit_is_refused_with_its_length() -> None:
    error = refused(check_text, "x" * (MAX_REASON_CHARS + 1), "alasan")
    assert (error.field, error.rule) == ("alasan", "batas panjang teks")
    assert "paling panjang 2.000 karakter, yang dikirim 2.001" in str(error)


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f", "\x85"])
def test_control_characters_are_refused(character: str) -> None:
    error = refused(check_text, f"alasan{character}palsu", "alasan")
    assert error.rule == "teks tanpa karakter kendali"
    assert f"U+{ord(character):04X}" in str(error)


def test_a_line_break_is_refused_where_one_line_is_expected() -> None:
    assert refused(check_text, "https://a.go.id/\nb", "bukti", multiline=False).field == "bukti"


def test_a_list_over_its_limit_is_refused() -> None:
    check_items([1] * 3, "realisasi", limit=3)
    error = refused(check_items, [1] * 4, "realisasi", limit=3)
    assert (error.field, error.rule) == ("realisasi", "batas jumlah butir")
    assert "paling banyak 3 butir, yang dikirim 4" in str(error)


@pytest.mark.parametrize("value", ["0", "12.5", "1000000000000"])
def test_a_realisation_from_zero_to_the_limit_passes(value: str) -> None:
    check_amount(Decimal(value), "nilai")


def test_a_negative_realisation_is_refused() -> None:
    error = refused(check_amount, Decimal("-1"), "realisasi[I1].nilai")
    assert (error.field, error.rule) == ("realisasi[I1].nilai", "realisasi tidak negatif")


def test_an_absurd_realisation_is_refused() -> None:
    error = refused(check_amount, Decimal("1e400"), "nilai")
    assert error.rule == "batas nilai realisasi" and "1.000.000.000.000" in str(error)
    assert refused(check_amount, Decimal("NaN"), "nilai").field == "nilai"


YEARS = appraisal_years(PERIOD, PERIOD, PERIOD)


def test_an_appraisals_years_are_its_period_and_the_next_or_what_its_calendar_spans() -> None:
    assert YEARS == (PERIOD, PERIOD + 1)
    # A calendar that runs into the next year (sign-off in January) keeps a deadline of that year's end open.
    assert appraisal_years(PERIOD, PERIOD, PERIOD + 1) == (PERIOD, PERIOD + 2)
    # The workflow tests' compressed calendars start when the test server's clock says, years after the period.
    assert appraisal_years(PERIOD, PERIOD + 10, PERIOD + 10) == (PERIOD, PERIOD + 11)


def test_a_date_in_the_period_or_the_next_year_passes() -> None:
    check_in_years(datetime(PERIOD, 1, 1, tzinfo=UTC), "sampai", years=YEARS)
    check_in_years(datetime(PERIOD + 1, 12, 31, 16, tzinfo=UTC), "sampai", years=YEARS, utc_offset_hours=7)


@pytest.mark.parametrize(
    "instant",
    [
        datetime(9999, 12, 31, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-12))),  # would overflow if converted
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(PERIOD - 1, 12, 31, tzinfo=UTC),
        datetime(PERIOD + 2, 1, 1, tzinfo=UTC),
    ],
)
def test_a_date_outside_the_appraisals_years_is_refused(instant: datetime) -> None:
    error = refused(check_in_years, instant, "sampai", years=YEARS, utc_offset_hours=WIT)
    assert (error.field, error.rule) == ("sampai", "tanggal dalam tahun penilaian")
    assert f"di luar tahun penilaian dan tahun berikutnya (tahun {PERIOD} sampai {PERIOD + 1})" in str(error)


def test_a_date_is_read_in_the_cycles_zone() -> None:
    # 1 January of the year after next in WIT, still 31 December in UTC.
    new_year = datetime(PERIOD + 1, 12, 31, 16, tzinfo=UTC)
    check_in_years(new_year, "sampai", years=YEARS)
    assert refused(check_in_years, new_year, "sampai", years=YEARS, utc_offset_hours=WIT).field == "sampai"


# --- workflows.admission: every payload's free texts, lists, numbers and dates -------------------------------------

EMPLOYEE, PENILAI, ATASAN = scenario.EMPLOYEE, scenario.PENILAI, scenario.ATASAN
TEAM, HR = scenario.TIM_PENGAWASAN, scenario.HR
IN_PERIOD = datetime(PERIOD, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (SubmitSkp(actor=HR, skp=scenario.skp(), reason=MEGABYTE), "alasan"),
        (ApproveSkp(actor=PENILAI, note=MEGABYTE), "catatan"),
        (ReturnSkp(actor=PENILAI, comments=MEGABYTE), "catatan"),
        (SubmitSelfAssessment(actor=HR, realisations=scenario.realisations(), reason=MEGABYTE), "alasan"),
        (
            SubmitReview(actor=PENILAI, perilaku=Expectation.MEETS, hasil_kerja=Expectation.MEETS, feedback=MEGABYTE),
            "umpan_balik",
        ),
        (
            SubmitReview(
                actor=PENILAI, perilaku=Expectation.MEETS, hasil_kerja=Expectation.ABOVE, override_reason=MEGABYTE
            ),
            "alasan",
        ),
        (Sign(actor=PENILAI, note=MEGABYTE), "catatan"),
        (Acknowledge(actor=HR, reason=MEGABYTE), "alasan"),
        (FileObjection(actor=EMPLOYEE, reason=MEGABYTE), "alasan"),
        (DecideObjection(actor=ATASAN, reason=MEGABYTE), "alasan"),
        (ExtendDeadline(actor=TEAM, new_deadline=IN_PERIOD, reason=MEGABYTE), "alasan"),
        (Reassign(actor=TEAM, penilai_nip=scenario.KASI_BARU, reason=MEGABYTE), "alasan"),
        (Withdraw(actor=HR, cause=WithdrawalCause.MUTASI, reason=MEGABYTE), "alasan"),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, str) else value,
)
def test_a_megabyte_of_text_is_refused_in_every_payload(command: object, field: str) -> None:
    error = refused(admit, command, YEARS)
    assert (error.field, error.rule) == (field, "batas panjang teks")


def test_feedback_may_be_longer_than_a_reason() -> None:
    review = SubmitReview(
        actor=PENILAI, perilaku=Expectation.MEETS, hasil_kerja=Expectation.MEETS, feedback="x" * MAX_FEEDBACK_CHARS
    )
    admit(review, YEARS)


def test_a_null_character_in_a_note_is_refused() -> None:
    assert refused(admit, ApproveSkp(actor=PENILAI, note="Setuju\x00"), YEARS).rule == "teks tanpa karakter kendali"


def test_the_scenarios_payloads_pass() -> None:
    admit(SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()), YEARS)
    admit(SubmitSelfAssessment(actor=EMPLOYEE, realisations=scenario.realisations()), YEARS)
    admit(ExtendDeadline(actor=TEAM, new_deadline=IN_PERIOD, reason="perpanjangan karena cuti sakit"), YEARS, 7)


def test_an_extension_to_the_year_9999_is_refused() -> None:
    extension = ExtendDeadline(
        actor=TEAM, new_deadline=datetime(9999, 12, 31, tzinfo=UTC), reason="perpanjangan karena cuti sakit"
    )
    error = refused(admit, extension, YEARS, 7)
    assert (error.field, error.rule) == ("new_deadline", "tanggal dalam tahun penilaian")


def realisation(**changes: object) -> Realisation:
    return scenario.realisations()[0].model_copy(update=changes)


@pytest.mark.parametrize(
    ("realisations", "field", "rule"),
    [
        ([realisation(value=Decimal("-5"))], "realisasi[I1].nilai", "realisasi tidak negatif"),
        ([realisation(note=MEGABYTE)], "realisasi[I1].catatan", "batas panjang teks"),
        (
            [realisation(evidence=["https://a.go.id"] * (MAX_EVIDENCE_ITEMS + 1))],
            "realisasi[I1].bukti",
            "batas jumlah butir",
        ),
        ([realisation(evidence=["https://a.go.id/" + "x" * 3000])], "realisasi[I1].bukti[0]", "batas panjang teks"),
        ([realisation(evidence=["https://a.go.id/\nlain"])], "realisasi[I1].bukti[0]", "teks tanpa karakter kendali"),
        ([realisation(indicator_id="I" * 100)], "realisasi[0].indikator", "batas panjang teks"),
        ([realisation()] * (MAX_LIST_ITEMS + 1), "realisasi", "batas jumlah butir"),
    ],
)
def test_realisations_are_bounded(realisations: list[Realisation], field: str, rule: str) -> None:
    error = refused(admit, SubmitSelfAssessment(actor=EMPLOYEE, realisations=realisations), YEARS)
    assert (error.field, error.rule) == (field, rule)


def test_an_skp_is_bounded_in_rhk_and_indicators() -> None:
    skp = scenario.skp()
    first = skp.rhk[0]
    extra = [
        first.model_copy(update={"id": f"R{n}", "indicators": [first.indicators[0].model_copy(update={"id": f"I{n}"})]})
        for n in range(MAX_RHK_ITEMS + 1)
    ]
    too_many_rhk = skp.model_copy(update={"rhk": extra})
    assert refused(admit, SubmitSkp(actor=EMPLOYEE, skp=too_many_rhk), YEARS).field == "skp.rhk"
    indicators = [first.indicators[0].model_copy(update={"id": f"I{n}"}) for n in range(MAX_INDICATORS_PER_RHK + 1)]
    crowded = RencanaHasilKerja(id="R9", kind=RhkKind.UTAMA, text="RHK", indicators=indicators)
    too_many_indicators = skp.model_copy(update={"rhk": [crowded]})
    assert refused(admit, SubmitSkp(actor=EMPLOYEE, skp=too_many_indicators), YEARS).field == "skp.rhk[R9].indikator"
    behaviour = skp.perilaku[0].model_copy(update={"expectation": MEGABYTE})
    loud = skp.model_copy(update={"perilaku": [behaviour, *skp.perilaku[1:]]})
    error = refused(admit, SubmitSkp(actor=EMPLOYEE, skp=loud), YEARS)
    assert error.field == "skp.perilaku[Berorientasi Pelayanan].ekspektasi"


@pytest.mark.parametrize("role", [Role.PENGAWASAN, Role.PENGELOLA_KINERJA])
def test_a_manager_cannot_reassign_the_appraisal_to_themself(role: Role) -> None:
    manager = Actor(nip=scenario.PENGAWAS, role=role)
    as_penilai = Reassign(actor=manager, penilai_nip=scenario.PENGAWAS, reason="reorganisasi bidang pelayanan")
    error = refused(admit, as_penilai, YEARS)
    assert (error.field, error.rule) == ("penilai_nip", "pengalih bukan penerima pengalihan")
    assert "kepada dirinya sendiri" in str(error)
    as_atasan = Reassign(
        actor=manager, penilai_nip=scenario.KASI_BARU, atasan_nip=scenario.PENGAWAS, reason="reorganisasi bidang"
    )
    assert refused(admit, as_atasan, YEARS).field == "atasan_nip"
    admit(Reassign(actor=manager, penilai_nip=scenario.KASI_BARU, reason="reorganisasi bidang pelayanan"), YEARS)
