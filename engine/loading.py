"""Loading models: one path for a config (training, the benchmarks) and one for a run's
checkpoint (evaluation, the dashboard's Compare and Evaluate, the benchmarks).

Both check the model folders first (engine.preflight), so a moved or deleted folder is named at
once instead of surfacing as a loader's error halfway through.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from engine import runs
from engine.config import Config
from engine.judges import Judge


def load_config_models(cfg: Config, device: torch.device, dtype: torch.dtype) -> tuple[object, object, object]:
    """(policy, tokenizer, reward model) of a config, as a run starts: a fresh LoRA seeded by
    ppo.seed, with a value head under PPO (RLOO and GRPO train none)."""
    from engine.models import load_policy
    from engine.reward import load_reward_model

    policy, tokenizer = load_policy(cfg.model, device, dtype, seed=cfg.ppo.seed, value_head=cfg.ppo.algorithm == "ppo")
    return policy, tokenizer, load_reward_model(cfg.model, device, dtype)


@dataclass
class Models:
    """What a comparison needs, loaded once and reused (the dashboard keeps one of these)."""
    cfg: Config
    policy: object
    tokenizer: object
    reward: object
    checkpoint: Path | None
    judges: list[Judge] = field(default_factory=list)
    """The independent judges that loaded (the reward model is scored apart)."""
    judge_notes: list[str] = field(default_factory=list)
    """One line per judge that could not be loaded, saying why."""


def load_run_models(run_dir: Path, checkpoint: str | None = None) -> Models:
    """The run's policy with the checkpoint's adapter in it (`reference()` switches it off), its
    reward model and its judges. No value head: summaries need no values."""
    from engine.judges import load_judges
    from engine.models import load_checkpoint, load_policy, pick_device, pick_dtype
    from engine.preflight import check_model_paths
    from engine.reward import load_reward_model

    cfg = Config.from_dict(runs.read_config(run_dir))
    ckpt = runs.resolve_checkpoint(run_dir, checkpoint)
    check_model_paths(cfg)  # model folders moved or deleted since the run: say which, at once
    device = pick_device(cfg.model.device)
    dtype = pick_dtype(cfg.model.dtype, device)
    policy, tokenizer = load_policy(cfg.model, device, dtype, value_head=False)
    load_checkpoint(policy, ckpt)
    judges, notes = load_judges(cfg.run.judges, device, dtype)
    return Models(cfg, policy, tokenizer, load_reward_model(cfg.model, device, dtype), ckpt, judges, notes)
