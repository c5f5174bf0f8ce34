#!/usr/bin/env bash
# Throughput of the whole filter stage (URL, language, Gopher x2, C4, FineWeb, toxicity)
# on one core, side by side with datatrove's filter pipeline on the same input.
#
#   bench/filter_stage.sh [INPUT.jsonl.gz]        (default: the ECTSum earnings calls)
#   PEERS_PY=/path/to/venv/bin/python bench/filter_stage.sh   also runs datatrove
#   PROFILE=release CORE=1 ...                                  other profile, other core
#
# Prints one JSON line per tool: text MB, CPU seconds, MB/s per core; and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
corpora="$(cd ../shared/corpora && pwd)"
input="${1:-$corpora/ectsum_earnings_calls/ectsum_train.jsonl.gz}"
core="${CORE:-0}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# PROFILE=release builds faster; dist (fat LTO) is the binary we ship.
profile="${PROFILE:-dist}"
cargo build --profile "$profile" -p curate >/dev/null
curate="${CARGO_TARGET_DIR:-$PWD/target}/$profile/curate"

cat > "$work/job.toml" <<JOB
[job]
name = "bench"
output_dir = "$work/runs"

[[source]]
name = "input"
domain = "general"
format = "jsonl"
paths = ["$input"]

[filter.url]
block_domain_files = ["$corpora/ut1_blacklists/adult_top1m_chadmayfield/pi_blocklist_porn_top1m.list", "$corpora/ut1_blacklists/agressif/domains"]
block_url_files = ["$corpora/ut1_blacklists/adult/urls"]
banned_word_files = ["$corpora/badwords_lists/datatrove/banned_words.txt"]
banned_subword_files = ["$corpora/badwords_lists/datatrove/banned_subwords.txt"]
soft_banned_word_files = ["$corpora/badwords_lists/datatrove/soft_banned_words.txt"]
[filter.language]
[filter.gopher_repetition]
[filter.gopher_quality]
[filter.c4]
filter_no_terminal_punct = false
[filter.fineweb]
[filter.toxicity]
word_files = ["$corpora/badwords_lists/ldnoobw/en.txt"]
JOB

taskset -c "$core" "$curate" run "$work/job.toml" --threads 1 --quiet --until ingest >/dev/null 2>&1
# Time the filter stage alone: its input is already ingested.
/usr/bin/time -f '%U %S %M' -o "$work/time" taskset -c "$core" "$curate" run "$work/job.toml" --threads 1 --quiet >/dev/null 2>&1
read -r user sys rss_kb < "$work/time"
bytes=$(python3 -c "import json;print(json.load(open('$work/runs/bench/02-filter/_stage.json'))['summary']['total']['input']['bytes'])")
python3 - "$bytes" "$user" "$sys" "$rss_kb" <<'PY'
import json, sys
b, u, s, rss = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
cpu = u + s
print(json.dumps({"tool": "curate", "task": "filter_stage", "text_mb": round(b / 1e6, 3),
                  "cpu_seconds": round(cpu, 3), "mb_per_s_cpu": round(b / 1e6 / cpu, 2),
                  "peak_rss_mb": round(rss / 1024, 1)}))
PY
if [ -n "${PEERS_PY:-}" ]; then
  taskset -c "$core" "$PEERS_PY" ../shared/bench/peers/datatrove_filters.py "$input" "$work/peer" | tail -1
fi
