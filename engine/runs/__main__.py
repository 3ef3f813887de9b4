"""The CLI: `python -m engine.runs list|show ...`; user errors print 'error: ...' and exit 2."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from engine.config import shown
from engine.runs.layout import RUNS_DIR_ENV, RunError, default_runs_dir
from engine.runs.listing import list_runs, run_report
from engine.runs.rundir import resolve_run, summarise_problems
from engine.runs.status import parse_time


def _fmt_step(step: Any, total: Any) -> str:
    step_text = "-" if step is None else str(step)
    return step_text if total is None else f"{step_text}/{total}"


def _fmt_time(text: Any) -> str:
    parsed = parse_time(text)
    return parsed.strftime("%Y-%m-%d %H:%M:%S") if parsed else "-"


def _print_table(runs: list[dict]) -> None:
    header = ("RUN ID", "STATE", "STEP", "STARTED (UTC)", "ERROR")
    rows = [(r["run_id"], str(r["state"]), _fmt_step(r["step"], r["total_steps"]),
             _fmt_time(r["started_at"]), shown(r["error"] or "", 60)) for r in runs]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths)]
        print("  ".join([*cells, row[-1]]).rstrip())


def _cmd_list(args: argparse.Namespace) -> int:
    runs = list_runs(args.runs_dir, reconcile=True)
    if args.json:
        print(json.dumps(runs, indent=2))
    elif not runs:
        print(f"no runs in {args.runs_dir}")
    else:
        _print_table(runs)
    return 0


def _print_report(report: dict) -> None:
    status, config = report["status"], report["config"]
    print(f"run        {report['run_id']}  ({report['path']})")
    print(f"state      {status['state']}  step {_fmt_step(status['step'], status['total_steps'])}"
          f"  device {status['device'] or '-'}")
    print(f"started    {_fmt_time(status['started_at'])}   updated "
          f"{_fmt_time(status['updated_at'])} (UTC)")
    if status["error"]:
        print(f"error      {status['error']}")
    if config["error"]:
        print(f"config     {config['error']}")
    else:
        shown = {k: "-" if v is None else v for k, v in config.items()}
        print(f"config     preset {shown['preset']}, steps {shown['steps']}, "
              f"batch {shown['batch_size']}, lr {shown['learning_rate']}")
    last = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                     for k, v in report["last_metrics"].items())
    print(f"metrics    {report['metric_rows']} rows" + (f"; last: {last}" if last else ""))
    held_out = [row for row in report["held_out"] if isinstance(row["toxicity"], dict)]
    if held_out:
        first, now = held_out[0], held_out[-1]
        print("held-out   mean toxicity " + "; ".join(
            f"{name} {value:.3f} at step {first['step']} -> {now['toxicity'].get(name, float('nan')):.3f} "
            f"at step {now['step']}" for name, value in first["toxicity"].items()
            if isinstance(value, (int, float))))
    print(f"checkpoints {', '.join(report['checkpoints']) or 'none'}")
    if report.get("stalled"):
        print(f"stalled    {report['stalled']}")
    if report.get("trackers"):
        print(f"trackers   {report['trackers']}")
    printed = (status["error"], config["error"])
    for problem in summarise_problems([p for p in report["problems"] if p not in printed]):
        print(f"warning    {problem}")
    if report["log_tail"]:
        print("log (last 10 lines):")
        for line in report["log_tail"].split("\n"):
            print(f"  {line}")


def _cmd_show(args: argparse.Namespace) -> int:
    report = run_report(resolve_run(args.runs_dir, args.run))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_report(report)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine.runs",
                                     description="List and inspect detox training runs.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--runs-dir", type=Path, default=None,
                        help=f"runs folder (default: ${RUNS_DIR_ENV}, /data/runs on a Space with persistent storage, else ./runs)")
    common.add_argument("--json", action="store_true", help="print JSON instead of text")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", parents=[common], help="list runs, newest first")
    show = commands.add_parser("show", parents=[common], help="show one run in detail")
    show.add_argument("run", help="run id, or the path of a run folder")
    return parser


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; user errors print 'error: ...' and return 2. A reader that stops early
    (`| head -1`) ends the output quietly with exit code 1, as Python's docs recommend
    (https://docs.python.org/3/library/signal.html#note-on-sigpipe), not with a traceback."""
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s")
    args = _parser().parse_args(argv)
    args.runs_dir = args.runs_dir if args.runs_dir is not None else default_runs_dir()
    handlers = {"list": _cmd_list, "show": _cmd_show}
    try:
        code = handlers[args.command](args)
        sys.stdout.flush()  # so that a closed pipe shows here, not at exit
    except RunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # Python flushes stdout again at exit: send what is left to /dev/null instead.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
