"""`kinerja impor ...` against a real database (SQLite and PostgreSQL): whole files or nothing."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from domain.calendar import CycleCalendar, resolve_for_period
from domain.policy import DEFAULT_POLICY
from domain.skp import CascadeRef
from domain.stages import Step
from domain.worklist import WorkItem
from persistence.ports import CycleRecord
from persistence.uow import SqlAlchemyUnitOfWork
from tests.integration.commands import kinerja
from workflows.contracts import appraisal_workflow_id

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
INSTANSI = "DUKCAPIL-JPR"
NAME = "Dinas Kependudukan dan Pencatatan Sipil Kota Jayapura"
CYCLE = "2026-DUKCAPIL-JPR"

UowFactory = Callable[[], SqlAlchemyUnitOfWork]


pytestmark = pytest.mark.usefixtures("cli_database")


def import_roster(capsys: pytest.CaptureFixture[str], path: Path = EXAMPLES / "roster_dukcapil.csv") -> int:
    status, _, _ = kinerja(capsys, "impor", "roster", str(path), "--instansi", INSTANSI, "--nama-instansi", NAME)
    return status


def test_roster_iku_and_skp_import_in_order(capsys: pytest.CaptureFixture[str], uow_factory: UowFactory) -> None:
    assert import_roster(capsys) == 0
    status, out, _ = kinerja(
        capsys, "impor", "iku", str(EXAMPLES / "iku_dukcapil.csv"), "--instansi", INSTANSI, "--periode", "2026"
    )
    assert status == 0, out
    status, out, err = kinerja(
        capsys, "impor", "skp", str(EXAMPLES / "skp_dukcapil.csv"), "--instansi", INSTANSI, "--periode", "2026"
    )
    assert status == 0, err
    assert "5 SKP" in out
    with uow_factory() as uow:
        employees = uow.employees.mapping(INSTANSI)
        assert len(employees) == 12
        assert len(uow.units.list_by_instansi(INSTANSI)) == 4
        assert len(uow.iku.for_period(INSTANSI, 2026)) == 5
        head = employees["197203151998031001"]
        assert head.superior_nip is None
        record = uow.skp.get("197203151998031001", 2026)
        assert record is not None and record.status == "draft"
        assert record.policy_version.startswith("permenpanrb-6-2022")


def test_a_bad_roster_imports_nothing(capsys: pytest.CaptureFixture[str], uow_factory: UowFactory) -> None:
    assert import_roster(capsys, EXAMPLES / "roster_bad.csv") == 1
    with uow_factory() as uow:
        assert uow.instansi.get(INSTANSI) is None
        assert uow.employees.list_by_instansi(INSTANSI) == []


def test_reimport_moves_people_without_duplicates(
    capsys: pytest.CaptureFixture[str], uow_factory: UowFactory, tmp_path: Path
) -> None:
    assert import_roster(capsys) == 0
    moved = tmp_path / "roster.csv"
    with (EXAMPLES / "roster_dukcapil.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    # Reorg: the Pranata Komputer moves from Dafduk to Capil, under the Kabid Capil.
    capil = next(row for row in rows if row["unit"] == "CAPIL")
    mover = next(row for row in rows if row["nip"] == "199401312020011003")
    mover.update({key: capil[key] for key in ("unit", "unit_nama", "unit_induk")})
    mover["nip_atasan"] = "197904122006022002"
    with moved.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with uow_factory() as uow:  # a cycle running with the mover appraised by the Kabid Dafduk
        deadlines = resolve_for_period(CycleCalendar(), 2026, DEFAULT_POLICY)
        version = DEFAULT_POLICY.version
        cycle = CycleRecord(
            cycle_id=CYCLE, instansi_code=INSTANSI, period=2026, deadlines=deadlines, policy_version=version
        )
        uow.cycles.register(cycle)
        uow.worklist.enrol(
            [
                WorkItem(
                    workflow_id=appraisal_workflow_id(CYCLE, mover["nip"]),
                    cycle_id=CYCLE,
                    instansi_code=INSTANSI,
                    unit_code="DAFDUK",
                    employee_nip=mover["nip"],
                    penilai_nip="198009092005011001",
                    step=Step.SELF_ASSESSMENT,
                )
            ]
        )
        uow.commit()
    status, out, _ = kinerja(capsys, "impor", "roster", str(moved), "--instansi", INSTANSI)
    assert status == 0
    assert "0 pegawai baru, 12 diperbarui" in out
    # the running appraisal keeps its penilai until the supervision team follows the roster; the import says so
    assert f"1 penilaian berjalan di siklus {CYCLE} kini berbeda dari roster" in out
    with uow_factory() as uow:
        employee = uow.employees.get("199401312020011003")
        assert employee is not None
        assert (employee.unit_code, employee.superior_nip) == ("CAPIL", "197904122006022002")
        assert len(uow.employees.list_by_instansi(INSTANSI)) == 12


def test_a_roster_without_tmt_masuk_leaves_the_day_someone_joined_as_stored(
    capsys: pytest.CaptureFixture[str], uow_factory: UowFactory, tmp_path: Path
) -> None:
    joiner = "199401312020011003"
    with (EXAMPLES / "roster_dukcapil.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    with_tmt = tmp_path / "roster-tmt.csv"
    with with_tmt.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=[*rows[0], "tmt_masuk"])
        writer.writeheader()
        writer.writerows({**row, "tmt_masuk": "01-07-2026" if row["nip"] == joiner else ""} for row in rows)
    assert import_roster(capsys, with_tmt) == 0
    assert import_roster(capsys) == 0  # the example roster has no tmt_masuk column
    with uow_factory() as uow:
        kept = uow.employees.get(joiner)
    assert kept is not None and kept.joined_on == date(2026, 7, 1)


def test_iku_of_a_period_is_not_imported_twice(capsys: pytest.CaptureFixture[str], uow_factory: UowFactory) -> None:
    assert import_roster(capsys) == 0
    argv = ("impor", "iku", str(EXAMPLES / "iku_dukcapil.csv"), "--instansi", INSTANSI, "--periode", "2026")
    assert kinerja(capsys, *argv)[0] == 0
    status, _, err = kinerja(capsys, *argv)
    assert status == 1
    assert "sudah terdaftar" in err
    assert (
        kinerja(
            capsys, "impor", "iku", str(EXAMPLES / "iku_dukcapil.csv"), "--instansi", INSTANSI, "--periode", "2027"
        )[0]
        == 0
    )
    with uow_factory() as uow:
        assert len(uow.iku.for_period(INSTANSI, 2026)) == 5
        assert len(uow.iku.for_period(INSTANSI, 2027)) == 5


def test_an_iku_is_corrected_by_a_new_version_and_the_rhk_cascading_from_it_are_listed_for_their_owners(
    capsys: pytest.CaptureFixture[str], uow_factory: UowFactory, tmp_path: Path
) -> None:
    """The kepala's RHK comes from IKU-01, Herman's from the kepala's and Sri's from Herman's (examples/skp_dukcapil):
    a correction of IKU-01 lists all three, and tells them; IKU-02, unchanged in the file, keeps its version."""
    assert import_roster(capsys) == 0
    period = ("--instansi", INSTANSI, "--periode", "2026")
    assert kinerja(capsys, "impor", "iku", str(EXAMPLES / "iku_dukcapil.csv"), *period)[0] == 0
    assert kinerja(capsys, "impor", "skp", str(EXAMPLES / "skp_dukcapil.csv"), *period)[0] == 0
    lines = (EXAMPLES / "iku_dukcapil.csv").read_text(encoding="utf-8-sig").splitlines()
    corrected = tmp_path / "iku-koreksi.csv"
    corrected.write_text("\n".join([lines[0], lines[1].replace(";97,5;", ";98;"), lines[2]]) + "\n", encoding="utf-8")
    reason = "Target RPJMD perubahan ditetapkan Perda 4/2026"

    status, _, err = kinerja(capsys, "impor", "iku", str(corrected), *period, "--koreksi", "salah")
    assert status == 1 and "alasan koreksi" in err
    unknown = tmp_path / "iku-baru.csv"
    unknown.write_text(f"{lines[0]}\nIKU-09;Indikator baru;%;maksimal;50;DAFDUK\n", encoding="utf-8")
    status, _, err = kinerja(capsys, "impor", "iku", str(unknown), *period, "--koreksi", reason)
    assert status == 1 and "IKU-09" in err and "belum terdaftar" in err

    status, out, err = kinerja(capsys, "impor", "iku", str(corrected), *period, "--koreksi", reason)
    assert status == 0, err
    assert "1 IKU periode 2026 dikoreksi (IKU-01 versi 2); 3 RHK dari 3 pegawai" in out
    kepala, herman, sri = "197203151998031001", "198009092005011001", "199212252019032001"
    assert all(nip in out for nip in (kepala, herman, sri)) and "lewat atasan" in out
    with uow_factory() as uow:
        current = uow.iku.get(INSTANSI, 2026, "IKU-01")
        versions = uow.iku.versions(INSTANSI, 2026, "IKU-01")
        unchanged = uow.iku.versions(INSTANSI, 2026, "IKU-02")
        told = {m.idempotency_key.rsplit("/", 1)[-1] for m in uow.outbox.pending() if m.idempotency_key}
        entries = uow.audit.list(subject=INSTANSI, action="import.iku_correction")
    assert current is not None and str(current.target.value) == "98"
    assert [(v.version, v.reason, v.replaced_by) for v in versions] == [(1, reason, "operator"), (2, None, None)]
    assert str(versions[0].iku.target.value) == "97.5" and [v.version for v in unchanged] == [1]
    assert {kepala, herman, sri} <= told
    assert len(entries) == 1 and entries[0].actor == "operator"
    assert entries[0].after is not None and entries[0].after["alasan"] == reason
    assert entries[0].after["versi"] == {"IKU-01": 2}


def test_staff_skps_cascade_from_their_superiors_imported_in_an_earlier_file(
    capsys: pytest.CaptureFixture[str], uow_factory: UowFactory, tmp_path: Path
) -> None:
    """A BKD imports SKPs level by level: the heads' file first, then their staff's, naming the heads' stored RHKs."""
    assert import_roster(capsys) == 0
    kinerja(capsys, "impor", "iku", str(EXAMPLES / "iku_dukcapil.csv"), "--instansi", INSTANSI, "--periode", "2026")
    assert (
        kinerja(
            capsys, "impor", "skp", str(EXAMPLES / "skp_dukcapil.csv"), "--instansi", INSTANSI, "--periode", "2026"
        )[0]
        == 0
    )
    header = (EXAMPLES / "skp_dukcapil.csv").read_text(encoding="utf-8").splitlines()[0]
    yakob, herman = "199401312020011003", "198009092005011001"  # Yakob's atasan is Herman, whose SKP is stored

    def staff_file(reference: str) -> Path:
        path = tmp_path / f"skp-staf-{reference}.csv"
        row = f"{yakob},Terpeliharanya server SIAK,utama,Ketersediaan server SIAK,kuantitas,99,%,maksimal,,{reference}"
        path.write_text(f"{header}\n{row}\n", encoding="utf-8")
        return path

    status, _, err = kinerja(
        capsys, "impor", "skp", str(staff_file(f"{herman}-R9")), "--instansi", INSTANSI, "--periode", "2026"
    )
    assert status == 1 and f"{herman}-R9" in err and "RHK atasan tidak ditemukan" in err
    status, out, err = kinerja(
        capsys, "impor", "skp", str(staff_file(f"{herman}-R1")), "--instansi", INSTANSI, "--periode", "2026"
    )
    assert status == 0 and "1 SKP" in out, err
    with uow_factory() as uow:
        record = uow.skp.get(yakob, 2026)
        assert record is not None and record.skp.rhk[0].cascaded_from == CascadeRef(superior_rhk_id=f"{herman}-R1")


def test_skp_for_unknown_people_is_refused_whole(
    capsys: pytest.CaptureFixture[str], uow_factory: UowFactory, tmp_path: Path
) -> None:
    assert import_roster(capsys) == 0
    kinerja(capsys, "impor", "iku", str(EXAMPLES / "iku_dukcapil.csv"), "--instansi", INSTANSI, "--periode", "2026")
    skp = tmp_path / "skp.csv"
    shutil.copy(EXAMPLES / "skp_dukcapil.csv", skp)
    with skp.open("a", encoding="utf-8") as file:
        file.write("199101012015031009,RHK orang asing,utama,Indikator,kuantitas,10,dokumen,maksimal,,\n")
    status, _, err = kinerja(capsys, "impor", "skp", str(skp), "--instansi", INSTANSI, "--periode", "2026")
    assert status == 1
    assert "199101012015031009" in err
    with uow_factory() as uow:
        assert uow.skp.get("197203151998031001", 2026) is None


def test_policy_override_changes_the_recorded_version(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert import_roster(capsys) == 0
    overrides = tmp_path / "kebijakan.json"
    overrides.write_text('{"survey": {"min_responses_without_population": 50}}', encoding="utf-8")
    status, out, _ = kinerja(capsys, "kebijakan", "atur", str(overrides), "--instansi", INSTANSI)
    assert status == 0
    assert f"+{INSTANSI}.1" in out
    bad = tmp_path / "buruk.json"
    bad.write_text('{"survey": {"min_responses_without_population": 0}}', encoding="utf-8")
    status, _, err = kinerja(capsys, "kebijakan", "atur", str(bad), "--instansi", INSTANSI)
    assert status == 1
    assert "min_responses_without_population" in err
    status, out, _ = kinerja(capsys, "kebijakan", "tampil", "--instansi", INSTANSI)
    assert '"min_responses_without_population": 50' in out


def test_imports_and_policy_changes_from_the_command_line_are_audited_as_the_operator(
    capsys: pytest.CaptureFixture[str], uow_factory: UowFactory, tmp_path: Path
) -> None:
    assert import_roster(capsys) == 0
    iku = ("impor", "iku", str(EXAMPLES / "iku_dukcapil.csv"), "--instansi", INSTANSI, "--periode", "2026")
    assert kinerja(capsys, *iku)[0] == 0
    policy = tmp_path / "kebijakan.json"
    policy.write_text('{"escalation": {"grace": "P3D"}}')
    assert kinerja(capsys, "kebijakan", "atur", str(policy), "--instansi", INSTANSI)[0] == 0
    with uow_factory() as uow:
        entries = [e for e in uow.audit.list() if e.action.startswith(("import.", "policy."))]
    assert [(e.action, e.actor, e.subject) for e in entries] == [
        ("import.roster", "operator", INSTANSI),
        ("import.iku", "operator", INSTANSI),
        ("policy.set", "operator", INSTANSI),
    ]
    assert entries[0].after is not None and (entries[0].after["created"], entries[0].after["instansi_baru"]) == (
        12,
        True,
    )
    after = entries[2].after
    assert after is not None and after["overrides"] == {"escalation": {"grace": "P3D"}}
    assert after["version"].endswith(f"+{INSTANSI}.1")
