"""Passphrase encryption of a whole archive: scrypt for the key, AES-256-GCM to seal it.

Layout: MAGIC (8 bytes) | log2(n) of scrypt (1 byte) | salt (16) | nonce (12) | ciphertext+tag.
The header is authenticated as associated data, so changing any byte fails decryption.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from memory.errors import ArchiveEncryptedError, ArchiveError

MAGIC = b"MBKENC01"
_HEADER = len(MAGIC) + 1 + 16 + 12
DEFAULT_LOG2_N = 15  # scrypt n = 32768, r = 8: about 32 MiB and a tenth of a second per try


def is_encrypted(head: bytes) -> bool:
    return head.startswith(MAGIC)


def _key(passphrase: str, salt: bytes, log2_n: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=1 << log2_n, r=8, p=1).derive(passphrase.encode("utf-8"))


def encrypt(data: bytes, passphrase: str, log2_n: int = DEFAULT_LOG2_N) -> bytes:
    if not passphrase:
        raise ArchiveError("The passphrase is empty. Choose a passphrase, or export unencrypted.")
    salt, nonce = os.urandom(16), os.urandom(12)
    header = MAGIC + bytes([log2_n]) + salt + nonce
    return header + AESGCM(_key(passphrase, salt, log2_n)).encrypt(nonce, data, header)


def decrypt(blob: bytes, passphrase: str | None) -> bytes:
    if passphrase is None:
        raise ArchiveEncryptedError(
            "This archive is encrypted. Give its passphrase (membank-cli import --passphrase-env "
            "VAR, with the passphrase in the environment variable VAR)."
        )
    if len(blob) < _HEADER + 16:
        raise ArchiveError(
            "This encrypted archive is truncated (shorter than its header). Copy it again from "
            "where it was made."
        )
    log2_n = blob[len(MAGIC)]
    if not 10 <= log2_n <= 22:
        raise ArchiveError(
            f"This encrypted archive asks for an unreasonable key-derivation cost (2^{log2_n}); "
            "it is damaged or not a membank archive."
        )
    salt = blob[len(MAGIC) + 1 : len(MAGIC) + 17]
    nonce = blob[len(MAGIC) + 17 : _HEADER]
    try:
        return AESGCM(_key(passphrase, salt, log2_n)).decrypt(nonce, blob[_HEADER:], blob[:_HEADER])
    except InvalidTag as exc:
        raise ArchiveError(
            "The passphrase is wrong, or the encrypted archive was changed or damaged. Check the "
            "passphrase and try again; nothing was imported."
        ) from exc
