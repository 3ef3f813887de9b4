"""The shipped offline assets: hand-written dialogues, the tiny preset, the shape-true configs.

Offline and fast: everything loads from assets/ (rebuilt by `python assets/build_tiny.py`).
"""

import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest
import torch
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import (
    AutoConfig,
    AutoModelForSeq2SeqLM,
    AutoModelForSequenceClassification,
    AutoTokenizer,
)

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
TINY = ASSETS / "tiny"
SHAPE = ASSETS / "shape"

RUDE = [
    "You are a useless idiot, shut up.",
    "Shut up, you clueless moron, nobody asked you.",
    "This is pathetic, you stupid clown.",
]
POLITE = [
    "Thank you for your help, have a nice day.",
    "Could we meet at the library on Tuesday?",
    "#Person1# orders a coffee and pays by card.",
]


def read_jsonl(name: str) -> list[dict]:
    text = (ASSETS / "dialogues" / name).read_text()
    return [json.loads(line) for line in text.splitlines() if line]


INSULTS = ("idiot", "useless", "shut up", "pathetic", "stupid")


@pytest.fixture(scope="module")
def t5_tok():
    return AutoTokenizer.from_pretrained(TINY / "policy")


@pytest.fixture(scope="module")
def roberta_tok():
    return AutoTokenizer.from_pretrained(TINY / "reward")


@pytest.fixture(scope="module")
def reward_model():
    return AutoModelForSequenceClassification.from_pretrained(TINY / "reward").eval()


def load_policy():
    return AutoModelForSeq2SeqLM.from_pretrained(TINY / "policy").eval()


# --- dialogues -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "name, prefix, minimum", [("samples.jsonl", "sample", 60), ("stress.jsonl", "stress", 24)]
)
def test_dialogue_files(name, prefix, minimum):
    rows = read_jsonl(name)
    assert len(rows) >= minimum
    assert [r["fname"] for r in rows] == [f"{prefix}_{i}" for i in range(len(rows))]
    for row in rows:
        assert set(row) == {"fname", "dialogue", "summary", "topic"}
        assert 200 < len(row["dialogue"]) <= 1000, row["fname"]
        turns = row["dialogue"].split("\n")
        assert len(turns) >= 4 and all(t.startswith(("#Person1#: ", "#Person2#: ")) for t in turns)
        assert row["summary"] and row["topic"]


def test_stress_summaries_are_neutral():
    for row in read_jsonl("stress.jsonl"):
        assert any(w in row["dialogue"].lower() for w in INSULTS + ("fool",))
        assert not any(w in row["summary"].lower() for w in INSULTS)


# --- tokenizers ------------------------------------------------------------------------------

def test_t5_tokenizer(t5_tok):
    assert (t5_tok.pad_token_id, t5_tok.eos_token_id, t5_tok.unk_token_id) == (0, 1, 2)
    assert t5_tok.convert_ids_to_tokens([0, 1, 2]) == ["<pad>", "</s>", "<unk>"]
    ids = t5_tok("Summary: #Person1# buys shoes.").input_ids
    assert ids[-1] == 1 and ids.count(1) == 1 and 0 not in ids
    text = "Hello, #Person2#! It's 5 o'clock.\nCafé?"
    assert t5_tok.decode(t5_tok(text).input_ids, skip_special_tokens=True) == text
    batch = t5_tok(["a", "longer text"], padding=True, return_tensors="pt")
    assert batch.input_ids.shape[0] == 2 and batch.input_ids[0, -1] == 0 and batch.attention_mask[0, -1] == 0
    long = t5_tok("word " * 500, truncation=True, max_length=16).input_ids
    assert len(long) == 16 and long[-1] == 1


def test_roberta_tokenizer(roberta_tok):
    assert roberta_tok.convert_ids_to_tokens(range(5)) == ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    assert (roberta_tok.bos_token_id, roberta_tok.pad_token_id, roberta_tok.eos_token_id) == (0, 1, 2)
    assert roberta_tok.model_max_length == 128
    ids = roberta_tok("Thank you.").input_ids
    assert ids[0] == 0 and ids[-1] == 2
    batch = roberta_tok(["a", "longer text"], padding=True, return_tensors="pt")
    assert batch.input_ids[0, -1] == 1 and batch.attention_mask[0, -1] == 0
    assert len(roberta_tok("word " * 500, truncation=True).input_ids) == 128


# --- policy and summary adapter --------------------------------------------------------------

def test_policy_is_flan_like(t5_tok):
    model = load_policy()
    cfg = model.config
    assert type(model).__name__ == "T5ForConditionalGeneration"
    sizes = (cfg.d_model, cfg.d_kv, cfg.num_heads, cfg.d_ff, cfg.num_layers, cfg.num_decoder_layers)
    assert sizes == (64, 16, 4, 128, 2, 2)
    assert cfg.feed_forward_proj == "gated-gelu" and cfg.dropout_rate == 0.1
    assert (cfg.decoder_start_token_id, cfg.pad_token_id, cfg.eos_token_id) == (0, 0, 1)
    assert cfg.vocab_size == len(t5_tok)
    # flan-t5 semantics: separate lm_head, no d_model**-0.5 rescaling of decoder outputs.
    assert not cfg.scale_decoder_outputs
    assert model.lm_head.weight.data_ptr() != model.shared.weight.data_ptr()
    assert 100_000 < sum(p.numel() for p in model.parameters()) < 1_000_000
    gen = json.loads((TINY / "policy" / "generation_config.json").read_text())
    assert not {"max_length", "min_length", "do_sample", "top_k", "num_beams"} & set(gen)
    enc = t5_tok(["#Person1#: Hi.\n#Person2#: Hello there."], return_tensors="pt")
    out = model.generate(**enc, do_sample=False, max_new_tokens=5)
    assert out[0, 0] == 0 and out.shape[1] <= 6


def test_summary_adapter_changes_merged_logits(t5_tok):
    adapter = TINY / "summary-adapter"
    config = json.loads((adapter / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == "assets/tiny/policy"
    assert (config["r"], config["lora_alpha"], sorted(config["target_modules"])) == (8, 8, ["q", "v"])
    assert config["task_type"] == "SEQ_2_SEQ_LM"

    enc = t5_tok(["#Person1#: Where is the station?\n#Person2#: Two blocks north."], return_tensors="pt")
    decoder_input_ids = torch.tensor([[0, 5, 6, 7]])
    with torch.no_grad():
        base_logits = load_policy()(**enc, decoder_input_ids=decoder_input_ids).logits
        peft_model = PeftModel.from_pretrained(load_policy(), adapter)
        lora = {n: p for n, p in peft_model.named_parameters() if "lora_" in n}
        assert lora and all(p.abs().sum() > 0 for p in lora.values())  # A and B both nonzero
        assert any("lora_A" in n for n in lora) and any("lora_B" in n for n in lora)
        merged = peft_model.merge_and_unload().eval()
        merged_logits = merged(**enc, decoder_input_ids=decoder_input_ids).logits
    assert (merged_logits - base_logits).abs().max() > 1e-3


# --- reward model ----------------------------------------------------------------------------

def hate_probs(model, tok, texts):
    enc = tok(texts, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        return model(**enc).logits.softmax(-1)[:, model.config.label2id["hate"]]


def test_reward_model_labels(reward_model, roberta_tok):
    cfg = reward_model.config
    assert type(reward_model).__name__ == "RobertaForSequenceClassification"
    assert cfg.label2id == {"nothate": 0, "hate": 1}
    assert cfg.id2label == {0: "nothate", 1: "hate"}
    assert cfg.max_position_embeddings == 130 and cfg.vocab_size == len(roberta_tok)


def test_reward_model_ranks_rude_above_polite(reward_model, roberta_tok):
    rude, polite = hate_probs(reward_model, roberta_tok, RUDE), hate_probs(reward_model, roberta_tok, POLITE)
    assert rude.min() > polite.max()
    assert rude[0] > 0.5 > polite[0]


# --- shape-true configs ----------------------------------------------------------------------

def test_shape_configs():
    t5 = AutoConfig.from_pretrained(SHAPE / "flan-t5-base")
    sizes = (t5.d_model, t5.d_ff, t5.d_kv, t5.num_heads, t5.num_layers, t5.num_decoder_layers)
    assert sizes == (768, 2048, 64, 12, 12, 12)
    assert t5.vocab_size == 32128 and t5.feed_forward_proj == "gated-gelu"
    assert not t5.scale_decoder_outputs  # transformers 5's form of flan-t5's tie_word_embeddings=False
    assert (t5.decoder_start_token_id, t5.pad_token_id, t5.eos_token_id) == (0, 0, 1)
    rob = AutoConfig.from_pretrained(SHAPE / "roberta-hate")
    assert (rob.vocab_size, rob.hidden_size, rob.num_hidden_layers) == (50265, 768, 12)
    assert rob.num_attention_heads == 12 and rob.layer_norm_eps == 1e-5 and rob.pad_token_id == 1
    assert (rob.intermediate_size, rob.max_position_embeddings, rob.type_vocab_size) == (3072, 514, 1)
    assert rob.label2id == {"nothate": 0, "hate": 1}


def test_shape_flan_t5_lora_parameter_count():
    config = AutoConfig.from_pretrained(SHAPE / "flan-t5-base")
    with torch.device("meta"):  # shapes only: no 250M-parameter allocation
        model = AutoModelForSeq2SeqLM.from_config(config)
    lora = LoraConfig(r=32, lora_alpha=32, target_modules=["q", "v"], task_type="SEQ_2_SEQ_LM")
    trainable, _ = get_peft_model(model, lora).get_nb_trainable_parameters()
    assert trainable == 3_538_944


def test_assets_are_small():
    """A Space or a clone downloads them: the demo preset's weights are stored in float16."""
    total = sum(p.stat().st_size for p in ASSETS.rglob("*") if p.is_file())
    assert total < 10 * 1024 * 1024  # demo 6.3 MB, tiny 2.3 MB, the screenshot
