"""Random secrets kept in files of mode 0600 in the run folder, made once and never printed."""

import base64
import os
from pathlib import Path


def _write_new(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)


def hex_secret(path: Path, size: int) -> str:
    """The secret in PATH; SIZE random bytes in hex written there first when the file is missing or empty (as
    `od -An -N SIZE -tx1 /dev/urandom` did: the JWT and webhook secrets, the simulators' keys)."""
    if not path.exists() or path.stat().st_size == 0:
        _write_new(path, os.urandom(size).hex())
    return path.read_text().strip()


def base64_secret(path: Path, size: int = 32) -> str:
    """Like hex_secret, in base64 (SECRETS_KEY: the responder's key for the secrets it stores)."""
    if not path.exists() or path.stat().st_size == 0:
        _write_new(path, base64.b64encode(os.urandom(size)).decode())
    return path.read_text().strip()
