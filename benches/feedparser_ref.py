#!/usr/bin/env python3
"""Python feedparser on the bench feed, as a reference measured on the same machine.

    SVODKA_BENCH_DUMP=/tmp/svodka-bench.xml cargo bench --bench parse
    pip install feedparser && python3 benches/feedparser_ref.py /tmp/svodka-bench.xml
"""
import sys
import time

import feedparser

data = open(sys.argv[1], "rb").read()
parsed = feedparser.parse(data)
assert len(parsed.entries) == 100, len(parsed.entries)
assert parsed.entries[0].title.startswith("Новость"), parsed.entries[0].title
runs, start = 0, time.perf_counter()
while time.perf_counter() - start < 5:
    feedparser.parse(data)
    runs += 1
seconds = (time.perf_counter() - start) / runs
print(f"feedparser {feedparser.__version__}: {seconds * 1e3:.2f} ms per feed, "
      f"{len(data) / seconds / 2**20:.1f} MiB/s")
