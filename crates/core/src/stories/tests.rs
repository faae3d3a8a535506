use super::decide::{containment_sorted, cosine};
use super::*;

proptest::proptest! {
    #[test]
    fn the_merged_cosine_is_the_plain_sum(
        a in proptest::collection::btree_map(0u32..64, 0.0f32..1.0, 0..40),
        b in proptest::collection::btree_map(0u32..64, 0.0f32..1.0, 0..40),
    ) {
        let a: Vec<(u32, f32)> = a.into_iter().collect();
        let b: Vec<(u32, f32)> = b.into_iter().collect();
        // Term by term in a's order, as the merge adds them.
        let plain: f32 = a
            .iter()
            .filter_map(|(t, w)| b.iter().find(|(u, _)| u == t).map(|(_, v)| w * v))
            .fold(0.0, |s, p| s + p);
        proptest::prop_assert_eq!(cosine(&a, &b), plain);
    }
}

fn fp(title: &str, text: &str) -> Fingerprint {
    Fingerprint::of(title, text, &Stems::new())
}

const HOUR: i64 = 3600;

#[test]
fn two_verdicts_of_one_court_for_two_towns_are_two_stories() {
    // The demo's own pair: one court, one organisation, the vocabulary of a verdict, but
    // other defendants, another town and other terms.
    let belgorod = fp(
        "В Белгороде осудили двоих местных жителей за пропаганду ИГИЛ",
        "Двое жителей Белгорода, размещавших в мессенджерах материалы ИГИЛ (террористическая \
         организация, запрещена в РФ), получили 6 и 7 лет колонии. Приговор вынес Южный \
         окружной военный суд, сообщили в региональном управлении ФСБ.",
    );
    let liski = fp(
        "Жителя Лисок приговорили к 15 годам за вербовку в ИГИЛ",
        "Южный окружной военный суд признал 34-летнего жителя Лисок виновным в вербовке \
         земляков в ИГИЛ (террористическая организация, запрещена в РФ). Осуждённый \
         проведёт 15 лет в колонии строгого режима, сообщили в пресс-службе УФСБ по \
         Воронежской области.",
    );
    let mut e = Engine::new(72 * HOUR);
    e.insert(1, "chernozemye", 0, 0, 1, 1, &belgorod);
    let r = Report {
        source: "courier",
        published: 3 * HOUR,
        fp: &liski,
    };
    assert_eq!(e.decide(&r), Decision::New);
}

#[test]
fn the_same_headline_a_day_apart_is_a_rubric_and_hours_apart_one_event() {
    let a = fp(
        "Погода на завтра",
        "Завтра в Тамбове облачно, ночью −6…−8, днём −2…0 градусов. Ветер северо-западный.",
    );
    let b = fp(
        "Погода на завтра",
        "Завтра в Тамбове облачно, ночью −7…−9, днём −3…−1 градусов. Ветер северо-западный.",
    );
    let mut e = Engine::new(72 * HOUR);
    e.insert(1, "a", 0, 0, 1, 1, &a);
    let next_day = Report {
        source: "b",
        published: 20 * HOUR,
        fp: &b,
    };
    assert_eq!(e.decide(&next_day), Decision::New);
    let same_morning = Report {
        source: "b",
        published: 2 * HOUR,
        fp: &b,
    };
    assert!(matches!(
        e.decide(&same_morning),
        Decision::Story { story: 1, .. }
    ));
    // An agency's own items never join each other's stories.
    let own = Report {
        source: "a",
        published: 2 * HOUR,
        fp: &b,
    };
    assert_eq!(e.decide(&own), Decision::New);
}

#[test]
fn a_story_does_not_drift_away_from_where_it_began() {
    let fire = fp(
        "Пожар на складе в Ельце",
        "В Ельце на улице Мира загорелся склад стройматериалов. Пожарные МЧС потушили огонь за три часа, пострадавших нет.",
    );
    let market = fp(
        "Ярмарка в Ельце",
        "На площади Ленина в Ельце открылась ярмарка мёда и выпечки. Фермеры привезли продукцию из пяти районов.",
    );
    let mut e = Engine::new(72 * HOUR);
    // The story began with four fire reports; sixteen market reports were added to it
    // since (as a chain of look-alikes would add them).
    for i in 0..4 {
        e.insert(i + 1, &format!("f{i}"), HOUR, HOUR, 1, i + 1, &fire);
    }
    for i in 0..16 {
        e.insert(
            i + 10,
            &format!("m{i}"),
            2 * HOUR,
            2 * HOUR,
            1,
            i + 10,
            &market,
        );
    }
    // The same fair told in other words: it would join the sixteen, not the story's start.
    let retold = fp(
        "Ярмарка в Ельце",
        "Ярмарка мёда и выпечки открылась в Ельце на площади Ленина: свою продукцию привезли фермеры пяти районов.",
    );
    let another_market = Report {
        source: "z",
        published: 3 * HOUR,
        fp: &retold,
    };
    let d = e.decide(&another_market);
    assert_eq!(d.story(), None, "{d:?} {:?}", e.similarity(&retold, &fire));
}

#[test]
fn a_budget_forgets_the_first_seen_reports_and_says_how_far_back_it_reaches() {
    const TOWNS: [&str; 8] = [
        "Ельце",
        "Данкове",
        "Задонске",
        "Лебедяни",
        "Усмани",
        "Чаплыгине",
        "Грязях",
        "Добром",
    ];
    const WORKS: [&str; 5] = [
        "отремонтируют школу искусств и спортивный зал",
        "откроют поликлинику для взрослых с дневным стационаром",
        "построят мост через реку вместо разрушенного паводком",
        "заменят водопровод под главной площадью и у вокзала",
        "высадят аллею лип в сквере у дома культуры",
    ];
    // Forty reports of different events (a town and a work each, their own sums).
    let texts: Vec<Fingerprint> = (0..40)
        .map(|i| {
            let (town, work) = (TOWNS[i % 8], WORKS[i / 8]);
            fp(
                &format!("В {town} {work}"),
                &format!(
                    "В {town} {work}, сообщили в районной администрации. На это направят \
                     {} млн рублей, подрядчик {} выбран на торгах, работы завершат к {} \
                     числу.",
                    i * 7 + 3,
                    [
                        "«Стройинвест»",
                        "«Липецкдорстрой»",
                        "«Меридиан»",
                        "«Эталон»"
                    ][i % 4],
                    i % 28 + 1
                ),
            )
        })
        .collect();
    let mut unbounded = Engine::new(72 * HOUR);
    for (i, f) in texts.iter().enumerate() {
        let id = i as i64 + 1;
        unbounded.insert(id, "a", id * 60, id * 60, id, id, f);
    }
    assert_eq!(unbounded.len(), 40);
    assert_eq!(unbounded.take_budget_cut(), None);
    // Room for about ten of them: the first seen go, the newest stay.
    let budget = unbounded.held_bytes() / 4;
    let mut e = Engine::new(72 * HOUR);
    e.set_budget(budget);
    for (i, f) in texts.iter().enumerate() {
        let id = i as i64 + 1;
        e.insert(id, "a", id * 60, id * 60, id, id, f);
        assert!(e.held_bytes() <= budget, "{} > {budget}", e.held_bytes());
    }
    assert!((8..=12).contains(&e.len()), "{} held", e.len());
    // The engine now reaches back minutes, not the 72 hours of its window.
    let reach = e.take_budget_cut().expect("the budget cut the window");
    assert!(reach > 0 && reach < 15 * 60, "{reach}");
    // The newest report is still found as a copy; the first is forgotten.
    let copy_of = |i: usize| Report {
        source: "b",
        published: (i as i64 + 1) * 60,
        fp: &texts[i],
    };
    assert!(matches!(
        e.decide(&copy_of(39)),
        Decision::Copy { of: 40, .. }
    ));
    assert!(matches!(
        unbounded.decide(&copy_of(0)),
        Decision::Copy { of: 1, .. }
    ));
    let d = e.decide(&copy_of(0));
    assert!(!matches!(d, Decision::Copy { of: 1, .. }), "{d:?}");
    // A smaller budget applies at once.
    e.set_budget(budget / 2);
    assert!(e.held_bytes() <= budget / 2 && e.len() < 8);
}

#[test]
fn reports_numbered_again_are_found_as_before() {
    // Thirty events, told by three agencies two days apart: the window holds two agencies'
    // reports at a time, and the seats (64 here, two billion in the daemon) run out on the
    // third, so the held ones are numbered again.
    const PLACES: [&str; 6] = [
        "Ельце",
        "Данкове",
        "Задонске",
        "Лебедяни",
        "Усмани",
        "Чаплыгине",
    ];
    const WORKS: [&str; 5] = [
        "отремонтируют школу искусств, заменят окна и кровлю спортивного зала",
        "откроют поликлинику для взрослых с дневным стационаром и аптекой",
        "построят мост через реку вместо разрушенного весенним паводком",
        "заменят водопровод под главной площадью и у железнодорожного вокзала",
        "высадят аллею лип и клёнов в сквере у районного дома культуры",
    ];
    const FIRMS: [&str; 4] = ["Стройинвест", "Липецкдорстрой", "Меридиан", "Эталон"];
    const HEADS: [&str; 7] = [
        "Сергей Токарев",
        "Ирина Мальцева",
        "Андрей Гусев",
        "Ольга Зуева",
        "Виктор Лапин",
        "Наталья Фомина",
        "Павел Рыжов",
    ];
    let texts: Vec<Fingerprint> = (0..30)
        .map(|i| {
            let (place, work) = (PLACES[i % 6], WORKS[i / 6]);
            fp(
                &format!("В {place} {work}"),
                &format!(
                    "В {place} {work}, сообщили в районной администрации. На это \
                     направят {} тысяч рублей, подрядчик «{}» выбран на торгах, \
                     работы завершат к {} числу. Жители просили об этом с {} года, \
                     напомнил на встрече с ними глава района {}: обращения собирали \
                     на сходах и в приёмной партии.",
                    i * 130 + 70,
                    FIRMS[i % 4],
                    i % 28 + 1,
                    2010 + i % 13,
                    HEADS[i % 7]
                ),
            )
        })
        .collect();
    let mut plain = Engine::new(72 * HOUR);
    let mut renumbered = Engine::new(72 * HOUR);
    renumbered.seat_limit = 64;
    let mut groups = vec![0; texts.len()];
    for round in 0..3i64 {
        // Each agency in its own order: a seat numbered again is another event's.
        for k in 0..texts.len() {
            let i = (k + 7 * round as usize) % texts.len();
            let f = &texts[i];
            let id = round * 100 + i as i64 + 1;
            let at = round * 50 * HOUR + k as i64 * 60;
            let source = format!("agency-{round}");
            let r = Report {
                source: &source,
                published: at,
                fp: f,
            };
            let (a, b) = (plain.decide(&r), renumbered.decide(&r));
            assert_eq!(a, b, "report {id}");
            let (copy, story) = match a {
                Decision::Copy { copy, story, .. } => (copy, story),
                _ => (id, id),
            };
            // Each later agency's report is a copy of the first agency's.
            if round == 0 {
                groups[i] = copy;
            } else {
                assert_eq!(copy, groups[i], "report {id}: {a:?}");
            }
            plain.insert(id, &source, at, at, story, copy, f);
            renumbered.insert(id, &source, at, at, story, copy, f);
            renumbered.assert_consistent();
        }
    }
    assert_eq!((plain.next_seat, renumbered.next_seat), (90, 60));
    assert_eq!(renumbered.len(), 60);
    assert_eq!(renumbered.held_bytes(), plain.held_bytes());
    // Forgetting by id finds the report under its new seat.
    renumbered.remove(201);
    assert_eq!(renumbered.len(), 59);
    let r = Report {
        source: "agency-9",
        published: 100 * HOUR,
        fp: &texts[0],
    };
    let d = renumbered.decide(&r);
    assert!(
        matches!(d, Decision::Copy { of: 101, copy, .. } if copy == groups[0]),
        "{d:?}"
    );
}

#[test]
fn holes_left_by_reports_forgotten_out_of_turn_are_closed() {
    let f = fp(
        "В Ельце ограничат движение по улице Мира",
        "С понедельника в Ельце на две недели ограничат движение по улице Мира: подрядчик \
         меняет трубы теплотрассы. Объезд по улицам Коммунаров и Свердлова.",
    );
    let mut e = Engine::new(72 * HOUR);
    for id in 1..=3_000 {
        e.insert(id, &format!("agency-{}", id % 7), 0, id, id, id, &f);
    }
    // The first report stays; the others are deleted (a story's reports removed).
    for id in 2..=3_000 {
        e.remove(id);
    }
    assert_eq!((e.len(), e.entries.span()), (1, 3_000));
    for id in 3_001..=3_100 {
        e.insert(id, &format!("agency-{}", id % 7), 0, id, id, id, &f);
    }
    assert_eq!(e.len(), 101);
    assert!(e.entries.span() <= 101, "{} seats", e.entries.span());
    e.assert_consistent();
    let r = Report {
        source: "agency-x",
        published: 0,
        fp: &f,
    };
    assert!(matches!(e.decide(&r), Decision::Copy { .. }));
}

#[test]
fn reports_are_held_for_a_window_after_they_were_first_seen() {
    let a = fp(
        "Пожар в Ельце",
        "В Ельце на улице Мира горел склад, пострадавших нет.",
    );
    let mut e = Engine::new(72 * HOUR);
    e.insert(1, "a", 0, 0, 1, 1, &a);
    e.insert(2, "b", 0, 10 * HOUR, 2, 2, &a);
    assert_eq!(e.len(), 2);
    // A report first seen four days later pushes the first two out of the window.
    e.insert(3, "c", 0, 96 * HOUR, 3, 3, &a);
    assert_eq!(e.len(), 1);
    assert!(e.memory_estimate() > 0);
}

#[test]
fn memory_follows_the_window_not_the_reports_behind_it() {
    let mut e = Engine::new(72 * HOUR);
    let stems = Stems::new();
    let mut peak_terms = 0;
    for i in 0..2_000i64 {
        // Every report its own rare words (as news is), one an hour.
        let text = format!(
            "Слово{i} и слово{} встретились в городе Город{} на улице Улица{}, сообщили в ведомстве {}.",
            i * 7,
            i % 13,
            i * 3,
            i * 11
        );
        let f = Fingerprint::of(&format!("Заголовок{i}"), &text, &stems);
        e.insert(i, "a", i * HOUR, i * HOUR, i, i, &f);
        if i == 500 {
            peak_terms = e.terms_counted();
        }
    }
    assert_eq!(e.len(), 73);
    // The IDF counts hold the window's terms only: fewer than after 500 reports.
    assert!(
        e.terms_counted() <= peak_terms,
        "{} > {peak_terms}",
        e.terms_counted()
    );
}
#[test]
fn sorted_containment_is_containment() {
    let mut seed = 7u64;
    let mut next = || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (seed >> 33) as u32 % 40
    };
    for len in [0usize, 1, 5, 33, 48] {
        for other in [0usize, 3, 16, 48] {
            let a: Vec<u32> = (0..len).map(|_| next()).collect();
            let b: Vec<u32> = (0..other).map(|_| next()).collect();
            let (mut sa, mut sb) = (a.clone(), b.clone());
            sa.sort_unstable();
            sb.sort_unstable();
            assert_eq!(
                containment_sorted(&sa, &sb),
                containment(&a, &b),
                "{a:?} {b:?}"
            );
        }
    }
}

#[test]
fn a_wire_text_in_hundreds_of_feeds_is_one_posting_and_every_copy_is_found() {
    const TEXT: &str = "Губернатор Липецкой области подписал распоряжение о выделении 4,2 млрд \
         рублей на ремонт региональных дорог в 2027 году. Работы пройдут на 48 участках общей \
         протяжённостью более 230 километров. В список вошли трасса Липецк — Грязи и подъезды к \
         четырнадцати сельским школам. Подрядчиков определят на торгах до первого марта.";
    const TITLE: &str = "В Липецкой области отремонтируют 230 километров дорог";
    let release = fp(TITLE, TEXT);
    let mut e = Engine::new(72 * HOUR);
    e.insert(1, "agency-0", 0, 0, 1, 1, &release);
    for i in 2..400i64 {
        // Each agency adds a line of its own: not the same bytes, the same text.
        let copy = fp(TITLE, &format!("{TEXT} Читайте также: новости района {i}."));
        let source = format!("agency-{i}");
        let r = Report {
            source: &source,
            published: i,
            fp: &copy,
        };
        let d = e.decide(&r);
        assert!(
            matches!(
                d,
                Decision::Copy {
                    copy: 1,
                    story: 1,
                    ..
                }
            ),
            "copy {i}: {d:?}"
        );
        e.insert(i, &source, i, i, 1, 1, &copy);
    }
    // Every later copy would have walked all the earlier ones.
    for s in release.samples.iter().take(fingerprint::INDEX_SAMPLES) {
        assert_eq!(e.by_sample.get(s).len(), 1);
    }
    // A text of its own that shares one stock phrase with the release is not a copy.
    let other = fp(
        "В Ельце открылась ярмарка мёда",
        "На площади Ленина в Ельце открылась ярмарка мёда и выпечки. Фермеры привезли продукцию \
         из пяти районов, торговля продлится до воскресенья.",
    );
    let r = Report {
        source: "agency-x",
        published: 10,
        fp: &other,
    };
    assert!(!matches!(e.decide(&r), Decision::Copy { .. }));
}
#[test]
fn a_report_touches_its_own_source_and_the_sources_of_the_story_it_joins() {
    let mut e = Engine::new(72 * HOUR);
    let a = fp(
        "Пожар в Ельце",
        "В Ельце на улице Мира горел склад, пострадавших нет.",
    );
    e.insert(1, "elets-news", 0, 0, 1, 1, &a);
    e.insert(2, "lipetsk-media", 0, 0, 1, 2, &a);
    assert_eq!(
        e.take_touched(),
        Touched::Sources(vec!["elets-news".into(), "lipetsk-media".into()])
    );
    // A third agency joins the story: the feeds of the other two list it now.
    e.insert(3, "gorod48", 0, 0, 1, 3, &a);
    assert_eq!(
        e.take_touched(),
        Touched::Sources(vec![
            "elets-news".into(),
            "gorod48".into(),
            "lipetsk-media".into()
        ])
    );
    // A story of its own touches only its agency.
    e.insert(4, "tambov-inform", 0, 0, 4, 4, &a);
    assert_eq!(
        e.take_touched(),
        Touched::Sources(vec!["tambov-inform".into()])
    );
    assert_eq!(e.take_touched(), Touched::Sources(vec![]));
}

/// One text carried by hundreds of agencies costs each new copy one posting of its exact
/// hash: no candidate is looked up, no similarity computed.
#[test]
fn a_wire_text_in_500_agencies_is_found_by_its_exact_hash_each_time() {
    let release = fp(
        "В Липецкой области отремонтируют 230 километров дорог",
        "Губернатор Липецкой области подписал распоряжение о выделении 4,2 млрд рублей на \
         ремонт региональных дорог в 2027 году. Работы пройдут на 48 участках общей \
         протяжённостью более 230 километров. Подрядчиков определят на торгах до марта.",
    );
    let mut e = Engine::new(72 * HOUR);
    e.insert(1, "agency-0", 0, 0, 1, 1, &release);
    for i in 1..500i64 {
        let source = format!("agency-{i}");
        let before = e.work();
        let d = e.decide(&Report {
            source: &source,
            published: i * 30,
            fp: &release,
        });
        let after = e.work();
        assert!(
            matches!(
                d,
                Decision::Copy {
                    copy: 1,
                    story: 1,
                    ..
                }
            ),
            "copy {i}: {d:?}"
        );
        assert_eq!(after.exact - before.exact, 1, "copy {i}");
        assert_eq!(
            (
                after.postings,
                after.candidates,
                after.containments,
                after.members
            ),
            (
                before.postings,
                before.candidates,
                before.containments,
                before.members
            ),
            "copy {i}"
        );
        e.insert(i + 1, &source, i * 30, i * 30, 1, 1, &release);
    }
}

/// A stream in which every report is drawn from one vocabulary of 100 words (each a
/// look-alike of all the others): every decision looks at a bounded number of postings,
/// candidates and stories, however many reports the window holds.
#[test]
fn a_stream_of_one_100_word_vocabulary_looks_at_a_bounded_number_of_candidates() {
    const WORDS: &str = "глава региона мэрия минздрав прокуратура района управление мчс \
        депутаты думы жители микрорайона директор департамента сотрудники гибдд \
        администрация компания суд служба губернатора совет ветеранов фермеры школьники \
        волонтёры спасатели врачи больницы энергетики следователи сообщили начале подвели \
        итоги объявили завершении проверили потребовали ускорить обсудили сроки одобрили \
        план перенесли приостановили рассказали раскритиковали выделили средства \
        отчитались провели проверку запланировали продлили согласовали проект поддержали \
        идею возобновили оценили последствия заявили рисках утвердили смету отложили \
        обсуждение взяли контроль ремонта дорог отопительного сезона строительства школы \
        капремонта домов замены труб благоустройства набережной вакцинации уборки снега \
        подготовки паводку реконструкции моста закупки автобусов поликлиники газификации \
        сёл сбора урожая весенней посевной переселения аварийного";
    let vocab: Vec<&str> = WORDS.split_whitespace().take(100).collect();
    assert_eq!(vocab.len(), 100);
    let mut seed = 0x5eed_u64;
    let mut next = |n: usize| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (seed >> 33) as usize % n
    };
    let stems = Stems::new();
    let mut terms = fingerprint::Terms::new(&stems);
    let mut e = Engine::new(72 * HOUR);
    let mut most = Work::default();
    for id in 1..=1_500i64 {
        let title: Vec<&str> = (0..7).map(|_| vocab[next(100)]).collect();
        let text: Vec<&str> = (0..100).map(|_| vocab[next(100)]).collect();
        let f = Fingerprint::with_terms(&title.join(" "), &text.join(" "), &mut terms);
        let source = format!("agency-{}", id % 50);
        let before = e.work();
        let d = e.decide(&Report {
            source: &source,
            published: id * 60,
            fp: &f,
        });
        let after = e.work();
        let one = Work {
            postings: after.postings - before.postings,
            candidates: after.candidates - before.candidates,
            containments: after.containments - before.containments,
            stories: after.stories - before.stories,
            members: after.members - before.members,
            ..Work::default()
        };
        most.postings = most.postings.max(one.postings);
        most.candidates = most.candidates.max(one.candidates);
        most.containments = most.containments.max(one.containments);
        most.stories = most.stories.max(one.stories);
        most.members = most.members.max(one.members);
        let (copy, story) = match d {
            Decision::Copy { copy, story, .. } => (copy, story),
            Decision::Story { story, .. } => (id, story),
            Decision::New => (id, id),
        };
        e.insert(id, &source, id * 60, id * 60, story, copy, &f);
    }
    // Thousands of reports share every term; each decision walked a bounded part of them.
    let samples = fingerprint::MAX_SAMPLES as u64;
    assert!(
        most.postings <= TERM_POSTINGS as u64 + samples * FREQUENT_SAMPLE as u64,
        "{most:?}"
    );
    assert!(most.postings > TERM_POSTINGS as u64 / 2, "{most:?}");
    assert!(most.candidates <= CANDIDATES as u64, "{most:?}");
    assert!(most.containments <= CANDIDATES as u64, "{most:?}");
    assert!(most.stories <= STORY_CANDIDATES as u64, "{most:?}");
    assert!(
        most.members <= (STORY_CANDIDATES * STORY_MEMBERS) as u64,
        "{most:?}"
    );
    assert_eq!(e.work().decisions, 1_500);
    assert_eq!(e.work().most_candidates, most.candidates);
}

#[test]
fn the_fire_and_the_fire_put_out_are_two_stories_and_the_fire_retold_is_one() {
    // The same place and the same fire under other predicates: another stage of the affair.
    let burning = fp(
        "В Курске горит склад строительных материалов",
        "Вечером в Курске на улице Литовской загорелся склад строительных материалов. \
         Огонь охватил кровлю, на месте работают пожарные расчёты.",
    );
    let put_out = fp(
        "Пожар на складе в Курске потушен",
        "Пожарные ликвидировали возгорание на складе в Курске. Никто не \
         пострадал, причину пожара выясняют.",
    );
    let retold = fp(
        "Склад строительных материалов горит в Курске",
        "В Курске на улице Литовской горит склад строительных материалов: огонь охватил \
         кровлю, на месте работают пожарные расчёты.",
    );
    let decide = |other: &Fingerprint| {
        let mut e = Engine::new(72 * HOUR);
        e.insert(1, "a", 0, 0, 1, 1, &burning);
        e.decide(&Report {
            source: "b",
            published: 2 * HOUR,
            fp: other,
        })
    };
    // Alike enough for the threshold alone (the place and the warehouse), not for the stage.
    assert_eq!(decide(&put_out), Decision::New);
    assert_eq!(decide(&retold).story(), Some(1));
}
