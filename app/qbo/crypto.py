"""Encryption of OAuth tokens at rest (Fernet: AES-128-CBC + HMAC-SHA256)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


class TokenCipher:
    """Encrypts and decrypts tokens with the key from ``TOKEN_ENCRYPTION_KEY``."""

    def __init__(self, key: str) -> None:
        self._fernet = Fernet(_as_fernet_key(key))

    def encrypt(self, plaintext: str) -> str:
        """Ciphertext safe to store in the database."""
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        """The token; raises ValueError when the key does not match."""
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("stored token cannot be decrypted with TOKEN_ENCRYPTION_KEY") from exc


def _as_fernet_key(key: str) -> bytes:
    """Accept a Fernet key as generated, or derive one from any other secret string."""
    raw = key.encode()
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32:
            return raw
    except ValueError:
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest())
