#!/usr/bin/env python3
"""Single-core throughput of the Python peers on the same input as the `throughput` example:
HF `tokenizers` `encode_batch` (the peer benchmark's mode) and, when installed, tiktoken
with the same vocabulary converted to its format.

    taskset -c 0 python3 tokenizer/benches/peers_tokenize.py TOKENIZER.json IN.jsonl [hf|tiktoken]

Prints one JSON line per peer: MB (10^6 bytes of UTF-8 text) per second of wall time and per
second of CPU time, best of REPEAT (default 2) passes. Run it pinned to one core; HF's
`encode_batch` then runs on one thread whatever its pool size.
"""

import json
import os
import sys
import time


def texts_of(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) \
        + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def measure(name, fn, texts, repeat):
    nbytes = sum(len(t.encode("utf-8")) for t in texts)
    best_wall = best_cpu = float("inf")
    tokens = 0
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        tokens = fn(texts)
        best_wall = min(best_wall, time.perf_counter() - w)
        best_cpu = min(best_cpu, time.process_time() - c)
    print(json.dumps({"peer": name, "docs": len(texts), "text_bytes": nbytes, "tokens": tokens,
                      "seconds": best_wall, "cpu_seconds": best_cpu,
                      "mb_per_s": nbytes / 1e6 / best_wall,
                      "mb_per_cpu_s": nbytes / 1e6 / best_cpu}), flush=True)


def main():
    tok_path, inp = sys.argv[1], sys.argv[2]
    peers = sys.argv[3:] or ["hf", "tiktoken"]
    repeat = int(os.environ.get("REPEAT", "2"))
    texts = texts_of(inp)
    if "hf" in peers:
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(tok_path)

        def hf(texts):
            n = 0
            for i in range(0, len(texts), 1000):
                n += sum(len(e.ids) for e in
                         tok.encode_batch(texts[i:i + 1000], add_special_tokens=False))
            return n
        measure("hf-tokenizers-encode_batch", hf, texts, repeat)
    if "tiktoken" in peers:
        import tiktoken
        doc = json.load(open(tok_path, encoding="utf-8"))
        byte_of = bytes_to_unicode()
        ranks = {}
        for token, i in doc["model"]["vocab"].items():
            if all(ch in byte_of for ch in token):
                ranks[bytes(byte_of[ch] for ch in token)] = i
        pat = (r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")
        enc = tiktoken.Encoding("converted", pat_str=pat, mergeable_ranks=ranks,
                                special_tokens={})

        def tt(texts):
            return sum(len(enc.encode_ordinary(t)) for t in texts)
        measure("tiktoken-encode_ordinary", tt, texts, repeat)


if __name__ == "__main__":
    main()
