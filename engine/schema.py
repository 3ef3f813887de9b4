"""The names of the metrics a training step writes (one row of metrics.jsonl).

A PPO step writes TRL v0.11's classic names (engine/ppo.py); an RLOO or GRPO step writes the names
of TRL's GRPO and RLOO trainers (engine/rloo_grpo.py), GROUP_NAMES below. The health alerts, the
charts, the run listing and the model card read a row through `value(row, KEY)`, which finds a
quantity under either name, so a renamed metric is renamed everywhere or fails a test
(tests/test_ppo.py and tests/test_rloo_grpo.py check that a real step writes every one). A
quantity an algorithm does not have (PPO's value loss under GRPO) is absent from its rows, and
the charts hide it. Pure standard library: `engine.runs` imports it without torch.
"""

import math

KL = "objective/kl"
KL_COEF = "objective/kl_coef"
ENTROPY = "objective/entropy"
REWARD_MEAN = "env/reward_mean"
REWARD_STD = "env/reward_std"
TOXICITY_MEAN = "env/toxicity_mean"
RETURNS_MEAN = "ppo/returns/mean"
POLICY_LOSS = "ppo/loss/policy"
VALUE_LOSS = "ppo/loss/value"
CLIPFRAC = "ppo/policy/clipfrac"
RESPONSE_LENGTH = "tokens/response_len_mean"
STEP_SECONDS = "time/step"
PEAK_MEMORY = "memory/peak_mib"
"""The process's peak memory so far, MiB (engine.models.peak_memory_mib), written by engine.train
for every algorithm."""

READ_BY_THE_DASHBOARD = (KL, KL_COEF, ENTROPY, REWARD_MEAN, REWARD_STD, TOXICITY_MEAN, RETURNS_MEAN,
                         POLICY_LOSS, VALUE_LOSS, CLIPFRAC, RESPONSE_LENGTH, STEP_SECONDS)
"""Every metric a reader outside the trainer relies on."""

GROUP_NAMES = {
    KL: "kl",
    ENTROPY: "entropy",
    REWARD_MEAN: "reward",
    REWARD_STD: "reward_std",
    TOXICITY_MEAN: "toxicity",
    POLICY_LOSS: "loss",
    CLIPFRAC: "clip_ratio",
    RESPONSE_LENGTH: "completions/mean_length",
    STEP_SECONDS: STEP_SECONDS,
    PEAK_MEMORY: PEAK_MEMORY,
}
"""PPO's name -> the name an RLOO or GRPO step writes for the same quantity (TRL's GRPO and RLOO
trainers' names; `toxicity` and the timings are ours). KL and entropy keep PPO's unit, nats per
summary, so that run-against-run charts compare like with like (TRL's GRPO logs a per-token
mean). Value loss, returns and the KL coefficient have no counterpart: those runs train no value
head and keep a fixed KL weight."""
GROUP_ONLY = ("frac_reward_zero_std",)
"""Written by RLOO and GRPO alone: the share of groups whose summaries all got the same reward
(no learning signal from them)."""


def value(row: dict, key: str) -> float | None:
    """The finite number a metrics row holds for `key` (PPO's name) under either algorithm's
    name; None when the row has none."""
    found = row.get(key, row.get(GROUP_NAMES.get(key, key)))
    if isinstance(found, bool) or not isinstance(found, (int, float)) or not math.isfinite(found):
        return None
    return float(found)

QUALITY = (("rouge1", "ROUGE-1"), ("rouge2", "ROUGE-2"), ("rougeL", "ROUGE-L"), ("on_topic", "on-topic share"),
           ("length_mean", "words"), ("degenerate_share", "degenerate"), ("distinct_1", "distinct-1"),
           ("distinct_2", "distinct-2"))
"""Summary quality as engine.evaluation.quality writes it, with its column labels: the evaluate
CLI, the Evaluate tab and the model card show these columns in this order (those present)."""
