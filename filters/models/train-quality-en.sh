#!/usr/bin/env bash
# Rebuilds filters/models/quality-en-v1.clf from ../shared/corpora, byte for byte:
#
#   filters/models/train-quality-en.sh [CURATE_BINARY]
#
# Positive: WikiText-103 articles (over 500 characters) and Project Gutenberg books in
# paragraph groups of about 4,000 characters. Negative: the Common Crawl documents of DCLM's
# human-labelled sample (both labels: raw crawl text). Hashed word unigrams and bigrams,
# 65,536 buckets, curate's defaults otherwise (seed 0, held-out tenth).
set -euo pipefail
cd "$(dirname "$0")/../.."
curate="${1:-target/debug/curate}"
corpora="../shared/corpora"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$corpora" "$work" <<'PY'
import glob, gzip, json, os, re, sys
corpora, work = sys.argv[1], sys.argv[2]
with open(os.path.join(work, "positive.jsonl"), "w") as pos:
    for path in sorted(glob.glob(corpora + "/wikitext103_wikipedia/*.tokens.gz")):
        text = gzip.open(path, "rt", encoding="utf-8").read()
        for i, article in enumerate(re.split(r"(?m)^ = [^=].* = $", text)):
            article = article.strip()
            if len(article) > 500:
                pos.write(json.dumps({"id": f"wiki-{os.path.basename(path)}-{i}", "text": article}) + "\n")
    for path in sorted(glob.glob(corpora + "/gutenberg_books/*.txt.gz")):
        text = gzip.open(path, "rt", encoding="utf-8", errors="replace").read()
        paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
        chunk, size, k = [], 0, 0
        for paragraph in paragraphs:
            chunk.append(paragraph)
            size += len(paragraph)
            if size > 4000:
                pos.write(json.dumps({"id": f"book-{os.path.basename(path)}-{k}", "text": "\n\n".join(chunk)}) + "\n")
                chunk, size, k = [], 0, k + 1
with open(os.path.join(work, "negative.jsonl"), "w") as neg:
    for line in open(corpora + "/dclm_quality_labels/dclm_human_quality_labels.jsonl"):
        doc = json.loads(line)
        neg.write(json.dumps({"id": f"dclm-{doc['line']}", "text": doc["text"]}) + "\n")
PY
"$curate" train-classifier --positive "$work/positive.jsonl" --negative "$work/negative.jsonl" \
  --buckets 65536 -o filters/models/quality-en-v1.clf
rm -f filters/models/quality-en-v1.clf.eval.json
