"""Export tab: take a run's result home, as a zip of the detox adapter (or the merged model) with
its model card, or pushed to the Hugging Face Hub. Both are admin actions, like Start and Stop.

The work is engine.export and engine.push: this tab picks the run, shows progress and the
equivalent command, and hands over the zip.
"""
from __future__ import annotations

import shlex
import shutil
import threading
from pathlib import Path

import gradio as gr

from engine.export import ExportError, export
from engine.push import PushError, check_push, push

from dashboard.context import AppContext, require_user
from dashboard.display import banner, warn
from dashboard.downloads import Downloads
from dashboard.errors import user_errors
from dashboard.inputs import choice, user_text
from dashboard.presets import preset_note
from dashboard.run_picker import checkpoint_choices, create_run_picker, preset_of

KINDS = {"LoRA adapter (small: loads on the run's base model)": "adapter",
         "Merged model (standalone: loads with plain transformers)": "merged"}
ACTION = "export or push a model"
ZIP_MAX_AGE_S = 3600
ENDED = ("finished", "stopped", "failed")


class ExportHandlers:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx
        self._zips = Downloads("export", ZIP_MAX_AGE_S)
        self._lock = threading.Lock()  # a merge loads a whole model: one export at a time

    def run_changed(self, run_id: str | None):
        if not run_id:
            return gr.update(choices=[], value=None), ""
        with user_errors("read the run"):
            checkpoints = checkpoint_choices(self.ctx, run_id)
            evaluated = self.ctx.storage.evaluation(run_id) is not None
        hint = "" if evaluated else banner("info", "This run was not evaluated: its card will have no detox "
                                                   "numbers. Evaluate it in the Evaluate tab first to have them.")
        return (checkpoints,
                preset_note(preset_of(self.ctx, run_id)) + hint)

    def _ended_run(self, run_id: str | None, checkpoint: str | None) -> tuple[Path, str]:
        """The run folder and checkpoint name, once the run has ended (a run still training is
        using the CPU or GPU, and its final checkpoint is not written yet)."""
        if not run_id:
            raise ExportError("pick a run first: runs appear here once they have a checkpoint")
        state = self.ctx.storage.status(run_id).get("state")
        if state not in ENDED:
            raise ExportError(f"run {run_id} is {state}: export it once it has ended (or stop it)")
        return self.ctx.storage.run_dir(run_id), self.ctx.storage.checkpoint(run_id, checkpoint or None).name

    def command(self, run_id, checkpoint, kind, repo, private, overwrite) -> str:
        """The CLI line that does what the buttons do."""
        if not run_id:
            return ""
        merged = KINDS.get(kind) == "merged"
        argv = ["python", "-m", "engine.export", run_id, "--out", f"exports/{run_id}-{'merged' if merged else 'adapter'}"]
        if checkpoint and checkpoint != "final":
            argv += ["--checkpoint", checkpoint]
        if merged:
            argv.append("--merge")
        if repo and repo.strip():
            argv += ["--push", repo.strip()] + ["--private"] * bool(private) + ["--overwrite"] * bool(overwrite)
        return f"```bash\n{shlex.join(argv)}\n```"

    def download(self, run_id, checkpoint, kind, request: gr.Request = None, progress=gr.Progress()):
        """Export into a fresh folder, zip it, offer the zip."""
        require_user(self.ctx, request, ACTION)
        with user_errors("export the run"):
            try:
                merge = choice(kind, KINDS, "kind of export") == "merged"
                run_dir, ckpt = self._ended_run(run_id, checkpoint)
                folder = self._export(run_dir, ckpt, merge, progress)
            except ExportError as exc:
                return warn(f"Cannot export: {exc}"), gr.skip()
            progress(0.8, desc="Zipping…")
            archive = Path(shutil.make_archive(str(folder), "zip", folder.parent, folder.name))
            shutil.rmtree(folder)
        size = archive.stat().st_size / 2**20
        note = (f"**{archive.name}** ({size:.1f} MiB): {'the merged model' if merge else 'the detox LoRA adapter'} "
                f"of `{run_id}` at `{ckpt}`, with its model card (README.md) and training curves.")
        return note, gr.update(value=str(archive), visible=True, label=f"⬇ {archive.name} ({size:.1f} MiB)")

    def push(self, run_id, checkpoint, kind, repo, private, overwrite, request: gr.Request = None,
             progress=gr.Progress()):
        """Export into a fresh folder and upload it to the Hub with the server's token."""
        require_user(self.ctx, request, ACTION)
        with user_errors("push the run"):
            try:
                repo_id = user_text(repo, "repo name", "type OWNER/NAME, e.g. alice/flan-t5-detox").strip()
                merge = choice(kind, KINDS, "kind of export") == "merged"
                check_push(repo_id)  # a bad name or no token: said before minutes of merging
                run_dir, ckpt = self._ended_run(run_id, checkpoint)
                folder = self._export(run_dir, ckpt, merge, progress)
                try:
                    progress(0.6, desc=f"Uploading to {repo_id}…")
                    url = push(folder, repo_id, private=bool(private), overwrite=bool(overwrite))
                finally:
                    shutil.rmtree(folder.parent, ignore_errors=True)  # this export's own temp folder
            except (ExportError, PushError) as exc:
                return warn(f"Cannot push: {exc}")
        gr.Info(f"Pushed to {url}")
        return f"Pushed `{run_id}` at `{ckpt}` ({'merged model' if merge else 'adapter'}) to [{repo_id}]({url})."

    def _export(self, run_dir: Path, ckpt: str, merge: bool, progress) -> Path:
        progress(0.05, desc="Merging the weights into one model…" if merge else "Copying the adapter…")
        with self._lock:
            home = self._zips.new_folder()
            try:
                return export(run_dir, home / f"{run_dir.name}-{'merged' if merge else 'adapter'}", ckpt, merge).folder
            except BaseException:
                shutil.rmtree(home, ignore_errors=True)
                raise


def hide_archive():
    """The download button, hidden and emptied until the new zip is ready."""
    return gr.update(visible=False, value=None)


def create_export_tab(ctx: AppContext, tab: gr.Tab) -> ExportHandlers:
    h = ExportHandlers(ctx)
    gr.Markdown("Take a finished run home: the detox adapter or one merged model, with a model card of "
                "its recipe, curves and detox numbers (evaluate the run first to have them in the card).")
    run, checkpoint, _ = create_run_picker(ctx, "export", tab)
    note = gr.Markdown()
    kind = gr.Radio(list(KINDS), value=next(iter(KINDS)), label="What to export", elem_id="export-kind")
    with gr.Row(equal_height=True):
        build = gr.Button("Build the zip", variant="primary", elem_id="export-download")
        archive = gr.DownloadButton("⬇ zip", visible=False, elem_id="export-zip")
    with gr.Accordion("Push to the Hugging Face Hub", open=False):
        with gr.Row(equal_height=True):
            repo = gr.Textbox(label="Repo", placeholder="OWNER/NAME, e.g. alice/flan-t5-detox", scale=3,
                              max_length=200, elem_id="export-repo",
                              info="uploaded with the server's token (HF_TOKEN or `hf auth login`)")
            private = gr.Checkbox(False, label="Private", scale=1)
            overwrite = gr.Checkbox(False, label="Overwrite if it exists", scale=1)
        upload = gr.Button("Push to the Hub", elem_id="export-push")
    message = gr.Markdown(elem_id="export-message")
    with gr.Accordion("Show the equivalent command", open=False):
        command = gr.Markdown(elem_id="export-command")

    picks = [run, checkpoint, kind]
    # The previous zip goes away first: while a merged model builds (minutes), the button must
    # not offer the adapter zip of the last click as if it were the new one.
    build.click(hide_archive, None, [archive], queue=False, show_progress="hidden",
                api_visibility="undocumented").then(
        h.download, picks, [message, archive], api_name="export_download", api_visibility="undocumented",
        concurrency_id="export", concurrency_limit=1)
    upload.click(h.push, picks + [repo, private, overwrite], [message], api_name="export_push",
                 api_visibility="undocumented", concurrency_id="export", concurrency_limit=1)
    run.change(h.run_changed, [run], [checkpoint, note], api_name="export_run", api_visibility="undocumented")
    for field in (run, checkpoint, kind, repo, private, overwrite):
        field.change(h.command, picks + [repo, private, overwrite], [command], show_progress="hidden",
                     api_visibility="undocumented", concurrency_limit=None)
    return h
