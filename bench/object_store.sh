#!/usr/bin/env bash
# Reading and writing 1 GB through object storage against local disk, on this machine's
# local S3 server (SeaweedFS, tests/s3/server.sh): MB/s per CPU second and peak RSS.
#
#   bench/object_store.sh            # needs a release build: cargo build --release -p curate --example object_io
#
# 1. A ~1 GB WARC (the Common Crawl samples of ../shared/corpora repeated; gzip members
#    concatenate) is ingested (`--until ingest`, one thread) from local disk, then from
#    s3://: wall, CPU and peak RSS of each, and the input MB/s per CPU second.
# 2. The same object streamed through the range reader alone (`object_io get`: size and
#    xxh3), against reading the local file with xxhsum-like hashing (`object_io` is not
#    needed for that: `cat` to /dev/null gives the disk's pace).
# 3. 1 GB written to the bucket the way runs and `curate publish` write shards
#    (`object_io put`: a multipart upload of 16 MiB parts, 4 in flight).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}/release"
curate="$target/curate"
object_io="$target/examples/object_io"
for binary in "$curate" "$object_io"; do
  [ -x "$binary" ] || { echo "error: $binary missing: cargo build --release -p curate --example object_io" >&2; exit 1; }
done
work="${TMPDIR:-/tmp}/curate-bench-s3"
mkdir -p "$work"
export CURATE_S3_DIR="$work/server"
tests/s3/server.sh start >/dev/null
trap 'tests/s3/server.sh stop' EXIT
set -a; . "$CURATE_S3_DIR/env"; set +a

big="$work/big.warc.gz"
if [ ! -s "$big" ] || [ "$(stat -c %s "$big")" -lt 1000000000 ]; then
  samples=(../shared/corpora/web_warc_samples/*/*.warc.gz)
  : >"$big"
  while [ "$(stat -c %s "$big")" -lt 1000000000 ]; do cat "${samples[@]}" >>"$big"; done
fi
bytes=$(stat -c %s "$big")
echo "input: $big, $bytes bytes"

measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  read -r wall user sys rss <"$work/time"
  cpu=$(echo "$user + $sys" | bc)
  printf "%-34s wall %6.1f s  cpu %6.1f s  %7.1f MB/s per cpu-s  peak RSS %5d MB\n" \
    "$label" "$wall" "$cpu" "$(echo "$bytes / 1000000 / $cpu" | bc -l)" "$((rss / 1024))"
}

echo "== upload (multipart, as shards are written)"
measure "put 1 GB to s3://" "$object_io" put "$big" s3://curate-test/bench/big.warc.gz
echo "== raw read"
measure "cat local file" cat "$big"
measure "stream s3:// (range reader)" "$object_io" get s3://curate-test/bench/big.warc.gz

job() { # path
  cat >"$work/job.toml" <<TOML
[job]
name = "bench"
[[source]]
name = "cc"
domain = "general"
format = "warc"
paths = ["$1"]
TOML
}
echo "== ingest (WARC with HTML extraction), one thread"
job "$big"
rm -rf "$work/out-local"
measure "ingest from local disk" "$curate" run "$work/job.toml" --until ingest --threads 1 --quiet --output-dir "$work/out-local"
job "s3://curate-test/bench/big.warc.gz"
rm -rf "$work/out-s3" "$work/scratch"
measure "ingest from s3://" "$curate" run "$work/job.toml" --until ingest --threads 1 --quiet --output-dir "$work/out-s3"
cmp "$work/out-local/bench/01-ingest/part-00000.parquet" "$work/out-s3/bench/01-ingest/part-00000.parquet" \
  && echo "the two ingests wrote the same part"
