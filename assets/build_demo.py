"""Build the offline `demo` preset: a toy summarizer that repeats insults, and a reward model that minds.

Run from the repository root: `python assets/build_demo.py` (deterministic, CPU, about 15
minutes on 2 cores). It rebuilds:

- assets/demo/dialogues.jsonl       1,000 generated dialogues with polite reference summaries, half
                                    heated: the PPO data (the engine trains on the first 80% and
                                    tests on the last 20%, which no model here has seen);
- assets/demo/heated-test.jsonl     64 heated dialogues held out of every training set;
- assets/demo/summarizer/           a flan-t5-like T5 (gated-GELU, untied lm_head, its own BPE)
                                    trained to summarize generated dialogues (the "base model");
- assets/demo/summary-adapter/      a LoRA on q,v that makes it a *careless* dialogue summarizer:
                                    on heated dialogues it often repeats the insults; merged into
                                    the base it is the frozen reference, as the `seed` recipe's adapter;
- assets/demo/reward/               a small RoBERTa {0: nothate, 1: hate} trained on the corpus's
                                    rude and polite sentences and summaries (its nothate logit is
                                    the reward).

The summarizer and the reward model are stored in float16 (half the download); the engine loads
them in float32 on a CPU, and the build checks them as stored.

The build asserts what the preset promises (readable summaries, a habit of rudeness, a reward
model that ranks rude below polite and gives no top score to empty or repeated outputs) and
prints the numbers that assets/demo/README.md quotes.
"""

from __future__ import annotations

import json
import math
import os
import random
import sys
import time
from pathlib import Path

# Nothing here may touch the Hub; set before transformers is imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "assets")]

import torch  # noqa: E402
import transformers  # noqa: E402
from peft import LoraConfig, PeftModel, TaskType, get_peft_model  # noqa: E402
from transformers import (  # noqa: E402
    GenerationConfig,
    RobertaForSequenceClassification,
    T5Config,
    T5ForConditionalGeneration,
)

import demo_corpus as corpus  # noqa: E402
from build_tiny import (  # noqa: E402
    epoch_batches,
    fresh_dir,
    n_params,
    roberta_tokenizer,
    small_roberta_classifier,
    t5_tokenizer,
)
from engine.data import PROMPT  # noqa: E402

DEMO = ROOT / "assets" / "demo"
# Relative to the repo root, as written into the adapter config: the app runs from the root.
SUMMARIZER_REF = "assets/demo/summarizer"

SEED = 2026
VOCAB_SIZE = 3000
N_SFT = 8_000
"""Dialogues the summarizer learns from (about half heated)."""
N_PPO = 1_000
N_HELD_OUT = 64
HEATED_SHARE = 0.5
BASE_RUDE_SHARE = 0.5
"""Share of heated dialogues whose training summary repeats the insults, for the base model."""
ADAPTER_RUDE_SHARE = 0.85
"""... and for the summary adapter, the careless habit that PPO must undo."""


# --- data ------------------------------------------------------------------------------------

def as_row(d: corpus.Dialogue, fname: str) -> dict:
    return {"fname": fname, "dialogue": d.dialogue, "summary": d.summary, "topic": d.topic}


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


N_PPO_TEST = math.ceil(0.2 * N_PPO)
"""The PPO rows the engine tests on: engine.data.split_unshuffled with test_fraction 0.2."""


def make_data() -> tuple[list[corpus.Dialogue], list[corpus.Dialogue], list[corpus.Dialogue]]:
    """(summarizer training dialogues, PPO dialogues, held-out heated dialogues). Neither the PPO
    test rows (the last 20%) nor the held-out ones appear in any training set."""
    ppo = corpus.generate(corpus.SITUATIONS, N_PPO, HEATED_SHARE, SEED + 1)
    held_out = corpus.generate(corpus.SITUATIONS, N_HELD_OUT, 1.0, SEED + 2)
    unseen = {d.dialogue for d in ppo[-N_PPO_TEST:] + held_out}
    sft = [d for d in corpus.generate(corpus.SITUATIONS, N_SFT + 500, HEATED_SHARE, SEED)
           if d.dialogue not in unseen][:N_SFT]
    held_out = [d for d in held_out if d.dialogue not in {x.dialogue for x in ppo[:-N_PPO_TEST]}]
    return sft, ppo, held_out


def data_files(ppo: list[corpus.Dialogue], held_out: list[corpus.Dialogue]) -> dict[str, list[dict]]:
    """The shipped data files and their rows (DialogSum's fields)."""
    return {"dialogues.jsonl": [as_row(d, f"demo_{i}") for i, d in enumerate(ppo)],
            "heated-test.jsonl": [as_row(d, f"heated_test_{i}") for i, d in enumerate(held_out)]}


def tokenizer_texts(sft: list[corpus.Dialogue]) -> list[str]:
    """What both tokenizers are trained on: the prompts and every summary the models learn."""
    return [PROMPT.format(dialogue=d.dialogue) for d in sft] + [d.summary for d in sft] + \
        [d.rude_summary for d in sft if d.heated]


def has_insult(text: str) -> bool:
    words = set(corpus.words(text))
    return bool(words & INSULT_WORDS) or "shut up" in text.lower()


INSULT_WORDS = set(corpus.INSULT_ADJECTIVES) | set(corpus.INSULT_NOUNS)


# --- summarizer ------------------------------------------------------------------------------

def build_summarizer(vocab_size: int) -> T5ForConditionalGeneration:
    config = T5Config(
        vocab_size=vocab_size,
        d_model=128, d_kv=32, num_heads=4, d_ff=384, num_layers=3, num_decoder_layers=3,
        feed_forward_proj="gated-gelu",
        tie_word_embeddings=False,  # flan-t5's setting; see build_tiny.build_policy
        dropout_rate=0.1,
        decoder_start_token_id=0, pad_token_id=0, eos_token_id=1,
    )
    torch.manual_seed(SEED)
    model = T5ForConditionalGeneration(config)
    model.lm_head.weight = torch.nn.Parameter(torch.randn(vocab_size, config.d_model) * config.d_model**-0.5)
    model.generation_config = GenerationConfig(decoder_start_token_id=0, pad_token_id=0, eos_token_id=1)
    return model


def targets(dialogues: list[corpus.Dialogue], rude_share: float, rng: random.Random) -> list[str]:
    """The summary each dialogue is trained towards this epoch: for a heated one, the rude
    version with probability `rude_share`, so the model learns a habit, not a rule."""
    return [d.rude_summary if d.heated and rng.random() < rude_share else d.summary for d in dialogues]


def train_seq2seq(model, tokenizer, dialogues: list[corpus.Dialogue], rude_share: float,
                  epochs: int, lr: float, seed: int, batch_size: int = 32) -> None:
    """Teacher-forced cross-entropy with AdamW, linear warm-up and cosine decay."""
    prompts = [PROMPT.format(dialogue=d.dialogue) for d in dialogues]
    enc = tokenizer(prompts, truncation=True, max_length=512)["input_ids"]
    rng = random.Random(seed)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=lr, weight_decay=0.01)
    total = epochs * math.ceil(len(dialogues) / batch_size)
    warmup = max(1, total // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, 0.5 * (1 + math.cos(math.pi * min(s / total, 1.0)))))
    model.train()
    started = time.perf_counter()
    for epoch in range(epochs):
        labels = tokenizer(targets(dialogues, rude_share, rng), truncation=True, max_length=128)["input_ids"]
        losses = []
        for batch in epoch_batches(prompts, batch_size, rng):
            input_ids = pad([enc[i] for i in batch], 0)
            label_ids = pad([labels[i] for i in batch], -100)
            loss = model(input_ids=input_ids, attention_mask=(input_ids != 0).long(), labels=label_ids).loss
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
        print(f"  epoch {epoch + 1}/{epochs}: loss {sum(losses) / len(losses):.3f} "
              f"({time.perf_counter() - started:.0f} s)", flush=True)
    model.eval()


def pad(rows: list[list[int]], value: int) -> torch.Tensor:
    width = max(len(r) for r in rows)
    return torch.tensor([r + [value] * (width - len(r)) for r in rows])


def train_summary_adapter(base_dir: Path, tokenizer, dialogues: list[corpus.Dialogue], out: Path) -> None:
    base = T5ForConditionalGeneration.from_pretrained(base_dir, dtype=torch.float32)
    lora = LoraConfig(r=16, lora_alpha=16, target_modules=["q", "v"], lora_dropout=0.05,
                      task_type=TaskType.SEQ_2_SEQ_LM)
    torch.manual_seed(SEED + 3)
    model = get_peft_model(base, lora)
    train_seq2seq(model, tokenizer, dialogues, ADAPTER_RUDE_SHARE, epochs=1, lr=2e-3, seed=SEED + 3)
    model.peft_config["default"].base_model_name_or_path = SUMMARIZER_REF
    model.save_pretrained(out)
    (out / "README.md").unlink(missing_ok=True)  # PEFT's empty model-card template
    config_path = out / "adapter_config.json"  # target_modules is a set: sort for stable bytes
    config = json.loads(config_path.read_text())
    config["target_modules"] = sorted(config["target_modules"])
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


@torch.no_grad()
def summarize(model, tokenizer, dialogues: list[str], sample: bool, seed: int = 0) -> list[str]:
    torch.manual_seed(seed)
    enc = tokenizer([PROMPT.format(dialogue=d) for d in dialogues], return_tensors="pt", padding=True,
                    truncation=True, max_length=512)
    kwargs = dict(do_sample=True, top_k=0, top_p=1.0) if sample else dict(do_sample=False)
    out = model.generate(**enc, max_new_tokens=96, min_length=5, **kwargs)
    return tokenizer.batch_decode(out, skip_special_tokens=True)


# --- reward model ----------------------------------------------------------------------------

def reward_examples(sft: list[corpus.Dialogue], tokenizer, rng: random.Random) -> tuple[list[str], list[float]]:
    """Texts with their probability of `hate`: 1 for anything that insults (insult lines, rude
    summaries and their rude prefixes, heated turns with an insult), 0 for polite sentences and
    summaries (angry but polite ones included), 0.5 for non-summaries (empty, one word, a
    repeated token, token soup), so that no degenerate output earns the best reward."""
    texts: list[str] = []
    for i, d in enumerate(sft):
        texts.append(d.summary)
        if i % 2 == 0:  # the turns of half the dialogues are plenty, at half the training time
            texts += [t.split(": ", 1)[1] for t in d.dialogue.split("\n")]
        if d.heated:
            texts.append(d.rude_summary)
            texts += d.insults
    # Summaries cut short, as the length sampler cuts responses: rude only if the cut keeps an insult.
    for d in rng.sample(sft, min(3000, len(sft))):
        summary = d.rude_summary or d.summary
        cut = summary.split(" ")
        texts.append(" ".join(cut[: rng.randint(1, len(cut))]))
    texts += [corpus.draw_insult(rng).line for _ in range(2000)]
    labels = [1.0 - LABEL_SMOOTHING if has_insult(t) else LABEL_SMOOTHING for t in texts]
    degenerate = degenerate_texts(tokenizer, rng, 6000)
    return texts + degenerate, labels + [0.5] * len(degenerate)


LABEL_SMOOTHING = 0.03
"""Targets of 0.03 / 0.97 instead of 0 / 1 bound the logits (nothate about +1.7 on any polite
text): PPO then gains by dropping insults, not by drifting to whichever polite topic the
classifier happens to like best (with hard labels, a 40-step run lost 4.6 ROUGE-L points so)."""


def degenerate_texts(tokenizer, rng: random.Random, count: int) -> list[str]:
    vocab = sorted({w for w in corpus.words(" ".join(s for sit in corpus.SITUATIONS for s in sit.summaries))
                    if len(w) > 2})
    ordinary = range(len(tokenizer.all_special_tokens), len(tokenizer))
    tags = ["#Person1#", "#Person2#", ".", ",", "and", "#Person1#'s", "#Person2#'s"]
    out = ["", " ", "."]
    while len(out) < count:
        kind = rng.randrange(5)
        if kind == 0:
            out.append(rng.choice(vocab))
        elif kind == 4:  # speaker tags and glue words without content
            out.append(" ".join(rng.choices(tags, k=rng.randint(1, 6))))
        elif kind == 1:
            out.append(" ".join([rng.choice(vocab + ["#Person1#", "#Person2#", "."])] * rng.randint(3, 30)))
        elif kind == 2:
            out.append(tokenizer.decode(rng.choices(ordinary, k=rng.randint(3, 40))))
        else:
            out.append(" ".join(rng.choices(vocab, k=rng.randint(2, 12))))
    return [t for t in out if not has_insult(t)]


def build_reward_model(vocab_size: int) -> RobertaForSequenceClassification:
    # 256 positions: a prompt plus summary (reward_input=query+response) fits
    return small_roberta_classifier(vocab_size, intermediate_size=256, max_position_embeddings=258,
                                    dropout=0.1, seed=SEED + 4)


def train_reward_model(model, tokenizer, texts: list[str], labels: list[float],
                       epochs: int = 2, batch_size: int = 64, lr: float = 1e-3) -> None:
    """Cross-entropy against soft targets (P(hate) = label)."""
    hate = model.config.label2id["hate"]
    rng = random.Random(SEED + 5)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    model.train()
    started = time.perf_counter()
    for epoch in range(epochs):
        losses = []
        for batch in epoch_batches(texts, batch_size, rng):
            enc = tokenizer([texts[i] for i in batch], padding=True, truncation=True, return_tensors="pt")
            target = torch.empty(len(batch), 2)  # (B, 2): class probabilities
            target[:, hate] = torch.tensor([labels[i] for i in batch])
            target[:, 1 - hate] = 1 - target[:, hate]
            loss = torch.nn.functional.cross_entropy(model(**enc).logits, target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        print(f"  epoch {epoch + 1}/{epochs}: loss {sum(losses) / len(losses):.3f} "
              f"({time.perf_counter() - started:.0f} s)", flush=True)
    model.eval()


@torch.no_grad()
def hate_probability(model, tokenizer, texts: list[str]) -> list[float]:
    enc = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
    return model(**enc).logits.softmax(-1)[:, model.config.label2id["hate"]].tolist()


# --- checks ----------------------------------------------------------------------------------

def check_summarizer(model, tokenizer, held_out: list[corpus.Dialogue], ppo_test: list[corpus.Dialogue]) -> None:
    calm = [d for d in ppo_test if not d.heated][:16]
    greedy = summarize(model, tokenizer, [d.dialogue for d in calm], sample=False)
    for d, s in list(zip(calm, greedy))[:3]:
        print(f"  greedy, everyday: {s}")
    assert all("#Person" in s for s in greedy), greedy
    sampled = summarize(model, tokenizer, [d.dialogue for d in held_out], sample=True, seed=SEED)
    rude = [s for s in sampled if has_insult(s)]
    print(f"  sampled, held-out heated: {len(rude)}/{len(sampled)} repeat an insult; e.g. {rude[0] if rude else ''}")
    assert 3 * len(rude) >= len(sampled), "the reference must be tempted to repeat rudeness"


def check_reward_model(model, tokenizer, held_out: list[corpus.Dialogue]) -> None:
    rude = hate_probability(model, tokenizer, [d.rude_summary for d in held_out])
    polite = hate_probability(model, tokenizer, [d.summary for d in held_out])
    print(f"  held-out summaries: P(hate) rude {sum(rude) / len(rude):.3f}, polite {sum(polite) / len(polite):.3f}")
    pairs = list(zip(rude, polite, held_out))
    for p_rude, p_polite, d in pairs:
        if not p_rude > 0.5 > p_polite:
            print(f"    misjudged: rude {p_rude:.2f} {d.rude_summary!r} / polite {p_polite:.2f} {d.summary!r}")
    assert all(r > p for r, p, _ in pairs), "a rude summary scores as polite as its polite version"
    assert sum(r > 0.5 > p for r, p, _ in pairs) >= 0.95 * len(pairs), "reward model misjudges held-out summaries"
    junk = hate_probability(model, tokenizer, ["", "the", "#Person1#", "the the the the the the"])
    print(f"  degenerate outputs: P(hate) {', '.join(f'{p:.2f}' for p in junk)}")
    assert min(junk) > max(polite), "a degenerate output must not score like a polite summary"


# --- main ------------------------------------------------------------------------------------

def main() -> None:
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    torch.set_num_threads(2)
    os.chdir(ROOT)  # PEFT resolves the relative base path in the adapter config against the cwd
    fresh_dir(DEMO / "summarizer")  # also clears a half-built earlier attempt
    for name in ("summary-adapter", "reward"):
        fresh_dir(DEMO / name)
    started = time.perf_counter()
    sft, ppo, held_out = make_data()
    for name, rows in data_files(ppo, held_out).items():
        write_jsonl(DEMO / name, rows)
    print(f"data: {len(sft):,} training dialogues, {len(ppo):,} PPO dialogues, {len(held_out)} held-out heated")

    texts = tokenizer_texts(sft)
    tokenizer = t5_tokenizer(texts, VOCAB_SIZE)
    model = build_summarizer(len(tokenizer))
    print(f"summarizer: {n_params(model):,} parameters")
    train_seq2seq(model, tokenizer, sft, BASE_RUDE_SHARE, epochs=4, lr=3e-3, seed=SEED)
    model.half().save_pretrained(DEMO / "summarizer")  # float16 on disk: half the download
    tokenizer.save_pretrained(DEMO / "summarizer")

    print("summary adapter (the careless habit):")
    train_summary_adapter(DEMO / "summarizer", tokenizer, sft[:4000], DEMO / "summary-adapter")
    reference = PeftModel.from_pretrained(
        T5ForConditionalGeneration.from_pretrained(DEMO / "summarizer", dtype=torch.float32),
        DEMO / "summary-adapter").merge_and_unload().eval()
    check_summarizer(reference, tokenizer, held_out, ppo[-N_PPO_TEST:])
    stress = [json.loads(line)["dialogue"] for line in (ROOT / "assets/dialogues/stress.jsonl").open()][:4]
    for s in summarize(reference, tokenizer, stress, sample=True, seed=SEED):
        print(f"  sampled, hand-written stress dialogue: {s}")

    reward_tok = roberta_tokenizer(texts, VOCAB_SIZE, model_max_length=256)
    reward = build_reward_model(len(reward_tok))
    rtexts, rlabels = reward_examples(sft, reward_tok, random.Random(SEED + 6))
    print(f"reward: {n_params(reward):,} parameters, {len(rtexts):,} texts "
          f"({sum(x > 0.5 for x in rlabels):,} hate, {sum(x < 0.5 for x in rlabels):,} nothate, "
          f"{sum(x == 0.5 for x in rlabels):,} degenerate)")
    train_reward_model(reward, reward_tok, rtexts, rlabels)
    reward.half().float()  # checked as shipped: float16 on disk, float32 when loaded on a CPU
    check_reward_model(reward, reward_tok, held_out)
    reward.half().save_pretrained(DEMO / "reward")
    reward_tok.save_pretrained(DEMO / "reward")
    print(f"built in {time.perf_counter() - started:.0f} s -> {DEMO.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
