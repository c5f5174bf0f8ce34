"""Time datatrove's PIIFormatter (FineWeb's e-mail + public-IP redaction) on JSONL text.

Usage: PEERS_PY peers-pii.py FILE.jsonl[.gz] [FILE ...]
Prints one JSON line per file: docs, text MB, CPU seconds, MB/s of text, and how many
e-mail and public-IP replacements datatrove made. Run pinned to one core
(`taskset -c 0`) beside `cargo bench -p curate-filters --bench pii_decon`.
"""
import gzip
import json
import os
import sys
import time

from datatrove.pipeline.formatters.pii import PIIFormatter, public_ip_validator


def texts(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)["text"]


def main():
    fmt = PIIFormatter()
    for path in sys.argv[1:]:
        docs = list(texts(path))
        mb = sum(len(t.encode("utf-8")) for t in docs) / 1e6
        best = None
        for _ in range(3):
            t0 = time.process_time()
            for t in docs:
                fmt.format(t)
            dt = time.process_time() - t0
            best = dt if best is None else min(best, dt)
        emails = sum(len(fmt.emails_replacer.regex.findall(t)) for t in docs)
        ips = sum(
            1
            for t in docs
            for m in fmt.ip_replacer.regex.finditer(t)
            if public_ip_validator(m.group(0))
        )
        print(json.dumps({
            "file": os.path.basename(path), "docs": len(docs), "text_mb": round(mb, 2),
            "cpu_s": round(best, 3), "mb_per_s": round(mb / best, 2),
            "emails": emails, "public_ips": ips,
        }))


if __name__ == "__main__":
    main()
