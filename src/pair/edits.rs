//! Edited versions of a Live Photo, told by name: Photos and iCloud write `IMG_E1234.HEIC` +
//! `IMG_E1234.MOV`, osxphotos `IMG_1234_edited.jpeg`, AirDrop `FullSizeRender.heic`. An edit keeps
//! its original's content identifier, so identifiers alone cannot tell the two apart: edits pair
//! with edits and originals with originals, then each edit is linked to its original.

use super::half::{Half, MatchedBy, Pair, TIME_TOLERANCE_S};
use super::names::stem_key;
use std::collections::HashMap;
use std::path::Path;

/// Whether `path` names an edited version and, when the name tells, its original's stem
/// (upper case, as [`stem_key`] gives it; `FullSizeRender` names none).
fn edit_base(path: &Path) -> Option<Option<String>> {
    edit_base_of(&stem_key(path))
}

/// [`edit_base`] of a name's [`stem_key`].
fn edit_base_of(stem: &str) -> Option<Option<String>> {
    if stem == "FULLSIZERENDER" {
        return Some(None);
    }
    if let Some(base) = stem.strip_suffix("_EDITED").filter(|b| !b.is_empty()) {
        return Some(Some(base.to_string()));
    }
    let (head, digits) = stem.rsplit_once("_E")?;
    (!head.is_empty() && digits.len() >= 4 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| Some(format!("{head}_{digits}")))
}

/// `IMG_E1234.HEIC`, `IMG_1234_edited.mov`, `FullSizeRender (1).heic` are edits; `IMG_1234.HEIC` is not.
pub fn is_edit(path: &Path) -> bool {
    edit_base(path).is_some()
}

/// [`is_edit`] of a name's [`stem_key`].
pub(super) fn is_edit_stem(stem: &str) -> bool {
    edit_base_of(stem).is_some()
}

/// How well `orig` (a half of an original) fits `edit` (a half of an edit): the same identifier,
/// else the original's name in the same folder with capture times that agree. Lower is better;
/// `None` when it does not fit at all.
fn fit(edit: &Half, orig: &Half) -> Option<bool> {
    let other_folder = edit.path.parent() != orig.path.parent();
    match (&edit.content_id, &orig.content_id) {
        (Some(a), Some(b)) => (a == b).then_some(other_folder),
        _ => {
            let named = edit_base(edit.path).flatten().is_some_and(|base| base == stem_key(orig.path));
            let gap = match (&edit.captured_at, &orig.captured_at) {
                (Some(a), Some(b)) => a.distance(b),
                _ => f64::INFINITY,
            };
            (named && !other_folder && gap <= TIME_TOLERANCE_S).then_some(false)
        }
    }
}

/// The best of `origs` (index, still-or-clip half) for `edit`: same folder first, then the first.
fn best<'a: 'h, 'h>(edit: &Half, origs: impl Iterator<Item = (usize, &'h Half<'a>)>) -> Option<usize> {
    origs.filter_map(|(i, h)| fit(edit, h).map(|other| (other, i))).min().map(|(_, i)| i)
}

/// Originals' halves by identifier and by (folder, name stem): an edit is compared only with
/// those that can [`fit`] it, not with the whole library (exports hold tens of thousands).
struct Originals<'h> {
    by_id: HashMap<&'h str, Vec<Indexed<'h>>>,
    by_name: HashMap<(Option<&'h Path>, String), Vec<Indexed<'h>>>,
}

/// What to answer with, and an original's half.
type Indexed<'h> = (usize, &'h Half<'h>);

impl<'h> Originals<'h> {
    fn new(halves: impl Iterator<Item = Indexed<'h>>) -> Self {
        let mut o = Originals { by_id: HashMap::new(), by_name: HashMap::new() };
        for (k, h) in halves {
            if let Some(id) = h.content_id {
                o.by_id.entry(id).or_default().push((k, h));
            }
            o.by_name.entry((h.path.parent(), stem_key(h.path))).or_default().push((k, h));
        }
        o
    }

    /// [`best`] among the indexed halves that `keep` lets through.
    fn best_for(&self, edit: &Half, keep: impl Fn(usize) -> bool) -> Option<usize> {
        let by_id = edit.content_id.and_then(|id| self.by_id.get(id));
        let by_name = edit_base(edit.path).flatten().and_then(|base| self.by_name.get(&(edit.path.parent(), base)));
        best(edit, by_id.into_iter().chain(by_name).flatten().copied().filter(|(k, _)| keep(*k)))
    }
}

/// `--edit-uses-original-clip`: each edit's still left without a clip takes its original's clip
/// — the clip of the original's Live Photo, else an original clip nobody took. The first kind
/// of clip then belongs to two Live Photos. `s_edit`/`c_edit`: which stills and clips are edits.
pub(super) fn borrow_original_clips(
    (stills, s_edit): (&[Half], &[bool]),
    (clips, c_edit): (&[Half], &[bool]),
    used_s: &mut [bool],
    used_c: &mut [bool],
    pairs: &mut Vec<Pair>,
) {
    let originals = pairs.iter().filter(|p| !s_edit[p.still] && !c_edit[p.clip]);
    let of_pairs = Originals::new(originals.flat_map(|p| [(p.clip, &stills[p.still]), (p.clip, &clips[p.clip])]));
    let free = Originals::new(clips.iter().enumerate().filter(|(i, _)| !used_c[*i] && !c_edit[*i]));
    let lone_edits: Vec<usize> = (0..stills.len()).filter(|&i| !used_s[i] && s_edit[i]).collect();
    for si in lone_edits {
        let s = &stills[si];
        let clip = of_pairs.best_for(s, |_| true).or_else(|| free.best_for(s, |ci| !used_c[ci]).inspect(|&ci| used_c[ci] = true));
        if let Some(clip) = clip {
            used_s[si] = true;
            pairs.push(Pair { still: si, clip, matched_by: MatchedBy::OriginalClip, edit_of: None });
        }
    }
}

/// Sets each edit's `edit_of` to the index of its original's pair, when there is one.
pub(super) fn link(stills: &[Half], clips: &[Half], s_edit: &[bool], pairs: &mut [Pair]) {
    let edited: Vec<bool> = pairs.iter().map(|p| s_edit[p.still]).collect();
    if !edited.contains(&true) {
        return; // no edits: no index of the originals to build
    }
    let originals = pairs.iter().enumerate().filter(|(o, _)| !edited[*o]);
    let index = Originals::new(originals.flat_map(|(o, p)| [(o, &stills[p.still]), (o, &clips[p.clip])]));
    let found: Vec<(usize, Option<usize>)> = (0..pairs.len())
        .filter(|&e| edited[e])
        .map(|e| (e, index.best_for(&stills[pairs[e].still], |_| true).or_else(|| index.best_for(&clips[pairs[e].clip], |_| true))))
        .collect();
    for (e, o) in found {
        pairs[e].edit_of = o;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_names_and_their_originals() {
        let base = |n: &str| edit_base(Path::new(n));
        assert_eq!(base("IMG_E1234.HEIC"), Some(Some("IMG_1234".into())));
        assert_eq!(base("IMG_E1234.MOV"), Some(Some("IMG_1234".into())));
        assert_eq!(base("img_e0042 (1).jpg"), Some(Some("IMG_0042".into())));
        assert_eq!(base("IMG_1234_edited.jpeg"), Some(Some("IMG_1234".into())));
        assert_eq!(base("FullSizeRender.heic"), Some(None));
        assert_eq!(base("FullSizeRender 2.mov"), Some(None));
        for original in ["IMG_1234.HEIC", "IMG_E12.HEIC", "_E1234.jpg", "EDITED.jpg", "IMG_EXPO.jpg", "DSC_E9.JPG"] {
            assert_eq!(base(original), None, "{original}");
        }
    }
}
