//! Pairing stills with clips: a pure function, no I/O (docs/formats.md "Where exports break pairs").
//!
//! 1. By content identifier. When several stills or clips share one (the same export copied
//!    twice), prefer the same folder, then the same name stem, then the nearest capture time,
//!    then names without a copy suffix (`wave.jpg` over `wave-2-2.jpg`, `IMG_1234.HEIC` over
//!    `IMG_1234(1).HEIC`), then the oldest file, then the first path in sorted order.
//! 2. For what is left without a usable identifier: same folder, same stem (ignoring `_HEVC`,
//!    `(1)`, `-2`, ` 2`, ` copy` suffixes), and capture times within [`TIME_TOLERANCE_S`].
//!    Never two different identifiers, never disagreeing or unknown times, never a file twice.
//! 3. Edited versions ([`edits`]) pair only with edits, originals only with originals; each edit
//!    is then linked to its original's pair. Asked to, an edit's lone still takes its original's
//!    clip (that clip then serves two Live Photos).

mod half;
mod names;

pub use half::{Half, MatchedBy, Pair, PairOptions, Pairing, TIME_TOLERANCE_S};
#[cfg(test)]
use names::stem_key;
use names::{plain_stem, stem_of, upper_name};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::Path;

/// Pairs `stills` with `clips` (indices into each slice).
pub fn pair(stills: &[Half], clips: &[Half], opts: PairOptions) -> Pairing {
    let mut used_s = vec![false; stills.len()];
    let mut used_c = vec![false; clips.len()];
    let mut pairs = Vec::new();

    // an edit keeps its original's identifier: the key is (identifier, edited)
    let mut by_id: Groups = BTreeMap::new();
    // what each name says, worked out once per file
    let (s_names, c_names): (Vec<Named>, Vec<Named>) = (stills.iter().map(named).collect(), clips.iter().map(named).collect());
    let s_edit: Vec<bool> = s_names.iter().map(|n| n.edited).collect();
    let c_edit: Vec<bool> = c_names.iter().map(|n| n.edited).collect();
    let names = (&s_names[..], &c_names[..]);
    for (i, k) in stills.iter().enumerate().filter_map(|(i, s)| Some((i, id_key(s, s_edit[i])?))) {
        by_id.entry(k).or_default().0.push(i);
    }
    for (i, k) in clips.iter().enumerate().filter_map(|(i, c)| Some((i, id_key(c, c_edit[i])?))) {
        by_id.entry(k).or_default().1.push(i);
    }
    for (ss, cs) in by_id.values() {
        let cands = candidates(stills, clips, names, ss, cs, |_, _, _| true);
        take_greedy(cands, &mut used_s, &mut used_c, MatchedBy::ContentId, &mut pairs);
    }

    // Step 2: only files whose identifier is absent or found on no file of the other kind.
    let orphan = |h: &Half, edited: bool, others: &Groups, still: bool| match id_key(h, edited) {
        _ if h.id_only => false,
        None => true,
        Some(k) => others.get(&k).is_none_or(|(s, c)| if still { c.is_empty() } else { s.is_empty() }),
    };
    // by folder (its bytes: comparing paths component by component is slower) and name stem
    let mut buckets: BTreeMap<(&[u8], &str), Indices> = BTreeMap::new();
    fn bucket<'a>(path: &'a Path, n: &'a Named) -> (&'a [u8], &'a str) {
        (path.parent().unwrap_or(Path::new("")).as_os_str().as_encoded_bytes(), n.stem())
    }
    for (i, s) in stills.iter().enumerate().filter(|(i, s)| !used_s[*i] && orphan(s, s_edit[*i], &by_id, true)) {
        buckets.entry(bucket(s.path, &s_names[i])).or_default().0.push(i);
    }
    for (i, c) in clips.iter().enumerate().filter(|(i, c)| !used_c[*i] && orphan(c, c_edit[*i], &by_id, false)) {
        buckets.entry(bucket(c.path, &c_names[i])).or_default().1.push(i);
    }
    for (ss, cs) in buckets.values() {
        let cands = candidates(stills, clips, names, ss, cs, |s, c, gap| {
            let ids_agree = match (&s.content_id, &c.content_id) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            };
            ids_agree && gap <= TIME_TOLERANCE_S
        });
        take_greedy(cands, &mut used_s, &mut used_c, MatchedBy::NameAndTime, &mut pairs);
    }
    if opts.edit_uses_original_clip {
        edits::borrow_original_clips((stills, &s_edit), (clips, &c_edit), &mut used_s, &mut used_c, &mut pairs);
    }

    pairs.sort_by_key(|p| (p.still, p.clip));
    edits::link(stills, clips, &s_edit, &mut pairs);
    Pairing {
        pairs,
        unpaired_stills: (0..stills.len()).filter(|&i| !used_s[i]).collect(),
        unpaired_clips: (0..clips.len()).filter(|&i| !used_c[i]).collect(),
        edited_stills: s_edit,
    }
}

/// Stills and clips (indices into each list).
type Indices = (Vec<usize>, Vec<usize>);

/// Stills and clips (indices) by identifier group.
type Groups<'h> = BTreeMap<(&'h str, bool), Indices>;

/// Which identifier group a half belongs to: an edit keeps its original's identifier.
fn id_key<'a>(h: &Half<'a>, edited: bool) -> Option<(&'a str, bool)> {
    h.content_id.map(|id| (id, edited))
}

/// A possible pair and how good it is: lower sorts first.
struct Cand {
    other_folder: bool,
    other_exact_stem: bool,
    other_stem: bool,
    gap: f64,
    /// How many of the two names carry a copy suffix (`-2`, `(1)`, ` copy`).
    copies: u8,
    /// Modification times, oldest first (unknown last).
    ages: (Option<std::time::SystemTime>, Option<std::time::SystemTime>),
    still: usize,
    clip: usize,
}

/// What a file's name says, for pairing: its stems and whether it names an edit.
struct Named {
    /// The name in upper case; both stems are prefixes of it.
    upper: String,
    /// The length of [`plain_stem`]: copy counters kept.
    plain: usize,
    /// The length of [`stem_of`]: export decorations removed.
    stem: usize,
    edited: bool,
}

impl Named {
    fn plain(&self) -> &str {
        &self.upper[..self.plain]
    }

    fn stem(&self) -> &str {
        &self.upper[..self.stem]
    }

    /// A name that carries a copy suffix (`IMG_1234(1).HEIC`, `wave-2-2.jpg`, `IMG_1 copy.jpg`):
    /// its stem without export decorations differs from its plain stem.
    fn is_copy(&self) -> bool {
        self.plain != self.stem
    }
}

fn named(h: &Half) -> Named {
    let upper = upper_name(h.path);
    let (plain, stem) = (plain_stem(&upper).len(), stem_of(&upper));
    Named { plain, stem: stem.len(), edited: edits::is_edit_stem(stem), upper }
}

fn candidates(
    stills: &[Half],
    clips: &[Half],
    (s_names, c_names): (&[Named], &[Named]),
    ss: &[usize],
    cs: &[usize],
    allowed: impl Fn(&Half, &Half, f64) -> bool,
) -> Vec<Cand> {
    let mut out = Vec::new();
    for &si in ss {
        for &ci in cs {
            let (s, c) = (&stills[si], &clips[ci]);
            let (sn, cn) = (&s_names[si], &c_names[ci]);
            let gap = match (&s.captured_at, &c.captured_at) {
                (Some(a), Some(b)) => a.distance(b),
                _ => f64::INFINITY,
            };
            if allowed(s, c, gap) {
                out.push(Cand {
                    other_folder: s.path.parent() != c.path.parent(),
                    other_exact_stem: sn.plain() != cn.plain(),
                    other_stem: sn.stem() != cn.stem(),
                    gap,
                    copies: u8::from(sn.is_copy()) + u8::from(cn.is_copy()),
                    ages: (s.modified, c.modified),
                    still: si,
                    clip: ci,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        (a.other_folder, a.other_exact_stem, a.other_stem)
            .cmp(&(b.other_folder, b.other_exact_stem, b.other_stem))
            .then(a.gap.partial_cmp(&b.gap).unwrap_or(Ordering::Equal))
            .then(a.copies.cmp(&b.copies))
            .then(oldest_first(a.ages.0, b.ages.0))
            .then(oldest_first(a.ages.1, b.ages.1))
            .then((a.still, a.clip).cmp(&(b.still, b.clip)))
    });
    out
}

/// Older first; a file whose time is unknown after those whose time is known.
fn oldest_first(a: Option<std::time::SystemTime>, b: Option<std::time::SystemTime>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.cmp(&b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn take_greedy(cands: Vec<Cand>, used_s: &mut [bool], used_c: &mut [bool], by: MatchedBy, pairs: &mut Vec<Pair>) {
    for c in cands {
        if !used_s[c.still] && !used_c[c.clip] {
            used_s[c.still] = true;
            used_c[c.clip] = true;
            pairs.push(Pair { still: c.still, clip: c.clip, matched_by: by, edit_of: None });
        }
    }
}

pub mod edits;
#[cfg(test)]
mod tests;
