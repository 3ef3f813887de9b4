"""File primitives of the run directory: atomic JSON documents, append-only JSONL, a file's tail.

Nothing here knows what a run is. Each writer keeps its file valid for a reader that looks at
it at any moment: JSON documents are replaced atomically, JSONL files are only appended to, and
readers tolerate a half-written last line.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

# read_tail reads at most this much from the end, so one endless progress-bar line cannot make
# it load a huge file.
_LOG_TAIL_MAX_BYTES = 1 << 20


def _reason(exc: OSError) -> str:
    """The readable part of an OSError ("No space left on device"), without errno noise."""
    return exc.strerror or str(exc)


# --- JSON documents --------------------------------------------------------------------------

def write_json_atomic(path: Path, data: Any, indent: int | None = 2, *,
                      allow_nan: bool = False) -> None:
    """Write `data` as JSON so that a reader sees either the old file or the new one, whole.

    The temporary file lives in the same directory because os.replace is only atomic within
    one filesystem. NaN and infinities are refused (strict JSON) unless `allow_nan`.
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
    single bad line instead of swallowing this good one.
    """
    line = json.dumps(_jsonable(row), ensure_ascii=False, allow_nan=False) + "\n"
    with open(path, "a+b") as f:
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
    restarts at 0, which the caller sees as new_offset < offset.
    """
    path = Path(path)
    problems: list[str] = []
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if offset > size:
                problems.append(f"{path.name} is shorter than before ({size} < {offset} bytes): "
                                "it was replaced; reading it from the start")
                offset = 0
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return [], offset, []
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
    with open(path, "rb") as f:
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
    so one bar does not fill the whole tail.
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
