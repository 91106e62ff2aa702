"""Encryption of OAuth tokens at rest (Fernet: AES-128-CBC + HMAC-SHA256)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

ROTATE_COMMAND = "flask --app wsgi rotate-token-key"


class TokenKeyMismatch(ValueError):
    """A stored token was encrypted with another TOKEN_ENCRYPTION_KEY than this process has."""

    def __init__(self) -> None:
        super().__init__(
            "The stored QuickBooks tokens cannot be decrypted: the token key differs from the "
            "one that encrypted it. Give every web and worker process the TOKEN_ENCRYPTION_KEY "
            "that was in use when QuickBooks was connected (after changing the key on purpose, "
            f"run `{ROTATE_COMMAND}` with the old key), or reconnect QuickBooks."
        )


class TokenCipher:
    """Encrypts and decrypts tokens with the key from ``TOKEN_ENCRYPTION_KEY``."""

    def __init__(self, key: str) -> None:
        self._fernet = Fernet(_as_fernet_key(key))

    def encrypt(self, plaintext: str) -> str:
        """Ciphertext safe to store in the database."""
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        """The token; raises TokenKeyMismatch when another key encrypted it."""
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise TokenKeyMismatch() from None


def _as_fernet_key(key: str) -> bytes:
    """Accept a Fernet key as generated, or derive one from any other secret string."""
    raw = key.encode()
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32:
            return raw
    except ValueError:
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest())
