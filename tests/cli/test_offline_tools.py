"""The offline `kinerja` tools as a user runs them: exit status, the table or JSON on stdout, errors on stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from domain.worklist import WorklistQuery
from services.overdue import overdue_query
from starter import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_nip_check_names_the_broken_segment(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "nip", "cek", "19900101 201503 1 001", "199002302015031001")
    assert status == 1
    assert "sah" in out and "SALAH" in out
    assert "tanggal_lahir" in out and "19900230" in out


def test_nip_check_of_a_file_column_uses_each_rows_kind(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "nip", "check", "--file", str(EXAMPLES / "roster_dukcapil.csv"), "--json")
    assert status == 0
    checks = json.loads(out)
    assert len(checks) == 12
    assert all(check["ok"] for check in checks)
    assert {check["jenis"] for check in checks} == {"PNS", "PPPK"}
    assert checks[0]["sumber"] == "baris 2"


def test_nip_check_of_a_bad_file_lists_every_bad_line(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "nip", "check", "--file", str(EXAMPLES / "roster_bad.csv"), "--json")
    assert status == 1
    bad = {check["sumber"]: check["segment"] for check in json.loads(out) if not check["ok"]}
    assert bad == {"baris 3": "tanggal_lahir", "baris 4": "tmt", "baris 5": "panjang"}


def test_ikm_per_unit_with_sample_adequacy(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "ikm", str(EXAMPLES / "survey_dukcapil.csv"), "--populasi", "DAFDUK=20", "--json")
    assert status == 0
    results = {result["unit"]: result for result in json.loads(out)}
    assert set(results) == {"CAPIL", "DAFDUK", "DUKCAPIL"}
    dafduk = results["DAFDUK"]
    assert dafduk["response_count"] == 22
    assert dafduk["required_sample"] == 19  # the Krejcie–Morgan table for a served population of 20
    assert dafduk["adequate"] is True
    assert results["DUKCAPIL"]["adequate"] is False  # 3 responses, population unknown: flagged, not silently used
    for result in results.values():
        assert 25 <= float(result["ikm"]) <= 100
        assert result["grade"] in {"A", "B", "C", "D"}


def test_ikm_table_is_readable(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "ikm", str(EXAMPLES / "survey_dukcapil.csv"))
    assert status == 0
    assert "Persyaratan" in out and "Sarana dan Prasarana" in out
    assert "mutu" in out and "PERHATIAN" in out


def test_ikm_rejects_a_malformed_population(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "ikm", str(EXAMPLES / "survey_dukcapil.csv"), "--populasi", "DAFDUK")
    assert status == 1
    assert err.startswith("kesalahan: populasi:")


def test_ikm_reports_every_bad_cell_of_a_survey_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "skm.csv"
    bad.write_text(
        "unit,token,u1,u2,u3,u4,u5,u6,u7,u8,u9\n"
        "DAFDUK,T1,4,4,4,4,4,4,4,4,4\n"
        "DAFDUK,T1,3,3,3,3,3,3,3,3,3\n"
        "DAFDUK,T2,5,3,3,3,3,3,3,3,0\n",
        encoding="utf-8",
    )
    status, out, err = run(capsys, "ikm", str(bad))
    assert status == 1
    assert out == ""
    assert "baris 3, kolom token" in err
    assert "baris 4, kolom u1" in err and "baris 4, kolom u9" in err


def test_calibration_check_lists_violations_and_the_fewest_changes(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(EXAMPLES / "predikat_dukcapil.csv")
    status, out, _ = run(capsys, "kalibrasi", "cek", path, "--predikat-organisasi", "baik", "--json")
    assert status == 1
    report = json.loads(out)
    assert [v["rule"] for v in report["pelanggaran"]] == [
        "Baik paling banyak 70%",
        "paling sedikit 1 pegawai Butuh Perbaikan dan/atau Kurang/Misconduct",
    ]
    # 10 of 12 are Baik and at most 8 may be: the two lowest achievements move to Butuh Perbaikan.
    assert [(c["employee_id"], c["to_predicate"]) for c in report["usulan"]] == [
        ("199706182024211002", "butuh_perbaikan"),
        ("199610052021062001", "butuh_perbaikan"),
    ]
    assert report["kebijakan"].startswith("permenpanrb-6-2022")


def test_calibration_check_passes_a_compliant_distribution(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(EXAMPLES / "predikat_dukcapil.csv")
    status, out, _ = run(capsys, "calibration", "check", path, "--org-predicate", "istimewa")
    assert status == 0
    assert "sesuai pola" in out


def test_calibration_check_refuses_an_unknown_org_predicate(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(EXAMPLES / "predikat_dukcapil.csv")
    status, _, err = run(capsys, "kalibrasi", "cek", path, "--predikat-organisasi", "cemerlang")
    assert status == 1
    assert "predikat_organisasi" in err and "Istimewa" in err


@pytest.mark.parametrize(
    ("kind", "name"), [("roster", "roster_dukcapil"), ("iku", "iku_dukcapil"), ("skp", "skp_dukcapil")]
)
def test_validate_accepts_the_examples(capsys: pytest.CaptureFixture[str], kind: str, name: str) -> None:
    status, out, _ = run(capsys, "validasi", kind, str(EXAMPLES / f"{name}.csv"), "--periode", "2026", "--json")
    assert status == 0
    assert json.loads(out)["sah"] is True


def test_validate_lists_every_bad_row_with_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "validasi", "roster", str(EXAMPLES / "roster_bad.csv"))
    assert status == 1
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == "kesalahan: roster_bad.csv: 5 kesalahan pada 5 baris; tidak ada data yang diimpor"
    assert [line.split(",")[0].strip() for line in lines[1:]] == ["baris 3", "baris 4", "baris 5", "baris 7", "baris 8"]


def test_a_missing_file_is_one_line_not_a_traceback(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, _, err = run(capsys, "validasi", "roster", str(tmp_path / "tidak-ada.csv"))
    assert status == 1
    assert err.startswith("kesalahan:") and len(err.strip().splitlines()) == 1


def test_the_installed_command_runs_in_its_own_process(tmp_path: Path) -> None:
    kinerja = Path(sys.executable).with_name("kinerja")
    done = subprocess.run(
        [str(kinerja), "nip", "cek", "199002302015031001"], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert done.returncode == 1
    assert "tanggal_lahir" in done.stdout
    assert "Traceback" not in done.stderr


def test_the_overdue_queue_filters_by_age_in_the_database() -> None:
    now = datetime(2027, 2, 10, 15, 0, tzinfo=timezone(timedelta(hours=7)))  # 08:00 UTC
    query = overdue_query(age="P3D", now=now, cycle="2026-DUKCAPIL", unit="CAPIL", stage=None)
    assert query == WorklistQuery(
        overdue=True,
        cycle_id="2026-DUKCAPIL",
        unit_code="CAPIL",
        deadline_before=datetime(2027, 2, 7, 8, 0, tzinfo=UTC),
    )
    assert overdue_query(age=None, now=now, cycle="2026-DUKCAPIL").deadline_before is None


@pytest.mark.parametrize(
    ("age", "says"),
    [
        ("3 hari", "'3 hari' bukan durasi ISO-8601"),
        ("P1M", "tanpa tahun atau bulan"),  # a month back from now is not a month after each deadline
        ("P99999999D", "terlalu panjang"),
        ("P9999999999D", "terlalu panjang"),
    ],
)
def test_a_bad_age_for_the_overdue_queue_names_the_option(
    capsys: pytest.CaptureFixture[str], age: str, says: str
) -> None:
    status, _, err = run(capsys, "terlambat", "--siklus", "2026-DUKCAPIL", "--terlambat-sejak", age)
    assert status == 1
    assert says in err and "terlambat_sejak" in err
