#!/usr/bin/env bash
# HTML main-text extraction on the four benchmarks in ../shared/corpora/html_extraction_benchmarks:
# the `extract_eval` example of curate-extract in release (our extractor and the trafilatura
# crate used by WARC ingest; no DataFusion in the build), then, when PEERS_PY names the peers'
# python (the virtualenv ../shared/bench/peers/setup.sh makes, plus `pip install
# lxml_html_clean`), Python trafilatura and resiliparse on the same pages.
# Every engine runs single-threaded; pages/s and MB/s are per CPU second of that thread. With
# `taskset` present all of them are pinned to one core (CORE, default 1), so the speeds compare
# per core on the same core.
# Usage: [PEERS_PY=VENV/bin/python] [CORE=N] bench/extract_eval.sh [MAX_PAGES_PER_BENCHMARK]
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=../shared/corpora/html_extraction_benchmarks
MAX=${1:-}
PEERS_PY=${PEERS_PY:-}
CORE=${CORE:-1}
cargo build --release -p curate-extract --example extract_eval
PIN=()
if command -v taskset >/dev/null; then PIN=(taskset -c "$CORE"); fi
ARGS=("$DIR" --engine both)
if [[ -n "$MAX" ]]; then ARGS+=(--max-pages "$MAX"); fi
"${PIN[@]}" "${CARGO_TARGET_DIR:-target}/release/examples/extract_eval" "${ARGS[@]}"
if [[ -n "$PEERS_PY" && -x "$PEERS_PY" ]]; then
  "${PIN[@]}" "$PEERS_PY" bench/peers/extract_peers.py "$DIR" $MAX | tail -n +2
fi
