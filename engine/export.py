"""`python -m engine.export RUN`: take a run's result home, as a PEFT adapter or one merged model,
with a model card of its detox numbers; optionally push it to the Hugging Face Hub.

    python -m engine.export RUN --out DIR [--checkpoint final|step-N] [--merge]
                                [--push OWNER/NAME [--private] [--overwrite]] [--runs-dir DIR]

Without --merge: the detox LoRA (adapter_config.json, adapter_model.safetensors; it loads with
`PeftModel.from_pretrained(reference, DIR)`, the reference being the base with the summary
adapter merged in) and, for PPO, value_head.safetensors. With --merge: base + summary adapter + detox LoRA
merged into one seq2seq model (safetensors, tokenizer, the run's dtype) that plain
`AutoModelForSeq2SeqLM.from_pretrained(DIR)` loads. Both get README.md (the model card),
training_curves.png, detox_config.json and, when the run was evaluated, evaluation.json.
The folder is built beside DIR and renamed into place, so DIR is complete or absent. A staging
folder left by an export that was killed (`.NAME.<digest>.partial-PID-<token>`, its PID gone) is
removed by the next export into the same parent folder; two exports into one DIR at once: the
second is refused.
"""
from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from engine import runs
from engine.config import Config, ConfigError
from engine.runs.files import _reason, is_real_dir, is_regular_file

log = logging.getLogger(__name__)

CONFIG_COPY = "detox_config.json"
NAME_MAX = 255
"""Bytes in one file name on Linux file systems: --out's own name must fit, and so must its
staging folder's (hence the shortened name and digest below)."""
STAGING_NAME_CHARS = 40
"""How much of --out's name a staging folder repeats, for a person looking at the folder."""
PARTIAL = re.compile(r"^\..+\.partial-(?P<pid>[0-9]+)(?:-[0-9a-f]+)?$")
"""A staging folder's name: this version's `.NAME.<digest>.partial-PID-<token>` and earlier
versions' `.NAME.partial-PID`."""


class ExportError(RuntimeError):
    """An export that cannot be made, with what to do about it."""


@dataclass
class Exported:
    folder: Path
    run_id: str
    checkpoint: str
    merged: bool


def trained_dtype(cfg: Config, status: dict) -> str:
    """The dtype the run trained in: the config's, or for "auto" the one status.json recorded
    ("cuda:0 (bfloat16)"), so that a merged export keeps it whatever machine exports."""
    if cfg.model.dtype != "auto":
        return cfg.model.dtype
    device = str(status.get("device") or "")
    for name in ("bfloat16", "float16", "float32"):
        if f"({name})" in device:
            return name
    return "float32"


def check_out(out: Path) -> None:
    """Never write over something: DIR must be absent or an empty folder, its parent writable.
    ExportError for each way it is not, /proc/x and names past NAME_MAX included."""
    if len(os.fsencode(out.name)) > NAME_MAX:
        raise ExportError(f"--out's folder name is {len(os.fsencode(out.name))} bytes long; "
                          f"file systems allow {NAME_MAX}: choose a shorter name")
    try:
        if out.is_symlink() or (out.exists() and not out.is_dir()):
            raise ExportError(f"--out {out} exists and is not a folder: choose a new folder name")
        if out.is_dir() and any(out.iterdir()):
            raise ExportError(f"--out {out} is not empty: choose a new folder (nothing is overwritten)")
        parent = out.resolve().parent
        if not parent.is_dir():
            raise ExportError(f"cannot export into {out}: its parent folder {parent} does not exist")
    except OSError as exc:  # a path too long for the system, a folder that cannot be listed
        raise ExportError(f"cannot export into {out}: {_reason(exc)}") from exc
    if not os.access(parent, os.W_OK):
        raise ExportError(f"cannot export into {out}: {parent} is not writable")


def staging_prefix(out: Path) -> str:
    """What the staging folders of `out` are named by: its name cut to STAGING_NAME_CHARS
    (characters of up to 4 bytes: well under NAME_MAX with the rest) and a digest of the whole
    name, so that two long names that start alike never share one."""
    digest = hashlib.sha256(os.fsencode(out.name)).hexdigest()[:10]
    return f".{out.name[:STAGING_NAME_CHARS]}.{digest}.partial-"


def remove_stale_partials(folder: Path) -> list[Path]:
    """Remove the staging folders in `folder` whose export process is gone (killed mid-export:
    they may hold a whole model.safetensors). A live one is another export's, left alone.
    Returns what was removed; one that cannot be removed is logged, never fatal."""
    removed = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed  # nothing to clean where nothing can be listed; the export says why if it matters
    for entry in entries:
        match = PARTIAL.match(entry.name)
        if match is None or not is_real_dir(entry) or runs.process_exists(int(match["pid"])):
            continue
        try:
            shutil.rmtree(entry)
        except OSError as exc:
            log.warning("could not remove %s, left by an export that was killed: %s", entry, _reason(exc))
            continue
        log.info("removed %s, left by an export that was killed", entry)
        removed.append(entry)
    return removed


@contextlib.contextmanager
def _folder_locked(folder: Path) -> Iterator[None]:
    """An exclusive flock on `folder` itself while an export claims a name in it: two exports
    that start together cannot both find the name free."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _claim_staging(out: Path) -> Path:
    """Check `out`, clean stale staging folders beside it and make this export's own; an
    ExportError when another export is writing `out` now."""
    check_out(out)
    parent = out.resolve().parent
    prefix = staging_prefix(out)
    try:
        with _folder_locked(parent):
            remove_stale_partials(parent)
            for entry in parent.iterdir():
                if entry.name.startswith(prefix):  # its process lives: it was not removed above
                    match = PARTIAL.match(entry.name)
                    pid = match["pid"] if match else "?"
                    raise ExportError(f"another export (process {pid}) is writing --out {out} now: wait for it "
                                      f"to end, or choose another folder")
            staging = parent / f"{prefix}{os.getpid()}-{secrets.token_hex(3)}"
            staging.mkdir()
    except OSError as exc:
        raise ExportError(f"cannot export into {out}: {_reason(exc)}") from exc
    return staging


def export(run_dir: Path, out: Path, checkpoint: str | None = None, merge: bool = False) -> Exported:
    """Write the export folder; RunError, ExportError or ModelError when it cannot be made (a
    disk that fills up included: no half-written folder is left)."""
    run_dir, out = Path(run_dir), Path(out)
    ckpt = runs.resolve_checkpoint(run_dir, checkpoint)
    try:
        cfg = Config.from_dict(runs.read_config(run_dir))
    except ConfigError as e:
        raise ExportError(f"config.json of run {run_dir.name} is not a valid config: {e}") from e
    staging = _claim_staging(out)
    try:
        if merge:
            _write_merged(cfg, ckpt, staging, trained_dtype(cfg, runs.read_status_file(run_dir)))
        else:
            _write_adapter(ckpt, staging, cfg.ppo.algorithm)
        _write_card(cfg, run_dir, ckpt.name, merge, staging)
        _move_into_place(staging, out)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ExportError(f"could not write the export into {out}: {_reason(exc)}") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Exported(out, run_dir.name, ckpt.name, merge)


def _move_into_place(staging: Path, out: Path) -> None:
    """Rename the finished folder to `out`; an ExportError when something took `out` meanwhile."""
    try:
        if out.is_dir():
            out.rmdir()  # checked empty before; not empty now means someone wrote into it
        staging.rename(out)
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
            raise ExportError(f"--out {out} was created or written by something else during the export: "
                              f"nothing is overwritten; choose a new folder") from exc
        raise


def _write_adapter(ckpt: Path, folder: Path, algorithm: str) -> None:
    for name in runs.checkpoint_files(algorithm):
        source = ckpt / name
        if not is_regular_file(source):
            raise ExportError(f"checkpoint {ckpt.name} lacks {name}: it is incomplete")
        shutil.copyfile(source, folder / name)


def _write_merged(cfg: Config, ckpt: Path, folder: Path, dtype_name: str) -> None:
    import torch

    from engine.models import load_checkpoint, load_policy, quiet_model_load
    from engine.preflight import check_model_paths

    check_model_paths(cfg)
    policy, tokenizer = load_policy(cfg.model, torch.device("cpu"), getattr(torch, dtype_name), seed=cfg.ppo.seed,
                                    value_head=False)  # the merged model has no value head
    load_checkpoint(policy, ckpt)
    with quiet_model_load():
        model = policy.model.merge_and_unload()  # base (+ summary adapter, merged at load) + detox LoRA
    g = cfg.generation
    # a bare generate() samples as training and the dashboard did; do_sample=False gives greedy
    model.generation_config.update(do_sample=True, top_k=g.top_k, top_p=g.top_p, min_length=g.min_length,
                                   max_new_tokens=g.output_max_length - 1)
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)


def _write_card(cfg: Config, run_dir: Path, checkpoint: str, merged: bool, folder: Path) -> None:
    from engine.model_card import CURVES_FILE, CardInputs, card_text, curves_png

    evaluation = runs.read_evaluation(run_dir)
    inputs = CardInputs(cfg=cfg, run_id=run_dir.name, checkpoint=checkpoint, merged=merged,
                        status=runs.read_status_file(run_dir), metrics=runs.read_metrics(run_dir),
                        evaluation=evaluation, held_out=runs.read_eval(run_dir))
    if inputs.metrics:
        curves_png(inputs.metrics, inputs.held_out, folder / CURVES_FILE)
    (folder / "README.md").write_text(card_text(inputs), encoding="utf-8")
    (folder / CONFIG_COPY).write_text(json.dumps(cfg.to_dict(), indent=2) + "\n", encoding="utf-8")
    if evaluation is not None:
        (folder / runs.EVALUATION_FILE).write_text(json.dumps(evaluation, indent=1) + "\n", encoding="utf-8")


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="python -m engine.export", description=__doc__.split("\n\n")[0])
    ap.add_argument("run", help="run id (in the runs folder) or path to a run directory")
    ap.add_argument("--out", type=Path, required=True, help="new folder to write (absent or empty)")
    ap.add_argument("--checkpoint", default=None, help="final (default) or step-N")
    ap.add_argument("--merge", action="store_true",
                    help="one standalone model (base + summary adapter + detox LoRA) instead of the adapter")
    ap.add_argument("--runs-dir", type=Path, default=None)
    ap.add_argument("--push", metavar="OWNER/NAME", default=None, help="then upload the folder to this Hub repo")
    ap.add_argument("--private", action="store_true", help="with --push: create the repo private")
    ap.add_argument("--overwrite", action="store_true",
                    help="with --push: upload into the repo even if it exists (a new commit in it)")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    from engine.models import ModelError
    from engine.push import PushError, check_push, push

    args = parse_args(argv)
    try:
        if args.push is None and (args.private or args.overwrite):
            raise ExportError("--private and --overwrite go with --push OWNER/NAME")
        run_dir = runs.resolve_run(args.runs_dir or runs.default_runs_dir(), args.run)
        if args.push is not None:
            check_push(args.push)  # no token or a bad name: say so before minutes of merging
        result = export(run_dir, args.out, args.checkpoint, args.merge)
        print(f"exported {result.run_id} ({result.checkpoint}, {'merged model' if result.merged else 'adapter'}) "
              f"to {result.folder}")
        if args.push is not None:
            print(f"pushed to {push(result.folder, args.push, private=args.private, overwrite=args.overwrite)}")
    except (runs.RunError, ExportError, ModelError, PushError) as e:  # anything else is a bug: traceback
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
