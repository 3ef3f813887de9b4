"""RLOO and GRPO for encoder-decoder policies: group baselines instead of a value head.

One step (`GroupTrainer.step`) reads like the algorithm:
  1. rollout       each prompt of the step k = samples_per_prompt times, in one batched `generate`
                   (engine.ppo's rollout: each summary cut to its own drawn length)
  2. score         the reward model reads the decoded summaries (`nothate` logit by default: model.reward_label)
  3. forward       old log-probs (policy) and reference log-probs (LoRA off); no values
  4. advantages    one number per summary, from its group of k:
                     RLOO  r_i = score_i - beta * KL_i,  A_i = r_i - mean_{j != i} r_j
                     GRPO  A_i = (score_i - mean_j score_j) / (std_j score_j + 1e-4)
  5. update        `ppo_epochs` passes over minibatches of the clipped surrogate, normalised over
                   the minibatch's tokens (TRL's default `loss_type="dapo"`):
                     L = sum_t max(-A ratio_t, -A clip(ratio_t, 1 - eps, 1 + eps)) / n_tokens
                   GRPO adds beta * k3_t to each token's loss,
                     k3_t = exp(ref_t - logp_t) - (ref_t - logp_t) - 1
  6. stats         one flat dict, under TRL's GRPO and RLOO trainers' names (engine.schema)
References: RLOO https://arxiv.org/abs/2402.14740 (Ahmadian et al. 2024), GRPO
https://arxiv.org/abs/2402.03300 (Shao et al. 2024, sec. 4.1), the k3 estimator
http://joschu.net/blog/kl-approx.html, DAPO's token-level normalisation
https://arxiv.org/abs/2503.14476, TRL's `GRPOTrainer` (`scale_rewards="group"`, `loss_type="dapo"`)
and `RLOOTrainer` (KL in the sequence reward).

The k summaries of a prompt are consecutive rows and stay on one process: a process takes whole
prompts of the step (engine.train) and repeats each k times here, so a group is never split.
Shapes: B = this process's summaries (prompts x k), T = response tokens.
"""

from __future__ import annotations

import math
import time

import torch

from engine.config import Config
from engine.ppo import (NonFiniteError, OnlineTrainer, Rollout, ScoreFn, logprobs_from_logits, masked_max_abs,
                        masked_mean, reference_logprobs, sample_rollout)

# --- pure helpers (tested against hand-computed groups in tests/test_rloo_grpo.py) -----------


def rloo_advantages(rewards: torch.Tensor, k: int) -> torch.Tensor:
    """(B,) rewards in consecutive groups of k -> each minus the mean of the other k - 1."""
    grouped = rewards.view(-1, k)  # (B / k, k)
    others_mean = (grouped.sum(dim=1, keepdim=True) - grouped) / (k - 1)
    return (grouped - others_mean).flatten()  # (B,)


def grpo_advantages(scores: torch.Tensor, k: int, eps: float = 1e-4) -> torch.Tensor:
    """(B,) scores in consecutive groups of k -> (score - group mean) / (group std + eps), the
    std unbiased as torch's and TRL's `scale_rewards="group"`; a group of equal scores gets 0."""
    grouped = scores.view(-1, k)  # (B / k, k)
    mean, std = grouped.mean(dim=1, keepdim=True), grouped.std(dim=1, keepdim=True)
    return ((grouped - mean) / (std + eps)).flatten()  # (B,)


def k3_kl(logprobs: torch.Tensor, ref_logprobs: torch.Tensor) -> torch.Tensor:
    """Per-token k3 estimate of KL(policy || reference): unbiased and never negative."""
    log_ratio = ref_logprobs - logprobs  # (B, T)
    return torch.exp(log_ratio) - log_ratio - 1


def clipped_surrogate(logprobs: torch.Tensor, old_logprobs: torch.Tensor, advantages: torch.Tensor,
                      mask: torch.Tensor, cliprange: float, ref_logprobs: torch.Tensor | None = None,
                      beta: float = 0.0) -> tuple[torch.Tensor, dict]:
    """The token-normalised clipped surrogate (plus beta * k3 when `ref_logprobs` is given: GRPO).
    `advantages` is one number per sequence, (B,)."""
    ratio = torch.exp(logprobs - old_logprobs)  # (B, T)
    adv = advantages.unsqueeze(1)  # (B, 1): every token of a summary shares its advantage
    pg_losses = -adv * ratio
    pg_losses2 = -adv * torch.clamp(ratio, 1.0 - cliprange, 1.0 + cliprange)
    per_token = torch.max(pg_losses, pg_losses2)
    if ref_logprobs is not None:
        per_token = per_token + beta * k3_kl(logprobs, ref_logprobs)
    loss = masked_mean(per_token, mask)  # DAPO: over all tokens of the minibatch
    stats = {"clip_ratio": masked_mean((pg_losses2 > pg_losses).float(), mask).detach(),
             "ratio_max_dev": masked_max_abs(ratio - 1.0, mask).detach()}
    return loss, stats


# --- the trainer -----------------------------------------------------------------------------


class GroupTrainer(OnlineTrainer):
    """RLOO or GRPO (cfg.ppo.algorithm), with the same interface as engine.ppo.PPOTrainer."""

    def __init__(self, cfg: Config, policy, tokenizer, score_fn: ScoreFn, accelerator=None):
        p = cfg.ppo
        if p.algorithm not in ("rloo", "grpo"):
            raise ValueError(f"GroupTrainer runs rloo or grpo, not {p.algorithm}")
        self.algorithm, self.k, self.beta = p.algorithm, p.samples_per_prompt, p.beta
        super().__init__(cfg, policy, tokenizer, score_fn, accelerator)

    def check_divisible(self, world: int) -> None:
        p = self.cfg.ppo
        prompts = p.batch_size // p.samples_per_prompt
        if prompts % world or p.mini_batch_size % world:
            raise ValueError(f"the {prompts} prompts of a step ({p.batch_size} summaries, {p.samples_per_prompt} per "
                             f"prompt) and the mini-batch size ({p.mini_batch_size}) must be divisible by the "
                             f"number of processes ({world}): a group of summaries is never split")

    # 1. rollout: k summaries of each prompt, as consecutive rows
    def rollout(self, input_ids: list[list[int]], queries: list[str]) -> Rollout:
        input_ids = [ids for ids in input_ids for _ in range(self.k)]
        queries = [q for q in queries for _ in range(self.k)]
        return sample_rollout(self.policy, self.tokenizer, input_ids, queries, self.length_sampler(len(input_ids)),
                              self.cfg, self.device)

    # 2. score: OnlineTrainer.score

    # 3. forward passes, chunked as the first epoch's minibatches: its first ratio is exactly 1
    @torch.no_grad()
    def forward_passes(self, r: Rollout, minibatches: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        logprobs, ref_logprobs = torch.zeros_like(r.response_mask), torch.zeros_like(r.response_mask)
        for mb in minibatches:
            args = (r.query_ids[mb], r.query_mask[mb], r.response_ids[mb])
            logprobs[mb] = self.logprobs(*args)
            ref_logprobs[mb] = reference_logprobs(self.policy, *args)
        return logprobs, ref_logprobs  # (B, T), (B, T)

    def logprobs(self, query_ids, query_mask, response_ids) -> torch.Tensor:
        logits = self.model(query_ids, query_mask, response_ids[:, :-1])  # (B, T, V)
        return logprobs_from_logits(logits, response_ids[:, 1:])  # (B, T)

    # 4. advantages
    def advantages(self, scores: torch.Tensor, kl: torch.Tensor) -> torch.Tensor:
        """(B,) from the scores (B,) and the per-summary KL (B,)."""
        if self.algorithm == "rloo":
            return rloo_advantages(scores - self.beta * kl, self.k)  # KL in the sequence reward
        return grpo_advantages(scores, self.k)  # KL in the loss instead

    # 5. update
    def update(self, r: Rollout, old_logprobs, ref_logprobs, advantages, epochs: list[list[torch.Tensor]]) -> list[dict]:
        p = self.cfg.ppo
        in_loss = self.algorithm == "grpo"
        minibatch_stats = []
        for minibatches in epochs:
            for mb in minibatches:
                logprobs = self.logprobs(r.query_ids[mb], r.query_mask[mb], r.response_ids[mb])
                loss, stats = clipped_surrogate(logprobs, old_logprobs[mb], advantages[mb], r.response_mask[mb],
                                                p.cliprange, ref_logprobs[mb] if in_loss else None, self.beta)
                self.optimizer_step(loss)
                stats["loss"] = loss.detach()
                minibatch_stats.append(stats)
        return minibatch_stats

    def step(self, input_ids: list[list[int]], queries: list[str]) -> tuple[dict, Rollout, torch.Tensor]:
        """One step over this process's prompts (each sampled k times): (stats, rollout, scores)."""
        t0 = time.perf_counter()
        rollout = self.rollout(input_ids, queries)
        t1 = time.perf_counter()
        scores, toxicity = self.score(rollout)
        t2 = time.perf_counter()
        epochs = self.plan_minibatches(len(rollout.responses))
        logprobs, ref_logprobs = self.forward_passes(rollout, epochs[0])
        t3 = time.perf_counter()
        mask = rollout.response_mask
        kl = ((logprobs - ref_logprobs) * mask).sum(dim=1)  # (B,) nats per summary, as PPO's objective/kl
        advantages = self.advantages(scores, kl).detach()
        minibatch_stats = self.update(rollout, logprobs, ref_logprobs, advantages, epochs)
        self.last_minibatch_stats = minibatch_stats  # per-minibatch detail, for tests and debugging
        t4 = time.perf_counter()

        stats = self.collect_stats(scores, toxicity, kl, logprobs, mask, advantages, minibatch_stats)
        self.step_count += 1
        stats.update({"time/rollout": t1 - t0, "time/score": t2 - t1, "time/forward": t3 - t2,
                      "time/update": t4 - t3, "time/step": time.perf_counter() - t0, "step": self.step_count})
        return stats, rollout, scores

    # 6. stats: means over this process's summaries, then averaged over processes
    def collect_stats(self, scores, toxicity, kl, logprobs, mask, advantages, minibatch_stats: list[dict]) -> dict:
        grouped = scores.view(-1, self.k)  # (B / k, k)
        group_std = grouped.std(dim=1)
        local = {
            "reward": scores.mean(),
            "reward_std": group_std.mean(),  # TRL: the mean of the groups' stds
            "frac_reward_zero_std": (group_std == 0).float().mean(),
            "kl": kl.mean(),
            "entropy": (-logprobs * mask).sum(dim=1).mean(),
            "toxicity": toxicity.float().mean() if toxicity is not None else torch.tensor(float("nan")),
            "advantages_mean": advantages.mean(),
            "completions/mean_length": mask.sum(dim=1).mean(),
            "clip_ratio": torch.stack([s["clip_ratio"] for s in minibatch_stats]).mean(),
            "loss": torch.stack([s["loss"] for s in minibatch_stats]).mean(),
        }
        keys = list(local)
        vector = torch.stack([local[k].float().to(self.device) for k in keys])
        if self.accelerator.num_processes > 1:
            vector = self.accelerator.reduce(vector, reduction="mean")
        stats = {k: float(v) for k, v in zip(keys, vector.tolist())}
        stats["beta"] = self.beta
        broken = [k for k in ("reward", "kl", "loss") if not math.isfinite(stats[k])]
        if broken:
            raise NonFiniteError(f"step {self.step_count + 1}: {', '.join(broken)} became non-finite "
                                 f"({', '.join(f'{k}={stats[k]}' for k in broken)}); try a lower learning rate")
        return {k: (None if math.isnan(v) else v) for k, v in stats.items()}
