"""Encryption at rest for secrets (API keys) and biometric data (selfies, face embeddings, PII).

Envelope encryption: every :meth:`SecretBox.encrypt` draws a fresh 256-bit data key (DEK),
encrypts the data with it (AES-256-GCM) and stores the DEK wrapped (AES-256-GCM) under the
installation's key-encryption key (KEK). Token, version 1::

    b"OKE" | 0x01 | KEK id (8) | wrap nonce (12) | wrapped DEK (32 + 16 tag) | nonce (12) | ciphertext + tag

The first 12 bytes (magic, version, KEK id) are the associated data of both encryptions, so a
token cannot be re-labelled. The KEK id is the first 8 bytes of SHA-256 of the KEK: rotation tells
a token that is already under the newest KEK from its header, without decrypting.

Keys (newest first, comma-separated in the variables, one per line in the file):

1. ``OPENKYC_SECRET_KEY``: each entry is either a key (32 bytes in urlsafe base64, what
   ``Fernet.generate_key`` prints) or a passphrase, stretched with scrypt (n=2**15, r=8, p=1) and
   the fixed salt :data:`PASSPHRASE_SALT`. A fixed salt is deliberate: every process of an
   installation must derive the same key from the same passphrase, with nothing stored.
2. ``OPENKYC_MASTER_KEY`` (the legacy variable, same format).
3. The key file (``OPENKYC_KEY_FILE``, default ``data_dir/master.key``; mode 0600, created on first
   start). Older installations hold one key there, which is a valid one-key keyring. When a
   variable is set, an existing key file's keys are kept behind the variable's, as older keys.

:meth:`SecretBox.derive_key` uses the oldest key, which therefore stays in the keyring for good.

Each key is the root of a KEK (HKDF-SHA256) and, for data written before envelope encryption,
of a Fernet key: legacy Fernet tokens (they start with ``gAAAAA``) still decrypt.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from openkyc.config import Settings

MAGIC = b"OKE"
VERSION = 1
HEADER = MAGIC + bytes([VERSION])
KEY_ID_SIZE = 8
NONCE_SIZE = 12
DEK_SIZE = 32
WRAPPED_DEK_SIZE = DEK_SIZE + 16
_AAD_END = len(HEADER) + KEY_ID_SIZE
_MIN_TOKEN = _AAD_END + NONCE_SIZE + WRAPPED_DEK_SIZE + NONCE_SIZE + 16
LEGACY_PREFIX = b"gAAAAA"  # every Fernet token (version byte 0x80, base64)

# Fixed, documented salt for passphrases in OPENKYC_SECRET_KEY (see the module docstring).
PASSPHRASE_SALT = b"openkyc passphrase kek v1"
# HKDF salt of the KEK: derive_key (salt None) and the KEK never yield the same bytes.
_KEK_SALT = b"openkyc envelope kek"
_KEK_INFO = b"openkyc envelope kek v1"


class DecryptionError(Exception):
    """Stored data could not be decrypted with the installation's key(s)."""


def root_key(text: str | bytes) -> bytes:
    """The 32 bytes behind a keyring entry: a urlsafe-base64 key as is, a passphrase via scrypt."""
    raw = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    raw = raw.strip()
    if not raw:
        raise ValueError("empty key")
    if len(raw) == 44:
        try:
            decoded = base64.b64decode(raw, altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            decoded = b""
        if len(decoded) == 32:
            return decoded
    return Scrypt(salt=PASSPHRASE_SALT, length=32, n=2**15, r=8, p=1).derive(raw)


def generate_key() -> str:
    """A new random key in the keyring format (32 bytes, urlsafe base64)."""
    return Fernet.generate_key().decode("ascii")


@dataclass(frozen=True)
class _Kek:
    key_id: bytes
    aead: AESGCM


def _kek(root: bytes) -> _Kek:
    kek = HKDF(algorithm=hashes.SHA256(), length=32, salt=_KEK_SALT, info=_KEK_INFO).derive(root)
    return _Kek(key_id=hashlib.sha256(kek).digest()[:KEY_ID_SIZE], aead=AESGCM(kek))


@dataclass(frozen=True)
class _Ring:
    roots: tuple[bytes, ...]
    keks: dict[bytes, _Kek]
    primary: _Kek
    legacy: MultiFernet


def _ring(roots: Sequence[bytes]) -> _Ring:
    if not roots:
        raise ValueError("at least one key is required")
    keks = [_kek(root) for root in roots]
    return _Ring(
        roots=tuple(roots),
        keks={kek.key_id: kek for kek in reversed(keks)},  # the newest wins an (absurd) id clash
        primary=keks[0],
        legacy=MultiFernet([Fernet(base64.urlsafe_b64encode(root)) for root in roots]),
    )


def token_key_id(token: bytes) -> bytes | None:
    """The KEK id in an envelope token's header; None for a legacy (Fernet) or foreign token."""
    if len(token) < _MIN_TOKEN or not token.startswith(HEADER):
        return None
    return bytes(token[len(HEADER) : _AAD_END])


class SecretBox:
    """Envelope encryption (AES-256-GCM data keys under AES-256-GCM-wrapping KEKs) on a keyring."""

    def __init__(
        self, keys: Sequence[str | bytes], *, reload: Callable[[], Sequence[str | bytes]] | None = None
    ) -> None:
        """``keys`` newest first; ``reload`` re-reads them when a token names an unknown KEK."""
        self._ring = _ring([root_key(key) for key in keys])
        self._reload = reload
        self._reload_lock = threading.Lock()

    @property
    def key_id(self) -> bytes:
        """The id of the newest KEK (the one :meth:`encrypt` uses)."""
        return self._ring.primary.key_id

    @property
    def key_ids(self) -> list[bytes]:
        """Every KEK id of the keyring, newest first."""
        return [_kek(root).key_id for root in self._ring.roots]

    def encrypt(self, data: bytes) -> bytes:
        kek = self._ring.primary
        aad = HEADER + kek.key_id
        dek = AESGCM.generate_key(bit_length=256)
        wrap_nonce, nonce = os.urandom(NONCE_SIZE), os.urandom(NONCE_SIZE)
        wrapped = kek.aead.encrypt(wrap_nonce, dek, aad)
        return aad + wrap_nonce + wrapped + nonce + AESGCM(dek).encrypt(nonce, bytes(data), aad)

    def decrypt(self, token: bytes) -> bytes:
        token = bytes(token)
        if token.startswith(LEGACY_PREFIX):
            return self._decrypt_legacy(token)
        key_id = token_key_id(token)
        if key_id is None:
            raise DecryptionError("stored data is not an openkyc token")
        kek = self._kek_for(key_id)
        aad = token[:_AAD_END]
        position = _AAD_END
        wrap_nonce = token[position : position + NONCE_SIZE]
        position += NONCE_SIZE
        wrapped = token[position : position + WRAPPED_DEK_SIZE]
        position += WRAPPED_DEK_SIZE
        nonce = token[position : position + NONCE_SIZE]
        try:
            dek = kek.aead.decrypt(wrap_nonce, wrapped, aad)
            return AESGCM(dek).decrypt(nonce, token[position + NONCE_SIZE :], aad)
        except InvalidTag as error:
            raise DecryptionError("stored data was altered or is not ours") from error

    def is_current(self, token: bytes) -> bool:
        """Whether ``token`` is already under the newest KEK (read from its header, not decrypted)."""
        return token_key_id(bytes(token)) == self._ring.primary.key_id

    def derive_key(self, purpose: bytes) -> bytes:
        """A 32-byte key for ``purpose`` (HKDF-SHA256), derived from the OLDEST key of the keyring.

        These keys make lasting HMACs (registry look-ups, rate-limit digests) and link signatures,
        so they must not change when a new KEK is added: the oldest key is the installation's
        original one, and for an installation with one key this is what it always derived.
        Consequence: the oldest (last) key can never be dropped from the keyring. Any newer old
        key may be removed once ``openkyc encryption rotate`` has finished re-encrypting.
        """
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
            self._ring.roots[-1]
        )

    def encrypt_text(self, text: str) -> bytes:
        return self.encrypt(text.encode("utf-8"))

    def decrypt_text(self, token: bytes) -> str:
        return self.decrypt(token).decode("utf-8")

    def _decrypt_legacy(self, token: bytes) -> bytes:
        try:
            return self._ring.legacy.decrypt(token)
        except InvalidToken as error:
            raise DecryptionError("stored data does not decrypt with the installation's keys") from error

    def _kek_for(self, key_id: bytes) -> _Kek:
        kek = self._ring.keks.get(key_id)
        if kek is None and self._reload is not None:
            # Another process (``openkyc encryption rotate``) may have added a key to the file
            # since this one started: pick it up instead of failing until a restart.
            # An unreadable file leaves the keyring as it was; the token then fails below.
            with self._reload_lock, contextlib.suppress(OSError, ValueError):
                self._ring = _ring([root_key(key) for key in self._reload()])
            kek = self._ring.keks.get(key_id)
        if kek is None:
            raise DecryptionError("stored data is under a key that is not in the keyring")
        return kek


def split_keys(value: str) -> list[str]:
    """Entries of a comma-separated key variable, newest first."""
    return [part.strip() for part in value.split(",") if part.strip()]


def environment_keys(settings: Settings) -> list[str]:
    """Keys given in OPENKYC_SECRET_KEY, else in the legacy OPENKYC_MASTER_KEY (newest first)."""
    return split_keys(settings.secret_key) or split_keys(os.environ.get("OPENKYC_MASTER_KEY", ""))


def load_secret_box(settings: Settings) -> SecretBox:
    """The installation's box: OPENKYC_SECRET_KEY, else OPENKYC_MASTER_KEY, else the key file."""
    env_keys = environment_keys(settings)
    path = settings.master_key_file
    if env_keys:
        # An installation that moves from its key file to a variable keeps the file's keys as the
        # older ones: its data still decrypts and derive_key (oldest key) does not change.
        return SecretBox([*env_keys, *(read_key_file(path) if path.exists() else [])])
    return SecretBox(ensure_key_file(path), reload=lambda: read_key_file(path))


def read_key_file(path: Path) -> list[str]:
    """The keyring in a key file: one key per line, newest first (blank and # lines ignored)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    keys = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    if not keys:
        raise ValueError(f"no key in {path}")
    return keys


def ensure_key_file(path: Path) -> list[str]:
    """The key file's keyring, creating the file (0600) with one new key on first start."""
    if path.exists():
        return read_key_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    # O_EXCL: two processes starting together must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_key_file(path)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return [key]


def prepend_key_file(path: Path, key: str) -> None:
    """Put ``key`` first in the key file, keeping every older key (atomic replace, mode 0600)."""
    keys = [key, *read_key_file(path)]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-key-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("".join(f"{entry}\n" for entry in keys))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fingerprint(secret: str) -> str:
    """A short, non-reversible label for a secret (shown in listings and logs instead of it)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:12]
