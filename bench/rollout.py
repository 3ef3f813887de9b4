"""Rollout benchmark: the notebook's per-sample loop against the engine's batched rollout.

    python -m bench.rollout [--preset shape-base] [--device cpu|cuda] [--batch 16] [--quick]

Both paths use the same models, prompts, drawn response lengths, sampling settings and seed:
- per-sample (the course notebook): one `generate` call per prompt with that prompt's drawn
  length, then the reward model on one text at a time (the notebook called a pipeline per text);
- batched (engine.ppo): one `generate` for the whole batch, each response cut to its own
  length, then `RewardModel.score` on all texts at once (length-sorted batches).
The per-sample loop calls the engine's own `generate_responses` with a batch of one, so the
generation settings cannot drift apart between the two paths.
"""

from __future__ import annotations

import argparse
import json
import sys

from bench.common import (BENCH_PRESETS, OtherLoad, PhaseTimer, bounded_int, describe_device, device_name,
                          format_table, load_average, load_models, pick_bench_device, quiet_libraries,
                          resolve_config)

QUICK_LENGTHS = (8, 16)
QUICK_PROMPT_TOKENS = 64
"""--quick: short responses and prompts, so that a shape-base run fits in a minute on 2 CPU cores
(on a CPU the encoder pass over the prompts costs the same batched or not, and dominates there)."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.rollout", description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="shape-base", choices=BENCH_PRESETS,
                    help="offline preset whose models and generation settings are used (default: shape-base)")
    ap.add_argument("--device", default="auto", type=device_name,
                    help="cpu, cuda or cuda:N (default: cuda when present, else cpu)")
    ap.add_argument("--batch", type=bounded_int(1, 1024), default=16, help="prompts per rollout (default: 16)")
    ap.add_argument("--quick", action="store_true",
                    help=f"responses drawn from [{QUICK_LENGTHS[0]}, {QUICK_LENGTHS[1]}) tokens instead of the "
                         f"preset's range ([100, 400) for shape-base) and prompts cut to {QUICK_PROMPT_TOKENS} "
                         "tokens: under a minute on 2 CPU cores")
    ap.add_argument("--seed", type=int, default=None, help="sampling and length seed (default: the preset's)")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                    help="override a config setting, as engine.train, e.g. --set generation.top_k=50")
    ap.add_argument("--json", action="store_true", help="print the measurements as one JSON object (bench.gpu)")
    return ap.parse_args(argv)


def build_config(args: argparse.Namespace):
    overrides = list(args.overrides)
    if args.quick:
        overrides += [f"generation.output_min_length={QUICK_LENGTHS[0]}",
                      f"generation.output_max_length={QUICK_LENGTHS[1]}",
                      f"data.max_prompt_tokens={QUICK_PROMPT_TOKENS}"]
    if args.seed is not None:
        overrides.append(f"ppo.seed={args.seed}")
    return resolve_config(args.preset, overrides)


def generate_per_sample(policy, tokenizer, prompts, lengths, cfg, device) -> tuple[list[str], list[int]]:
    """The notebook's loop: one `generate` per prompt, max_new_tokens = that prompt's length."""
    from engine.ppo import generate_responses, pad_right

    responses, kept = [], []
    for example, length in zip(prompts, lengths):
        ids, mask = pad_right([example.input_ids], tokenizer.pad_token_id, device)
        response_ids, response_mask = generate_responses(policy.model, tokenizer, ids, mask, [length], cfg)
        responses += tokenizer.batch_decode(response_ids[:, 1:], skip_special_tokens=True)
        kept.append(int(response_mask.sum()))
    return responses, kept


def generate_batched(policy, tokenizer, prompts, lengths, cfg, device) -> tuple[list[str], list[int]]:
    """The engine's rollout (PPOTrainer.rollout): one `generate` for the whole batch."""
    from engine.ppo import generate_responses, pad_right

    ids, mask = pad_right([ex.input_ids for ex in prompts], tokenizer.pad_token_id, device)
    response_ids, response_mask = generate_responses(policy.model, tokenizer, ids, mask, lengths, cfg)
    responses = tokenizer.batch_decode(response_ids[:, 1:], skip_special_tokens=True)
    return responses, response_mask.sum(dim=1).tolist()


def score_per_sample(reward_model, texts: list[str]) -> list[float]:
    return [float(reward_model.score([t]).reward[0]) for t in texts]


def score_batched(reward_model, texts: list[str]) -> list[float]:
    return reward_model.score(texts).reward.tolist()


PATHS = {"per-sample": (generate_per_sample, score_per_sample),
         "batched": (generate_batched, score_batched)}


def run_path(name, policy, tokenizer, reward_model, prompts, lengths, cfg, device) -> dict:
    """One path, timed per phase, starting from the same torch seed as the other path."""
    import torch

    from engine.reward import reward_texts

    generate, score = PATHS[name]
    timer = PhaseTimer(device)
    torch.manual_seed(cfg.ppo.seed)
    with timer("generate"):
        responses, kept = generate(policy, tokenizer, prompts, lengths, cfg, device)
    texts = reward_texts([ex.query for ex in prompts], responses, cfg.ppo.reward_input)
    with timer("score"):
        rewards = score(reward_model, texts)
    return {"generate": timer.totals["generate"], "score": timer.totals["score"], "tokens": sum(kept),
            "ended_by_eos": sum(k < n for k, n in zip(kept, lengths)), "mean_reward": sum(rewards) / len(rewards)}


def warm_up(policy, tokenizer, reward_model, prompts, cfg, device) -> None:
    """Lazy initialisation (kernels, allocator, CUDA context) must not be billed to either path."""
    import torch

    torch.manual_seed(cfg.ppo.seed)
    length = cfg.generation.min_length + 2  # below min_length, generate() only warns
    for generate, score in PATHS.values():
        responses, _ = generate(policy, tokenizer, prompts[:1], [length], cfg, device)
        score(reward_model, responses)


def prompt_tokens(prompts) -> str:
    sizes = [len(ex.input_ids) for ex in prompts]
    return f"{min(sizes)}..{max(sizes)}, mean {sum(sizes) / len(sizes):.0f}"


def report(results: dict, cfg, args, device, dtype, prompts, lengths: list[int], loads: tuple) -> str:
    import torch

    g = cfg.generation
    dtype = str(dtype).replace("torch.", "")
    per, bat = results["per-sample"], results["batched"]
    total = {k: r["generate"] + r["score"] for k, r in (("per-sample", per), ("batched", bat))}
    rows = [[name, f"{r['generate']:.2f}", f"{r['score']:.3f}", f"{total[name]:.2f}", r["tokens"],
             f"{r['tokens'] / r['generate']:.1f}", f"{r['mean_reward']:+.3f}"]
            for name, r in (("per-sample", per), ("batched", bat))]
    rows.append(["speedup", f"{per['generate'] / bat['generate']:.2f}x", f"{per['score'] / bat['score']:.2f}x",
                 f"{total['per-sample'] / total['batched']:.2f}x", "", "", ""])
    header = [
        f"rollout benchmark: preset {cfg.preset}, {describe_device(device)}, {dtype}, torch {torch.__version__}",
        f"batch {args.batch}, response lengths drawn from [{g.output_min_length}, {g.output_max_length}) "
        f"(these draws: {min(lengths)}..{max(lengths)}, sum {sum(lengths)}), top_k {g.top_k}, top_p {g.top_p}, "
        f"min_length {g.min_length}, reward input '{cfg.ppo.reward_input}', seed {cfg.ppo.seed}"
        + (", --quick" if args.quick else ""),
        f"prompts: {prompt_tokens(prompts)} tokens (cut at {cfg.data.max_prompt_tokens})",
        f"load average (1 min): {loads[0]:.2f} before the run, {loads[1]:.2f} at its end (its own threads "
        f"included); other processes used {loads[2]:.2f} CPU cores on average while it was timed",
        "",
    ]
    table = format_table(["path", "generate s", "score s", "total s", "tokens", "gen tokens/s", "mean reward"], rows)
    notes = [
        "",
        f"responses ended by EOS before their drawn length: per-sample {per['ended_by_eos']}/{args.batch}, "
        f"batched {bat['ended_by_eos']}/{args.batch}"
        + (" (random weights rarely sample EOS, so responses run to their drawn lengths)"
           if cfg.model.random_init else ""),
        "same seed and lengths for both paths; the sampled tokens differ (a batch consumes random numbers "
        "in another order), so the rewards differ too",
        f"tokens: response tokens kept after each cut; the batched generate runs every sample until the longest "
        f"drawn length ({args.batch} x {max(lengths)} = {args.batch * max(lengths)} tokens) or until all have "
        "ended by EOS, then cuts",
        f"rollout speedup: {total['per-sample'] / total['batched']:.2f}x (batched vs per-sample, {device})",
    ]
    return "\n".join(header + [table] + notes)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    quiet_libraries()
    cfg = build_config(args)
    device = pick_bench_device(args.device)
    cfg.model.device = str(device)

    from engine.ppo import LengthSampler

    load_before = load_average()
    policy, tokenizer, reward_model, data = load_models(cfg, device)
    prompts = [data.train[i % len(data.train)] for i in range(args.batch)]
    g = cfg.generation
    lengths = LengthSampler(g.output_min_length, g.output_max_length, cfg.ppo.seed)(args.batch)
    warm_up(policy, tokenizer, reward_model, prompts, cfg, device)
    others = OtherLoad()
    results = {name: run_path(name, policy, tokenizer, reward_model, prompts, lengths, cfg, device) for name in PATHS}
    other_cores = others.cores()
    dtype = next(policy.parameters()).dtype
    if args.json:
        print(json.dumps({"paths": results, "device": describe_device(device), "dtype": str(dtype).replace("torch.", ""),
                          "batch": args.batch, "lengths": [g.output_min_length, g.output_max_length]}), flush=True)
        return 0
    print(report(results, cfg, args, device, dtype, prompts, lengths, (load_before, load_average(), other_cores)),
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
