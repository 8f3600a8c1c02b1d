"""The citizens' SKM questionnaire as a form (PermenPANRB 14/2017): the nine unsur in plain words, each with the four
answers of the regulation's sample questionnaire, and its optional respondent profile; what a filled form must hold.

The sample questionnaire asks about sarana dan prasarana before penanganan pengaduan; the unsur keep the
regulation's order (U8 pengaduan, U9 sarana, domain.survey.UNSUR), so each question is tied to its unsur by code, not
by its place on the page. Every unsur is required on the form (a paper form may leave one blank; the import keeps
that), the profile is not.

Also here: the shape of a unit's short survey address and of the one-time tokens a unit hands out on its receipts,
both from an alphabet without the characters people misread (0/O, 1/I/L).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from domain.errors import DomainError
from domain.survey import MAX_SCORE, MIN_SCORE, UNSUR, Unsur

FORM_RULE = "kuesioner SKM: setiap unsur dijawab dengan salah satu dari empat pilihan (PermenPANRB 14/2017)"


@dataclass(frozen=True)
class Question:
    unsur: Unsur
    text: str
    options: tuple[str, str, str, str]  # the answers for scores 1, 2, 3, 4

    @property
    def field(self) -> str:
        return self.unsur.field

    def choices(self) -> list[tuple[int, str]]:
        return list(enumerate(self.options, start=MIN_SCORE))


_BY_CODE = {unsur.code: unsur for unsur in UNSUR}

# The sample questionnaire of PermenPANRB 14/2017, its questions and answers in the words offices print [C-2nd].
QUESTIONS: tuple[Question, ...] = (
    Question(
        _BY_CODE["U1"],
        "Bagaimana pendapat Anda tentang kesesuaian persyaratan pelayanan dengan jenis pelayanannya?",
        ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
    ),
    Question(
        _BY_CODE["U2"],
        "Bagaimana pemahaman Anda tentang kemudahan prosedur pelayanan di unit ini?",
        ("Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah"),
    ),
    Question(
        _BY_CODE["U3"],
        "Bagaimana pendapat Anda tentang kecepatan waktu dalam memberikan pelayanan?",
        ("Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat"),
    ),
    Question(
        _BY_CODE["U4"],
        "Bagaimana pendapat Anda tentang kewajaran biaya/tarif dalam pelayanan?",
        ("Sangat mahal", "Cukup mahal", "Murah", "Gratis"),
    ),
    Question(
        _BY_CODE["U5"],
        "Bagaimana pendapat Anda tentang kesesuaian produk pelayanan antara yang tercantum dalam standar pelayanan"
        " dengan hasil yang diberikan?",
        ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
    ),
    Question(
        _BY_CODE["U6"],
        "Bagaimana pendapat Anda tentang kompetensi/kemampuan petugas dalam pelayanan?",
        ("Tidak kompeten", "Kurang kompeten", "Kompeten", "Sangat kompeten"),
    ),
    Question(
        _BY_CODE["U7"],
        "Bagaimana pendapat Anda tentang perilaku petugas dalam pelayanan terkait kesopanan dan keramahan?",
        ("Tidak sopan dan ramah", "Kurang sopan dan ramah", "Sopan dan ramah", "Sangat sopan dan ramah"),
    ),
    Question(
        _BY_CODE["U8"],
        "Bagaimana pendapat Anda tentang penanganan pengaduan pengguna layanan?",
        ("Tidak ada", "Ada tetapi tidak berfungsi", "Berfungsi kurang maksimal", "Dikelola dengan baik"),
    ),
    Question(
        _BY_CODE["U9"],
        "Bagaimana pendapat Anda tentang kualitas sarana dan prasarana?",
        ("Buruk", "Cukup", "Baik", "Sangat baik"),
    ),
)

# The respondent profile of the regulation's form: all optional; stored as these keys, shown with these words.
SEXES: tuple[tuple[str, str], ...] = (("L", "Laki-laki"), ("P", "Perempuan"))
EDUCATIONS: tuple[tuple[str, str], ...] = (
    ("sd", "SD atau di bawahnya"),
    ("smp", "SMP atau sederajat"),
    ("sma", "SMA/SMK atau sederajat"),
    ("diploma", "D1, D2, D3 atau D4"),
    ("s1", "S1"),
    ("s2", "S2 atau lebih tinggi"),
)
OCCUPATIONS: tuple[tuple[str, str], ...] = (
    ("pns", "PNS/ASN"),
    ("tni", "TNI"),
    ("polri", "POLRI"),
    ("swasta", "Pegawai swasta"),
    ("wirausaha", "Wirausaha"),
    ("pelajar", "Pelajar/mahasiswa"),
    ("lainnya", "Lainnya"),
)
MIN_AGE = 10
MAX_AGE = 120
MAX_COMMENT = 1000
PROFILE_FIELDS = ("umur", "jenis_kelamin", "pendidikan", "pekerjaan")
COMMENT_FIELD = "saran"
FIELDS = frozenset({*(q.field for q in QUESTIONS), *PROFILE_FIELDS, COMMENT_FIELD})


@dataclass(frozen=True)
class Profile:
    age: int | None = None
    sex: str | None = None
    education: str | None = None
    occupation: str | None = None


@dataclass(frozen=True)
class FormAnswers:
    """A filled form: nine scores in the regulation's order, the profile, a suggestion."""

    scores: tuple[int, ...]
    profile: Profile
    comment: str | None


class FormRefused(DomainError):
    """Every field of the form at fault at once (web.problems lists `problems` beside their fields)."""

    def __init__(self, problems: list[tuple[str | None, str]]) -> None:
        self.problems = problems
        first_field, first = problems[0]
        more = f" (dan {len(problems) - 1} isian lain)" if len(problems) > 1 else ""
        super().__init__(first + more, field=first_field, rule=FORM_RULE)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def read_form(fields: Mapping[str, str]) -> FormAnswers:
    """The answers of a submitted form, or FormRefused naming each field at fault (a missing or unknown answer,
    a profile value not on its list, an age out of range, a suggestion too long or with control characters)."""
    problems: list[tuple[str | None, str]] = []
    scores: list[int] = []
    for question in QUESTIONS:
        raw = fields.get(question.field, "").strip()
        if raw not in {str(score) for score in range(MIN_SCORE, MAX_SCORE + 1)}:
            what = "belum dijawab" if not raw else "jawabannya tidak dikenal"
            problems.append((question.field, f"Unsur {question.unsur.name} {what}; pilih salah satu jawaban."))
            continue
        scores.append(int(raw))
    age = _age(fields.get("umur", ""), problems)
    sex = _choice(fields, "jenis_kelamin", SEXES, "Jenis kelamin", problems)
    education = _choice(fields, "pendidikan", EDUCATIONS, "Pendidikan", problems)
    occupation = _choice(fields, "pekerjaan", OCCUPATIONS, "Pekerjaan", problems)
    comment = _comment(fields.get(COMMENT_FIELD, ""), problems)
    if problems:
        raise FormRefused(problems)
    return FormAnswers(tuple(scores), Profile(age, sex, education, occupation), comment)


def _age(raw: str, problems: list[tuple[str | None, str]]) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or not MIN_AGE <= int(raw) <= MAX_AGE:
        problems.append(("umur", f"Umur diisi angka tahun, {MIN_AGE} sampai {MAX_AGE}, atau dikosongkan."))
        return None
    return int(raw)


def _choice(
    fields: Mapping[str, str],
    name: str,
    options: tuple[tuple[str, str], ...],
    label: str,
    problems: list[tuple[str | None, str]],
) -> str | None:
    raw = fields.get(name, "").strip()
    if not raw:
        return None
    if raw not in {key for key, _ in options}:
        problems.append((name, f"{label} dipilih dari daftar yang ada, atau dikosongkan."))
        return None
    return raw


def _comment(raw: str, problems: list[tuple[str | None, str]]) -> str | None:
    # A line break typed in the text area is kept as one space, as the import stores a cell.
    text = " ".join(unicodedata.normalize("NFC", raw).split())
    if not text:
        return None
    if len(text) > MAX_COMMENT:
        problems.append((COMMENT_FIELD, f"Saran paling banyak {MAX_COMMENT} karakter (terisi {len(text)})."))
        return None
    if _CONTROL.search(text):
        problems.append((COMMENT_FIELD, "Saran memuat karakter kendali yang tidak dapat disimpan."))
        return None
    return text


# --- short addresses and tokens -----------------------------------------------------------------------------------

# No 0/O, 1/I/L: read off a poster or a receipt and typed on a phone without doubt.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 7  # 31^7 ≈ 2.7e10 addresses: drawn at random, unrelated to any NIP or unit code
TOKEN_LENGTH = 12  # 31^12 ≈ 7.9e17: out of reach of guessing, and still short enough to type from a receipt
TOKEN_GROUP = 4
TOKEN_RULE = "satu token survei untuk satu jawaban (PermenPANRB 14/2017: satu responden satu kuesioner)"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normal_code(raw: str) -> str | None:
    """The address code as stored (upper case), or None if it cannot be one."""
    code = raw.strip().upper()
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def new_token() -> str:
    """A token as printed: `ABCD-EFGH-JKMN`."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(TOKEN_LENGTH))
    return "-".join(raw[i : i + TOKEN_GROUP] for i in range(0, TOKEN_LENGTH, TOKEN_GROUP))


def normal_token(raw: str) -> str:
    """The token as typed, without spaces or dashes, in upper case; DomainError (field `token`) if it cannot be one."""
    token = re.sub(r"[\s-]", "", raw).upper()
    if not token:
        raise DomainError(
            "Unit ini memakai token survei: isi token yang tercetak pada bukti layanan Anda.",
            field="token",
            rule=TOKEN_RULE,
        )
    if len(token) != TOKEN_LENGTH or any(c not in ALPHABET for c in token):
        raise DomainError(
            f"Token terdiri atas {TOKEN_LENGTH} huruf dan angka (mis. ABCD-EFGH-JKMN); periksa lagi yang tercetak.",
            field="token",
            rule=TOKEN_RULE,
        )
    return token
