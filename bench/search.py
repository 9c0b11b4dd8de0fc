"""Search latency, in process, on a seeded database: p50/p95 of forum.search.search() per query.

    .venv/bin/python bench/search.py bench/.work/tribune-1000000.db [--runs 30] [--only author]

The databases are the ones bench/run.py seeds (bench/.work/tribune-N.db; `bench/run.py
--reuse-db` builds them). Each query runs once to warm the cache, then --runs times; the time
is the whole of search(): candidates, ranking, the page's details and snippets (not the HTML).
The seed (forum/seed.py) writes Zipf-distributed French: "campagne" is in ~30 % of the posts,
"logement social" in ~3 %, "mobilisant" in ~0.25 %, "ornithorynque" in none; "Théo Fortin" names
one member at both sizes, "Fortin" 1 member at 10 000 posts and 155 at 1 000 000, "Martin" 7 and
582 (forum.seed.member_name). bench/SEARCH.md has figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from forum.db import make_engine  # noqa: E402
from forum.models import Category  # noqa: E402
from forum.search import SearchRequest, search  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
import datetime as dt  # noqa: E402

QUERIES: list[tuple[str, dict[str, object]]] = [
    ("absent word (ornithorynque)", {"text": "ornithorynque"}),
    ("rare word (mobilisant, 0.25 %)", {"text": "mobilisant"}),
    ("phrase of 3 common words, no match", {"text": '"vote campagne réunion"'}),
    ("phrase of 2 words (logement social)", {"text": '"logement social"'}),
    ("common phrase (service public)", {"text": '"service public"'}),
    ("very common word (campagne)", {"text": "campagne"}),
    ("very common word, page 10", {"text": "campagne", "page": 10}),
    ("two common words (budget logement)", {"text": "budget logement"}),
    ("common or common, -excluded", {"text": "école or santé -budget"}),
    ("partial word (démocr → prefix)", {"text": "démocr"}),
    ("partial word (municip → prefix)", {"text": "municip"}),
    ("short partial word (cam → prefix)", {"text": "cam"}),
    ("common word + category", {"text": "campagne", "category": "{category}"}),
    ("common word + federation", {"text": "campagne", "federation": "federation-3"}),
    ("common word + author (Théo Fortin)", {"text": "campagne", "author": "Théo Fortin"}),
    ("common word + surname (Fortin)", {"text": "campagne", "author": "Fortin"}),
    ("common word + common surname (Martin)", {"text": "campagne", "author": "Martin"}),
    ("common word + last 30 days", {"text": "campagne", "since": "{month_ago}"}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database", type=Path)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--only", default="", help="run only the queries whose label contains this text")
    args = parser.parse_args()
    engine = make_engine(f"sqlite:///{args.database}")
    tz = ZoneInfo("Europe/Paris")
    with Session(engine) as session:
        category = session.scalar(select(Category.slug).where(Category.slug.like("seed-%")).order_by(Category.id)) or ""
    month_ago = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    print(f"database: {args.database} · runs per query: {args.runs} · load average: {os.getloadavg()[0]:.1f}")
    print()
    print("| query | results | p50 ms | p95 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    worst = 0.0
    for label, params in QUERIES:
        if args.only not in label:
            continue
        values = {key: (value.format(category=category, month_ago=month_ago) if isinstance(value, str) else value)
                  for key, value in params.items()}
        if "since" in values:
            values["since"] = dt.date.fromisoformat(str(values["since"]))
        request = SearchRequest(**values)  # type: ignore[arg-type]
        times = []
        for run in range(args.runs + 1):
            with Session(engine) as session:
                started = time.perf_counter()
                results = search(session, request, tz)
                elapsed = (time.perf_counter() - started) * 1000
            if run:
                times.append(elapsed)
        times.sort()
        p95 = times[max(0, round(0.95 * len(times)) - 1)]
        worst = max(worst, p95)
        shown = f"> {results.total - 1}" if results.capped else str(results.total)
        print(f"| {label} | {shown} | {statistics.median(times):.1f} | {p95:.1f} | {times[-1]:.1f} |")
    print()
    print(f"worst p95: {worst:.1f} ms · load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
