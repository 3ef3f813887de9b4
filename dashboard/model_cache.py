"""Models kept in the app's memory, so Compare, Evaluate and Reward load each one once.

Loading is slow (seconds for tiny, minutes for the seed models) and two clicks can arrive
together, so each key has its own lock: the second click waits for the first load instead of
loading again. Only the few most recent policy/reward pairs are kept, to bound memory.
"""
from __future__ import annotations

import copy
import json
from dataclasses import asdict
from pathlib import Path

from dashboard.lru import LRU

MAX_MODELS = 2
MAX_EXAMPLE_SETS = 8


class ModelCache:
    def __init__(self, max_models: int = MAX_MODELS):
        self._models: LRU = LRU(max_models)
        self._rewards: LRU = LRU(max_models)
        self._examples: LRU = LRU(MAX_EXAMPLE_SETS)

    def has_models(self, run_dir: Path, checkpoint: str) -> bool:
        return (str(run_dir), checkpoint) in self._models

    def models(self, run_dir: Path, checkpoint: str):
        """engine.loading.Models of the run at `checkpoint` (reference = adapter off)."""
        from engine.loading import load_run_models

        return self._models.get_or_make((str(run_dir), checkpoint), lambda: load_run_models(Path(run_dir), checkpoint))

    def reward(self, preset: str):
        """The preset's reward model (engine.reward.RewardModel)."""
        def load():
            from engine.config import preset as load_preset
            from engine.models import pick_device, pick_dtype
            from engine.reward import load_reward_model

            cfg = load_preset(preset)
            device = pick_device(cfg.model.device)
            return load_reward_model(cfg.model, device, pick_dtype(cfg.model.dtype, device))

        return self._rewards.get_or_make(preset, load)

    def examples(self, models, source: str, n: int) -> list:
        """Fresh copies of the first `n` dialogues of `source` ("test", "stress" or "held-out"), tokenized.

        Copies, because comparing fills fields of the examples it gets.
        """
        from engine.data import prompts_from

        key = (json.dumps(asdict(models.cfg.data), sort_keys=True), models.cfg.run.eval_prompts,
               getattr(models.tokenizer, "name_or_path", ""), source)
        cached = self._examples.get_or_make(key, lambda: prompts_from(source, models.cfg.data, models.tokenizer, 10**9,
                                                              held_out=models.cfg.run.eval_prompts))
        return copy.deepcopy(cached[:n])
