"""Typed settings, read once from the environment (and a `.env` file) by the entry points and passed in."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Callable
from email.headerregistry import Address
from email.utils import formataddr, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, FilePath, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:  # payloads imports Temporal's SDK and cryptography: only for a process that has keys
    from payloads import PayloadKeys


def _check_pem(load: Callable[[], object], what: str, kind: str) -> None:
    """Certificate files TLS can use (`load` loads them as TLS would): refused when the settings load, not at the
    first connection."""
    try:
        load()
    except ssl.SSLError as error:
        raise ValueError(f"{what} bukan {kind} ({error.reason or error})") from None
    except OSError as error:  # e.g. a file readable by root only, and the worker runs as another user
        raise ValueError(f"{what} tidak dapat dibaca ({error.strerror or error})") from None


def _check_ca(path: Path | None) -> Path | None:
    if path is not None:
        _check_pem(lambda: ssl.create_default_context(cafile=str(path)), str(path), "sertifikat CA berformat PEM")
    return path


def _blank_is_none(value: object) -> object:
    """An empty variable is an unset one: compose and .env files write them for settings left out."""
    return None if isinstance(value, str) and not value.strip() else value


class InvalidSettings(Exception):
    """Settings from the environment that cannot be used: one line per problem, naming its variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class TemporalSettings(BaseModel):
    address: str = "localhost:7233"
    namespace: str = "default"
    task_queue: str = "kinerja"
    # A bounded workflow cache keeps worker memory flat however many appraisals are open: about 0.3 MiB per cached
    # appraisal (docs/benchmarks.md), so ~150 MiB here. An appraisal is touched a few times a year; one not in the
    # cache is replayed from its (small) history when it is.
    max_cached_workflows: int = Field(default=500, ge=0)
    max_concurrent_activities: int = Field(default=50, ge=1)
    max_concurrent_workflow_tasks: int = Field(default=50, ge=1)
    # A secured frontend (a self-hosted cluster with TLS or mTLS, Temporal Cloud): TLS is on with any of the settings
    # below, or with `tls=true` alone for a server certificate the system's CAs trust. Certificates are PEM files.
    tls: bool = False
    tls_ca_cert: FilePath | None = None  # the CA that signed the server's certificate (a private CA)
    tls_client_cert: FilePath | None = None  # this client's certificate, for mutual TLS, with its key:
    tls_client_key: FilePath | None = None
    tls_server_name: str | None = None  # the name in the server's certificate, where it is not the address's host
    api_key: SecretStr | None = None  # a Temporal Cloud API key, sent as a bearer token over TLS
    # Temporal's Web UI as an operator's browser reaches it (`kinerja up` serves it here): the operator's page of an
    # appraisal's history links to its workflow there. Empty: no link.
    ui_url: str | None = Field(default="http://127.0.0.1:8233", max_length=500, pattern=r"^https?://[^\s]+$")
    # Every payload encrypted (AES-256-GCM, payloads.EncryptionCodec) with these keys: `id=base64` entries of 32 bytes,
    # one per line or comma-separated, the first encrypting and all decrypting (rotation: put the new one first). From
    # the environment or a file outside the repository; unset, payloads travel in clear and the worker warns.
    payload_keys: SecretStr | None = None
    payload_keys_file: FilePath | None = None

    @field_validator(
        "tls_ca_cert",
        "tls_client_cert",
        "tls_client_key",
        "tls_server_name",
        "api_key",
        "ui_url",
        "payload_keys",
        "payload_keys_file",
        mode="before",
    )
    @classmethod
    def _unset_when_blank(cls, value: object) -> object:
        return _blank_is_none(value)

    @field_validator("tls_ca_cert")
    @classmethod
    def _a_ca(cls, value: Path | None) -> Path | None:
        return _check_ca(value)

    @model_validator(mode="after")
    def _client_pair(self) -> TemporalSettings:
        if (self.tls_client_cert is None) != (self.tls_client_key is None):
            raise ValueError(
                "TEMPORAL__TLS_CLIENT_CERT dan TEMPORAL__TLS_CLIENT_KEY diisi berdua (mTLS) atau tidak sama sekali"
            )
        cert, key = self.tls_client_cert, self.tls_client_key
        if cert is not None and key is not None:
            _check_pem(
                lambda: ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain(cert, key),
                "TEMPORAL__TLS_CLIENT_CERT dan TEMPORAL__TLS_CLIENT_KEY",
                "sertifikat PEM dengan kuncinya",
            )
        return self

    @model_validator(mode="after")
    def _payload_keys_usable(self) -> TemporalSettings:
        if self.payload_keys is not None and self.payload_keys_file is not None:
            raise ValueError("TEMPORAL__PAYLOAD_KEYS atau TEMPORAL__PAYLOAD_KEYS_FILE, bukan keduanya")
        if self.payload_keys is None and self.payload_keys_file is None:
            return self
        from payloads import PayloadKeyError

        try:
            self.encryption()
        except PayloadKeyError as error:
            raise ValueError(str(error)) from None
        return self

    def encryption(self) -> PayloadKeys | None:
        """The keys payloads are encrypted with, or None (in clear)."""
        from payloads import PayloadKeys

        if self.payload_keys_file is not None:
            return PayloadKeys.parse(self.payload_keys_file.read_text())
        if self.payload_keys is not None:
            return PayloadKeys.parse(self.payload_keys.get_secret_value())
        return None

    @property
    def uses_tls(self) -> bool:
        return self.tls or any(
            value is not None for value in (self.tls_ca_cert, self.tls_client_cert, self.tls_server_name, self.api_key)
        )


class SmtpSettings(BaseModel):
    """Where e-mail notices go (`SMTP__HOST=mail.bkd.go.id`, ...). Without a host, e-mail notices wait in the outbox
    and only the log channel is delivered."""

    host: str | None = None
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"  # "none" only for a relay on a trusted network
    username: str | None = None
    password: SecretStr | None = None
    sender: str = "Kinerja <kinerja@localhost>"  # the From of every notice: "Nama <alamat@domain>" or an address
    # Per SMTP reply; a message waits for up to five, and the dispatcher keeps that long of its claim in hand.
    timeout_seconds: float = Field(default=30, gt=0, le=120)
    # PEM file of the CA that signed the server's certificate, where it is not one the system trusts (an instansi's
    # own mail server); with starttls and ssl the certificate and the host name are always checked.
    ca_cert: FilePath | None = None

    @field_validator("host", "ca_cert", mode="before")
    @classmethod
    def _unset_when_blank(cls, value: object) -> object:
        value = _blank_is_none(value)
        return value.strip() if isinstance(value, str) else value

    @field_validator("ca_cert")
    @classmethod
    def _a_ca(cls, value: Path | None) -> Path | None:
        return _check_ca(value)

    @field_validator("sender")
    @classmethod
    def _an_address(cls, value: str) -> str:
        name, address = parseaddr(value)
        if "@" not in address:
            raise ValueError(f"'{value}' bukan alamat pengirim e-mail (Nama <alamat@domain> atau alamat@domain)")
        return formataddr((name, address))

    def sender_address(self) -> Address:
        name, address = parseaddr(self.sender)
        username, _, domain = address.partition("@")
        return Address(display_name=name, username=username, domain=domain)


class OutboxSettings(BaseModel):
    """The worker's outbox dispatcher (services/dispatch.py): how often it looks, how much it takes at once, and how
    often a message is tried before it is given up (`kinerja notifikasi ulangi` queues it again)."""

    relay: bool = True  # each worker delivers; set OUTBOX__RELAY=false where another process does
    poll_seconds: float = Field(default=15, gt=0)
    batch: int = Field(default=100, ge=1, le=1000)
    max_attempts: int = Field(default=10, ge=1, le=100)


class AuthSettings(BaseModel):
    """Sign-in, sessions and tokens (identity/, web/). The defaults suit an office intranet behind TLS."""

    # Where people reach the service: the base of the links in set-password and reset e-mails.
    public_url: str = "http://127.0.0.1:8000"
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_hours: int = Field(default=12, ge=1, le=7 * 24)  # absolute: a session ends then however active
    # None: the cookie is Secure when the request came over https (directly, or as a trusted proxy says).
    cookie_secure: bool | None = None
    max_failed_logins: int = Field(default=5, ge=1, le=100)  # in a row, then the account locks for a while
    lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    failures_per_address: int = Field(default=30, ge=1, le=10_000)  # per address and window, then 429
    failure_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    link_hours: int = Field(default=48, ge=1, le=14 * 24)  # a set-password or reset link is valid this long
    token_days: int = Field(default=90, ge=1, le=365)  # a personal access token's default lifetime
    max_token_days: int = Field(default=365, ge=1, le=3650)
    # argon2id (RFC 9106's second recommended option: 3 passes over 64 MiB, 4 lanes); docs/security.md says why.
    argon2_time_cost: int = Field(default=3, ge=1, le=10)
    argon2_memory_kib: int = Field(default=64 * 1024, ge=8 * 1024, le=1024 * 1024)
    argon2_parallelism: int = Field(default=4, ge=1, le=16)
    # Password hashes computed at once per web process; more sign-ins wait their turn instead of exhausting memory.
    hash_concurrency: int = Field(default=4, ge=1, le=64)
    # Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (comma-separated IPs); none by default.
    trusted_proxies: str = ""

    @property
    def proxies(self) -> set[str]:
        return {part.strip() for part in self.trusted_proxies.split(",") if part.strip()}


class OidcSettings(BaseModel):
    """Sign-in through the instansi's OpenID Connect provider (authorization code with PKCE). Off without an issuer."""

    issuer: str | None = None  # e.g. https://sso.jayapurakota.go.id/realms/asn
    client_id: str = "kinerja"
    client_secret: SecretStr | None = None  # a confidential client; none for a public client (PKCE alone)
    nip_claim: str = "nip"  # the ID token claim that carries the person's NIP
    scopes: str = "openid profile"
    # Where the provider sends people back; default: {AUTH__PUBLIC_URL}/auth/oidc/callback
    redirect_url: str | None = None
    # PEM file of the CA that signed the provider's certificate, where it is not one the system trusts.
    ca_cert: FilePath | None = None

    @field_validator("issuer", "redirect_url", "client_secret", "ca_cert", mode="before")
    @classmethod
    def _unset_when_blank(cls, value: object) -> object:
        return _blank_is_none(value)

    @field_validator("ca_cert")
    @classmethod
    def _a_ca(cls, value: Path | None) -> Path | None:
        return _check_ca(value)

    @property
    def enabled(self) -> bool:
        return self.issuer is not None


class SurveySettings(BaseModel):
    """The citizens' survey form (`/s/{code}`, web/pages/survey.py): its signing key and the limits on answers from
    one place. The limits are for units that hand out no tokens; a person filling in honestly never meets them."""

    # Signs the form's anti-forgery field and the device counter, and keys the hash of an address (never stored
    # itself). Unset: a random key made once and kept in the database, so every web process shares it.
    form_secret: SecretStr | None = Field(default=None, min_length=32)
    per_address_per_hour: int = Field(default=20, ge=1, le=100_000)  # answers from one address in an hour
    per_device_per_day: int = Field(default=5, ge=1, le=1000)  # answers from one browser in a day (a signed cookie)
    form_hours: int = Field(default=12, ge=1, le=72)  # a form opened this long ago is refused: load it again

    @field_validator("form_secret", mode="before")
    @classmethod
    def _unset_when_blank(cls, value: object) -> object:
        return _blank_is_none(value)


class WebSettings(BaseModel):
    """`kinerja web`: where the HTTP service listens."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)


class Settings(BaseSettings):
    """`DATABASE_URL` picks the database; nested groups use `__`, e.g. `TEMPORAL__ADDRESS=host:7233`."""

    model_config = SettingsConfigDict(env_nested_delimiter="__", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///kinerja.db"
    temporal: TemporalSettings = TemporalSettings()
    smtp: SmtpSettings = SmtpSettings()
    outbox: OutboxSettings = OutboxSettings()
    auth: AuthSettings = AuthSettings()
    oidc: OidcSettings = OidcSettings()
    web: WebSettings = WebSettings()
    survey: SurveySettings = SurveySettings()
    log_level: str = "INFO"
    # IP:port where a worker serves its metrics for Prometheus (metrics.py), e.g. 0.0.0.0:9464; none by default.
    metrics_bind: str | None = None

    @field_validator("metrics_bind", mode="before")
    @classmethod
    def _a_bind_address(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip() or None
        if isinstance(value, str):
            host, _, port = value.rpartition(":")
            try:
                ipaddress.ip_address(host.strip("[]"))  # the exporter binds an address, not a name
            except ValueError:
                host = ""
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"'{value}' bukan alamat IP:port, mis. 0.0.0.0:9464 atau 127.0.0.1:9464")
        return value


def load_settings() -> Settings:
    """The settings of this process, or InvalidSettings naming each variable that cannot be used."""
    try:
        return Settings()
    except ValidationError as error:
        raise InvalidSettings([_problem(item) for item in error.errors()]) from None


_MESSAGES = {  # pydantic's own wording, for the ones people meet
    "path_not_file": "berkas tidak ada",
    "bool_parsing": "bukan true atau false",
    "int_parsing": "bukan bilangan bulat",
    "float_parsing": "bukan bilangan",
    "literal_error": "bukan salah satu pilihan",
}


def _problem(item: Any) -> str:
    """'SMTP__CA_CERT: berkas tidak ada' from pydantic's error on settings.smtp.ca_cert."""
    message = _MESSAGES.get(item["type"]) or str(item["msg"]).removeprefix("Value error, ")
    if item["type"] == "literal_error":
        message += f" ({str(item['ctx']['expected']).replace(' or ', ' atau ')})"
    variable = "__".join(str(part) for part in item["loc"]).upper()
    if not variable or "__" in message:  # a rule over several variables names them itself
        return message
    return f"{variable}: {message}"
