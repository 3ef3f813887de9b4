"""Record the presenter page's replay: a default `demo` run, without its checkpoints.

    python assets/build_replay.py [--from-run RUN_DIR]

Trains `python -m engine.train --preset demo` into a temporary runs folder (about 80 s on 2 CPU
cores, up to 3 minutes on a busy machine; the same seed gives the same numbers, not the same
times), then copies what a replay reads into assets/replay/<run id>/: config.json, status.json,
metrics.jsonl and eval.jsonl (about 230 kB; no checkpoints, samples or log). Model and data
paths inside the repository are written relative to its root, so the recording names no
machine's folders. The recordings already there are replaced. `--from-run` copies a finished
demo run instead of training one.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "assets" / "replay"
FILES = ("status.json", "metrics.jsonl", "eval.jsonl")


def _relative(value, root: str):
    """`value` with every string under `root` made relative to it (recursively)."""
    if isinstance(value, dict):
        return {k: _relative(v, root) for k, v in value.items()}
    if isinstance(value, list):
        return [_relative(v, root) for v in value]
    if isinstance(value, str) and value.startswith(root + "/"):
        return value[len(root) + 1:]
    return value


def train(runs_dir: Path) -> Path:
    """A default demo run in `runs_dir`; its folder."""
    subprocess.run([sys.executable, "-m", "engine.train", "--preset", "demo", "--runs-dir", str(runs_dir)],
                   cwd=ROOT, check=True)
    (run_dir,) = [p for p in runs_dir.iterdir() if p.is_dir()]
    return run_dir


def copy_recording(run_dir: Path) -> Path:
    status = json.loads((run_dir / "status.json").read_text())
    config = json.loads((run_dir / "config.json").read_text())
    if status.get("state") != "finished" or config.get("preset") != "demo":
        raise SystemExit(f"{run_dir} is not a finished demo run (state {status.get('state')}, "
                         f"preset {config.get('preset')})")
    for old in OUT.iterdir() if OUT.exists() else []:
        if old.is_dir():
            shutil.rmtree(old)
    target = OUT / run_dir.name
    target.mkdir(parents=True)
    config = _relative(config, str(ROOT))
    (target / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    for name in FILES:
        shutil.copyfile(run_dir / name, target / name)
    return target


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python assets/build_replay.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--from-run", type=Path, default=None, help="a finished demo run folder to copy")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="detox-replay-") as tmp:
        run_dir = args.from_run or train(Path(tmp))
        target = copy_recording(run_dir)
    size = sum(p.stat().st_size for p in target.iterdir())
    print(f"recorded {target.relative_to(ROOT)} ({size // 1024} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
