//! The story engine's rules and thresholds: what a labelled set chooses between.

/// Containment of sampled shingles above which two texts are copies.
pub const COPY_CONTAINMENT: f64 = 0.5;
/// A text needs this many samples (about 15 words) for its containment to mean anything.
pub(super) const MIN_SAMPLES: usize = 4;
/// A text with fewer samples is still compared when it is this long and all are found.
pub(super) const MIN_WORDS: u32 = 20;
/// Short texts are copies only within this many seconds of each other.
pub(super) const SHORT_COPY_SECS: i64 = 6 * 3600;
/// One agency's two items are copies only when this close in time and this alike (the same
/// text put out twice under two addresses), never a daily rubric that repeats its template.
pub(super) const SAME_SOURCE_COPY_SECS: i64 = 12 * 3600;
pub(super) const SAME_SOURCE_CONTAINMENT: f64 = 0.9;
/// What each name or number shared with a story's members (on average) adds, up to a few.
pub(super) const NAME_BONUS: f32 = 0.05;
pub(super) const MAX_NAME_BONUSES: f32 = 3.0;
/// Without a shared name or number, two reports need this much more similarity.
pub(super) const NO_NAME_PENALTY: f32 = 0.1;
/// Average cosine similarity to a story's members above which a report joins the story (this,
/// `MEMBER_SHARE`, `PER_DAY_PENALTY` and `ACT_PENALTY` chosen together on real news,
/// `examples/devset.rs`, looking at the even pair ids and kept because the odd ones agreed).
pub const STORY_SIMILARITY: f32 = 0.34;
/// Terms of each report that go into the story index.
pub(super) const INDEX_TERMS: usize = 8;
/// The newest entries scanned per index key: a frequent term cannot make a report walk the
/// whole window.
pub(super) const POSTING_SCAN: usize = 256;
/// A sampled shingle that this many copy groups of the window share is a stock phrase
/// («сообщили в пресс-службе регионального правительства»), not evidence of a copy: it is not
/// followed when looking for copies. A real copy shares many rarer samples with its original.
pub(super) const FREQUENT_SAMPLE: usize = 64;
/// Members of a story a report is compared with: its first few (the story's anchor, so a story
/// cannot drift from one event to the next through its newest members) and its newest.
pub(super) const STORY_ANCHORS: usize = 4;
/// The share of the needed similarity a report must reach against the anchors alone.
pub(super) const ANCHOR_SHARE: f32 = 0.8;
pub(super) const STORY_MEMBERS: usize = 16;
/// Story terms a report reached through them alone must share to be checked as a copy.
pub(super) const COPY_TERM_HITS: u32 = 4;
/// Candidate stories compared member by member, the most alike first.
pub(super) const STORY_CANDIDATES: usize = 6;
/// Story-term postings walked per decision, the rarest terms first.
pub(super) const TERM_POSTINGS: usize = 128;
/// Reports looked up as candidates per decision, the most alike first.
pub(super) const CANDIDATES: usize = 48;

/// Prior documents for IDF: before the engine has seen much, every term weighs about the same
/// except the common ones below.
pub(super) const PRIOR_DOCS: f32 = 400.0;
/// Words every regional report uses: weighted down from the start.
pub(super) const COMMON: &[&str] = &[
    "област",
    "район",
    "город",
    "регион",
    "жител",
    "рубл",
    "человек",
    "глав",
    "администрац",
    "губернатор",
    "работ",
    "нов",
    "врем",
    "сегодн",
    "вчер",
    "ноябр",
    "декабр",
    "октябр",
    "тысяч",
    "миллион",
    "млн",
    "млрд",
    "процент",
    "дом",
    "улиц",
    "мест",
    "част",
    "заявлен",
    "информац",
    "данн",
    "проект",
    "мер",
    "решен",
    "вопрос",
    "центр",
    "служб",
    "сотрудник",
    "комментар",
    // The words of daily rubrics: «Погода на завтра», «Курс валют», «Афиша выходных».
    "погод",
    "завтр",
    "курс",
    "валют",
    "афиш",
    "выходн",
    "обстановк",
    "дорожн",
    "цен",
];
/// Two reports under the same headline further apart than this are a rubric's two issues.
pub(super) const RUBRIC_SECS: i64 = 6 * 3600;
/// Each day between two reports past the first hours asks for this much more similarity: the
/// reports of one event cluster within hours; the next day brings the affair's next stage.
pub(super) const PER_DAY_PENALTY: f32 = 0.3;
pub(super) const SAME_DAY_SECS: i64 = 6 * 3600;

/// The rules of a story decision that a labelled set chooses between.
#[derive(Debug, Clone, Copy)]
pub struct Tune {
    /// The share of the needed similarity every compared member must reach.
    pub member_share: f32,
    /// See `PER_DAY_PENALTY`.
    pub per_day: f32,
    /// See `ACT_PENALTY`.
    pub act_penalty: f32,
}

impl Default for Tune {
    fn default() -> Tune {
        Tune {
            member_share: MEMBER_SHARE,
            per_day: PER_DAY_PENALTY,
            act_penalty: ACT_PENALTY,
        }
    }
}

/// The share of the needed similarity each compared member must reach on its own.
pub(super) const MEMBER_SHARE: f32 = 0.8;

/// What a story asks more of a report whose title and lead share no predicate with its members
/// (in proportion to the members compared that share none): with it the threshold can be lower,
/// so reports that tell the same happening join more readily than stages of one affair.
pub(super) const ACT_PENALTY: f32 = 0.15;
