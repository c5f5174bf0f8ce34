#!/usr/bin/env python3
"""Explain where curate's MinHash removals differ from datatrove's on the same input.

  PEERS_PY bench/peers/minhash_disagreements.py INPUT.jsonl DATATROVE_OUTDIR CURATE_REMOVED_JSONL

DATATROVE_OUTDIR is what ../shared/bench/peers/datatrove_minhash.py wrote (its
`buckets/*.dups` candidate pairs and `removed_ids.txt`); CURATE_REMOVED_JSONL is the
`removed.jsonl` of `curate dedup --minhash` on the same INPUT (one JSONL file, so document
index = line number for both tools).

Both tools cluster candidate pairs with union-find and remove every member but one, so
the removed-id sets differ for three reasons, counted here per document:

- keeper: both tools put the document in a cluster with the same other members, but
  chose another member to keep (curate keeps the first seen; datatrove keeps the root of
  its union-by-size, which depends on the order pairs were read).
- lsh_sampling: only one tool found any pair for the document. MinHash LSH finds a pair
  of Jaccard J with probability p(J) = 1 - (1 - J^r)^b; the two tools draw different hash
  permutations, so for pairs with p far from 0 and 1 they disagree by chance. For every
  such document the script gives J (datatrove's own shingles) with its closest partner
  and p(J), and compares the number of these disagreements with the number expected,
  sum of p(1-q) + q(1-p) over all pairs either tool found (p = q here: same J, same b, r).
- cluster_shape: both tools cluster the document, but with other members (a pair near
  the threshold joined or split a cluster), so the member removed differs.

Prints one JSON object.
"""
import json
import os
import struct
import sys
from collections import defaultdict

sys.dont_write_bytecode = True

from datatrove.pipeline.dedup import MinhashDedupSignature  # noqa: E402
from datatrove.pipeline.dedup.minhash import MinhashConfig  # noqa: E402


class UnionFind:
    def __init__(self):
        self.parent = {}

    def find(self, x):
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def clusters(self):
        out = defaultdict(set)
        for x in list(self.parent):
            out[self.find(x)].add(x)
        return {m: frozenset(c) for c in out.values() for m in c}


def datatrove_pairs(outdir):
    pairs = set()
    folder = os.path.join(outdir, "buckets")
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".dups"):
            continue
        data = open(os.path.join(folder, name), "rb").read()
        for f1, d1, f2, d2 in struct.iter_unpack("<4I", data):
            if f1 == f2 == 0:
                pairs.add((min(d1, d2), max(d1, d2)))
    return pairs


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    input_path, dt_dir, cur_removed_path = sys.argv[1:]
    docs = [json.loads(line) for line in open(input_path, encoding="utf-8") if line.strip()]
    index = {str(d["id"]): i for i, d in enumerate(docs)}
    config = MinhashConfig()
    signer = MinhashDedupSignature(output_folder="/tmp/unused-minhash-signatures", config=config)
    shingles = {}

    def shingle_set(i):
        if i not in shingles:
            shingles[i] = set(signer.get_shingles(docs[i]["text"]).reshape(-1).tolist())
        return shingles[i]

    def jaccard(a, b):
        sa, sb = shingle_set(a), shingle_set(b)
        return len(sa & sb) / len(sa | sb) if sa or sb else 0.0

    r, b = config.hashes_per_bucket, config.num_buckets

    def p_found(j):
        return 1 - (1 - j**r) ** b

    # datatrove: clusters from its candidate pairs; removed ids from its output.
    dt_pairs = datatrove_pairs(dt_dir)
    dt_uf = UnionFind()
    for x, y in dt_pairs:
        dt_uf.union(x, y)
    dt_clusters = dt_uf.clusters()
    dt_removed = {index[x.strip()] for x in open(os.path.join(dt_dir, "removed_ids.txt")) if x.strip()}

    # curate: clusters from removed -> kept edges.
    cur_uf = UnionFind()
    cur_removed = set()
    for line in open(cur_removed_path, encoding="utf-8"):
        row = json.loads(line)
        cur_removed.add(index[row["id"]])
        cur_uf.union(index[row["id"]], index[row["kept_id"]])
    cur_clusters = cur_uf.clusters()

    classes = defaultdict(list)
    for doc in sorted(dt_removed ^ cur_removed):
        in_dt, in_cur = doc in dt_clusters, doc in cur_clusters
        if in_dt and in_cur:
            cls = "keeper" if dt_clusters[doc] == cur_clusters[doc] else "cluster_shape"
            classes[cls].append({"id": docs[doc]["id"]})
            continue
        members = (dt_clusters if in_dt else cur_clusters)[doc] - {doc}
        best = max(members, key=lambda m: jaccard(doc, m))
        j = jaccard(doc, best)
        classes["lsh_sampling"].append({
            "id": docs[doc]["id"],
            "found_by": "datatrove" if in_dt else "curate",
            "partner": docs[best]["id"],
            "jaccard": round(j, 4),
            "p_found": round(p_found(j), 4),
        })

    # Expected one-sided finds over every document either tool clustered: a document is
    # clustered by a tool when any of its pairs is found; approximate with its best pair.
    expected = 0.0
    clustered = set(dt_clusters) | set(cur_clusters)
    for doc in clustered:
        members = (set(dt_clusters.get(doc, ())) | set(cur_clusters.get(doc, ()))) - {doc}
        if not members:
            continue
        j = max(jaccard(doc, m) for m in members)
        p = p_found(j)
        expected += 2 * p * (1 - p)

    sampling = classes["lsh_sampling"]
    result = {
        "docs": len(docs),
        "removed": {"datatrove": len(dt_removed), "curate": len(cur_removed),
                    "both": len(dt_removed & cur_removed),
                    "jaccard": round(len(dt_removed & cur_removed) / len(dt_removed | cur_removed), 5)},
        "disagreements": len(dt_removed ^ cur_removed),
        "by_class": {k: len(v) for k, v in sorted(classes.items())},
        "lsh_sampling": {
            "found_by_datatrove_only": sum(1 for s in sampling if s["found_by"] == "datatrove"),
            "found_by_curate_only": sum(1 for s in sampling if s["found_by"] == "curate"),
            "jaccard_min": min((s["jaccard"] for s in sampling), default=None),
            "jaccard_max": max((s["jaccard"] for s in sampling), default=None),
            "p_found_range": [min((s["p_found"] for s in sampling), default=None),
                              max((s["p_found"] for s in sampling), default=None)],
            "expected_one_sided_docs": round(expected, 1),
        },
        "details": classes,
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
