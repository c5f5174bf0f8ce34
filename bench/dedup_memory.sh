#!/usr/bin/env bash
# Peak memory of the dedup stage (exact + MinHash, FineWeb's 14 x 8) against the number of
# documents, in memory and spilling to disk. Synthetic documents (WORDS = 40 words drawn from a
# 50,000-word vocabulary, 5% exact copies and 5% one-word edits of earlier documents) so
# that the corpus can be made as large as wanted; the index is sized by documents, not
# text, so short documents measure it as well as long ones.
#
#   bench/dedup_memory.sh [MILLIONS...]        default: 1 2 4
#   MEMORY_MB=512 bench/dedup_memory.sh 4       the index budget ([dedup] memory_mb)
#   WORDS=20 bench/dedup_memory.sh 50          shorter documents (less disk for 50 million)
#   PROFILE=dev bench/dedup_memory.sh           reuses a debug build
#
# Ingest runs first, untimed; the dedup stage then runs alone under /usr/bin/time. Prints
# one line per size: documents, removed, index bytes per document (from _stage.json),
# bytes spilled, peak RSS, peak RSS per million documents, seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${WORK_DIR:-$(mktemp -d)}"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
memory_mb="${MEMORY_MB:-4096}"

profile="${PROFILE:-release}"
cargo build --profile "$profile" -p curate >/dev/null
dir="$profile"; [ "$profile" = dev ] && dir=debug
curate="${CARGO_TARGET_DIR:-$PWD/target}/$dir/curate"

sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(1 2 4)
for millions in "${sizes[@]}"; do
  rm -rf "$work/runs" "$work/docs.jsonl"
  python3 - "$work/docs.jsonl" "$millions" "${WORDS:-40}" <<'PY'
import json, random, sys
path, millions, length = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
rng = random.Random(7)
vocab = [f"w{i}" for i in range(50_000)]
recent = []
with open(path, "w", buffering=1 << 22) as out:
    for i in range(int(millions * 1_000_000)):
        roll = rng.random()
        if roll < 0.05 and recent:
            words = list(rng.choice(recent))
        elif roll < 0.10 and recent:
            words = list(rng.choice(recent))
            words[rng.randrange(len(words))] = "edited"
        else:
            words = rng.choices(vocab, k=length)
        if len(recent) < 1000:
            recent.append(words)
        else:
            recent[rng.randrange(1000)] = words
        out.write(json.dumps({"id": f"d{i}", "text": " ".join(words)}) + "\n")
PY
  cat > "$work/job.toml" <<JOB
[job]
name = "dedup-memory"
output_dir = "$work/runs"

[[source]]
name = "synthetic"
domain = "general"
format = "jsonl"
paths = ["$work/docs.jsonl"]

[dedup]
memory_mb = $memory_mb
write_removed = false
[dedup.exact]
[dedup.minhash]
JOB
  "$curate" run "$work/job.toml" --until ingest --quiet >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
  /usr/bin/time -f "%M %e" -o "$work/time" "$curate" run "$work/job.toml" --until dedup --quiet \
    >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
  read -r rss seconds < "$work/time"
  python3 - "$work/runs/dedup-memory/03-dedup/_stage.json" "$rss" "$seconds" "$memory_mb" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))["summary"]
dedup = summary["dedup"]
docs = dedup["documents"]
rss_mb = int(sys.argv[2]) / 1024
print(json.dumps({
    "documents": docs,
    "removed": dedup["exact_removed"] + dedup["minhash_removed"],
    "memory_mb_limit": int(sys.argv[4]),
    "index_bytes_per_document": round(dedup["memory"]["bytes_per_document"], 1),
    "spilled_mb": round(dedup["memory"].get("spilled_bytes", 0) / 2**20, 1),
    "runs": dedup["memory"].get("runs", 0),
    "peak_rss_mb": round(rss_mb, 1),
    "peak_rss_mb_per_million_docs": round(rss_mb / docs * 1e6, 1),
    "seconds": float(sys.argv[3]),
}))
PY
done
