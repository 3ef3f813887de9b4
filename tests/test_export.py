"""engine.export: the adapter and the merged model reload with plain PEFT / transformers and write
the dashboard's tuned summaries; the model card holds evaluation.json's numbers; push goes to a
stand-in Hub on 127.0.0.1 and says clearly why it did not happen."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import torch
import yaml

from engine import runs
from engine.config import Config
from engine.evaluate import main as evaluate_main
from engine.evaluation import sample_summaries
from engine.loading import load_run_models
from dashboard.downloads import Downloads, remove_stale_downloads
from engine.export import ExportError, export, main as export_main, remove_stale_partials, staging_prefix
from engine.model_card import CURVES_FILE, CardInputs, card_text
from engine.ppo import LengthSampler
from engine.push import NO_TOKEN, PushError, push
from engine.train import main as train_main
from tests.dashboard_helpers import trainer_in_this_process
from tests.hub_stand_in import StandInHub

SEED = 7


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A finished 4-step tiny run, evaluated, with held-out rows: its tuned model differs from the reference."""
    runs_dir = tmp_path_factory.mktemp("runs")
    with trainer_in_this_process():
        assert train_main(["--preset", "tiny", "--steps", "4", "--runs-dir", str(runs_dir),
                           "--set", "run.eval_every=2", "--set", "ppo.learning_rate=0.01"]) == 0
    (run,) = [p for p in runs_dir.iterdir() if p.is_dir()]
    assert evaluate_main([str(run), "--samples", "6", "--samples-per-prompt", "2"]) == 0
    return run


@pytest.fixture(scope="module")
def tuned(run_dir):
    """What the dashboard's Compare tab generates with: the run's policy with the final adapter."""
    return load_run_models(run_dir, "final")


def _summaries(model, tuned, seed=SEED):
    from engine.data import prompts_from

    examples = prompts_from("test", tuned.cfg.data, tuned.tokenizer, 6)
    lengths = LengthSampler(tuned.cfg.generation.output_min_length, tuned.cfg.generation.output_max_length,
                            seed)(len(examples))
    return sample_summaries(model, tuned.tokenizer, examples, lengths, seed, tuned.cfg)


def _reference(cfg):
    from peft import PeftModel
    from transformers import AutoModelForSeq2SeqLM

    base = AutoModelForSeq2SeqLM.from_pretrained(cfg.model.policy)
    return PeftModel.from_pretrained(base, cfg.model.summary_adapter).merge_and_unload()


def test_the_adapter_reloads_with_plain_peft_and_writes_the_dashboards_summaries(run_dir, tuned, tmp_path):
    from peft import PeftModel

    out = tmp_path / "adapter"
    assert export_main([str(run_dir), "--out", str(out)]) == 0
    assert {"adapter_config.json", "adapter_model.safetensors", "value_head.safetensors", "README.md",
            CURVES_FILE, "detox_config.json", "evaluation.json"} <= {p.name for p in out.iterdir()}
    cfg = tuned.cfg
    model = PeftModel.from_pretrained(_reference(cfg), str(out)).eval()  # the card's recipe, as written
    dashboard = _summaries(tuned.policy.model, tuned)
    assert _summaries(model, tuned) == dashboard
    with tuned.policy.reference():
        assert _summaries(tuned.policy.model, tuned) != dashboard  # the detox LoRA changes something


def test_the_merged_model_loads_with_plain_transformers_alone(run_dir, tuned, tmp_path):
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    out = tmp_path / "merged"
    assert export_main([str(run_dir), "--out", str(out), "--merge"]) == 0
    names = {p.name for p in out.iterdir()}
    assert "model.safetensors" in names and not names & {"adapter_config.json", "pytorch_model.bin"}
    model = AutoModelForSeq2SeqLM.from_pretrained(str(out)).eval()
    assert model.dtype == torch.float32  # the run's dtype (status.json: "cpu (float32)")
    assert type(model).__name__ == "T5ForConditionalGeneration"
    assert _summaries(model, tuned) == _summaries(tuned.policy.model, tuned)

    # the card's snippet: a bare generate() with a seed and a length gives the dashboard's summary
    tokenizer = AutoTokenizer.from_pretrained(str(out))
    (example,) = __import__("engine.data", fromlist=["prompts_from"]).prompts_from(
        "test", tuned.cfg.data, tuned.tokenizer, 1)
    length = 12
    torch.manual_seed(SEED)
    ids = model.generate(input_ids=torch.tensor([example.input_ids]), max_new_tokens=length)
    expected = sample_summaries(tuned.policy.model, tuned.tokenizer, [example], [length], SEED, tuned.cfg)
    assert tokenizer.decode(ids[0], skip_special_tokens=True) == expected[0]


def _front_matter(card: str) -> dict:
    match = re.match(r"---\n(.*?)\n---\n", card, re.S)
    assert match, "the card starts with YAML metadata"
    return yaml.safe_load(match.group(1))


def _numbers(cell: str) -> list[float]:
    return [float(x) for x in re.findall(r"[-+]?\d+\.\d+", cell)]


def test_the_model_card_states_evaluation_json_numbers(run_dir, tmp_path):
    out = tmp_path / "card"
    export(run_dir, out)
    card = (out / "README.md").read_text()
    evaluation = json.loads((run_dir / runs.EVALUATION_FILE).read_text())
    meta = _front_matter(card)
    assert meta["library_name"] == "peft" and "detoxification" in meta["tags"]
    assert "base_model" not in meta and "datasets" not in meta  # local folders are no Hub links

    rows = {line.split("|")[1].strip(): line.split("|")[2:-1] for line in card.splitlines()
            if line.startswith("| ") and "->" in line}
    assert len(rows) == len(evaluation["judges"]) == 2
    for name, j in evaluation["judges"].items():
        (cells,) = [cells for label, cells in rows.items() if label.startswith(name)]
        m, emt, tp = j["mean"], j["expected_max_toxicity"], j["toxicity_probability"]
        shown = [n for cell in cells for n in _numbers(cell)]
        expected = [m["before_mean"], m["after_mean"], m["diff_mean"], *m["diff_ci95"],
                    emt["before"], emt["after"], tp["before"], tp["after"]]
        assert shown == pytest.approx(expected, abs=6e-4)
    rouge_rows = {line.split("|")[1].strip(): _numbers(line) for line in card.splitlines()
                  if line.startswith(("| before |", "| after |"))}
    for when in ("before", "after"):
        assert rouge_rows[when][2] == pytest.approx(evaluation["quality"][when]["rougeL"], abs=6e-4)
        assert rouge_rows[when][3] == pytest.approx(evaluation["quality"][when]["on_topic"], abs=6e-4)
    for verdict in evaluation["verdicts"]:
        assert f"- {verdict['text']}" in card
    assert f"{evaluation['prompts']} prompts x {evaluation['samples_per_prompt']} samples" in card
    assert "tiny" in card and "gibberish" in card  # the toy says so


def _inputs(cfg: Config, **kw) -> CardInputs:
    base = dict(cfg=cfg, run_id="20260101T000000Z-seed-abcd", checkpoint="final", merged=False,
                status={"state": "finished"}, metrics=[], evaluation=None, held_out=[])
    return CardInputs(**{**base, **kw})


def test_a_card_for_the_seed_recipe_names_the_hub_lineage_and_license():
    from engine.config import preset

    card = card_text(_inputs(preset("seed")))
    meta = _front_matter(card)
    assert meta["base_model"] == "google/flan-t5-base" and meta["license"] == "apache-2.0"
    assert meta["datasets"] == ["knkarthick/dialogsum"]
    assert "intotheverse/peft-dialogue-summary-checkpoint" in card
    assert "sits on the base with the summary adapter merged in" in card
    assert 'PeftModel.from_pretrained(base, "intotheverse/peft-dialogue-summary-checkpoint").merge_and_unload()' in card
    assert "This run was not evaluated" in card and "A toy" not in card


def test_the_card_says_the_summarization_pipeline_is_not_the_way_and_the_hub_task_is_known():
    """pipeline("summarization"/"text2text-generation") fails on transformers 5: both tasks were
    removed. The card keeps the Hub's task tag (the Hub still lists summarization as a task, for
    search) and says to call generate."""
    import transformers
    from engine.config import preset

    card = card_text(_inputs(preset("seed")))
    assert _front_matter(card)["pipeline_tag"] == "summarization"
    assert 'transformers 5 removed both tasks' in card and "model.generate(**inputs" in card
    if int(transformers.__version__.split(".")[0]) >= 5:
        from transformers.pipelines import SUPPORTED_TASKS

        assert "summarization" not in SUPPORTED_TASKS and "text2text-generation" not in SUPPORTED_TASKS


def test_a_card_says_when_its_numbers_belong_to_another_checkpoint(run_dir):
    cfg = Config.from_dict(runs.read_config(run_dir))
    evaluation = json.loads((run_dir / runs.EVALUATION_FILE).read_text())
    card = card_text(_inputs(cfg, checkpoint="step-2", evaluation=evaluation))
    assert "These numbers are of checkpoint `final`, not of the exported `step-2`." in card


def test_export_refuses_to_overwrite_and_leaves_nothing_half_written(run_dir, tmp_path, monkeypatch, capsys):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine")
    assert export_main([str(run_dir), "--out", str(taken)]) == 2
    assert "is not empty: choose a new folder (nothing is overwritten)" in capsys.readouterr().err
    assert (taken / "keep.txt").read_text() == "mine"

    assert export_main([str(run_dir), "--out", str(tmp_path / "x"), "--checkpoint", "step-99"]) == 2
    assert "has no checkpoint 'step-99'" in capsys.readouterr().err
    assert export_main([str(run_dir), "--out", str(tmp_path / "x"), "--private"]) == 2
    assert "--private and --overwrite go with --push" in capsys.readouterr().err

    def broken(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("engine.model_card.curves_png", broken)
    with pytest.raises(ExportError, match="could not write the export into .*half: No space left on device"):
        export(run_dir, tmp_path / "half")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]  # no folder, no staging left


def _reaped_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_bad_out_paths_are_one_error_line_each(run_dir, tmp_path, capsys):
    long_ok = tmp_path / ("n" * 250)  # a legal name: its staging folder's must be legal too
    assert export_main([str(run_dir), "--out", str(long_ok)]) == 0, capsys.readouterr().err
    assert (long_ok / "adapter_model.safetensors").is_file()
    capsys.readouterr()
    deep = tmp_path.joinpath(*["abcdefghij"] * 400) / "x"
    for out, words in ((tmp_path / ("n" * 300), "300 bytes long; file systems allow 255"),
                       (Path("/proc/x"), "cannot export into /proc/x"),
                       (deep, "File name too long")):
        assert export_main([str(run_dir), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and words in err and "Traceback" not in err


@pytest.mark.slow
def test_a_second_export_into_the_same_folder_is_refused_and_stale_partials_are_cleaned(run_dir, tmp_path, capsys):
    out = tmp_path / "shared"
    with subprocess.Popen(["sleep", "60"]) as other:  # a live export's staging folder
        try:
            busy = tmp_path / f"{staging_prefix(out)}{other.pid}-abc123"
            busy.mkdir()
            assert export_main([str(run_dir), "--out", str(out)]) == 2
            err = capsys.readouterr().err
            assert f"another export (process {other.pid}) is writing --out {out} now" in err
            assert "Traceback" not in err and busy.is_dir() and not out.exists()
        finally:
            other.kill()
    gone = _reaped_pid()
    stale = [tmp_path / f"{staging_prefix(out)}{gone}-abc123", tmp_path / f".old-name.partial-{gone}"]
    for folder in stale:
        folder.mkdir()
        (folder / "model.safetensors").write_bytes(b"half")
    keep = tmp_path / f".other.partial-{os.getpid()}"  # a live process's: not ours to remove
    keep.mkdir()
    assert export_main([str(run_dir), "--out", str(out)]) == 0
    assert not any(p.exists() for p in stale + [busy]) and keep.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([keep.name, "shared"])
    assert remove_stale_partials(tmp_path / "absent") == []


@pytest.mark.slow
def test_the_app_removes_the_download_folders_of_an_app_that_was_killed(tmp_path):
    gone = _reaped_pid()
    stale = tmp_path / f"detox-export-pid{gone}-x1"
    (stale / "tmpab" / f".run-merged.abc.partial-{gone}-aa").mkdir(parents=True)
    live = tmp_path / f"detox-export-pid{os.getpid()}-x2"
    other = tmp_path / "detox-export-abc"  # an older app's name: no pid to judge by, left
    for folder in (live, other):
        folder.mkdir()
    assert remove_stale_downloads(tmp_path) == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])
    assert Downloads("export").folder().name.startswith(f"detox-export-pid{os.getpid()}-")


@pytest.fixture
def online(monkeypatch):
    """The tests run with HF_HUB_OFFLINE=1 (conftest); pushing to a stand-in needs it off."""
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)


def test_push_uploads_the_folder_to_a_stand_in_hub(run_dir, tmp_path, monkeypatch, capsys, online):
    with StandInHub() as hub:
        monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", hub.endpoint)
        monkeypatch.setenv("HF_TOKEN", hub.token)
        out = tmp_path / "pushed"
        assert export_main([str(run_dir), "--out", str(out), "--push", "alice/tiny-detox", "--private"]) == 0
        assert f"pushed to {hub.endpoint}/alice/tiny-detox" in capsys.readouterr().out
        repo = hub.repos["alice/tiny-detox"]
        assert repo["private"] is True and repo["commits"] == 1
        assert repo["files"] == {p.name: p.read_bytes() for p in out.iterdir()}

        with pytest.raises(PushError, match=r"alice/tiny-detox already exists on the Hub: choose another name, "
                                            r"or pass --overwrite"):
            push(out, "alice/tiny-detox")
        push(out, "alice/tiny-detox", overwrite=True)
        assert repo["commits"] == 2

        monkeypatch.setenv("HF_TOKEN", "hf_wrong")
        with pytest.raises(PushError, match=r"the Hub rejected the token \(401\)"):
            push(out, "alice/other")


def test_push_refuses_in_offline_mode(run_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HF_TOKEN", "hf_any")
    assert export_main([str(run_dir), "--out", str(tmp_path / "x"), "--push", "alice/x"]) == 2
    assert "HF_HUB_OFFLINE is set: pushing needs the network; unset it to push" in capsys.readouterr().err


def test_push_says_why_it_cannot_happen(run_dir, tmp_path, monkeypatch, capsys, online):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))  # no stored login either
    monkeypatch.setattr("huggingface_hub.constants.HF_TOKEN_PATH", str(tmp_path / "hf-home" / "token"))
    monkeypatch.setattr("huggingface_hub.constants.HF_STORED_TOKENS_PATH", str(tmp_path / "hf-home" / "tokens"))
    out = tmp_path / "not-pushed"
    assert export_main([str(run_dir), "--out", str(out), "--push", "alice/x"]) == 2
    assert capsys.readouterr().err.strip() == f"error: {NO_TOKEN}"
    assert not out.exists()  # refused before any work

    assert export_main([str(run_dir), "--out", str(out), "--push", "no-owner"]) == 2
    assert "repo name must be OWNER/NAME" in capsys.readouterr().err

    monkeypatch.setenv("HF_TOKEN", "hf_any")
    monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", "http://127.0.0.1:9")  # nothing listens
    export(run_dir, out)
    with pytest.raises(PushError, match=r"cannot reach the Hugging Face Hub at http://127.0.0.1:9: .*"
                                        r"check the network \(nothing was uploaded\)"):
        push(out, "alice/x")


# --- the dashboard's Export tab ---------------------------------------------------------------

def _no_progress(*args, **kwargs):
    pass


@pytest.fixture
def export_tab(run_dir):
    from dashboard.export_tab import ExportHandlers
    from tests.dashboard_helpers import make_ctx

    return ExportHandlers(make_ctx(run_dir.parent))


def test_the_download_button_zips_the_adapter_with_its_card(export_tab, run_dir, tmp_path):
    import zipfile

    from dashboard.export_tab import KINDS

    adapter = next(k for k, v in KINDS.items() if v == "adapter")
    note, button = export_tab.download(run_dir.name, "final", adapter, request=None, progress=_no_progress)
    archive = button["value"]
    assert button["visible"] is True and archive.endswith(".zip") and "adapter" in note
    with zipfile.ZipFile(archive) as z:
        z.extractall(tmp_path)
        (folder,) = {name.split("/")[0] for name in z.namelist()}
    assert folder == f"{run_dir.name}-adapter" and archive.endswith(f"{folder}.zip")
    names = {p.name for p in (tmp_path / folder).iterdir()}
    assert {"adapter_model.safetensors", "value_head.safetensors", "README.md", CURVES_FILE} <= names
    assert (tmp_path / folder / "adapter_model.safetensors").read_bytes() == \
        (run_dir / "final" / "adapter_model.safetensors").read_bytes()


def test_viewers_may_neither_download_nor_push(export_tab, run_dir):
    import gradio as gr

    from dashboard.access import Access
    from tests.dashboard_helpers import FakeRequest

    export_tab.ctx.access = Access(hf_admins=frozenset({"owner"}))
    kind = next(iter(__import__("dashboard.export_tab", fromlist=["KINDS"]).KINDS))
    with pytest.raises(gr.Error, match="may not export or push a model"):
        export_tab.download(run_dir.name, "final", kind, request=FakeRequest(hf_user="eve"), progress=_no_progress)
    with pytest.raises(gr.Error, match="Sign in with Hugging Face"):
        export_tab.push(run_dir.name, "final", kind, "eve/x", False, False, request=FakeRequest(),
                        progress=_no_progress)
    assert export_tab._zips._dir is None  # nothing was exported


def test_a_run_still_training_is_not_exported(export_tab, run_dir, monkeypatch):
    from dashboard.export_tab import KINDS

    monkeypatch.setattr(export_tab.ctx.storage, "status", lambda run_id: {"state": "running"})
    message, button = export_tab.download(run_dir.name, "final", next(iter(KINDS)), request=None,
                                          progress=_no_progress)
    assert "is running: export it once it has ended (or stop it)" in message


def test_the_push_button_uploads_the_merged_model(export_tab, run_dir, monkeypatch, online):
    from dashboard.export_tab import KINDS

    merged = next(k for k, v in KINDS.items() if v == "merged")
    with StandInHub() as hub:
        monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", hub.endpoint)
        monkeypatch.setenv("HF_TOKEN", hub.token)
        message = export_tab.push(run_dir.name, "final", merged, " bob/tiny-merged ", True, False,
                                  request=None, progress=_no_progress)
        assert f"to [bob/tiny-merged]({hub.endpoint}/bob/tiny-merged)" in message
        files = hub.repos["bob/tiny-merged"]["files"]
        assert {"model.safetensors", "config.json", "tokenizer.json", "README.md"} <= set(files)
        assert b"library_name: transformers" in files["README.md"]
        again = export_tab.push(run_dir.name, "final", merged, "bob/tiny-merged", True, False,
                                request=None, progress=_no_progress)
        assert "bob/tiny-merged already exists on the Hub" in again
    assert not any(export_tab._zips.folder().iterdir())  # the pushed folders are gone


def test_the_equivalent_command(export_tab):
    from dashboard.export_tab import KINDS

    merged = next(k for k, v in KINDS.items() if v == "merged")
    assert export_tab.command("R", "step-5", merged, "alice/m", True, False) == \
        "```bash\npython -m engine.export R --out exports/R-merged --checkpoint step-5 --merge --push alice/m --private\n```"
    assert export_tab.command("R", "final", next(iter(KINDS)), "", False, False) == \
        "```bash\npython -m engine.export R --out exports/R-adapter\n```"


def test_picking_a_run_says_whether_its_card_will_have_numbers(export_tab, run_dir, tmp_path):
    import shutil

    update, note = export_tab.run_changed(run_dir.name)
    assert update["value"] == "final" and update["choices"][0] == "final"
    assert "not evaluated" not in note and "tiny" in note
    bare = tmp_path / "runs"
    shutil.copytree(run_dir, bare / run_dir.name)
    (bare / run_dir.name / runs.EVALUATION_FILE).unlink()
    from dashboard.export_tab import ExportHandlers
    from tests.dashboard_helpers import make_ctx

    _, note = ExportHandlers(make_ctx(bare)).run_changed(run_dir.name)
    assert "This run was not evaluated: its card will have no detox numbers" in note


def test_building_a_new_zip_first_takes_the_previous_one_away(tmp_path):
    """While a merged model builds, the button offered the previous adapter zip as if new."""
    from dashboard.export_tab import hide_archive
    from dashboard.ui import build_app

    demo = build_app(tmp_path / "runs", preset="tiny")
    ids = {block._id: getattr(block, "elem_id", None) for block in demo.blocks.values()}
    on_build = [fn for fn in demo.fns.values()
                if any(ids.get(target[0]) == "export-download" for target in fn.targets)]
    assert [fn.fn.__name__ for fn in on_build][:1] == ["hide_archive"]
    assert [ids[b._id] for b in on_build[0].outputs] == ["export-zip"]
    assert hide_archive() == {"__type__": "update", "visible": False, "value": None}
