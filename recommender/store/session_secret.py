"""The secret that signs the pages' login sessions, kept beside the store in ``var/``.

Made once, on first use, as 64 random hex digits in ``var/session_secret`` readable by its
owner only (mode 0600). Every process of a server, and every later run, reads the same file,
so a login made in one gunicorn worker is good in the others and survives a restart.
Creating it is atomic: processes racing to make it all end up with the one that won.

>>> import tempfile
>>> folder = tempfile.mkdtemp()
>>> session_secret(folder) == session_secret(folder)
True
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["SECRET_FILE", "session_secret"]

SECRET_FILE = "session_secret"
_BYTES = 32


def session_secret(var_dir: str | os.PathLike) -> str:
    """Return the session secret of ``var_dir``, making it first if there is none."""
    folder = Path(var_dir)
    path = folder / SECRET_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        _make(path)
    secret = path.read_text(encoding="ascii").strip()
    if len(secret) < 2 * _BYTES:
        raise OSError(f"{path} holds no secret (expected {2 * _BYTES} hex digits); delete it "
                      "to make a new one (every login session then ends)")
    return secret


def _make(path: Path) -> None:
    """Write a new secret to a private temporary file, then link it into place unless another
    process linked its own first."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(_BYTES) + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
    finally:
        temporary.unlink(missing_ok=True)
