#!/usr/bin/env python3
"""Presidio's analyzer beside `desensitize::detect`, on the same labelled documents.

Presidio (https://github.com/microsoft/presidio) ships no recognizer for a Chinese ID
number, mobile number, landline, credit code, passport or licence plate, so this script
gives it pattern recognizers (regular expressions, the same forms our detector reads:
spaces, dashes, +86 / 0086, full-width digits) for them, and uses its own predefined
recognizers for cards (with its Luhn check), e-mail and IP addresses. No NLP engine and
no model download: each recognizer's `analyze` is called directly, which is also the
fastest way to run Presidio.

Usage: presidio_compare.py CORPUS.jsonl OURS.json
  OURS.json: `cargo run --release --example detect_quality -- CORPUS.jsonl --json`
Prints a markdown table: per kind, recall and precision of both, and microseconds per
document. Skips with one line (exit 0) when presidio-analyzer is not installed.
"""
import json
import sys
import time

try:
    from presidio_analyzer import Pattern, PatternRecognizer
    from presidio_analyzer.predefined_recognizers import CreditCardRecognizer, EmailRecognizer, IpRecognizer
except ImportError:
    print("presidio_compare.py: presidio-analyzer not installed (pip install presidio-analyzer); skipped")
    sys.exit(0)

# Presidio's e-mail check looks the domain up in the public suffix list: use the copy
# bundled with tldextract rather than fetching it (no network here).
import tldextract  # noqa: E402

tldextract.extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

D = r"[0-9０-９]"
SEP = r"[ \-]?"
PATTERNS = {
    "id_number": [rf"(?<![0-9A-Za-z]){D}{{6}}{SEP}{D}{{8}}{SEP}{D}{{3}}[0-9Xx]{{1}}(?![0-9A-Za-z])",
                  rf"(?<![0-9A-Za-z]){D}{{15}}(?![0-9A-Za-z])"],
    "mobile_phone": [rf"(?<![0-9A-Za-z])(?:(?:\+|＋|00)?86 ?)?1[3-9１３-９]{D}{SEP}{D}{{4}}{SEP}{D}{{4}}(?![0-9A-Za-z])",
                     rf"(?<![0-9A-Za-z])[1１][3-9３-９]{D}{{9}}(?![0-9A-Za-z])"],
    "landline": [r"(?<![0-9A-Za-z])\(?0\d{2,3}\)?[ \-]?[2-9]\d{6,7}(?![0-9A-Za-z])"],
    "credit_code": [r"(?<![0-9A-Za-z])[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Za-z])"],
    "passport": [r"(?<![0-9A-Za-z])[EGDSP][0-9]{8}(?![0-9A-Za-z])"],
    "license_plate": [r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z][·\- ]?[A-Z0-9]{5,6}(?![0-9A-Za-z])"],
    "imei": [r"(?<![0-9A-Za-z])\d{2}-?\d{6}-?\d{6}-?\d(?![0-9A-Za-z])"],
    "mac_address": [r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{2}[:\-]){5}[0-9A-Fa-f]{2}(?![0-9A-Fa-f:])"],
    "geo_point": [r"-?\d{1,3}\.\d{3,}, ?-?\d{1,3}\.\d{3,}"],
}


def recognizers():
    out = []
    for kind, regexes in PATTERNS.items():
        pats = [Pattern(f"{kind}_{i}", rx, 0.5) for i, rx in enumerate(regexes)]
        out.append((kind, PatternRecognizer(supported_entity=kind.upper(), patterns=pats)))
    out.append(("bank_card", CreditCardRecognizer()))
    out.append(("email", EmailRecognizer()))
    out.append(("ip_address", IpRecognizer()))
    return out


def byte_offset(text, i):
    return len(text[:i].encode())


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    docs = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
    ours = json.load(open(sys.argv[2], encoding="utf-8"))
    recs = recognizers()
    kinds = [k for k, _ in recs]
    counts = {k: [0, 0, 0] for k in kinds}  # labelled, found, false positives
    start = time.process_time()  # CPU time: the machine may be shared
    found_all = []
    for d in docs:
        found = set()
        for kind, rec in recs:
            for r in rec.analyze(d["text"], entities=rec.supported_entities, nlp_artifacts=None):
                found.add((r.start, r.end, kind))
        found_all.append(found)
    elapsed = time.process_time() - start
    for d, found in zip(docs, found_all):
        text = d["text"]
        found_b = {(byte_offset(text, s), byte_offset(text, e), k) for s, e, k in found}
        labels = {tuple(s) for s in d["spans"]}
        for s, e, k in labels:
            if k in counts:
                counts[k][0] += 1
                counts[k][1] += (s, e, k) in found_b
        for s, e, k in found_b - labels:
            counts[k][2] += 1
    us_doc = elapsed * 1e6 / len(docs)
    ours_us = ours["validated_kinds"]["us_per_doc"]
    print(f"{len(docs)} documents; Presidio {us_doc:.1f} µs per document (pattern recognizers only, per CPU second), "
          f"desensitize {ours_us:.2f} µs per document (validated kinds): {us_doc / ours_us:.0f}x\n")
    print("| kind | Presidio recall | Presidio precision | desensitize recall | desensitize precision |")
    print("|---|---:|---:|---:|---:|")
    for k in kinds:
        lab, hit, fp = counts[k]
        o = ours["kinds"].get(k, {"labelled": 0, "found": 0, "false_pos": 0})
        rec_p, prec_p = hit / max(lab, 1), hit / max(hit + fp, 1)
        rec_o = o["found"] / max(o["labelled"], 1)
        prec_o = o["found"] / max(o["found"] + o["false_pos"], 1)
        print(f"| {k} | {rec_p:.4f} | {prec_p:.4f} | {rec_o:.4f} | {prec_o:.4f} |")


if __name__ == "__main__":
    main()
