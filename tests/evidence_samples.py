"""Small files of each kind the evidence check knows (domain.evidence), and one it must refuse."""

from __future__ import annotations

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00" + b"\x00" * 16
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run"


def pdf_of(size: int, tag: bytes = b"") -> bytes:
    """A PDF of exactly `size` bytes (at least 64), `tag` inside so that each differs."""
    head, tail = b"%PDF-1.4\n%" + tag + b"\n", b"\n%%EOF\n"
    return head + b" " * (size - len(head) - len(tail)) + tail
