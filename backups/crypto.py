"""Optional encryption of a whole backup file with BACKUP_ENCRYPTION_KEY, as a stream.

Layout: a 24-byte header (magic "SRBKENC" + version byte, the first 8 bytes of the key's
SHA-256 so a wrong key is named as such, an 8-byte random nonce prefix), then chunks of at
most 1 MiB of plaintext, each written as a 4-byte big-endian length and its AES-256-GCM
ciphertext. Chunk i uses the nonce prefix + i, and authenticates the header, i and whether
it is the last chunk, so a changed, reordered, dropped or cut-off chunk is detected.
"""
import base64
import binascii
import hashlib
import os
import struct
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

MAGIC = b"SRBKENC\x01"
HEADER_SIZE = 24
CHUNK_SIZE = 1024 * 1024
TAG_SIZE = 16


class CryptoError(Exception):
    """The key is missing or malformed, or the file does not decrypt."""


def key_from_setting(value: str | None = None) -> bytes | None:
    """The 32-byte key from BACKUP_ENCRYPTION_KEY (urlsafe base64), or None when unset."""
    value = settings.BACKUP_ENCRYPTION_KEY if value is None else value
    if not value:
        return None
    try:
        key = base64.urlsafe_b64decode(value.strip().encode())
    except (binascii.Error, ValueError):
        raise CryptoError("BACKUP_ENCRYPTION_KEY is not valid urlsafe base64") from None
    if len(key) != 32:
        raise CryptoError(f"BACKUP_ENCRYPTION_KEY must decode to 32 bytes, not {len(key)}")
    return key


def generate_key() -> str:
    """A new key in the form BACKUP_ENCRYPTION_KEY expects."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:8]


def is_encrypted(head: bytes) -> bool:
    return head[: len(MAGIC)] == MAGIC


def _aad(header: bytes, index: int, final: bool) -> bytes:
    return header + struct.pack(">QB", index, 1 if final else 0)


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + struct.pack(">I", index)


def encrypt_stream(source: BinaryIO, target: BinaryIO, *, key: bytes) -> None:
    prefix = os.urandom(8)
    header = MAGIC + key_id(key) + prefix
    target.write(header)
    aead = AESGCM(key)
    index = 0
    chunk = _read_exact(source, CHUNK_SIZE)
    while True:
        following = _read_exact(source, CHUNK_SIZE)
        final = not following
        sealed = aead.encrypt(_nonce(prefix, index), chunk, _aad(header, index, final))
        target.write(struct.pack(">I", len(sealed)))
        target.write(sealed)
        if final:
            return
        chunk = following
        index += 1
        if index >= 2**32:
            raise CryptoError("file too large to encrypt")


def _read_exact(source: BinaryIO, size: int) -> bytes:
    data = source.read(size)
    while data and len(data) < size:
        more = source.read(size - len(data))
        if not more:
            break
        data += more
    return data


def decrypt_stream(source: BinaryIO, target: BinaryIO, *, key: bytes | None) -> None:
    header = _read_exact(source, HEADER_SIZE)
    if len(header) < HEADER_SIZE or not is_encrypted(header):
        raise CryptoError("not an encrypted backup (header missing)")
    if key is None:
        raise CryptoError("the file is encrypted and BACKUP_ENCRYPTION_KEY is not set")
    if header[8:16] != key_id(key):
        raise CryptoError("the file was encrypted with a different key than BACKUP_ENCRYPTION_KEY")
    prefix = header[16:24]
    aead = AESGCM(key)
    index = 0
    while True:
        length_bytes = _read_exact(source, 4)
        if not length_bytes:
            raise CryptoError(f"the encrypted file is truncated: it ends after chunk {index} without its last chunk")
        if len(length_bytes) < 4:
            raise CryptoError(f"the encrypted file is truncated inside chunk {index}")
        (length,) = struct.unpack(">I", length_bytes)
        if length < TAG_SIZE or length > CHUNK_SIZE + TAG_SIZE:
            raise CryptoError(f"chunk {index} has an impossible length ({length} bytes): the file is damaged")
        sealed = _read_exact(source, length)
        if len(sealed) < length:
            raise CryptoError(f"the encrypted file is truncated inside chunk {index}")
        plain = None
        for final in (False, True):
            try:
                plain = aead.decrypt(_nonce(prefix, index), sealed, _aad(header, index, final))
            except InvalidTag:
                continue
            break
        if plain is None:
            raise CryptoError(f"chunk {index} failed authentication: the file was altered or damaged")
        target.write(plain)
        if final:
            if source.read(1):
                raise CryptoError("unexpected data after the last encrypted chunk")
            return
        index += 1
