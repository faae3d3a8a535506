#!/usr/bin/env python3
"""Assemble tests/data/stories.jsonl from the hand-written items in tests/data/src/*.txt.

Bookkeeping only: the sentences are written by hand in the .txt files. This script adds what an
agency's site adds to every item (its dateline, footer, ё habit, link shape) and applies the
republishing edits a copy is described by (lead only, a paragraph dropped, a word changed), so that
a copy is the very text of its original with exactly the edits its note names.

Source format, one block per item:

    @ ID AGENCY 2026-11-18T09:40 c=c07 s=s05 | note
    ! city: КУРСК               (options: city, ph, also, nofoot, nodl)
    # Title
    < from gov-003              (ops, in order: from, lead, keep, drop, order, sub, intro)
    < sub old words => new words
    Paragraph one.

    Paragraph two (appended after the ops' text).

Run: python3 tests/data/src/build.py   (writes tests/data/stories.jsonl)
"""

import json
import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "stories.jsonl"
MSK = timezone(timedelta(hours=3))

MONTHS = {11: ("ноября", "ноя"), 10: ("октября", "окт"), 12: ("декабря", "дек")}

AGENCIES = {
    "lipetsk-inform": "lip",
    "vrn-kurier": "vrn",
    "vrn-online": "vro",
    "tambov-nedelya": "tmb",
    "kursk-segodnya": "krs",
    "bel-24": "bel",
    "orel-vestnik": "orl",
    "vrn-gov": "gov",
    "centr-press": "cpr",
}

# Agencies whose sites print «е» for «ё».
E_FOR_YO = {"vrn-kurier", "orel-vestnik", "bel-24"}

KURSK_EDITORS = ["Ирина Соловьёва", "Павел Горюнов", "Ольга Мезенцева"]

TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o",
            "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e",
            "yu", "ya",
        ],
    )
)


class Item:
    def __init__(self, header, where):
        m = re.match(
            r"@ (\S+) (\S+) (\d{4}-\d\d-\d\dT\d\d:\d\d) c=(\S+) s=(\S+)(?: \| (.*))?$", header
        )
        if not m:
            sys.exit(f"{where}: bad header: {header}")
        self.id, self.agency, when, c, s, note = m.groups()
        if self.agency not in AGENCIES:
            sys.exit(f"{where}: unknown agency {self.agency}")
        self.published = datetime.fromisoformat(when).replace(tzinfo=MSK)
        self.copy = None if c == "-" else c
        self.story = None if s == "-" else s
        self.note = note.strip() if note else None
        self.where = where
        self.opts = {}
        self.title = None
        self.ops = []
        self.lines = []


def parse(path):
    items = []
    cur = None
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path.name}:{n}"
        if line.startswith("%%"):
            continue
        if line.startswith("@ "):
            cur = Item(line.rstrip(), where)
            items.append(cur)
            continue
        if cur is None:
            if line.strip():
                sys.exit(f"{where}: text before the first item")
            continue
        if line.startswith("! ") and not cur.lines:
            key, _, val = line[2:].partition(":")
            cur.opts[key.strip()] = val.strip()
        elif line.startswith("# ") and cur.title is None and not cur.lines:
            cur.title = line[2:].strip()
        elif line.startswith("< ") and not cur.lines:
            cur.ops.append((where, line[2:].strip()))
        else:
            cur.lines.append(line.rstrip())
    return items


def paragraphs(lines):
    text = "\n".join(lines).strip()
    if not text:
        return []
    return [" ".join(p.split("\n")).strip() for p in re.split(r"\n\s*\n", text)]


def nums(spec):
    return [int(x) - 1 for x in spec.split(",")]


def resolve(item, by_id):
    """The item's raw paragraphs and title, before the agency's own dressing."""
    if hasattr(item, "raw"):
        return item.raw
    paras = []
    title = item.title
    for where, op in item.ops:
        name, _, arg = op.partition(" ")
        arg = arg.strip()
        if name == "from":
            src = by_id.get(arg)
            if src is None:
                sys.exit(f"{where}: unknown item {arg}")
            paras, src_title = resolve(src, by_id)
            paras = list(paras)
            title = title or src_title
        elif name == "lead":
            paras = paras[:1]
        elif name == "keep":
            paras = [paras[i] for i in nums(arg)]
        elif name == "drop":
            drop = set(nums(arg))
            paras = [p for i, p in enumerate(paras) if i not in drop]
        elif name == "order":
            paras = [paras[i] for i in nums(arg)]
        elif name == "sub":
            old, sep, new = arg.partition(" => ")
            if not sep or not any(old in p for p in paras):
                sys.exit(f"{where}: cannot substitute {old!r}")
            done = False
            out = []
            for p in paras:
                if not done and old in p:
                    p = p.replace(old, new, 1)
                    done = True
                out.append(p)
            paras = out
        elif name == "intro":
            paras = [arg] + paras
        else:
            sys.exit(f"{where}: unknown op {name}")
    paras = paras + paragraphs(item.lines)
    if not title:
        sys.exit(f"{item.where}: no title")
    if not paras:
        sys.exit(f"{item.where}: no text")
    item.raw = (paras, title)
    return item.raw


def slug(title, words=6):
    out = []
    for w in re.findall(r"[0-9A-Za-zА-Яа-яЁё]+", title.lower())[:words]:
        out.append("".join(TRANSLIT.get(ch, ch) for ch in w))
    return "-".join(out)


def num(item):
    return int(item.id.split("-")[1])


def link(item):
    d = item.published
    n = num(item)
    a = item.agency
    if a == "lipetsk-inform":
        return f"https://lipetsk-inform.example/news/{d:%Y/%m/%d}/{n}"
    if a == "vrn-kurier":
        return f"https://vrn-kurier.example/news/{318400 + n * 13}.html"
    if a == "vrn-online":
        return f"https://vrn-online.example/{77120 + n * 7}-{slug(item.raw[1], 5)}"
    if a == "tambov-nedelya":
        return f"https://tambov-nedelya.example/{d:%Y/%m/%d}/{slug(item.raw[1])}/"
    if a == "kursk-segodnya":
        return f"https://kursk-segodnya.example/news/{d:%Y-%m-%d}-{40210 + n}/"
    if a == "bel-24":
        return f"https://bel-24.example/news/{d:%Y%m%d}{n:03d}"
    if a == "orel-vestnik":
        return f"https://orel-vestnik.example/?p={52600 + n * 3}"
    if a == "vrn-gov":
        return f"https://vrn-gov.example/press/news/{d:%Y/%m/%d}/{1900 + n}/"
    if a == "centr-press":
        return f"https://centr-press.example/{d:%Y%m%d}/{880000 + n * 29}.html"
    raise AssertionError(a)


def dress(item, tambov_prev):
    paras, title = item.raw
    paras = list(paras)
    a = item.agency
    d = item.published
    month, mon = MONTHS[d.month]
    foot = "nofoot" not in item.opts
    dateline = "nodl" not in item.opts
    if a == "lipetsk-inform":
        if dateline:
            paras[0] = f"ЛИПЕЦК, {d.day} {month} — ИА «Липецк-Информ». {paras[0]}"
        if foot:
            paras.append("Подписывайтесь на наш канал в Telegram — там новости Липецка раньше, чем на сайте.")
    elif a == "centr-press":
        city = item.opts.get("city", "ВОРОНЕЖ")
        if dateline:
            paras[0] = f"{city}, {d.day} {mon} — Центр-Пресс. {paras[0]}"
    elif a == "vrn-kurier":
        if foot:
            paras.append(
                f"© {d.year} «Воронежский курьер». Все права защищены. При полном или частичном "
                "использовании материалов ссылка на «Воронежский курьер» обязательна, для "
                "интернет-изданий — активная гиперссылка на vrn-kurier.example не ниже второго "
                "абзаца. Мнение авторов может не совпадать с позицией редакции. 16+"
            )
    elif a == "vrn-online":
        if foot:
            promo = "Подписывайтесь на «ВРН Онлайн» в Telegram и ВКонтакте — первыми узнавайте, что происходит в Воронеже."
            paras.insert(1, promo)
            paras.append("Есть новость? Пишите нам в бот @vrnonline_news_bot — анонимность гарантируем.")
    elif a == "tambov-nedelya":
        if foot and tambov_prev:
            also = item.opts.get("also", tambov_prev)
            line = f"Читайте также: {also}"
            if len(paras) >= 3:
                paras.insert(2, line)
            else:
                paras.append(line)
    elif a == "kursk-segodnya":
        if foot:
            ph = item.opts.get("ph", "архив редакции «Курск сегодня»")
            paras.insert(0, f"Фото: {ph}")
            editor = KURSK_EDITORS[num(item) % len(KURSK_EDITORS)]
            paras.append(f"Редактор: {editor}. Нашли ошибку? Выделите её и нажмите Ctrl+Enter.")
    elif a == "bel-24":
        if foot:
            paras.append("Подготовлено ИА «Белгород-24». Больше новостей региона — в нашем канале в MAX.")
    elif a == "orel-vestnik":
        pass
    elif a == "vrn-gov":
        if foot:
            paras.append("Информация и фото: пресс-служба правительства Воронежской области.")
    text = "\n\n".join(paras)
    if a == "vrn-gov":
        # The press service's CMS glues thousands with a no-break space: «1\u00a0224 места».
        text = re.sub(r"(\d) (\d{3})\b", "\\1\u00a0\\2", text)
    if a == "orel-vestnik":
        # A small site's editor: hyphens for dashes, straight quotes for «ёлочки».
        for old, new in ((" — ", " - "), ("«", '"'), ("»", '"')):
            text = text.replace(old, new)
            title = title.replace(old, new)
    if a in E_FOR_YO:
        text = text.replace("ё", "е").replace("Ё", "Е")
        title = title.replace("ё", "е").replace("Ё", "Е")
    return title, text


def main():
    items = []
    for path in sorted(HERE.glob("*.txt")):
        items.extend(parse(path))
    by_id = {}
    for it in items:
        if it.id in by_id:
            sys.exit(f"{it.where}: duplicate id {it.id}")
        by_id[it.id] = it
    for it in items:
        resolve(it, by_id)
    items.sort(key=lambda it: (it.published, it.id))
    tambov_prev = None
    rows = []
    for it in items:
        title, text = dress(it, tambov_prev)
        if it.agency == "tambov-nedelya":
            tambov_prev = it.raw[1]
        rows.append(
            {
                "id": it.id,
                "agency": it.agency,
                "published": it.published.isoformat(),
                "title": title,
                "text": text,
                "link": link(it),
                "copy": it.copy,
                "story": it.story,
                "note": it.note,
            }
        )
    with OUT.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} items to {OUT}")


if __name__ == "__main__":
    main()
