"""File helpers shared by every mxlite saver and loader.

Saving is crash-safe. MXNet wrote ``.params`` and checkpoints straight onto the
final name, so a crash mid-save left a truncated file where the last good one
used to be. mxlite writes to a temporary file in the same directory, fsyncs
it, renames it over the final name and fsyncs the directory: readers see
either the old file or the new one.

Loading a file of the wrong kind says what the file looks like
(:func:`describe_file_start`), in the same words for every format.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from typing import BinaryIO

__all__ = ["atomic_write_bytes", "atomic_writer", "describe_file_start",
           "remove_stale_temporaries", "HEAD_BYTES"]

# mkstemp names files prefix + 8 characters of [a-z0-9_] + suffix.
_TEMPORARY = re.compile(r"\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp")


def _umask() -> int:
    """Return the process umask without changing it where the OS allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_dir(directory: str) -> None:
    """Best-effort fsync of a directory so a rename inside it is durable."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Open a binary file whose content replaces ``path`` only on success.

    Yields a file object on a temporary file next to ``path``. When the block
    ends without an exception the file is flushed, fsynced and renamed onto
    ``path`` with ``os.replace``, then the directory is fsynced. On any
    exception the temporary file is removed and ``path`` is left untouched.

    Args:
        path: the final file name.

    Yields:
        A writable binary file object.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(
        dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp"
    )
    try:
        # mkstemp creates the file 0600; give it the mode open() would have.
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            fd = -1  # now owned (and closed) by f
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_writer`)."""
    with atomic_writer(path) as f:
        f.write(data)


def remove_stale_temporaries(
    path: str | os.PathLike,
    *,
    min_age_s: float = 0.0,
    names: re.Pattern[str] | None = None,
) -> list[str]:
    """Delete temporaries that :func:`atomic_writer` left behind; return their paths.

    A SIGKILL or power loss mid-save cannot run the writer's cleanup, so its
    ``.NAME.XXXXXXXX.tmp`` file stays next to ``NAME``. Call this at the start
    of a run, when no other process is writing there.

    Args:
        path: a final file name (only its temporaries go) or a directory
            (every temporary of that naming in it goes).
        min_age_s: keep temporaries modified less than this many seconds ago,
            in case another writer is still at work.
        names: with a directory, only temporaries of final names this pattern
            matches in full go (a checkpoint prefix's files, say).

    Example:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / ".a.h5.x1y2z3w4.tmp").write_bytes(b"")
        >>> [pathlib.Path(p).name for p in remove_stale_temporaries(d / "a.h5")]
        ['.a.h5.x1y2z3w4.tmp']
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        directory, name = path, None
    else:
        directory, name = os.path.dirname(os.path.abspath(path)), os.path.basename(path)
    removed, now = [], time.time()
    with os.scandir(directory) as entries:
        for entry in entries:
            match = _TEMPORARY.fullmatch(entry.name)
            if not match or (name is not None and match["name"] != name):
                continue
            if names is not None and not names.fullmatch(match["name"]):
                continue
            with contextlib.suppress(FileNotFoundError):
                if not entry.is_file(follow_symlinks=False):
                    continue
                if now - entry.stat(follow_symlinks=False).st_mtime < min_age_s:
                    continue
                os.unlink(entry.path)
                removed.append(entry.path)
    return sorted(removed)


HEAD_BYTES = 64
"""How many leading bytes :func:`describe_file_start` wants."""

# (leading bytes, what a file starting with them is), most specific first.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"PK\x03\x04", "a zip archive (a NumPy .npz or a PyTorch file?)"),
    (b"\x1f\x8b", "a gzip file"),
    (b"\x93NUMPY", "a NumPy .npy file"),
    (b"\x12\x01\x00\x00\x00\x00\x00\x00", "an MXNet NDArray file (a .params?)"),
    (b"\x00\x00\x08\x01", "an IDX label file (MNIST format)"),
    (b"\x00\x00\x08\x03", "an IDX image file (MNIST format)"),
)


def _text(head: bytes) -> str | None:
    """``head`` as text if it is printable UTF-8 (a cut last character allowed)."""
    for cut in range(4):  # a multi-byte character may straddle the end of head
        try:
            text = head[: len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return text if all(c.isprintable() or c in "\t\n\r" for c in text) else None
    return None


def describe_file_start(head: bytes) -> str | None:
    """What the first bytes of a file say it is, as a clause for an error message.

    Loaders that find a wrong magic number add this clause, so a user who gave
    the wrong file learns which file it was. Give it at least
    :data:`HEAD_BYTES` bytes where the file has them.

    Returns:
        ``"it looks like <kind>"``, or None when the bytes tell nothing.

    Example:
        >>> describe_file_start(b'  {"nodes": [')
        'it looks like a JSON file (a -symbol.json?)'
        >>> describe_file_start(bytes(range(200, 240))) is None
        True
    """
    if not head:
        return "it is empty"
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return f"it looks like {kind}"
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return f"it looks like a Python pickle (protocol {head[1]}; a PyTorch file?)"
    text = _text(head)
    if text is None:
        return None
    start = text.lstrip()[:1]
    if start in ("{", "["):
        return "it looks like a JSON file (a -symbol.json?)"
    if start == "<":
        return "it looks like an HTML or XML file (a web page saved instead?)"
    return "it looks like a text file"
