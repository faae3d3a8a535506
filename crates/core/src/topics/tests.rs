//! The matcher's cases, one `check` per area: what works by lemmas, what the dictionary's
//! readings rule out, and the Snowball fallback.

use super::*;

fn topic(name: &str, keywords: &[&str], exclude: &[&str]) -> Topic {
    Topic {
        name: name.into(),
        title: name.into(),
        keywords: keywords.iter().map(|s| s.to_string()).collect(),
        exclude: exclude.iter().map(|s| s.to_string()).collect(),
        scope: TopicScope::Headline,
    }
}

/// Tags `text` as an item's lead (the title is empty).
fn check(topics: &[Topic], text: &str, expected: &[&str]) {
    let m = Matcher::new(topics);
    assert_eq!(m.tag("", text, ""), expected, "{text}");
}

#[test]
fn inflected_forms_match() {
    let t = [topic("syria", &["Сирия"], &[])];
    for text in [
        "Делегация из Сирии прибыла",
        "поставки зерна в Сирию",
        "Новости. Сирия.",
        "над СИРИЕЙ",
    ] {
        check(&t, text, &["syria"]);
    }
}

#[test]
fn stem_collisions_do_not_match() {
    let t = [
        topic("syria", &["Сирия"], &[]),
        topic("rostov", &["Ростов"], &[]),
    ];
    check(&t, "В Липецке прозвучала сирена гражданской обороны", &[]);
    check(&t, "Рост цен на продукты замедлился", &[]);
    check(&t, "Поезд из Ростова задержался", &["rostov"]);
    let lipetsk = [
        topic("lipetsk", &["Липецк"], &[]),
        topic("moscow", &["Москва"], &[]),
    ];
    check(&lipetsk, "Губернатор Липецкой области", &[]);
    check(&lipetsk, "снегопад в Липецке", &["lipetsk"]);
    check(&lipetsk, "встреча с Москвой", &["moscow"]);
    check(&lipetsk, "московские новости", &[]);
    let forms = [
        topic("syria", &["сирийский"], &[]),
        topic("peskov", &["Дмитрий"], &[]),
        topic("khimki", &["Химки"], &[]),
        topic("cheb", &["Чебоксары"], &[]),
    ];
    check(&forms, "о сирийском конфликте", &["syria"]);
    check(&forms, "с сирийскими студентами", &["syria"]);
    check(&forms, "слова Дмитрия Пескова", &["peskov"]);
    check(&forms, "пробки в Химках", &["khimki"]);
    check(&forms, "поезд из Чебоксар", &["cheb"]);
}

#[test]
fn place_names_in_forms_snowball_missed() {
    let t = [
        topic("khimki", &["Химки"], &[]),
        topic("chelny", &["Набережные Челны"], &[]),
        topic("luki", &["Великие Луки"], &[]),
        topic("orel", &["Орёл"], &[]),
        topic("yelets", &["Елец"], &[]),
    ];
    check(&t, "Жители Химок жалуются на пробки", &["khimki"]);
    check(&t, "Новый завод в Набережных Челнах", &["chelny"]);
    check(&t, "Набережные Челны встречают гостей", &["chelny"]);
    check(&t, "ремонт моста в Великих Луках", &["luki"]);
    check(&t, "Фестиваль в Орле и Ельце", &["orel", "yelets"]);
    check(&t, "автобус из Ельца", &["yelets"]);
    // Common nouns that happen to be the same words, written as common nouns.
    check(&t, "горькие луки и сладкий перец", &[]);
    check(&t, "Над полем кружил орёл", &[]);
}

#[test]
fn names_of_people_are_not_places() {
    let t = [
        topic("pushkino", &["Пушкино"], &[]),
        topic("ivanovo", &["Иваново"], &[]),
        topic("kirov", &["Киров"], &[]),
    ];
    check(&t, "На улице Пушкина меняют трубы", &[]);
    check(&t, "Иванова назначили министром", &[]);
    check(&t, "Сергея Иванова назначили министром", &[]);
    check(&t, "перекрыли улицу Кирова", &[]);
    check(&t, "Пробка на въезде в Пушкино", &["pushkino"]);
    check(&t, "снегопад в Иванове", &["ivanovo"]);
    check(&t, "Рейс из Иванова отменили", &["ivanovo"]);
    check(&t, "Иваново вошло в список", &["ivanovo"]);
    check(&t, "Фестиваль пройдёт в Кирове", &["kirov"]);
}

#[test]
fn capital_letters_decide_between_a_name_and_a_word() {
    let t = [topic("korolev", &["Королёв"], &[])];
    check(&t, "Наукоград Королёв отметил юбилей", &["korolev"]);
    check(&t, "в Королеве открыли школу", &["korolev"]);
    check(&t, "спектакль про снежную королеву", &[]);
    check(&t, "Корону получила королева красоты", &[]);
    // Opening a sentence, the capital says nothing: the dictionary's estimate decides.
    check(&t, "Королева красоты из Липецка", &[]);
    check(&t, "Королёв получит новую больницу", &["korolev"]);
}

#[test]
fn latin_keywords_match_the_word_and_its_plural_only() {
    let t = [topic("universal", &["Universal"], &[])];
    check(&t, "премьера от студии Universal", &["universal"]);
    check(&t, "Moscow State University", &[]);
    check(&t, "universities and universal access", &["universal"]);
}

#[test]
fn adjectives_only_when_asked() {
    check(
        &[topic("syria", &["Сирия"], &[])],
        "сирийская делегация",
        &[],
    );
    check(
        &[topic("syria", &["Сирия", "сирийский"], &[])],
        "встреча сирийской делегации",
        &["syria"],
    );
}

#[test]
fn phrases_exclusions_and_english() {
    let t = [
        topic("energy", &["энергетический кризис"], &["учения"]),
        topic("isis", &["ИГИЛ", "Islamic State"], &[]),
    ];
    check(
        &t,
        "Энергетического кризиса в регионе не будет",
        &["energy"],
    );
    check(&t, "кризис энергетический", &[]);
    check(&t, "учения: энергетический кризис", &[]);
    check(&t, "вербовка в ИГИЛ (запрещена в РФ)", &["isis"]);
    check(&t, "fighters of the Islamic State", &["isis"]);
    check(&t, "the islamic states", &["isis"]);
}

#[test]
fn yo_is_folded() {
    check(
        &[topic("tree", &["ёлка"], &[])],
        "на площади поставили елку",
        &["tree"],
    );
}

#[test]
fn new_names_fall_back_to_guarded_stems() {
    // Names the dictionary has never seen: Snowball finds their forms, the guard keeps other
    // words out.
    let t = [topic("zarechgrad", &["Заречноград"], &[])];
    check(&t, "в Заречнограде открыли парк", &["zarechgrad"]);
    check(&t, "из Заречнограда", &["zarechgrad"]);
    check(&t, "заречноградская администрация", &[]);
}

#[test]
fn headline_scope_is_title_and_lead_text_scope_the_whole_text() {
    let mut wide = topic("lipetsk-all", &["Липецк"], &[]);
    wide.scope = TopicScope::Text;
    let topics = [topic("lipetsk", &["Липецк"], &[]), wide];
    let m = Matcher::new(&topics);
    let text = "В Ельце открыли каток. Каток работает до марта. © ИА «Вести», Липецк";
    assert_eq!(
        m.tag("Каток открыли", "В Ельце открыли каток.", text),
        ["lipetsk-all"]
    );
    assert_eq!(m.tag("Каток в Липецке", "", ""), ["lipetsk", "lipetsk-all"]);
    assert_eq!(
        m.tag("Каток", "В Липецке открыли каток.", text),
        ["lipetsk", "lipetsk-all"]
    );
}

#[test]
fn no_topics_no_dictionary_work() {
    let m = Matcher::new(&[]);
    assert!(m.dict.is_none());
    assert!(m.tag("В Липецке", "снег", "").is_empty());
}
