"""Where the app runs: a Hugging Face Space or elsewhere, and what a Space changes.

Imports nothing heavy: app.py calls `prepare_environment` before huggingface_hub is imported,
because the hub library reads HF_HOME once, at import.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

SPACES_DATA = Path("/data")
"""A Space's persistent storage, when its owner added some; everything else is lost on restart."""
RUNS_DIR_ENV = "DETOX_RUNS_DIR"


def on_spaces(env: Mapping[str, str] = os.environ) -> bool:
    return env.get("SYSTEM") == "spaces" or bool(env.get("SPACE_ID"))


def persistent_storage(env: Mapping[str, str] = os.environ, data: Path = SPACES_DATA) -> Path | None:
    """/data on a Space that has persistent storage, else None."""
    if on_spaces(env) and data.is_dir() and os.access(data, os.W_OK):
        return data
    return None


def default_runs_dir(env: Mapping[str, str] = os.environ, data: Path = SPACES_DATA) -> str | None:
    """$DETOX_RUNS_DIR, else <persistent storage>/runs on a Space, else None (./runs)."""
    configured = env.get(RUNS_DIR_ENV, "").strip()
    if configured:
        return configured
    storage = persistent_storage(env, data)
    return str(storage / "runs") if storage else None


def prepare_environment() -> None:
    """On a Space with persistent storage, keep model downloads there too, so a restarted Space
    does not fetch them again."""
    storage = persistent_storage()
    if storage:
        os.environ.setdefault("HF_HOME", str(storage / ".huggingface"))
