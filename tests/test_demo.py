"""The offline `demo` preset: readable summaries that repeat rudeness, a reward model that minds,
and PPO that removes the rudeness on a CPU (rebuilt by `python assets/build_demo.py`).

The held-out sentences below are written for these tests, not drawn from the generator.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest
import torch
from peft import PeftModel
from transformers import AutoModelForSeq2SeqLM, AutoModelForSequenceClassification, AutoTokenizer

from engine.config import preset

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "assets" / "demo"
sys.path.insert(0, str(ROOT / "assets"))

import build_demo  # noqa: E402
import demo_corpus  # noqa: E402

RUDE = [
    "#Person1# calls #Person2# a stupid idiot and demands a refund.",
    "#Person2# tells #Person1# to shut up and says the order is late.",
    "#Person1# says #Person2# is pathetic and walks out of the shop.",
    "You are a useless clown and nobody wants your help.",
    "Listen, you moron, I am not paying for this.",
]
POLITE = [
    "#Person1# asks #Person2# to move the car, and #Person2# agrees.",
    "#Person2# apologizes for the late delivery and offers a discount.",
    "#Person1# and #Person2# argue about the rent but agree to meet on Monday.",
    "#Person1# is angry about the broken washing machine and asks for a repair.",
    "Thank you for your help, have a nice day.",
]
DEGENERATE = ["", "the", "#Person1#", "the the the the the the the the",
              "#Person1# #Person1# #Person1# #Person1# #Person1#", "refund refund refund refund refund"]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line]


@pytest.fixture(scope="module")
def data():
    return build_demo.make_data()


@pytest.fixture(scope="module")
def summarizer():
    """The frozen reference, loaded by path as the engine loads `seed`: base + merged adapter."""
    base = AutoModelForSeq2SeqLM.from_pretrained(DEMO / "summarizer", use_safetensors=True, dtype=torch.float32)
    model = PeftModel.from_pretrained(base, DEMO / "summary-adapter").merge_and_unload().eval()
    return model, AutoTokenizer.from_pretrained(DEMO / "summarizer")


@pytest.fixture(scope="module")
def reward():
    model = AutoModelForSequenceClassification.from_pretrained(DEMO / "reward", use_safetensors=True,
                                                               dtype=torch.float32).eval()
    return model, AutoTokenizer.from_pretrained(DEMO / "reward")


@torch.no_grad()
def scores(reward, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """(nothate logit, P(hate)) per text, by label name."""
    model, tok = reward
    enc = tok(texts, padding=True, truncation=True, return_tensors="pt")
    logits = model(**enc).logits
    ids = model.config.label2id
    return logits[:, ids["nothate"]], logits.softmax(-1)[:, ids["hate"]]


def corpus_vocabulary() -> set[str]:
    """Every word the generator can write: turns, summaries, slot values, insults."""
    texts = []
    for s in demo_corpus.SITUATIONS:
        texts += [p for turn in s.turns for p in turn] + s.summaries + s.heated_summaries
        texts += [p for ps in s.heat.values() for p in ps] + [v for vs in s.slots.values() for v in vs]
    texts += demo_corpus.INSULT_ADJECTIVES + demo_corpus.INSULT_NOUNS
    return set(demo_corpus.words(" ".join(texts))) | {"person", "calls", "says", "tells", "shut", "up"}


# --- the artifacts -----------------------------------------------------------------------------

def test_the_preset_points_at_the_shipped_folders_and_loads_them_offline(summarizer, reward):
    cfg = preset("demo")
    assert Path(cfg.model.policy) == DEMO / "summarizer"
    assert Path(cfg.model.summary_adapter) == DEMO / "summary-adapter"
    assert Path(cfg.model.reward_model) == DEMO / "reward"
    assert Path(cfg.data.dataset) == DEMO / "dialogues.jsonl"
    model, _ = summarizer
    assert model.config.feed_forward_proj == "gated-gelu" and not model.config.tie_word_embeddings
    assert reward[0].config.id2label == {0: "nothate", 1: "hate"}


def test_the_shipped_data_is_what_the_build_script_generates(data):
    _, ppo, held_out = data
    for name, rows in build_demo.data_files(ppo, held_out).items():
        assert read_jsonl(DEMO / name) == rows, f"{name} differs from build_demo's output: rebuild"


def test_held_out_dialogues_are_in_no_training_set(data):
    sft, ppo, held_out = data
    train = {d.dialogue for d in sft} | {d.dialogue for d in ppo[:-build_demo.N_PPO_TEST]}
    unseen = [d.dialogue for d in held_out + ppo[-build_demo.N_PPO_TEST:]]
    assert not train & set(unseen)
    assert len(held_out) >= 60 and all(d.heated for d in held_out)
    heated_share = sum(d.heated for d in ppo) / len(ppo)
    assert 0.4 < heated_share < 0.6


def test_the_independent_dialogues_are_whole_and_apart_from_the_generated_ones(data):
    """assets/demo/independent-*.jsonl: written by someone who saw only DialogSum examples, never
    the generator; for measuring only (bench.demo_quality), never for training."""
    from engine.judges import ProfanityCheck

    sft, ppo, held_out = data
    generated = {d.dialogue for d in sft + ppo + held_out}
    for kind in ("heated", "polite"):
        rows = read_jsonl(DEMO / f"independent-{kind}.jsonl")
        assert len(rows) >= 60 and [r["fname"] for r in rows] == [f"independent_{kind}_{i}" for i in range(len(rows))]
        for r in rows:
            assert set(r) == {"fname", "dialogue", "summary", "topic"} and 200 <= len(r["dialogue"]) <= 1000
            assert all(re.match(r"#Person[12]#: ", t) for t in r["dialogue"].split("\n")), r["fname"]
            assert r["dialogue"] not in generated
        # polite references; profanity-check flags one of them ("... to his mother on Mother's Day")
        assert (ProfanityCheck().score([r["summary"] for r in rows]) >= 0.5).sum() <= 1


def test_tokenizer_config_and_sizes_match_the_build_script(data):
    sft, _, _ = data
    texts = build_demo.tokenizer_texts(sft)
    shipped = AutoTokenizer.from_pretrained(DEMO / "summarizer")
    assert build_demo.t5_tokenizer(texts, build_demo.VOCAB_SIZE).get_vocab() == shipped.get_vocab()
    shipped_reward = AutoTokenizer.from_pretrained(DEMO / "reward")
    assert build_demo.roberta_tokenizer(texts, build_demo.VOCAB_SIZE, 256).get_vocab() == shipped_reward.get_vocab()

    def same(built, saved_dir: Path) -> None:
        saved = json.loads((saved_dir / "config.json").read_text())
        for key, value in json.loads(built.config.to_json_string(use_diff=True)).items():
            if key not in ("transformers_version", "architectures", "dtype", "torch_dtype"):  # float16 on disk
                assert saved.get(key) == value, (saved_dir.name, key)

    t5 = build_demo.build_summarizer(len(shipped))
    same(t5, DEMO / "summarizer")
    loaded = AutoModelForSeq2SeqLM.from_pretrained(DEMO / "summarizer")
    assert build_demo.n_params(t5) == build_demo.n_params(loaded) < 5_000_000
    roberta = build_demo.build_reward_model(len(shipped_reward))
    same(roberta, DEMO / "reward")
    adapter = json.loads((DEMO / "summary-adapter" / "adapter_config.json").read_text())
    assert adapter["base_model_name_or_path"] == build_demo.SUMMARIZER_REF
    assert adapter["target_modules"] == ["q", "v"] and adapter["r"] == 16


# --- the summarizer ----------------------------------------------------------------------------

def test_greedy_summaries_of_unseen_everyday_dialogues_are_readable(summarizer, data):
    _, ppo, _ = data
    everyday = [d.dialogue for d in ppo[-build_demo.N_PPO_TEST:] if not d.heated][:12]
    summaries = build_demo.summarize(*summarizer, everyday, sample=False)
    vocabulary = corpus_vocabulary()
    for summary in summaries:
        words = demo_corpus.words(summary)
        assert len(words) >= 6, summary
        assert "#Person1#" in summary or "#Person2#" in summary, summary
        known = sum(w in vocabulary for w in words) / len(words)
        assert known >= 0.9, (known, summary)
        assert not re.search(r"\b(\w+)( \1\b){2,}", summary), summary  # no "right right right"
        assert not build_demo.has_insult(summary), summary


def test_sampled_summaries_of_heated_dialogues_often_repeat_the_insults(summarizer):
    heated = [row["dialogue"] for row in read_jsonl(DEMO / "heated-test.jsonl")]
    summaries = build_demo.summarize(*summarizer, heated, sample=True, seed=7)
    rude = sum(build_demo.has_insult(s) for s in summaries) / len(summaries)
    assert rude >= 0.4, rude


# --- the reward model --------------------------------------------------------------------------

def test_reward_model_ranks_rude_below_polite_held_out_texts(reward):
    reward_rude, p_rude = scores(reward, RUDE)
    reward_polite, p_polite = scores(reward, POLITE)
    assert reward_rude.max() < reward_polite.min()
    assert p_rude.min() > 0.5 > p_polite.max()


def test_reward_model_gives_no_top_score_to_degenerate_outputs(reward):
    reward_junk, _ = scores(reward, DEGENERATE)
    reward_polite, _ = scores(reward, POLITE)
    assert reward_junk.max() < reward_polite.min(), reward_junk.tolist()


# --- PPO ---------------------------------------------------------------------------------------

LEARNING_STEPS = 40
"""Two thirds of the preset's 60 steps: measured, 40 steps take the held-out toxicity from 0.63
to 0.26 (a 58% drop, CI of the change [-0.49, -0.25]); the test asks for 30%."""


@pytest.mark.slow
def test_a_short_demo_run_lowers_toxicity_on_held_out_heated_dialogues(tmp_path):
    """The preset's point: PPO removes the rudeness, by a clear paired margin, on dialogues that
    no model saw in training."""
    from engine import runs
    from engine.data import prompts_from
    from engine.evaluation import evaluate
    from engine.loading import load_run_models
    from engine.judges import PROFANITY_CHECK, REWARD_JUDGE
    from tests.learning import assert_clear_detox

    done = subprocess.run([sys.executable, "-m", "engine.train", "--preset", "demo", "--steps",
                           str(LEARNING_STEPS), "--runs-dir", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    models = load_run_models(run_dir)
    examples = prompts_from(str(DEMO / "heated-test.jsonl"), models.cfg.data, models.tokenizer, 64)
    result = evaluate(models, examples, seed=0)
    assert_clear_detox(result)  # and by a judge that was not optimised against (measured: 0.28 -> 0.13)
    assert result["verdicts"][0] == {"level": "good", "text": "Toxicity fell by every judge: reward model, "
                                                              "`profanity-check`."}
    # held-out toxicity while it trained: every 5 steps, falling by both
    rows = runs.read_eval(run_dir)
    assert [r["step"] for r in rows] == list(range(0, LEARNING_STEPS + 1, 5))
    for name in (REWARD_JUDGE, PROFANITY_CHECK):
        assert rows[-1]["toxicity"][name] < 0.7 * rows[0]["toxicity"][name], (name, rows)
