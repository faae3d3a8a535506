//! The ingest bench: the real `svodka` binary against a local origin of generated regional
//! feeds, beside a Python feedparser + sqlite3 peer on the same origin, in one run.
//!
//!     SVODKA_BENCH_FEEDS=2000 cargo bench --bench ingest
//!
//! The origin (tokio + axum on 127.0.0.1) serves N feeds × 50 items (~80 KB each): realistic
//! Russian regional news, a quarter of the feeds in windows-1251 (some declared only in the XML
//! prolog), a tenth in Atom, HTML descriptions with entities and tracking parameters, ETag/304,
//! and press releases that several agencies carry word for word. It measures:
//!
//! - a cold `svodka fetch` over all feeds (wall time, items/s, the child's peak RSS by `wait4`),
//!   then a warm one (every feed answers 304);
//! - the peer (`benches/ingest_ref.py`: feedparser, sqlite3, 32 threads, one transaction per
//!   feed, dedup by guid) on the same origin: items/s and peak RSS; skipped with a message when
//!   Python or feedparser is missing;
//! - `GET /` of a daemon over the N sources (time per request) beside a cached feed;
//! - `wrk` on `/feeds/all.rss` of an idle daemon, then of a daemon taking in a cold cycle:
//!   throughput ratio and p99 (skipped with a message when `wrk` is missing); that daemon's
//!   whole cold cycle and peak RSS.
//!
//! `SVODKA_BENCH_FEEDS` sets N (default 2,000); the targets are stated at 10,000.
//! `SVODKA_BENCH_KEEP=1` keeps the temporary folder (configs, databases, logs);
//! `SVODKA_BENCH_ONLY=fetch` stops after svodka's cold and warm fetch (for profiling);
//! `SVODKA_BENCH_ONLY=serve` skips the peer (for the serving rows);
//! `SVODKA_BENCH_VOCAB=100` draws every report from one vocabulary of 100 words (an adversarial
//! origin: every report a look-alike of every other; compare its µs of CPU an item with a run
//! without it);
//! `SVODKA_BENCH_MEMORY_MB=32` sets `[stories] memory_mb` (default: the config's default);
//! `SVODKA_BENCH_WRAP="heaptrack -o /tmp/cold"` runs the cold fetch under a profiler.
//! `SVODKA_BENCH_INDEX=compare` runs a second cold fetch into a fresh database with the
//! search index off (`[search] index = false` in its config), after the warm one, and prints both CPUs
//! (`SVODKA_BENCH_INDEX_ROUNDS=5`: four more pairs into fresh databases, in alternating order, and
//! the median of the five ratios);
//! `SVODKA_BENCH_INDEX=compare-off-first` the same in the other order (the first cold fetch
//! without the index, the second with it).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, Response, StatusCode};
use chrono::{DateTime, Utc};

#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

const ITEMS_PER_FEED: usize = 50;
const CONCURRENCY: usize = 32;

// ---------------------------------------------------------------------------------------------
// Generated news. A small deterministic generator: the words come from pools of real-sounding
// regional news, combined so that two unrelated items share little beyond common words (as real
// reports do), while a wire text is the same bytes in every feed that carries it.

const REGIONS: [(&str, &str, &str); 16] = [
    ("lipetsk", "Липецк", "Липецкой области"),
    ("voronezh", "Воронеж", "Воронежской области"),
    ("tambov", "Тамбов", "Тамбовской области"),
    ("kursk", "Курск", "Курской области"),
    ("belgorod", "Белгород", "Белгородской области"),
    ("orel", "Орёл", "Орловской области"),
    ("bryansk", "Брянск", "Брянской области"),
    ("ryazan", "Рязань", "Рязанской области"),
    ("tula", "Тула", "Тульской области"),
    ("kaluga", "Калуга", "Калужской области"),
    ("smolensk", "Смоленск", "Смоленской области"),
    ("yaroslavl", "Ярославль", "Ярославской области"),
    ("penza", "Пенза", "Пензенской области"),
    ("saratov", "Саратов", "Саратовской области"),
    ("kirov", "Киров", "Кировской области"),
    ("vologda", "Вологда", "Вологодской области"),
];

const AGENCY_KINDS: [&str; 8] = [
    "Вести",
    "Вестник",
    "Новости",
    "Панорама",
    "Городские новости",
    "Info",
    "Курьер",
    "Сегодня",
];

const WHO: [&str; 24] = [
    "Глава региона",
    "Мэрия",
    "Региональный минздрав",
    "Прокуратура района",
    "Управление МЧС",
    "Депутаты областной думы",
    "Жители микрорайона",
    "Директор департамента ЖКХ",
    "Сотрудники ГИБДД",
    "Администрация района",
    "Управляющая компания",
    "Областной суд",
    "Пресс-служба губернатора",
    "Совет ветеранов",
    "Роспотребнадзор",
    "Подрядчик",
    "Фермеры",
    "Школьники",
    "Волонтёры",
    "Спасатели",
    "Врачи областной больницы",
    "Энергетики",
    "Следователи",
    "Городская дума",
];

const DID: [&str; 24] = [
    "сообщили о начале",
    "подвели итоги",
    "объявили о завершении",
    "проверили ход",
    "потребовали ускорить",
    "обсудили сроки",
    "одобрили план",
    "перенесли",
    "приостановили",
    "рассказали о ходе",
    "раскритиковали",
    "выделили средства на",
    "отчитались о",
    "провели проверку",
    "запланировали",
    "продлили",
    "согласовали проект",
    "поддержали идею",
    "возобновили",
    "оценили последствия",
    "заявили о рисках",
    "утвердили смету",
    "отложили обсуждение",
    "взяли на контроль",
];

const WHAT: [&str; 32] = [
    "ремонта дорог",
    "отопительного сезона",
    "строительства школы",
    "капремонта домов",
    "замены труб",
    "благоустройства набережной",
    "вакцинации",
    "уборки снега",
    "подготовки к паводку",
    "реконструкции моста",
    "закупки автобусов",
    "ремонта поликлиники",
    "газификации сёл",
    "сбора урожая",
    "весенней посевной",
    "переселения из аварийного жилья",
    "установки светофоров",
    "открытия детского сада",
    "ликвидации свалки",
    "продажи земельных участков",
    "тарифов на воду",
    "расширения трамвайной сети",
    "реставрации усадьбы",
    "оснащения ФАПов",
    "строительства ледовой арены",
    "ремонта теплотрассы",
    "подготовки к выборам",
    "проверки детских лагерей",
    "обновления парка скорых",
    "борьбы с борщевиком",
    "выплат многодетным семьям",
    "ремонта кровли",
];

const WHERE: [&str; 20] = [
    "на улице Ленина",
    "в Советском районе",
    "в посёлке Сокол",
    "на Московском шоссе",
    "в селе Нижняя Матрёнка",
    "в микрорайоне Елецкий",
    "на проспекте Победы",
    "в Левобережном районе",
    "у железнодорожного вокзала",
    "в деревне Ольховка",
    "на улице Гагарина",
    "в районе Тракторного",
    "на площади Революции",
    "в промзоне",
    "в центре города",
    "на окраине",
    "в райцентре",
    "на улице Космонавтов",
    "в Октябрьском районе",
    "в пригороде",
];

const TAIL: [&str; 16] = [
    "Работы планируют завершить до конца года.",
    "Подробности обещают сообщить позже.",
    "Жители жалуются на задержки уже несколько месяцев.",
    "Ранее сроки уже переносили дважды.",
    "Средства выделены из областного бюджета.",
    "Ход работ взят на особый контроль.",
    "Проверка продлится до пятницы.",
    "Решение вступит в силу с первого числа.",
    "Документы направлены в прокуратуру.",
    "Часть денег придётся вернуть в бюджет.",
    "На месте работают несколько бригад.",
    "Вопрос рассмотрят на ближайшем заседании.",
    "Подрядчик уже получил аванс.",
    "Движение транспорта временно ограничено.",
    "Общественники намерены добиться ответа.",
    "Следующий этап начнётся весной.",
];

/// Syllables of surnames and street names: each report names its own people and places, as
/// real reports do (a small pool of names would make unrelated reports look like one event).
const HEADS: [&str; 24] = [
    "Гро", "Бе", "Во", "Дья", "Ер", "Жу", "Зу", "Ки", "Ла", "Ме", "Не", "Ор", "Па", "Ры", "Са",
    "Ти", "Уша", "Фо", "Ха", "Че", "Ша", "Щер", "Ю", "Я",
];
const MIDDLES: [&str; 20] = [
    "ло", "ра", "ли", "сто", "ни", "ба", "ре", "ку", "мо", "ше", "ло", "ва", "ри", "да", "зо",
    "ти", "го", "жа", "хо", "лы",
];
const ENDINGS: [&str; 6] = ["нов", "рин", "вский", "щенко", "тев", "хин"];
/// Parts of firms' names.
const FIRM_HEADS: [&str; 20] = [
    "Рем",
    "Строй",
    "Тепло",
    "Водо",
    "Газ",
    "Энерго",
    "Дор",
    "Агро",
    "Спец",
    "Гидро",
    "Мост",
    "Благо",
    "Транс",
    "Электро",
    "Жил",
    "Сервис",
    "Пром",
    "Лес",
    "Техно",
    "Эко",
];
const FIRM_MIDDLES: [&str; 20] = [
    "строй",
    "монтаж",
    "сервис",
    "снаб",
    "ресурс",
    "проект",
    "комплекс",
    "инвест",
    "контроль",
    "техника",
    "мастер",
    "альянс",
    "трест",
    "сеть",
    "механика",
    "сбыт",
    "тех",
    "центр",
    "групп",
    "регион",
];
const FIRM_TAILS: [&str; 12] = [
    "",
    "-М",
    "-Плюс",
    "-Юг",
    "-Север",
    "-48",
    "-36",
    "-Центр",
    "-Регион",
    "-2000",
    "-Профи",
    "-Т",
];

/// Parts of district towns' names: ten thousand agencies write from hundreds of towns, not
/// from sixteen regional capitals (a few towns for all of them would make every street and
/// person a neighbour of every other, and every report a look-alike of hundreds).
const TOWN_HEADS: [&str; 30] = [
    "Ново",
    "Старо",
    "Красно",
    "Бело",
    "Верхне",
    "Нижне",
    "Усть-",
    "Мало",
    "Сосно",
    "Берёзо",
    "Липо",
    "Каменно",
    "Ольхо",
    "Дубо",
    "Заво",
    "Лесо",
    "Луго",
    "Песко",
    "Ивано",
    "Петро",
    "Никола",
    "Георгие",
    "Михайло",
    "Алексе",
    "Дмитро",
    "Богоро",
    "Вознесе",
    "Покро",
    "Троиц",
    "Спас",
];
const TOWN_TAILS: [&str; 30] = [
    "горск",
    "дольск",
    "ямск",
    "павловск",
    "поль",
    "бург",
    "лужск",
    "полье",
    "озёрск",
    "речинск",
    "ельск",
    "хопёрск",
    "мошенск",
    "холмск",
    "борск",
    "градск",
    "устюг",
    "сельск",
    "кольск",
    "донск",
    "вольск",
    "ключевск",
    "лесск",
    "ярск",
    "брянск",
    "зерск",
    "тарск",
    "мирск",
    "славск",
    "дворск",
];
const INITIALS: [&str; 20] = [
    "А.", "Б.", "В.", "Г.", "Д.", "Е.", "И.", "К.", "Л.", "М.", "Н.", "О.", "П.", "Р.", "С.", "Т.",
    "Ф.", "Ю.", "Я.", "Э.",
];

/// One of ~50,000 surnames.
fn surname(rng: &mut Rng) -> String {
    format!(
        "{}{}{}{}",
        rng.pick(&HEADS),
        rng.pick(&MIDDLES),
        rng.pick(&MIDDLES),
        rng.pick(&ENDINGS)
    )
}

/// The town agency `i` writes from: one in five in the regional capital, the others in one of
/// 900 district towns.
fn town(i: usize, capital: &'static str) -> String {
    if i.is_multiple_of(5) {
        return capital.to_string();
    }
    let mut rng = Rng(0x7045_0000 + i as u64);
    format!("{}{}", rng.pick(&TOWN_HEADS), rng.pick(&TOWN_TAILS))
}

/// A place of its own: one of ~25,000 streets named after someone, and a house number.
fn address(rng: &mut Rng) -> String {
    let (head, middle, second) = (rng.pick(&HEADS), rng.pick(&MIDDLES), rng.pick(&MIDDLES));
    let ending = rng.pick(&["нов", "рин", "тев"]);
    // Most houses of a district town have a number under a hundred.
    format!(
        "на улице {head}{middle}{second}{ending}а, {}",
        1 + rng.below(99)
    )
}

/// A firm of its own: one of ~40,000 names, as «Ремстройсервис» or «Тепловодмонтаж».
fn firm(rng: &mut Rng) -> String {
    format!(
        "{} «{}{}{}»",
        rng.pick(&["ООО", "АО", "МУП", "ООО", "ГУП"]),
        rng.pick(&FIRM_HEADS),
        rng.pick(&FIRM_MIDDLES),
        rng.pick(&FIRM_TAILS)
    )
}

/// One report: a headline and a text of five to seven sentences (~100 words), about an event of
/// its own: its own address, firm, people and figures beside the vocabulary every report shares.
fn report(rng: &mut Rng, city: &str, region_gen: &str) -> (String, String) {
    let who = rng.pick(&WHO);
    let did = rng.pick(&DID);
    let what = rng.pick(&WHAT);
    let place = address(rng);
    let person = format!("{} {}", rng.pick(&INITIALS), surname(rng));
    let firm = firm(rng);
    let title = format!("{who} {city} {did} {what} {place}");
    let mut text =
        format!("{who} {did} {what} {place} ({city}), сообщил {person}. Работы ведёт {firm}. ");
    let sentences = 4 + rng.below(3);
    for i in 0..sentences {
        let n = 3 + rng.below(997);
        let s = match (i + rng.below(5)) % 5 {
            0 => format!(
                "Контракт с {firm} заключён {} {} на {} тыс. рублей, {} {region_gen}.",
                1 + rng.below(28),
                rng.pick(&["января", "марта", "мая", "сентября", "ноября"]),
                100 + rng.below(99_900),
                rng.pick(&[
                    "сообщили в правительстве",
                    "следует из данных портала госзакупок",
                    "уточнили в администрации",
                ])
            ),
            1 => format!(
                "По словам {}а {}, на это потребуется {} тыс. рублей.",
                rng.pick(&["начальника управления", "заместителя главы", "депутат"]),
                person,
                100 + rng.below(99_900)
            ),
            2 => format!(
                "«Мы {} {} и рассчитываем на {n} новых мест», — отметила {} {}.",
                rng.pick(&["не остановимся", "продолжим работу", "завершим этап"]),
                rng.pick(&WHERE),
                rng.pick(&INITIALS),
                surname(rng)
            ),
            3 => format!(
                "С {} {} в городе {city} зафиксировано {n} обращений.",
                1 + rng.below(28),
                rng.pick(&["января", "марта", "мая", "сентября", "ноября"])
            ),
            _ => rng.pick(&TAIL).to_string(),
        };
        text.push_str(&s);
        text.push(' ');
    }
    (title, text.trim_end().to_string())
}

/// The adversarial origin's vocabulary: the first `n` distinct words of the generator's pools,
/// as `SVODKA_BENCH_VOCAB=n` asks.
fn vocabulary(n: usize) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let pools = WHO
        .iter()
        .chain(&DID)
        .chain(&WHAT)
        .chain(&WHERE)
        .chain(&TAIL);
    for w in pools.flat_map(|p| p.split([' ', '.', ','])) {
        let w = w.to_lowercase();
        if w.chars().count() > 2 && !words.contains(&w) {
            words.push(w);
        }
    }
    words.truncate(n);
    words
}

/// A report whose every word comes from `vocab`: a headline of six to nine words and ~100 words
/// of text in sentences of ten to fifteen. Every report looks like every other.
fn vocab_report(rng: &mut Rng, vocab: &[String]) -> (String, String) {
    let word = |rng: &mut Rng| vocab[rng.below(vocab.len() as u64) as usize].clone();
    let title: Vec<String> = (0..6 + rng.below(4)).map(|_| word(rng)).collect();
    let mut text = String::new();
    for _ in 0..8 {
        let sentence: Vec<String> = (0..10 + rng.below(6)).map(|_| word(rng)).collect();
        let sentence = sentence.join(" ");
        let mut chars = sentence.chars();
        if let Some(first) = chars.next() {
            text.extend(first.to_uppercase());
            text.push_str(chars.as_str());
        }
        text.push_str(". ");
    }
    let title = title.join(" ");
    let mut chars = title.chars();
    let title = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => title,
    };
    (title, text.trim_end().to_string())
}

struct Feed {
    body: axum::body::Bytes,
    etag: String,
    content_type: &'static str,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The wire texts carried by the feeds (see [`feed`]): (feed, wire) pairs, each distinct.
fn wire_items(n: usize) -> Vec<usize> {
    let wires = (n / 20).max(10);
    (0..n)
        .flat_map(|i| {
            (0..ITEMS_PER_FEED)
                .filter(|k| k % 17 == 3)
                .map(move |k| (i * 7 + k) % wires)
        })
        .collect()
}

/// How many press releases the feeds carry.
fn wires_used(n: usize) -> usize {
    let mut w = wire_items(n);
    w.sort_unstable();
    w.dedup();
    w.len()
}

/// How many reports are a later agency's copy of a press release another feed carried first.
fn wire_copies(n: usize) -> usize {
    wire_items(n).len() - wires_used(n)
}

/// Feed `i` of `n`: its own reports plus three wire texts shared with other feeds; with a
/// vocabulary, every report is drawn from it.
fn feed(i: usize, n: usize, now: DateTime<Utc>, vocab: Option<&[String]>) -> Feed {
    let mut rng = Rng(0x5eed_0000 + i as u64);
    let (slug, capital, region_gen) = REGIONS[i % REGIONS.len()];
    let city = town(i, capital);
    let city = city.as_str();
    let kind = AGENCY_KINDS[(i / REGIONS.len()) % AGENCY_KINDS.len()];
    let host = format!("{slug}-{i}.news.test");
    let agency = format!("{kind} {city} №{i}");
    let wires = (n / 20).max(10);
    let atom = i % 10 == 7;
    let cp1251 = i % 4 == 1 || i % 4 == 3;
    let msk = chrono::FixedOffset::east_opt(3 * 3600).expect("+03:00 is a valid offset");
    let mut items = String::new();
    for k in 0..ITEMS_PER_FEED {
        let (title, text, guid) = if k % 17 == 3 {
            // A press release of the regional administration, republished word for word.
            let w = (i * 7 + k) % wires;
            let mut wr = Rng(0x0517_e000 + w as u64);
            let (_, wcity, wregion) = REGIONS[w % REGIONS.len()];
            let (t, x) = match vocab {
                Some(v) => vocab_report(&mut wr, v),
                None => report(&mut wr, wcity, wregion),
            };
            (t, x, format!("{host}-wire-{w}"))
        } else {
            let (t, x) = match vocab {
                Some(v) => vocab_report(&mut rng, v),
                None => report(&mut rng, city, region_gen),
            };
            (t, x, format!("{host}-{k}"))
        };
        let published = now - chrono::Duration::minutes((k * 23 + i % 60) as i64);
        let link = format!(
            "https://{host}/news/{}/{k}-{}.html?utm_source=rss&utm_medium=feed",
            published.format("%Y/%m/%d"),
            i * 100 + k
        );
        // Descriptions as agencies write them: escaped HTML, «ёлочки», entities, a photo.
        let html = format!(
            "<p><img src=\"/upload/{k}.jpg\" alt=\"\"/></p><p>{}&nbsp;</p><p>Фото: пресс-служба</p>",
            text.replace(". ", ".</p><p>")
        );
        if atom {
            items.push_str(&format!(
                "<entry><title>{}</title><id>tag:{host},2026:{guid}</id><updated>{}</updated>\
                 <link href=\"{}\"/><content type=\"html\">{}</content></entry>\n",
                esc(&title),
                published.to_rfc3339(),
                esc(&link),
                esc(&html)
            ));
        } else {
            items.push_str(&format!(
                "<item><title>{}</title><guid isPermaLink=\"false\">{guid}</guid><link>{}</link>\
                 <pubDate>{}</pubDate><category>Общество</category><description>{}</description>\
                 <yandex:full-text>{}</yandex:full-text></item>\n",
                esc(&title),
                esc(&link),
                published.with_timezone(&msk).to_rfc2822(),
                esc(&html),
                esc(&text)
            ));
        }
    }
    let (encoding, content_type) = match (cp1251, i % 4) {
        (true, 1) => ("windows-1251", "application/rss+xml; charset=windows-1251"),
        // Declared only in the prolog, as many old CMSes do.
        (true, _) => ("windows-1251", "text/xml"),
        (false, _) if atom => ("utf-8", "application/atom+xml"),
        _ => ("utf-8", "application/rss+xml; charset=utf-8"),
    };
    let doc = if atom {
        format!(
            "<?xml version=\"1.0\" encoding=\"{encoding}\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\
             <title>{}</title><id>tag:{host},2026:feed</id><updated>{}</updated>\
             <link href=\"https://{host}/\"/>\n{items}</feed>\n",
            esc(&agency),
            now.to_rfc3339()
        )
    } else {
        format!(
            "<?xml version=\"1.0\" encoding=\"{encoding}\"?>\n<rss version=\"2.0\" \
             xmlns:yandex=\"http://news.yandex.ru\"><channel><title>{}</title>\
             <link>https://{host}/</link><description>Новости {region_gen}</description>\
             <language>ru</language>\n{items}</channel></rss>\n",
            esc(&agency)
        )
    };
    let body = if cp1251 {
        encoding_rs::WINDOWS_1251.encode(&doc).0.into_owned()
    } else {
        doc.into_bytes()
    };
    Feed {
        etag: format!("\"{i:x}-{:x}\"", body.len()),
        body: body.into(),
        content_type,
    }
}

// ---------------------------------------------------------------------------------------------
// The origin.

#[derive(Default)]
struct Served {
    ok: AtomicU64,
    not_modified: AtomicU64,
}

struct Origin {
    feeds: Vec<Feed>,
    served: Served,
}

async fn answer(
    State(o): State<Arc<Origin>>,
    UrlPath(file): UrlPath<String>,
    headers: HeaderMap,
) -> Response<Body> {
    let feed = file
        .strip_suffix(".xml")
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|n| o.feeds.get(n));
    let Some(f) = feed else {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Body::empty())
            .unwrap_or_default();
    };
    let inm = headers.get("if-none-match").and_then(|v| v.to_str().ok());
    let b = Response::builder()
        .header("etag", &f.etag)
        .header("server", "nginx/1.18.0");
    if inm == Some(f.etag.as_str()) {
        o.served.not_modified.fetch_add(1, Ordering::Relaxed);
        return b
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap_or_default();
    }
    o.served.ok.fetch_add(1, Ordering::Relaxed);
    b.header("content-type", f.content_type)
        .body(Body::from(f.body.clone()))
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Children: wall time and peak RSS by wait4.
//
// A child's `ru_maxrss` starts from the RSS of the process that spawned it: Linux carries the
// old address space's high-water mark across `exec`, and a vfork/fork child's old address space
// is its parent's (this bench holds every generated feed). So children are started through a
// small helper, this same binary run again with `--measure-child`, whose RSS is a few MiB; it
// spawns the real child, waits for it with wait4 and writes its peak RSS to a file.

struct Finished {
    wall: Duration,
    peak_rss_kib: i64,
    success: bool,
    /// User and system CPU seconds.
    cpu: f64,
}

/// Waits for `pid` and returns its exit and resource usage; blocks.
/// Waits for a child: (exited with 0, peak RSS in KiB, CPU seconds of user and system time).
fn wait4(pid: u32) -> (bool, i64, f64) {
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in; pid is our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    if r < 0 {
        return (false, 0, 0.0);
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        usage.ru_maxrss,
        secs(usage.ru_utime) + secs(usage.ru_stime),
    )
}

/// The helper: `--measure-child REPORT PROGRAM ARGS...`. Writes `pid N` when the child has
/// started and `done MAXRSS_KIB SUCCESS` when it has ended.
fn measure_child(args: &[String]) -> ! {
    let (Some(report), Some(program)) = (args.first(), args.get(1)) else {
        eprintln!("--measure-child REPORT PROGRAM ARGS...");
        std::process::exit(2);
    };
    let child = match Command::new(program).args(&args[2..]).spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot start {program}: {e}");
            std::process::exit(2);
        }
    };
    let pid = child.id();
    let _ = std::fs::write(report, format!("pid {pid}\n"));
    std::mem::forget(child);
    let (success, rss, cpu) = wait4(pid);
    let _ = std::fs::write(report, format!("pid {pid}\ndone {rss} {success} {cpu}\n"));
    std::process::exit(if success { 0 } else { 1 });
}

/// Starts `cmd` through the helper; returns the helper's pid and the report file.
fn spawn_measured(cmd: &Command, stdout: Stdio, stderr: Stdio, report: &Path) -> u32 {
    let me = std::env::current_exe().expect("the bench binary's path");
    let mut helper = Command::new(me);
    helper
        .arg("--measure-child")
        .arg(report)
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr);
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => helper.env(k, v),
            None => helper.env_remove(k),
        };
    }
    let _ = std::fs::remove_file(report);
    let child = helper.spawn().expect("cannot start the measuring helper");
    let pid = child.id();
    std::mem::forget(child);
    pid
}

/// The measured child's pid (once the helper has started it) and, once it ended, its result.
fn read_report(report: &Path) -> (Option<u32>, Option<(i64, bool, f64)>) {
    let text = std::fs::read_to_string(report).unwrap_or_default();
    let mut pid = None;
    let mut done = None;
    for line in text.lines() {
        let w: Vec<&str> = line.split(' ').collect();
        match w.as_slice() {
            ["pid", p] => pid = p.parse().ok(),
            ["done", rss, ok, cpu] => {
                done = Some((
                    rss.parse().unwrap_or(0),
                    *ok == "true",
                    cpu.parse().unwrap_or(0.0),
                ))
            }
            _ => {}
        }
    }
    (pid, done)
}

async fn run_measured(cmd: Command, stdout: &Path) -> Finished {
    let out = std::fs::File::create(stdout).expect("a log file in the bench folder");
    let report = stdout.with_extension("rss");
    let started = Instant::now();
    let helper = spawn_measured(&cmd, out.into(), Stdio::inherit(), &report);
    tokio::task::spawn_blocking(move || wait4(helper))
        .await
        .unwrap_or((false, 0, 0.0));
    let wall = started.elapsed();
    let (peak_rss_kib, success, cpu) = read_report(&report).1.unwrap_or((0, false, 0.0));
    Finished {
        wall,
        peak_rss_kib,
        success,
        cpu,
    }
}

fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(pid as libc::pid_t, sig);
    }
}

fn mib(kib: i64) -> f64 {
    kib as f64 / 1024.0
}

// ---------------------------------------------------------------------------------------------

/// A config of `n` sources on the origin, its database `db`, reports indexed for search or not.
fn config(dir: &Path, origin: &str, n: usize, listen: &str, db: &str, index: bool) -> PathBuf {
    let mut c = format!(
        "[server]\nlisten = \"{listen}\"\nbase_url = \"http://{listen}\"\n\n\
         [storage]\npath = \"{db}\"\n\n\
         # Yearly: the daemons fetch only what is stale at start.\n\
         [schedule]\ncron = \"0 3 1 1 *\"\n\n\
         # Every feed is on 127.0.0.1, so one host: per_host as high as the concurrency.\n\
         [fetch]\nconcurrency = {CONCURRENCY}\nper_host = {CONCURRENCY}\ntimeout_secs = 120\n\n"
    );
    if !index {
        c.push_str("[search]\nindex = false\n\n");
    }
    if let Ok(mb) = std::env::var("SVODKA_BENCH_MEMORY_MB") {
        c.push_str(&format!("[stories]\nmemory_mb = {mb}\n\n"));
    }
    for i in 0..n {
        let (slug, capital, _) = REGIONS[i % REGIONS.len()];
        let city = town(i, capital);
        c.push_str(&format!(
            "[[source]]\nname = \"{slug}-{i}\"\ntitle = \"{} {city} №{i}\"\nurl = \"{origin}/rss/{i}.xml\"\nregion = \"{slug}\"\n\n",
            AGENCY_KINDS[(i / REGIONS.len()) % AGENCY_KINDS.len()]
        ));
    }
    c.push_str(
        "[[topic]]\nname = \"roads\"\ntitle = \"Дороги\"\nkeywords = [\"ремонт дорог\", \"мост\", \"ГИБДД\"]\n\n\
         [[topic]]\nname = \"heat\"\ntitle = \"Отопление\"\nkeywords = [\"отопительный сезон\", \"теплотрасса\"]\n\n\
         [[feed]]\nname = \"all\"\ntitle = \"Все новости регионов\"\nlimit = 100\n\n\
         [[feed]]\nname = \"lipetsk\"\ntitle = \"Липецк\"\nregions = [\"lipetsk\"]\nlimit = 50\n",
    );
    let path = dir.join(format!("{db}.toml"));
    std::fs::write(&path, c).expect("cannot write the bench config");
    path
}

/// Cold fetches with the search index and without it, in pairs into fresh databases, the order
/// alternating from pair to pair, after the first pair (whose ratio is `first`): one pair's
/// ratio moves by several percent with what else the machine does, their median much less.
async fn index_rounds(
    work: &Path,
    origin: &str,
    n: usize,
    listen: &str,
    rounds: usize,
    first: f64,
) {
    let mut ratios = vec![first];
    let (mut on_cpu, mut off_cpu) = (Vec::new(), Vec::new());
    for round in 1..rounds {
        let mut cpu = [0.0; 2];
        let order = if round % 2 == 1 {
            [false, true]
        } else {
            [true, false]
        };
        for index in order {
            let db = format!("round{round}-{}.db", if index { "on" } else { "off" });
            let cfg = config(work, origin, n, listen, &db, index);
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_svodka"));
            cmd.arg("fetch").arg("--config").arg(&cfg);
            let run = run_measured(cmd, &work.join(format!("{db}.out"))).await;
            assert!(run.success, "a cold fetch of round {round} failed");
            cpu[usize::from(index)] = run.cpu;
            let _ = std::fs::remove_file(work.join(&db));
        }
        let [off, on] = cpu;
        on_cpu.push(on);
        off_cpu.push(off);
        ratios.push(on / off);
        eprintln!(
            "search index, round {round} ({}): CPU {on:.1} s with it, {off:.1} s without (+{:.1}%)",
            if order[0] {
                "with first"
            } else {
                "without first"
            },
            (on / off - 1.0) * 100.0
        );
    }
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    let shown: Vec<String> = ratios
        .iter()
        .map(|r| format!("+{:.1}%", (r - 1.0) * 100.0))
        .collect();
    eprintln!(
        "search index over {rounds} pairs: median +{:.1}% of the cold fetch's CPU (each pair: {})",
        (median - 1.0) * 100.0,
        shown.join(", ")
    );
}

/// Sums `N new, N updated, N unchanged, N merged` over `svodka fetch`'s summary lines.
fn fetch_summary(out: &str) -> (u64, u64, u64, usize) {
    let (mut new, mut merged, mut not_modified, mut errors) = (0, 0, 0, 0);
    for line in out.lines() {
        if line.contains(": error: ") {
            errors += 1;
        }
        if line.ends_with("unchanged (304 Not Modified)") {
            not_modified += 1;
        }
        let Some((_, counts)) = line.split_once(": ") else {
            continue;
        };
        let words: Vec<&str> = counts.split([',', ' ']).filter(|w| !w.is_empty()).collect();
        for pair in words.windows(2) {
            let v = pair[0].parse::<u64>().unwrap_or(0);
            match pair[1] {
                "new" => new += v,
                "merged" => merged += v,
                _ => {}
            }
        }
    }
    (new, merged, not_modified, errors)
}

fn free_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    l.local_addr().map(|a| a.to_string()).unwrap_or_default()
}

/// A running daemon: its pid and address.
struct Daemon {
    pid: u32,
    helper: u32,
    report: PathBuf,
    base: String,
}

async fn start_daemon(bin: &str, cfg: &Path, listen: &str, log: &Path) -> Daemon {
    let log_file = std::fs::File::create(log).expect("a daemon log");
    let mut cmd = Command::new(bin);
    cmd.arg("run")
        .arg("--config")
        .arg(cfg)
        .env("RUST_LOG", "warn");
    let report = log.with_extension("rss");
    let helper = spawn_measured(&cmd, Stdio::null(), log_file.into(), &report);
    let base = format!("http://{listen}");
    let client = reqwest::Client::new();
    for _ in 0..600 {
        if client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            let pid = read_report(&report)
                .0
                .expect("the helper names the daemon's pid");
            return Daemon {
                pid,
                helper,
                report,
                base,
            };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("svodka run did not start serving on {listen}");
}

/// SIGTERM, then its peak RSS.
async fn stop_daemon(d: Daemon) -> i64 {
    signal(d.pid, libc::SIGTERM);
    let helper = d.helper;
    tokio::task::spawn_blocking(move || wait4(helper))
        .await
        .unwrap_or((false, 0, 0.0));
    read_report(&d.report).1.map_or(0, |(rss, _, _)| rss)
}

/// Median and 95th percentile of `rounds` sequential GETs of `url`.
async fn time_get(client: &reqwest::Client, url: &str, rounds: usize) -> (Duration, Duration) {
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        let r = client.get(url).send().await.expect("the daemon answers");
        assert!(r.status().is_success(), "{url}: {}", r.status());
        let body = r.bytes().await.expect("a body");
        assert!(!body.is_empty());
        times.push(t.elapsed());
    }
    times.sort();
    (
        times[rounds / 2],
        times[(rounds * 95 / 100).min(rounds - 1)],
    )
}

struct Wrk {
    rps: f64,
    p99_ms: f64,
}

fn wrk(url: &str, seconds: u64) -> Option<Wrk> {
    let out = Command::new("wrk")
        .args(["-t2", "-c32", &format!("-d{seconds}s"), "--latency", url])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let rps = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())?;
    let p99 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .and_then(|v| latency_ms(v.trim()))?;
    Some(Wrk { rps, p99_ms: p99 })
}

/// wrk's `12.34ms`, `850.00us`, `1.20s`.
fn latency_ms(v: &str) -> Option<f64> {
    let (num, unit) = v.split_at(v.find(|c: char| c.is_ascii_alphabetic())?);
    let n: f64 = num.parse().ok()?;
    Some(match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => return None,
    })
}

async fn fetches_done(client: &reqwest::Client, base: &str) -> u64 {
    let Ok(r) = client.get(format!("{base}/metrics")).send().await else {
        return 0;
    };
    let text = r.text().await.unwrap_or_default();
    text.lines()
        .filter(|l| l.starts_with("svodka_fetches_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

fn python_peer() -> Result<(), String> {
    let ok = Command::new("python3")
        .args(["-c", "import feedparser"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("no python3 ({e})"))?;
    if ok.success() {
        Ok(())
    } else {
        Err("python3 has no feedparser (pip install feedparser)".into())
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--measure-child") {
        measure_child(&args[2..]);
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(bench());
}

async fn bench() {
    // `cargo bench` passes `--bench`; a filter argument is accepted and ignored.
    let n: usize = std::env::var("SVODKA_BENCH_FEEDS")
        .ok()
        .and_then(|v| v.replace(['_', ','], "").parse().ok())
        .unwrap_or(2_000);
    let bin = env!("CARGO_BIN_EXE_svodka");
    // reqwest (here for timing pages) needs rustls's provider installed, as svodka does.
    svodka::fetch::install_crypto_provider();
    let dir = tempfile::Builder::new()
        .prefix("svodka-ingest-")
        .tempdir()
        .expect("a temporary folder");
    let work = dir.path().to_path_buf();
    eprintln!(
        "ingest bench: {n} feeds × {ITEMS_PER_FEED} items in {}",
        work.display()
    );

    let vocab = std::env::var("SVODKA_BENCH_VOCAB")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(vocabulary);
    if let Some(v) = &vocab {
        eprintln!(
            "every report drawn from one vocabulary of {} words: {}",
            v.len(),
            v[..8.min(v.len())].join(", ")
        );
    }
    let now = Utc::now();
    let t = Instant::now();
    let feeds: Vec<Feed> = (0..n).map(|i| feed(i, n, now, vocab.as_deref())).collect();
    let bytes: usize = feeds.iter().map(|f| f.body.len()).sum();
    eprintln!(
        "generated {:.0} MiB ({:.0} KB per feed) in {:.1} s",
        bytes as f64 / 1048576.0,
        bytes as f64 / n as f64 / 1000.0,
        t.elapsed().as_secs_f64()
    );
    let origin = Arc::new(Origin {
        feeds,
        served: Served::default(),
    });
    let app = axum::Router::new()
        .route("/rss/{file}", axum::routing::get(answer))
        .with_state(origin.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the origin");
    let origin_url = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(async move { axum::serve(listener, app).await });

    // 1. Cold and warm `svodka fetch`.
    let listen = free_port();
    let off_first = std::env::var("SVODKA_BENCH_INDEX").as_deref() == Ok("compare-off-first");
    let cfg = config(&work, &origin_url, n, &listen, "cold.db", !off_first);
    // `SVODKA_BENCH_WRAP="heaptrack -o /tmp/cold"` (or `perf record …`) runs the cold fetch
    // under a profiler; its figures are then the profiler's, not svodka's.
    let mut cmd = match std::env::var("SVODKA_BENCH_WRAP") {
        Ok(wrap) if !wrap.trim().is_empty() => {
            let mut words = wrap.split_whitespace();
            let mut cmd = Command::new(words.next().unwrap_or_default());
            cmd.args(words).arg(bin);
            cmd
        }
        _ => Command::new(bin),
    };
    cmd.arg("fetch").arg("--config").arg(&cfg);
    let cold = run_measured(cmd, &work.join("cold.out")).await;
    let out = std::fs::read_to_string(work.join("cold.out")).unwrap_or_default();
    let (new, merged, _, errors) = fetch_summary(&out);
    let cold_items = new + merged;
    assert!(cold.success, "svodka fetch failed");
    assert_eq!(errors, 0, "sources failed in the cold fetch:\n{out}");
    let cold_rate = cold_items as f64 / cold.wall.as_secs_f64();
    eprintln!(
        "by construction: {} wire copies of {} press releases; the engine merged {merged} (the rest \
         are reports of look-alike events it took for one)",
        wire_copies(n),
        wires_used(n)
    );
    eprintln!(
        "svodka cold fetch: {:.1} s, {cold_items} items ({new} new, {merged} merged), {cold_rate:.0} items/s, peak RSS {:.0} MiB, CPU {:.1} s ({:.0} µs an item)",
        cold.wall.as_secs_f64(),
        mib(cold.peak_rss_kib),
        cold.cpu,
        cold.cpu * 1e6 / cold_items.max(1) as f64
    );
    let served_before = origin.served.not_modified.load(Ordering::Relaxed);
    let mut cmd = Command::new(bin);
    cmd.arg("fetch").arg("--config").arg(&cfg);
    let warm = run_measured(cmd, &work.join("warm.out")).await;
    let out = std::fs::read_to_string(work.join("warm.out")).unwrap_or_default();
    let (_, _, warm_304, _) = fetch_summary(&out);
    let origin_304 = origin.served.not_modified.load(Ordering::Relaxed) - served_before;
    eprintln!(
        "svodka warm fetch: {:.2} s, {warm_304} of {n} unchanged (origin sent {origin_304} 304s), peak RSS {:.0} MiB, CPU {:.2} s",
        warm.wall.as_secs_f64(),
        mib(warm.peak_rss_kib),
        warm.cpu
    );

    if std::env::var("SVODKA_BENCH_INDEX")
        .as_deref()
        .is_ok_and(|v| v.starts_with("compare"))
    {
        let cfg = config(&work, &origin_url, n, &listen, "second.db", off_first);
        let mut cmd = Command::new(bin);
        cmd.arg("fetch").arg("--config").arg(&cfg);
        let second = run_measured(cmd, &work.join("second.out")).await;
        assert!(second.success, "the second cold fetch failed");
        let size = |f: &str| std::fs::metadata(work.join(f)).map_or(0, |m| m.len()) as f64;
        let (on, off, on_db, off_db, order) = if off_first {
            (
                &second,
                &cold,
                size("second.db"),
                size("cold.db"),
                "without first",
            )
        } else {
            (
                &cold,
                &second,
                size("cold.db"),
                size("second.db"),
                "with first",
            )
        };
        eprintln!(
            "search index ({order}): cold fetch CPU {:.1} s with it, {:.1} s without (+{:.1}%); wall {:.1} s and {:.1} s; peak RSS {:.0} and {:.0} MiB",
            on.cpu,
            off.cpu,
            (on.cpu / off.cpu - 1.0) * 100.0,
            on.wall.as_secs_f64(),
            off.wall.as_secs_f64(),
            mib(on.peak_rss_kib),
            mib(off.peak_rss_kib)
        );
        eprintln!(
            "search index: database {:.0} MiB with it, {:.0} MiB without ({:.0} bytes a report)",
            on_db / 1048576.0,
            off_db / 1048576.0,
            (on_db - off_db) / cold_items.max(1) as f64
        );
        let rounds: usize = std::env::var("SVODKA_BENCH_INDEX_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(1);
        if rounds > 1 {
            index_rounds(&work, &origin_url, n, &listen, rounds, on.cpu / off.cpu).await;
        }
    }

    if std::env::var("SVODKA_BENCH_ONLY").as_deref() == Ok("fetch") {
        eprintln!("SVODKA_BENCH_ONLY=fetch: the peer, the pages and wrk are skipped");
        if std::env::var_os("SVODKA_BENCH_KEEP").is_some() {
            eprintln!("kept {}", dir.keep().display());
        }
        return;
    }

    // 2. The Python peer on the same origin.
    let skip_peer = std::env::var("SVODKA_BENCH_ONLY").as_deref() == Ok("serve");
    let peer = match if skip_peer {
        Err("SVODKA_BENCH_ONLY=serve".to_string())
    } else {
        python_peer()
    } {
        Err(why) => {
            eprintln!("peer skipped: {why}");
            None
        }
        Ok(()) => {
            let urls = work.join("urls.txt");
            let list: String = (0..n)
                .map(|i| format!("{origin_url}/rss/{i}.xml\n"))
                .collect();
            std::fs::write(&urls, list).expect("the peer's url list");
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/ingest_ref.py");
            let mut cmd = Command::new("python3");
            cmd.arg(script)
                .arg(&urls)
                .arg(work.join("peer.db"))
                .arg(CONCURRENCY.to_string());
            let f = run_measured(cmd, &work.join("peer.out")).await;
            let out = std::fs::read_to_string(work.join("peer.out")).unwrap_or_default();
            let items: u64 = out
                .lines()
                .find_map(|l| l.strip_prefix("items "))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if !f.success || items == 0 {
                eprintln!("peer failed:\n{out}");
                None
            } else {
                let rate = items as f64 / f.wall.as_secs_f64();
                eprintln!(
                    "peer: {:.1} s, {items} items, {rate:.0} items/s, peak RSS {:.0} MiB, CPU {:.1} s ({:.0} µs an item)",
                    f.wall.as_secs_f64(),
                    mib(f.peak_rss_kib),
                    f.cpu,
                    f.cpu * 1e6 / items.max(1) as f64
                );
                Some((f, items, rate))
            }
        }
    };

    // 3. The index page with N sources, beside a cached feed; wrk on the idle daemon.
    let client = reqwest::Client::new();
    let d = start_daemon(bin, &cfg, &listen, &work.join("idle.log")).await;
    let (index_med, index_p95) = time_get(&client, &format!("{}/", d.base), 30).await;
    let (feed_med, _) = time_get(&client, &format!("{}/feeds/all.rss", d.base), 30).await;
    eprintln!(
        "GET / with {n} sources: median {:.1} ms, p95 {:.1} ms; cached /feeds/all.rss {:.2} ms",
        ms(index_med),
        ms(index_p95),
        ms(feed_med)
    );
    let have_wrk = Command::new("wrk")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    let idle = if have_wrk {
        wrk(&format!("{}/feeds/all.rss", d.base), 8)
    } else {
        eprintln!("wrk skipped: not installed (apt-get install wrk)");
        None
    };
    stop_daemon(d).await;

    // 4. A daemon taking in a cold cycle: wrk meanwhile, then the whole cycle to its end.
    let listen2 = free_port();
    let cfg2 = config(&work, &origin_url, n, &listen2, "daemon.db", true);
    let started = Instant::now();
    let d = start_daemon(bin, &cfg2, &listen2, &work.join("daemon.log")).await;
    let busy = if let Some(idle) = &idle {
        // Let the cycle get going before measuring.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let before = fetches_done(&client, &d.base).await;
        let url = format!("{}/feeds/all.rss", d.base);
        let w = tokio::task::spawn_blocking(move || wrk(&url, 8))
            .await
            .ok()
            .flatten();
        let after = fetches_done(&client, &d.base).await;
        eprintln!(
            "wrk /feeds/all.rss idle: {:.0} req/s, p99 {:.2} ms",
            idle.rps, idle.p99_ms
        );
        if let Some(w) = &w {
            eprintln!(
                "wrk /feeds/all.rss during the cold cycle: {:.0} req/s, p99 {:.2} ms ({} of {n} sources fetched meanwhile{})",
                w.rps,
                w.p99_ms,
                after - before,
                if after >= n as u64 {
                    "; the cycle ended inside the window"
                } else {
                    ""
                }
            );
        }
        w
    } else {
        None
    };
    let mut cycle = None;
    for _ in 0..12_000 {
        if fetches_done(&client, &d.base).await >= n as u64 {
            cycle = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let daemon_rss = stop_daemon(d).await;
    if let Some(c) = cycle {
        eprintln!(
            "daemon cold cycle: {:.1} s (with wrk for 8 s of it), peak RSS {:.0} MiB",
            c.as_secs_f64(),
            mib(daemon_rss)
        );
    }

    // The table.
    let mut rows: Vec<(String, String, String, String)> = Vec::new();
    let (peer_rate, peer_text, peer_rss) = match &peer {
        Some((f, items, rate)) => (
            Some(*rate),
            format!(
                "peer {:.1} s, {items} items, {rate:.0} items/s",
                f.wall.as_secs_f64()
            ),
            Some(f.peak_rss_kib),
        ),
        None => (None, "peer skipped".into(), None),
    };
    rows.push((
        format!("cold `svodka fetch`, {n} feeds"),
        format!(
            "{:.1} s, {cold_items} items, {cold_rate:.0} items/s",
            cold.wall.as_secs_f64()
        ),
        peer_text,
        peer_rate.map_or("–".into(), |p| format!("{:.2}× the peer", cold_rate / p)),
    ));
    rows.push((
        "peak RSS of the cold fetch".into(),
        format!("{:.0} MiB", mib(cold.peak_rss_kib)),
        peer_rss.map_or("–".into(), |r| format!("peer {:.0} MiB", mib(r))),
        peer_rss.map_or("–".into(), |r| {
            format!("{:.2}× the peer", cold.peak_rss_kib as f64 / r as f64)
        }),
    ));
    rows.push((
        "warm `svodka fetch` (all 304)".into(),
        format!("{:.2} s", warm.wall.as_secs_f64()),
        format!("cold {:.1} s", cold.wall.as_secs_f64()),
        format!(
            "{:.3}× the cold",
            warm.wall.as_secs_f64() / cold.wall.as_secs_f64()
        ),
    ));
    rows.push((
        format!("`GET /` with {n} sources (median of 30)"),
        format!("{:.1} ms (p95 {:.1} ms)", ms(index_med), ms(index_p95)),
        format!("cached `/feeds/all.rss` {:.2} ms", ms(feed_med)),
        format!("{:.0}× the cached feed", ms(index_med) / ms(feed_med)),
    ));
    if let (Some(i), Some(b)) = (&idle, &busy) {
        rows.push((
            "wrk `/feeds/all.rss` during a cold cycle".into(),
            format!("{:.0} req/s, p99 {:.1} ms", b.rps, b.p99_ms),
            format!("idle {:.0} req/s, p99 {:.2} ms", i.rps, i.p99_ms),
            format!("{:.2}× idle throughput", b.rps / i.rps),
        ));
    }
    if let Some(c) = cycle {
        rows.push((
            format!("`svodka run` cold cycle, {n} feeds"),
            format!(
                "{:.1} s, peak RSS {:.0} MiB",
                c.as_secs_f64(),
                mib(daemon_rss)
            ),
            format!(
                "`svodka fetch` {:.1} s, {:.0} MiB",
                cold.wall.as_secs_f64(),
                mib(cold.peak_rss_kib)
            ),
            format!(
                "{:.2}× the fetch's time",
                c.as_secs_f64() / cold.wall.as_secs_f64()
            ),
        ));
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "\n| what | svodka | reference (same run) | ratio |");
    let _ = writeln!(out, "| --- | --- | --- | --- |");
    for (a, b, c, d) in rows {
        let _ = writeln!(out, "| {a} | {b} | {c} | {d} |");
    }
    if std::env::var_os("SVODKA_BENCH_KEEP").is_some() {
        let kept = dir.keep();
        let _ = writeln!(out, "\nkept {}", kept.display());
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
