"""How much memory reading an import file costs (issue 19: "a 50 MB survey file takes 3.2 GB").

    .venv/bin/python -m bench.import_memory                   # ~1 minute here
    .venv/bin/python -m bench.import_memory --root ../older   # the same files through another checkout

Each file is a survey export (unit, token, nine unsur, a comment) read and parsed by `kinerja ikm FILE` in a process
of its own, whose peak resident memory (the kernel's maxrss for that child) is taken. The floor is the same command on
the 40-row example file: the interpreter and Kinerja's imports. "Over floor / file" is what reading costs per byte of
the file. The last two files break a bound (MAX_UPLOAD_ROWS rows, MAX_IMPORT_FILE_BYTES): exit 1, refused while the
first is read and before the second is.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = "unit,token,u1,u2,u3,u4,u5,u6,u7,u8,u9,komentar\n"


@dataclass(frozen=True)
class Case:
    name: str
    rows: int
    comment_chars: int


CASES = [
    Case("10.000 jawaban", 10_000, 20),
    Case("50.000 jawaban", 50_000, 20),
    Case("100.000 jawaban", 100_000, 20),
    Case("100.000 jawaban, komentar 400 karakter", 100_000, 400),
    Case("800.000 jawaban, 44 MB (melewati batas baris)", 800_000, 20),
    Case("1.000.000 jawaban, 55 MB (melewati batas ukuran)", 1_000_000, 20),
]


def write(case: Case, folder: Path) -> Path:
    path = folder / f"survey-{case.rows}-{case.comment_chars}.csv"
    draw = random.Random(case.rows)
    comment = ("Pelayanan cukup baik dan petugas ramah " * 20)[: case.comment_chars]
    with path.open("w") as out:
        out.write(HEADER)
        for n in range(case.rows):
            answers = ",".join(str(draw.randint(1, 4)) for _ in range(9))
            out.write(f"U{n % 50:03d},SKM26-{n:07d},{answers},{comment}\n")
    return path


def peak_mb(root: Path, file: Path) -> tuple[float, int]:
    """(peak resident MB, exit code) of `kinerja ikm FILE` with the code of `root` (this interpreter, its packages)."""
    command = [sys.executable, "-c", "import sys; from starter import main; sys.exit(main())", "ikm", str(file)]
    process = subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    return usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose kinerja reads the files")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    floor, _ = peak_mb(root, root / "examples" / "survey_dukcapil.csv")
    print(f"root: {root}", file=sys.stderr)
    print("| file | MB | exit | peak RSS MB | over floor MB | over floor / file |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| floor: the 40-row example | 0.0 | 0 | {floor:.0f} | 0 | |")
    with tempfile.TemporaryDirectory(prefix="kinerja-import-memory-") as folder:
        for case in CASES:
            path = write(case, Path(folder))
            size = path.stat().st_size / (1024 * 1024)
            peak, code = peak_mb(root, path)
            over = peak - floor
            print(f"| {case.name} | {size:.1f} | {code} | {peak:.0f} | {over:.0f} | {over / size:.1f}× |", flush=True)
            path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
