#!/usr/bin/env python3
"""A tokenizer trained by `curate train-tokenizer` loads in Python `tokenizers` and gives
the same token counts as `curate count` on documents it was not trained on.

    python3 tests/python/tokenizer_roundtrip.py target/debug/curate

Run by .ci/run with the `tokenizers` package installed in a virtualenv."""

import gzip
import json
import pathlib
import subprocess
import sys
import tempfile

from tokenizers import Tokenizer

REPO = pathlib.Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared/corpora/ectsum_earnings_calls/ectsum_train.jsonl.gz"


def main() -> int:
    curate = sys.argv[1]
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        docs = [json.loads(line) for line in f]
    train, held_out = docs[:300], docs[1500:]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        for name, part in (("train.jsonl", train), ("held_out.jsonl", held_out)):
            with open(tmp / name, "w", encoding="utf-8") as f:
                for doc in part:
                    f.write(json.dumps({"id": doc["id"], "text": doc["text"]}) + "\n")
        subprocess.run([curate, "train-tokenizer", str(tmp / "train.jsonl"),
                        "--vocab-size", "4000", "-o", str(tmp / "tokenizer.json")], check=True)
        subprocess.run([curate, "count", "--tokenizer", str(tmp / "tokenizer.json"),
                        str(tmp / "held_out.jsonl"), "-o", str(tmp / "counts.jsonl")], check=True)
        ours = {}
        with open(tmp / "counts.jsonl", encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                ours[row["id"]] = row["tokens"]
        tokenizer = Tokenizer.from_file(str(tmp / "tokenizer.json"))
        wrong = [doc["id"] for doc in held_out
                 if len(tokenizer.encode(doc["text"], add_special_tokens=False).ids) != ours[doc["id"]]]
    print(f"{len(held_out) - len(wrong)} passed, {len(wrong)} failed")
    for doc_id in wrong[:10]:
        print(f"  token count differs: {doc_id}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
