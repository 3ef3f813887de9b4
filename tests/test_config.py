"""Presets, overrides, validation messages and config.json round trips."""

import json

import pytest

from engine.config import Config, ConfigError, PRESETS, apply_overrides, preset, resolve, validate

from dashboard.inputs import UserInputError
from dashboard.settings import api_settings, resolve_settings


def test_seed_preset_is_the_original_recipe():
    cfg = preset("seed")
    assert cfg.model.policy == "google/flan-t5-base"
    assert cfg.model.summary_adapter == "intotheverse/peft-dialogue-summary-checkpoint"
    assert cfg.model.reward_model == "facebook/roberta-hate-speech-dynabench-r4-target"
    assert (cfg.model.lora_r, cfg.model.lora_alpha, cfg.model.lora_target_modules) == (32, 32, ["q", "v"])
    p = cfg.ppo
    assert (p.learning_rate, p.ppo_epochs, p.mini_batch_size, p.batch_size, p.steps) == (1.41e-5, 1, 4, 16, 10)
    assert (p.init_kl_coef, p.target, p.horizon, p.gamma, p.lam) == (0.2, 6.0, 10000, 1.0, 0.95)
    g = cfg.generation
    assert (g.top_k, g.top_p, g.min_length, g.output_min_length, g.output_max_length) == (0, 1.0, 5, 100, 400)
    assert (cfg.data.min_chars, cfg.data.max_chars, cfg.data.test_fraction) == (200, 1000, 0.2)


def test_judges_and_held_out_defaults_per_preset():
    """seed and small judge with a Hub classifier and profanity-check; offline presets with
    profanity-check only; tests and benchmarks skip the held-out rows unless asked."""
    for name in ("seed", "small"):
        assert preset(name).run.judges == ["s-nlp/roberta_toxicity_classifier", "profanity-check"]
        assert (preset(name).run.eval_every, preset(name).run.eval_prompts) == (10, "stress")
    for name in ("demo", "tiny", "shape-base"):
        assert preset(name).run.judges == ["profanity-check"]
    demo = preset("demo").run
    assert (demo.eval_every, demo.eval_size) == (5, 16) and demo.eval_prompts.endswith("heated-test.jsonl")
    assert preset("tiny").run.eval_every == preset("shape-base").run.eval_every == 0
    assert resolve("tiny", ["run.judges=profanity-check,unitary/toxic-bert"]).run.judges == [
        "profanity-check", "unitary/toxic-bert"]


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_is_valid_and_round_trips_through_json(name, tmp_path):
    cfg = validate(preset(name))
    cfg.save(tmp_path / "config.json")
    again = Config.load(tmp_path / "config.json")
    assert again == cfg
    assert json.loads((tmp_path / "config.json").read_text())["preset"] == name


def test_overrides_parse_types():
    cfg = apply_overrides(preset("tiny"), ["ppo.learning_rate=2e-4", "ppo.steps=3", "ppo.adap_kl_ctrl=false",
                                           "model.lora_target_modules=q,k,v", "model.summary_adapter=none",
                                           "ppo.reward_input=query+response"])
    assert cfg.ppo.learning_rate == 2e-4 and cfg.ppo.steps == 3 and cfg.ppo.adap_kl_ctrl is False
    assert cfg.model.lora_target_modules == ["q", "k", "v"] and cfg.model.summary_adapter is None
    assert cfg.ppo.reward_input == "query+response"
    cfg = apply_overrides(preset("tiny"), {"ppo.batch_size": 4, "ppo.mini_batch_size": 2})
    assert (cfg.ppo.batch_size, cfg.ppo.mini_batch_size) == (4, 2)


@pytest.mark.parametrize("override, message", [
    (["ppo.learning_rate=-1"], "learning rate must be in (0, 0.01], got -1.0"),
    (["ppo.learning_rate=0.5"], "learning rate must be in (0, 0.01], got 0.5"),
    (["ppo.learning_rate=nan"], "learning rate must be in (0, 0.01]"),
    (["ppo.steps=0"], "steps must be between 1 and 100000, got 0"),
    (["ppo.steps=100001"], "steps must be between 1 and 100000, got 100001"),
    (["ppo.batch_size=0"], "batch size must be between 1 and 1024, got 0"),
    (["ppo.batch_size=2048"], "batch size must be between 1 and 1024, got 2048"),
    (["ppo.batch_size=16", "ppo.mini_batch_size=5"], "mini-batch size (5) must divide batch size (16)"),
    (["generation.output_min_length=50", "generation.output_max_length=10"], "output length range is empty"),
    (["generation.output_min_length=0"], "output min length must be at least 1, got 0"),
    (["ppo.reward_input=summary"], "reward input must be one of response, query+response, got 'summary'"),
    (["data.min_chars=1000", "data.max_chars=200"], "dialogue length range is empty"),
    (["generation.top_p=0"], "top_p must be in (0, 1]"),
    (["model.dtype=int8"], "dtype must be one of auto, float32, bfloat16, float16, got 'int8'"),
    (["run.eval_every=-1"], "eval_every must be at least 0, got -1"),
    (["run.eval_size=0"], "eval_size must be between 1 and 256, got 0"),
    (["run.eval_prompts= "], "eval_prompts must be stress, test or a file of dialogues"),
])
def test_validation_messages(override, message):
    with pytest.raises(ConfigError) as err:
        resolve("tiny", override)
    assert message in str(err.value)


def test_all_problems_are_listed_at_once():
    with pytest.raises(ConfigError) as err:
        resolve("tiny", ["ppo.learning_rate=1", "ppo.steps=0"])
    assert "learning rate" in str(err.value) and "steps must be" in str(err.value)


@pytest.mark.parametrize("bad, message", [
    ("ppo.steps=ten", "ppo.steps: expected a whole number, got 'ten'"),
    ("ppo.learning_rate=fast", "ppo.learning_rate: expected a number, got 'fast'"),
    ("ppo.adap_kl_ctrl=maybe", "expected true or false"),
    ("ppo.nonsense=1", "unknown setting 'ppo.nonsense'"),
    ("nonsense=1", "unknown setting 'nonsense'"),
    ("ppo.steps", "--set expects key=value"),
])
def test_bad_overrides_are_explained(bad, message):
    with pytest.raises(ConfigError) as err:
        apply_overrides(preset("tiny"), [bad])
    assert message in str(err.value)


@pytest.mark.parametrize("values, message", [
    ({"ppo.batch_size": "8"}, "ppo.batch_size: expected a whole number, got '8' (text)"),
    ({"ppo.learning_rate": "1e-4"}, "ppo.learning_rate: expected a number, got '1e-4' (text)"),
    ({"ppo.adap_kl_ctrl": "false"}, "ppo.adap_kl_ctrl: expected true or false, got 'false' (text)"),
    ({"model.lora_target_modules": "q,v"}, "model.lora_target_modules: expected a list of names, got 'q,v' (text)"),
])
def test_values_from_the_ui_or_the_api_are_not_parsed_from_text(values, message):
    """Only `--set key=value` is text to parse; a dict's value is data and must have the setting's type."""
    with pytest.raises(ConfigError) as err:
        apply_overrides(preset("tiny"), values)
    assert message in str(err.value)
    key, value = next(iter(values.items()))
    assert apply_overrides(preset("tiny"), [f"{key}={value}"])  # the same text on a command line is parsed


def test_text_settings_still_take_text_from_a_dict():
    cfg = apply_overrides(preset("tiny"), {"ppo.reward_input": "query+response", "model.summary_adapter": None})
    assert cfg.ppo.reward_input == "query+response" and cfg.model.summary_adapter is None


@pytest.mark.parametrize("shortcuts, settings, message", [
    ({"steps": "20"}, None, "ppo.steps: expected a whole number, got '20' (text)"),
    ({"learning_rate": "1e-4"}, None, "ppo.learning_rate: expected a number, got '1e-4' (text)"),
    ({}, {"ppo.batch_size": "8"}, "ppo.batch_size: expected a whole number, got '8' (text)"),
])
def test_the_api_refuses_numbers_sent_as_text(shortcuts, settings, message):
    with pytest.raises(UserInputError) as err:
        resolve_settings("tiny", api_settings(settings, **shortcuts))
    assert message in str(err.value)


@pytest.mark.parametrize("shortcuts, message", [
    ({"steps": 1e308}, "steps must be between 1 and 100000, got " + str(int(1e308))[:39] + "…"),
    ({"learning_rate": 1e308}, "learning rate must be in (0, 0.01], got 1e+308"),
    ({"learning_rate": 10**400}, "learning rate must be in (0, 0.01], got 1" + "0" * 38 + "…"),
])
def test_an_absurd_number_is_cut_in_the_message(shortcuts, message):
    with pytest.raises(UserInputError) as err:
        resolve_settings("tiny", api_settings(None, **shortcuts))
    assert message in str(err.value) and len(str(err.value)) < 120


def test_every_range_message_cuts_its_value():
    huge = 10**300
    cfg = preset("tiny")
    cfg.ppo.mini_batch_size, cfg.generation.output_min_length, cfg.ppo.reward_input = huge, huge, "x" * 1000
    with pytest.raises(ConfigError) as err:
        validate(cfg)
    assert str(huge) not in str(err.value) and "x" * 100 not in str(err.value)
    assert "mini-batch size (1" + "0" * 38 + "…) must divide" in str(err.value)


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(ConfigError, match="unknown preset 'huge'; choose one of: demo, seed, small, tiny, shape-base"):
        preset("huge")


def test_from_dict_rejects_unknown_fields():
    d = preset("tiny").to_dict()
    d["ppo"]["learning_rat"] = 1e-4
    with pytest.raises(ConfigError, match="unknown setting"):
        Config.from_dict(d)


def test_every_range_is_said_once_and_read_by_validation_the_form_and_the_cli():
    """engine/config.py's field Limits: validate() refuses what they refuse, the Train tab shows
    their words, engine.train --help lists them."""
    import dataclasses

    from dashboard.access import Limits as AppLimits
    from dashboard.settings import FIELDS
    from engine.config import limits, settings_help

    lr = limits(Config().ppo, "learning_rate")
    assert lr.describe() == "in (0, 0.01]" and lr.accepts(0.01) and not lr.accepts(0) and not lr.accepts(True)
    seed = limits(Config().ppo, "seed")
    assert seed.accepts(2**32 - 1) and not seed.accepts(2**32) and not seed.accepts(1.0)
    # every limited field of every section: its default passes, a value outside fails with its own words
    for section in ("model", "data", "generation", "ppo", "run"):
        for f in dataclasses.fields(getattr(Config(), section)):
            lim = f.metadata.get("limits")
            if lim is None:
                continue
            assert lim.accepts(getattr(Config(), section).__dict__[f.name]), f.name
            assert f"{section}.{f.name}: {lim.describe()}" in settings_help()
            bad = "nonsense" if lim.choices else (lim.low - 1 if lim.low is not None else lim.high + 1)
            cfg = preset("tiny")
            setattr(getattr(cfg, section), f.name, bad)
            with pytest.raises(ConfigError) as err:
                validate(cfg)
            assert f"{lim.name} must be {lim.describe()}" in str(err.value)
    # the form: captions are the config's help and range, with this app's caps
    caption = {f.key: f.caption(AppLimits(50, 16)) for f in FIELDS}
    assert caption["ppo.batch_size"] == "summaries per step; between 1 and 16"
    assert caption["ppo.learning_rate"] == lr.describe()
    assert {f.key: f.kind for f in FIELDS}["ppo.algorithm"] == "choice"
