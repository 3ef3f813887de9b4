"""Build the offline `tiny` preset and the shape-true configs.

Run from anywhere: `python assets/build_tiny.py`. It rebuilds, deterministically:

- assets/tiny/policy/           a random-weight, flan-t5-like T5 (a few hundred thousand parameters)
                                with a byte-level BPE tokenizer trained on the project's own dialogues;
- assets/tiny/summary-adapter/  a random, non-zero LoRA adapter for that policy, standing in for
                                the summary adapter of the `seed` preset;
- assets/tiny/reward/           a tiny RoBERTa classifier {0: nothate, 1: hate}, trained briefly
                                to tell the rude lines of stress.jsonl from polite text;
- assets/shape/*/config.json    the exact architectures of flan-t5-base and the dynabench RoBERTa,
                                for random-weight benchmarks at real scale.

The tiny preset exists so that every code path (generation, LoRA, reward, PPO) runs offline in
seconds on a CPU. Its policy writes gibberish and its reward model is NOT a hate-speech model.
The hand-written dialogues in assets/dialogues/ are inputs here, not outputs.
"""

import json
import os
import random
import re
import shutil
import time
from pathlib import Path

# Nothing here may touch the Hub; set before transformers is imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
import transformers
from peft import LoraConfig, PeftModel, TaskType, get_peft_model
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import (
    GenerationConfig,
    PreTrainedTokenizerFast,
    RobertaConfig,
    RobertaForSequenceClassification,
    T5Config,
    T5ForConditionalGeneration,
)

ROOT = Path(__file__).resolve().parent.parent
DIALOGUES = ROOT / "assets" / "dialogues"
TINY = ROOT / "assets" / "tiny"
SHAPE = ROOT / "assets" / "shape"
# Relative to the repo root, as written into the adapter config: the app runs from the root.
POLICY_REF = "assets/tiny/policy"

SEED = 1234
VOCAB_SIZE = 1500
# The engine's prompt; training the tokenizer on it keeps prompts short.
PROMPT = "\nSummarize the following conversation.\n\n{dialogue}\n\nSummary:\n"

T5_SPECIALS = ["<pad>", "</s>", "<unk>"]  # ids 0, 1, 2 as in T5
ROBERTA_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]  # ids 0..4 as in RoBERTa

# A stress turn or sentence counts as "hate" for the tiny reward model if it contains one of these.
RUDE_MARKERS = (
    "idiot", "useless", "shut up", "pathetic", "stupid", "moron", "clown", "fool", "loser",
    "jerk", "slob", "brat", "weasel", "liar", "cheapskate", "leech", "freeloader", "garbage",
    "disgusting", "lousy", "incompetent", "hopeless", "brain", "pig", "noob", "amateur",
    "joke", "ridiculous", "cheater", "whiner", "whining", "lump", "slowpoke", "genius",
)
# Written for this check only (not in the training data): the build fails if the model
# does not rank every rude one above every polite one.
HELD_OUT_RUDE = [
    "You are a useless idiot, shut up.",
    "Nobody cares what you think, you pathetic fool.",
    "What a stupid question, are you brainless?",
]
HELD_OUT_POLITE = [
    "Thank you for your help, have a nice day.",
    "Could you please send me the invoice by Monday?",
    "The meeting was moved to Thursday afternoon.",
]


# --- dialogues -------------------------------------------------------------------------------

def load_dialogues(name: str) -> list[dict]:
    """Read a hand-written JSONL file and enforce the preset's data contract."""
    rows = [json.loads(line) for line in (DIALOGUES / name).read_text().splitlines() if line]
    for row in rows:
        assert set(row) == {"fname", "dialogue", "summary", "topic"}, row.get("fname")
        # The engine filters DialogSum to this window; every shipped dialogue must survive it.
        assert 200 < len(row["dialogue"]) <= 1000, (row["fname"], len(row["dialogue"]))
        assert all(re.match(r"#Person[12]#: ", t) for t in row["dialogue"].split("\n")), row["fname"]
    return rows


def turn_texts(dialogue: str) -> list[str]:
    """The spoken text of each turn, without the `#PersonN#: ` prefix."""
    return [re.sub(r"^#Person\d#: ", "", turn) for turn in dialogue.split("\n")]


def is_rude(text: str) -> bool:
    return any(marker in text.lower() for marker in RUDE_MARKERS)


# --- tokenizers ------------------------------------------------------------------------------

def tokenizer_corpus(rows: list[dict]) -> list[str]:
    return [PROMPT.format(dialogue=r["dialogue"]) for r in rows] + [r["summary"] for r in rows]


def train_bpe(texts: list[str], specials: list[str], vocab_size: int = VOCAB_SIZE) -> Tokenizer:
    """Byte-level BPE: any input text round-trips, so the tiny models never see <unk>."""
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,  # listed first, so they get ids 0..n-1
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer)
    for token_id, token in enumerate(specials):
        assert tokenizer.token_to_id(token) == token_id, token
    return tokenizer


def t5_tokenizer(texts: list[str], vocab_size: int = VOCAB_SIZE) -> PreTrainedTokenizerFast:
    tokenizer = train_bpe(texts, T5_SPECIALS, vocab_size)
    # Like T5's own tokenizer: no BOS, `</s>` appended to every input.
    tokenizer.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", 1)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token="<pad>", eos_token="</s>", unk_token="<unk>",
        model_max_length=512,  # flan-t5's value
    )


def roberta_tokenizer(texts: list[str], vocab_size: int = VOCAB_SIZE,
                      model_max_length: int = 128) -> PreTrainedTokenizerFast:
    tokenizer = train_bpe(texts, ROBERTA_SPECIALS, vocab_size)
    tokenizer.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))  # sep, cls
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>", pad_token="<pad>", eos_token="</s>", unk_token="<unk>",
        mask_token="<mask>", cls_token="<s>", sep_token="</s>",
        model_max_length=model_max_length,  # max_position_embeddings minus RoBERTa's 2 offset slots
    )


# --- policy and summary adapter --------------------------------------------------------------

def build_policy(tokenizer: PreTrainedTokenizerFast, out: Path) -> T5ForConditionalGeneration:
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=64, d_kv=16, num_heads=4, d_ff=128, num_layers=2, num_decoder_layers=2,
        feed_forward_proj="gated-gelu",
        # flan-t5's setting. transformers 5 turns it into `scale_decoder_outputs=False` and
        # ties the weights anyway, so the lm_head is untied by hand below.
        tie_word_embeddings=False,
        dropout_rate=0.1,
        decoder_start_token_id=0, pad_token_id=0, eos_token_id=1,
    )
    torch.manual_seed(SEED)
    model = T5ForConditionalGeneration(config)
    # A separate lm_head, as in flan-t5 checkpoints. Std d_model**-0.5 gives logits of unit
    # scale: a spread-out sampling distribution, not near-greedy output from std-1 weights.
    model.lm_head.weight = torch.nn.Parameter(
        torch.randn(config.vocab_size, config.d_model) * config.d_model**-0.5
    )
    # Only the token ids; no max_length or sampling defaults to surprise the engine.
    model.generation_config = GenerationConfig(decoder_start_token_id=0, pad_token_id=0, eos_token_id=1)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return model


def build_summary_adapter(policy_dir: Path, out: Path) -> None:
    policy = T5ForConditionalGeneration.from_pretrained(policy_dir)
    lora = LoraConfig(
        r=8, lora_alpha=8, target_modules=["q", "v"],
        task_type=TaskType.SEQ_2_SEQ_LM, lora_dropout=0.05,
    )
    model = get_peft_model(policy, lora)
    # PEFT initialises B to zero (a no-op adapter); randomise A and B so that merging
    # visibly changes the model, as a trained summary adapter would.
    generator = torch.Generator().manual_seed(SEED + 1)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_" in name:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.02)
    model.peft_config["default"].base_model_name_or_path = POLICY_REF
    model.save_pretrained(out)
    (out / "README.md").unlink(missing_ok=True)  # PEFT's empty model-card template
    # PEFT keeps target_modules as a set, so its saved order follows PYTHONHASHSEED.
    config_path = out / "adapter_config.json"
    config = json.loads(config_path.read_text())
    config["target_modules"] = sorted(config["target_modules"])
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


# --- reward model ----------------------------------------------------------------------------

def reward_examples(samples: list[dict], stress: list[dict], tokenizer) -> tuple[list[str], list[int]]:
    """hate (1): rude turns of stress.jsonl, their rude sentences, and whole stress dialogues;
    nothate (0): everyday turns and dialogues, every neutral summary, and random token strings.
    Stress turns without an insult are left out."""
    rude = []
    for row in stress:
        for turn in filter(is_rude, turn_texts(row["dialogue"])):
            rude.append(turn)
            sentences = [s.strip() for s in re.findall(r"[^.!?]+[.!?]*", turn)]
            rude += [s for s in sentences if is_rude(s) and s != turn]
    # Whole dialogues, so that scoring `query+response` (a long text) behaves too.
    rude += [row["dialogue"] for row in stress]
    polite = [t for row in samples for t in turn_texts(row["dialogue"])]
    polite += [row["summary"] for row in samples + stress]
    polite += [row["dialogue"] for row in samples]
    assert not any(is_rude(t) for t in polite), [t for t in polite if is_rude(t)]
    # The random policy emits token soup; without these, the classifier calls some of it
    # "hate" with high confidence, for no visible reason.
    polite += random_token_strings(tokenizer, count=60)
    texts, labels = rude + polite, [1] * len(rude) + [0] * len(polite)
    overlap = set(texts) & set(HELD_OUT_RUDE + HELD_OUT_POLITE)
    assert not overlap, overlap
    return texts, labels


def random_token_strings(tokenizer, count: int) -> list[str]:
    rng = random.Random(SEED + 4)
    ordinary_ids = range(len(tokenizer.all_special_tokens), len(tokenizer))
    return [tokenizer.decode(rng.choices(ordinary_ids, k=rng.randint(10, 60))) for _ in range(count)]


def small_roberta_classifier(vocab_size: int, intermediate_size: int, max_position_embeddings: int,
                             dropout: float, seed: int) -> RobertaForSequenceClassification:
    """A 2-layer, 64-wide RoBERTa with the dynabench model's labels {0: nothate, 1: hate}."""
    config = RobertaConfig(
        vocab_size=vocab_size,
        hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=intermediate_size,
        max_position_embeddings=max_position_embeddings, type_vocab_size=1,
        bos_token_id=0, pad_token_id=1, eos_token_id=2,
        hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout,
        id2label={0: "nothate", 1: "hate"}, label2id={"nothate": 0, "hate": 1},
    )
    torch.manual_seed(seed)
    return RobertaForSequenceClassification(config)


def build_reward_model(vocab_size: int) -> RobertaForSequenceClassification:
    # Dropout lighter than roberta-base's 0.1: a few hundred examples and seconds of training.
    return small_roberta_classifier(vocab_size, intermediate_size=128, max_position_embeddings=130,
                                    dropout=0.05, seed=SEED + 2)


def train_reward_model(model, tokenizer, texts: list[str], labels: list[int],
                       epochs: int = 12, batch_size: int = 32, lr: float = 2e-3) -> None:
    # Rude lines are the minority; weight them up so the classifier does not settle on "nothate".
    n_hate = sum(labels)
    weight = torch.tensor([1.0, (len(labels) - n_hate) / n_hate])
    loss_fn = torch.nn.CrossEntropyLoss(weight=weight)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    rng = random.Random(SEED + 3)
    model.train()
    for _ in range(epochs):
        for batch in epoch_batches(texts, batch_size, rng):
            enc = tokenizer([texts[i] for i in batch], padding=True, truncation=True, return_tensors="pt")
            logits = model(**enc).logits
            loss = loss_fn(logits, torch.tensor([labels[i] for i in batch]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()


def epoch_batches(texts: list[str], batch_size: int, rng: random.Random) -> list[list[int]]:
    """A fresh shuffle per epoch, but sorted by length inside windows of a few batches: one long
    dialogue would otherwise pad a whole batch of short lines to 128 tokens."""
    order = list(range(len(texts)))
    rng.shuffle(order)
    window = 8 * batch_size
    batches = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start:start + window], key=lambda i: len(texts[i]))
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


@torch.no_grad()
def hate_probability(model, tokenizer, texts: list[str]) -> list[float]:
    enc = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
    probs = model(**enc).logits.softmax(-1)[:, model.config.label2id["hate"]]
    return probs.tolist()


def check_reward_model(model, tokenizer) -> None:
    rude = hate_probability(model, tokenizer, HELD_OUT_RUDE)
    polite = hate_probability(model, tokenizer, HELD_OUT_POLITE)
    for text, p in zip(HELD_OUT_RUDE + HELD_OUT_POLITE, rude + polite):
        print(f"  P(hate) = {p:.3f}  {text}")
    assert min(rude) > max(polite), "reward model does not separate held-out rude from polite"
    assert rude[0] > 0.5 > polite[0]


# --- shape-true configs ----------------------------------------------------------------------

def flan_t5_base_config() -> T5Config:
    return T5Config(
        vocab_size=32128, d_model=768, d_kv=64, d_ff=2048, num_heads=12,
        num_layers=12, num_decoder_layers=12, n_positions=512,
        feed_forward_proj="gated-gelu", tie_word_embeddings=False,
        relative_attention_num_buckets=32, relative_attention_max_distance=128,
        dropout_rate=0.1, layer_norm_epsilon=1e-6, initializer_factor=1.0,
        decoder_start_token_id=0, pad_token_id=0, eos_token_id=1,
        architectures=["T5ForConditionalGeneration"],
    )


def roberta_hate_config() -> RobertaConfig:
    return RobertaConfig(
        vocab_size=50265, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
        intermediate_size=3072, max_position_embeddings=514, type_vocab_size=1,
        hidden_act="gelu", hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
        layer_norm_eps=1e-5, initializer_range=0.02,
        bos_token_id=0, pad_token_id=1, eos_token_id=2,
        id2label={0: "nothate", 1: "hate"}, label2id={"nothate": 0, "hate": 1},
        architectures=["RobertaForSequenceClassification"],
    )


# --- main ------------------------------------------------------------------------------------

def fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def n_params(model) -> int:
    return sum(p.numel() for p in model.parameters())


def main() -> None:
    # Expected noise: load bars, and the "tied weights ... will NOT tie them" warning that
    # every untied T5 checkpoint (flan-t5 included) triggers in transformers 5.
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    # Same bytes on any machine (the summation order of CPU kernels can depend on the thread
    # count), and models this small gain nothing from more threads.
    torch.set_num_threads(1)
    # PEFT resolves the relative base path in the adapter config against the working directory.
    os.chdir(ROOT)
    samples, stress = load_dialogues("samples.jsonl"), load_dialogues("stress.jsonl")
    assert len(samples) >= 60 and len(stress) >= 24
    corpus = tokenizer_corpus(samples + stress)

    policy_dir = fresh_dir(TINY / "policy")
    policy = build_policy(t5_tokenizer(corpus), policy_dir)
    print(f"policy: {n_params(policy):,} parameters -> {policy_dir.relative_to(ROOT)}")

    adapter_dir = fresh_dir(TINY / "summary-adapter")
    build_summary_adapter(policy_dir, adapter_dir)
    # Load it back the way the engine will, to catch a broken base path early.
    adapted = PeftModel.from_pretrained(T5ForConditionalGeneration.from_pretrained(policy_dir), adapter_dir)
    n_lora = sum(p.numel() for name, p in adapted.named_parameters() if "lora_" in name)
    print(f"summary adapter: {n_lora:,} LoRA parameters -> {adapter_dir.relative_to(ROOT)}")

    reward_dir = fresh_dir(TINY / "reward")
    reward_tokenizer = roberta_tokenizer(corpus)
    reward = build_reward_model(len(reward_tokenizer))
    texts, labels = reward_examples(samples, stress, reward_tokenizer)
    print(f"reward: {n_params(reward):,} parameters, training on {sum(labels)} hate / "
          f"{len(labels) - sum(labels)} nothate lines")
    started = time.perf_counter()
    train_reward_model(reward, reward_tokenizer, texts, labels)
    print(f"reward: trained in {time.perf_counter() - started:.0f} s; held-out sentences:")
    check_reward_model(reward, reward_tokenizer)
    reward.save_pretrained(reward_dir)
    reward_tokenizer.save_pretrained(reward_dir)

    flan_t5_base_config().save_pretrained(fresh_dir(SHAPE / "flan-t5-base"))
    roberta_hate_config().save_pretrained(fresh_dir(SHAPE / "roberta-hate"))
    print(f"shape configs -> {SHAPE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
