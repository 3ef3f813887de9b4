"""PPO for encoder-decoder policies, with TRL v0.11's classic semantics and metric names.

One step (`PPOTrainer.step`) reads like the algorithm:
  1. rollout       one batched `generate`, each response truncated to its own drawn length
  2. score         the reward model reads the decoded responses (`nothate` logit by default: model.reward_label)
  3. forward       old log-probs and values (policy), reference log-probs (LoRA disabled)
  4. rewards       -kl_coef * (logp - ref_logp) per token, plus the score on the last token
  5. advantages    GAE over response tokens, returns = advantages + values, whitened advantages
  6. update        `ppo_epochs` passes of clipped policy and value losses over minibatches
  7. stats         one flat dict of floats per step
References: PPO https://arxiv.org/abs/1707.06347, GAE https://arxiv.org/abs/1506.02438,
KL-shaped rewards and the adaptive controller https://arxiv.org/abs/1909.08593,
TRL v0.11 `trl/core.py` and `trl/trainer/ppo_trainer.py`.

Shapes: B = batch (this process's share), T_enc = prompt tokens, T = response tokens
(the decoder start token is position 0 of `response_ids`, which has T + 1 columns).
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from typing import Callable

import torch

from engine.config import Config

# --- pure helpers (tested against plain torch in tests/test_ppo_core.py) -------------------


def masked_mean(values: torch.Tensor, mask: torch.Tensor, dim: int | None = None) -> torch.Tensor:
    if dim is None:
        return (values * mask).sum() / mask.sum()
    return (values * mask).sum(dim) / mask.sum(dim)


def masked_var(values: torch.Tensor, mask: torch.Tensor, unbiased: bool = True) -> torch.Tensor:
    mean = masked_mean(values, mask)
    var = masked_mean((values - mean) ** 2, mask)
    if unbiased:
        n = mask.sum()
        if n < 2:
            raise ValueError("masked_var needs at least two unmasked elements for the unbiased variance")
        var = var * n / (n - 1)
    return var


def masked_whiten(values: torch.Tensor, mask: torch.Tensor, shift_mean: bool = True) -> torch.Tensor:
    """(x - mean) / std over the unmasked elements; masked elements come out as garbage, mask them."""
    mean, var = masked_mean(values, mask), masked_var(values, mask)
    whitened = (values - mean) * torch.rsqrt(var + 1e-8)
    return whitened if shift_mean else whitened + mean


def logprobs_from_logits(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """log softmax(logits)[labels] without materialising the (B, T, V) log-softmax in fp32 twice."""
    logits = logits.float()  # (B, T, V)
    picked = logits.gather(-1, labels.unsqueeze(-1)).squeeze(-1)  # (B, T)
    return picked - torch.logsumexp(logits, dim=-1)


def kl_penalized_rewards(scores: torch.Tensor, logprobs: torch.Tensor, ref_logprobs: torch.Tensor,
                         mask: torch.Tensor, kl_coef: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token rewards: -kl_coef * (logp - ref_logp) everywhere, + score on the last real token."""
    kl = (logprobs - ref_logprobs) * mask  # (B, T)
    rewards = -kl_coef * kl
    last = mask.sum(dim=1).long() - 1  # (B,) responses are right-padded
    rewards[torch.arange(len(scores), device=scores.device), last] += scores
    return rewards * mask, kl


def compute_gae(rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor,
                gamma: float, lam: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimation over right-padded sequences: (advantages, returns)."""
    values, rewards = values * mask, rewards * mask  # padding after the end contributes nothing
    T = rewards.shape[1]
    lastgaelam = torch.zeros_like(rewards[:, 0])
    advantages_reversed = []
    for t in reversed(range(T)):
        next_values = values[:, t + 1] if t < T - 1 else torch.zeros_like(values[:, 0])
        delta = rewards[:, t] + gamma * next_values - values[:, t]
        lastgaelam = delta + gamma * lam * lastgaelam
        advantages_reversed.append(lastgaelam)
    advantages = torch.stack(advantages_reversed[::-1], dim=1)  # (B, T)
    returns = advantages + values
    return advantages, returns


def ppo_losses(old_logprobs: torch.Tensor, old_values: torch.Tensor, logprobs: torch.Tensor,
               vpreds: torch.Tensor, mask: torch.Tensor, advantages: torch.Tensor, returns: torch.Tensor,
               cliprange: float, cliprange_value: float) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """Clipped surrogate policy loss and clipped value loss, as in TRL v0.11 `PPOTrainer.loss`."""
    vpred_clipped = torch.clamp(vpreds, old_values - cliprange_value, old_values + cliprange_value)
    vf_losses1 = (vpreds - returns) ** 2
    vf_losses2 = (vpred_clipped - returns) ** 2
    vf_loss = 0.5 * masked_mean(torch.max(vf_losses1, vf_losses2), mask)
    vf_clipfrac = masked_mean((vf_losses2 > vf_losses1).float(), mask)

    log_ratio = logprobs - old_logprobs
    ratio = torch.exp(log_ratio)
    pg_losses = -advantages * ratio
    pg_losses2 = -advantages * torch.clamp(ratio, 1.0 - cliprange, 1.0 + cliprange)
    pg_loss = masked_mean(torch.max(pg_losses, pg_losses2), mask)
    pg_clipfrac = masked_mean((pg_losses2 > pg_losses).float(), mask)
    # http://joschu.net/blog/kl-approx.html (the k2 estimator, as TRL)
    approx_kl = 0.5 * masked_mean(log_ratio ** 2, mask)
    stats = {
        "ppo/loss/policy": pg_loss.detach(),
        "ppo/loss/value": vf_loss.detach(),
        "ppo/policy/clipfrac": pg_clipfrac.detach(),
        "ppo/policy/approxkl": approx_kl.detach(),
        "ppo/val/vpred": masked_mean(vpreds, mask).detach(),
        "ppo/val/clipfrac": vf_clipfrac.detach(),
        "ppo/policy/ratio_max_dev": masked_max_abs(ratio - 1.0, mask).detach(),
    }
    return pg_loss, vf_loss, stats


def masked_max_abs(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return (values.abs() * mask).max()


class AdaptiveKLController:
    """Ziegler et al. 2019, sec. 2.2: nudge the KL weight so that the KL tracks `target`."""

    def __init__(self, init_kl_coef: float, target: float, horizon: int):
        self.value, self.target, self.horizon = init_kl_coef, target, horizon

    def update(self, current_kl: float, n_steps: int) -> None:
        proportional_error = max(-0.2, min(0.2, current_kl / self.target - 1))
        self.value *= 1 + proportional_error * n_steps / self.horizon


class FixedKLController:
    def __init__(self, kl_coef: float):
        self.value = kl_coef

    def update(self, current_kl: float, n_steps: int) -> None:
        pass


# --- rollout ---------------------------------------------------------------------------------


@dataclass
class Rollout:
    query_ids: torch.Tensor  # (B, T_enc) right-padded
    query_mask: torch.Tensor  # (B, T_enc)
    response_ids: torch.Tensor  # (B, T + 1) decoder start token first, pad after each end
    response_mask: torch.Tensor  # (B, T) 1 on generated tokens up to and including EOS or the cut
    queries: list[str]
    responses: list[str]


def pad_right(seqs: list[list[int]], pad_id: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s, dtype=torch.long)
        mask[i, : len(s)] = 1
    return ids.to(device), mask.to(device)


def response_mask_from(generated: torch.Tensor, lengths: torch.Tensor, eos_id: int) -> torch.Tensor:
    """1 on tokens up to and including the first EOS, and within each sample's drawn length.

    `generated` excludes the decoder start token: (B, L). `lengths`: (B,) drawn lengths.
    """
    L = generated.shape[1]
    positions = torch.arange(L, device=generated.device).unsqueeze(0)  # (1, L)
    is_eos = generated == eos_id
    first_eos = torch.where(is_eos.any(dim=1), is_eos.float().argmax(dim=1), torch.full_like(lengths, L))
    end = torch.minimum(first_eos + 1, lengths)  # (B,) number of kept tokens
    return (positions < end.unsqueeze(1)).long()


@torch.no_grad()
def generate_responses(model, tokenizer, query_ids: torch.Tensor, query_mask: torch.Tensor,
                       lengths: list[int], cfg: Config) -> tuple[torch.Tensor, torch.Tensor]:
    """All B responses in one batched `generate` (KV cache on), then cut to their own lengths."""
    g = cfg.generation
    out = model.generate(input_ids=query_ids, attention_mask=query_mask, do_sample=True, top_k=g.top_k,
                         top_p=g.top_p, min_length=g.min_length, max_new_tokens=max(lengths),
                         pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
                         use_cache=True)  # (B, 1 + L)
    lengths_t = torch.tensor(lengths, device=out.device)
    mask = response_mask_from(out[:, 1:], lengths_t, tokenizer.eos_token_id)  # (B, L)
    width = int(mask.sum(dim=1).max())
    mask = mask[:, :width]
    response_ids = out[:, : width + 1].clone()
    response_ids[:, 1:][mask == 0] = tokenizer.pad_token_id
    return response_ids, mask


def sample_rollout(policy, tokenizer, input_ids: list[list[int]], queries: list[str], lengths: list[int],
                   cfg: Config, device) -> Rollout:
    """Pad the prompts, sample one response each (cut to its own length), decode them."""
    query_ids, query_mask = pad_right(input_ids, tokenizer.pad_token_id, device)
    response_ids, response_mask = generate_responses(policy.model, tokenizer, query_ids, query_mask, lengths, cfg)
    responses = tokenizer.batch_decode(response_ids[:, 1:], skip_special_tokens=True)
    return Rollout(query_ids, query_mask, response_ids, response_mask.float(), list(queries), responses)


class LengthSampler:
    """Uniform integer lengths in [low, high), from its own seeded generator."""

    def __init__(self, low: int, high: int, seed: int):
        self.low, self.high, self.rng = low, high, random.Random(seed)

    def __call__(self, n: int) -> list[int]:
        return [self.rng.randrange(self.low, self.high) for _ in range(n)]


# --- forward passes --------------------------------------------------------------------------


def policy_forward(model, query_ids, query_mask, response_ids) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-probs of the response tokens and values at each of them: (B, T), (B, T)."""
    logits, values = model(query_ids, query_mask, response_ids[:, :-1])  # (B, T, V), (B, T)
    return logprobs_from_logits(logits, response_ids[:, 1:]), values


def reference_logprobs(policy, query_ids, query_mask, response_ids) -> torch.Tensor:
    with policy.reference():
        logits = policy.model(input_ids=query_ids, attention_mask=query_mask,
                              decoder_input_ids=response_ids[:, :-1], use_cache=False).logits
    return logprobs_from_logits(logits, response_ids[:, 1:])  # (B, T)


# --- the trainer -----------------------------------------------------------------------------

ScoreFn = Callable[[list[str], list[str], torch.Tensor], tuple[torch.Tensor, torch.Tensor | None]]
"""(queries, responses, response_ids) -> (scores (B,), toxicity (B,) or None)."""


class NonFiniteError(RuntimeError):
    """A loss or reward became NaN or infinite: the run cannot go on."""


class OnlineTrainer:
    """What every algorithm's trainer shares: the accelerator, the seeds, the length sampler, the
    optimizer over the trainable (LoRA, and PPO's value head) weights, scoring and minibatches."""

    def __init__(self, cfg: Config, policy, tokenizer, score_fn: ScoreFn, accelerator=None):
        from accelerate import Accelerator

        self.cfg, self.tokenizer, self.score_fn, self.policy = cfg, tokenizer, score_fn, policy
        self.device = policy.device
        self.accelerator = accelerator or Accelerator(cpu=self.device.type == "cpu")
        p, world, rank = cfg.ppo, self.accelerator.num_processes, self.accelerator.process_index
        self.check_divisible(world)
        self.batch_size, self.mini_batch_size = p.batch_size // world, p.mini_batch_size // world
        torch.manual_seed(p.seed + rank)  # generate() samples from torch's global generator
        self.perm_generator = torch.Generator().manual_seed(p.seed + rank)
        self.length_sampler = LengthSampler(cfg.generation.output_min_length,
                                            cfg.generation.output_max_length, p.seed + rank)
        trainable = [t for t in policy.parameters() if t.requires_grad]
        optimizer = torch.optim.Adam(trainable, lr=p.learning_rate)
        self.model, self.optimizer = self.accelerator.prepare(policy, optimizer)
        self.step_count = 0

    def check_divisible(self, world: int) -> None:
        p = self.cfg.ppo
        if p.batch_size % world or p.mini_batch_size % world:
            raise ValueError(f"batch size ({p.batch_size}) and mini-batch size ({p.mini_batch_size}) "
                             f"must be divisible by the number of processes ({world})")

    def score(self, r: Rollout) -> tuple[torch.Tensor, torch.Tensor | None]:
        scores, toxicity = self.score_fn(r.queries, r.responses, r.response_ids)
        return scores.to(self.device, torch.float32), toxicity

    def plan_minibatches(self, n: int) -> list[list[torch.Tensor]]:
        """Each epoch's minibatches of sample indices: a fresh permutation per epoch."""
        return [torch.randperm(n, generator=self.perm_generator).split(self.mini_batch_size)
                for _ in range(self.cfg.ppo.ppo_epochs)]

    def optimizer_step(self, loss: torch.Tensor) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        self.accelerator.backward(loss)  # DDP averages the gradients over processes here
        if self.cfg.ppo.max_grad_norm > 0:
            self.accelerator.clip_grad_norm_(self.model.parameters(), self.cfg.ppo.max_grad_norm)
        self.optimizer.step()


class PPOTrainer(OnlineTrainer):
    def __init__(self, cfg: Config, policy, tokenizer, score_fn: ScoreFn, accelerator=None):
        super().__init__(cfg, policy, tokenizer, score_fn, accelerator)
        p = cfg.ppo
        self.kl_ctl = (AdaptiveKLController(p.init_kl_coef, p.target, p.horizon) if p.adap_kl_ctrl
                       else FixedKLController(p.init_kl_coef))

    # 1. rollout
    def rollout(self, input_ids: list[list[int]], queries: list[str]) -> Rollout:
        return sample_rollout(self.policy, self.tokenizer, input_ids, queries, self.length_sampler(len(input_ids)),
                              self.cfg, self.device)

    # 2. score: OnlineTrainer.score

    # 3. forward passes, chunked exactly as the first epoch's minibatches so that the first
    #    minibatch repeats the same computation bit for bit: its ratio is exactly 1
    @torch.no_grad()
    def forward_passes(self, r: Rollout, minibatches: list[torch.Tensor]):
        logprobs = torch.zeros_like(r.response_mask)
        ref_logprobs, values = torch.zeros_like(logprobs), torch.zeros_like(logprobs)
        for mb in minibatches:
            args = (r.query_ids[mb], r.query_mask[mb], r.response_ids[mb])
            logprobs[mb], values[mb] = policy_forward(self.model, *args)
            ref_logprobs[mb] = self.reference_logprobs(*args)
        return logprobs, ref_logprobs, values

    def reference_logprobs(self, query_ids, query_mask, response_ids) -> torch.Tensor:
        """The reference's log-probs: the policy with its LoRA off, one copy of the weights. A
        hook: bench/step.py puts a second full copy here to measure what the single copy saves."""
        return reference_logprobs(self.policy, query_ids, query_mask, response_ids)  # (B, T)

    # 6. update
    def update(self, r: Rollout, old_logprobs, old_values, advantages, returns,
               epochs: list[list[torch.Tensor]]) -> list[dict]:
        p = self.cfg.ppo
        mask = r.response_mask
        minibatch_stats = []
        for minibatches in epochs:
            for mb in minibatches:
                logprobs, vpreds = policy_forward(self.model, r.query_ids[mb], r.query_mask[mb], r.response_ids[mb])
                pg_loss, vf_loss, stats = ppo_losses(old_logprobs[mb], old_values[mb], logprobs, vpreds, mask[mb],
                                                     advantages[mb], returns[mb], p.cliprange, p.cliprange_value)
                loss = pg_loss + p.vf_coef * vf_loss  # finiteness is checked once, in the stats (no sync here)
                self.optimizer_step(loss)
                stats["ppo/loss/total"] = loss.detach()
                minibatch_stats.append(stats)
        return minibatch_stats

    def step(self, input_ids: list[list[int]], queries: list[str]) -> tuple[dict, Rollout, torch.Tensor]:
        """One PPO step over this process's share of the batch: (stats, rollout, scores)."""
        p = self.cfg.ppo
        t0 = time.perf_counter()
        rollout = self.rollout(input_ids, queries)
        t1 = time.perf_counter()
        scores, toxicity = self.score(rollout)
        t2 = time.perf_counter()
        epochs = self.plan_minibatches(len(input_ids))
        logprobs, ref_logprobs, values = self.forward_passes(rollout, epochs[0])
        t3 = time.perf_counter()
        kl_coef = self.kl_ctl.value
        mask = rollout.response_mask
        rewards, kl = kl_penalized_rewards(scores, logprobs, ref_logprobs, mask, kl_coef)
        advantages, returns = compute_gae(rewards, values, mask, p.gamma, p.lam)
        advantages = masked_whiten(advantages, mask).detach()
        minibatch_stats = self.update(rollout, logprobs, values, advantages, returns, epochs)
        self.last_minibatch_stats = minibatch_stats  # per-minibatch detail, for tests and debugging
        t4 = time.perf_counter()

        stats = self.collect_stats(scores, toxicity, kl, logprobs, mask, returns, advantages,
                                   minibatch_stats, kl_coef)
        self.kl_ctl.update(stats["objective/kl"], p.batch_size)
        self.step_count += 1
        stats.update({"time/rollout": t1 - t0, "time/score": t2 - t1, "time/forward": t3 - t2,
                      "time/update": t4 - t3, "time/step": time.perf_counter() - t0, "step": self.step_count})
        return stats, rollout, scores

    # 7. stats: means over this process's samples, then averaged over processes
    def collect_stats(self, scores, toxicity, kl, logprobs, mask, returns, advantages,
                      minibatch_stats: list[dict], kl_coef: float) -> dict:
        local = {
            "objective/kl": kl.sum(dim=1).mean(),
            "objective/entropy": (-logprobs * mask).sum(dim=1).mean(),
            "ppo/mean_scores": scores.mean(),
            "ppo/returns/mean": masked_mean(returns, mask),
            "ppo/policy/advantages_mean": masked_mean(advantages, mask),
            "env/reward_mean": scores.mean(),
            "env/reward_std": scores.std() if len(scores) > 1 else torch.zeros((), device=scores.device),
            "env/toxicity_mean": (toxicity.float().mean() if toxicity is not None
                                  else torch.tensor(float("nan"))),
            "tokens/response_len_mean": mask.sum(dim=1).mean(),
        }
        for key in minibatch_stats[0]:
            reduce = torch.max if key == "ppo/policy/ratio_max_dev" else torch.mean
            local[key] = reduce(torch.stack([s[key].float() for s in minibatch_stats]))
        keys = list(local)
        vector = torch.stack([local[k].float().to(self.device) for k in keys])
        if self.accelerator.num_processes > 1:
            vector = self.accelerator.reduce(vector, reduction="mean")
        stats = {k: float(v) for k, v in zip(keys, vector.tolist())}
        stats["objective/kl_coef"] = float(kl_coef)
        broken = [k for k in ("env/reward_mean", "objective/kl", "ppo/loss/policy", "ppo/loss/value")
                  if not math.isfinite(stats[k])]
        if broken:
            raise NonFiniteError(f"step {self.step_count + 1}: {', '.join(broken)} became non-finite "
                                 f"({', '.join(f'{k}={stats[k]}' for k in broken)}); try a lower learning rate")
        # the toxicity of a custom score_fn may be absent: JSON has no NaN, it becomes null
        return {k: (None if math.isnan(v) else v) for k, v in stats.items()}
