//! The search bench: a database of N generated reports (default 1,000,000), then the time of
//! two-word queries and phrases through `search::run` (what `/search` does: the index, the
//! stories, the snippets), and the index's size per report.
//!
//!     SVODKA_BENCH_REPORTS=1000000 cargo bench --bench search
//!
//! Reports are generated regional news: a place in some case, who did what, a surname, a
//! number, and two or three sentences from pools of real-sounding phrases; made-up surnames
//! and villages (tens of thousands of them) give the long tail of rare words a real archive has.
//! One report in five joins the story of an earlier one. `SVODKA_BENCH_DB=PATH` keeps (and
//! reuses) the database, which takes minutes to build at a million.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rusqlite::params;
use svodka::search::Lemmatizer;

#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

/// (prepositional «в Липецке», genitive «Липецка», nominative)
const PLACES: &[(&str, &str, &str)] = &[
    ("в Липецке", "Липецка", "Липецк"),
    ("в Ельце", "Ельца", "Елец"),
    ("в Воронеже", "Воронежа", "Воронеж"),
    ("в Химках", "Химок", "Химки"),
    ("в Ростове-на-Дону", "Ростова-на-Дону", "Ростов-на-Дону"),
    ("в Тамбове", "Тамбова", "Тамбов"),
    ("в Курске", "Курска", "Курск"),
    ("в Белгороде", "Белгорода", "Белгород"),
    ("в Орле", "Орла", "Орёл"),
    ("в Брянске", "Брянска", "Брянск"),
    ("в Рязани", "Рязани", "Рязань"),
    ("в Туле", "Тулы", "Тула"),
    ("в Калуге", "Калуги", "Калуга"),
    ("в Твери", "Твери", "Тверь"),
    ("в Смоленске", "Смоленска", "Смоленск"),
    (
        "в Набережных Челнах",
        "Набережных Челнов",
        "Набережные Челны",
    ),
    ("в Королёве", "Королёва", "Королёв"),
    ("в Подольске", "Подольска", "Подольск"),
    ("в Старом Осколе", "Старого Оскола", "Старый Оскол"),
    ("в Мичуринске", "Мичуринска", "Мичуринск"),
];
const WHO: &[&str] = &[
    "губернатор",
    "мэр города",
    "глава администрации",
    "депутаты областной думы",
    "сотрудники МЧС",
    "инспекторы ГИБДД",
    "полицейские",
    "прокуратура",
    "врачи областной больницы",
    "строители",
    "школьники",
    "волонтёры",
    "спасатели",
    "коммунальщики",
    "энергетики",
    "следователи",
];
const DID: &[&str] = &[
    "открыли",
    "отремонтировали",
    "проверили",
    "обсудили",
    "осмотрели",
    "потушили",
    "построят",
    "закрыли на ремонт",
    "благоустроили",
    "представили",
    "начали реконструкцию",
    "сдали в эксплуатацию",
];
const WHAT: &[&str] = &[
    "новую школу",
    "детский сад",
    "мост через реку",
    "участок дороги",
    "теплотрассу",
    "поликлинику",
    "спортивный комплекс",
    "склад",
    "торговый центр",
    "городской парк",
    "водозабор",
    "котельную",
    "остановку общественного транспорта",
    "дом культуры",
    "стадион",
    "набережную",
];
const SENTENCES: &[&str] = &[
    "Работы планируют завершить до конца года.",
    "На эти цели из областного бюджета выделили {n} миллионов рублей.",
    "По словам {surname}, подрядчик уложился в сроки.",
    "Жители {gen} давно просили решить эту проблему.",
    "Пострадавших нет, причины выясняются.",
    "Проверка продолжается, материалы направлены в следственный комитет.",
    "В мероприятии приняли участие около {n} человек.",
    "Движение транспорта на время работ будет ограничено.",
    "Ранее об этом сообщала пресс-служба администрации {gen}.",
    "Отопительный сезон в городе начнётся по графику.",
    "Сотрудники МЧС напоминают о правилах пожарной безопасности.",
    "Инспекторы ГИБДД просят водителей быть внимательнее.",
    "Глава региона поручил взять ситуацию на личный контроль.",
    "Подробности — в материале нашего корреспондента из села {village}.",
    "Как уточнил {surname}, следующий этап начнётся весной.",
];
const SURNAMES: &[&str] = &[
    "Иванов",
    "Петрова",
    "Смирнов",
    "Кузнецова",
    "Артамонов",
    "Гусев",
    "Никитин",
    "Соколова",
    "Морозов",
    "Волкова",
    "Лебедев",
    "Козлова",
    "Новиков",
    "Фёдоров",
    "Орлова",
    "Королёв",
];
const SYLLABLES: &[&str] = &[
    "бор", "вер", "гол", "дуб", "жар", "зел", "кам", "лип", "мох", "нов", "пес", "рож", "сос",
    "тал", "ух", "шем", "яр", "ков", "дон", "мир", "лес", "мал", "вол", "кур", "рус",
];

/// A made-up surname or village: the long tail (tens of thousands of rare words).
fn rare(rng: &mut Rng, suffix: &str) -> String {
    let mut w = String::new();
    for _ in 0..2 + rng.below(2) {
        w.push_str(rng.pick(SYLLABLES));
    }
    format!("{}{suffix}", capital(&w))
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn report(rng: &mut Rng) -> (String, String) {
    let (prep, genitive, _) = PLACES[rng.index(PLACES.len())];
    let who = rng.pick(WHO);
    let title = format!(
        "{} {who} {} {}",
        capital(prep),
        rng.pick(DID),
        rng.pick(WHAT)
    );
    let mut text = format!(
        "{} {} {} {genitive}. ",
        capital(who),
        rng.pick(DID),
        rng.pick(WHAT)
    );
    for _ in 0..3 + rng.below(3) {
        let s = rng.pick(SENTENCES);
        let surname = if rng.below(3) == 0 {
            rare(rng, "ова")
        } else {
            rng.pick(SURNAMES).to_string()
        };
        let s = s
            .replace("{n}", &(10 + rng.below(990)).to_string())
            .replace("{surname}", &surname)
            .replace("{gen}", PLACES[rng.index(PLACES.len())].1)
            .replace("{village}", &rare(rng, "ка"));
        text.push_str(&s);
        text.push(' ');
    }
    (title, text)
}

fn build(path: &std::path::Path, n: usize) {
    let _ = std::fs::remove_file(path);
    let mut conn = svodka::store::open(path).expect("open");
    let lem = Lemmatizer::new();
    let mut rng = Rng(7);
    let start = chrono::Utc::now().timestamp() - 90 * 86_400;
    let started = Instant::now();
    // A fetch is one transaction of ~50 reports: the index takes its segments as a daemon's does.
    let batch = 50;
    let mut id = 0i64;
    let (mut lemmas, mut indexing) = (Duration::ZERO, Duration::ZERO);
    while (id as usize) < n {
        let tx = conn.transaction().expect("tx");
        let mut indexed = Vec::with_capacity(batch);
        for _ in 0..batch.min(n - id as usize) {
            id += 1;
            let (title, text) = report(&mut rng);
            // Ninety days, evenly.
            let published = start + id * 90 * 86_400 / n as i64;
            let story = if id > 10 && rng.below(5) == 0 {
                id - 1 - rng.below(10.min(id as u64 - 1)) as i64
            } else {
                id
            };
            tx.prepare_cached(
                "INSERT INTO items (id, source, key, content_hash, title, text, published,
                                    first_seen, updated, story_id, copy_id)
                 VALUES (?1, ?2, ?1, '', ?3, ?4, ?5, ?5, ?5, ?6, ?1)",
            )
            .expect("insert")
            .execute(params![
                id,
                format!("agency-{}", id % 400),
                title,
                text,
                published,
                story
            ])
            .expect("insert");
            if story == id {
                tx.prepare_cached(
                    "INSERT INTO stories (id, guid, lead, published, first_seen, updated)
                     VALUES (?1, ?1, ?1, ?2, ?2, ?2)",
                )
                .expect("story")
                .execute(params![id, published])
                .expect("story");
            }
            let t = Instant::now();
            let terms = lem.terms(&title, &text);
            lemmas += t.elapsed();
            indexed.push((id, terms));
        }
        // As `store::save_fetch` writes them: after the fetch's other statements.
        let t = Instant::now();
        for (id, terms) in &indexed {
            svodka::store::search::index(&tx, *id, terms, true).expect("index");
        }
        tx.commit().expect("commit");
        indexing += t.elapsed();
        if id % 100_000 == 0 && id > 0 {
            eprintln!("  {id} reports, {:.0} s", started.elapsed().as_secs_f64());
        }
    }
    eprintln!(
        "built {n} reports in {:.0} s ({:.0} a second): lemmas {:.1} µs a report, the index's \
         inserts and commits {:.1} µs",
        started.elapsed().as_secs_f64(),
        n as f64 / started.elapsed().as_secs_f64(),
        lemmas.as_secs_f64() * 1e6 / n as f64,
        indexing.as_secs_f64() * 1e6 / n as f64
    );
    // The optimized index a long-running database settles into is not assumed: the segments
    // stay as the inserts left them, as in a daemon's database.
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let n: usize = std::env::var("SVODKA_BENCH_REPORTS")
        .ok()
        .and_then(|v| v.replace(['_', ','], "").parse().ok())
        .unwrap_or(1_000_000);
    let keep = std::env::var_os("SVODKA_BENCH_DB").map(PathBuf::from);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = keep.clone().unwrap_or_else(|| dir.path().join("search.db"));
    let have: i64 = rusqlite::Connection::open(&path)
        .and_then(|c| c.query_row("SELECT count(*) FROM items", [], |r| r.get(0)))
        .unwrap_or(0);
    if have != n as i64 {
        eprintln!("search bench: building {n} reports in {}", path.display());
        build(&path, n);
    } else {
        eprintln!("search bench: reusing {} ({n} reports)", path.display());
    }
    let conn = svodka::store::open(&path).expect("open");
    // As the daemon's searches read it.
    svodka::store::search::searching(&conn).expect("searching");
    let size = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap_or(0) };
    let index_bytes = size("SELECT sum(length(block)) FROM search_data")
        + size("SELECT sum(length(term)) + 16 * count(*) FROM search_idx")
        + size("SELECT sum(length(sz)) + 8 * count(*) FROM search_docsize");
    let file = std::fs::metadata(&path).map_or(0, |m| m.len());
    eprintln!(
        "index: {:.0} MiB, {:.0} bytes a report (of a {:.0}-byte file a report; the reports here are ~{} bytes of text)",
        index_bytes as f64 / 1048576.0,
        index_bytes as f64 / n as f64,
        file as f64 / n as f64,
        size(
            "SELECT CAST(avg(length(CAST(title AS BLOB)) + length(CAST(text AS BLOB))) AS INTEGER) FROM items"
        )
    );

    let cfg = svodka::config::Config::parse("", &path.with_extension("toml")).expect("config");
    let now = chrono::Utc::now().timestamp();
    let mut rng = Rng(99);
    let mut two = Vec::new();
    let mut phrase = Vec::new();
    let mut rare_ = Vec::new();
    let mut dated = Vec::new();
    for _ in 0..100 {
        let (_, _, place) = PLACES[rng.index(PLACES.len())];
        let what = rng.pick(WHAT);
        let noun = what.split(' ').next_back().unwrap_or(what);
        two.push(format!("{noun} {place}"));
        phrase.push(format!("\"{}\"", rng.pick(WHAT)));
        rare_.push(format!("{} {}", rng.pick(SURNAMES), place));
        dated.push(format!("{noun} {place} sort:date"));
    }
    for (label, queries) in [
        ("two words (an object and a town)", &two),
        ("a phrase", &phrase),
        ("a surname and a town", &rare_),
        ("two words, sort:date", &dated),
    ] {
        let mut times = Vec::new();
        let mut found = 0usize;
        let mut slow = 0usize;
        for q in queries {
            let t = Instant::now();
            match svodka::search::run(&cfg, &conn, q, 50, false, now) {
                Ok(r) => found += r.stories.len(),
                Err(svodka::search::SearchError::TooSlow) => slow += 1,
                Err(e) => panic!("{q}: {e}"),
            }
            times.push(t.elapsed());
        }
        let p50 = percentile(&mut times, 0.5);
        let p95 = percentile(&mut times, 0.95);
        let max = percentile(&mut times, 1.0);
        eprintln!(
            "{label}: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms over {} queries ({:.0} stories each, {slow} over the time limit)",
            p50.as_secs_f64() * 1e3,
            p95.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
            queries.len(),
            found as f64 / queries.len() as f64
        );
    }
    if keep.is_some() {
        eprintln!("kept {}", path.display());
    }
}
