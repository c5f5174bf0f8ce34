#!/usr/bin/env python3
"""curate's tokenizer gives the same ids as Python `tokenizers` (0.23.3) itself.

For the shared GPT-NeoX tokenizer, and for tokenizers trained by curate with the GPT-2
pattern, the cl100k / Llama 3 pattern (also with Llama 3's `ignore_merges`) and the o200k
pattern, encodes samples of the shared corpora, stress strings and random strings with
Python `Tokenizer.encode_batch(add_special_tokens=False)` and with curate (the `encode_ids`
example), and compares every id. Exits 1 on any difference.

    cargo build --release -p curate-tokenizer --example encode_ids --example train_jsonl
    python3 tests/python/tokenizer_identity.py TARGET/release/examples [--random 20000] \
        [--codepoints]
"""

import argparse
import gzip
import io
import json
import os
import pathlib
import random
import subprocess
import sys
import tempfile
import zipfile

from tokenizers import Tokenizer

REPO = pathlib.Path(__file__).resolve().parents[2]
CORPORA = REPO.parent / "shared/corpora"


def read_text(rel):
    path = CORPORA / rel
    data = path.read_bytes()
    if rel.endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def prefix(s, n):
    b = s.encode("utf-8")[:n]
    return b.decode("utf-8", errors="ignore")


def chunks(s, size, n):
    out = []
    while s and len(out) < n:
        head = prefix(s, size) or s[:1]
        out.append(head)
        s = s[len(head):]
    return out


def jsonl_texts(rel):
    out = []
    for line in read_text(rel).splitlines():
        try:
            out.append(json.loads(line)["text"])
        except (ValueError, KeyError, TypeError):
            pass
    return out


def every(v, n):
    step = max(len(v) // max(n, 1), 1)
    return v[::step][:n]


def corpus_samples():
    texts = []
    for f in sorted((CORPORA / "web_text_jsonl").glob("*.gz")):
        texts += jsonl_texts(f"web_text_jsonl/{f.name}")
    texts += every(jsonl_texts("ectsum_earnings_calls/ectsum_train.jsonl.gz"), 40)
    texts += every(jsonl_texts("toxic_web_4chan/4chan_00000000.jsonl.gz"), 40)
    texts += every(jsonl_texts("fomc_fed_communications/fomc_filtered_sentences.jsonl.gz"), 200)
    for rel in ["finance_sentiment/FinancialPhraseBank_Sentences_50Agree.txt",
                "finance_sentiment/FiQA_task1_posts.json",
                "gutenberg_books/pg9198.txt.gz", "gutenberg_books/pg3261-h.htm.gz",
                "wikitext103_wikipedia/wiki.test.tokens.gz", "reuters21578/reut2-003.sgm.gz",
                "toxicity_labeled/davidson_hate_offensive/labeled_data.csv.gz",
                "toxicity_labeled/jigsaw_toxic_sample/valid.csv",
                "html_extraction_benchmarks/wcxb/ground_truth.jsonl.gz",
                "warc_format_fixtures/copycat/clueweb12-0000tw-00.warc.gz"]:
        texts += chunks(read_text(rel), 10_000, 6)
    with zipfile.ZipFile(CORPORA / "nltk_corpora/udhr2.zip") as z:
        for name in z.namelist():
            body = z.read(name).decode("utf-8", errors="replace")
            if body:
                texts.append(prefix(body, 2_000))
    return [prefix(t, 20_000) for t in texts]


def stress_texts():
    return [
        " " * 3000, "a" + " " * 57 + "b" + " " * 25 + "c ",
        " \t \n\r\n \xa0\u3000 \u2028x\x85 \u1680\n\n\n  y" * 50,
        "1234567890" * 500, "12 345 6789 0 00000 " * 100,
        "pneumonoultramicroscopicsilicovolcanoconiosis" * 600, "a" * 20_000,
        "中文字符测试日本語テキスト한국어" * 300, "👍🏽🇫🇷👨‍👩‍👧‍👦🙂 ❤️ 🎉🎉🎉 x🙂y" * 80,
        "".join(map(chr, range(32))) * 40, "\x7f\x80\x9f\xad\u200b\ufeff\ufffd" * 100,
        "it's I'M we'LL they're 'S 'ſ 'Ve 'd 'x''s '' ' s" * 60,
        "end<|endoftext|>start <|endoftext|> <|padding|>|||IP_ADDRESS|||x" * 30,
        "e\u0301 a\u0308o\u0302 \u1e9b\u0323 Å" * 50, "مرحبا بالعالم שלום עולם " * 100,
        "नमस्ते दुनिया வணக்கம் " * 100, "∑∫√∞≠≤≥ 𝔸𝔹ℂ 𝟘𝟙𝟚 ⅠⅡⅢ ½¾ ²³" * 100,
        "line one\r\nline two\r\n\r\n  indented\r\n" * 100, "",
    ]


FRAGMENTS = [
    " ", "  ", "   ", "    ", "\t", "\n", "\r", "\r\n", "\n\n", "\xa0", "\u3000", "\u2009",
    "\x85", "\x0b", "\x0c", "'", "'s", "'S", "'t", "'re", "'RE", "'ve", "'m", "'ll", "'LL",
    "'d", "'ſ", "s", "ll", "a", "Z", "é", "e\u0301", "\u0301", "ſ", "1", "23", "456", "٣",
    "Ⅻ", "½", ".", ",", "!", "?", '"', "(", "-", "_", "$", "%", "&", "*", "…", "—", "“", "€",
    "日本", "中", "한", "ก", "ا", "🙂", "👍🏽", "\u200d", "\ufe0f", "\ufeff", "\x00", "\x7f",
    "\ufffd", "<|endoftext|>", "<|padding|>", "|||IP_ADDRESS|||", "<|", "|>", "word", " the",
    "The", "HTML", "x", "y",
]


def random_char(rng, top):
    while True:
        c = rng.randrange(0x80, top)
        if not 0xD800 <= c < 0xE000:
            return chr(c)


def random_texts(n, seed):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        if i % 4 == 3:
            raw = bytes(rng.choice([rng.randrange(256), rng.choice(b" \t\n\r'"),
                                    rng.randrange(32, 127)]) for _ in range(rng.randint(1, 48)))
            out.append(raw.decode("utf-8", errors="replace"))
            continue
        parts = []
        for _ in range(rng.randint(1, 24)):
            k = rng.randrange(10)
            if k <= 5:
                parts.append(rng.choice(FRAGMENTS))
            elif k == 6:
                parts.append(chr(rng.randrange(32, 127)))
            elif k == 7:
                parts.append(random_char(rng, 0x110000))
            elif k == 8:
                parts.append(random_char(rng, 0x10000))
            else:
                parts.append(" " * rng.randint(1, 6))
        out.append("".join(parts))
    return out


def codepoint_texts():
    """One short text per Unicode scalar value, placing it where its class (letter, number,
    whitespace, other; case-folded apostrophe suffix) decides the split."""
    out = []
    for c in range(0x110000):
        if 0xD800 <= c < 0xE000:
            continue
        ch = chr(c)
        out.append(f"x{ch}y 1{ch}2 {ch}{ch}! \n{ch} '{ch} {ch}'s A{ch}b a{ch}B {ch}A")
    return out


def curate_ids(bin_dir, tokenizer, texts):
    payload = "".join(json.dumps({"text": t}) + "\n" for t in texts)
    res = subprocess.run([str(bin_dir / "encode_ids"), str(tokenizer)], input=payload.encode(),
                         stdout=subprocess.PIPE, check=True)
    lines = res.stdout.decode().splitlines()
    head = json.loads(lines[0])
    return head, [json.loads(l)["ids"] for l in lines[1:]]


def train(bin_dir, tmp, texts, pattern, out):
    train_file = tmp / "train.jsonl"
    with open(train_file, "w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps({"text": t}) + "\n")
    env = dict(os.environ)
    env.pop("PATTERN", None)
    if pattern:
        env["PATTERN"] = pattern
    subprocess.run([str(bin_dir / "train_jsonl"), str(train_file), str(out), "3000"], env=env,
                   check=True, stdout=subprocess.DEVNULL)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin_dir", type=pathlib.Path, help="folder with encode_ids and train_jsonl")
    ap.add_argument("--random", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--codepoints", action="store_true",
                    help="also one text per Unicode scalar value (1.1M texts, slower)")
    args = ap.parse_args()
    import tokenizers
    print(f"python tokenizers {tokenizers.__version__}")

    texts = corpus_samples() + stress_texts() + random_texts(args.random, args.seed)
    if args.codepoints:
        texts += codepoint_texts()
    print(f"{len(texts)} texts, {sum(len(t.encode()) for t in texts)} bytes")
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        neox = tmp / "neox.json"
        neox.write_bytes(gzip.decompress(
            (CORPORA / "reference_tokenizers/gpt-neo-test-tokenizer.json.gz").read_bytes()))
        training = (every(jsonl_texts("ectsum_earnings_calls/ectsum_train.jsonl.gz"), 40)
                    + every(jsonl_texts("toxic_web_4chan/4chan_00000000.jsonl.gz"), 20))
        with zipfile.ZipFile(CORPORA / "nltk_corpora/udhr2.zip") as z:
            training += [prefix(z.read(n).decode("utf-8", errors="replace"), 3000)
                         for n in z.namelist()[::4]]
        tokenizers_ = {
            "neox": neox,
            "trained_gpt2": train(args.bin_dir, tmp, training, None, tmp / "gpt2.json"),
            "trained_cl100k": train(args.bin_dir, tmp, training, "cl100k", tmp / "cl100k.json"),
            "trained_o200k": train(args.bin_dir, tmp, training, "o200k", tmp / "o200k.json"),
        }
        doc = json.loads(tokenizers_["trained_cl100k"].read_text())
        doc["model"]["ignore_merges"] = True
        (tmp / "ignore.json").write_text(json.dumps(doc))
        tokenizers_["trained_cl100k_ignore_merges"] = tmp / "ignore.json"
        for name, path in tokenizers_.items():
            tok = Tokenizer.from_file(str(path))
            want = [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]
            head, got = curate_ids(args.bin_dir, path, texts)
            bad = [i for i, (a, b) in enumerate(zip(got, want)) if a != b]
            if len(got) != len(want):
                bad.append(-1)
            print(f"{name}: curate path {head['encoder_path']} ({head['reason']}); "
                  f"{len(texts) - len(bad)}/{len(texts)} identical")
            for i in bad[:5]:
                print(f"  MISMATCH text {i}: {texts[i][:200]!r}\n    curate {got[i][:40]}"
                      f"\n    python {want[i][:40]}")
            failures += len(bad)
    print("OK" if failures == 0 else f"FAILED: {failures} texts differ")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
