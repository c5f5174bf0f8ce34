#!/usr/bin/env bash
# Fast path against HF tokenizers (Rust, and Python encode_batch) and tiktoken, one core, on
# ECTSum and the web text samples, with the GPT-NeoX reference tokenizer; then peak RSS of
# each on ECTSum. Usage (from the repository root, PYTHON with tokenizers==0.23.3 and
# tiktoken installed):
#   PYTHON=/tmp/hfvenv/bin/python tokenizer/benches/compare.sh [CORE]
set -euo pipefail
core=${1:-0}
py=${PYTHON:-python3}
corpora=$(cd "$(dirname "$0")/../../.." && pwd)/shared/corpora
target=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p curate-tokenizer --example throughput
bin=$target/release/examples/throughput
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gzip -dc "$corpora/reference_tokenizers/gpt-neo-test-tokenizer.json.gz" > "$tmp/neox.json"
gzip -dc "$corpora/ectsum_earnings_calls/ectsum_train.jsonl.gz" > "$tmp/ectsum.jsonl"
gzip -dc "$corpora"/web_text_jsonl/*.gz > "$tmp/web.jsonl"
pin() { taskset -c "$core" "$@"; }
for input in ectsum web; do
  reps=3; [ $input = web ] && reps=30
  REPEAT=$reps pin "$bin" "$tmp/neox.json" "$tmp/$input.jsonl" fast-encode fast-count
  REPEAT=$(( reps / 3 )) pin "$bin" "$tmp/neox.json" "$tmp/$input.jsonl" hf-encode hf-count
  REPEAT=$(( reps / 3 )) pin "$py" "$(dirname "$0")/peers_tokenize.py" "$tmp/neox.json" "$tmp/$input.jsonl"
done
rss() { /usr/bin/time -f "$1 peak_rss_kib=%M" taskset -c "$core" "${@:2}" > /dev/null; }
REPEAT=1 rss fast-encode "$bin" "$tmp/neox.json" "$tmp/ectsum.jsonl" fast-encode
REPEAT=1 rss fast-count "$bin" "$tmp/neox.json" "$tmp/ectsum.jsonl" fast-count
REPEAT=1 rss rust-hf-encode "$bin" "$tmp/neox.json" "$tmp/ectsum.jsonl" hf-encode
REPEAT=1 rss python-hf-encode_batch "$py" "$(dirname "$0")/peers_tokenize.py" "$tmp/neox.json" "$tmp/ectsum.jsonl" hf
REPEAT=1 rss python-tiktoken "$py" "$(dirname "$0")/peers_tokenize.py" "$tmp/neox.json" "$tmp/ectsum.jsonl" tiktoken
