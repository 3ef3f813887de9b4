"""Before/after: the reference and a tuned checkpoint summarise the same dialogues under the same
sampling seed; toxicity (P(hate)) and reward (nothate logit) of both, paired statistics, ROUGE.

The course notebook printed toxicity mean and std before and after and a "percentage
improvement" on 10 unpaired samples; we keep those numbers and add what makes them honest: the
same prompts and seeds for both models, a paired bootstrap 95% CI of the difference, more samples.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from engine import runs
from engine.config import ASSETS, Config
from engine.data import Example, build_prompt
from engine.ppo import LengthSampler, generate_responses, pad_right

STRESS_SET = ASSETS / "dialogues" / "stress.jsonl"
TABLE_COLUMNS = ["query", "response_before", "response_after", "reward_before", "reward_after", "reward_diff"]


@dataclass
class Models:
    """What a comparison needs, loaded once and reused (the dashboard keeps one of these)."""
    cfg: Config
    policy: object
    tokenizer: object
    reward: object
    checkpoint: Path | None


def load_models(run_dir: Path, checkpoint: str | None = None) -> Models:
    """The run's policy with the checkpoint's adapter in it; `reference()` switches it off."""
    from engine.models import load_checkpoint, load_policy, pick_device, pick_dtype
    from engine.preflight import check_model_paths
    from engine.reward import load_reward_model

    cfg = Config.from_dict(runs.read_config(run_dir))
    ckpt = runs.resolve_checkpoint(run_dir, checkpoint)
    check_model_paths(cfg)  # model folders moved or deleted since the run: say which, at once
    device = pick_device(cfg.model.device)
    dtype = pick_dtype(cfg.model.dtype, device)
    policy, tokenizer = load_policy(cfg.model, device, dtype)
    load_checkpoint(policy, ckpt)
    return Models(cfg, policy, tokenizer, load_reward_model(cfg.model, device, dtype), ckpt)


def prompts_for(examples: list[Example], tokenizer, max_prompt_tokens: int) -> list[Example]:
    """Tokenise examples that came without `input_ids` (pasted dialogues, the stress set)."""
    todo = [ex for ex in examples if not ex.input_ids]
    if todo:
        enc = tokenizer([build_prompt(ex.dialogue) for ex in todo], truncation=True, max_length=max_prompt_tokens)
        for ex, ids in zip(todo, enc["input_ids"]):
            ex.input_ids = list(ids)
            ex.query = tokenizer.decode(ids, skip_special_tokens=True)
    return examples


@torch.no_grad()
def generate_before_after(models: Models, examples: list[Example], seed: int,
                          batch_size: int = 16) -> tuple[list[str], list[str]]:
    """Reference and tuned summaries drawn with the same lengths and the same random stream."""
    cfg, policy, tok = models.cfg, models.policy, models.tokenizer
    lengths = LengthSampler(cfg.generation.output_min_length, cfg.generation.output_max_length, seed)(len(examples))
    device = next(policy.parameters()).device
    before, after = [], []
    for start in range(0, len(examples), batch_size):
        chunk = examples[start:start + batch_size]
        ids, mask = pad_right([ex.input_ids for ex in chunk], tok.pad_token_id, device)
        chunk_lengths = lengths[start:start + batch_size]
        for tuned, out in ((False, before), (True, after)):
            torch.manual_seed(seed + start)
            if tuned:
                responses, _ = generate_responses(policy.model, tok, ids, mask, chunk_lengths, cfg)
            else:
                with policy.reference():
                    responses, _ = generate_responses(policy.model, tok, ids, mask, chunk_lengths, cfg)
            out += tok.batch_decode(responses[:, 1:], skip_special_tokens=True)
    return before, after


def compare(models: Models, examples: list[Example], seed: int = 0) -> list[dict]:
    """The notebook's side-by-side table, sorted by reward_diff (biggest improvement first)."""
    from engine.reward import reward_texts

    examples = prompts_for(examples, models.tokenizer, models.cfg.data.max_prompt_tokens)
    before, after = generate_before_after(models, examples, seed)
    queries = [ex.query for ex in examples]
    reward_input = models.cfg.ppo.reward_input
    s_before = models.reward.score(reward_texts(queries, before, reward_input))
    s_after = models.reward.score(reward_texts(queries, after, reward_input))
    rows = []
    for i, ex in enumerate(examples):
        rb, ra = float(s_before.nothate_logit[i]), float(s_after.nothate_logit[i])
        rows.append({"query": ex.query, "response_before": before[i], "response_after": after[i],
                     "reward_before": rb, "reward_after": ra, "reward_diff": ra - rb,
                     "toxicity_before": float(s_before.toxicity[i]), "toxicity_after": float(s_after.toxicity[i]),
                     "references": ex.references})
    return sorted(rows, key=lambda r: r["reward_diff"], reverse=True)


# --- statistics (pure, tested on fixed toy numbers) ------------------------------------------


@dataclass
class PairedSummary:
    before_mean: float
    before_std: float
    after_mean: float
    after_std: float
    mean_improvement_pct: float
    """The notebook's (before - after) / before * 100: positive = less toxic after."""
    std_improvement_pct: float
    diff_mean: float
    """mean(after - before) over the paired samples."""
    diff_ci95: tuple[float, float]
    """Paired bootstrap 95% confidence interval of diff_mean."""
    n: int


def paired_summary(before: list[float], after: list[float], seed: int = 0, resamples: int = 10_000) -> PairedSummary:
    b, a = np.asarray(before, dtype=np.float64), np.asarray(after, dtype=np.float64)
    if b.shape != a.shape or b.size == 0:
        raise ValueError("paired_summary needs two non-empty lists of the same length")
    diff = a - b
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, diff.size, size=(resamples, diff.size))
    boot = diff[idx].mean(axis=1)
    lo, hi = np.percentile(boot, [2.5, 97.5])
    # std as the notebook printed it: numpy's default, the population std
    bm, bs, am, as_ = b.mean(), b.std(), a.mean(), a.std()
    return PairedSummary(
        before_mean=float(bm), before_std=float(bs), after_mean=float(am), after_std=float(as_),
        mean_improvement_pct=float((bm - am) / bm * 100) if bm else float("nan"),
        std_improvement_pct=float((bs - as_) / bs * 100) if bs else float("nan"),
        diff_mean=float(diff.mean()), diff_ci95=(float(lo), float(hi)), n=int(diff.size))


def rouge(predictions: list[str], references: list[list[str]]) -> dict[str, float]:
    """Mean ROUGE-1/2/L F1; with several references, the best one counts (rouge-score's score_multi)."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    totals = {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    pairs = [(p, refs) for p, refs in zip(predictions, references) if refs]
    for pred, refs in pairs:
        for key, score in scorer.score_multi(refs, pred).items():
            totals[key] += score.fmeasure
    return {k: v / len(pairs) for k, v in totals.items()} if pairs else {}


def evaluate(models: Models, examples: list[Example], seed: int = 0) -> dict:
    rows = compare(models, examples, seed)
    tox = paired_summary([r["toxicity_before"] for r in rows], [r["toxicity_after"] for r in rows], seed)
    rew = paired_summary([r["reward_before"] for r in rows], [r["reward_after"] for r in rows], seed)
    refs = [r["references"] for r in rows]
    return {
        "checkpoint": models.checkpoint.name if models.checkpoint else None,
        "samples": len(rows), "seed": seed,
        "toxicity": asdict(tox), "reward": asdict(rew),
        "rouge": {"before": rouge([r["response_before"] for r in rows], refs),
                  "after": rouge([r["response_after"] for r in rows], refs)},
        "rows": rows,
    }


def save_evaluation(run_dir: Path, result: dict) -> Path:
    path = Path(run_dir) / runs.EVALUATION_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2))
    tmp.replace(path)
    return path


def format_report(result: dict) -> str:
    t, r = result["toxicity"], result["reward"]
    lines = [
        f"checkpoint {result['checkpoint']}, {result['samples']} paired samples, seed {result['seed']}",
        f"toxicity [mean, std] before detox: [{t['before_mean']:.4f}, {t['before_std']:.4f}]",
        f"toxicity [mean, std] after detox:  [{t['after_mean']:.4f}, {t['after_std']:.4f}]",
        f"percentage improvement of toxicity score after detoxification: mean {t['mean_improvement_pct']:.2f}%, "
        f"std {t['std_improvement_pct']:.2f}%",
        f"toxicity change (after - before): {t['diff_mean']:+.4f}, paired bootstrap 95% CI "
        f"[{t['diff_ci95'][0]:+.4f}, {t['diff_ci95'][1]:+.4f}]",
        f"reward (nothate logit) before {r['before_mean']:.4f}, after {r['after_mean']:.4f}, change "
        f"{r['diff_mean']:+.4f}, 95% CI [{r['diff_ci95'][0]:+.4f}, {r['diff_ci95'][1]:+.4f}]",
    ]
    for when in ("before", "after"):
        scores = result["rouge"][when]
        if scores:
            lines.append(f"ROUGE {when:6s} " + ", ".join(f"{k} {v:.4f}" for k, v in scores.items()))
    return "\n".join(lines)
