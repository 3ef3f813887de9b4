"""The whole app: header, the five tabs, the API, theme and CSS.

`build_app` only lays out components and wires handlers; no model is loaded until a user asks
for one, so importing app.py stays fast.
"""
from __future__ import annotations

import html
import socket
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import gradio as gr

from engine import runs

from dashboard.access import LOGIN_MESSAGE, Access, Limits
from dashboard.api import register_api
from dashboard.compare_tab import create_compare_tab
from dashboard.context import AppContext
from dashboard.display import banner
from dashboard.downloads import remove_stale_downloads
from dashboard.evaluate_tab import create_evaluate_tab
from dashboard.export_tab import create_export_tab
from dashboard.guard import ClosedRoutes
from dashboard.model_cache import ModelCache
from dashboard.present_page import KEYS_JS, create_present_page
from dashboard.present_page import PATH as PRESENT_PATH
from dashboard.present_page import CSS as PRESENT_CSS
from dashboard.reward_tab import create_reward_tab
from dashboard.runner import Runner
from dashboard.storage import Storage
from dashboard.train_tab import create_train_tab

# Events waiting for a worker, all users together (running ones do not count). A browser opening
# the page sends 3 at once (the Train tab's load, the access note, the timer's first tick; the
# other tabs fill in when opened). In tests/test_load.py, 30 sessions opening it together while 5
# others compare and a run trains peaked near 50 waiting; with 7 events per page it was ~140, and
# a queue of 64 refused page loads and API calls alike. 256 leaves room for a bigger room; a
# longer backlog would mean minutes of waiting behind the one-at-a-time compare, better refused
# with Gradio's "busy, try again".
QUEUE_SIZE = 256
TITLE = "Detox dashboard"

HEADER = """
<div class="detox-header">
  <div class="detox-title">Detox dashboard</div>
  <div class="detox-subtitle">Make FLAN-T5 dialogue summaries less toxic with PPO, and watch it
  happen: train in the background, follow KL and reward live, compare the reference and the
  tuned model side by side.</div>
</div>
"""

CSS = """
#train-command .cm-content, #train-command pre { padding-right: 44px !important; }

.gradio-container { max-width: 1480px !important; }
.detox-header { padding: 6px 2px 2px 2px; }
.detox-title { font-size: 1.6rem; font-weight: 700; color: #0f766e; }
.detox-subtitle { color: #475569; font-size: 0.98rem; margin-top: 2px; }
.detox-banner { border-radius: 8px; padding: 2px 14px; margin: 2px 0; border: 1px solid; }
.detox-banner p { margin: 8px 0 !important; }
.detox-info { background: #eff6ff; border-color: #bfdbfe; color: #1e3a8a; }
.detox-warn { background: #fffbeb; border-color: #fcd34d; color: #78350f; }
.detox-ok { background: #ecfdf5; border-color: #6ee7b7; color: #064e3b; }
.detox-banner code { white-space: pre-wrap; word-break: break-all; }
.detox-progress { border: 1px solid #e2e8f0; border-radius: 10px; padding: 10px 14px; background: #f8fafc; }
.detox-progress-head { display: flex; justify-content: space-between; align-items: baseline; margin-bottom: 6px; }
.detox-progress-title { font-weight: 700; font-size: 1.05rem; }
.detox-progress-run { color: #64748b; font-family: ui-monospace, monospace; font-size: 0.85rem; }
.detox-progress-track { height: 12px; background: #e2e8f0; border-radius: 6px; overflow: hidden; }
.detox-progress-fill { height: 100%; background: #0f766e; border-radius: 6px; transition: width 0.6s ease; }
.detox-indeterminate .detox-progress-fill { width: 30% !important; animation: detox-slide 1.4s ease-in-out infinite; }
@keyframes detox-slide { 0% { margin-left: -30%; } 100% { margin-left: 100%; } }
.detox-progress-text { margin-top: 6px; color: #334155; font-size: 0.92rem; }
.detox-progress-detail { margin-top: 4px; color: #475569; font-size: 0.88rem; }
.detox-state-running .detox-progress-title { color: #0f766e; }
.detox-state-finished .detox-progress-fill { background: #16a34a; }
.detox-state-finished .detox-progress-title { color: #15803d; }
.detox-state-stopped .detox-progress-fill { background: #d97706; }
.detox-state-stopped .detox-progress-title { color: #b45309; }
.detox-state-failed .detox-progress-fill { background: #dc2626; }
.detox-state-failed .detox-progress-title { color: #b91c1c; }
.detox-log textarea { font-family: ui-monospace, SFMono-Regular, Menlo, monospace !important;
                      font-size: 12px !important; }
"""


def access_note(access: Access, request: gr.Request | None) -> str:
    """The line under the header that tells this visitor what they may do."""
    if access.open:
        return ""
    user = access.user(request)
    if user:
        return banner("ok", f"Signed in as **{html.escape(user)}**: you may start, stop and evaluate runs.")
    reason = access.why_not(request, "start, stop or evaluate runs")
    return banner("info", f"**Viewer mode**: you can watch runs, compare summaries and score texts. "
                          f"{html.escape(reason or '')}")


def theme() -> gr.themes.Base:
    # System fonts: the default theme fetches Google Fonts, which an offline machine cannot.
    return gr.themes.Soft(primary_hue="teal", secondary_hue="slate", neutral_hue="slate",
                          font=["ui-sans-serif", "system-ui", "sans-serif"],
                          font_mono=["ui-monospace", "SFMono-Regular", "monospace"])


def launch_kwargs(app: gr.Blocks) -> dict[str, Any]:
    """What launch() needs besides host and port (Gradio 6 takes theme and CSS there), with the
    upload and URL-fetch routes closed (dashboard.guard), uploads capped at 0 bytes besides, the
    login throttled by client address (dashboard.access), and no /openapi.json (the API is
    documented at /gradio_api/info, under the login when there is one)."""
    from starlette.middleware import Middleware

    access = app.dashboard.access
    return {"theme": theme(), "css": CSS + PRESENT_CSS, "head": KEYS_JS, "auth": access.gradio_auth(),
            "auth_message": LOGIN_MESSAGE,
            "max_file_size": 0,
            "app_kwargs": {"middleware": [Middleware(ClosedRoutes), *access.gradio_middleware()],
                           "openapi_url": None}}


def build_app(runs_dir: Path | str | None = None, preset: str | None = None,
              train_command: list[str] | None = None, queue_size: int = QUEUE_SIZE) -> gr.Blocks:
    """The Blocks app. `preset`: the one to offer first (None: seed on a GPU with the Hub, else demo);
    `queue_size`: how many events may wait before new ones are refused as busy."""
    remove_stale_downloads()  # what an app killed earlier left in the temp folder
    storage = Storage(Path(runs_dir) if runs_dir else runs.default_runs_dir())
    access = Access.from_env()
    ctx = AppContext(storage=storage, runner=Runner(storage, train_command, Limits.from_env()),
                     models=ModelCache(), preset=preset, access=access)
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        gr.Navbar(main_page_name="Dashboard")
        with gr.Row(equal_height=True):
            gr.HTML(HEADER)
            if access.hf_login:
                # Only where Spaces configured OAuth: elsewhere Gradio would need a logged-in
                # huggingface_hub on the server to mock it.
                gr.LoginButton(scale=0, min_width=260)
        who = gr.Markdown(elem_id="access-note")
        with gr.Tabs():
            with gr.Tab("Train", id="train"):
                create_train_tab(ctx, demo)
            with gr.Tab("Compare", id="compare") as compare_tab:
                compare_h = create_compare_tab(ctx, compare_tab)
            with gr.Tab("Evaluate", id="evaluate") as evaluate_tab:
                create_evaluate_tab(ctx, evaluate_tab)
            with gr.Tab("Reward", id="reward") as reward_tab:
                reward_h = create_reward_tab(ctx, reward_tab)
            with gr.Tab("Export", id="export") as export_tab:
                create_export_tab(ctx, export_tab)
        register_api(ctx, compare_h, reward_h)

        def note_for(request: gr.Request) -> str:
            return access_note(access, request)

        demo.load(note_for, None, [who], api_name="access_note", api_visibility="undocumented",
                  concurrency_limit=None, show_progress="hidden")
    with demo.route("Presenter view", PRESENT_PATH):
        create_present_page(ctx, demo)
    demo.queue(max_size=queue_size, default_concurrency_limit=1)
    demo.dashboard = ctx  # tests and app.py reach the runner through this
    return demo


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_locally(runs_dir: Path | str, preset: str = "tiny",
                  queue_size: int = QUEUE_SIZE) -> Iterator[tuple[gr.Blocks, str]]:
    """The app on a free 127.0.0.1 port, for tests and the screenshot script: yields (demo,
    url); on exit, stops the trainers it started (they would otherwise outlive it) and closes."""
    demo = build_app(runs_dir=runs_dir, preset=preset, queue_size=queue_size)
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True,
                            quiet=True, **launch_kwargs(demo))
    try:
        yield demo, url
    finally:
        demo.dashboard.runner.terminate_all(timeout=30)
        demo.close()
