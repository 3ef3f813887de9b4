"""Which models and data a custom run on this app may name (issue 24), checked on the server.

A shared Space must not let a visitor's run pull arbitrary repositories or read arbitrary files:
- DETOX_ALLOWED_MODELS: comma-separated glob patterns of Hub ids or folders (default: the
  presets' own models). "*" allows any.
- DETOX_MAX_MODEL_GB: the largest model (its weights files) a run may load, checked from the
  Hub's file sizes (or the folder's) before anything is downloaded. Default: no cap.
- DETOX_DATA_DIR: local models and data files must lie under this folder (default: the
  project's assets folder), after links are resolved, so "../" or a link cannot leave it.
"""
from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from engine.config import ASSETS, PRESETS, shown
from engine.sources import is_hub_id, local_path

ALLOWED_MODELS_ENV = "DETOX_ALLOWED_MODELS"
MAX_MODEL_GB_ENV = "DETOX_MAX_MODEL_GB"
DATA_DIR_ENV = "DETOX_DATA_DIR"
WEIGHT_SUFFIXES = (".safetensors", ".bin")


def preset_models() -> tuple[str, ...]:
    """Every model a preset names: what a custom run may use when nothing else is allowed."""
    from engine.config import preset

    found: list[str] = []
    for name in PRESETS:
        m = preset(name).model
        found += [s for s in (m.policy, m.summary_adapter, m.reward_model) if s and s not in found]
    return tuple(found)


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and p.name.endswith(WEIGHT_SUFFIXES))


def hub_bytes(repo_id: str) -> int:
    """The size of a Hub model's weights files, from the Hub's file list (nothing is downloaded).
    Counts safetensors files when there are any (the loaders read only those), else all weights."""
    from huggingface_hub import HfApi

    info = HfApi().model_info(repo_id, files_metadata=True)
    files = [(s.rfilename, s.size or 0) for s in info.siblings or []]
    safetensors = [size for name, size in files if name.endswith(".safetensors")]
    return sum(safetensors) if safetensors else sum(size for name, size in files if name.endswith(WEIGHT_SUFFIXES))


@dataclass(frozen=True)
class AllowedSources:
    allowed: tuple[str, ...]
    """Glob patterns of the Hub ids and folders a run may name."""
    max_gb: float | None
    data_dir: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> AllowedSources:
        raw = env.get(ALLOWED_MODELS_ENV, "").strip()
        allowed = tuple(p.strip() for p in raw.split(",") if p.strip()) if raw else preset_models()
        cap = env.get(MAX_MODEL_GB_ENV, "").strip()
        try:
            max_gb = float(cap) if cap else None
        except ValueError:
            raise ValueError(f"{MAX_MODEL_GB_ENV} must be a number of gigabytes, got {cap!r}") from None
        if max_gb is not None and not max_gb > 0:
            raise ValueError(f"{MAX_MODEL_GB_ENV} must be positive, got {cap!r}")
        data_dir = Path(env.get(DATA_DIR_ENV) or ASSETS).expanduser().resolve()
        return cls(allowed, max_gb, data_dir)

    def is_allowed(self, source: str) -> bool:
        return any(fnmatch.fnmatchcase(source, pattern) for pattern in self.allowed)

    def path_problem(self, what: str, source: str) -> str | None:
        """Why a local path may not be read here, or None (Hub ids are not paths)."""
        path = local_path(source)
        if path is None:
            return None
        inside = path.resolve()
        if inside != self.data_dir and self.data_dir not in inside.parents:
            return (f"{what} '{shown(source)}' is outside this app's data folder {self.data_dir} "
                    f"({DATA_DIR_ENV}): local files must lie under it")
        return None

    def model_problem(self, what: str, source: str, size_of=hub_bytes) -> str | None:
        """Why `source` may not be loaded as `what` here (not allowed, outside the data folder,
        too big), or None. The size is asked of the Hub before any download."""
        if not self.is_allowed(source):
            return (f"{what} '{shown(source)}' is not allowed on this app ({ALLOWED_MODELS_ENV}: "
                    f"{', '.join(self.allowed)})")
        problem = self.path_problem(what, source)
        if problem or self.max_gb is None:
            return problem
        path = local_path(source)
        try:
            size = folder_bytes(path) if path is not None else size_of(source) if is_hub_id(source) else 0
        except OSError as exc:  # offline, a private or missing repo (the Hub's errors are OSErrors)
            return (f"{what} '{shown(source)}': its size cannot be checked against this app's cap of "
                    f"{self.max_gb:g} GB ({MAX_MODEL_GB_ENV}): {type(exc).__name__}: {str(exc)[:200]}")
        if size > self.max_gb * 1e9:
            return (f"{what} '{shown(source)}' has {size / 1e9:.2f} GB of weights; this app loads at most "
                    f"{self.max_gb:g} GB ({MAX_MODEL_GB_ENV})")
        return None
