"""Safe files: atomic writes (figures too) and checked, pickle-free reads of our ``.npz`` files."""

from __future__ import annotations

import glob
import json
import math
import os
import struct
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np


def atomic_write(path, write) -> Path:
    """Call ``write(fileobj)`` on a temporary file beside ``path``, then rename it into place.

    A crash part-way leaves the previous file intact: the rename is the only step that
    touches ``path`` and it is atomic on POSIX and Windows.  A process killed before the
    rename leaves a hidden ``.NAME.PID.*.tmp`` file beside it, never a half-written
    ``NAME``; the next save or load of ``NAME`` removes it (:func:`remove_stale_temps`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
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


# A temporary file older than this is stale whoever wrote it: no save takes an hour, and a
# process id can be reused by an unrelated process after its writer died.
STALE_TEMP_SECONDS = 3600
_RANDOM_CHARS = 8  # tempfile.mkstemp's random part


def remove_stale_temps(path) -> list[Path]:
    """Delete the temporary files that killed saves of ``path`` left beside it; returns them.

    Only our own names count (``.NAME.PID.RANDOM.tmp``, as :func:`atomic_write` makes them),
    and only when the writing process is gone or the file is older than
    ``STALE_TEMP_SECONDS``: a save in progress in another process keeps its file.  Files of
    older versions (``.NAME.RANDOM.tmp``, no process id) go by age alone.  Never raises:
    a file that cannot be removed only costs disk space.
    """
    path = Path(path)
    removed = []
    try:
        candidates = list(path.parent.glob(f".{glob.escape(path.name)}.*.tmp"))
    except OSError:
        return removed
    for tmp in candidates:
        middle = tmp.name[len(path.name) + 2: -len(".tmp")].split(".")  # [PID, RANDOM] or [RANDOM]
        if len(middle) == 2 and middle[0].isdigit() and len(middle[1]) == _RANDOM_CHARS:
            writer = int(middle[0])
        elif len(middle) == 1 and len(middle[0]) == _RANDOM_CHARS:
            writer = None  # named before process ids were part of the name
        else:
            continue  # not a name atomic_write makes
        try:
            old = time.time() - tmp.stat().st_mtime > STALE_TEMP_SECONDS
            if old or (writer is not None and not _alive(writer)):
                tmp.unlink()
                removed.append(tmp)
        except OSError:
            pass  # gone already (another process cleaned it), or not ours to remove
    return removed


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists.  Off POSIX we cannot ask safely, so say yes (age decides)."""
    if os.name != "posix" or pid == os.getpid():
        return True  # on Windows os.kill(pid, 0) would terminate the process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # it exists but belongs to someone else (or the id is not a process id)
    return True


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


def save_figure(fig, path, dpi: int = 110, tight: bool = False) -> Path:
    """A matplotlib figure written atomically, in the format its suffix names (PNG without one).

    ``tight`` crops the page to what is drawn.  A pyplot figure is closed after (pyplot keeps
    every open figure alive).  Here in the core, beside :func:`atomic_write`, because the views,
    ``interpret`` and ``lm`` all save figures and none of them may import another.
    """
    path = Path(path)
    crop = {"bbox_inches": "tight"} if tight else {}
    atomic_write(path, lambda f: fig.savefig(f, format=path.suffix.lstrip(".") or "png", dpi=dpi, **crop))
    if "matplotlib.pyplot" in sys.modules:  # no pyplot imported: the figure is not one of its
        sys.modules["matplotlib.pyplot"].close(fig)
    return path


# A file may not make us allocate more than this, whatever its headers claim.
MAX_FILE_ARRAY_BYTES = 1 << 34  # 16 GiB
# Deflate cannot expand data by more than about 1032:1; a member claiming more is lying.
_DEFLATE_MAX_RATIO = 1100


def read_npz(path, fmt: str, version: int | tuple[int, ...],
             max_bytes: int = MAX_FILE_ARRAY_BYTES) -> tuple[dict[str, np.ndarray], dict]:
    """Read an ``.npz`` written with a JSON ``header`` array; check its format and version.

    The one reader of every specgame file (tables, tabular agents, DQNs): each names its
    ``fmt`` and ``version`` (or the versions it reads) and gets back its arrays and its
    header (a dict).

    Raises ``ValueError`` naming the file for anything truncated, corrupted or foreign.
    Nothing is unpickled (object arrays are refused), and every array's size is checked
    against what the zip archive really holds, and against ``max_bytes`` in total,
    *before* any array is allocated: a header claiming a huge shape costs nothing.
    """
    path = Path(path)
    remove_stale_temps(path)
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
    versions = version if isinstance(version, tuple) else (version,)
    if header.get("version") not in versions:
        read = " and ".join(map(str, versions))
        raise ValueError(f"{path} is {fmt} version {header.get('version')!r}; this specgame reads version {read}")
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
