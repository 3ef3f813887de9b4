"""`python -m engine.evaluate RUN`: toxicity and ROUGE before (reference) and after (a checkpoint).

    python -m engine.evaluate RUN [--runs-dir DIR] [--samples N] [--checkpoint final|step-N]
                                  [--data test|stress|PATH] [--seed S] [--json]

Writes `evaluation.json` into the run directory and prints the numbers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engine import runs

MAX_SAMPLES = 5000


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="python -m engine.evaluate", description=__doc__.split("\n\n")[0])
    ap.add_argument("run", help="run id (in the runs folder) or path to a run directory")
    ap.add_argument("--runs-dir", type=Path, default=None)
    ap.add_argument("--checkpoint", default=None, help="final (default) or step-N")
    ap.add_argument("--samples", type=int, default=32, help="test prompts to use (default 32)")
    ap.add_argument("--data", default="test",
                    help="test (the run's held-out 20%%), stress (the project's rude dialogues) or a file")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    return ap.parse_args(argv)


def pick_examples(models, data: str, n: int) -> list:
    from engine.data import filter_by_length, load_prompts, load_rows, tokenize

    cfg = models.cfg.data
    if data == "test":
        examples = load_prompts(cfg, models.tokenizer).test
    else:
        from engine.evaluation import STRESS_SET

        rows = load_rows(str(STRESS_SET) if data == "stress" else data, "test")
        examples = tokenize(filter_by_length(rows, cfg.min_chars, cfg.max_chars), models.tokenizer,
                            cfg.max_prompt_tokens)
    if not examples:
        raise ValueError(f"no dialogues to evaluate in '{data}'")
    return examples[:n]


def preflight(args) -> Path:
    """The run directory, once every argument has been checked: a bad run, checkpoint, number,
    model folder or data file is refused in a fraction of a second, before any model loads."""
    from engine.config import Config
    from engine.data import check_dataset, filter_by_length, load_rows
    from engine.preflight import check_model_paths

    if not 1 <= args.samples <= MAX_SAMPLES:
        raise ValueError(f"--samples must be between 1 and {MAX_SAMPLES}, got {args.samples}")
    if not 0 <= args.seed < 2**32:
        raise ValueError(f"--seed must be between 0 and 2^32 - 1, got {args.seed}")
    run_dir = runs.resolve_run(args.runs_dir or runs.default_runs_dir(), args.run)
    runs.resolve_checkpoint(run_dir, args.checkpoint)
    cfg = Config.from_dict(runs.read_config(run_dir))
    check_model_paths(cfg)
    if args.data == "test":
        check_dataset(cfg.data)
    elif args.data != "stress":
        d = cfg.data
        if not filter_by_length(load_rows(args.data, "test"), d.min_chars, d.max_chars):
            raise ValueError(f"no dialogues to evaluate in '{args.data}': none has {d.min_chars} < "
                             f"length <= {d.max_chars} characters")
    return run_dir


def main(argv=None) -> int:
    from engine.data import DataError

    args = parse_args(argv)
    try:
        run_dir = preflight(args)
    except (runs.RunError, ValueError) as e:  # ConfigError and DataError are ValueErrors
        print(f"error: {e}", file=sys.stderr)
        return 2
    from engine.models import ModelError

    try:
        from engine.evaluation import evaluate, format_report, load_models, save_evaluation

        models = load_models(run_dir, args.checkpoint)
        result = evaluate(models, pick_examples(models, args.data, args.samples), seed=args.seed)
        result["data"] = args.data
        path = save_evaluation(run_dir, result)
    except (runs.RunError, ModelError, DataError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=2))
    else:
        print(format_report(result))
        print(f"\nmost improved / most regressed (reward_diff), of {len(result['rows'])}:")
        shown = result["rows"][:3] + result["rows"][-3:] if len(result["rows"]) > 6 else result["rows"]
        for row in shown:
            print(f"  {row['reward_diff']:+.3f}  before: {row['response_before'][:60]!r}  "
                  f"after: {row['response_after'][:60]!r}")
        print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
