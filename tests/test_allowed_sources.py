"""What a custom run may name on a shared app (issue 24): the allow-list, the size cap asked of the
Hub before any download, and the data folder."""
from __future__ import annotations

import pytest

from dashboard.allowed_sources import AllowedSources, hub_bytes, preset_models
from engine.config import ASSETS
from tests.hub_stand_in import StandInHub


def test_by_default_only_the_presets_models_are_allowed():
    rules = AllowedSources.from_env({})
    assert rules.allowed == preset_models() and rules.max_gb is None and rules.data_dir == ASSETS.resolve()
    assert "google/flan-t5-base" in rules.allowed and str(ASSETS / "demo" / "summarizer") in rules.allowed
    assert rules.model_problem("policy", "google/flan-t5-base") is None
    assert "is not allowed on this app (DETOX_ALLOWED_MODELS" in rules.model_problem("policy", "google/flan-t5-xxl")


def test_globs_the_data_folder_and_the_size_cap(tmp_path):
    (tmp_path / "models" / "bart").mkdir(parents=True)
    (tmp_path / "models" / "bart" / "model.safetensors").write_bytes(b"\0" * 3000)
    rules = AllowedSources.from_env({"DETOX_ALLOWED_MODELS": f"google/flan-t5-*, {tmp_path}/models/*",
                                     "DETOX_MAX_MODEL_GB": "0.000002", "DETOX_DATA_DIR": str(tmp_path / "models")})
    sizes = {"google/flan-t5-large": 3_130_000_000, "google/flan-t5-small": 1_000}
    assert rules.model_problem("policy", "google/flan-t5-small", sizes.get) is None
    assert "has 3.13 GB of weights; this app loads at most 2e-06 GB (DETOX_MAX_MODEL_GB)" in \
        rules.model_problem("policy", "google/flan-t5-large", sizes.get)
    assert "has 0.00 GB of weights" in rules.model_problem("policy", str(tmp_path / "models" / "bart"))  # 3 kB > 2 kB
    # a path the glob allows but that leaves the data folder through ".." is refused
    sneaky = f"{tmp_path}/models/../secrets"
    assert "is outside this app's data folder" in AllowedSources(("*",), None, tmp_path / "models").model_problem(
        "dataset", sneaky)
    with pytest.raises(ValueError, match="DETOX_MAX_MODEL_GB must be a number"):
        AllowedSources.from_env({"DETOX_MAX_MODEL_GB": "big"})


def test_the_size_comes_from_the_hubs_file_list_before_any_download(monkeypatch):
    rules = AllowedSources(("acme/*",), 0.5, ASSETS.resolve())
    # offline (the tests run with HF_HUB_OFFLINE=1): the size cannot be known, so the model is refused
    assert "its size cannot be checked against this app's cap of 0.5 GB" in rules.model_problem("policy", "acme/x")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    with StandInHub() as hub:
        monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", hub.endpoint)
        hub.model_files["acme/summarizer"] = {"model.safetensors": 900_000_000, "pytorch_model.bin": 900_000_000,
                                              "config.json": 700}
        assert hub_bytes("acme/summarizer") == 900_000_000  # the loaders read safetensors only
        assert "has 0.90 GB of weights; this app loads at most 0.5 GB" in rules.model_problem("policy", "acme/summarizer")
        assert "its size cannot be checked" in rules.model_problem("policy", "acme/missing")
