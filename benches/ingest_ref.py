#!/usr/bin/env python3
"""The Python peer of the ingest bench (benches/ingest.rs runs it on the same origin):
feedparser + sqlite3, a pool of threads, one transaction per feed, items deduplicated by guid.

    python3 benches/ingest_ref.py URLS_FILE DB_PATH [THREADS]

Prints `items N` (items stored), `feeds N` and `errors N`.
"""
import sqlite3
import sys
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import feedparser

urls = [u.strip() for u in open(sys.argv[1]) if u.strip()]
db_path = sys.argv[2]
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 32

setup = sqlite3.connect(db_path)
setup.execute("PRAGMA journal_mode=WAL")
setup.execute(
    """CREATE TABLE IF NOT EXISTS items (
        guid TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT, link TEXT,
        summary TEXT, published TEXT)"""
)
setup.commit()
setup.close()

local = threading.local()


def conn():
    if not hasattr(local, "c"):
        c = sqlite3.connect(db_path, timeout=60)
        c.execute("PRAGMA synchronous=NORMAL")
        local.c = c
    return local.c


def ingest(url):
    body = urllib.request.urlopen(url, timeout=120).read()
    feed = feedparser.parse(body)
    c = conn()
    rows = [
        (
            e.get("id") or e.get("link") or e.get("title"),
            url,
            e.get("title"),
            e.get("link"),
            e.get("summary"),
            e.get("published") or e.get("updated"),
        )
        for e in feed.entries
    ]
    with c:  # one transaction per feed
        c.executemany("INSERT OR IGNORE INTO items VALUES (?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


errors = 0
with ThreadPoolExecutor(threads) as pool:
    futures = [pool.submit(ingest, u) for u in urls]
    for f in futures:
        try:
            f.result()
        except Exception as e:  # a failed feed is counted, as svodka counts its errors
            errors += 1
            print("error", e, file=sys.stderr)

check = sqlite3.connect(db_path)
(items,) = check.execute("SELECT count(*) FROM items").fetchone()
print(f"items {items}")
print(f"feeds {len(urls)}")
print(f"errors {errors}")
