"""Password hashes for local accounts: argon2id (argon2-cffi), parameters from the settings.

Hashing costs tens of milliseconds of CPU and the settings' memory on purpose; the web app bounds how many run at
once (AuthSettings.hash_concurrency) so a burst of sign-ins queues instead of exhausting memory."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from domain.errors import DomainError
from settings import AuthSettings

MIN_PASSWORD_CHARS = 10  # NIST SP 800-63B asks for at least 8; length, not composition rules
MAX_PASSWORD_CHARS = 128


def hasher(settings: AuthSettings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
        type=Type.ID,
    )


def verify(hasher: PasswordHasher, stored: str, password: str) -> bool:
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def check_new_password(password: str, nip: str) -> None:
    """A password a person may choose: long enough, not too long to hash, not their NIP."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise DomainError(f"kata sandi minimal {MIN_PASSWORD_CHARS} karakter", field="kata_sandi")
    if len(password) > MAX_PASSWORD_CHARS:
        raise DomainError(f"kata sandi paling panjang {MAX_PASSWORD_CHARS} karakter", field="kata_sandi")
    if nip in password:
        raise DomainError("kata sandi tidak boleh memuat NIP", field="kata_sandi")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in password):
        raise DomainError("kata sandi tidak boleh memuat karakter kendali", field="kata_sandi")
