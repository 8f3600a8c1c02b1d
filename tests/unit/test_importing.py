import csv
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from domain.errors import DomainError
from domain.organisation import Employee, EmploymentKind
from domain.skp import Aspect, CascadeRef, Polarity, RhkKind, Target
from importing.errors import ImportFileError, RowError, ValidationFailed
from importing.iku import parse_iku
from importing.roster import ROSTER_COLUMNS, parse_roster
from importing.skp import parse_skp
from importing.tables import NumberStyle, Table, cell_text, normalise_header, read_table
from importing.values import parse_decimal, parse_polarity

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TODAY = date(2026, 1, 15)
INSTANSI = "JPR-DUKCAPIL"
D = Decimal

HEAD = "197203151998031001"  # Kepala Dinas, born 15 Mar 1972, TMT CPNS Mar 1998
KABID = "198009092005011001"
STAFF = "199212252019032001"
PPPK = "199502142023212004"  # NI PPPK: born 14 Feb 1995, appointed 2023, code 21, female, no. 004
ROSTER_HEADER = "nip,nama,jabatan,unit,unit_nama,unit_induk,jenis,nip_atasan"


def _write(tmp_path: Path, text: str, name: str = "data.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _roster_rows(*rows: str, header: str = ROSTER_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def _roster(tmp_path: Path, *rows: str, header: str = ROSTER_HEADER) -> Table:
    return read_table(_write(tmp_path, _roster_rows(*rows, header=header)))


def _failure(call: object, *args: object, **kwargs: object) -> ValidationFailed:
    assert callable(call)
    with pytest.raises(ValidationFailed) as caught:
        call(*args, **kwargs)
    return caught.value


def _codes(failure: ValidationFailed) -> list[tuple[int, str]]:
    return [(e.line, e.code) for e in failure.errors]


# --- reading CSV --------------------------------------------------------------------------------------------------


def test_csv_with_commas_trims_cells_skips_blank_rows_and_counts_them(tmp_path: Path) -> None:
    text = 'nip , nama\n 1 , "Rumbiak, Yohanes" \n\n,\n2,Wenda\n'
    table = read_table(_write(tmp_path, text))
    assert table.headers == ["nip", "nama"]
    assert [(r.line, r.values) for r in table.rows] == [
        (2, {"nip": "1", "nama": "Rumbiak, Yohanes"}),
        (5, {"nip": "2", "nama": "Wenda"}),
    ]
    assert table.number_style is NumberStyle.UNKNOWN


def test_csv_with_semicolons_bom_and_crlf_as_indonesian_excel_saves_it(tmp_path: Path) -> None:
    path = tmp_path / "ekspor.csv"
    path.write_bytes("\ufeffNIP;Nama;Target\r\n1;Wenda;1.234,5\r\n".encode())
    table = read_table(path)
    assert table.headers == ["nip", "nama", "target"]  # the BOM is not part of the first header
    assert table.rows[0].values == {"nip": "1", "nama": "Wenda", "target": "1.234,5"}
    assert table.number_style is NumberStyle.INDONESIAN


def test_excel_sep_line_sets_the_delimiter_and_is_not_a_row(tmp_path: Path) -> None:
    table = read_table(_write(tmp_path, "sep=;\nnip;nama,gelar\n1;Wenda, S.H.\n"))
    assert table.headers == ["nip", "nama_gelar"]
    assert (table.rows[0].line, table.rows[0].get("nama_gelar")) == (2, "Wenda, S.H.")


def test_windows_1252_csv_is_read(tmp_path: Path) -> None:
    table = read_table(_write(tmp_path, "nip,nama\n1,José Ohee\n", encoding="cp1252"))
    assert table.rows[0].get("nama") == "José Ohee"


def test_quoted_cell_spanning_lines_is_one_row(tmp_path: Path) -> None:
    table = read_table(_write(tmp_path, 'nip,nama\n1,"baris\nkedua"\n2,Wenda\n'))
    assert [r.line for r in table.rows] == [2, 3]


def test_headers_are_normalised() -> None:
    assert normalise_header(" NIP Atasan ") == "nip_atasan"
    assert normalise_header("Unit-Kerja") == "unit_kerja"
    assert normalise_header("Target (Min)") == "target_min"


def test_aliases_map_to_canonical_columns_and_errors_use_the_header_as_written(tmp_path: Path) -> None:
    header = "NIP,Nama Pegawai,Position,Unit Kerja,Kind,Superior NIP"
    text = _roster_rows(
        f"{HEAD},Yohanes,Kepala Dinas,DUKCAPIL,PNS,", f"{KABID},Herman,Kabid,DAFDUK,PNS,{STAFF}", header=header
    )
    table = read_table(_write(tmp_path, text), ROSTER_COLUMNS)
    assert table.headers == ["nip", "nama", "jabatan", "unit", "jenis", "nip_atasan"]
    failure = _failure(parse_roster, table, INSTANSI, TODAY)
    assert failure.errors[0].column == "Superior NIP"
    assert failure.errors[0].render().startswith(f"baris 3, kolom Superior NIP: '{STAFF}' — NIP atasan tidak ada")


def test_missing_required_columns_is_one_line_naming_the_file_and_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, "NIP,Unit\n1,A\n", name="pegawai.csv")
    with pytest.raises(ImportFileError) as caught:
        read_table(path, ROSTER_COLUMNS)
    message = str(caught.value)
    assert "\n" not in message
    assert message == "pegawai.csv: kolom wajib tidak ada: nama, jabatan (kolom yang terbaca: NIP, Unit)"
    # The parser checks the columns too, for a table read without them.
    with pytest.raises(ImportFileError, match="kolom wajib tidak ada: nama, jabatan"):
        parse_roster(read_table(path), INSTANSI, TODAY)


def test_two_headers_for_the_same_column_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="kolom 'nama' dan 'name' sama-sama berarti 'nama'"):
        read_table(_write(tmp_path, "nip,nama,name,jabatan,unit\n"), ROSTER_COLUMNS)


def test_duplicate_header_and_empty_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="judul kolom 'NIP' ganda"):
        read_table(_write(tmp_path, "nip,NIP\n1,2\n"))
    with pytest.raises(ImportFileError, match="berkas kosong"):
        read_table(_write(tmp_path, "\n,,\n", name="kosong.csv"))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("pegawai.txt", b"nip\n", "pegawai.txt: jenis berkas '.txt' tidak didukung; gunakan .csv atau .xlsx"),
        ("pegawai.xls", b"\xd0\xcf", "pegawai.xls: format .xls (Excel 97–2003) tidak didukung"),
        ("pegawai.xlsx", b"bukan zip", "pegawai.xlsx: bukan berkas Excel .xlsx yang dapat dibaca"),
    ],
)
def test_unusable_files_are_named_in_the_error(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportFileError) as caught:
        read_table(path)
    assert str(caught.value).startswith(message)


def test_missing_file_is_an_import_file_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=r"^tidak_ada\.csv: berkas tidak ditemukan"):
        read_table(tmp_path / "tidak_ada.csv")


# --- reading XLSX -------------------------------------------------------------------------------------------------


def _xlsx(tmp_path: Path, rows: list[list[object]], *, title: str = "Pegawai", extra_sheet: bool = False) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    if extra_sheet:
        sheet.title = "Petunjuk"
        sheet.append(["Isi lembar berikutnya"])
        sheet = workbook.create_sheet(title)
    else:
        sheet.title = title
    for row in rows:
        sheet.append(row)
    path = tmp_path / "pegawai.xlsx"
    workbook.save(path)
    return path


def test_xlsx_round_trip_keeps_spreadsheet_line_numbers_and_renders_cells(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path,
        [
            ["NIP", "Nama", "Target", "Bobot", "Tanggal", "Waktu", "Aktif"],
            [HEAD, " Yohanes ", 97, 85.5, date(2026, 1, 31), datetime(2026, 1, 31, 8, 30), True],
            [None, None, None, None, None, None, None],
            [KABID, "Herman", 100.0, 0.125, datetime(2026, 2, 1), None, False],
        ],
    )
    table = read_table(path)
    assert table.number_style is NumberStyle.POINT
    assert [(r.line, r.values) for r in table.rows] == [
        (
            2,
            {
                "nip": HEAD,
                "nama": "Yohanes",
                "target": "97",
                "bobot": "85.5",
                "tanggal": "2026-01-31",
                "waktu": "2026-01-31T08:30:00",
                "aktif": "TRUE",
            },
        ),
        (
            4,
            {
                "nip": KABID,
                "nama": "Herman",
                "target": "100",
                "bobot": "0.125",
                "tanggal": "2026-02-01",
                "waktu": "",
                "aktif": "FALSE",
            },
        ),
    ]


def test_xlsx_roster_errors_name_the_spreadsheet_row(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path,
        [
            ["nip", "nama", "jabatan", "unit"],
            [HEAD, "Yohanes", "Kepala Dinas", "DUKCAPIL"],
            [],
            ["199002302015032001", "Agustina", "Sekretaris", "SEKRETARIAT"],
        ],
    )
    failure = _failure(parse_roster, read_table(path), INSTANSI, TODAY)
    assert _codes(failure) == [(4, "nip.tanggal_lahir")]


def test_xlsx_named_sheet_and_unknown_sheet(tmp_path: Path) -> None:
    path = _xlsx(tmp_path, [["nip", "nama"], [HEAD, "Yohanes"]], extra_sheet=True)
    assert read_table(path).headers == ["isi_lembar_berikutnya"]  # the first sheet by default
    assert read_table(path, sheet="Pegawai").rows[0].get("nama") == "Yohanes"
    with pytest.raises(ImportFileError, match="lembar 'Data' tidak ada; lembar yang ada: Petunjuk, Pegawai"):
        read_table(path, sheet="Data")


def test_nip_stored_as_a_number_cell_is_reported_not_silently_rounded(tmp_path: Path) -> None:
    # Excel keeps 15 significant digits: an 18-digit NIP typed as a number comes back as 1.98609262015051E+17.
    path = _xlsx(tmp_path, [["nip", "nama", "jabatan", "unit"], [1.98609262015051e17, "Yohanes", "Kadis", "D"]])
    failure = _failure(parse_roster, read_table(path), INSTANSI, TODAY)
    assert _codes(failure) == [(2, "nip.format")]
    assert "simpan kolom NIP sebagai Teks" in failure.errors[0].message


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, ""), (7, "7"), (7.0, "7"), (-2.5, "-2.5"), (2.0**60, "1.152921504606847e+18"), (" a ", "a")],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


# --- error report -------------------------------------------------------------------------------------------------


def test_row_error_renders_in_bahasa_with_line_column_and_value() -> None:
    error = RowError(line=7, column="nip", value="19900230", message="segmen tanggal lahir tidak valid", code="x")
    assert error.render() == "baris 7, kolom nip: '19900230' — segmen tanggal lahir tidak valid"
    assert RowError(line=3, column="nama", value="", message="nama wajib diisi", code="x").render() == (
        "baris 3, kolom nama: (kosong) — nama wajib diisi"
    )
    assert RowError(line=4, column=None, value="", message="2 nilai", code="x").render() == "baris 4: 2 nilai"


# --- roster -------------------------------------------------------------------------------------------------------


def test_example_roster_parses_into_units_tree_and_superior_chain() -> None:
    roster = parse_roster(read_table(EXAMPLES / "roster_dukcapil.csv"), INSTANSI, TODAY)
    assert roster.instansi_code == INSTANSI
    assert [(u.code, u.parent_code) for u in roster.units] == [
        ("DUKCAPIL", None),
        ("SEKRETARIAT", "DUKCAPIL"),
        ("DAFDUK", "DUKCAPIL"),
        ("CAPIL", "DUKCAPIL"),
    ]
    assert len(roster.employees) == 12
    assert [h.nip for h in roster.heads] == [HEAD]
    assert sum(e.kind is EmploymentKind.PPPK for e in roster.employees) == 2
    by_nip = {e.nip: e for e in roster.employees}
    assert by_nip[STAFF].superior_nip == KABID
    assert by_nip[KABID].superior_nip == HEAD
    assert by_nip[PPPK].kind is EmploymentKind.PPPK
    assert all(e.active for e in roster.employees)


def test_bad_roster_reports_every_bad_line_and_imports_nothing() -> None:
    failure = _failure(parse_roster, read_table(EXAMPLES / "roster_bad.csv"), INSTANSI, TODAY)
    assert _codes(failure) == [
        (3, "nip.tanggal_lahir"),
        (4, "nip.tmt"),
        (5, "nip.panjang"),
        (7, "nip.ganda"),
        (8, "nip_atasan.tidak_dikenal"),
    ]
    assert {e.column for e in failure.errors} == {"nip", "nip_atasan"}
    assert failure.errors[3].related_lines == (6,)
    assert failure.lines() == [
        "roster_bad.csv: 5 kesalahan pada 5 baris; tidak ada data yang diimpor",
        "baris 3, kolom nip: '199002302015032001' — segmen tanggal lahir tidak valid: tanggal lahir (digit 1–8) "
        "'19900230' bukan tanggal yang ada (format YYYYMMDD)",
        "baris 4, kolom nip: '198805152012131001' — segmen TMT CPNS tidak valid: TMT CPNS (digit 9–14) '201213' "
        "bukan bulan 01–12",
        "baris 5, kolom nip: '19850312201001100' — NIP '19850312201001100' harus 18 digit, tertulis 17 digit",
        "baris 7, kolom nip: '199212252019032001' — NIP ganda: sudah dipakai di baris 6 (Sri Wahyuni, S.H.)",
        "baris 8, kolom nip_atasan: '196512311990031099' — NIP atasan tidak ada di berkas ini; isi NIP pegawai lain "
        "di berkas, atau kosongkan untuk pimpinan",
    ]
    assert failure.render() == "\n".join(failure.lines())


def test_one_row_can_carry_several_errors(tmp_path: Path) -> None:
    table = _roster(tmp_path, f"{HEAD},Yohanes,Kadis,D,,,,", "123,,,,,,honorer,abc")
    failure = _failure(parse_roster, table, INSTANSI, TODAY)
    assert _codes(failure) == [
        (3, "jenis.tidak_dikenal"),
        (3, "nip.panjang"),
        (3, "nip_atasan.format"),
        (3, "nama.kosong"),
        (3, "jabatan.kosong"),
        (3, "unit.kosong"),
    ]


def test_pppk_number_without_kind_gets_a_hint(tmp_path: Path) -> None:
    table = _roster(tmp_path, f"{HEAD},Yohanes,Kadis,D,,,,", f"{PPPK},Ruth,Pengadministrasi,D,,,,{HEAD}")
    failure = _failure(parse_roster, table, INSTANSI, TODAY)
    assert _codes(failure) == [(3, "nip.tmt")]
    assert failure.errors[0].message.endswith("jika pegawai ini PPPK, isi kolom jenis dengan PPPK")
    fixed = _roster(tmp_path, f"{HEAD},Yohanes,Kadis,D,,,,", f"{PPPK},Ruth,Pengadministrasi,D,,,P3K,{HEAD}")
    assert parse_roster(fixed, INSTANSI, TODAY).employees[1].kind is EmploymentKind.PPPK


def test_the_day_someone_joined_is_read_and_bounded(tmp_path: Path) -> None:
    header = f"{ROSTER_HEADER},tmt_masuk"
    table = _roster(
        tmp_path,
        f"{HEAD},Yohanes,Kadis,D,,,,,",
        f"{KABID},Herman,Kabid,D,,,,{HEAD},01-07-2026",
        f"{STAFF},Sri,Verifikator,D,,,,{KABID},2026-02-10",
        header=header,
    )
    joined = {e.nip: e.joined_on for e in parse_roster(table, INSTANSI, TODAY).employees}
    assert joined == {HEAD: None, KABID: date(2026, 7, 1), STAFF: date(2026, 2, 10)}
    bad = _roster(
        tmp_path,
        f"{HEAD},Yohanes,Kadis,D,,,,,31-02-2026",
        f"{KABID},Herman,Kabid,D,,,,{HEAD},01-07-2030",
        header=header,
    )
    assert _codes(_failure(parse_roster, bad, INSTANSI, TODAY)) == [(2, "tmt_masuk.tanggal"), (3, "tmt_masuk.rentang")]


def test_a_joiner_is_appraised_from_the_day_they_joined_within_the_year() -> None:
    def joined(day: date | None) -> Employee:
        return Employee(nip=STAFF, name="Sri", jabatan="Verifikator", unit_code="D", joined_on=day)

    assert joined(date(2026, 7, 1)).appraised_from(2026) == date(2026, 7, 1)
    assert joined(date(2026, 1, 1)).appraised_from(2026) is None  # the whole year
    assert joined(date(2019, 3, 1)).appraised_from(2026) is None
    assert joined(date(2027, 1, 4)).appraised_from(2026) is None  # joins after the year: no part of it
    assert joined(None).appraised_from(2026) is None


def test_birth_date_after_today_is_refused(tmp_path: Path) -> None:
    failure = _failure(parse_roster, _roster(tmp_path, f"{HEAD},Yohanes,Kadis,D,,,,"), INSTANSI, date(1972, 3, 1))
    assert _codes(failure) == [(2, "nip.tanggal_lahir")]


def test_self_superior_and_cycles_in_the_superior_chain(tmp_path: Path) -> None:
    table = _roster(
        tmp_path,
        f"{HEAD},Yohanes,Kadis,D,,,,{HEAD}",
        f"{KABID},Herman,Kabid,D,,,,{STAFF}",
        f"{STAFF},Sri,Verifikator,D,,,,{KABID}",
    )
    failure = _failure(parse_roster, table, INSTANSI, TODAY)
    assert _codes(failure) == [(2, "nip_atasan.diri_sendiri"), (3, "nip_atasan.berputar")]
    cycle = failure.errors[1]
    assert cycle.related_lines == (3, 4)
    assert f"{KABID} (baris 3) → {STAFF} (baris 4) → {KABID}" in cycle.message


def test_units_must_agree_on_name_and_parent_and_form_a_tree(tmp_path: Path) -> None:
    table = _roster(
        tmp_path,
        f"{HEAD},Yohanes,Kadis,DINAS,Dinas,,,",
        f"{KABID},Herman,Kabid,DAFDUK,Bidang Dafduk,DINAS,,{HEAD}",
        f"{STAFF},Sri,Verifikator,DAFDUK,Bidang Capil,SEKRE,,{KABID}",
        f"{PPPK},Ruth,Operator,DAFDUK,bidang  DAFDUK,LUAR,PPPK,{KABID}",
    )
    failure = _failure(parse_roster, table, INSTANSI, TODAY)
    assert _codes(failure) == [
        (4, "unit_nama.tidak_konsisten"),
        (4, "unit_induk.tidak_konsisten"),
        (5, "unit_induk.tidak_konsisten"),
    ]
    assert failure.errors[1].message == "unit DAFDUK sudah berinduk DINAS di baris 3"


def test_unknown_parent_unit_and_unit_cycles(tmp_path: Path) -> None:
    table = _roster(
        tmp_path,
        f"{HEAD},Yohanes,Kadis,A,,B,,",
        f"{KABID},Herman,Kabid,B,,A,,{HEAD}",
        f"{STAFF},Sri,Verifikator,C,,C,,{KABID}",
        f"{PPPK},Ruth,Operator,E,,X,PPPK,{KABID}",
    )
    failure = _failure(parse_roster, table, INSTANSI, TODAY)
    assert _codes(failure) == [
        (2, "unit_induk.berputar"),
        (4, "unit_induk.diri_sendiri"),
        (5, "unit_induk.tidak_dikenal"),
    ]


def test_unit_name_defaults_to_its_code_and_optional_columns(tmp_path: Path) -> None:
    header = "nip,nama,jabatan,unit,aktif,email"
    table = _roster(
        tmp_path,
        f"{HEAD},Yohanes,Kadis,DINAS,ya,kadis@dukcapil.jayapurakota.go.id",
        f"{KABID},Herman,Kabid,DINAS,tidak,",
        header=header,
    )
    roster = parse_roster(table, INSTANSI, TODAY)
    assert [(u.code, u.name) for u in roster.units] == [("DINAS", "DINAS")]
    assert [(e.active, e.email) for e in roster.employees] == [
        (True, "kadis@dukcapil.jayapurakota.go.id"),
        (False, None),
    ]
    assert len(roster.heads) == 2  # several tops are allowed; the head of the instansi is one of them


def test_cells_beyond_the_header_point_at_the_delimiter(tmp_path: Path) -> None:
    table = _roster(tmp_path, f"{HEAD},Yohanes,Kadis,D,,,,,97,5", header=ROSTER_HEADER)
    failure = _failure(parse_roster, table, INSTANSI, TODAY)
    assert _codes(failure) == [(2, "baris.kolom_lebih")]
    assert "periksa pemisah kolom" in failure.errors[0].render()


def test_too_long_values_are_row_errors_not_crashes(tmp_path: Path) -> None:
    failure = _failure(parse_roster, _roster(tmp_path, f"{HEAD},{'x' * 201},Kadis,{'U' * 33},,,,"), INSTANSI, TODAY)
    assert sorted(_codes(failure)) == [(2, "nama.tidak_valid"), (2, "unit.tidak_valid")]
    assert "paling banyak 200 karakter" in failure.render()


def test_empty_instansi_code_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DomainError, match="kode instansi"):
        parse_roster(_roster(tmp_path, f"{HEAD},Yohanes,Kadis,D,,,,"), " ", TODAY)


# --- numbers and polarity -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "style", "value"),
    [
        ("85,5", NumberStyle.UNKNOWN, "85.5"),
        ("85.5", NumberStyle.UNKNOWN, "85.5"),
        ("85.5", NumberStyle.INDONESIAN, "85.5"),
        ("1.234,5", NumberStyle.UNKNOWN, "1234.5"),
        ("1,234.5", NumberStyle.UNKNOWN, "1234.5"),
        ("1.234.567", NumberStyle.UNKNOWN, "1234567"),
        ("1.234.567,25", NumberStyle.INDONESIAN, "1234567.25"),
        ("1.250", NumberStyle.INDONESIAN, "1250"),
        ("1,250", NumberStyle.INDONESIAN, "1.250"),
        ("1.125", NumberStyle.POINT, "1.125"),
        ("0.125", NumberStyle.UNKNOWN, "0.125"),
        ("1234.567", NumberStyle.UNKNOWN, "1234.567"),
        (" 97,5 % ", NumberStyle.UNKNOWN, "97.5"),
        ("-2,5", NumberStyle.UNKNOWN, "-2.5"),
        ("+3", NumberStyle.UNKNOWN, "3"),
        ("6000", NumberStyle.UNKNOWN, "6000"),
    ],
)
def test_decimals_in_indonesian_and_plain_notation(text: str, style: NumberStyle, value: str) -> None:
    parsed = parse_decimal(text, style)
    assert parsed == D(value)
    assert str(parsed) == value


@pytest.mark.parametrize(
    ("text", "style", "message"),
    [
        ("1.250", NumberStyle.UNKNOWN, "ambigu: 1250 (pemisah ribuan) atau 1,250 (desimal)"),
        ("1,250", NumberStyle.POINT, "ambigu"),
        ("12a", NumberStyle.UNKNOWN, "bukan angka"),
        ("", NumberStyle.UNKNOWN, "angka kosong"),
        ("1.2.3", NumberStyle.UNKNOWN, "tidak per tiga digit"),
        ("1,2,3.4", NumberStyle.UNKNOWN, "tidak per tiga digit"),
        ("1.234,5,6", NumberStyle.UNKNOWN, "lebih dari sekali"),
    ],
)
def test_bad_and_ambiguous_decimals_are_refused(text: str, style: NumberStyle, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_decimal(text, style)


@pytest.mark.parametrize(
    ("text", "polarity"),
    [
        ("maksimal", Polarity.HIGHER_IS_BETTER),
        ("Maksimize", Polarity.HIGHER_IS_BETTER),
        ("maximize", Polarity.HIGHER_IS_BETTER),
        ("higher", Polarity.HIGHER_IS_BETTER),
        ("Semakin tinggi semakin baik", Polarity.HIGHER_IS_BETTER),
        ("minimal", Polarity.LOWER_IS_BETTER),
        ("MINIMIZE", Polarity.LOWER_IS_BETTER),
        ("lower", Polarity.LOWER_IS_BETTER),
        ("kondisi-khusus", Polarity.LOWER_IS_BETTER),
        ("rentang", Polarity.RANGE),
        ("range", Polarity.RANGE),
        ("stabilize", Polarity.RANGE),
    ],
)
def test_polarity_words(text: str, polarity: Polarity) -> None:
    assert parse_polarity(text) is polarity


def test_unknown_polarity_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="pilihan: maksimal, minimal, rentang"):
        parse_polarity("naik")


# --- IKU ----------------------------------------------------------------------------------------------------------


def test_example_iku_with_semicolons_and_decimal_commas() -> None:
    ikus = parse_iku(read_table(EXAMPLES / "iku_dukcapil.csv"), INSTANSI, 2026)
    assert [(i.code, i.target, i.unit_code) for i in ikus] == [
        ("IKU-01", Target(value=D("97.5")), "DAFDUK"),
        ("IKU-02", Target(value=D("92.25")), "CAPIL"),
        ("IKU-03", Target(polarity=Polarity.LOWER_IS_BETTER, value=D(3)), "DAFDUK"),
        ("IKU-04", Target(value=D(1250)), "DAFDUK"),
        ("IKU-05", Target(polarity=Polarity.RANGE, value=D(90), upper=D("97.5")), None),
    ]
    assert {i.period for i in ikus} == {2026}
    assert ikus[2].unit_of_measure == "hari"


IKU_HEADER = "kode;nama;satuan;polaritas;target;target_min;target_max"


def _iku(tmp_path: Path, *rows: str, header: str = IKU_HEADER) -> Table:
    return read_table(_write(tmp_path, "\n".join([header, *rows]) + "\n", name="iku.csv"))


def test_iku_range_from_min_and_max_columns_and_band_words(tmp_path: Path) -> None:
    table = _iku(
        tmp_path,
        "A;Realisasi anggaran;%;rentang;;90;100",
        "B;Realisasi fisik;%;range;92,5 s.d. 97,5;;",
        "C;Laju pertumbuhan;%;stabil;1,5 s/d 2;;",
    )
    assert [i.target for i in parse_iku(table, INSTANSI, 2026)] == [
        Target(polarity=Polarity.RANGE, value=D(90), upper=D(100)),
        Target(polarity=Polarity.RANGE, value=D("92.5"), upper=D("97.5")),
        Target(polarity=Polarity.RANGE, value=D("1.5"), upper=D(2)),
    ]


def test_iku_errors_name_the_column_on_every_row(tmp_path: Path) -> None:
    table = _iku(
        tmp_path,
        "A;Cakupan KTP-el;%;maksimal;97,5;;",
        "A;Cakupan KIA;%;maksimal;45;;",
        "B;Waktu layanan;hari;turun;3;;",
        "C;Realisasi anggaran;%;rentang;90;;",
        "D;Cakupan akta;%;maksimal;80-90;;",
        "E;Kepuasan;nilai;maksimal;85,5x;;",
        "F;Kesalahan data;%;minimal;0;;",
        "G;;;;;;",
        "H;Anggaran;%;rentang;;100;90",
        "I;Jemput bola;orang;maksimal;2;;5",
    )
    failure = _failure(parse_iku, table, INSTANSI, 2026)
    assert [(e.line, e.column, e.code) for e in failure.errors] == [
        (3, "kode", "kode.ganda"),
        (4, "polaritas", "polaritas.tidak_dikenal"),
        (5, "target", "target.rentang"),
        (6, "target", "target.bukan_rentang"),
        (7, "target", "target.angka"),
        (8, "target", "target.tidak_valid"),
        (9, "nama", "nama.kosong"),
        (9, "satuan", "satuan.kosong"),
        (9, "polaritas", "polaritas.kosong"),
        (10, "target_max", "target_max.tidak_valid"),
        (11, "target_max", "target_max.bukan_rentang"),
    ]
    text = failure.render()
    assert "baris 3, kolom kode: 'A' — kode IKU ganda: sudah dipakai di baris 2" in text
    assert "baris 8, kolom target: '0' — target harus lebih besar dari 0" in text
    assert "baris 10, kolom target_max: '90' — target_atas harus >= target untuk polaritas rentang" in text


def test_iku_needs_a_target_column_and_a_sane_period(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=r"iku\.csv: kolom wajib tidak ada: target"):
        parse_iku(_iku(tmp_path, "A;Cakupan;%;maksimal", header="kode;nama;satuan;polaritas"), INSTANSI, 2026)
    with pytest.raises(DomainError, match="periode 26"):
        parse_iku(_iku(tmp_path, "A;Cakupan;%;maksimal;90;;"), INSTANSI, 26)


# --- SKP ----------------------------------------------------------------------------------------------------------


def test_example_skp_groups_rows_into_rhk_and_resolves_the_cascade() -> None:
    ikus = parse_iku(read_table(EXAMPLES / "iku_dukcapil.csv"), INSTANSI, 2026)
    roster = parse_roster(read_table(EXAMPLES / "roster_dukcapil.csv"), INSTANSI, TODAY)
    skps = parse_skp(
        read_table(EXAMPLES / "skp_dukcapil.csv"),
        2026,
        known_nips={e.nip for e in roster.employees},
        known_iku={i.code for i in ikus},
    )
    assert [(s.employee_nip, len(s.rhk)) for s in skps] == [
        (HEAD, 4),
        (KABID, 3),
        (STAFF, 1),
        ("197904122006022002", 1),
        ("198808082011021001", 1),
    ]
    head, kabid, staff = skps[0], skps[1], skps[2]
    assert [r.cascaded_from for r in head.rhk] == [CascadeRef(iku_code=f"IKU-0{n}") for n in (1, 2, 3, 5)]
    assert head.rhk[3].indicators[0].target == Target(polarity=Polarity.RANGE, value=D(90), upper=D("97.5"))
    # Two rows of the same RHK text are one RHK with two indicators; the cascade is stated once.
    first = kabid.rhk[0]
    assert (first.id, first.kind, [i.id for i in first.indicators]) == (
        f"{KABID}-R1",
        RhkKind.UTAMA,
        [f"{KABID}-R1-1", f"{KABID}-R1-2"],
    )
    assert first.cascaded_from == CascadeRef(superior_rhk_id=f"{HEAD}-R1")  # by the superior's RHK text
    assert [i.aspect for i in first.indicators] == [Aspect.KUANTITAS, Aspect.WAKTU]
    assert kabid.rhk[2].kind is RhkKind.TAMBAHAN
    assert staff.rhk[0].cascaded_from == CascadeRef(superior_rhk_id=f"{KABID}-R1")  # by id
    assert skps[4].rhk[0].cascaded_from == CascadeRef(superior_rhk_id="197904122006022002-R1")
    assert all(s.period == 2026 and len(s.perilaku) == 7 for s in skps)


SKP_HEADER = "nip,rhk,jenis_rhk,indikator,aspek,target,satuan,polaritas,iku,rhk_atasan"


def _skp(tmp_path: Path, *rows: str) -> Table:
    return read_table(_write(tmp_path, "\n".join([SKP_HEADER, *rows]) + "\n", name="skp.csv"))


def test_skp_rhk_grouping_ignores_case_and_spacing(tmp_path: Path) -> None:
    table = _skp(
        tmp_path,
        f"{HEAD},Meningkatnya cakupan KTP-el,utama,Cakupan,kuantitas,97,%,,IKU-01,",
        f"{HEAD},meningkatnya  cakupan ktp-el,Utama,Waktu layanan,waktu,3,hari,minimal,,",
    )
    (skp,) = parse_skp(table, 2026)
    assert len(skp.rhk) == 1
    assert skp.rhk[0].text == "Meningkatnya cakupan KTP-el"
    assert [i.target.polarity for i in skp.rhk[0].indicators] == [Polarity.HIGHER_IS_BETTER, Polarity.LOWER_IS_BETTER]


def test_skp_unknown_nip_and_iku_are_reported_when_known_sets_are_given(tmp_path: Path) -> None:
    table = _skp(
        tmp_path,
        f"{HEAD},Cakupan KTP-el,utama,Cakupan,kuantitas,97,%,,IKU-01,",
        f"{KABID},Perekaman,utama,Perekaman,kuantitas,90,%,,IKU-09,",
    )
    assert len(parse_skp(table, 2026)) == 2  # without known sets nothing is checked against the database
    failure = _failure(parse_skp, table, 2026, known_nips={HEAD}, known_iku={"IKU-01"})
    assert _codes(failure) == [(3, "nip.tidak_dikenal"), (3, "iku.tidak_dikenal")]


def test_skp_without_utama_rhk_names_all_its_lines(tmp_path: Path) -> None:
    table = _skp(
        tmp_path,
        f"{HEAD},Sosialisasi,tambahan,Kegiatan,kuantitas,4,kegiatan,,,",
        f"{KABID},Perekaman,utama,Perekaman,kuantitas,90,%,,,",
        f"{HEAD},Narasumber,tambahan,Kegiatan,kuantitas,2,kegiatan,,,",
    )
    failure = _failure(parse_skp, table, 2026)
    assert _codes(failure) == [(2, "skp.tanpa_utama")]
    assert failure.errors[0].related_lines == (2, 4)
    assert f"SKP pegawai {HEAD} (baris 2 dan 4) tidak memiliki RHK utama" in failure.errors[0].message


def test_skp_row_errors_are_all_collected(tmp_path: Path) -> None:
    table = _skp(
        tmp_path,
        f"{HEAD},Cakupan,utama,Cakupan,kuantitas,97,%,,IKU-01,",
        f"{HEAD},Cakupan,tambahan,Waktu,waktu,3,hari,minimal,IKU-02,",
        f"{HEAD},Cakupan,utama,cakupan,Kuantitas,98,%,,,",
        f"{HEAD},Lain,utama,Mutu,mutu,abc,,naik,,",
        "1234,Lain,primer,Mutu,kualitas,90,%,,,",
    )
    failure = _failure(parse_skp, table, 2026)
    assert _codes(failure) == [
        (3, "jenis_rhk.tidak_konsisten"),
        (3, "iku.tidak_konsisten"),
        (4, "indikator.ganda"),
        (5, "satuan.kosong"),
        (5, "aspek.tidak_dikenal"),
        (5, "polaritas.tidak_dikenal"),
        (6, "nip.panjang"),
        (6, "jenis_rhk.tidak_dikenal"),
    ]
    assert "pilihan: kuantitas, kualitas, waktu, biaya" in failure.render()
    assert failure.errors[2].related_lines == (2,)


def test_skp_rhk_atasan_by_id_text_or_known_store(tmp_path: Path) -> None:
    rows = (
        f"{HEAD},Cakupan KTP-el,utama,Cakupan,kuantitas,97,%,,IKU-01,",
        f"{KABID},Perekaman,utama,Perekaman,kuantitas,90,%,,,cakupan ktp-el",
        f"{STAFF},Verifikasi,utama,Berkas,kuantitas,6000,berkas,,,{KABID}-R1",
        f"{PPPK},Operasional,utama,Layanan,kuantitas,20,layanan,,,{KABID}-R7",
    )
    failure = _failure(parse_skp, _skp(tmp_path, *rows), 2026)
    assert _codes(failure) == [(5, "rhk_atasan.tidak_dikenal")]
    skps = parse_skp(_skp(tmp_path, *rows), 2026, known_rhk={f"{KABID}-R7"})
    assert [s.rhk[0].cascaded_from for s in skps] == [
        CascadeRef(iku_code="IKU-01"),
        CascadeRef(superior_rhk_id=f"{HEAD}-R1"),
        CascadeRef(superior_rhk_id=f"{KABID}-R1"),
        CascadeRef(superior_rhk_id=f"{KABID}-R7"),
    ]


def test_skp_cascade_conflicts(tmp_path: Path) -> None:
    table = _skp(
        tmp_path,
        f"{HEAD},Cakupan,utama,Cakupan,kuantitas,97,%,,IKU-01,Layanan",
        f"{KABID},Layanan,utama,Layanan,kuantitas,90,%,,,",
        f"{STAFF},Layanan,utama,Layanan,kuantitas,90,%,,,",
        f"{PPPK},Operasional,utama,Layanan,kuantitas,20,layanan,,,layanan",
        f"{KABID},Pelaporan,utama,Laporan,kuantitas,12,laporan,,,Layanan",
        "198808082011021001,A,utama,Laporan,kuantitas,1,laporan,,,B",
        "198808082011021001,B,tambahan,Laporan,kuantitas,1,laporan,,,",
        f"197904122006022002,C,utama,Laporan,kuantitas,1,laporan,,,{KABID}-R3",
        f"{KABID},D,utama,Laporan,kuantitas,1,laporan,,,197904122006022002-R1",
    )
    failure = _failure(parse_skp, table, 2026)
    assert _codes(failure) == [
        (2, "rhk_atasan.ganda"),
        (5, "rhk_atasan.ambigu"),  # two other employees have an RHK "Layanan"
        (7, "rhk_atasan.diri_sendiri"),
        (9, "rhk_atasan.berputar"),
    ]
    # Line 6 names "Layanan" too, but its own RHK of that text does not count: it intervenes line 4.
    assert failure.errors[1].related_lines == (3, 4)


def test_skp_range_target_with_max_column(tmp_path: Path) -> None:
    header = SKP_HEADER + ",target_max"
    path = _write(tmp_path, f"{header}\n{HEAD},Anggaran,utama,Serapan,biaya,90,%,rentang,,,100\n")
    (skp,) = parse_skp(read_table(path), 2026)
    assert skp.rhk[0].indicators[0].target == Target(polarity=Polarity.RANGE, value=D(90), upper=D(100))


# --- survey example -----------------------------------------------------------------------------------------------


def test_survey_example_has_answers_on_the_skm_scale() -> None:
    table = read_table(EXAMPLES / "survey_dukcapil.csv")
    assert table.headers == ["unit", "token", *(f"u{n}" for n in range(1, 10)), "komentar"]
    assert len(table.rows) == 40
    per_unit = {u: sum(r.get("unit") == u for r in table.rows) for u in ("DAFDUK", "CAPIL", "DUKCAPIL")}
    assert per_unit == {"DAFDUK": 22, "CAPIL": 15, "DUKCAPIL": 3}
    answers = [r.get(f"u{n}") for r in table.rows for n in range(1, 10)]
    assert set(answers) <= {"", "1", "2", "3", "4"}
    assert 0 < answers.count("") < 20
    assert len({r.get("token") for r in table.rows}) == 40


def test_example_files_are_plain_utf8_csv() -> None:
    for path in sorted(EXAMPLES.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle, delimiter=";" if path.name.startswith("iku") else ","))
        assert len({len(r) for r in rows}) == 1, path.name


def test_bad_email_and_active_flag(tmp_path: Path) -> None:
    header = "nip,nama,jabatan,unit,aktif,email"
    table = _roster(tmp_path, f"{HEAD},Yohanes,Kadis,D,mungkin,kadis at dukcapil", header=header)
    failure = _failure(parse_roster, table, INSTANSI, TODAY)
    assert _codes(failure) == [(2, "aktif.tidak_dikenal"), (2, "email.tidak_valid")]
