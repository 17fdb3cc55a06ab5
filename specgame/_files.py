"""Safe files: atomic writes and checked, pickle-free reads of our ``.npz`` files."""

from __future__ import annotations

import json
import math
import os
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np


def atomic_write(path, write) -> Path:
    """Call ``write(fileobj)`` on a temporary file beside ``path``, then rename it into place.

    A crash part-way leaves the previous file intact: the rename is the only step that
    touches ``path`` and it is atomic on POSIX and Windows.  A process killed before the
    rename leaves a hidden ``.NAME.*.tmp`` file beside it, never a half-written ``NAME``.
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
    _sync_folder(path.parent)
    return path


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (a power cut after it keeps the new file); POSIX only."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename is still atomic
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def json_bytes(record) -> np.ndarray:
    """A JSON header as the uint8 array our ``.npz`` files carry; numpy numbers become Python ones."""
    def plain(value):
        if isinstance(value, np.generic):
            return value.item()  # np.int64(2) -> 2, np.float32(0.25) -> 0.25: read back as numbers
        if isinstance(value, np.ndarray):
            return value.tolist()
        raise TypeError(f"{type(value).__name__} {value!r} cannot be written to a specgame file header")
    return np.frombuffer(json.dumps(record, default=plain).encode(), dtype=np.uint8)


def user_cache_dir() -> Path | None:
    """Where specgame keeps what it can rebuild (compiled tables, pretrained models), or None.

    ``SPECGAME_CACHE_DIR`` if set, else the XDG cache folder (``~/.cache/specgame``);
    ``SPECGAME_NO_CACHE=1`` switches the disk cache off.
    """
    if os.environ.get("SPECGAME_NO_CACHE"):
        return None
    root = os.environ.get("SPECGAME_CACHE_DIR")
    if root is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "specgame")
    return Path(root)


def atomic_write_text(path, text: str) -> Path:
    return atomic_write(path, lambda f: f.write(text.encode()))


# A file may not make us allocate more than this, whatever its headers claim.
MAX_FILE_ARRAY_BYTES = 1 << 34  # 16 GiB
# Deflate cannot expand data by more than about 1032:1; a member claiming more is lying.
_DEFLATE_MAX_RATIO = 1100


def read_npz(path, fmt: str, version: int,
             max_bytes: int = MAX_FILE_ARRAY_BYTES) -> tuple[dict[str, np.ndarray], dict]:
    """Read an ``.npz`` written with a JSON ``header`` array; check its format and version.

    The one reader of every specgame file (tables, tabular agents, DQNs): each names its
    ``fmt`` and ``version`` and gets back its arrays and its header (a dict).

    Raises ``ValueError`` naming the file for anything truncated, corrupted or foreign.
    Nothing is unpickled (object arrays are refused), and every array's size is checked
    against what the zip archive really holds, and against ``max_bytes`` in total,
    *before* any array is allocated: a header claiming a huge shape costs nothing.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        with zipfile.ZipFile(path) as archive:
            members = _checked_members(path, archive, max_bytes)
            arrays = {}
            for name, info in members.items():
                with archive.open(info) as f:
                    arrays[name] = np.lib.format.read_array(f, allow_pickle=False)
    except _UNREADABLE as err:
        raise ValueError(f"{path} is not a readable specgame file (truncated or corrupted?): "
                         f"{type(err).__name__}: {err}") from None
    if "header" not in arrays:
        raise ValueError(f"{path} is not a specgame {fmt} file: it has no header")
    try:
        header = json.loads(arrays.pop("header").tobytes().decode())
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise ValueError(f"{path} has a corrupted header: {type(err).__name__}: {err}") from None
    if not isinstance(header, dict) or header.get("format") != fmt:
        found = header.get("format") if isinstance(header, dict) else header
        raise ValueError(f"{path} is not a {fmt} file (its format is {found!r})")
    if header.get("version") != version:
        raise ValueError(f"{path} is {fmt} version {header.get('version')!r}; this specgame reads version {version}")
    return arrays, header


# Everything a damaged zip or .npy can raise while being read (zlib.error: bad deflate data;
# struct.error: a cut zip directory; NotImplementedError: an unknown compression method).
_UNREADABLE = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, KeyError,
               TypeError, SyntaxError, OverflowError, NotImplementedError, struct.error, zlib.error)


def _checked_members(path, archive: zipfile.ZipFile, max_bytes: int) -> dict[str, zipfile.ZipInfo]:
    """The archive's arrays by name, after checking each claimed size against the bytes present."""
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in archive.infolist():
        if not info.filename.endswith(".npy"):
            raise ValueError(f"{path} holds {info.filename!r}, which is not an array (.npy)")
        if info.compress_type == zipfile.ZIP_STORED:
            plausible = info.file_size == info.compress_size
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            plausible = info.file_size <= _DEFLATE_MAX_RATIO * info.compress_size + 1024
        else:
            raise ValueError(f"{path}: {info.filename} uses compression method {info.compress_type}, "
                             "which specgame never writes")
        if not plausible:
            raise ValueError(f"{path}: {info.filename} claims {info.file_size:,} bytes from "
                             f"{info.compress_size:,} stored; the file is corrupted")
        with archive.open(info) as f:
            major, minor = np.lib.format.read_magic(f)
            if (major, minor) == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            elif (major, minor) == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                raise ValueError(f"{path}: {info.filename} is .npy version {major}.{minor}; "
                                 "specgame reads 1.0 and 2.0")
            header_bytes = f.tell()
        if dtype.hasobject:
            raise ValueError(f"{path}: {info.filename} holds Python objects, which specgame never "
                             "unpickles")
        claimed = math.prod(shape) * dtype.itemsize  # Python ints: no overflow on a lying shape
        if header_bytes + claimed != info.file_size:
            raise ValueError(f"{path}: {info.filename} claims shape {shape} of {dtype} ({claimed:,} bytes) "
                             f"but holds {info.file_size - header_bytes:,} bytes of data")
        total += claimed
        if total > max_bytes:
            raise ValueError(f"{path} holds more than {max_bytes:,} bytes of arrays (max_bytes); refusing "
                             "to load it")
        members[info.filename[: -len(".npy")]] = info
    return members
