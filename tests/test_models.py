"""Model loading: the seed stack's shape, offline loading by path, clear errors, checkpoints."""

import json
import shutil

import pytest
import torch

from engine.config import preset, resolve
from engine.models import (ModelError, load_checkpoint, load_policy, load_tokenizer, parameter_report, pick_device,
                           pick_dtype, save_checkpoint)
from tests.conftest import ROOT

CPU = torch.device("cpu")
TINY = ROOT / "assets" / "tiny"


@pytest.mark.slow
def test_shape_true_flan_t5_base_has_the_notebooks_trainable_parameter_count():
    cfg = preset("shape-base")
    policy, _ = load_policy(cfg.model, CPU, torch.float32)
    report = parameter_report(policy)
    assert report.lora == 3_538_944 and report.value_head == 769
    assert report.trainable == 3_538_944 + 769
    assert "trainable model parameters: 3,539,713" in str(report)
    # flan-t5-base has 247,577,856 parameters, with an lm_head of its own (not tied)
    assert report.total == 247_577_856 + report.trainable
    base = policy.model.get_base_model()
    assert base.lm_head.weight.data_ptr() != base.shared.weight.data_ptr()


def test_device_and_dtype_choice():
    assert pick_device("cpu") == CPU
    assert pick_dtype("auto", CPU) == torch.float32
    assert pick_dtype("auto", torch.device("cuda")) == torch.bfloat16
    assert pick_dtype("float16", CPU) == torch.float16
    if not torch.cuda.is_available():
        with pytest.raises(ModelError, match="no CUDA GPU"):
            pick_device("cuda")


def test_tiny_loads_by_path_with_the_hub_offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-cache"))
    cfg = preset("tiny")
    policy, tok = load_policy(cfg.model, CPU, torch.float32)
    assert tok.pad_token_id == 0 and tok.eos_token_id == 1
    assert not policy.training  # dropout is off for the whole run
    assert all(("lora_" in n or n.startswith("v_head")) == p.requires_grad for n, p in policy.named_parameters())


def test_summary_adapter_is_merged_into_the_reference(monkeypatch):
    with_adapter, tok = load_policy(preset("tiny").model, CPU, torch.float32)
    without = resolve("tiny", ["model.summary_adapter=none"])
    bare, _ = load_policy(without.model, CPU, torch.float32)
    enc = tok(["#Person1#: Hello there. #Person2#: Hi."], return_tensors="pt")
    dec = torch.tensor([[0, 5, 6]])
    with torch.no_grad(), with_adapter.reference(), bare.reference():
        a = with_adapter.model(**enc, decoder_input_ids=dec).logits
        b = bare.model(**enc, decoder_input_ids=dec).logits
    assert not torch.allclose(a, b)


def test_hub_id_without_network_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-cache"))
    with pytest.raises(ModelError, match="(?s)Hugging Face Hub or its local cache.*offline 'demo' preset"):
        load_tokenizer("google/flan-t5-base")


def test_missing_path_and_wrong_architecture_are_clear_errors(tmp_path):
    with pytest.raises(ModelError, match="cannot load"):
        load_policy(resolve("tiny", [f"model.policy={tmp_path / 'nothing'}"]).model, CPU, torch.float32)
    wrong = resolve("tiny", [f"model.policy={TINY / 'reward'}", "model.summary_adapter=none"])
    with pytest.raises(ModelError) as err:
        load_policy(wrong.model, CPU, torch.float32)
    assert "reward" in str(err.value)


def test_adapter_for_another_base_model_is_refused(tmp_path):
    other = tmp_path / "adapter"
    shutil.copytree(TINY / "summary-adapter", other)
    from safetensors.torch import load_file, save_file

    weights = {k: torch.zeros(v.shape[0] * 2 if "lora_B" in k else v.shape[0], v.shape[1] * 2 if "lora_A" in k else v.shape[1])
               for k, v in load_file(str(other / "adapter_model.safetensors")).items()}
    save_file(weights, str(other / "adapter_model.safetensors"))
    with pytest.raises(ModelError, match="does not fit the base model"):
        load_policy(resolve("tiny", [f"model.summary_adapter={other}"]).model, CPU, torch.float32)


def test_checkpoint_round_trip_restores_lora_and_value_head(tmp_path):
    cfg = preset("tiny")
    policy, _ = load_policy(cfg.model, CPU, torch.float32, seed=1)
    with torch.no_grad():
        for name, p in policy.named_parameters():
            if p.requires_grad:
                p.add_(torch.randn_like(p) * 0.1)
    save_checkpoint(policy, tmp_path / "ckpt")
    assert (tmp_path / "ckpt" / "adapter_model.safetensors").is_file()
    assert (tmp_path / "ckpt" / "value_head.safetensors").is_file()
    assert json.loads((tmp_path / "ckpt" / "adapter_config.json").read_text())["r"] == cfg.model.lora_r
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]  # the staging folder was renamed
    fresh, _ = load_policy(cfg.model, CPU, torch.float32, seed=2)
    load_checkpoint(fresh, tmp_path / "ckpt")
    saved = dict(policy.named_parameters())
    for name, p in fresh.named_parameters():
        if p.requires_grad:
            assert torch.equal(p, saved[name]), name


def test_checkpoint_of_another_shape_is_refused(tmp_path):
    policy, _ = load_policy(preset("tiny").model, CPU, torch.float32)
    save_checkpoint(policy, tmp_path / "ckpt")
    wider = resolve("tiny", ["model.lora_r=4"])
    other, _ = load_policy(wider.model, CPU, torch.float32)
    with pytest.raises(ModelError, match="does not fit"):
        load_checkpoint(other, tmp_path / "ckpt")
    with pytest.raises(ModelError, match="no adapter_model.safetensors"):
        load_checkpoint(other, tmp_path)


def test_a_checkpoint_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    """A kill between the adapter's save and the value head's once left a checkpoint that was
    listed as complete; now nothing appears under the checkpoint's name until both are written."""
    import safetensors.torch

    from engine import runs

    policy, _ = load_policy(preset("tiny").model, CPU, torch.float32, seed=1)
    run_dir = tmp_path / "run"
    target = runs.checkpoint_dir(run_dir, 3)

    def killed(*args, **kwargs):
        assert not target.exists()  # the adapter is saved by now, but under another name
        raise KeyboardInterrupt  # a kill between the two saves

    monkeypatch.setattr(safetensors.torch, "save_file", killed)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(policy, target)
    assert not target.exists() and list(target.parent.iterdir()) == [] and runs.list_checkpoints(run_dir) == []
    monkeypatch.undo()
    save_checkpoint(policy, target)
    save_checkpoint(policy, target)  # saved again: replaced, never merged with the old one
    assert runs.list_checkpoints(run_dir) == ["step-3"]
    assert sorted(p.name for p in target.parent.iterdir()) == ["step-3"]


def test_loading_the_policy_prints_none_of_the_known_noise(recwarn, caplog):
    """Every load printed transformers' tied-weights notice, its is_gradient_checkpointing
    FutureWarning and peft's "embeddings no longer tied": nothing a user can act on."""
    import logging
    import warnings

    from engine.models import KNOWN_LOAD_NOISE

    warnings.simplefilter("always")
    with caplog.at_level(logging.INFO):
        load_policy(preset("demo").model, CPU, torch.float32)
    said = [str(w.message) for w in recwarn] + [r.getMessage() for r in caplog.records]
    assert not [s for s in said if any(text in s for text in KNOWN_LOAD_NOISE)], said
    with pytest.warns(UserWarning, match="no longer tied"):  # outside a load site, nothing is hidden
        warnings.warn("Input and output embeddings are no longer tied after merging.", UserWarning)


def test_a_damaged_checkpoint_is_named_and_a_loader_bug_keeps_its_traceback(tmp_path, monkeypatch):
    cfg = preset("tiny")
    policy, _ = load_policy(cfg.model, CPU, torch.float32, value_head=False)
    save_checkpoint(policy, tmp_path / "step-4")
    (tmp_path / "step-4" / "adapter_model.safetensors").write_bytes(b"\x01\x02")  # truncated by a full disk, say
    with pytest.raises(ModelError, match="checkpoint step-4 cannot be read .*damaged or incomplete"):
        load_checkpoint(policy, tmp_path / "step-4")
    # a KeyError inside a loader is a bug, not a bad model: it is not dressed up as one
    import transformers

    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(transformers.AutoModelForSeq2SeqLM, "from_pretrained", broken)
    with pytest.raises(KeyError, match="a bug"):
        load_policy(cfg.model, CPU, torch.float32)
