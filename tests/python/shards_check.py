"""The shards of a fixtures run, read as a training job would: with pyarrow, with HF
`datasets`, and with the reference loader in examples/ (resumed across a restart with a
different number of workers). Needs pyarrow, datasets, tokenizers and xxhash; no torch.

    python tests/python/shards_check.py RUN_DIR
"""

import glob
import json
import os
import sys

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import xxhash
from tokenizers import Tokenizer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples"))
from shard_loader import RankStream, ShardSet  # noqa: E402


def check(condition, message):
    if not condition:
        raise SystemExit(f"FAIL: {message}")


def main(run_dir):
    shards_dir = os.path.join(run_dir, "shards")
    with open(os.path.join(shards_dir, "manifest.json")) as f:
        manifest = json.load(f)
    seq_len, eos = manifest["seq_len"], manifest["eos_id"]

    # pyarrow: checksums, lengths, totals.
    rows = []
    for shard in manifest["shards"]:
        path = os.path.join(shards_dir, shard["file"])
        with open(path, "rb") as f:
            check(xxhash.xxh3_64_hexdigest(f.read()) == shard["xxh3"], f"{shard['file']} checksum")
        table = pa.ipc.open_stream(pa.memory_map(path, "r")).read_all()
        check(table.num_rows == shard["sequences"], f"{shard['file']} row count")
        rows.extend(table.to_pylist())
    check(all(len(r["input_ids"]) == seq_len for r in rows), "every sequence has seq_len tokens")
    check(len(rows) * seq_len == manifest["tokens"], "token total matches the manifest")

    # HF datasets opens the directory as a Dataset with the same rows.
    dataset = datasets.load_from_disk(shards_dir)
    check(len(dataset) == manifest["sequences"], f"datasets sees {len(dataset)} rows")
    check(dataset[0]["input_ids"] == rows[0]["input_ids"], "datasets row 0 equals pyarrow row 0")
    check(dataset[len(dataset) - 1]["input_ids"] == rows[-1]["input_ids"], "last rows agree")

    # The first sequence decodes to stretches of its source documents.
    tokenizer = Tokenizer.from_file(os.path.normpath(os.path.join(shards_dir, manifest["tokenizer"]["path"])))
    count = pq.read_table(
        sorted(glob.glob(os.path.join(run_dir, "04-count", "part-*.parquet"))),
        columns=["id", "source", "text", "input_ids"],
    ).to_pylist()
    documents = {(d["source"], d["id"]): d for d in count}
    first = rows[0]
    for segment in first["documents"]:
        doc = documents[(segment["source"], segment["id"])]
        stretch = first["input_ids"][segment["start"]:segment["start"] + segment["length"]]
        with_eos = list(doc["input_ids"]) + [eos]
        check(stretch == with_eos[segment["offset"]:segment["offset"] + segment["length"]], "ids of a stretch")
        text_ids = [t for t in stretch if t != eos]
        decoded = tokenizer.decode(text_ids, skip_special_tokens=False).strip("\ufffd")
        check(decoded in doc["text"], f"decoded stretch of {segment['id']} is in its text")
        check(tokenizer.decode(doc["input_ids"]) == doc["text"], f"{segment['id']} decodes to its text")

    # Realised domain shares: counted from the shards, as the manifest and the mix report say.
    by_domain = {}
    for row in rows:
        for segment in row["documents"]:
            full = len(documents[(segment["source"], segment["id"])]["input_ids"]) + 1
            text = segment["length"] - (1 if segment["offset"] + segment["length"] == full else 0)
            by_domain[segment["domain"]] = by_domain.get(segment["domain"], 0) + text
    total = sum(by_domain.values())
    with open(os.path.join(run_dir, "05-mix", "_stage.json")) as f:
        mix = json.load(f)["summary"]["by_domain"]
    for domain, tokens in by_domain.items():
        check(manifest["mix"]["by_domain"][domain]["tokens"] == tokens, f"{domain} tokens in the manifest")
        share = tokens / total
        planned = mix[domain]["realised_share"]
        # Only the dropped tail (less than one sequence) separates the two.
        tolerance = manifest["dropped_tokens"] / manifest["text_tokens"] + 1e-9
        check(abs(share - planned) <= tolerance, f"{domain}: {share:.4f} in the shards vs {planned:.4f} planned")
        print(f"{domain}: {share:.2%} of text tokens in the shards (mix stage: {planned:.2%})")

    # The loader: two ranks, each resumed mid-stream with another number of workers, read
    # every row exactly once and in stream order.
    shard_set = ShardSet(run_dir)
    seen = []
    world = 2
    for rank in range(world):
        stream = RankStream(shard_set, rank, world)
        expected = [stream.global_index(i) for i in range(len(stream))]
        got = run_loader(stream, workers=2, batch_size=2, batches=2)
        position = stream.position(len(got))
        check(position is not None, "the first session stops before the end")
        consumed = RankStream.consumed_at(shard_set, rank, world, position)
        check(consumed == len(got), "position and consumed count agree")
        resumed = RankStream(shard_set, rank, world, start=consumed)
        got += run_loader(resumed, workers=3, batch_size=2, batches=None)
        check(got == expected, f"rank {rank} reads its stream in order across the restart")
        for local in (0, len(got) - 1):
            index = stream.global_index(local)
            check(list(shard_set.sequence(index)) == rows[index]["input_ids"], "loader ids equal pyarrow's")
        seen += got
    check(sorted(seen) == list(range(len(rows))), "the ranks together read every row once")
    print(f"ok: {len(rows)} sequences of {seq_len} tokens in {len(manifest['shards'])} shards")


def run_loader(stream, workers, batch_size, batches):
    """Global row indices in the order a DataLoader with `workers` workers yields them:
    one batch from each worker in turn."""
    iterators = [stream.iterate(w, workers, batch_size) for w in range(workers)]
    order, turn, done = [], 0, 0
    while batches is None or turn < batches:
        batch = [stream.global_index(local) for local, _ in take(iterators[turn % workers], batch_size)]
        if not batch:
            done += 1
            if done == workers:
                break
        else:
            done = 0
            order += batch
        turn += 1
    return order


def take(iterator, n):
    out = []
    for item in iterator:
        out.append(item)
        if len(out) == n:
            break
    return out


if __name__ == "__main__":
    main(sys.argv[1])
