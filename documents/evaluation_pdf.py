"""The dokumen evaluasi kinerja pegawai as a PDF (A4, in the order of the regulation's annex form): the heading and
period, the three people the form names, the SKP's results with target, realisation and capaian, the perilaku kerja,
both ratings and the predicate, the feedback, and who set, accepted or decided with the date (the steps as recorded).

Drawn with fpdf2 in DejaVu Sans (Debian's fonts-dejavu-core, which `make setup` installs): names and feedback are
typed by people and may hold any letter. Where the font is missing the document is still made, in the PDF's own
Helvetica, with what it cannot print replaced by "?".
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import TableCellFillMode
from fpdf.fonts import FontFace

from domain.formats import tanggal_panjang
from services.evaluation_document import EvaluationDocument

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT = "DejaVu"
GREY = (235, 235, 235)


class _Pdf(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._footer_text = footer_text
        self.set_margins(10, 12, 10)
        self.set_auto_page_break(auto=True, margin=15)
        regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            self.add_font(FONT, "", str(regular))
            self.add_font(FONT, "B", str(bold))
            self.face = FONT
        else:
            self.face = "helvetica"

    def text_of(self, value: str) -> str:
        """What the font can print: all of it in DejaVu; Latin-1 in the fallback."""
        return value if self.face == FONT else value.encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.face, "", 7)
        self.cell(0, 5, self.text_of(f"{self._footer_text} · halaman {self.page_no()}/{{nb}}"), align="C")


def render(doc: EvaluationDocument) -> bytes:
    pegawai = doc.people[0]
    pdf = _Pdf(f"Dokumen evaluasi kinerja {pegawai.name} NIP {pegawai.nip} · periode {doc.period}")
    t = pdf.text_of
    pdf.set_title(t(f"Dokumen Evaluasi Kinerja Pegawai {doc.period} - {pegawai.name}"))
    pdf.set_author(t(doc.instansi))
    pdf.set_creator("Kinerja")
    pdf.add_page()

    pdf.set_font(pdf.face, "B", 12)
    pdf.cell(0, 6, "DOKUMEN EVALUASI KINERJA PEGAWAI", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.face, "", 9)
    pdf.cell(0, 5, t(f"PERIODE: {doc.period_label}"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.multi_cell(0, 5, t(doc.instansi.upper()), align="C", new_x="LMARGIN", new_y="NEXT")
    start = tanggal_panjang(doc.appraised_from).upper() if doc.appraised_from else "1 JANUARI"
    end = tanggal_panjang(doc.appraised_until).upper() if doc.appraised_until else f"31 DESEMBER {doc.period}"
    period = f"PERIODE PENILAIAN: {start} SD {end}"
    pdf.cell(0, 5, period, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    heading = FontFace(emphasis="BOLD", fill_color=GREY)
    pdf.set_font(pdf.face, "", 8.5)
    with pdf.table(col_widths=(8, 52, 130), first_row_as_headings=False, line_height=5) as table:
        for n, person in enumerate(doc.people, start=1):
            row = table.row(style=heading)
            row.cell(str(n))
            row.cell(t(person.title.upper()), colspan=2)
            for k, (label, value) in enumerate(
                (
                    ("NAMA", person.name),
                    ("NIP", person.nip),
                    ("PANGKAT/GOL. RUANG", person.rank),
                    ("JABATAN", person.position),
                    ("UNIT KERJA", person.unit),
                ),
                start=1,
            ):
                row = table.row()
                row.cell("")
                row.cell(f"{k}. {label}")
                row.cell(t(value))
    pdf.ln(4)

    _title(pdf, "HASIL KERJA")
    with pdf.table(
        col_widths=(10, 52, 56, 26, 24, 22),
        headings_style=heading,
        text_align=("CENTER", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
        line_height=4.5,
    ) as table:
        row = table.row()
        for text in ("NO", "RENCANA HASIL KERJA", "INDIKATOR (ASPEK)", "TARGET", "REALISASI", "CAPAIAN"):
            row.cell(text)
        version = ""
        for line in doc.results:
            if line.version and line.version != version:  # the SKP changed during the year: each version apart
                version = line.version
                table.row(style=heading).cell(t(version.upper()), colspan=6)
            row = table.row()
            row.cell(line.number)
            row.cell(t(f"{line.rhk} ({line.kind})"))
            row.cell(t(f"{line.indicator} ({line.aspect})"))
            row.cell(t(line.target))
            row.cell(t(line.realisation))
            row.cell(t(line.capaian))
    pdf.ln(4)

    _title(pdf, "PERILAKU KERJA (BerAKHLAK)")
    pdf.set_font(pdf.face, "", 8.5)
    for n, behaviour in enumerate(doc.behaviours, start=1):
        pdf.multi_cell(0, 4.5, t(f"{n}. {behaviour}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    _title(pdf, "HASIL PENILAIAN")
    rows = [
        ("RATING HASIL KERJA", doc.hasil_kerja),
        ("RATING PERILAKU KERJA", doc.perilaku),
        ("PREDIKAT MENURUT MATRIKS", doc.matrix_predicate),
        *([("PERUBAHAN PREDIKAT", "; ".join(doc.predicate_changes))] if doc.predicate_changes else []),
        ("PREDIKAT KINERJA PEGAWAI", doc.predicate.upper()),
    ]
    with pdf.table(
        col_widths=(60, 130),
        first_row_as_headings=False,
        line_height=5,
        cell_fill_color=GREY,
        cell_fill_mode=TableCellFillMode.NONE,
    ) as table:
        for label, value in rows:
            row = table.row()
            row.cell(label, style=FontFace(emphasis="BOLD"))
            row.cell(t(value), style=FontFace(emphasis="BOLD") if label.startswith("PREDIKAT KINERJA") else None)
    pdf.ln(4)

    # Free text of up to 5,000 characters or many lines: outside any table, whose row cannot cross a page.
    _title(pdf, "UMPAN BALIK")
    pdf.multi_cell(0, 4.5, t(doc.feedback or "–"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    if doc.notes:
        _title(pdf, "UMPAN BALIK BERKELANJUTAN")
        for note in doc.notes:
            pdf.multi_cell(0, 4.5, t(note), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        pdf.ln(3)

    _title(pdf, "PENETAPAN")
    with pdf.table(col_widths=(52, 62, 46, 30), headings_style=heading, line_height=5) as table:
        row = table.row()
        for text in ("PERAN", "NAMA / NIP", "LANGKAH", "TANGGAL"):
            row.cell(text)
        for signature in doc.signatures:
            row = table.row()
            row.cell(t(signature.title))
            row.cell(t(f"{signature.name}\nNIP {signature.nip}"))
            row.cell(t(signature.what + (f" ({signature.on_behalf})" if signature.on_behalf else "")))
            row.cell(t(signature.at))
    pdf.ln(3)
    pdf.set_font(pdf.face, "", 7.5)
    note = (
        f"Setiap langkah di atas dicatat oleh sistem Kinerja dengan pelaku dan waktunya (siklus {doc.cycle_id}); "
        f"dokumen ini disusun dari catatan itu pada {doc.issued_at}."
    )
    pdf.multi_cell(0, 4, t(note))
    return bytes(pdf.output())


def _title(pdf: _Pdf, text: str) -> None:
    pdf.set_font(pdf.face, "B", 9.5)
    pdf.cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.face, "", 8.5)
