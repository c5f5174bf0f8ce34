#!/usr/bin/env python3
"""Peer extractors on the HTML extraction benchmarks, scored as `curate extract --eval` scores.

Runs Python trafilatura (favor_precision off and on) and resiliparse
(`extract_plain_text(main_content=True)`) over the same pages, single-threaded, and prints
the same tab-separated table: bag-of-words token precision/recall/F1 (lowercased `\\w+`
tokens, multiset overlap, mean over pages) for the full-text benchmarks, and with/without
snippet precision/recall/F1 (totals over pages, whitespace collapsed) for trafilatura_eval.
Pages/s and MB/s are per CPU second (`time.process_time`) of the extraction call
(decoding included), so they are per core and not skewed by other load on the machine.

The peers are imported at run time only; they live in a separate virtual environment:
    PEERS_VENV/bin/python bench/peers/extract_peers.py ../shared/corpora/html_extraction_benchmarks
"""

import collections
import gzip
import json
import os
import re
import sys
import time

TOKEN = re.compile(r"\w+")


def bag(text):
    return collections.Counter(TOKEN.findall(text.lower()))


def bag_scores(expected, got):
    want, have = bag(expected), bag(got or "")
    wn, hn = sum(want.values()), sum(have.values())
    if wn == 0 or hn == 0:
        return 0.0, 0.0, 0.0
    overlap = sum(min(n, want.get(t, 0)) for t, n in have.items())
    p, r = overlap / hn, overlap / wn
    return p, r, (2 * p * r / (p + r) if overlap else 0.0)


def collapse(s):
    return " ".join(s.split())


def gz(path):
    with gzip.open(path, "rb") as f:
        return f.read()


def load(root, bench, max_pages):
    d = os.path.join(root, bench)
    pages = []
    if bench == "wcxb":
        for line in gzip.open(os.path.join(d, "ground_truth.jsonl.gz"), "rt", encoding="utf-8"):
            rec = json.loads(line)
            text = rec["ground_truth"].get("main_content")
            if not text or not text.strip():
                continue
            pages.append((rec["file_id"], gz(os.path.join(d, "html", rec["file_id"] + ".html.gz")), text))
    elif bench == "scrapinghub_aeb":
        truth = json.load(open(os.path.join(d, "ground-truth.json"), encoding="utf-8"))
        for pid, rec in truth.items():
            pages.append((pid, gz(os.path.join(d, "html", pid + ".html.gz")), rec["articleBody"]))
    elif bench == "mozilla_readability":
        import lxml.html

        root_dir = os.path.join(d, "test-pages")
        for name in os.listdir(root_dir):
            exp = gz(os.path.join(root_dir, name, "expected.html.gz"))
            text = lxml.html.fromstring(exp).text_content()
            pages.append((name, gz(os.path.join(root_dir, name, "source.html.gz")), text))
    elif bench == "trafilatura_eval":
        for line in open(os.path.join(d, "annotations.jsonl"), encoding="utf-8"):
            rec = json.loads(line)
            html = gz(os.path.join(d, "pages", rec["page_id"] + ".html.gz"))
            pages.append((rec["page_id"], html, (rec.get("with", []), rec.get("without", []))))
    pages.sort(key=lambda p: p[0])
    return pages[:max_pages] if max_pages else pages


def score(pages, fn):
    sums = [0.0, 0.0, 0.0]
    tp = fn_ = fp = 0
    failed = 0
    spent = 0.0
    for _pid, html, expected in pages:
        t0 = time.process_time()
        try:
            got = fn(html)
        except Exception:  # a peer failing on a page counts as an empty extraction
            got = None
        spent += time.process_time() - t0
        if got is None:
            failed += 1
            got = ""
        if isinstance(expected, tuple):
            text = collapse(got)
            for s in expected[0]:
                if collapse(s) in text:
                    tp += 1
                else:
                    fn_ += 1
            fp += sum(1 for s in expected[1] if collapse(s) in text)
        else:
            for i, v in enumerate(bag_scores(expected, got)):
                sums[i] += v
    if tp + fn_ + fp:
        p = tp / max(tp + fp, 1)
        r = tp / max(tp + fn_, 1)
        f = 2 * p * r / (p + r) if p + r else 0.0
    else:
        n = max(len(pages), 1)
        p, r, f = (s / n for s in sums)
    return p, r, f, failed, spent


def engines():
    import trafilatura
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    def traf(precision):
        return lambda html: trafilatura.extract(html, favor_precision=precision)

    def resili(html):
        return extract_plain_text(bytes_to_str(html, detect_encoding(html)), main_content=True)

    return [("trafilatura-py", traf(False)), ("trafilatura-py-precision", traf(True)), ("resiliparse", resili)]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "../shared/corpora/html_extraction_benchmarks"
    max_pages = int(sys.argv[2]) if len(sys.argv) > 2 else None
    print("benchmark\tengine\tpages\tfailed\tprecision\trecall\tf1\tpages_per_s\tmb_per_s", flush=True)
    for bench in ["wcxb", "scrapinghub_aeb", "mozilla_readability", "trafilatura_eval"]:
        pages = load(root, bench, max_pages)
        mb = sum(len(p[1]) for p in pages) / 1e6
        for name, fn in engines():
            p, r, f, failed, spent = score(pages, fn)
            spent = max(spent, 1e-9)
            print(
                f"{bench}\t{name}\t{len(pages)}\t{failed}\t{p:.3f}\t{r:.3f}\t{f:.3f}"
                f"\t{len(pages) / spent:.1f}\t{mb / spent:.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
