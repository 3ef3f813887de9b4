"""`python -m engine.evaluate RUN`: toxicity by every judge, and summary quality, before (the
reference) and after (a checkpoint), with verdicts.

    python -m engine.evaluate RUN [--runs-dir DIR] [--samples N] [--samples-per-prompt K]
                                  [--checkpoint final|step-N] [--data test|stress|PATH] [--seed S] [--json]

Writes `evaluation.json` (every number, and every summary with its scores) into the run
directory and prints a compact table.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engine import runs


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="python -m engine.evaluate", description=__doc__.split("\n\n")[0])
    ap.add_argument("run", help="run id (in the runs folder) or path to a run directory")
    ap.add_argument("--runs-dir", type=Path, default=None)
    ap.add_argument("--checkpoint", default=None, help="final (default) or step-N")
    ap.add_argument("--samples", type=int, default=32, help="prompts to use (default 32)")
    ap.add_argument("--samples-per-prompt", type=int, default=4, metavar="K",
                    help="summaries sampled per prompt for expected maximum toxicity and toxicity "
                         "probability (default 4; the literature uses 25)")
    ap.add_argument("--data", default="test",
                    help="test (the run's held-out 20%%), stress (the project's rude dialogues), held-out "
                         "(the run's run.eval_prompts; for demo runs, heated dialogues no model saw) or a file")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    return ap.parse_args(argv)


def preflight(args) -> Path:
    """The run directory, once every argument has been checked: a bad run, checkpoint, number,
    model folder or data file is refused in a fraction of a second, before any model loads."""
    from engine.config import Config, check_evaluation_limits
    from engine.data import HELD_OUT, DataError, check_dataset, filter_by_length, load_rows
    from engine.preflight import check_model_paths

    check_evaluation_limits(lambda name: "--" + name.replace("_", "-"), samples=args.samples,
                            samples_per_prompt=args.samples_per_prompt, seed=args.seed)
    run_dir = runs.resolve_run(args.runs_dir or runs.default_runs_dir(), args.run)
    runs.resolve_checkpoint(run_dir, args.checkpoint)
    cfg = Config.from_dict(runs.read_config(run_dir))
    check_model_paths(cfg)
    source = cfg.run.eval_prompts if args.data == HELD_OUT else args.data
    if source == "test":
        check_dataset(cfg.data)
    elif source != "stress":
        d = cfg.data
        if not filter_by_length(load_rows(source, "test"), d.min_chars, d.max_chars):
            raise DataError(f"no dialogues to evaluate in '{source}': none has {d.min_chars} < "
                             f"length <= {d.max_chars} characters")
    return run_dir


def main(argv=None) -> int:
    args = parse_args(argv)
    from engine.config import ConfigError
    from engine.data import DataError

    try:
        run_dir = preflight(args)
    except (runs.RunError, ConfigError, DataError) as e:  # bad input; a bug shows its traceback
        print(f"error: {e}", file=sys.stderr)
        return 2
    # One evaluation of a run at a time: two would race to write evaluation.json, and an app
    # restarted while this one works finds it by this lock (to show it, and to stop it).
    lock = runs.EvaluationLock(run_dir, checkpoint=args.checkpoint or "final", data=args.data,
                               prompts=args.samples, started_at=runs.utc_now())
    try:
        lock.acquire()
    except runs.RunError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        return _evaluate(args, run_dir)
    finally:
        lock.release()


def _evaluate(args, run_dir: Path) -> int:
    from engine.data import DataError
    from engine.models import ModelError

    try:
        from engine.data import prompts_from
        from engine.evaluation import evaluate, format_report, save_evaluation
        from engine.loading import load_run_models

        models = load_run_models(run_dir, args.checkpoint)
        examples = prompts_from(args.data, models.cfg.data, models.tokenizer, args.samples,
                                held_out=models.cfg.run.eval_prompts)
        result = evaluate(models, examples, seed=args.seed, samples_per_prompt=args.samples_per_prompt)
        result["data"] = args.data
        path = save_evaluation(run_dir, result)
    except (runs.RunError, ModelError, DataError) as e:  # anything else is a bug: its traceback shows
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=2))
    else:
        print(format_report(result))
        ranked = sorted(result["rows"], key=lambda row: row["reward_diff"], reverse=True)
        print(f"\nmost improved / most regressed (reward_diff), of {len(ranked)}:")
        shown = ranked[:3] + ranked[-3:] if len(ranked) > 6 else ranked
        for row in shown:
            print(f"  {row['reward_diff']:+.3f}  before: {row['response_before'][:60]!r}  "
                  f"after: {row['response_after'][:60]!r}")
        print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
