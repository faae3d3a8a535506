//! The feed shapes that real regional sites serve and that once read as nothing (issue 7),
//! rebuilt by hand: each must yield every item it visibly holds.

use super::*;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-01T09:00:00Z")
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default()
}

/// A Yandex.News export from a regional CMS: RSS 2.0 in the old UserLand default namespace,
/// windows-1251, no guids, `yandex:full-text` and the CMS's own `pdalink`.
pub(crate) const USERLAND_YANDEX: &str = "<?xml version=\"1.0\" encoding=\"windows-1251\"?>
<rss version=\"2.0\" xmlns=\"http://backend.userland.com/rss2\" xmlns:yandex=\"http://news.yandex.ru\">
<channel>
<title>ИА «Верхневолжье»</title>
<link>http://vvinform.test/</link>
<description>Новости Твери и Тверской области</description>
<yandex:logo>http://vvinform.test/i/logo.png</yandex:logo>
<yandex:logo type=\"square\">http://vvinform.test/i/logo_sq.png</yandex:logo>
<item>
<title>В Ржеве после реставрации открыли мемориальный комплекс</title>
<link>http://vvinform.test/news/society/14702.html</link>
<pdalink>http://pda.vvinform.test/14702</pdalink>
<description>Работы продолжались полтора года и обошлись областному бюджету в 84 млн рублей.</description>
<author>Пресс-служба правительства Тверской области</author>
<category>Общество</category>
<enclosure url=\"http://vvinform.test/upload/iblock/3f2/rzhev.jpg\" type=\"image/jpeg\"/>
<pubDate>Mon, 30 Nov 2026 14:25:00 +0300</pubDate>
<yandex:genre>message</yandex:genre>
<yandex:full-text>Работы продолжались полтора года и обошлись областному бюджету в 84 млн рублей.
На открытии присутствовали ветераны и школьники Ржевского района.</yandex:full-text>
</item>
<item>
<title>Тверские энергетики восстановили свет в 40 деревнях после снегопада</title>
<link>http://vvinform.test/news/incident/14699.html</link>
<pdalink>http://pda.vvinform.test/14699</pdalink>
<description>Без электричества ночью оставались около трёх тысяч жителей Кимрского и Калязинского округов.</description>
<category>Происшествия</category>
<pubDate>Mon, 30 Nov 2026 11:02:00 +0300</pubDate>
<yandex:genre>message</yandex:genre>
<yandex:full-text>Без электричества ночью оставались около трёх тысяч жителей Кимрского и Калязинского округов. На линиях работали 56 бригад.</yandex:full-text>
</item>
</channel>
</rss>
";

/// RSS 2.0 that names the Harvard copy of the spec as its default namespace.
pub(crate) const HARVARD: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>
<rss xmlns=\"https://cyber.harvard.edu/rss/rss.html\" version=\"2.0\">
  <channel>
    <title>Новости Камчатки — Полуостров</title>
    <link>https://poluostrov41.test</link>
    <description>Лента новостей</description>
    <lastBuildDate>Tue, 01 Dec 2026 08:10:00 +1200</lastBuildDate>
    <item>
      <title>Ключевская сопка выбросила пепел на высоту 7 километров</title>
      <link>https://poluostrov41.test/news/2026/12/01/klyuchevskaya/</link>
      <guid isPermaLink=\"true\">https://poluostrov41.test/news/2026/12/01/klyuchevskaya/</guid>
      <description><![CDATA[<p>Авиакомпаниям присвоен <b>оранжевый</b> код опасности.</p>]]></description>
      <pubDate>Tue, 01 Dec 2026 07:40:00 +1200</pubDate>
    </item>
    <item>
      <title>В Петропавловске-Камчатском продлили режим ЧС из-за циклона</title>
      <link>https://poluostrov41.test/news/2026/11/30/ciklon/</link>
      <guid isPermaLink=\"true\">https://poluostrov41.test/news/2026/11/30/ciklon/</guid>
      <description>Занятия в школах отменены до четверга.</description>
      <pubDate>Mon, 30 Nov 2026 19:15:00 +1200</pubDate>
    </item>
  </channel>
</rss>
";

/// Atom 0.3 as Blogger wrote it: a stylesheet PI, single quotes, each entry re-declaring the
/// old namespace, `mode='escaped'` titles, `issued`/`modified`/`created`.
pub(crate) const BLOGGER_ATOM03: &str = "<?xml version='1.0' encoding='UTF-8'?>
<?xml-stylesheet href=\"http://www.blogger.com/styles/atom.css\" type=\"text/css\"?>
<feed xmlns='http://purl.org/atom/ns#' version='0.3' xml:lang='ru-RU'>
<title mode='escaped' type='text/html'>Заметки старооскольского краеведа</title>
<link rel='alternate' type='text/html' href='http://oskol-kraeved.blogspot.com'/>
<modified>2026-11-30T18:04:11Z</modified>
<tagline mode='escaped' type='text/html'>История улиц, домов и людей Старого Оскола</tagline>
<generator url='http://www.blogger.com/' version='5.15'>Blogger</generator>
<info mode='xml' type='text/html'><div xmlns='http://www.w3.org/1999/xhtml'>This is an Atom formatted XML site feed.</div></info>
<entry xmlns='http://purl.org/atom/ns#'>
<link href='http://oskol-kraeved.blogspot.com/2026/11/blog-post_30.html' rel='alternate' title='Купеческий дом на улице Ленина' type='text/html'/>
<author><name>Краевед</name></author>
<issued>2026-11-30T20:51:00+03:00</issued>
<modified>2026-11-30T18:04:11Z</modified>
<created>2026-11-30T17:51:00Z</created>
<id>tag:blogger.com,1999:blog-7312.post-116489</id>
<title mode='escaped' type='text/html'>Купеческий дом на улице Ленина: &amp;laquo;что осталось&amp;raquo;</title>
<content type='application/xhtml+xml' xml:base='http://oskol-kraeved.blogspot.com' xml:space='preserve'><div xmlns='http://www.w3.org/1999/xhtml'>Дом купца Мухина построен в 1896 году.<br />Сейчас в нём аптека.</div></content>
<draft xmlns='http://purl.org/atom-blog/ns#'>false</draft>
</entry>
<entry xmlns='http://purl.org/atom/ns#'>
<link href='http://oskol-kraeved.blogspot.com/2026/11/blog-post_27.html' rel='alternate' title='Оскольская крепость' type='text/html'/>
<author><name>Краевед</name></author>
<issued>2026-11-27T12:10:00+03:00</issued>
<modified>2026-11-27T09:30:45Z</modified>
<created>2026-11-27T09:10:00Z</created>
<id>tag:blogger.com,1999:blog-7312.post-116455</id>
<title mode='escaped' type='text/html'>Где стояла Оскольская крепость</title>
<content type='text/html' mode='escaped'>&lt;p&gt;Следы валов видны у Казанской церкви.&lt;/p&gt;</content>
</entry>
</feed>
";

/// RSS 0.91 whose items follow `</channel>` (the RSS 1.0 layout), one `<description>` left open.
pub(crate) const RSS091_SIBLINGS: &str = "<?xml version=\"1.0\" encoding=\"windows-1251\"?>
<!DOCTYPE rss PUBLIC \"-//Netscape Communications//DTD RSS 0.91//EN\" \"http://my.netscape.com/publish/formats/rss-0.91.dtd\">
<rss version=\"0.91\">
<channel>
<title>Вестник Приамурья</title>
<link>http://vestnik-amur.test/</link>
<description>Новости Благовещенска и Амурской области</description>
<language>ru</language>
</channel>
<item>
<title>В Благовещенске завершили ремонт моста через Зею</title>
<link>http://vestnik-amur.test/news.php?id=5521</link>
<description>Движение по мосту открыто в обе стороны. Подрядчик уложился в срок.
</item>
<item>
<title>Амурские пограничники задержали браконьеров на Бурее</title>
<link>http://vestnik-amur.test/news.php?id=5519</link>
<description>Изъято более 200 килограммов рыбы.</description>
</item>
<item>
<title>Уровень воды в Амуре у Благовещенска опустился ниже нуля</title>
<link>http://vestnik-amur.test/news.php?id=5514</link>
</item>
</rss>
";

/// A redirect script used as the link of two different items, no guids.
pub(crate) const SHARED_LINK: &str = "<?xml version=\"1.0\" encoding=\"windows-1251\"?>
<rss version=\"2.0\">
<channel>
<title>Вятские вести</title>
<link>http://vyatka-vesti.test/</link>
<description>Новости Кирова</description>
<item>
<title>Губернатор провёл приём граждан в Слободском</title>
<link>http://vyatka-vesti.test/redir.asp?id=2736</link>
<description>На приём записались 28 жителей района, большинство вопросов касалось дорог.</description>
<pubDate>Mon, 30 Nov 2026 16:40:00 +0300</pubDate>
</item>
<item>
<title>На трассе Киров — Котельнич ограничат движение большегрузов</title>
<link>http://vyatka-vesti.test/redir.asp?id=2736</link>
<description>Ограничение продлится до 15 декабря из-за ремонта путепровода.</description>
<pubDate>Mon, 30 Nov 2026 15:05:00 +0300</pubDate>
</item>
<item>
<title>В Кирове открылся новогодний каток на Театральной площади</title>
<link>http://vyatka-vesti.test/redir.asp?id=2741</link>
<description>Вход свободный, прокат коньков — 200 рублей в час.</description>
<pubDate>Mon, 30 Nov 2026 12:00:00 +0300</pubDate>
</item>
</channel>
</rss>
";

fn cp1251(s: &str) -> Vec<u8> {
    encoding_rs::WINDOWS_1251.encode(s).0.into_owned()
}

fn parse(bytes: &[u8]) -> Parsed {
    parse_feed(bytes, None, None, None, now()).unwrap()
}

fn titles(p: &Parsed) -> Vec<&str> {
    p.feed.items.iter().map(|i| i.title.as_str()).collect()
}

#[test]
fn rss_in_the_userland_namespace_with_yandex_full_text() {
    let p = parse(&cp1251(USERLAND_YANDEX));
    assert_eq!(p.feed.format, "RSS 2.0");
    assert_eq!(p.feed.title.as_deref(), Some("ИА «Верхневолжье»"));
    assert_eq!(
        titles(&p),
        [
            "В Ржеве после реставрации открыли мемориальный комплекс",
            "Тверские энергетики восстановили свет в 40 деревнях после снегопада"
        ]
    );
    let a = &p.feed.items[0];
    assert_eq!(a.guid, None);
    assert_eq!(
        a.link.as_deref(),
        Some("http://vvinform.test/news/society/14702.html")
    );
    assert_eq!(a.published.to_rfc3339(), "2026-11-30T11:25:00+00:00");
    assert!(
        a.text.contains("ветераны и школьники"),
        "the full text, not only the description: {}",
        a.text
    );
    assert_eq!(
        a.image.as_deref(),
        Some("http://vvinform.test/upload/iblock/3f2/rzhev.jpg")
    );
    assert!(
        p.repairs.iter().any(|r| r.contains("namespaces")),
        "{:?}",
        p.repairs
    );
    assert_eq!((p.feed.found, p.feed.shortfall()), (2, None));
}

#[test]
fn rss_in_the_harvard_namespace() {
    let p = parse(HARVARD.as_bytes());
    assert_eq!(
        p.feed.title.as_deref(),
        Some("Новости Камчатки — Полуостров")
    );
    assert_eq!(
        titles(&p),
        [
            "Ключевская сопка выбросила пепел на высоту 7 километров",
            "В Петропавловске-Камчатском продлили режим ЧС из-за циклона"
        ]
    );
    assert_eq!(
        p.feed.items[0].summary.as_deref(),
        Some("<p>Авиакомпаниям присвоен <b>оранжевый</b> код опасности.</p>")
    );
    // +1200 is Kamchatka time: 07:40 there is 19:40 UTC the day before.
    assert_eq!(
        p.feed.items[0].published.to_rfc3339(),
        "2026-11-30T19:40:00+00:00"
    );
}

#[test]
fn blogger_atom_0_3_with_entries_in_their_own_namespace() {
    let p = parse(BLOGGER_ATOM03.as_bytes());
    assert_eq!(p.feed.format, "Atom");
    assert_eq!(
        titles(&p),
        [
            "Купеческий дом на улице Ленина: «что осталось»",
            "Где стояла Оскольская крепость"
        ]
    );
    let a = &p.feed.items[0];
    assert_eq!(
        a.guid.as_deref(),
        Some("tag:blogger.com,1999:blog-7312.post-116489")
    );
    assert_eq!(
        a.link.as_deref(),
        Some("http://oskol-kraeved.blogspot.com/2026/11/blog-post_30.html")
    );
    // `issued` is the publication date, not `created` or `modified`.
    assert_eq!(a.published.to_rfc3339(), "2026-11-30T17:51:00+00:00");
    assert_eq!(a.author.as_deref(), Some("Краевед"));
    assert!(
        a.text.starts_with("Дом купца Мухина построен в 1896 году."),
        "{}",
        a.text
    );
    assert_eq!(
        p.feed.items[1].content.as_deref(),
        Some("<p>Следы валов видны у Казанской церкви.</p>")
    );
}

#[test]
fn rss_0_91_items_after_the_channel_with_a_description_left_open() {
    let p = parse(&cp1251(RSS091_SIBLINGS));
    assert_eq!(p.feed.format, "RSS 0.9x");
    assert_eq!(p.feed.title.as_deref(), Some("Вестник Приамурья"));
    assert_eq!(
        titles(&p),
        [
            "В Благовещенске завершили ремонт моста через Зею",
            "Амурские пограничники задержали браконьеров на Бурее",
            "Уровень воды в Амуре у Благовещенска опустился ниже нуля"
        ]
    );
    assert_eq!(
        p.feed.items[0].text,
        "Движение по мосту открыто в обе стороны. Подрядчик уложился в срок."
    );
    assert_eq!(
        p.feed.items[1].link.as_deref(),
        Some("http://vestnik-amur.test/news.php?id=5519")
    );
    assert!(
        p.repairs.iter().any(|r| r.contains("item by item")),
        "{:?}",
        p.repairs
    );
    assert_eq!(p.feed.shortfall(), None);
}

#[test]
fn two_items_on_one_redirect_link_are_two_items() {
    let p = parse(&cp1251(SHARED_LINK));
    assert_eq!(p.feed.items.len(), 3, "{:?}", titles(&p));
    let keys: Vec<String> = p.feed.items.iter().map(|i| i.source_key()).collect();
    assert_eq!(
        keys,
        [
            "http://vyatka-vesti.test/redir.asp?id=2736#Губернатор провёл приём граждан в Слободском",
            "http://vyatka-vesti.test/redir.asp?id=2736#На трассе Киров — Котельнич ограничат движение большегрузов",
            // A link that only one item uses stays the key: an edited headline keeps the item.
            "http://vyatka-vesti.test/redir.asp?id=2741",
        ]
    );
    // The same item listed twice is still one item.
    let twice = SHARED_LINK.replacen(
        "<item>\n<title>В Кирове",
        "<item><title>В Кирове открылся новогодний каток на Театральной площади</title><link>http://vyatka-vesti.test/redir.asp?id=2741</link></item>\n<item>\n<title>В Кирове",
        1,
    );
    let p = parse(twice.as_bytes());
    assert_eq!(p.feed.items.len(), 3, "{:?}", titles(&p));
    assert!(!p.feed.items[2].link_shared);
}

#[test]
fn items_in_plain_sight_that_cannot_be_read_are_never_zero_in_silence() {
    // A CMS template that ran with an empty query: the items are there, with nothing in them.
    let empty = "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Губернские ведомости</title>\
        <item><title></title><link></link><description></description></item>\
        <item><title> </title><link></link><description></description></item>\
        <item><title></title><link></link><description><![CDATA[]]></description></item></channel></rss>";
    let p = parse(empty.as_bytes());
    assert!(p.feed.items.is_empty());
    assert_eq!(p.feed.found, 3);
    let s = p.feed.shortfall().unwrap();
    assert!(
        s.starts_with("parsed 0 of 3 items: ") && s.contains("neither title nor text"),
        "{s}"
    );

    // Cut off inside its only item: nothing complete, and it says why.
    let cut = "<rss version=\"2.0\"><channel><title>Т</title><item><title>Начало новости";
    let p = parse(cut.as_bytes());
    assert_eq!(
        p.feed.shortfall().as_deref(),
        Some("parsed 0 of 1 item: item 1: the document is cut off inside this item")
    );

    // Some read, one not: the count and the first reason.
    let partial = cut.replace(
        "<item><title>Начало",
        "<item><title>Целая новость</title></item><item><title>Начало",
    );
    let p = parse(partial.as_bytes());
    assert_eq!(titles(&p), ["Целая новость"]);
    assert_eq!(
        p.feed.shortfall().as_deref(),
        Some("1 skipped: item 2: the document is cut off inside this item")
    );
}

#[test]
fn an_empty_feed_is_simply_empty() {
    let p = parse(b"<rss version=\"2.0\"><channel><title>\xd0\xa2</title></channel></rss>");
    assert_eq!(
        (p.feed.found, p.feed.items.len(), p.feed.shortfall()),
        (0, 0, None)
    );
}

#[test]
fn xhtml_line_breaks_stay_single() {
    // feed-rs writes XHTML back as `<br></br>`, which an HTML reader sees as two breaks.
    let x = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>1</id><title>t</title><content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">Дом.<br />Аптека</div></content></entry></feed>";
    let p = parse(x.as_bytes());
    assert_eq!(p.feed.items[0].content.as_deref(), Some("Дом.<br>Аптека"));
}

#[test]
fn shapes_combined_still_read() {
    // The UserLand namespace and items after the channel at once: item by item, the Yandex
    // full text kept (its prefix is declared on the root, which each item's document copies).
    let siblings = USERLAND_YANDEX
        .replace("</channel>\n</rss>", "</rss>")
        .replacen("<item>", "</channel>\n<item>", 1);
    let p = parse(siblings.as_bytes());
    assert_eq!(p.feed.title.as_deref(), Some("ИА «Верхневолжье»"));
    assert_eq!(p.feed.items.len(), 2);
    assert!(p.feed.items[0].text.contains("ветераны и школьники"));
    // Atom 0.3 declared only on the entries, not on the root.
    let bare_root = BLOGGER_ATOM03.replacen(
        "<feed xmlns='http://purl.org/atom/ns#' version='0.3'",
        "<feed version='0.3'",
        1,
    );
    assert_eq!(parse(bare_root.as_bytes()).feed.items.len(), 2);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// The fallback readings on damaged copies of every shape: never a panic, never an item
    /// without a title, and never zero items in silence.
    #[test]
    fn damaged_shapes_never_panic_nor_fall_silent(which in 0usize..5, cut in 0usize..4000, at in 0usize..4000, junk in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..12)) {
        let shapes = [USERLAND_YANDEX, HARVARD, BLOGGER_ATOM03, RSS091_SIBLINGS, SHARED_LINK];
        let mut bytes = shapes[which].as_bytes().to_vec();
        let at = at.min(bytes.len());
        bytes.splice(at..at, junk);
        bytes.truncate(cut.min(bytes.len()));
        if let Ok(p) = parse_feed(&bytes, None, None, None, now()) {
            for it in &p.feed.items {
                proptest::prop_assert!(!it.title.is_empty());
            }
            if p.feed.items.is_empty() && p.feed.found > 0 {
                proptest::prop_assert!(p.feed.shortfall().is_some());
            }
        }
    }
}
