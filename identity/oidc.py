"""Sign-in through the instansi's OpenID Connect provider: the authorization code flow with PKCE (S256).

Authlib builds the protocol messages (the authorization request, the token request, the ID token's OpenID claims
checks); joserfc, Authlib's JOSE library, checks the signature; httpx carries them. One `OidcProvider` per web
process keeps the provider's discovery document and keys.

Nobody is signed in unless all of this holds (OpenID Connect Core 1.0 §3.1.3.7):
- the provider's discovery document names exactly the configured issuer (Discovery 1.0 §4.3), over https unless the
  host is this machine;
- the sign-in under way is known by its state, is used once (the stored row is deleted as it is read) and is younger
  than LOGIN_MINUTES; the authorization response's `iss` (RFC 9207), when sent or announced, is the issuer;
- the code is exchanged at the token endpoint with the PKCE verifier (and the client secret, for a confidential
  client);
- the ID token's signature, by a key of the provider's JWKS with an asymmetric algorithm the provider announces
  (never "none", never a shared-secret HMAC); a `kid` the cached JWKS does not know makes it fetch the JWKS once more
  (the provider rotated its keys), and a kid still unknown is refused;
- `iss` is the issuer, `aud` holds the client id (and `azp` is it, when present or with several audiences), `exp`
  has not passed and `iat`/`nbf` are not in the future (LEEWAY_SECONDS for clocks apart), `nonce` is the one sent
  with this sign-in (a replayed token carries another), `at_hash` matches the access token when present;
- the claim named by OIDC__NIP_CLAIM holds an 18-digit NIP (spaces between its groups are dropped).
"""

from __future__ import annotations

import ipaddress
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
    UnsupportedAlgorithmError,
)
from joserfc.jwk import KeySet

from identity.records import OidcLogin
from identity.secrets import digest, new_secret
from persistence.ports import AbstractUnitOfWork
from settings import AuthSettings, OidcSettings

UowFactory = Callable[[], AbstractUnitOfWork]
log = logging.getLogger("kinerja.oidc")

LOGIN_MINUTES = 10  # from the redirect to the provider to the callback: time to type a password and a second factor
LEEWAY_SECONDS = 60  # clocks of the provider and this server a little apart
METADATA_SECONDS = 3600  # the discovery document is read again after an hour
HTTP_TIMEOUT_SECONDS = 10.0
MAX_NEXT_PATH = 300  # oidc_logins.next_path
MAX_PARAMETER = 2048  # code, state and iss of the callback; longer ones are no provider's
# Signatures by the provider's key pair only: "none" signs nothing, and an HMAC would take the client secret as key.
ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519")
_CLAIM_WORDS = {
    "iss": "penerbit (iss) salah",
    "aud": "audiens salah",
    "exp": "sudah kedaluwarsa",
    "iat": "waktu terbit (iat) tidak sah",
    "nbf": "belum berlaku (nbf)",
    "nonce": "nonce tidak cocok: token ini bukan untuk proses masuk ini (dipakai ulang?)",
    "azp": "pihak penerima (azp) salah",
    "at_hash": "at_hash tidak cocok dengan token akses",
    "sub": "subjek (sub) tidak sah",
    "auth_time": "waktu autentikasi (auth_time) tidak sah",
    "amr": "metode autentikasi (amr) tidak sah",
}


class OidcRefused(Exception):
    """The provider's answer does not sign anyone in; the message says what failed (Indonesian, for the person)."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # a short English code for the log, never personal data


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered what no provider should; nothing was decided about the person."""


def _token_refused(what: str, reason: str) -> OidcRefused:
    return OidcRefused(f"token ID dari penyedia identitas ditolak: {what}", reason=reason)


@dataclass(frozen=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: tuple[str, ...]
    iss_parameter: bool  # RFC 9207: the authorization response carries `iss`


@dataclass(frozen=True)
class Authorization:
    url: str  # where to send the person's browser
    state: str  # for the browser's cookie; only its hash is stored
    login: OidcLogin


def redirect_url(oidc: OidcSettings, auth: AuthSettings) -> str:
    return oidc.redirect_url or f"{auth.public_url.rstrip('/')}/auth/oidc/callback"


def safe_next(value: str | None) -> str:
    """A path on this site to land on after signing in; anything else (another site, a scheme, `//host`) is '/'."""
    if not value or len(value) > MAX_NEXT_PATH or not value.startswith("/") or value.startswith("//"):
        return "/"
    if "\\" in value or any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


def _local(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _checked_url(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ProviderUnavailable(f"dokumen discovery penyedia identitas tidak memuat {what}")
    parts = urlsplit(value)
    if parts.scheme != "https" and not (parts.scheme == "http" and _local(parts.hostname)):
        raise ProviderUnavailable(f"{what} penyedia identitas harus https ({value})")
    return value


class OidcProvider:
    """The configured provider: its discovery document and keys, fetched when first needed and kept."""

    def __init__(
        self,
        settings: OidcSettings,
        redirect_to: str,
        *,
        timeout: float = HTTP_TIMEOUT_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if settings.issuer is None:
            raise ValueError("OpenID Connect is not configured (OIDC__ISSUER)")
        self.issuer = settings.issuer
        self.settings = settings
        self.redirect_to = redirect_to
        self._timeout = timeout
        self._monotonic = monotonic
        self._metadata: Metadata | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None
        # The instansi's own CA, where its provider's certificate is not one the system trusts (OIDC__CA_CERT).
        self._verify_tls: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=str(settings.ca_cert)) if settings.ca_cert is not None else True
        )

    # --- talking to the provider --------------------------------------------------------------------------------

    def _client(self, auth: httpx.Auth | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(auth=auth, timeout=self._timeout, follow_redirects=False, verify=self._verify_tls)

    async def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            async with self._client() as client:
                response = await client.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as error:
            log.warning("oidc provider unreachable (%s): %s", what, type(error).__name__)
            raise ProviderUnavailable(
                f"penyedia identitas tidak dapat dihubungi ({what}); coba lagi sebentar lagi"
            ) from None
        return self._json_object(response, what)

    @staticmethod
    def _json_object(response: httpx.Response, what: str) -> dict[str, Any]:
        try:
            body = response.json() if response.status_code == 200 else None
        except ValueError:
            body = None
        if not isinstance(body, dict):
            log.warning("oidc provider answered %s with HTTP %s", what, response.status_code)
            raise ProviderUnavailable(
                f"penyedia identitas menjawab {what} dengan HTTP {response.status_code}; coba lagi sebentar lagi"
            )
        return body

    async def metadata(self) -> Metadata:
        if self._metadata is not None and self._monotonic() - self._metadata_at < METADATA_SECONDS:
            return self._metadata
        _checked_url(self.issuer, "issuer")
        found = await self._get_json(f"{self.issuer.rstrip('/')}/.well-known/openid-configuration", "discovery")
        if found.get("issuer") != self.issuer:
            raise ProviderUnavailable(
                "dokumen discovery penyedia identitas menyebut issuer lain; OIDC__ISSUER harus sama persis dengan"
                " issuer penyedia"
            )
        methods = found.get("code_challenge_methods_supported")
        if isinstance(methods, list) and "S256" not in methods:
            raise ProviderUnavailable("penyedia identitas tidak mendukung PKCE S256")
        offered = found.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = tuple(alg for alg in ASYMMETRIC if isinstance(offered, list) and alg in offered)
        if not algorithms:
            raise ProviderUnavailable("penyedia identitas tidak menandatangani token ID dengan kunci asimetris")
        self._metadata = Metadata(
            issuer=self.issuer,
            authorization_endpoint=_checked_url(found.get("authorization_endpoint"), "authorization_endpoint"),
            token_endpoint=_checked_url(found.get("token_endpoint"), "token_endpoint"),
            jwks_uri=_checked_url(found.get("jwks_uri"), "jwks_uri"),
            algorithms=algorithms,
            iss_parameter=found.get("authorization_response_iss_parameter_supported") is True,
        )
        self._metadata_at = self._monotonic()
        return self._metadata

    async def _key_set(self, *, refresh: bool) -> KeySet:
        if self._keys is not None and not refresh:
            return self._keys
        metadata = await self.metadata()
        found = await self._get_json(metadata.jwks_uri, "JWKS")
        try:
            keys = KeySet.import_key_set({"keys": [key for key in found.get("keys", []) if isinstance(key, dict)]})
        except (JoseError, ValueError, TypeError, KeyError):
            raise ProviderUnavailable("JWKS penyedia identitas tidak memuat kunci yang dapat dipakai") from None
        self._keys = keys
        return keys

    # --- the flow -----------------------------------------------------------------------------------------------

    async def begin(self, next_path: str | None, now: datetime) -> Authorization:
        """The authorization request for a new sign-in, and what the callback needs of it."""
        metadata = await self.metadata()
        state, nonce, verifier = new_secret(), new_secret(), new_secret() + new_secret()  # verifier: 86 chars
        url = prepare_grant_uri(
            metadata.authorization_endpoint,
            client_id=self.settings.client_id,
            response_type="code",
            redirect_uri=self.redirect_to,
            scope=self.settings.scopes,
            state=state,
            nonce=nonce,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
        )
        login = OidcLogin(nonce=nonce, code_verifier=verifier, next_path=safe_next(next_path), created_at=now)
        return Authorization(url=str(url), state=state, login=login)

    async def finish(self, *, code: str, iss: str | None, login: OidcLogin, now: datetime) -> str:
        """The NIP of the person the provider signed in, after every check in this module's docstring."""
        metadata = await self.metadata()
        # RFC 9207: the authorization response came from this issuer (a defence against mixing up providers).
        if (iss is not None or metadata.iss_parameter) and iss != self.issuer:
            raise OidcRefused(
                "jawaban otorisasi bukan dari penyedia identitas yang dikonfigurasi (parameter iss salah)",
                reason="response_iss",
            )
        tokens = await self._exchange(metadata, code, login.code_verifier)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise OidcRefused(
                "penyedia identitas tidak mengirim token ID (cakupan 'openid' ada di OIDC__SCOPES?)",
                reason="no_id_token",
            )
        access_token = tokens.get("access_token")
        claims = await self._verify(
            id_token, login.nonce, access_token if isinstance(access_token, str) else None, metadata, now
        )
        return self._nip(claims)

    async def _exchange(self, metadata: Metadata, code: str, verifier: str) -> dict[str, Any]:
        auth: httpx.Auth | None = None
        public: dict[str, str] = {}
        secret = self.settings.client_secret
        if secret is None:
            public["client_id"] = self.settings.client_id  # a public client names itself; PKCE is its proof
        else:  # client_secret_basic, both parts form-encoded first (RFC 6749 §2.3.1)
            auth = httpx.BasicAuth(quote(self.settings.client_id, safe=""), quote(secret.get_secret_value(), safe=""))
        body = prepare_token_request(
            "authorization_code", code=code, redirect_uri=self.redirect_to, code_verifier=verifier, **public
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        try:
            async with self._client(auth) as client:
                response = await client.post(metadata.token_endpoint, content=body, headers=headers)
        except httpx.HTTPError as failure:
            log.warning("oidc token endpoint unreachable: %s", type(failure).__name__)
            raise ProviderUnavailable(
                "penyedia identitas tidak dapat dihubungi (penukaran kode); mulai masuk lagi sebentar lagi"
            ) from None
        if 400 <= response.status_code < 500:
            try:
                answer = response.json()
            except ValueError:
                answer = None
            named = answer.get("error") if isinstance(answer, dict) else None
            code_name = named if isinstance(named, str) and named.isascii() and len(named) <= 64 else "tanpa kode"
            raise OidcRefused(
                f"penyedia identitas menolak menukar kode otorisasi ({code_name}); mulai masuk lagi",
                reason=f"token_endpoint:{code_name}",
            )
        return self._json_object(response, "penukaran kode")

    async def _verify(
        self, id_token: str, nonce: str, access_token: str | None, metadata: Metadata, now: datetime
    ) -> dict[str, Any]:
        token = await self._decode(id_token, metadata)
        options: dict[str, dict[str, Any]] = {
            "iss": {"essential": True, "value": self.issuer},
            "aud": {"essential": True, "value": self.settings.client_id},
        }
        params: dict[str, Any] = {"nonce": nonce, "client_id": self.settings.client_id}
        if access_token is not None:
            params["access_token"] = access_token
        claims = CodeIDToken(token.claims, token.header, options, params)
        try:
            claims.validate(now=int(now.timestamp()), leeway=LEEWAY_SECONDS)
        except ExpiredTokenError:
            raise _token_refused(_CLAIM_WORDS["exp"], "exp") from None
        except MissingClaimError as error:
            raise _token_refused(f"klaim wajib tidak ada ({error.claim})", f"missing:{error.claim}") from None
        except ClaimError as error:
            words = _CLAIM_WORDS.get(error.claim, f"klaim {error.claim} tidak sah")
            raise _token_refused(words, error.claim) from None
        return dict(token.claims)

    async def _decode(self, id_token: str, metadata: Metadata) -> jwt.Token:
        keys = await self._key_set(refresh=False)
        for attempt in (1, 2):
            try:
                return jwt.decode(id_token, keys, algorithms=list(metadata.algorithms))
            except InvalidKeyIdError:
                if attempt == 2:
                    raise _token_refused(
                        "kunci penanda tangannya (kid) tidak ada di JWKS penyedia", "unknown_kid"
                    ) from None
                keys = await self._key_set(refresh=True)  # the provider may have rotated its keys
            except UnsupportedAlgorithmError:
                raise _token_refused("algoritma tanda tangannya tidak diterima", "alg") from None
            except BadSignatureError:
                raise _token_refused("tanda tangan tidak sah", "signature") from None
            except (JoseError, ValueError, TypeError, KeyError):
                raise _token_refused("bukan JWT bertanda tangan yang dapat dibaca", "malformed") from None
        raise AssertionError("unreachable")

    def _nip(self, claims: dict[str, Any]) -> str:
        name = self.settings.nip_claim
        value = claims.get(name)
        if not isinstance(value, str):
            raise _token_refused(f"klaim '{name}' (NIP) tidak ada", "no_nip")
        nip = "".join(value.split())
        if len(nip) != 18 or not nip.isascii() or not nip.isdigit():
            raise _token_refused(f"klaim '{name}' bukan NIP 18 angka", "bad_nip")
        return nip


# --- sign-ins under way, in the domain database (any replica may receive the callback) ------------------------------


def remember(uow_factory: UowFactory, authorization: Authorization) -> None:
    """Keep the sign-in under way; sign-ins abandoned long ago (the person never came back) are dropped meanwhile,
    so anonymous visits to /auth/oidc/login cannot grow the table without end."""
    login = authorization.login
    with uow_factory() as uow:
        uow.identity.prune_oidc_logins(login.created_at - timedelta(minutes=LOGIN_MINUTES))
        uow.identity.add_oidc_login(digest(authorization.state), login)
        uow.commit()


def take(uow_factory: UowFactory, state: str, now: datetime) -> OidcLogin:
    """The sign-in this state began, deleted as it is read: a replayed callback finds nothing."""
    with uow_factory() as uow:
        login = uow.identity.take_oidc_login(digest(state))
        uow.commit()
    if login is None:
        raise OidcRefused(
            "proses masuk ini tidak dikenal atau sudah dipakai; mulai masuk lagi dari awal", reason="unknown_state"
        )
    if login.created_at + timedelta(minutes=LOGIN_MINUTES) <= now:
        raise OidcRefused(
            f"proses masuk ini lebih dari {LOGIN_MINUTES} menit; mulai masuk lagi dari awal", reason="stale_state"
        )
    return login
