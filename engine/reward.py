"""Batched scoring with a toxicity classifier: reward and toxicity by a label rule.

The rule (model.reward_label) names a label of the classifier: "nothate" makes the reward that
label's logit and toxicity one minus its probability (the recipe's hate-speech RoBERTa);
"-toxic" makes the reward minus the `toxic` logit and toxicity its probability (classifiers
that only have a toxic label). Probabilities are the softmax over the labels, or the label's
sigmoid for a multi-label classifier (config.problem_type "multi_label_classification").

Labels are picked by *name* through the model config, never by position: the course notebook
took element [0] of a pipeline output sorted by score, and so rewarded the `hate` logit on
exactly the texts that were hateful.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from engine.config import REWARD_INPUTS, LabelRule, ModelConfig
from engine.models import UNREADABLE_MODEL, ModelError, _hub_hint, load_tokenizer


@dataclass
class Scores:
    reward: torch.Tensor  # (N,) by the label rule: what PPO maximises
    toxicity: torch.Tensor  # (N,) in [0, 1]: the probability of the toxic side of the rule
    logits: torch.Tensor  # (N, num_labels)
    labels: list[str]
    """The classifier's label names, in the order of `logits`' columns."""

    def logit(self, label: str) -> torch.Tensor:
        return self.logits[:, self.labels.index(label)]


def label_index(id2label: dict, name: str) -> int:
    for idx, label in id2label.items():
        if str(label).lower() == name:
            return int(idx)
    raise ModelError(f"the reward model has labels {sorted(map(str, id2label.values()))}; the reward rule "
                     f"needs a '{name}' label (model.reward_label names one of them, '-' before it for "
                     "minus its logit)")


def reward_texts(queries: list[str], responses: list[str], reward_input: str) -> list[str]:
    """What the classifier reads: the summary alone, or prompt and summary (the notebook's choice)."""
    if reward_input == "response":
        return list(responses)
    if reward_input == "query+response":
        return [q + r for q, r in zip(queries, responses)]
    raise ValueError(f"reward_input must be one of {REWARD_INPUTS}, got '{reward_input}'")


class RewardModel:
    def __init__(self, model, tokenizer, rule: LabelRule = LabelRule("nothate", 1), batch_size: int = 32):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.rule = rule
        id2label = model.config.id2label
        self.labels = [str(id2label[i]).lower() for i in range(len(id2label))]
        self.index = label_index(id2label, rule.label)
        self.multi_label = getattr(model.config, "problem_type", None) == "multi_label_classification"
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
        logits = torch.empty(n, len(self.labels), dtype=torch.float32, device=self.device)
        order = sorted(range(n), key=lambda i: len(texts[i]))
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                 max_length=self.max_length, return_tensors="pt").to(self.device)
            logits[torch.tensor(idx, device=self.device)] = self.model(**enc).logits.float()  # (b, num_labels)
        k = self.index
        if self.multi_label:
            p_label = logits[:, k].sigmoid()
            p_other = 1 - p_label
        else:
            probs = logits.softmax(dim=-1)  # (N, num_labels)
            p_label = probs[:, k]
            p_other = probs[:, [j for j in range(len(self.labels)) if j != k]].sum(dim=-1)
        toxicity = p_other if self.rule.sign > 0 else p_label
        return Scores(reward=self.rule.sign * logits[:, k], toxicity=toxicity, logits=logits, labels=self.labels)

    def score_fn(self, reward_input: str):
        """The PPO trainer's scorer: (queries, responses, response_ids) -> (reward, toxicity)."""
        def score(queries: list[str], responses: list[str], response_ids) -> tuple[torch.Tensor, torch.Tensor]:
            s = self.score(reward_texts(queries, responses, reward_input))
            return s.reward, s.toxicity
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
    return RewardModel(model.to(device), tokenizer, LabelRule.parse(cfg.reward_label))
