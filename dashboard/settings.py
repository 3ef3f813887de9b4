"""The Train tab's settings in one place: which config keys the dashboard may change and how each
is shown, how form and API values become a validated config, and the command lines.

The runner spawns `train_argv(...)`; the "equivalent command" shown to users comes from the same
launcher flags, so the two cannot drift apart.
"""
from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine import runs
from engine.config import Config, ConfigError, Limits, limits as config_limits, preset as load_preset, resolve, shown

from dashboard.inputs import UserInputError

if TYPE_CHECKING:
    from dashboard.access import Limits as AppLimits


@dataclass(frozen=True)
class Field:
    """One setting in the Train tab's form. Its range, choices and help are the config field's
    own Limits (engine/config.py); only the label and the layout are the form's."""
    key: str
    """The config key, section.field."""
    label: str
    advanced: bool = False
    """In the "KL penalty, generation, reward, checkpoints" accordion."""
    note: str = ""
    """What the form says beyond the config's help."""

    @property
    def default(self) -> Any:
        return _get(Config(), self.key)

    @property
    def limits(self) -> Limits | None:
        section, name = self.key.split(".")
        return config_limits(getattr(Config(), section), name)

    @property
    def kind(self) -> str:
        """number, whole (a whole number), switch (true/false) or choice."""
        if isinstance(self.default, bool):
            return "switch"
        lim = self.limits
        return "choice" if lim and lim.choices else "whole" if lim and lim.whole else "number"

    @property
    def choices(self) -> tuple[str, ...]:
        return self.limits.choices if self.limits else ()

    def caption(self, caps: AppLimits) -> str:
        """Shown under the label: the help, then the range with this app's caps."""
        lim = self.limits
        if lim is None:
            return self.note
        cap = {"ppo.steps": caps.max_steps, "ppo.batch_size": caps.max_batch}.get(self.key)
        described = "" if lim.choices else lim.describe(high=cap)
        return "; ".join(part for part in (lim.help, described, self.note) if part)


FIELDS: tuple[Field, ...] = (
    Field("ppo.algorithm", "Algorithm"),
    Field("ppo.learning_rate", "Learning rate"),
    Field("ppo.steps", "Steps"),
    Field("ppo.batch_size", "Batch size"),
    Field("ppo.samples_per_prompt", "Summaries per dialogue"),
    Field("ppo.mini_batch_size", "Mini-batch size"),
    Field("ppo.ppo_epochs", "Epochs"),
    Field("ppo.seed", "Seed"),
    Field("ppo.init_kl_coef", "KL coefficient (PPO)", advanced=True),
    Field("ppo.beta", "KL weight beta (RLOO, GRPO)", advanced=True),
    Field("ppo.target", "KL target (PPO)", advanced=True),
    Field("ppo.adap_kl_ctrl", "Adaptive KL (PPO)", advanced=True, note="adapt the coefficient towards the target"),
    Field("generation.output_min_length", "Min output tokens", advanced=True),
    Field("generation.output_max_length", "Max output tokens", advanced=True),
    Field("ppo.reward_input", "Reward model reads", advanced=True),
    Field("run.save_every", "Checkpoint every", advanced=True),
    Field("run.eval_every", "Held-out toxicity every", advanced=True,
          note="the same few held-out prompts, scored by the reward model and the independent judges"),
)
SETTING_KEYS = tuple(f.key for f in FIELDS)
"""The numbers the dashboard lets a user change. Models and data are the preset's unless a custom
run names others (dashboard/custom_run.py), within what this app allows (allowed_sources.py)."""

TRAIN_COMMAND = [sys.executable, "-m", "engine.train"]
LAUNCH_FLAGS = ["--multi_gpu", "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
                "--num_processes"]
"""Data-parallel: one process per GPU through Accelerate (on a CPU-only machine: CPU ranks, gloo)."""


# --- values ---------------------------------------------------------------------------------

def _get(cfg: Config, key: str) -> Any:
    section, name = key.split(".")
    return getattr(getattr(cfg, section), name)


def preset_settings(preset: str) -> dict[str, Any]:
    """The preset's values of the settings the dashboard shows."""
    try:
        cfg = load_preset(preset)
    except ConfigError as exc:
        raise UserInputError(str(exc)) from exc
    return {key: _get(cfg, key) for key in SETTING_KEYS}


def _like(default: Any, value: Any) -> Any:
    """`value` with the number type of the preset's value: a number field sends 8.0 for 8, or 6
    for 6.0, and validation checks types."""
    if isinstance(value, bool) or isinstance(default, bool):
        return value
    if isinstance(default, int) and isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(default, float) and isinstance(value, int):
        try:
            return float(value)
        except OverflowError:  # an int beyond any float (10**400): validation refuses it as it is
            return value
    return value


def clean_settings(preset: str, settings: dict[str, Any] | None) -> dict[str, Any]:
    """Only the settings that differ from the preset, with whole-number floats made ints, and the
    custom run's fields that were filled (dashboard/custom_run.py).

    Empty values (a cleared form field) mean "the preset's value".
    """
    from dashboard.custom_run import CUSTOM_KEYS, overrides

    defaults = preset_settings(preset)
    unknown = sorted(set(settings or {}) - set(SETTING_KEYS) - set(CUSTOM_KEYS))
    if unknown:
        names = [k if k.isprintable() and k.strip() else repr(k) for k in map(shown, unknown[:5])]
        raise UserInputError(f"the dashboard cannot change {', '.join(names)}; it can change: "
                             f"{', '.join(SETTING_KEYS + CUSTOM_KEYS)}")
    cleaned: dict[str, Any] = {}
    for key, value in (settings or {}).items():
        if key in CUSTOM_KEYS or value is None or value == "":
            continue
        value = _like(defaults[key], value)
        if value != defaults[key] or type(value) is not type(defaults[key]):
            cleaned[key] = value
    return {**cleaned, **overrides({k: v for k, v in (settings or {}).items() if k in CUSTOM_KEYS})}


def resolve_settings(preset: str, settings: dict[str, Any] | None) -> Config:
    """The validated config of `preset` with `settings`; UserInputError listing every problem."""
    overrides = clean_settings(preset, settings)
    try:
        return resolve(preset, overrides)
    except ConfigError as exc:
        raise UserInputError(str(exc)) from exc


def api_settings(settings: Any, **shortcuts: Any) -> dict[str, Any]:
    """The API's `settings` object merged with its shortcut arguments (steps=, learning_rate=),
    which must not contradict it."""
    if settings is not None and not isinstance(settings, dict):
        raise UserInputError(f"settings must be an object like {{\"ppo.batch_size\": 8}}, got {type(settings).__name__}")
    values = dict(settings or {})
    keys = {"steps": "ppo.steps", "learning_rate": "ppo.learning_rate"}
    for name, value in shortcuts.items():
        key = keys[name]
        if value is None:
            continue
        if key in values and values[key] != value:
            raise UserInputError(f"{key} is given twice, {shown(value)} and {shown(values[key])} in settings")
        values[key] = value
    return values


# --- processes ------------------------------------------------------------------------------

@cache
def gpu_count() -> int:
    """CUDA devices here; imports torch, so it is asked when a page loads, not when the app is built."""
    import torch

    return torch.cuda.device_count()


def check_processes(processes: Any, cfg: Config) -> int:
    """1, or up to one process per GPU; batch and mini-batch must split evenly across them."""
    if isinstance(processes, float) and processes.is_integer():
        processes = int(processes)
    if not isinstance(processes, int) or isinstance(processes, bool) or not 1 <= processes <= 64:
        raise UserInputError(f"the number of processes must be a whole number from 1 to 64, got {shown(repr(processes))}")
    if processes > 1:
        p = cfg.ppo
        if p.batch_size % processes or p.mini_batch_size % processes:
            raise UserInputError(f"batch size ({p.batch_size}) and mini-batch size ({p.mini_batch_size}) must be "
                                 f"divisible by the number of processes ({processes})")
    return processes


def check_gpu_processes(processes: Any) -> None:
    """What a UI or API caller may ask for: several processes only with as many GPUs."""
    # Not a whole number from 1 to 64: check_processes says so.
    numeric = isinstance(processes, (int, float)) and not isinstance(processes, bool) and processes <= 64
    if numeric and processes > max(gpu_count(), 1):
        raise UserInputError(f"{processes} processes asked for, but this machine has {gpu_count()} GPU(s)")


# --- command lines --------------------------------------------------------------------------

def train_argv(run_dir: Path, processes: int = 1, train_command: list[str] | None = None) -> list[str]:
    """The exact argv the runner starts for a run directory the dashboard made."""
    command = list(train_command or TRAIN_COMMAND) + ["--run-dir", str(run_dir)]
    if processes > 1:  # [python] -m engine.train ... -> [python] -m accelerate.commands.launch FLAGS N -m engine.train ...
        command = [command[0], "-m", "accelerate.commands.launch", *LAUNCH_FLAGS, str(processes), *command[1:]]
    return command


def _cli_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):  # --set reads a list as comma-separated names
        return ",".join(map(str, value))
    return repr(value) if isinstance(value, float) else str(value)


def equivalent_command(preset: str, settings: dict[str, Any] | None,
                       runs_dir: Path | None = None, processes: int = 1) -> str:
    """The terminal command that trains the same config: the runner's launcher and flags, with
    the preset and settings as flags instead of the run directory's config.json."""
    overrides = clean_settings(preset, settings)
    launcher = (["accelerate", "launch", *LAUNCH_FLAGS, str(processes)] if processes > 1 else ["python"])
    parts = launcher + ["-m", "engine.train", "--preset", preset]
    for key, flag in (("ppo.algorithm", "--algorithm"), ("ppo.steps", "--steps")):  # engine.train's own flags
        value = overrides.pop(key, None)
        if value is not None:
            parts += [flag, str(value)]
    for key, value in overrides.items():
        parts += ["--set", f"{key}={_cli_value(value)}"]
    if runs_dir is not None and Path(runs_dir).absolute() != runs.default_runs_dir():
        parts += ["--runs-dir", str(runs_dir)]
    return " ".join(shlex.quote(part) for part in parts)
