#!/usr/bin/env bash
# HTML main-text extraction on the four benchmarks in ../shared/corpora/html_extraction_benchmarks:
# `curate extract --eval` (our extractor and the trafilatura crate used by WARC ingest), then,
# when the peers' virtual environment exists, Python trafilatura and resiliparse.
# Usage: bench/extract_eval.sh [MAX_PAGES_PER_BENCHMARK]
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=../shared/corpora/html_extraction_benchmarks
MAX=${1:-}
PEERS_PY=${PEERS_PY:-/work/peers-venv/bin/python}
cargo build --release -p curate
ARGS=(extract --eval "$DIR" --engine both)
if [[ -n "$MAX" ]]; then ARGS+=(--max-pages "$MAX"); fi
"${CARGO_TARGET_DIR:-target}/release/curate" "${ARGS[@]}"
if [[ -x "$PEERS_PY" ]]; then
  "$PEERS_PY" bench/peers/extract_peers.py "$DIR" $MAX | tail -n +2
fi
