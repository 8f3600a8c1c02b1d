"""The SKM questionnaire as a form (domain.survey_form) and what guards the public form (web.pages.survey_guard):
every unsur required with its own four answers, the profile from fixed lists, tokens and codes read as people type
them, and the signed form field, device counter and keyed address hash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import DomainError
from domain.survey import UNSUR
from domain.survey_form import (
    ALPHABET,
    CODE_LENGTH,
    QUESTIONS,
    FormRefused,
    new_code,
    new_token,
    normal_code,
    normal_token,
    read_form,
)
from web.pages.survey_guard import SurveyKeys

ALL_THREE = {f"u{n}": "3" for n in range(1, 10)}
NOW = datetime(2026, 10, 15, 9, 30, tzinfo=UTC)


def test_each_unsur_in_the_regulations_order_has_its_own_four_answers() -> None:
    assert [q.unsur for q in QUESTIONS] == list(UNSUR)
    assert all(len(set(q.options)) == 4 for q in QUESTIONS)
    by_code = {q.unsur.code: q for q in QUESTIONS}
    # The sample questionnaire asks about sarana before pengaduan; each stays with its own unsur.
    assert by_code["U8"].options[-1] == "Dikelola dengan baik"
    assert by_code["U9"].options == ("Buruk", "Cukup", "Baik", "Sangat baik")
    assert by_code["U4"].options[-1] == "Gratis"


def test_a_whole_form_is_read_with_its_profile_and_a_suggestion_on_one_line() -> None:
    answers = read_form(
        {**ALL_THREE, "u4": "4", "umur": "34", "jenis_kelamin": "P", "pendidikan": "s1", "pekerjaan": "wirausaha",
         "saran": "  Antrean\r\ndipercepat  "}
    )  # fmt: skip
    assert answers.scores == (3, 3, 3, 4, 3, 3, 3, 3, 3)
    assert (answers.profile.age, answers.profile.sex, answers.profile.education) == (34, "P", "s1")
    assert answers.profile.occupation == "wirausaha"
    assert answers.comment == "Antrean dipercepat"


def test_the_profile_may_be_left_empty() -> None:
    answers = read_form({**ALL_THREE, "umur": " ", "pendidikan": ""})
    assert answers.profile.age is None and answers.profile.education is None and answers.comment is None


def test_every_field_at_fault_is_named_at_once() -> None:
    fields = {**ALL_THREE, "u2": "", "u7": "5", "umur": "7", "jenis_kelamin": "X", "pekerjaan": "<script>",
              "saran": "x" * 1001}  # fmt: skip
    with pytest.raises(FormRefused) as refused:
        read_form(fields)
    named = [field for field, _ in refused.value.problems]
    assert named == ["u2", "u7", "umur", "jenis_kelamin", "pekerjaan", "saran"]
    messages = dict(refused.value.problems)
    assert "belum dijawab" in messages["u2"] and "Sistem, Mekanisme, dan Prosedur" in messages["u2"]
    assert "tidak dikenal" in messages["u7"]
    assert refused.value.field == "u2"


@pytest.mark.parametrize("value", ["3.0", " 03", "٣", "-1", "1e1", "true"])
def test_an_answer_is_one_of_the_four_digits_exactly(value: str) -> None:
    with pytest.raises(FormRefused):
        read_form({**ALL_THREE, "u1": value})


def test_a_suggestion_with_control_characters_is_refused() -> None:
    with pytest.raises(FormRefused) as refused:
        read_form({**ALL_THREE, "saran": "baik\x00sekali"})
    assert refused.value.field == "saran"


def test_codes_and_tokens_avoid_characters_people_misread() -> None:
    for _ in range(50):
        code = new_code()
        assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)
        token = new_token()
        assert len(token) == 14 and token.count("-") == 2
    assert not set("01OIL") & set(ALPHABET)


def test_a_code_and_a_token_are_read_as_typed() -> None:
    assert normal_code(" abc2345 ") == "ABC2345"
    assert normal_code("ABC0345") is None and normal_code("ABC23456") is None
    assert normal_token("abcd efgh-jkmn") == "ABCDEFGHJKMN"
    with pytest.raises(DomainError) as empty:
        normal_token(" - ")
    assert empty.value.field == "token"
    with pytest.raises(DomainError):
        normal_token("ABCD-EFGH-JKM0")


# --- the guard ----------------------------------------------------------------------------------------------------

KEYS = SurveyKeys.of(b"k" * 32)


def test_a_form_token_holds_for_its_address_and_its_hours_only() -> None:
    token = KEYS.form_token("ABC2345", NOW)
    assert KEYS.form_token_ok("ABC2345", token, NOW + timedelta(hours=11), max_age_seconds=12 * 3600)
    assert not KEYS.form_token_ok("ABC2345", token, NOW + timedelta(hours=13), max_age_seconds=12 * 3600)
    assert not KEYS.form_token_ok("XYZ2345", token, NOW, max_age_seconds=3600)
    assert not SurveyKeys.of(b"x" * 32).form_token_ok("ABC2345", token, NOW, max_age_seconds=3600)
    issued, nonce, mac = token.split(".")
    assert not KEYS.form_token_ok("ABC2345", f"{int(issued) + 60}.{nonce}.{mac}", NOW, max_age_seconds=3600)
    for forged in ("", "1.2", "x.y.z", "9" * 200):
        assert not KEYS.form_token_ok("ABC2345", forged, NOW, max_age_seconds=3600)


def test_the_device_counter_counts_today_only_and_only_signed() -> None:
    cookie = KEYS.device_cookie(3, NOW)
    assert KEYS.device_answers(cookie, NOW) == 3
    assert KEYS.device_answers(cookie, NOW + timedelta(days=1)) == 0
    day, _, mac = cookie.split(".")
    assert KEYS.device_answers(f"{day}.0.{mac}", NOW) == 0  # a lower count is not ours
    assert KEYS.device_answers(None, NOW) == 0 and KEYS.device_answers("rubbish", NOW) == 0


def test_an_address_is_kept_only_as_a_keyed_hash() -> None:
    key = KEYS.address_key("203.0.113.7")
    assert len(key) == 64 and "203" not in key
    assert key == KEYS.address_key("203.0.113.7") != KEYS.address_key("203.0.113.8")
    assert key != SurveyKeys.of(b"x" * 32).address_key("203.0.113.7")
