"""Settings from the environment: what is refused when they load, with the variable named and the reason in
Indonesian, as the worker logs it and a command prints it."""

from pathlib import Path

import pytest

from settings import InvalidSettings, load_settings


def _problems(monkeypatch: pytest.MonkeyPatch, **variables: str) -> list[str]:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(InvalidSettings) as refused:
        load_settings()
    for name in variables:
        monkeypatch.delenv(name)
    return refused.value.problems


def test_metrics_are_served_only_where_an_address_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_BIND", "")  # compose passes an unset variable as an empty one
    assert load_settings().metrics_bind is None
    monkeypatch.setenv("METRICS_BIND", "0.0.0.0:9464")
    assert load_settings().metrics_bind == "0.0.0.0:9464"
    monkeypatch.setenv("METRICS_BIND", "[::]:9464")
    assert load_settings().metrics_bind == "[::]:9464"
    monkeypatch.delenv("METRICS_BIND")
    for wrong in ("9464", "0.0.0.0:", "0.0.0.0:99999", "localhost:9464", "kinerja-worker:9464"):
        assert _problems(monkeypatch, METRICS_BIND=wrong) == [
            f"METRICS_BIND: '{wrong}' bukan alamat IP:port, mis. 0.0.0.0:9464 atau 127.0.0.1:9464"
        ]


def test_an_smtp_ca_certificate_is_a_file_that_exists(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SMTP__CA_CERT", "")
    assert load_settings().smtp.ca_cert is None
    monkeypatch.delenv("SMTP__CA_CERT")
    assert _problems(monkeypatch, SMTP__CA_CERT=str(tmp_path / "tidak-ada.pem")) == ["SMTP__CA_CERT: berkas tidak ada"]


def test_certificate_files_that_are_no_pem_or_cannot_be_read_are_refused_when_the_settings_load(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    junk = tmp_path / "bukan.pem"
    junk.write_text("ini bukan sertifikat\n")
    [smtp] = _problems(monkeypatch, SMTP__CA_CERT=str(junk))
    assert smtp.startswith(f"SMTP__CA_CERT: {junk} bukan sertifikat CA berformat PEM")
    [temporal] = _problems(monkeypatch, TEMPORAL__TLS_CA_CERT=str(junk))
    assert temporal.startswith(f"TEMPORAL__TLS_CA_CERT: {junk} bukan sertifikat CA berformat PEM")
    [pair] = _problems(monkeypatch, TEMPORAL__TLS_CLIENT_CERT=str(junk), TEMPORAL__TLS_CLIENT_KEY=str(junk))
    assert pair.startswith(
        "TEMPORAL__TLS_CLIENT_CERT dan TEMPORAL__TLS_CLIENT_KEY bukan sertifikat PEM dengan kuncinya"
    )
    assert _problems(monkeypatch, TEMPORAL__TLS_CLIENT_CERT=str(junk)) == [
        "TEMPORAL__TLS_CLIENT_CERT dan TEMPORAL__TLS_CLIENT_KEY diisi berdua (mTLS) atau tidak sama sekali"
    ]
    unreadable = tmp_path / "rahasia.pem"
    unreadable.write_text("x")
    unreadable.chmod(0)
    try:
        readable_anyway = bool(unreadable.read_text())  # as root, nothing is unreadable: nothing to test then
    except PermissionError:
        readable_anyway = False
    if not readable_anyway:
        [locked] = _problems(monkeypatch, SMTP__CA_CERT=str(unreadable))
        assert locked.startswith(f"SMTP__CA_CERT: {unreadable} tidak dapat dibaca")


def test_other_settings_are_named_and_explained_in_indonesian(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _problems(monkeypatch, SMTP__SECURITY="tls", OUTBOX__RELAY="mungkin") == [
        "SMTP__SECURITY: bukan salah satu pilihan ('starttls', 'ssl' atau 'none')",
        "OUTBOX__RELAY: bukan true atau false",
    ]
