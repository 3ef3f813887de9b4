"""Detox dashboard: PPO that makes FLAN-T5 summaries less toxic, in a Gradio app.

    python app.py [--preset P] [--runs-dir DIR] [--host H] [--port N] [--share]

`demo` is built at import (Hugging Face Spaces and `gradio app.py` look for it); nothing heavy
happens until a page asks. Training runs in `python -m engine.train` subprocesses that outlive
the app: restart it and it picks the running run up again from its run directory.
Environment: DETOX_RUNS_DIR (runs folder; on a Space with persistent storage /data/runs), DETOX_PRESET
(first preset), DETOX_AUTH (user:password[,user2:password2]), DETOX_ADMINS (Hugging Face accounts
allowed to change runs on a Space), DETOX_MAX_STEPS and DETOX_MAX_BATCH (caps for a shared app);
see dashboard/access.py.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from dashboard.space import on_spaces, prepare_environment
from engine.runs import RUNS_DIR_ENV, default_runs_dir

PRESET_ENV = "DETOX_PRESET"
prepare_environment()  # before gradio and huggingface_hub are imported

from dashboard.access import AccessConfigError  # noqa: E402
from dashboard.ui import build_app, launch_kwargs  # noqa: E402

try:
    demo = build_app(runs_dir=default_runs_dir(), preset=os.environ.get(PRESET_ENV) or None)
except AccessConfigError as exc:  # a mistyped secret: say which, without a traceback
    sys.exit(f"detox-dashboard cannot start: {exc}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python app.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default=None, help="preset offered first: demo, seed, small, tiny or "
                    f"shape-base (default: ${PRESET_ENV}, else seed on a GPU with the Hugging Face Hub, "
                    "demo otherwise)")
    ap.add_argument("--runs-dir", type=Path, default=None, help="folder of run directories "
                    f"(default: ${RUNS_DIR_ENV}, /data/runs on a Space with persistent storage, else ./runs)")
    ap.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1; "
                    "0.0.0.0 for every interface)")
    ap.add_argument("--port", type=int, default=None, help="port (default 7860, or $GRADIO_SERVER_PORT)")
    ap.add_argument("--share", action="store_true", help="also serve on a temporary public "
                    "*.gradio.live link (ignored on Spaces)")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = demo
    if args.runs_dir is not None or args.preset is not None:
        # Options differ from what `demo` was built with at import: build the app they describe.
        app = build_app(runs_dir=args.runs_dir or default_runs_dir(),
                        preset=args.preset or os.environ.get(PRESET_ENV) or None)
    app.launch(server_name=args.host, server_port=args.port, share=args.share and not on_spaces(),
               **launch_kwargs(app))
    return 0


if __name__ == "__main__":
    sys.exit(main())
