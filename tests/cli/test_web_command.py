"""`kinerja web` as an operator runs it, and what the command line says when the API cannot help: the service answers
/healthz at once and says through /readyz that Temporal is missing, refuses anonymous and unknown callers, and stops
on Ctrl-C; a command whose API does not answer says how to start one, and one run before signing in says to sign in."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from identity import accounts
from settings import AuthSettings
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("KINERJA_TOKEN", "KINERJA_API")}
    return {
        **environment,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'kinerja.db'}",
        "TEMPORAL__ADDRESS": f"127.0.0.1:{free_port()}",  # nothing listens there
        "KINERJA_CONFIG_DIR": str(tmp_path / "sesi"),
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def _kinerja(env: dict[str, str], cwd: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "starter", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        input=input,
    )


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    port = free_port()
    env = _env(tmp_path, KINERJA_API=f"http://127.0.0.1:{port}")
    assert _kinerja(env, tmp_path, "db", "upgrade").returncode == 0
    with (tmp_path / "web.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "starter", "web", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert process.poll() is None, (tmp_path / "web.log").read_text()
                assert time.monotonic() < deadline, "kinerja web did not answer /healthz"
                time.sleep(0.2)
        yield url, env
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0, (tmp_path / "web.log").read_text()
        shown = (tmp_path / "web.log").read_text()
        assert f"Layanan web Kinerja di {url} (1 proses)" in shown and "Traceback" not in shown
        assert "GET /healthz" not in shown  # no access log: a query string may carry a one-time link's secret
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_kinerja_web_serves_the_api_says_what_is_missing_and_refuses_strangers(
    web: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, env = web
    with pytest.raises(urllib.error.HTTPError) as not_ready:
        urllib.request.urlopen(f"{url}/readyz", timeout=20)
    assert not_ready.value.code == 503
    checks = json.loads(not_ready.value.read())
    assert checks["basis_data"] == "siap" and checks["temporal"] != "siap"
    with pytest.raises(urllib.error.HTTPError) as anonymous:
        urllib.request.urlopen(f"{url}/api/v1/me", timeout=10)
    assert anonymous.value.code == 401

    bogus = _kinerja(env, tmp_path, "masuk", "--token-stdin", input="knj_bukan-token-yang-sah\n")
    assert bogus.returncode == 1 and len(bogus.stderr.splitlines()) == 1
    assert bogus.stderr.startswith("kesalahan: token tidak berlaku") and "`kinerja masuk`" in bogus.stderr
    wrong = _kinerja(env, tmp_path, "masuk", "--nip", "199212252019032001", "--kata-sandi-stdin", input="salah\n")
    assert (wrong.returncode, wrong.stderr) == (1, f"kesalahan: {accounts.wrong(AuthSettings())}\n")
    assert not (tmp_path / "sesi" / "sesi.json").exists()  # nothing stored for a refused sign-in


def test_a_command_says_to_sign_in_and_how_to_start_an_api_that_does_not_answer(tmp_path: Path) -> None:
    nobody = _kinerja(_env(tmp_path), tmp_path, "tugas")
    assert (nobody.returncode, nobody.stderr) == (
        1,
        "kesalahan: belum masuk: jalankan `kinerja masuk --nip NIP` (atau atur KINERJA_TOKEN)\n",
    )
    api = f"http://127.0.0.1:{free_port()}"
    env = _env(tmp_path, KINERJA_TOKEN="knj_token-dari-lingkungan", KINERJA_API=api)
    for args in (("tugas",), ("skp", "setujui", "--siklus", "2026-X", "--nip", "199212252019032001")):
        down = _kinerja(env, tmp_path, *args)
        assert down.returncode == 1 and len(down.stderr.splitlines()) == 1, down.stderr
        assert down.stderr.startswith(f"kesalahan: API Kinerja tidak dapat dihubungi di {api}: jalankan `kinerja up`")
        assert "`kinerja web`" in down.stderr and "Traceback" not in down.stderr
