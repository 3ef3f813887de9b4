"""Helpers shared by the dashboard tests: a fake context (a real Storage and Runner driving
tests/fake_trainer.py instead of torch), fresh runs, and polling."""
from __future__ import annotations

import logging
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from engine import runs
from engine.config import preset as load_preset

from dashboard.context import AppContext
from dashboard.model_cache import ModelCache
from dashboard.runner import Runner
from dashboard.storage import Storage

FAKE = Path(__file__).resolve().parent / "fake_trainer.py"


def fake_command(*extra: str) -> list[str]:
    """The fake trainer's command; engine.runs trusts only pids whose command mentions engine."""
    return [sys.executable, str(FAKE), "--as", "engine.train", *extra]


def make_ctx(runs_dir: Path, *fake_args: str) -> AppContext:
    """An app context whose runner starts the fake trainer (with `fake_args`)."""
    storage = Storage(runs_dir)
    return AppContext(storage=storage, runner=Runner(storage, fake_command(*fake_args)),
                      models=ModelCache(), preset="tiny")


def new_run(runs_dir: Path, steps: int = 8) -> Path:
    """A tiny run's directory, created but never trained."""
    cfg = load_preset("tiny")
    cfg.ppo.steps = steps
    return runs.create_run(runs_dir, cfg.to_dict(), "tiny")


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, what: str = "condition",
             every: float = 0.05) -> Any:
    """Poll until `predicate` returns something truthy, and return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class FakeRequest:
    """What a handler sees: gradio's username (password login) and the session (HF login)."""

    def __init__(self, username=None, hf_user=None, expires_in=3600):
        self.username = username
        info = {"userinfo": {"preferred_username": hf_user}, "expires_at": time.time() + expires_in}
        self.session = {"oauth_info": info} if hf_user else {}


@contextmanager
def trainer_in_this_process() -> Iterator[None]:
    """engine.train.main installs signal handlers and takes over logging: give them back."""
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        yield
    finally:
        for handler in root.handlers:
            if handler not in saved[0]:
                handler.close()
        root.handlers[:], root.level = saved
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
