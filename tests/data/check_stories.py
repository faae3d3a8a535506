#!/usr/bin/env python3
"""Validate tests/data/stories.jsonl and print its counts.

Checks the shape of every line, that labels are consistent (every copy group lies inside one story
group, no singleton labels, members within 48 hours), that the relations the notes claim hold in
the labels («copy of X» shares X's copy label, «same event as X» shares X's story label,
«hard-neg vs X» does not), and the minimums the set promises (issue 6). Exit status 1 on any
failure, with one line per problem.

Run: python3 tests/data/check_stories.py [PATH]
     python3 tests/data/check_stories.py --self-test   (breaks the set on purpose, one way at a
                                                        time, and expects each break reported)
"""

import json
import re
import sys
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent / "stories.jsonl"
PATH = Path(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] != "--self-test" else DEFAULT

FIELDS = ["id", "agency", "published", "title", "text", "link", "copy", "story", "note"]
MIN = {
    "items": 220,
    "agencies": 7,
    "items per agency": 20,
    "copy groups": 30,
    "story groups told in different words": 30,
    "hard negatives": 50,
}
# Edit kinds a copy's note names; each must occur at least once.
EDITS = {
    "retitled": r"\bretitled\b",
    "lead-only": r"\blead-only\b",
    "paragraph trimmed": r"\btrimmed\b",
    "word or number changed": r"\b(word|number)s? changed\b",
    "reordered paragraphs": r"\breordered\b",
    "dateline added": r"\bdateline added\b",
    "flash expanded": r"\bexpanded\b",
}
WINDOW = timedelta(hours=48)

problems = []


def bad(where, msg):
    problems.append(f"{where}: {msg}")


def words(text):
    return re.findall(r"[0-9A-Za-zА-Яа-яЁё]+", text)


def main():
    rows = []
    for n, line in enumerate(PATH.read_text(encoding="utf-8").splitlines(), 1):
        where = f"line {n}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            bad(where, f"not JSON: {e}")
            continue
        if list(row) != FIELDS:
            bad(where, f"fields {list(row)} != {FIELDS}")
            continue
        rows.append(row)
        check_row(row)
    by_id = {}
    links = set()
    for r in rows:
        if r["id"] in by_id:
            bad(r["id"], "duplicate id")
        by_id[r["id"]] = r
        if r["link"] in links:
            bad(r["id"], "duplicate link")
        links.add(r["link"])

    copies = group(rows, "copy")
    stories = group(rows, "story")
    for label, members in copies.items():
        labels = {m["story"] for m in members}
        if len(labels) != 1 or None in labels:
            bad(label, f"copy group spans story labels {sorted(map(str, labels))}")
    for kind, groups in (("copy", copies), ("story", stories)):
        for label, members in groups.items():
            if len(members) < 2:
                bad(label, f"{kind} label on a single item (use null)")
            times = [when(m) for m in members]
            if max(times) - min(times) > WINDOW:
                bad(label, f"{kind} group spans more than 48 hours")
            if kind == "copy" and len({m["agency"] for m in members}) < 2 and len(members) == 2:
                # A copy pair inside one agency is allowed only for a flash and its expansion.
                if not any("expanded" in (m["note"] or "") for m in members):
                    bad(label, "copy pair within one agency")

    hard = check_notes(rows, by_id)
    report(rows, copies, stories, hard)
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for p in problems:
            print("  " + p)
        sys.exit(1)
    print("\nOK")


def check_row(r):
    where = r.get("id", "?")
    for f in ("id", "agency", "published", "title", "text", "link"):
        if not isinstance(r[f], str) or not r[f].strip():
            bad(where, f"{f} must be a non-empty string")
            return
    m = re.fullmatch(r"([a-z]{3})-(\d{3})", r["id"])
    if not m:
        bad(where, "id must look like lip-017")
    try:
        d = datetime.fromisoformat(r["published"])
    except ValueError:
        bad(where, "published is not ISO 8601")
        return
    if d.utcoffset() != timedelta(hours=3):
        bad(where, "published must be Moscow time (+03:00)")
    if (d.year, d.month) != (2026, 11):
        bad(where, "published outside November 2026")
    if not re.fullmatch(r"https://[a-z0-9.-]+\.example/\S+", r["link"]):
        bad(where, "link must be https://AGENCY.example/…")
    elif r["agency"] not in r["link"]:
        bad(where, "link host is not the agency's")
    t = r["text"]
    if t != t.strip() or "\n\n\n" in t or re.search(r"(?<!\n)\n(?!\n)", t):
        bad(where, "text: paragraphs must be separated by exactly one blank line")
    if "\n" in r["title"]:
        bad(where, "title has a line break")
    for f in ("copy", "story"):
        v = r[f]
        if v is not None and not re.fullmatch(r"[cs]\d\d", v or ""):
            bad(where, f"{f} must be null or like {f[0]}07")
    if r["copy"] is not None and not r["copy"].startswith("c"):
        bad(where, "copy label must start with c")
    if r["story"] is not None and not r["story"].startswith("s"):
        bad(where, "story label must start with s")
    if r["note"] is not None and not isinstance(r["note"], str):
        bad(where, "note must be a string or null")


def when(r):
    return datetime.fromisoformat(r["published"])


def group(rows, field):
    out = defaultdict(list)
    for r in rows:
        if r[field] is not None:
            out[r[field]].append(r)
    return out


def refs(note, phrase):
    m = re.search(phrase + r"\s+((?:[a-z]{3}-\d{3}(?:,\s*|\s+and\s+)?)+)", note)
    return re.findall(r"[a-z]{3}-\d{3}", m.group(1)) if m else []


def check_notes(rows, by_id):
    """The notes' claims, checked against the labels. Returns the hard negatives."""
    hard = []
    for r in rows:
        note = r["note"] or ""
        where = r["id"]
        if not note:
            bad(where, "note is empty: say what the item is")
        for other in refs(note, "copy of"):
            o = by_id.get(other)
            if o is None:
                bad(where, f"note names unknown {other}")
            elif r["copy"] is None or o["copy"] != r["copy"]:
                bad(where, f"note says copy of {other}, labels differ")
            elif when(o) > when(r):
                bad(where, f"copy of {other} published before it")
        for other in refs(note, "same event as"):
            o = by_id.get(other)
            if o is None:
                bad(where, f"note names unknown {other}")
            elif r["story"] is None or o["story"] != r["story"]:
                bad(where, f"note says same event as {other}, story labels differ")
            elif r["copy"] is not None and o["copy"] == r["copy"]:
                bad(where, f"note says {other} is told in other words, but it is a copy")
        if "hard-neg" in note:
            others = refs(note, "hard-neg vs")
            if not others:
                bad(where, "hard-neg note names no item")
            for other in others:
                o = by_id.get(other)
                if o is None:
                    bad(where, f"note names unknown {other}")
                elif r["story"] is not None and o["story"] == r["story"]:
                    bad(where, f"hard negative vs {other} shares its story label")
            hard.append(r)
        if r["copy"] is not None and not re.search(r"copy of|original", note):
            bad(where, "a copy's note says whose copy it is (copy of X) or that it is the original")
    return hard


def footer_share(items):
    """The share of an agency's items that carry its most common boilerplate paragraph.

    A paragraph is known by its first two words and by its last three, digits folded and a
    leading all-caps dateline city folded: «Читайте также: <a changing headline>» and «Редактор:
    <a changing name>. … Ctrl+Enter.» are each one boilerplate, whatever varies inside.
    """
    seen = Counter()
    examples = {}
    for r in items:
        shapes = set()
        for p in r["text"].split("\n\n"):
            p = re.sub(r"\d+", "0", p)
            p = re.sub(r"^[А-ЯЁ-]{3,}(?: [А-ЯЁ-]{3,})*, ", "CITY, ", p)
            w = words(p)
            for shape in ("^ " + " ".join(w[:2]), " ".join(w[-3:]) + " $"):
                shapes.add(shape)
                examples.setdefault(shape, p[:60])
        seen.update(shapes)
    if not seen:
        return 0.0, ""
    shape, n = seen.most_common(1)[0]
    return n / len(items), examples[shape]


def report(rows, copies, stories, hard):
    by_agency = group(rows, "agency")
    print(f"{PATH.name}: {len(rows)} items, {len(by_agency)} agencies")
    print("\nper agency: items, words median (min–max), most common boilerplate paragraph share")
    no_footer = []
    for a, items in sorted(by_agency.items()):
        wc = sorted(len(words(r["text"])) for r in items)
        share, example = footer_share(items)
        if share < 0.5:
            no_footer.append(a)
        print(f"  {a:16} {len(items):3}  {wc[len(wc) // 2]:4} ({wc[0]}–{wc[-1]})  {share:4.0%}  {example!r}")
    if len(no_footer) != 1:
        bad("agencies", f"exactly one agency should have no recurring footer, found {no_footer}")

    wc = [len(words(r["text"])) for r in rows]
    print("\ntext length in words: "
          f"≤15: {sum(w <= 15 for w in wc)}, 16–39: {sum(16 <= w < 40 for w in wc)}, "
          f"40–250: {sum(40 <= w <= 250 for w in wc)}, 251–399: {sum(250 < w < 400 for w in wc)}, "
          f"≥400: {sum(w >= 400 for w in wc)}")

    # A story told in different words: at least two reports that are not copies of each other.
    def units(members):
        return {m["copy"] or m["id"] for m in members}

    worded = {s: m for s, m in stories.items() if len(units(m)) >= 2}
    copy_only = {s for s in stories if s not in worded}
    multi_copy = [s for s, m in worded.items() if any(x["copy"] for x in m)]
    sizes = Counter(len(m) for m in copies.values())
    print("\nlabels:")
    print(f"  copy groups: {len(copies)} (sizes {dict(sorted(sizes.items()))}), "
          f"items in them: {sum(len(m) for m in copies.values())}")
    print(f"  story groups: {len(stories)}, of which told in different words: {len(worded)} "
          f"({len(multi_copy)} of them also hold a copy group), copy-only: {len(copy_only)}")
    print(f"  items alone (no copy, no story): {sum(r['story'] is None for r in rows)}")
    print(f"  hard negatives: {len(hard)}")
    agencies_per_copy = Counter(len({m['agency'] for m in ms}) for ms in copies.values())
    print(f"  agencies per copy group: {dict(sorted(agencies_per_copy.items()))}")

    notes = [r["note"] or "" for r in rows if r["copy"] and "copy of" in (r["note"] or "")]
    print(f"\ncopy edits named in the notes of the {len(notes)} copies (an original is not counted):")
    for name, pat in EDITS.items():
        n = sum(bool(re.search(pat, x)) for x in notes)
        print(f"  {name:24} {n}")
        if n == 0:
            bad("edits", f"no copy with edit «{name}»")

    pairs = Counter()
    for kind, groups in (("copy", copies), ("story", stories)):
        for ms in groups.values():
            pairs[kind] += len(ms) * (len(ms) - 1) // 2
    print(f"\npositive pairs: copy {pairs['copy']}, story {pairs['story']} "
          f"(of {len(rows) * (len(rows) - 1) // 2} pairs)")

    titles = Counter(r["title"] for r in rows)
    repeated = {t: n for t, n in titles.items() if n > 1}
    print(f"titles repeated across items: {len(repeated)} "
          + ", ".join(f"«{t}» ×{n}" for t, n in sorted(repeated.items(), key=lambda x: -x[1])[:6]))

    difficulty(rows, hard)

    got = {
        "items": len(rows),
        "agencies": len(by_agency),
        "items per agency": min((len(v) for v in by_agency.values()), default=0),
        "copy groups": len(copies),
        "story groups told in different words": len(worded),
        "hard negatives": len(hard),
    }
    print("\nminimums:")
    for k, need in MIN.items():
        ok = got[k] >= need
        print(f"  {k:38} {got[k]:4}  (need ≥ {need}) {'ok' if ok else 'SHORT'}")
        if not ok:
            bad("minimums", f"{k}: {got[k]} < {need}")


def difficulty(rows, hard):
    """How far naive lexical measures get: the set is meant to defeat them.

    Two measures over lower-cased, ё-folded words of title and text, footers left in: containment
    of word 3-shingles (the share of the smaller set found in the other) and Jaccard of the word
    sets. Printed for pairs of copies, of reports of one story that are not copies, of hard
    negatives (the pairs the notes name), and of all other pairs.
    """

    def toks(r):
        return words((r["title"] + " " + r["text"]).lower().replace("ё", "е"))

    shingles, vocab = {}, {}
    for r in rows:
        w = toks(r)
        shingles[r["id"]] = {tuple(w[i : i + 3]) for i in range(max(len(w) - 2, 1))}
        vocab[r["id"]] = set(w)

    def contain(a, b):
        x, y = shingles[a], shingles[b]
        return len(x & y) / max(1, min(len(x), len(y)))

    def jaccard(a, b):
        x, y = vocab[a], vocab[b]
        return len(x & y) / max(1, len(x | y))

    by_id = {r["id"]: r for r in rows}
    named = set()
    for r in hard:
        for other in refs(r["note"] or "", "hard-neg vs"):
            if other in by_id:
                named.add(tuple(sorted((r["id"], other))))
    kinds = defaultdict(list)
    for i, a in enumerate(rows):
        for b in rows[i + 1 :]:
            key = tuple(sorted((a["id"], b["id"])))
            if a["copy"] is not None and a["copy"] == b["copy"]:
                kind = "copy"
            elif a["story"] is not None and a["story"] == b["story"]:
                kind = "story, not copy"
            elif key in named:
                kind = "hard negative"
            else:
                kind = "other"
            kinds[kind].append((contain(*key), jaccard(*key)))

    def q(xs, f):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(f * len(xs)))]

    print("\nnaive measures, footers left in (median, 10th–90th percentile, share ≥ 0.5):")
    print(f"  {'pairs':16} {'n':>6}   {'3-shingle containment':26} word Jaccard")
    for kind in ("copy", "story, not copy", "hard negative", "other"):
        ps = kinds[kind]
        cells = []
        for k in (0, 1):
            xs = [p[k] for p in ps]
            if not xs:
                cells.append("-")
                continue
            hi = sum(x >= 0.5 for x in xs) / len(xs)
            cells.append(f"{q(xs, 0.5):.2f} ({q(xs, 0.1):.2f}–{q(xs, 0.9):.2f}) {hi:4.0%}")
        print(f"  {kind:16} {len(ps):6}   {cells[0]:26} {cells[1]}")


def self_test():
    """Each way of breaking the set must be reported: a validator that cannot fail checks nothing."""
    import subprocess
    import tempfile

    rows = [json.loads(line) for line in DEFAULT.read_text(encoding="utf-8").splitlines()]

    def split_copy(rs):
        r = next(x for x in rs if x["copy"])
        r["story"] = next(x["story"] for x in rs if x["story"] and x["story"] != r["story"])

    def lone_label(rs):
        next(x for x in rs if x["story"] is None)["story"] = "s99"

    def hard_neg_same_story(rs):
        a = next(x for x in rs if "hard-neg vs" in (x["note"] or "") and x["story"])
        other = refs(a["note"], "hard-neg vs")[0]
        next(x for x in rs if x["id"] == other)["story"] = a["story"]

    def wrong_copy_claim(rs):
        r = next(x for x in rs if "copy of" in (x["note"] or ""))
        r["copy"] = "c99"
        next(x for x in rs if x["copy"] is None and x["story"] is None)["copy"] = "c99"

    def utc(rs):
        rs[0]["published"] = rs[0]["published"].replace("+03:00", "+00:00")

    def single_newline(rs):
        r = next(x for x in rs if "\n\n" in x["text"])
        r["text"] = r["text"].replace("\n\n", "\n", 1)

    def duplicate_id(rs):
        rs[1]["id"] = rs[0]["id"]

    def too_few(rs):
        drop = [x for x in rs if x["agency"] == "bel-24"][:2]
        for x in drop:
            rs.remove(x)

    def footer_everywhere(rs):
        for x in rs:
            if x["agency"] == "orel-vestnik":
                x["text"] += "\n\nПодписывайтесь на наш канал."

    def far_apart(rs):
        r = next(x for x in rs if x["copy"])
        r["published"] = "2026-11-30T23:00:00+03:00"

    cases = [
        (split_copy, "copy group spans story labels"),
        (lone_label, "story label on a single item"),
        (hard_neg_same_story, "shares its story label"),
        (wrong_copy_claim, "labels differ"),
        (utc, "Moscow time"),
        (single_newline, "exactly one blank line"),
        (duplicate_id, "duplicate id"),
        (too_few, "items per agency"),
        (footer_everywhere, "no recurring footer"),
        (far_apart, "more than 48 hours"),
    ]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for break_it, expect in cases:
            rs = json.loads(json.dumps(rows))
            break_it(rs)
            path = Path(tmp) / "broken.jsonl"
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rs), encoding="utf-8")
            run = subprocess.run(
                [sys.executable, __file__, str(path)], capture_output=True, text=True, check=False
            )
            ok = run.returncode == 1 and expect in run.stdout
            failed += not ok
            print(f"  {'ok  ' if ok else 'FAIL'} {break_it.__name__}: expects «{expect}»")
    if failed:
        sys.exit(f"{failed} break(s) not reported")
    print("self-test OK")


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        self_test()
    else:
        main()
