"""File primitives of the run directory: atomic JSON documents, append-only JSONL, a file's tail.

Nothing here knows what a run is. Each writer keeps its file valid for a reader that looks at
it at any moment: JSON documents are replaced atomically, JSONL files are only appended to, and
readers tolerate a half-written last line.

No file is ever opened through a symbolic link (open_regular): a link planted in a runs folder
would otherwise show, or overwrite, any file the dashboard's user may read.
"""
from __future__ import annotations

import errno
import json
import math
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

# read_tail reads at most this much from the end, so one endless progress-bar line cannot make
# it load a huge file.
_LOG_TAIL_MAX_BYTES = 1 << 20


def _reason(exc: OSError) -> str:
    """The readable part of an OSError ("No space left on device"), without errno noise."""
    return exc.strerror or str(exc)


# --- opening without following links ---------------------------------------------------------

LINK_REFUSED = "it is a symbolic link, and run files are never read or written through links"


class NotRegularFileError(OSError):
    """A run file that is a symbolic link, a folder, a pipe or a device: never read or written."""


def open_regular(path: Path, flags: int = os.O_RDONLY, mode: int = 0o666) -> int:
    """A file descriptor of the regular file `path`; NotRegularFileError when it is a link (the
    link is not followed: O_NOFOLLOW, so no check can be raced) or not a regular file.

    O_NONBLOCK keeps a named pipe from blocking the open forever; it changes nothing for a
    regular file. FileNotFoundError and other OSErrors pass through as they are.
    """
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotRegularFileError(errno.ELOOP, LINK_REFUSED, str(path)) from None
        if exc.errno == errno.ENXIO:  # a pipe opened for writing that nobody reads
            raise NotRegularFileError(errno.ENXIO, "it is not a regular file", str(path)) from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise NotRegularFileError(errno.EINVAL, "it is not a regular file", str(path))
    os.set_blocking(fd, True)  # as a plain open() leaves it, for a child that inherits it
    return fd


def read_text(path: Path) -> str:
    """The UTF-8 text of the regular file `path`, as Path.read_text reads it, never through a link."""
    with os.fdopen(open_regular(path), "r", encoding="utf-8") as f:
        return f.read()


def _entry_mode(path: Path) -> int | None:
    """The mode of the entry `path` itself (a link's, not its target's); None when absent."""
    try:
        return os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None


def is_regular_file(path: Path) -> bool:
    """Like Path.is_file, but False for a link, whatever it points to."""
    mode = _entry_mode(path)
    return mode is not None and stat.S_ISREG(mode)


def is_real_dir(path: Path) -> bool:
    """Like Path.is_dir, but False for a link, whatever it points to."""
    mode = _entry_mode(path)
    return mode is not None and stat.S_ISDIR(mode)


def mode_problem(mode: int) -> str | None:
    """Why an entry of this lstat mode is not read (a link, a folder, a pipe), or None."""
    if stat.S_ISREG(mode):
        return None
    return LINK_REFUSED if stat.S_ISLNK(mode) else "it is not a regular file"


def entry_problem(path: Path) -> str | None:
    """What keeps the entry `path` from being read as a regular file (a link, a folder, a pipe),
    or None when it is a regular file or absent; never looks at a link's target."""
    mode = _entry_mode(path)
    return None if mode is None else mode_problem(mode)


# --- JSON documents --------------------------------------------------------------------------

def write_json_atomic(path: Path, data: Any, indent: int | None = 2, *,
                      allow_nan: bool = False) -> None:
    """Write `data` as JSON so that a reader sees either the old file or the new one, whole.

    The temporary file lives in the same directory because os.replace is only atomic within
    one filesystem. NaN and infinities are refused (strict JSON) unless `allow_nan`. A link at
    `path` is replaced by the file, never written through (os.replace does not follow it).
    """
    text = json.dumps(data, indent=indent, allow_nan=allow_nan) + "\n"
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _jsonable(value: Any) -> Any:
    """`value` with non-finite floats replaced by None, so the line stays strict JSON.

    numpy and torch scalars (anything with `.item()`) are unwrapped first: their NaNs would
    otherwise slip past the float check.
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    item = getattr(value, "item", None)
    if callable(item):
        return _jsonable(item())
    return value  # json.dumps reports anything else with its own clear TypeError


# --- JSONL -----------------------------------------------------------------------------------

def append_jsonl(path: Path, row: dict) -> None:
    """Append `row` as one JSON line; NaN and infinities become null so every line parses.

    If an earlier writer died mid-line, a newline is added first so the torn line stays a
    single bad line instead of swallowing this good one. NotRegularFileError when `path` is a
    link or not a regular file: nothing is written through it.
    """
    line = json.dumps(_jsonable(row), ensure_ascii=False, allow_nan=False) + "\n"
    with os.fdopen(open_regular(path, os.O_RDWR | os.O_APPEND | os.O_CREAT), "a+b") as f:
        if f.tell() > 0:
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":
                line = "\n" + line
        # One write call per row so a concurrent reader never sees two rows interleaved.
        f.write(line.encode("utf-8"))
        f.flush()


def read_jsonl(path: Path, offset: int = 0) -> tuple[list[dict], int, list[str]]:
    """Rows appended since byte `offset`: (rows, new_offset, problems).

    A last line without its newline is still being written: it is left for the next call
    (new_offset stops before it). A complete line that is not a JSON object is skipped and
    described in `problems`. If the file shrank below `offset` it was replaced: reading
    restarts at 0, which the caller sees as new_offset < offset. A link (never followed) or
    anything but a regular file gives no rows and one problem naming it.
    """
    path = Path(path)
    problems: list[str] = []
    try:
        with os.fdopen(open_regular(path), "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if offset > size:
                problems.append(f"{path.name} is shorter than before ({size} < {offset} bytes): "
                                "it was replaced; reading it from the start")
                offset = 0
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return [], offset, []
    except NotRegularFileError as exc:
        return [], offset, [f"{path.name} cannot be read: {_reason(exc)}"]
    rows: list[dict] = []
    position = offset
    # Split on "\n" only: bytes.splitlines would also split on a stray "\r".
    *complete, _torn = data.split(b"\n")  # _torn: b"" or a line still being written
    for raw in complete:
        problem = _parse_jsonl_line(raw, rows)
        if problem:
            problems.append(f"{path.name} line at byte {position} is corrupt: {problem}")
        position += len(raw) + 1
    return rows, position, problems


def _parse_jsonl_line(raw: bytes, rows: list[dict]) -> str | None:
    """Append the object on `raw` to `rows`; return what is wrong with it, if anything."""
    if not raw.strip():
        return None
    try:
        value = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        return str(exc)
    if not isinstance(value, dict):
        return f"expected an object, got {type(value).__name__}"
    rows.append(value)
    return None


# --- a log's tail ----------------------------------------------------------------------------

def _read_tail_bytes(path: Path, lines: int) -> tuple[bytes, bool]:
    """The end of `path` holding at least `lines` newlines; and whether it is the whole file."""
    block = 64 * 1024
    with os.fdopen(open_regular(path), "rb") as f:
        end = f.seek(0, os.SEEK_END)
        start = end
        data = b""
        while start > 0 and data.count(b"\n") <= lines and end - start < _LOG_TAIL_MAX_BYTES:
            start = max(0, start - block)
            f.seek(start)
            data = f.read(end - start)
    return data, start == 0


def read_tail(path: Path, lines: int) -> str:
    """The last `lines` lines of the text file `path` as a terminal would show them; "" if absent.

    Progress bars redraw a line with carriage returns; only each line's last redraw is kept,
    so one bar does not fill the whole tail. NotRegularFileError when it is a link (never
    followed) or not a regular file.
    """
    if lines <= 0:
        return ""
    try:
        data, whole = _read_tail_bytes(Path(path), lines)
    except FileNotFoundError:
        return ""
    text_lines = data.decode("utf-8", errors="replace").split("\n")
    if not whole:
        text_lines = text_lines[1:]  # starts mid-line
    if text_lines and text_lines[-1] == "":
        text_lines.pop()  # the file's final newline
    visible = [line.rstrip("\r").rsplit("\r", 1)[-1] for line in text_lines]
    return "\n".join(visible[-lines:])
