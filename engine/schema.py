"""The names of the metrics a PPO step writes (one row of metrics.jsonl), TRL's classic names.

The trainer writes them (engine/ppo.py); the health alerts, the charts, the run listing and the
model card read them through these constants, so a renamed metric is renamed everywhere or
fails a test (tests/test_ppo.py checks that a real step writes every one). Pure standard
library: `engine.runs` imports it without torch.
"""

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

READ_BY_THE_DASHBOARD = (KL, KL_COEF, ENTROPY, REWARD_MEAN, REWARD_STD, TOXICITY_MEAN, RETURNS_MEAN,
                         POLICY_LOSS, VALUE_LOSS, CLIPFRAC, RESPONSE_LENGTH, STEP_SECONDS)
"""Every metric a reader outside the trainer relies on."""

QUALITY = (("rouge1", "ROUGE-1"), ("rouge2", "ROUGE-2"), ("rougeL", "ROUGE-L"), ("on_topic", "on-topic share"),
           ("length_mean", "words"), ("degenerate_share", "degenerate"), ("distinct_1", "distinct-1"),
           ("distinct_2", "distinct-2"))
"""Summary quality as engine.evaluation.quality writes it, with its column labels: the evaluate
CLI, the Evaluate tab and the model card show these columns in this order (those present)."""
