"""Batched scoring with the hate-speech classifier: reward = `nothate` logit, toxicity = P(hate).

Labels are picked by *name* through the model config, never by position: the course notebook
took element [0] of a pipeline output sorted by score, and so rewarded the `hate` logit on
exactly the texts that were hateful.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from engine.config import REWARD_INPUTS, ModelConfig
from engine.models import UNREADABLE_MODEL, ModelError, _hub_hint, load_tokenizer


@dataclass
class Scores:
    nothate_logit: torch.Tensor  # (N,) the reward
    hate_logit: torch.Tensor  # (N,)
    toxicity: torch.Tensor  # (N,) softmax probability of `hate`


def label_index(id2label: dict, name: str) -> int:
    for idx, label in id2label.items():
        if str(label).lower() == name:
            return int(idx)
    raise ModelError(f"the reward model has labels {sorted(map(str, id2label.values()))}; "
                     f"it needs a '{name}' label (a hate-speech classifier with nothate/hate)")


def reward_texts(queries: list[str], responses: list[str], reward_input: str) -> list[str]:
    """What the classifier reads: the summary alone, or prompt and summary (the notebook's choice)."""
    if reward_input == "response":
        return list(responses)
    if reward_input == "query+response":
        return [q + r for q, r in zip(queries, responses)]
    raise ValueError(f"reward_input must be one of {REWARD_INPUTS}, got '{reward_input}'")


class RewardModel:
    def __init__(self, model, tokenizer, batch_size: int = 32):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        id2label = model.config.id2label
        self.nothate = label_index(id2label, "nothate")
        self.hate = label_index(id2label, "hate")
        # RoBERTa's position table holds max_position_embeddings - 2 tokens (2 are the padding offset)
        limit = getattr(model.config, "max_position_embeddings", 514) - 2
        self.max_length = min(int(tokenizer.model_max_length), limit)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @torch.no_grad()
    def score(self, texts: list[str]) -> Scores:
        """Scores in input order; batches are length-sorted so little compute goes to padding."""
        n = len(texts)
        logits = torch.empty(n, 2, dtype=torch.float32, device=self.device)
        order = sorted(range(n), key=lambda i: len(texts[i]))
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                 max_length=self.max_length, return_tensors="pt").to(self.device)
            out = self.model(**enc).logits.float()  # (b, num_labels)
            logits[torch.tensor(idx, device=self.device)] = out[:, [self.nothate, self.hate]]
        probs = logits.softmax(dim=-1)
        return Scores(nothate_logit=logits[:, 0], hate_logit=logits[:, 1], toxicity=probs[:, 1])

    def score_fn(self, reward_input: str):
        """The PPO trainer's scorer: (queries, responses, response_ids) -> (reward, toxicity)."""
        def score(queries: list[str], responses: list[str], response_ids) -> tuple[torch.Tensor, torch.Tensor]:
            s = self.score(reward_texts(queries, responses, reward_input))
            return s.nothate_logit, s.toxicity
        return score


def load_reward_model(cfg: ModelConfig, device: torch.device, dtype: torch.dtype) -> RewardModel:
    from transformers import AutoConfig, AutoModelForSequenceClassification

    tokenizer = load_tokenizer(cfg.reward_tokenizer or cfg.reward_model)
    try:
        if cfg.random_init:
            torch.manual_seed(1)
            model = AutoModelForSequenceClassification.from_config(
                AutoConfig.from_pretrained(cfg.reward_model), dtype=dtype)
        else:
            model = AutoModelForSequenceClassification.from_pretrained(
                cfg.reward_model, dtype=dtype, use_safetensors=True)
    except UNREADABLE_MODEL as e:
        raise _hub_hint(cfg.reward_model, e) from e
    return RewardModel(model.to(device), tokenizer)
