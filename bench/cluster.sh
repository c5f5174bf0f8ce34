#!/usr/bin/env bash
# The cluster path on the local single-node Slurm (tests/slurm/cluster.sh start): the wall
# time of a job run by `curate run` and by `curate launch slurm --tasks N`, the Slurm
# overhead per step, and each step's wall, CPU and peak memory (from the stage records of
# the whole-stage steps and the markers of the map steps).
#
#   bench/cluster.sh [JOB] [TASKS...]        default: jobs/finpile.toml 1 2 4
#   CURATE=path/to/curate bench/cluster.sh   a binary already built (else a release build)
#
# Every Slurm task gets one CPU (--cpus-per-task 1, one thread); `curate run` runs with
# --threads 1 as the baseline and with every core. The node declares CPUs=4 on two cores:
# four tasks share two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
job="${1:-jobs/finpile.toml}"
shift || true
tasks=("$@")
[ ${#tasks[@]} -eq 0 ] && tasks=(1 2 4)
export SLURM_CONF="${SLURM_CONF:-${CURATE_SLURM_DIR:-/tmp/curate-slurm}/slurm.conf}"
if [ -z "${CURATE:-}" ]; then
  cargo build --release -p curate >/dev/null
  CURATE="${CARGO_TARGET_DIR:-$PWD/target}/release/curate"
fi
work="${WORK_DIR:-$(mktemp -d)}"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
name="$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$job" | head -1)"

seconds() { python3 -c 'import time; print(f"{time.time():.3f}")'; }
elapsed() { python3 -c "print(f'{$2 - $1:.1f}')"; }

for threads in 1 0; do
  start=$(seconds)
  "$CURATE" run "$job" --output-dir "$work/single-$threads" --threads "$threads" --quiet 2>/dev/null
  end=$(seconds)
  echo "curate run --threads $threads: $(elapsed "$start" "$end") s wall"
done
for n in "${tasks[@]}"; do
  start=$(seconds)
  "$CURATE" launch slurm "$job" --tasks "$n" --cpus-per-task 1 --wait \
    --output-dir "$work/slurm-$n" >/dev/null
  end=$(seconds)
  echo "curate launch slurm --tasks $n: $(elapsed "$start" "$end") s wall"
  python3 - "$work/slurm-$n/$name" "$work/single-1/$name" <<'PY'
import glob, json, os, sys
run, single = sys.argv[1], sys.argv[2]
def record(d):
    try:
        return json.load(open(os.path.join(d, "_stage.json")))
    except FileNotFoundError:
        return None
for stage in ["01-ingest", "02-filter", "03-dedup", "tokenizer", "04-count", "05-mix", "shards"]:
    d = os.path.join(run, stage)
    r = record(d)
    if r is None:
        continue
    markers = glob.glob(os.path.join(d, "_partitions", "*.json"))
    docs = None
    summary = r.get("summary") or {}
    total = summary.get("total") if isinstance(summary, dict) else None
    if isinstance(total, dict):
        docs = (total.get("output") or total).get("documents")
    cost = r.get("cost") or (record(os.path.join(single, stage)) or {}).get("cost") or {}
    if r.get("cost"):
        how = "reduce step"
    else:
        how = f"map step, {len(markers)} partitions, {r['seconds']:.1f} s summed over tasks"
    rss = cost.get("peak_rss_bytes", 0) / 2**20
    print(f"  {stage:<10} {how}; wall {cost.get('wall_seconds', 0):.2f} s, cpu "
          f"{cost.get('cpu_seconds', 0):.2f} s, peak RSS {rss:.0f} MiB (single run's cost for map steps)"
          + (f", {docs} documents out" if docs else ""))
PY
done
# Every step by hand, one task each (no scheduler): wall, CPU and peak RSS per step, the
# reduce steps included (their memory is what a cluster node must have).
"$CURATE" plan "$job" --output-dir "$work/steps" >/dev/null
steps=$(python3 -c "import json; print(' '.join(s['step'] for s in json.load(open('$work/steps/$name/plan.json'))['steps']))")
echo "steps by hand, one task each:"
for step in $steps; do
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" \
    "$CURATE" run "$job" --output-dir "$work/steps" --step "$step" --rank 0 --world-size 1 \
    --threads 1 --quiet 2>/dev/null
  read -r wall user sys rss <"$work/time"
  python3 -c "print(f'  {\"$step\":<14} wall {$wall:.2f} s, cpu {$user + $sys:.2f} s, peak RSS {$rss / 1024:.0f} MiB')"
done
# Slurm's own cost per step: a job with next to no work.
start=$(seconds)
"$CURATE" run jobs/finance.toml --output-dir "$work/tiny-single" --quiet 2>/dev/null
mid=$(seconds)
"$CURATE" launch slurm jobs/finance.toml --tasks 2 --wait --output-dir "$work/tiny" >/dev/null
end=$(seconds)
steps=$(python3 -c "import json; print(len(json.load(open('$work/tiny/finance/slurm/launch.json'))['steps']))")
echo "fixtures job: curate run $(elapsed "$start" "$mid") s; through Slurm $(elapsed "$mid" "$end") s for $steps steps"
