"""Safe files: atomic writes and checked, pickle-free reads of our ``.npz`` files."""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np


def atomic_write(path, write) -> Path:
    """Call ``write(fileobj)`` on a temporary file beside ``path``, then rename it into place.

    A crash part-way leaves the previous file intact: the rename is the only step that
    touches ``path`` and it is atomic on POSIX and Windows.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path, text: str) -> Path:
    return atomic_write(path, lambda f: f.write(text.encode()))


def read_npz(path, fmt: str, version: int) -> tuple[dict[str, np.ndarray], dict]:
    """Read an ``.npz`` written with a JSON ``header`` array; check its format and version.

    Raises ``ValueError`` naming the file for anything truncated, corrupted or foreign;
    ``allow_pickle=False`` means nothing in the file is ever executed.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as err:
        raise ValueError(f"{path} is not a readable specgame file (truncated or corrupted?): {err}") from None
    if "header" not in arrays:
        raise ValueError(f"{path} is not a specgame {fmt} file: it has no header")
    try:
        header = json.loads(arrays.pop("header").tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as err:
        raise ValueError(f"{path} has a corrupted header: {err}") from None
    if not isinstance(header, dict) or header.get("format") != fmt:
        found = header.get("format") if isinstance(header, dict) else header
        raise ValueError(f"{path} is not a {fmt} file (its format is {found!r})")
    if header.get("version") != version:
        raise ValueError(f"{path} is {fmt} version {header.get('version')!r}; this specgame reads version {version}")
    return arrays, header
