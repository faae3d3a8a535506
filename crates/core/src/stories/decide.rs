//! The decision for a new report: a copy by containment of sampled shingles, else a story by
//! cosine over a bounded set of candidate stories, with the guards of one event.

use rustc_hash::FxHashMap;

use super::held::Seat;
use super::params::*;
use super::{Decision, Engine, Entry, Fingerprint, Report, Work, containment};

/// What a held report shares with the report being decided.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Hit {
    samples: u32,
    terms: u32,
    /// The weight in the new report's vector of the story terms shared.
    weight: f32,
}

/// The members of a story a report is compared with: the first [`STORY_ANCHORS`] held and the
/// newest, [`STORY_MEMBERS`] in all.
pub(super) fn compared(members: &[Seat]) -> impl Iterator<Item = &Seat> {
    let anchors = STORY_ANCHORS.min(members.len());
    let newest = (STORY_MEMBERS - anchors).min(members.len() - anchors);
    members[..anchors]
        .iter()
        .chain(members[members.len() - newest..].iter())
}

impl Engine {
    /// Which copy group and story a new report belongs to. A report is compared only with other
    /// agencies' reports dated within the window: an agency's own items are its own decisions
    /// (a live blog's updates, a daily rubric that repeats its template), never copies of each
    /// other. It may still join a story that holds one of its items, through another agency.
    pub fn decide(&self, r: &Report) -> Decision {
        let mut w = Work {
            decisions: 1,
            ..Work::default()
        };
        let d = self.decide_counted(r, &mut w);
        let mut total = self.work.get();
        total.add(&w);
        self.work.set(total);
        d
    }

    fn decide_counted(&self, r: &Report, w: &mut Work) -> Decision {
        let near = |e: &Entry, secs: i64| (e.published - r.published).abs() <= secs;
        let source = self.sources.get(r.source).copied();
        // Copies first: the same text is the strongest evidence there is.
        let few_samples = r.fp.samples.len() < MIN_SAMPLES;
        let short = r.fp.samples.len() < 2 || (few_samples && r.fp.words < MIN_WORDS);
        for seat in self
            .by_exact
            .get(&r.fp.exact)
            .iter()
            .rev()
            .take(POSTING_SCAN)
        {
            if let Some(e) = self.entries.get(seat)
                && Some(e.source) != source
                && near(e, SHORT_COPY_SECS)
                && e.exact == r.fp.exact
            {
                w.exact += 1;
                return Decision::Copy {
                    of: e.id,
                    copy: e.copy,
                    story: e.story,
                };
            }
        }
        // Reports sharing samples or story terms, with how many of each and the weight in this
        // report of the terms they share (one map, its room kept from one decision to the
        // next). A copy shares at least two samples (half of four or more), which one
        // stock phrase alone does not make.
        let mut hits = self.hits.take();
        hits.clear();
        for s in &r.fp.samples {
            let seats = self.by_sample.get(s);
            if seats.len() <= FREQUENT_SAMPLE {
                w.postings += seats.len() as u64;
                for seat in seats {
                    hits.entry(*seat).or_default().samples += 1;
                }
            }
        }
        let vector = self.vector(r.fp);
        // The story terms rarest first (the shortest postings): a frequent term's postings,
        // which mostly bring reports that share nothing else, get what the rarer ones left
        // of the budget.
        let mut terms: Vec<(&[Seat], u32, f32)> = self
            .index_terms(&vector)
            .into_iter()
            .map(|(t, weight)| (self.by_term.get(&t), t, weight))
            .collect();
        terms.sort_unstable_by_key(|&(postings, t, _)| (postings.len(), t));
        let mut budget = TERM_POSTINGS;
        for (postings, _, weight) in terms {
            for seat in postings.iter().rev().take(POSTING_SCAN.min(budget)) {
                w.postings += 1;
                budget -= 1;
                let hit = hits.entry(*seat).or_default();
                hit.terms += 1;
                hit.weight += weight;
            }
        }
        // The candidates: a shared sample or two story terms. Only the most alike are looked
        // up (the share of this report's samples they hold, and the weight of the terms they
        // share), each once, and kept when dated within the window.
        let mut ranked: Vec<(Seat, Hit)> = hits
            .drain()
            .filter(|(_, h)| h.samples > 0 || h.terms >= 2)
            .collect();
        self.hits.set(hits);
        let samples_n = r.fp.samples.len().max(1) as f32;
        let likeness = |&(seat, h): &(Seat, Hit)| (h.samples as f32 / samples_n + h.weight, seat);
        if ranked.len() > CANDIDATES {
            ranked.select_nth_unstable_by(CANDIDATES - 1, |a, b| {
                let (a, b) = (likeness(a), likeness(b));
                b.0.total_cmp(&a.0).then(b.1.cmp(&a.1))
            });
            ranked.truncate(CANDIDATES);
        }
        let mut weight_of: Vec<f32> = Vec::with_capacity(ranked.len());
        let candidates: Vec<(&Entry, u32, u32)> = ranked
            .iter()
            .filter_map(|&(seat, h)| {
                w.candidates += 1;
                let e = self.entries.get(&seat).filter(|e| near(e, self.window))?;
                weight_of.push(h.weight);
                Some((e, h.samples, h.terms))
            })
            .collect();
        if !short {
            let mut samples = r.fp.samples.clone();
            samples.sort_unstable();
            let mut best: Option<(f64, i64, &Entry)> = None;
            for &(e, shared, terms) in &candidates {
                if e.samples.len() < MIN_SAMPLES {
                    continue;
                }
                // A report reached through the story terms alone is a copy only when it shares
                // most of them (a part of a longer text whose indexed samples lie elsewhere):
                // the many that share two or three terms are other reports on the subject.
                if (shared as usize) < r.fp.samples.len().min(2) && terms < COPY_TERM_HITS {
                    continue;
                }
                w.containments += 1;
                let c = containment_sorted(&samples, &e.samples);
                let enough = if Some(e.source) == source {
                    c >= SAME_SOURCE_CONTAINMENT && near(e, SAME_SOURCE_COPY_SECS)
                } else if few_samples {
                    // A lead of two sentences may draw few samples: every one of them must
                    // be found, within a day.
                    c >= 1.0 && near(e, 86_400)
                } else {
                    c >= COPY_CONTAINMENT
                };
                if enough && best.is_none_or(|(b, bid, _)| (c, e.id) > (b, bid)) {
                    best = Some((c, e.id, e));
                }
            }
            if let Some((_, id, e)) = best {
                return Decision::Copy {
                    of: id,
                    copy: e.copy,
                    story: e.story,
                };
            }
        }
        // Then stories: average linkage over the members of each candidate story, reached
        // through another agency's report.
        // Each story is weighed by the index keys its reports share with this one; only the
        // heaviest are compared member by member, so a report costs a bounded amount of work
        // however many look-alikes the window holds.
        // A story weighs what its most alike member shares: the weight in this report of the
        // story terms they both have (the rarer, the heavier), not how many members it has.
        let mut weights: FxHashMap<i64, f32> =
            FxHashMap::with_capacity_and_hasher(candidates.len(), Default::default());
        for (&(e, _, _), &weight) in candidates.iter().zip(&weight_of) {
            if Some(e.source) != source {
                let w = weights.entry(e.story).or_default();
                *w = w.max(weight);
            }
        }
        let mut stories: Vec<(f32, i64)> = weights.into_iter().map(|(s, w)| (w, s)).collect();
        stories.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
        stories.truncate(STORY_CANDIDATES);
        let mut best: Option<(f32, i64)> = None;
        let mut acts = r.fp.acts.clone();
        acts.sort_unstable();
        for (_, story) in stories {
            let Some(members) = self.stories.get(&story) else {
                continue;
            };
            w.stories += 1;
            let mut sum = 0.0;
            let mut n = 0;
            let mut named = false;
            let mut shared_names = 0;
            let mut closest = i64::MAX;
            let mut rubric = false;
            let (mut anchor_sum, mut anchors) = (0.0, 0);
            let mut far = false;
            let mut least = f32::MAX;
            let mut apart = 0;
            for (k, seat) in compared(members).enumerate() {
                // A story whose anchors are below the share of the least similarity it could
                // need is not this report's, whatever its newest members say (the check
                // below would refuse it): most candidates are, and stop after four cosines.
                if k == STORY_ANCHORS
                    && members.len() > STORY_ANCHORS
                    && anchors > 0
                    && anchor_sum / (anchors as f32) < ANCHOR_SHARE * self.story_similarity
                {
                    far = true;
                    break;
                }
                if let Some(e) = self.entries.get(seat) {
                    w.members += 1;
                    // The same headline hours apart in other words is a rubric («Погода на
                    // завтра», «Курс валют»), not one event.
                    rubric |= e.title == r.fp.title && !near(e, RUBRIC_SECS);
                    let c = cosine(&vector, &e.vector);
                    // Each member is asked for what its own distance in time asks: a story a
                    // day old is not joined through its newest member alone.
                    let days = ((e.published - r.published).abs() - SAME_DAY_SECS).max(0) as f32
                        / 86_400.0;
                    least = least.min(c - self.tune.member_share * self.tune.per_day * days);
                    sum += c;
                    n += 1;
                    if k < STORY_ANCHORS {
                        anchor_sum += c;
                        anchors += 1;
                    }
                    let shared = e.names.iter().filter(|x| r.fp.names.contains(x)).count();
                    named |= shared > 0;
                    apart += usize::from(acts_apart(&e.acts, &acts));
                    shared_names += shared;
                    closest = closest.min((e.published - r.published).abs());
                }
            }
            if n == 0 || rubric || far {
                continue;
            }
            // Names and numbers the report shares with the story's members speak for the same
            // event beyond what the cosine of all words says.
            let avg = sum / n as f32
                + NAME_BONUS * (shared_names as f32 / n as f32).min(MAX_NAME_BONUSES);
            let days_apart = (closest - SAME_DAY_SECS).max(0) as f32 / 86_400.0;
            // Members that tell another happening (no predicate in common) ask for more: the
            // same actors and place under other verbs are most often another stage.
            let mut need = self.story_similarity
                + self.tune.per_day * days_apart
                + self.tune.act_penalty * apart as f32 / n as f32;
            if !named {
                // Two reports that both name people, places or figures and share none of
                // them are about different events (the same rubric in two cities).
                let members_named = compared(members)
                    .filter_map(|seat| self.entries.get(seat))
                    .any(|e| !e.names.is_empty());
                if members_named && !r.fp.names.is_empty() {
                    continue;
                }
                need += NO_NAME_PENALTY;
            }
            // A big story's newest members may have wandered; the report must still resemble
            // where the story began. (A story of a few reports is all anchors: the average
            // above already asks it.)
            let anchored = members.len() <= STORY_ANCHORS
                || anchors == 0
                || anchor_sum / anchors as f32 >= ANCHOR_SHARE * need;
            // Every member compared must resemble the report, not only their average (a relaxed
            // complete linkage): a story of an affair's several events holds members the report
            // only half shares.
            let agreed = least >= self.tune.member_share * (need - self.tune.per_day * days_apart);
            if anchored && agreed && avg >= need && best.is_none_or(|(b, s)| (avg, story) > (b, s))
            {
                best = Some((avg, story));
            }
        }
        match best {
            Some((score, story)) => Decision::Story { story, score },
            None => Decision::New,
        }
    }

    /// How alike two fingerprints are, as the engine sees them now: (containment of samples,
    /// cosine of IDF-weighted terms). For diagnostics and the evaluation.
    pub fn similarity(&self, a: &Fingerprint, b: &Fingerprint) -> (f64, f32) {
        (
            containment(&a.samples, &b.samples),
            cosine(&self.vector(a), &self.vector(b)),
        )
    }

    /// The heaviest terms of a vector: the story index's keys.
    pub(super) fn index_terms(&self, vector: &[(u32, f32)]) -> Vec<(u32, f32)> {
        let mut v = vector.to_vec();
        v.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(INDEX_TERMS);
        v
    }
}

/// Two reports that both say what happened (see `Fingerprint::acts`, here sorted) with no
/// predicate in common.
fn acts_apart(a: &[u32], b: &[u32]) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return false,
        }
    }
    true
}

/// [`containment`] of two sorted sample lists, without building a set: the same value, a
/// merge of the two instead of a hash of the larger.
pub(super) fn containment_sorted(a: &[u32], b: &[u32]) -> f64 {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if small.is_empty() {
        return 0.0;
    }
    let (mut j, mut common) = (0, 0);
    for s in small {
        while j < large.len() && large[j] < *s {
            j += 1;
        }
        if j < large.len() && large[j] == *s {
            common += 1;
        }
    }
    common as f64 / small.len() as f64
}

pub(super) fn cosine(a: &[(u32, f32)], b: &[(u32, f32)]) -> f32 {
    let (mut i, mut j, mut dot) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                dot += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    dot
}
