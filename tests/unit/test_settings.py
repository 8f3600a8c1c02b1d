from pathlib import Path

import pytest
from pydantic import ValidationError

from settings import Settings


def test_metrics_are_served_only_where_an_address_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_BIND", "")  # compose passes an unset variable as an empty one
    assert Settings().metrics_bind is None
    monkeypatch.setenv("METRICS_BIND", "0.0.0.0:9464")
    assert Settings().metrics_bind == "0.0.0.0:9464"
    monkeypatch.setenv("METRICS_BIND", "[::]:9464")
    assert Settings().metrics_bind == "[::]:9464"
    for wrong in ("9464", "0.0.0.0:", "0.0.0.0:99999", "localhost:9464", "kinerja-worker:9464"):
        monkeypatch.setenv("METRICS_BIND", wrong)
        with pytest.raises(ValidationError, match="bukan alamat IP:port"):
            Settings()


def test_an_smtp_ca_certificate_is_a_file_that_exists(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SMTP__CA_CERT", "")  # compose passes an unset variable as an empty one
    assert Settings().smtp.ca_cert is None
    monkeypatch.setenv("SMTP__CA_CERT", str(tmp_path / "tidak-ada.pem"))
    with pytest.raises(ValidationError, match=r"smtp\.ca_cert"):
        Settings()


def test_certificate_files_that_are_no_pem_are_refused_when_the_settings_load(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    junk = tmp_path / "bukan.pem"
    junk.write_text("ini bukan sertifikat\n")
    monkeypatch.setenv("SMTP__CA_CERT", str(junk))
    with pytest.raises(ValidationError, match=r"SMTP__CA_CERT .*bukan sertifikat CA berformat PEM"):
        Settings()
    monkeypatch.delenv("SMTP__CA_CERT")
    monkeypatch.setenv("TEMPORAL__TLS_CA_CERT", str(junk))
    with pytest.raises(ValidationError, match=r"TEMPORAL__TLS_CA_CERT .*bukan sertifikat CA berformat PEM"):
        Settings()
    monkeypatch.delenv("TEMPORAL__TLS_CA_CERT")
    monkeypatch.setenv("TEMPORAL__TLS_CLIENT_CERT", str(junk))
    monkeypatch.setenv("TEMPORAL__TLS_CLIENT_KEY", str(junk))
    with pytest.raises(ValidationError, match="bukan sertifikat PEM dengan kuncinya"):
        Settings()
