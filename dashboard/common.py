"""What the tabs share: the app context, error handling, run labels and the notes users see."""
from __future__ import annotations

import html
import logging
import os
import re
import shutil
import tempfile
import time
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import gradio as gr

from engine import runs
from engine.config import ConfigError

from dashboard.access import Access
from dashboard.inputs import UserInputError
from dashboard.model_cache import ModelCache
from dashboard.runner import Runner
from dashboard.storage import Storage

log = logging.getLogger(__name__)

PRESET_NOTES = {
    "demo": ("**demo** is a toy: a 2M-parameter summarizer and a small classifier, trained offline on "
             "this project's synthetic dialogues. On those it often repeats the insults of heated "
             "dialogues, and PPO teaches it to stop within minutes on a CPU. It **does not read other "
             "dialogues**: on yours it writes a memorised story. Its numbers are about toy models; the "
             "real recipe (flan-t5-base and a hate-speech RoBERTa) is **seed**."),
    "tiny": ("**tiny** is a test preset with random-weight models: it runs offline in seconds and "
             "exercises everything, but its summaries are **gibberish** and its rewards mean "
             "nothing. To see detox offline, use **demo**."),
}
"""What a preset is, shown beside it wherever a workshop audience could take a toy for the real thing."""


def preset_note(preset: str | None) -> str:
    """The info banner for a preset, or "" for the real ones."""
    note = PRESET_NOTES.get(preset) if isinstance(preset, str) else None
    return banner("info", note) if note else ""


@dataclass
class AppContext:
    """Everything the handlers need; one per app, so several apps can live in one process."""
    storage: Storage
    runner: Runner
    models: ModelCache
    preset: str | None
    """The preset asked for on the command line (None: choose by Hub access)."""
    access: Access = Access()

    @property
    def runs_dir(self) -> Path:
        return self.storage.runs_dir


def _user_error_types() -> tuple[type[BaseException], ...]:
    """The inputs the user must change and the engine's own typed errors, whose messages say
    what to do. Nothing else: a ValueError from inside torch or pandas is a bug."""
    from engine.data import DataError
    from engine.models import ModelError

    return (UserInputError, runs.RunError, ConfigError, DataError, ModelError)


def as_html(message: str) -> str:
    """gr.Error renders HTML: escape the message and keep its line breaks."""
    return html.escape(message).replace("\n", "<br>")


@contextmanager
def user_errors(action: str, html_message: bool = True) -> Iterator[None]:
    """Turn expected failures into a readable gr.Error ("Cannot compare: ...").

    The UI renders the message as HTML; API callers (html_message=False) get plain text.
    """
    fmt = as_html if html_message else str
    try:
        yield
    except gr.Error:
        raise
    except _user_error_types() as exc:
        raise gr.Error(fmt(f"Cannot {action}: {exc}"), title=f"Cannot {action}",
                       print_exception=False) from exc
    except Exception as exc:
        # A bug or a broken machine, never dressed up as bad input: its traceback goes to the
        # server log, the user is told that much.
        log.exception("unexpected error while trying to %s", action)
        raise gr.Error(fmt(f"Unexpected error while trying to {action}: {type(exc).__name__}: {exc} "
                           "(details in the server log)"), title=f"Cannot {action}",
                       print_exception=False) from exc


def correctable_errors() -> tuple[type[BaseException], ...]:
    """Failures the user fixes by changing an input (a setting, the run, the text): answered
    with a warning, not an error that marks every output red. Catch them inside
    `user_errors`, which turns everything else into an error."""
    return (UserInputError, runs.RunError, ConfigError)


def warn(message: str) -> str:
    """Show `message` as a yellow toast and return it as a banner for a message box."""
    gr.Warning(as_html(message))
    return banner("warn", html.escape(message).replace("\n", "<br>"))


def require_user(ctx: AppContext, request: gr.Request | None, action: str) -> None:
    """Refuse `action` to anyone the app's access rules do not allow (checked in every handler
    that changes runs, as a hidden endpoint can still be called)."""
    ctx.access.require(request, action)


def short_label(run_id: str) -> str:
    """'tiny-ceba · 11-25 15:43' from '20261125T154346Z-tiny-ceba'; other ids as they are."""
    parsed = runs.parse_run_id(run_id)
    if parsed is None or parsed[0] is None:
        return run_id
    return f"{legend_label(run_id)} · {parsed[0].strftime('%m-%d %H:%M')}"


def legend_label(run_id: str) -> str:
    """'tiny-ceba' from '20261125T154346Z-tiny-ceba': short enough for a chart legend."""
    return run_id.partition("-")[2] if runs.parse_run_id(run_id) else run_id


def run_label(summary: dict) -> str:
    step, total = summary.get("step"), summary.get("total_steps")
    # A running run's step would be stale in a label that is not refreshed every step.
    shown = step is not None and total and summary.get("state") not in ("queued", "running")
    progress = f" {step}/{total}" if shown else ""
    return f"{short_label(summary['run_id'])} · {summary.get('state')}{progress}"


def run_choices(ctx: AppContext, with_checkpoints: bool = False) -> list[tuple[str, str]]:
    """(label, run id) pairs for a dropdown, newest first."""
    try:
        summaries = ctx.storage.list_runs()
    except runs.RunError as exc:
        gr.Warning(as_html(str(exc)))
        return []
    return [(run_label(s), s["run_id"]) for s in summaries
            if not with_checkpoints or s.get("checkpoints")]


def checkpointed_runs(ctx: AppContext, run_id: str | None):
    """Dropdown update listing the runs that have a checkpoint, keeping `run_id` if listed."""
    choices = run_choices(ctx, with_checkpoints=True)
    ids = [value for _, value in choices]
    return gr.update(choices=choices, value=run_id if run_id in ids else (ids[0] if ids else None))


def preset_of(ctx: AppContext, run_id: str) -> str | None:
    try:
        return ctx.storage.config(run_id).get("preset")
    except runs.RunError:
        return None


def unless_shown(shown: dict, key: str, value: str) -> Any:
    """`value`, or gr.skip() when this browser already shows it (`shown` holds digests), so a
    timer tick sends only what changed."""
    digest = hash(value)
    if shown.get(key) == digest:
        return gr.skip()
    shown[key] = digest
    return value


def banner(kind: str, text: str) -> str:
    """Markdown for a coloured notice (the CSS classes live in dashboard.ui)."""
    if not text:
        return ""
    return f'<div class="detox-banner detox-{kind}">\n\n{text}\n\n</div>'


DOWNLOADS = re.compile(r"^detox-[a-z]+-pid(?P<pid>[0-9]+)-")
"""A Downloads folder's name in the temp folder: its app's process id inside, so that a later
app can tell the folders of an app that was killed (kill -9 runs no clean-up) from a live one's."""


def remove_stale_downloads(temp_dir: Path | None = None) -> list[Path]:
    """Remove the Downloads folders (zips, CSVs, half-built exports that may hold a whole
    model.safetensors) of apps whose process is gone; called when the app starts. One that
    cannot be removed is logged and left."""
    removed = []
    folder = Path(temp_dir or tempfile.gettempdir())
    try:
        entries = list(folder.iterdir())
    except OSError as exc:
        log.warning("could not look for stale download folders in %s: %s", folder, exc)
        return removed
    for entry in entries:
        match = DOWNLOADS.match(entry.name)
        if match is None or entry.is_symlink() or not entry.is_dir() or runs.process_exists(int(match["pid"])):
            continue
        try:
            shutil.rmtree(entry)
        except OSError as exc:
            log.warning("could not remove %s, left by an app that was killed: %s", entry, exc)
            continue
        log.info("removed %s, left by an app that was killed", entry)
        removed.append(entry)
    return removed


class Downloads:
    """A private temporary folder for files users download (CSVs, zips): made on first use,
    removed with its owner, files older than `max_age_s` pruned on each new one. Its name holds
    the app's pid (DOWNLOADS): the next app removes it if this one is killed."""

    def __init__(self, prefix: str, max_age_s: float = 3600):
        self.prefix, self.max_age_s = prefix, max_age_s
        self._dir: Path | None = None

    def folder(self) -> Path:
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix=f"detox-{self.prefix}-pid{os.getpid()}-"))
            weakref.finalize(self, shutil.rmtree, self._dir, ignore_errors=True)
        now = time.time()
        for old in self._dir.iterdir():
            if now - old.stat().st_mtime > self.max_age_s:
                shutil.rmtree(old) if old.is_dir() else old.unlink(missing_ok=True)
        return self._dir

    def new_folder(self) -> Path:
        """A fresh, unique, empty folder inside, for files that keep their own names."""
        return Path(tempfile.mkdtemp(dir=self.folder()))

    def new_path(self, stem: str, suffix: str) -> Path:
        """A fresh, unique file path in the folder (the file exists, empty)."""
        fd, name = tempfile.mkstemp(prefix=f"{stem}-", suffix=suffix, dir=self.folder())
        os.close(fd)
        return Path(name)
