#!/usr/bin/env bash
# HTML main-text extraction on the four benchmarks in ../shared/corpora/html_extraction_benchmarks:
# `curate extract --eval` (our extractor and the trafilatura crate used by WARC ingest), then,
# when PEERS_PY names the peers' python (the virtualenv ../shared/bench/peers/setup.sh
# makes, plus `pip install lxml_html_clean`), Python trafilatura and resiliparse.
# Usage: [PEERS_PY=VENV/bin/python] bench/extract_eval.sh [MAX_PAGES_PER_BENCHMARK]
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=../shared/corpora/html_extraction_benchmarks
MAX=${1:-}
PEERS_PY=${PEERS_PY:-}
cargo build --release -p curate
ARGS=(extract --eval "$DIR" --engine both)
if [[ -n "$MAX" ]]; then ARGS+=(--max-pages "$MAX"); fi
"${CARGO_TARGET_DIR:-target}/release/curate" "${ARGS[@]}"
if [[ -n "$PEERS_PY" && -x "$PEERS_PY" ]]; then
  "$PEERS_PY" bench/peers/extract_peers.py "$DIR" $MAX | tail -n +2
fi
