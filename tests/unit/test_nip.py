from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.nip import NipCheck, NipError, NipInfo, check_nips, normalize_nip, validate_nip
from domain.organisation import EmploymentKind

PNS_EXAMPLE = "198609262015051001"  # reference 4: 19860926 201505 1 001
PPPK_EXAMPLE = "199009132025242014"  # reference 4: NI PPPK, "24" in digits 13-14


def _segment_error(text: str, kind: EmploymentKind = EmploymentKind.PNS, **kwargs: date) -> NipError:
    with pytest.raises(NipError) as caught:
        validate_nip(text, kind, **kwargs)
    return caught.value


# --- the reference examples -------------------------------------------------------------------------------------


def test_reference_pns_example_parses_every_segment() -> None:
    info = validate_nip(PNS_EXAMPLE)
    assert info == NipInfo(
        nip=PNS_EXAMPLE,
        kind=EmploymentKind.PNS,
        birth_date=date(1986, 9, 26),
        gender="L",
        sequence=1,
        tmt_cpns=date(2015, 5, 1),
    )
    assert info.display == "19860926 201505 1 001"


def test_reference_pppk_example_parses_as_pppk() -> None:
    info = validate_nip(PPPK_EXAMPLE, EmploymentKind.PPPK)
    assert (info.birth_date, info.appointment_year, info.contract_count, info.gender, info.sequence) == (
        date(1990, 9, 13),
        2025,
        "24",
        "P",
        14,
    )
    assert info.tmt_cpns is None
    assert info.display == "19900913 2025 24 2 014"


def test_reference_pppk_example_fails_as_pns_naming_the_tmt_segment() -> None:
    error = _segment_error(PPPK_EXAMPLE)
    assert error.segment == "tmt"
    assert error.message == "NIP 199009132025242014: TMT CPNS (digit 9–14) '202524' bukan bulan 01–12"


# --- normalisation ----------------------------------------------------------------------------------------------


def test_spaces_of_the_print_form_are_stripped() -> None:
    assert normalize_nip(" 19860926 201505 1 001 ") == PNS_EXAMPLE
    assert normalize_nip("19860926\u00a0201505\t1 001") == PNS_EXAMPLE
    assert validate_nip("19860926 201505 1 001").nip == PNS_EXAMPLE


@pytest.mark.parametrize("text", ["19860926.201505.1.001", "19860926-201505-1-001", "1986O926201505100I"])
def test_other_separators_and_letters_are_refused_by_name(text: str) -> None:
    with pytest.raises(NipError, match="hanya boleh berisi angka") as caught:
        normalize_nip(text)
    assert caught.value.segment == "format"
    assert caught.value.field == "nip"


def test_non_ascii_digits_are_refused() -> None:
    with pytest.raises(NipError) as caught:
        normalize_nip("١٩٨٦٠٩٢٦٢٠١٥٠٥١٠٠١")
    assert caught.value.segment == "format"


@pytest.mark.parametrize("text", ["1.98609262015051e+17", "198609262015051000.0"])
def test_a_number_read_by_a_spreadsheet_gets_a_hint(text: str) -> None:
    with pytest.raises(NipError, match="simpan kolom NIP sebagai Teks"):
        normalize_nip(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "NIP kosong"),
        ("   ", "NIP kosong"),
        ("19860926201505100", "harus 18 digit, tertulis 17 digit"),
        ("1986092620150510011", "harus 18 digit, tertulis 19 digit"),
        ("196001011", "tertulis 9 digit"),  # the old 9-digit NIP
    ],
)
def test_length_is_exactly_18_digits(text: str, message: str) -> None:
    with pytest.raises(NipError, match=message) as caught:
        normalize_nip(text)
    assert caught.value.segment == "panjang"


def test_nip_error_is_a_domain_error_on_the_nip_field_with_the_rule() -> None:
    error = _segment_error("198609262015131001")
    assert isinstance(error, DomainError)
    assert str(error) == "nip: NIP 198609262015131001: TMT CPNS (digit 9–14) '201513' bukan bulan 01–12"
    assert error.rule is not None and "YYYYMM" in error.rule
    assert error.nip == "198609262015131001"


# --- tanggal lahir (digits 1-8) -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "birth", ["19860231", "19861301", "19860900", "19850229", "00000101", "19861232"], ids=lambda b: b
)
def test_birth_date_must_be_a_real_date(birth: str) -> None:
    error = _segment_error(f"{birth}201505 1 001".replace(" ", ""))
    assert error.segment == "tanggal_lahir"
    assert f"tanggal lahir (digit 1–8) '{birth}' bukan tanggal yang ada" in error.message


def test_leap_day_birth_is_a_real_date() -> None:
    assert validate_nip("198402292008021001").birth_date == date(1984, 2, 29)


def test_birth_before_1900_is_implausible() -> None:
    error = _segment_error("189912312008021001")
    assert error.segment == "tanggal_lahir"
    assert "sebelum 1900" in error.message


def test_birth_date_in_the_future_is_refused_only_when_today_is_given() -> None:
    nip = "200601152025011001"  # born 15 Jan 2006, TMT Jan 2025 (after the 18th birthday month, Jan 2024)
    assert validate_nip(nip).birth_date == date(2006, 1, 15)
    assert validate_nip(nip, today=date(2006, 1, 15)).birth_date == date(2006, 1, 15)
    error = _segment_error(nip, today=date(2006, 1, 14))
    assert error.segment == "tanggal_lahir"
    assert "setelah hari ini (2006-01-14)" in error.message


# --- TMT CPNS (digits 9-14) -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("tmt", ["201500", "201513", "201599"])
def test_tmt_month_must_be_01_to_12(tmt: str) -> None:
    error = _segment_error(f"19860926{tmt}1001")
    assert error.segment == "tmt"
    assert f"TMT CPNS (digit 9–14) '{tmt}' bukan bulan 01–12" in error.message


def test_tmt_is_month_precise_at_the_18th_birthday() -> None:
    # Born 26 Sep 1986: 18 on 26 Sep 2004. The NIP holds no TMT day, so TMT Sep 2004 (1 Sep) is accepted.
    assert validate_nip("198609262004091001").tmt_cpns == date(2004, 9, 1)
    error = _segment_error("198609262004081001")
    assert error.segment == "tmt"
    assert "sebelum usia 18 tahun" in error.message
    assert "TMT paling awal 200409" in error.message


def test_tmt_before_birth_is_refused() -> None:
    assert _segment_error("198609261980011001").segment == "tmt"


def test_tmt_for_a_29_february_birthday() -> None:
    # 18th "birthday" of someone born 29 Feb 1988 falls in Feb 2006 at month precision.
    assert validate_nip("198802292006021001").tmt_cpns == date(2006, 2, 1)
    assert _segment_error("198802292006011001").segment == "tmt"


def test_tmt_in_the_future_is_not_refused() -> None:
    # BKN sets the NIP before the SK, so the TMT month may still be ahead.
    info = validate_nip("200001012030011001", today=date(2026, 1, 1))
    assert info.tmt_cpns == date(2030, 1, 1)


# --- jenis kelamin (digit 15) and nomor urut (digits 16-18) -------------------------------------------------------


@pytest.mark.parametrize(("digit", "gender"), [("1", "L"), ("2", "P")])
def test_gender_digit(digit: str, gender: str) -> None:
    assert validate_nip(f"19860926201505{digit}001").gender == gender


@pytest.mark.parametrize("digit", ["0", "3", "9"])
def test_gender_digit_must_be_1_or_2(digit: str) -> None:
    error = _segment_error(f"19860926201505{digit}001")
    assert error.segment == "jenis_kelamin"
    assert f"jenis kelamin (digit 15) '{digit}' harus 1 (laki-laki) atau 2 (perempuan)" in error.message


@pytest.mark.parametrize(("digits", "sequence"), [("001", 1), ("010", 10), ("999", 999)])
def test_sequence_001_to_999(digits: str, sequence: int) -> None:
    assert validate_nip(f"198609262015051{digits}").sequence == sequence


def test_sequence_000_is_refused() -> None:
    error = _segment_error("198609262015051000")
    assert error.segment == "nomor_urut"
    assert "nomor urut (digit 16–18) '000' harus 001–999" in error.message


def test_first_broken_segment_in_digit_order_is_reported() -> None:
    # Bad birth date, bad month, bad gender and sequence 000 at once: the birth date is named.
    assert _segment_error("198613322015133000").segment == "tanggal_lahir"
    assert _segment_error("198609262015133000").segment == "tmt"
    assert _segment_error("198609262015053000").segment == "jenis_kelamin"


# --- PPPK -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("contract", ["00", "01", "13", "24", "99"])
def test_pppk_digits_13_14_are_not_a_month(contract: str) -> None:
    info = validate_nip(f"199009132025{contract}2014", EmploymentKind.PPPK)
    assert info.contract_count == contract


def test_pppk_appointment_year_from_the_18th_birthday_year() -> None:
    assert validate_nip("199012312008012001", EmploymentKind.PPPK).appointment_year == 2008
    error = _segment_error("199012312007012001", EmploymentKind.PPPK)
    assert error.segment == "tahun_pengangkatan"
    assert "tahun pengangkatan PPPK (digit 9–12) '2007' sebelum usia 18 tahun (lahir 1990; paling awal 2008)" in (
        error.message
    )


def test_pppk_still_checks_birth_date_gender_and_sequence() -> None:
    kind = EmploymentKind.PPPK
    assert _segment_error("199002302025012001", kind).segment == "tanggal_lahir"
    assert _segment_error("199009132025243014", kind).segment == "jenis_kelamin"
    assert _segment_error("199009132025242000", kind).segment == "nomor_urut"


def test_nip_info_refuses_fields_of_the_other_kind() -> None:
    with pytest.raises(ValueError, match="TMT CPNS"):
        NipInfo(
            nip=PPPK_EXAMPLE,
            kind=EmploymentKind.PPPK,
            birth_date=date(1990, 9, 13),
            gender="P",
            sequence=14,
            tmt_cpns=date(2025, 1, 1),
        )


# --- a column -----------------------------------------------------------------------------------------------------


def test_check_nips_reports_every_cell_in_order() -> None:
    checks = check_nips(["19860926 201505 1 001", "198609262015131001", "1986-0926", "", PNS_EXAMPLE])
    assert [c.ok for c in checks] == [True, False, False, False, True]
    assert [c.segment for c in checks] == [None, "tmt", "format", "panjang", None]
    assert checks[0] == NipCheck(
        input="19860926 201505 1 001", ok=True, normalized=PNS_EXAMPLE, info=validate_nip(PNS_EXAMPLE)
    )
    # An 18-digit cell with a broken segment still shows its normalised digits; unreadable cells do not.
    assert checks[1].normalized == "198609262015131001"
    assert checks[1].error == "NIP 198609262015131001: TMT CPNS (digit 9–14) '201513' bukan bulan 01–12"
    assert checks[2].normalized is None
    assert checks[2].error is not None and "'-'" in checks[2].error


def test_check_nips_uses_the_kind_and_today() -> None:
    assert [c.ok for c in check_nips([PPPK_EXAMPLE], EmploymentKind.PPPK)] == [True]
    assert [c.segment for c in check_nips([PNS_EXAMPLE], today=date(1986, 9, 25))] == ["tanggal_lahir"]


# --- properties -----------------------------------------------------------------------------------------------------


@st.composite
def _pns_parts(draw: st.DrawFn) -> tuple[date, date, str, int]:
    birth = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2010, 12, 31)))
    first = date(birth.year + 18, birth.month, 1)
    months = draw(st.integers(min_value=0, max_value=12 * 50))
    year, month = divmod(first.month - 1 + months, 12)
    tmt = date(first.year + year, month + 1, 1)
    return birth, tmt, draw(st.sampled_from(["L", "P"])), draw(st.integers(min_value=1, max_value=999))


@settings(max_examples=200)
@given(_pns_parts(), st.booleans())
def test_generated_pns_nips_validate_and_round_trip(parts: tuple[date, date, str, int], spaced: bool) -> None:
    birth, tmt, gender, sequence = parts
    nip = f"{birth:%Y%m%d}{tmt:%Y%m}{'1' if gender == 'L' else '2'}{sequence:03d}"
    info = validate_nip(nip)
    assert (info.nip, info.birth_date, info.tmt_cpns, info.gender, info.sequence) == (
        nip,
        birth,
        tmt,
        gender,
        sequence,
    )
    # The print form parses back to the same NIP.
    assert validate_nip(info.display if spaced else f" {nip} ") == info


@settings(max_examples=200)
@given(_pns_parts())
def test_a_tmt_one_month_before_the_18th_birthday_month_always_fails(parts: tuple[date, date, str, int]) -> None:
    birth = parts[0]
    too_early = date(birth.year + 18, birth.month, 1) - timedelta(days=1)
    with pytest.raises(NipError) as caught:
        validate_nip(f"{birth:%Y%m%d}{too_early:%Y%m}1001")
    assert caught.value.segment == "tmt"


@settings(max_examples=200)
@given(st.text(alphabet="0123456789 ", max_size=30))
def test_any_digit_string_either_validates_or_names_a_segment(text: str) -> None:
    try:
        info = validate_nip(text)
    except NipError as error:
        assert error.field == "nip"
        assert error.message.startswith("NIP")
    else:
        assert info.nip == "".join(text.split())
