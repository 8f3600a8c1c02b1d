"""Evidence files of a self-assessment (bukti dukung realisasi): which files are accepted, by their content, and how a
realisation refers to one it stored.

A file is a PDF, JPEG or PNG by its first bytes (its magic number), never by its name or by the content type the
browser sent: an executable renamed `laporan.pdf` is refused. It is bounded in size (domain.bounds), and so is what
one appraisal stores in all. A stored file is known by the SHA-256 of its bytes, and a realisation's evidence list
names it as `kinerja://bukti/<sha256>`, so the workflow's history carries a short reference, never the file.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from domain.bounds import (
    MAX_EVIDENCE_BYTES_PER_APPRAISAL,
    MAX_EVIDENCE_FILE_BYTES,
    MAX_EVIDENCE_FILES_PER_APPRAISAL,
    MAX_NAME_CHARS,
)
from domain.errors import DomainError

FIELD = "berkas"
REFERENCE_PREFIX = "kinerja://bukti/"
_REFERENCE = re.compile(r"^kinerja://bukti/(?P<sha256>[0-9a-f]{64})$")
_PDF = b"%PDF-"
_PDF_END = b"%%EOF"
_PDF_TAIL_BYTES = 2048  # where %%EOF must appear: writers may add a line break or a little padding after it
_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"
_ACCEPTED = "PDF, JPG atau PNG"


class EvidenceType(StrEnum):
    """The accepted kinds, as the media type a download is served with."""

    PDF = "application/pdf"
    JPEG = "image/jpeg"
    PNG = "image/png"

    @property
    def extension(self) -> str:
        return _EXTENSIONS[self]

    @property
    def label(self) -> str:
        return _LABELS[self]


_EXTENSIONS = {EvidenceType.PDF: ".pdf", EvidenceType.JPEG: ".jpg", EvidenceType.PNG: ".png"}
_LABELS = {EvidenceType.PDF: "PDF", EvidenceType.JPEG: "JPG", EvidenceType.PNG: "PNG"}


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed: its kind by content, the SHA-256 of its bytes (hex), its size and a name safe to show."""

    media_type: EvidenceType
    sha256: str
    size: int
    name: str


def sniff(data: bytes) -> EvidenceType | None:
    """The kind of file these bytes are, by their magic number (None: none of the accepted kinds)."""
    if data.startswith(_PDF):
        return EvidenceType.PDF
    if data.startswith(_JPEG):
        return EvidenceType.JPEG
    # A PNG's first chunk is always its header (IHDR), right after the 8-byte signature and the chunk's length.
    if data.startswith(_PNG) and data[12:16] == b"IHDR":
        return EvidenceType.PNG
    return None


def check_file(data: bytes, name: str) -> CheckedFile:
    """The file if it is an accepted kind within the size limit, else DomainError naming the field `berkas` and the
    rule; the name is only shown, never trusted."""
    shown = safe_name(name)
    if not data:
        raise DomainError(f"{shown}: berkas kosong", field=FIELD, rule="berkas bukti berisi")
    if len(data) > MAX_EVIDENCE_FILE_BYTES:
        raise DomainError(
            f"{shown}: berkas bukti paling besar {_megabytes(MAX_EVIDENCE_FILE_BYTES)}, yang dikirim"
            f" {_megabytes(len(data))}",
            field=FIELD,
            rule="batas ukuran satu berkas bukti",
        )
    kind = sniff(data)
    if kind is None:
        raise DomainError(
            f"{shown}: isi berkas bukan {_ACCEPTED} (jenis berkas dibaca dari isinya, bukan dari namanya)",
            field=FIELD,
            rule=f"bukti berupa berkas {_ACCEPTED}",
        )
    if kind is EvidenceType.PDF and _PDF_END not in data[-_PDF_TAIL_BYTES:]:
        raise DomainError(
            f"{shown}: berkas PDF tidak utuh (tidak ada penutup %%EOF); simpan ulang atau unduh ulang PDF-nya",
            field=FIELD,
            rule=f"bukti berupa berkas {_ACCEPTED}",
        )
    return CheckedFile(media_type=kind, sha256=hashlib.sha256(data).hexdigest(), size=len(data), name=shown)


def check_quota(files: int, total_bytes: int, adding: int) -> None:
    """DomainError unless one more file of `adding` bytes fits what one appraisal may store."""
    if files + 1 > MAX_EVIDENCE_FILES_PER_APPRAISAL:
        raise DomainError(
            f"satu penilaian paling banyak menyimpan {MAX_EVIDENCE_FILES_PER_APPRAISAL} berkas bukti, sudah"
            f" {files}; tautkan bukti lain sebagai tautan",
            field=FIELD,
            rule="batas jumlah berkas bukti per penilaian",
        )
    if total_bytes + adding > MAX_EVIDENCE_BYTES_PER_APPRAISAL:
        raise DomainError(
            f"berkas bukti satu penilaian paling besar {_megabytes(MAX_EVIDENCE_BYTES_PER_APPRAISAL)} seluruhnya,"
            f" sudah {_megabytes(total_bytes)}; kecilkan berkas atau tautkan bukti lain sebagai tautan",
            field=FIELD,
            rule="batas ukuran berkas bukti per penilaian",
        )


def reference(sha256: str) -> str:
    """How a realisation's evidence list names a stored file."""
    return f"{REFERENCE_PREFIX}{sha256}"


def referenced(link: str) -> str | None:
    """The SHA-256 a reference names, or None for a link to elsewhere (an https:// address)."""
    found = _REFERENCE.match(link)
    return found["sha256"] if found else None


def is_sha256(text: str) -> bool:
    return len(text) == 64 and all(ch in "0123456789abcdef" for ch in text)


def safe_name(name: str) -> str:
    """The upload's own name without its folder, control or format characters, at most MAX_NAME_CHARS characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().strip(".")
    return cleaned[:MAX_NAME_CHARS].strip() or "bukti"


def download_name(name: str, kind: EvidenceType) -> str:
    """The name a download is saved as: the stored name, with the extension of what the file really is."""
    stem, dot, suffix = name.rpartition(".")
    if dot and ("." + suffix.lower()) in _ALIASES.get(kind, ()):
        return name
    return (stem if dot and len(suffix) <= 5 else name) + kind.extension


_ALIASES = {
    EvidenceType.PDF: (".pdf",),
    EvidenceType.JPEG: (".jpg", ".jpeg"),
    EvidenceType.PNG: (".png",),
}


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".", ",").removesuffix(",0") + " MB"
