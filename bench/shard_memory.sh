#!/usr/bin/env bash
# Peak memory of the shard stage against the size of what it shuffles: the ECTSum earnings
# calls (30 MB of text) shuffled and packed once, then repeated 2x and 4x by the mix, all
# with `[shard] memory_mb = 16`. Peak RSS should stay flat while the ids grow past the
# limit many times over; the shuffle spills to disk instead.
#
#   bench/shard_memory.sh            (PROFILE=release by default; PROFILE=dev reuses a debug build)
#   SHARD_BYTES=268435456 bench/shard_memory.sh   (the default shard size: one shard per size)
#
# Prints one line per size: text tokens in the shards, bytes of ids, peak RSS, seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
corpora="$(cd ../shared/corpora && pwd)"
input="$corpora/ectsum_earnings_calls/ectsum_train.jsonl.gz"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

profile="${PROFILE:-release}"
cargo build --profile "$profile" -p curate >/dev/null
dir="$profile"; [ "$profile" = dev ] && dir=debug
curate="${CARGO_TARGET_DIR:-$PWD/target}/$dir/curate"

for repeats in 1 2 4; do
  # total = "budget": 20 tokens per parameter of a model sized to `repeats` epochs.
  cat > "$work/job.toml" <<JOB
[job]
name = "shard-memory"
output_dir = "$work/runs"
seed = 1

[[source]]
name = "calls"
domain = "finance"
format = "jsonl"
paths = ["$input"]

[tokenizer]
vocab_size = 4096
sample_bytes = 4000000
special_tokens = ["<|endoftext|>"]
count_funnel = false

[budget]
params = $((repeats * 380000))
tokens_per_param = 20.0

[mix]
max_epochs = $repeats.0
total = "budget"
[mix.shares]
finance = 1.0

[shard]
seq_len = 2048
shard_bytes = ${SHARD_BYTES:-8388608}
memory_mb = 16
JOB
  "$curate" run "$work/job.toml" --until mix --quiet >/dev/null
  /usr/bin/time -f "%M %e" -o "$work/time" "$curate" run "$work/job.toml" --force shard --quiet >/dev/null
  read -r rss seconds < "$work/time"
  python3 - "$work/runs/shard-memory/shards/manifest.json" "$rss" "$seconds" "$repeats" <<'PY'
import json, sys
manifest = json.load(open(sys.argv[1]))
rss_mb = int(sys.argv[2]) / 1024
ids_mb = manifest["tokens"] * 4 / 2**20
print(json.dumps({"repeats": int(sys.argv[4]), "text_tokens": manifest["text_tokens"],
                  "ids_mb": round(ids_mb, 1), "shards": len(manifest["shards"]),
                  "memory_mb_limit": 16, "peak_rss_mb": round(rss_mb, 1), "seconds": float(sys.argv[3])}))
PY
done
