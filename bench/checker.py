"""Benchmark: the provenance checker's time per typical draft (DKIM aside).

    .venv/bin/python bench/checker.py [--rounds N]

Drafts: the clean and held corpora of tests/data/provenance (real-looking French
posts), plus a draft with three structured quotes (tweet with archive, article,
internal). Prints the mean and p99 per draft, in microseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from moderation.provenance import Draft, Quote, check_draft  # noqa: E402


def drafts() -> list[Draft]:
    corpus = ROOT / "tests" / "data" / "provenance" / "corpus"
    bodies = [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*/*.md"))]
    result = [Draft(body=body, category="debate") for body in bodies]
    status = ((1331718120000 - 1288834974657) << 22)  # 2012-03-14 09:42 UTC
    quotes = [
        Quote(kind="tweet", author="Jean Dupont", handle="@jdupont", said_at="2012-03-14",
              source_url=f"https://twitter.com/jdupont/status/{status}",
              archive_url=f"https://web.archive.org/web/20120315000000/https://twitter.com/jdupont/status/{status}",
              context="Réponse à un journaliste pendant les municipales.", text="Les militants ne comprennent rien."),
        Quote(kind="article", author="Le Journal", said_at="2024-05-01", source_url="https://journal.example/a",
              context="Entretien au journal régional.", text="Nous gagnerons ensemble."),
        Quote(kind="internal", author="Léa", quoted_post=12, context="Son message sur le programme.",
              text="un plan logement […] pour 2027", quoted_text=["Je propose un plan logement ambitieux pour 2027."]),
    ]
    result.append(Draft(body="Trois citations, chacune sourcée.", category="debate", quotes=quotes))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description="Mesure le vérificateur de provenance par brouillon.")
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    samples = drafts()
    for draft in samples:  # warm-up (regex caches, imports)
        check_draft(draft)
    timings = []
    for _ in range(args.rounds):
        for draft in samples:
            started = time.perf_counter_ns()
            check_draft(draft)
            timings.append((time.perf_counter_ns() - started) / 1000)
    timings.sort()
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(f"brouillons : {len(samples)} × {args.rounds} tours")
    print(f"moyenne : {statistics.fmean(timings):.0f} µs · médiane : {statistics.median(timings):.0f} µs · p99 : {p99:.0f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
