"""Health alerts: plain-language warnings about a PPO run, computed from its metric rows and
its held-out evaluation rows (eval.jsonl).

A pure function of the rows, so the Train tab (for display) and the runner (for auto-stop)
agree, and tests can feed it hand-made rows.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Iterable

from engine.config import shown
from engine.runs import STALL_FACTOR, STALL_MIN_S, stall_seconds, stall_warning
from engine import schema
from engine.judges import REWARD_JUDGE

KL, REWARD, ENTROPY, LENGTH = schema.KL, schema.REWARD_MEAN, schema.ENTROPY, schema.RESPONSE_LENGTH


@dataclass(frozen=True)
class Thresholds:
    kl_max: float = 20.0
    """KL (nats per response) above which the policy has drifted too far from the reference."""
    kl_min: float = -1.0
    """The KL estimate may dip a little below 0 from sampling noise; below this it is a symptom
    (TRL warns at the same level)."""
    reward_drop: float = 2.0
    """How far (in reward units, nothate logits) the recent mean reward may fall below its best."""
    entropy_fraction: float = 0.1
    """Entropy below this fraction of its starting level counts as collapsed."""
    window: int = 3
    """Steps averaged for the reward and entropy checks, so one noisy step does not alert."""
    reward_rise: float = 1.0
    """A rise of the mean reward (nothate logits, last window against the first) that counts as
    "the reward is rising" for the reward-gaming check."""
    judge_fall: float = 0.1
    """Once the reward has risen, held-out toxicity by each independent judge should have fallen
    by at least this fraction of its step-0 value; if not, the policy may be gaming the reward."""
    collapse_fraction: float = 0.5
    """Summary length or distinct-2 below this fraction of its starting value: collapsing."""
    on_topic_drop: float = 0.15
    """Held-out on-topic share (the share of a summary's content words found in its dialogue) this
    far below its step-0 value: the summaries are drifting away from what they summarize."""
    stall_min_s: float = STALL_MIN_S
    """A running run silent for this long, and for stall_factor of its own step time, is stalled."""
    stall_factor: float = STALL_FACTOR

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Thresholds:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in known and v is not None})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def with_kl_max(cls, kl_max: Any) -> Thresholds:
        """The alert levels with the KL limit typed in the Train tab (empty: the default)."""
        if kl_max is None or kl_max == "":
            return cls()
        if isinstance(kl_max, bool) or not isinstance(kl_max, (int, float)) or not 0 < kl_max < math.inf:
            raise ValueError(f"the KL alert level must be a positive number, got {shown(kl_max)}")
        return cls(kl_max=float(kl_max))


@dataclass(frozen=True)
class Alert:
    kind: str
    """stalled, kl_negative, kl_high, reward_collapse, entropy_collapse, reward_gaming,
    summary_collapse or drift."""
    level: str
    """"error" (the run is broken) or "warning" (the run is going somewhere bad)."""
    step: int | None
    message: str


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _points(rows: list[dict], key: str) -> list[tuple[int | None, float]]:
    return [(row.get("step"), v) for row in rows if (v := schema.value(row, key)) is not None]


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values)


def kl_alerts(rows: list[dict], t: Thresholds) -> Alert | None:
    points = _points(rows, KL)
    if not points:
        return None
    step, kl = points[-1]
    if kl < t.kl_min:
        return Alert("kl_negative", "warning", step,
                     f"KL went negative ({kl:.2f} at step {step}). A true KL cannot be below 0; a "
                     "negative estimate means the tuned model samples text it finds less likely "
                     "than the reference does, which usually points at generation settings "
                     "(top-k, top-p, minimum length) that let it dodge the KL penalty.")
    if kl > t.kl_max:
        return Alert("kl_high", "warning", step,
                     f"KL is {kl:.1f} at step {step}, above the alert level of {t.kl_max:g}: the "
                     "tuned model has drifted far from the reference and may be gaming the reward "
                     "with odd text. Lower the learning rate or raise the KL coefficient.")
    return None


def reward_collapse(rows: list[dict], t: Thresholds) -> Alert | None:
    points = _points(rows, REWARD)
    w = max(1, t.window)
    if len(points) < 2 * w:
        return None
    values = [v for _, v in points]
    window_means = [_mean(values[i:i + w]) for i in range(len(values) - w + 1)]
    best, current = max(window_means[:-1]), window_means[-1]
    if best - current <= t.reward_drop:
        return None
    return Alert("reward_collapse", "warning", points[-1][0],
                 f"The reward collapsed: its mean over the last {w} steps is {current:.2f}, down "
                 f"from {best:.2f}. The policy is getting worse at what it is rewarded for; a "
                 "learning rate that is too high is the usual cause.")


def entropy_collapse(rows: list[dict], t: Thresholds) -> Alert | None:
    points = _points(rows, ENTROPY)
    w = max(1, t.window)
    if len(points) <= w:
        return None
    start = _mean(v for _, v in points[:w])
    step, current = points[-1]
    if start <= 0 or current >= t.entropy_fraction * start:
        return None
    return Alert("entropy_collapse", "warning", step,
                 f"Entropy collapsed from {start:.1f} to {current:.1f} at step {step}: the model "
                 "now picks nearly the same words every time, so its summaries will be "
                 "repetitive. Lower the learning rate or raise the KL coefficient.")


JUDGE_FLOOR = 0.05
"""A judge whose held-out toxicity starts below this has nothing to fall from: not checked."""
MIN_EVALS = 3
"""Held-out rows needed (step 0 and two more) before the held-out checks speak."""


def _held_out(eval_rows: list[dict], key: str) -> list[tuple[int | None, float]]:
    return [(row.get("step"), float(row[key])) for row in eval_rows if _finite(row.get(key))]


def reward_gaming(rows: list[dict], eval_rows: list[dict], t: Thresholds) -> Alert | None:
    """The reward rises while an independent judge's held-out toxicity does not fall. The last
    two held-out rows are averaged: a few prompts, one sample each, are noisy."""
    points = _points(rows, REWARD)
    w = max(1, t.window)
    if len(points) < 2 * w or len(eval_rows) < MIN_EVALS:
        return None
    values = [v for _, v in points]
    rise = _mean(values[-w:]) - _mean(values[:w])
    if rise < t.reward_rise:
        return None
    start, recent = eval_rows[0].get("toxicity") or {}, [r.get("toxicity") or {} for r in eval_rows[-2:]]
    stuck = []
    for name, first in start.items():
        now = [r.get(name) for r in recent]
        if name == REWARD_JUDGE or not _finite(first) or first < JUDGE_FLOOR or not all(_finite(v) for v in now):
            continue
        if _mean(now) > (1 - t.judge_fall) * first:
            stuck.append(f"{name} {first:.2f} at step {eval_rows[0].get('step')}, {_mean(now):.2f} now")
    if not stuck:
        return None
    step = eval_rows[-1].get("step")
    return Alert("reward_gaming", "warning", step,
                 f"The reward rose by {rise:.1f} but held-out toxicity by an independent judge did "
                 f"not fall ({'; '.join(stuck)}): the policy may be pleasing the reward model without "
                 "becoming less toxic. Read the held-out summaries before trusting the reward curve.")


def summary_collapse(rows: list[dict], eval_rows: list[dict], t: Thresholds) -> Alert | None:
    """Summaries getting much shorter or much more repetitive than they started."""
    w = max(1, t.window)
    checks = []
    if len(eval_rows) >= MIN_EVALS:
        checks += [("held-out summaries average", _held_out(eval_rows, "length_mean"), "words", 1),
                   ("held-out distinct-2 is", _held_out(eval_rows, "distinct_2"), "", 1)]
    checks.append(("responses average", _points(rows, LENGTH), "tokens", w))
    for what, points, unit, n in checks:
        if len(points) <= n:
            continue
        start, now = _mean(v for _, v in points[:n]), _mean(v for _, v in points[-n:])
        if start > 0 and now < t.collapse_fraction * start:
            return Alert("summary_collapse", "warning", points[-1][0],
                         f"The summaries are collapsing: {what} {now:.2f}{' ' + unit if unit else ''} at step "
                         f"{points[-1][0]}, down from {start:.2f}. The policy is finding a shortcut "
                         "(short or repeated text) instead of better summaries. Lower the learning rate or "
                         "raise the KL coefficient.")
    return None


def drift(eval_rows: list[dict], t: Thresholds) -> Alert | None:
    """Held-out summaries whose words come less and less from their dialogues: reward
    over-optimisation that ROUGE against references can miss (a fluent polite story about
    something else). The last two held-out rows are averaged, as for reward gaming."""
    points = _held_out(eval_rows, "on_topic")
    if len(points) < MIN_EVALS:
        return None
    start, now = points[0][1], _mean(v for _, v in points[-2:])
    if start - now < t.on_topic_drop:
        return None
    return Alert("drift", "warning", points[-1][0],
                 f"The summaries are drifting away from their dialogues: {100 * now:.0f}% of their content "
                 f"words occur in the dialogue they summarize at step {points[-1][0]}, down from "
                 f"{100 * start:.0f}% at step {points[0][0]}. The policy is writing what the reward model "
                 "likes rather than what was said. Read the held-out summaries; lower the learning rate or "
                 "raise the KL coefficient.")


def stalled(rows: list[dict], status: dict | None, t: Thresholds, now: float | None = None) -> Alert | None:
    """A running trainer that stopped showing signs of life (engine.runs.stall_seconds)."""
    quiet = stall_seconds(status or {}, rows, now, t.stall_min_s, t.stall_factor)
    if quiet is None:
        return None
    return Alert("stalled", "error", (status or {}).get("step"), f"The run is stalled: {stall_warning(quiet, rows)}.")


def check(rows: list[dict], thresholds: Thresholds | None = None, eval_rows: list[dict] = (),
          status: dict | None = None, now: float | None = None) -> list[Alert]:
    """Every alert that applies to the run's rows (and its status, for a stall) now, errors first."""
    t = thresholds or Thresholds()
    eval_rows = list(eval_rows)
    found = [stalled(rows, status, t, now), kl_alerts(rows, t), reward_collapse(rows, t),
             entropy_collapse(rows, t), reward_gaming(rows, eval_rows, t), summary_collapse(rows, eval_rows, t),
             drift(eval_rows, t)]
    return sorted((a for a in found if a), key=lambda a: a.level != "error")
