//! Every way real exports break pairs (docs/formats.md) is a named case.

use super::*;
use crate::meta::CaptureTime;

const A: &str = "E905E6C6-C747-4805-942F-9904A0281F02";
const B: &str = "465042F4-775C-430C-8AB1-AA783FD3FC3F";

fn t(s: &str) -> Option<CaptureTime> {
    CaptureTime::from_iso(s)
}

fn half<'a>(path: &'a str, id: Option<&'a str>, time: Option<CaptureTime>) -> Half<'a> {
    Half { path: Path::new(path), content_id: id, captured_at: time, modified: None, id_only: false }
}

/// A half last written `days` after 2020-01-01.
fn aged<'a>(path: &'a str, id: Option<&'a str>, time: Option<CaptureTime>, days: u64) -> Half<'a> {
    let modified = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_577_836_800 + days * 86_400);
    Half { modified: Some(modified), ..half(path, id, time) }
}

/// (still paths, clip paths) of the pairs, with how they matched.
fn run(stills: &[Half], clips: &[Half]) -> (Vec<(String, String, MatchedBy)>, usize, usize) {
    let p = pair(stills, clips, PairOptions::default());
    let pairs = p
        .pairs
        .iter()
        .map(|x| (stills[x.still].path.display().to_string(), clips[x.clip].path.display().to_string(), x.matched_by))
        .collect();
    (pairs, p.unpaired_stills.len(), p.unpaired_clips.len())
}

struct Case {
    name: &'static str,
    stills: Vec<Half<'static>>,
    clips: Vec<Half<'static>>,
    want: Vec<(&'static str, &'static str, MatchedBy)>,
}

fn cases() -> Vec<Case> {
    use MatchedBy::*;
    let noon = t("2021-04-10T12:00:00+01:00");
    let noon_clip = t("2021-04-10T11:59:59+01:00");
    vec![
        Case {
            name: "renamed halves in two folders pair by identifier",
            stills: vec![half("a/holiday.jpg", Some(A), noon)],
            clips: vec![half("b/clip-0042.mov", Some(A), noon_clip)],
            want: vec![("a/holiday.jpg", "b/clip-0042.mov", ContentId)],
        },
        Case {
            name: "takeout clip behind a HEIC name pairs by identifier",
            stills: vec![half("t/IMG_1234.HEIC", Some(A), noon)],
            clips: vec![half("t/IMG_1234(1).HEIC", Some(A), noon_clip)],
            want: vec![("t/IMG_1234.HEIC", "t/IMG_1234(1).HEIC", ContentId)],
        },
        Case {
            name: "icloud _HEVC clip with identifiers stripped pairs by name and time",
            stills: vec![half("d/IMG_1234.HEIC", None, noon)],
            clips: vec![half("d/IMG_1234_HEVC.MOV", None, noon_clip)],
            want: vec![("d/IMG_1234.HEIC", "d/IMG_1234_HEVC.MOV", NameAndTime)],
        },
        Case {
            name: "the same export copied twice pairs inside each folder",
            stills: vec![half("x/IMG_1.HEIC", Some(A), noon), half("y/IMG_1.HEIC", Some(A), noon)],
            clips: vec![half("y/IMG_1.MOV", Some(A), noon_clip), half("x/IMG_1.MOV", Some(A), noon_clip)],
            want: vec![("x/IMG_1.HEIC", "x/IMG_1.MOV", ContentId), ("y/IMG_1.HEIC", "y/IMG_1.MOV", ContentId)],
        },
        Case {
            name: "duplicate clips: the one beside the still wins, the other stays unpaired",
            stills: vec![half("x/IMG_1.HEIC", Some(A), noon)],
            clips: vec![half("backup/IMG_1.MOV", Some(A), noon_clip), half("x/IMG_1.MOV", Some(A), noon_clip)],
            want: vec![("x/IMG_1.HEIC", "x/IMG_1.MOV", ContentId)],
        },
        Case {
            name: "duplicates in one folder prefer the same stem",
            stills: vec![half("x/IMG_1.HEIC", Some(A), noon), half("x/IMG_1 2.HEIC", Some(A), noon)],
            clips: vec![half("x/IMG_1 2.MOV", Some(A), noon_clip), half("x/IMG_1.MOV", Some(A), noon_clip)],
            want: vec![("x/IMG_1 2.HEIC", "x/IMG_1 2.MOV", ContentId), ("x/IMG_1.HEIC", "x/IMG_1.MOV", ContentId)],
        },
        Case {
            name: "edited still that lost its MakerNote pairs with its clip by name and time",
            stills: vec![half("e/IMG_77.JPG", None, noon)],
            clips: vec![half("e/IMG_77.MOV", Some(A), noon_clip)],
            want: vec![("e/IMG_77.JPG", "e/IMG_77.MOV", NameAndTime)],
        },
        Case {
            name: "IMG_0001 reused years apart is never linked",
            stills: vec![half("r/IMG_0001.HEIC", None, t("2019-06-01T10:00:00+02:00"))],
            clips: vec![half("r/IMG_0001.MOV", None, t("2023-02-11T18:30:00+01:00"))],
            want: vec![],
        },
        Case {
            name: "same name, same minute, different identifiers: never linked",
            stills: vec![half("s/IMG_5.HEIC", Some(A), noon)],
            clips: vec![half("s/IMG_5.MOV", Some(B), noon_clip)],
            want: vec![],
        },
        Case {
            name: "same name but a capture time missing: not linked on name alone",
            stills: vec![half("s/IMG_6.HEIC", None, None)],
            clips: vec![half("s/IMG_6.MOV", None, noon_clip)],
            want: vec![],
        },
        Case {
            name: "same name in different folders without identifiers: not linked",
            stills: vec![half("p/IMG_7.HEIC", None, noon)],
            clips: vec![half("q/IMG_7.MOV", None, noon_clip)],
            want: vec![],
        },
        Case {
            name: "different names without identifiers: not linked even at the same time",
            stills: vec![half("p/IMG_8.HEIC", None, noon)],
            clips: vec![half("p/IMG_9.MOV", None, noon_clip)],
            want: vec![],
        },
        Case {
            name: "still without offset, clip with only UTC mvhd: matched across the time zone",
            stills: vec![half("z/IMG_10.JPG", None, CaptureTime::from_exif("2021:04:10 11:44:00", None, None))],
            clips: vec![half("z/IMG_10.MOV", None, CaptureTime::from_mvhd(3_700_896_239))],
            want: vec![("z/IMG_10.JPG", "z/IMG_10.MOV", NameAndTime)],
        },
        Case {
            name: "a matched identifier's spare copy does not fall back to name matching",
            stills: vec![half("w/IMG_11.HEIC", Some(A), noon), half("w/IMG_11 2.HEIC", Some(A), noon)],
            clips: vec![half("w/IMG_11.MOV", Some(A), noon_clip), half("w/IMG_11_HEVC.MOV", None, noon_clip)],
            want: vec![("w/IMG_11.HEIC", "w/IMG_11.MOV", ContentId)],
        },
        Case {
            name: "an orphan still with an identifier takes a stripped clip of the same name and time",
            stills: vec![half("o/IMG_12.HEIC", Some(B), noon)],
            clips: vec![half("o/IMG_12_HEVC.MOV", None, noon_clip)],
            want: vec![("o/IMG_12.HEIC", "o/IMG_12_HEVC.MOV", NameAndTime)],
        },
        Case {
            name: "two stripped shots of one name a minute apart: each clip goes to its own still",
            stills: vec![half("m/IMG_13.HEIC", None, noon), half("m/IMG_13(1).HEIC", None, t("2021-04-10T12:01:00+01:00"))],
            clips: vec![half("m/IMG_13(2).MOV", None, t("2021-04-10T12:00:59+01:00")), half("m/IMG_13.MOV", None, noon_clip)],
            want: vec![("m/IMG_13(1).HEIC", "m/IMG_13(2).MOV", NameAndTime), ("m/IMG_13.HEIC", "m/IMG_13.MOV", NameAndTime)],
        },
        Case {
            name: "an edit keeps its original's identifier: edits pair with edits, originals with originals",
            stills: vec![half("i/IMG_E1234.HEIC", Some(A), noon), half("i/IMG_1234.HEIC", Some(A), noon)],
            clips: vec![half("i/IMG_E1234.MOV", Some(A), noon_clip), half("i/IMG_1234.MOV", Some(A), noon_clip)],
            want: vec![("i/IMG_1234.HEIC", "i/IMG_1234.MOV", ContentId), ("i/IMG_E1234.HEIC", "i/IMG_E1234.MOV", ContentId)],
        },
        Case {
            name: "an edit's still never takes the original's clip unless asked",
            stills: vec![half("i/IMG_E1234.HEIC", Some(A), noon)],
            clips: vec![half("i/IMG_1234.MOV", Some(A), noon_clip)],
            want: vec![],
        },
        Case {
            name: "an osxphotos edit without identifiers pairs by its own name",
            stills: vec![half("x/IMG_1234_edited.jpeg", None, noon), half("x/IMG_1234.jpeg", None, noon)],
            clips: vec![half("x/IMG_1234.mov", None, noon_clip), half("x/IMG_1234_edited.mov", None, noon_clip)],
            want: vec![
                ("x/IMG_1234.jpeg", "x/IMG_1234.mov", NameAndTime),
                ("x/IMG_1234_edited.jpeg", "x/IMG_1234_edited.mov", NameAndTime),
            ],
        },
        Case {
            name: "vivo halves pair by their live photo id, in any folder under any name",
            stills: vec![vivo("v/IMG_20240501_100000.jpg", Some(V1), noon)],
            clips: vec![vivo("w/renamed.mp4", Some(V1), noon_clip)],
            want: vec![("v/IMG_20240501_100000.jpg", "w/renamed.mp4", ContentId)],
        },
        Case {
            name: "a vivo photo and a same-name video without its id stay two files (a Takeout trap)",
            stills: vec![vivo("v/IMG_20240501_100000.jpg", Some(V1), noon)],
            clips: vec![half("v/IMG_20240501_100000.mp4", None, noon_clip)],
            want: vec![],
        },
        Case {
            name: "two same-name vivo files whose ids differ are two shots",
            stills: vec![vivo("v/IMG_20240501_100000.jpg", Some(V1), noon)],
            clips: vec![vivo("v/IMG_20240501_100000.mp4", Some(V2), noon_clip)],
            want: vec![],
        },
    ]
}

/// A vivo live photo's ids: 28 characters, a millisecond time then hex, pairing by themselves only.
const V1: &str = "1781689481524ba274bd00000000";
const V2: &str = "1781689481525c0ffee000000000";

fn vivo<'a>(path: &'a str, id: Option<&'a str>, time: Option<CaptureTime>) -> Half<'a> {
    Half { id_only: true, ..half(path, id, time) }
}

#[test]
fn every_breakage_case() {
    for case in cases() {
        let (got, _, _) = run(&case.stills, &case.clips);
        let mut got: Vec<_> = got;
        got.sort();
        let mut want: Vec<_> = case.want.iter().map(|(s, c, m)| (s.to_string(), c.to_string(), *m)).collect();
        want.sort();
        assert_eq!(got, want, "case: {}", case.name);
    }
}

#[test]
fn no_file_is_used_twice_and_leftovers_are_complete() {
    for case in cases() {
        let p = pair(&case.stills, &case.clips, PairOptions::default());
        let mut s: Vec<usize> = p.pairs.iter().map(|x| x.still).chain(p.unpaired_stills.iter().copied()).collect();
        let mut c: Vec<usize> = p.pairs.iter().map(|x| x.clip).chain(p.unpaired_clips.iter().copied()).collect();
        s.sort();
        c.sort();
        assert_eq!(s, (0..case.stills.len()).collect::<Vec<_>>(), "case: {}", case.name);
        assert_eq!(c, (0..case.clips.len()).collect::<Vec<_>>(), "case: {}", case.name);
    }
}

#[test]
fn stem_key_strips_export_decorations() {
    for name in [
        "IMG_1234.HEIC",
        "img_1234_HEVC.MOV",
        "IMG_1234(1).HEIC",
        "IMG_1234 2.mov",
        "IMG_1234-2.JPG",
        "IMG_1234.HEIC.MOV",
        "IMG_1234 copy.jpg",
        "IMG_1234 (3).jpg",
    ] {
        assert_eq!(stem_key(Path::new(name)), "IMG_1234", "{name}");
    }
    assert_eq!(stem_key(Path::new("IMG_1234.jpg")), "IMG_1234");
    assert_eq!(stem_key(Path::new("20210410_114400.jpg")), "20210410_114400");
    assert_eq!(stem_key(Path::new("2.jpg")), "2");
}

/// Among equal candidates: the name without a copy suffix, then the oldest file (README
/// "Pairing rules"), whatever order the paths sort in.
#[test]
fn ties_prefer_the_name_without_a_copy_suffix_then_the_oldest_file() {
    let noon = t("2021-04-10T12:00:00+01:00");
    // "wave-2-2.jpg" sorts before "wave.jpg" ('-' < '.'): the copy must still lose
    let stills = [half("f/wave-2-2.jpg", Some(A), noon), half("f/wave.jpg", Some(A), noon)];
    let clips = [half("f/clip.mov", Some(A), noon)];
    assert_eq!(run(&stills, &clips).0, vec![("f/wave.jpg".into(), "f/clip.mov".into(), MatchedBy::ContentId)]);
    let stills = [half("f/IMG_1234(1).HEIC", Some(A), noon), half("f/IMG_1234.HEIC", Some(A), noon)];
    let clips = [half("f/IMG_1234(1).MOV", Some(A), noon), half("f/x.MOV", Some(A), noon)];
    let (got, ..) = run(&stills, &clips);
    assert!(got.contains(&("f/IMG_1234(1).HEIC".into(), "f/IMG_1234(1).MOV".into(), MatchedBy::ContentId)), "same names first: {got:?}");
    // no suffix to tell them apart: the oldest file is the original
    let stills = [aged("a/one.jpg", Some(A), noon, 30), aged("a/two.jpg", Some(A), noon, 2)];
    let clips = [aged("a/clip.mov", Some(A), noon, 5)];
    assert_eq!(run(&stills, &clips).0, vec![("a/two.jpg".into(), "a/clip.mov".into(), MatchedBy::ContentId)]);
}

/// (still path, clip path, how matched, the original's still path) of each pair.
fn linked(stills: &[Half], clips: &[Half], opts: PairOptions) -> Vec<(String, String, MatchedBy, Option<String>)> {
    let p = pair(stills, clips, opts);
    let still = |i: usize| stills[i].path.display().to_string();
    p.pairs
        .iter()
        .map(|x| (still(x.still), clips[x.clip].path.display().to_string(), x.matched_by, x.edit_of.map(|o| still(p.pairs[o].still))))
        .collect()
}

#[test]
fn edits_are_linked_to_their_originals_by_identifier_or_by_name() {
    let noon = t("2021-04-10T12:00:00+01:00");
    let row = |s: &str, c: &str, m, o: Option<&str>| (s.to_string(), c.to_string(), m, o.map(String::from));
    // AirDrop's FullSizeRender in another folder: the identifier links it
    let stills = [half("orig/IMG_1234.HEIC", Some(A), noon), half("drop/FullSizeRender.heic", Some(A), noon)];
    let clips = [half("drop/FullSizeRender.mov", Some(A), noon), half("orig/IMG_1234.MOV", Some(A), noon)];
    assert_eq!(
        linked(&stills, &clips, PairOptions::default()),
        vec![
            row("orig/IMG_1234.HEIC", "orig/IMG_1234.MOV", MatchedBy::ContentId, None),
            row("drop/FullSizeRender.heic", "drop/FullSizeRender.mov", MatchedBy::ContentId, Some("orig/IMG_1234.HEIC")),
        ]
    );
    // identifiers stripped: the edit's name and time in the same folder link it
    let stills = [half("s/IMG_E0042.JPG", None, noon), half("s/IMG_0042.JPG", None, noon), half("s/IMG_0043.JPG", None, noon)];
    let clips = [half("s/IMG_0042.MOV", None, noon), half("s/IMG_E0042.MOV", None, noon), half("s/IMG_0043.MOV", None, noon)];
    let got = linked(&stills, &clips, PairOptions::default());
    assert!(got.contains(&row("s/IMG_E0042.JPG", "s/IMG_E0042.MOV", MatchedBy::NameAndTime, Some("s/IMG_0042.JPG"))), "{got:?}");
    // the name alone, with capture times years apart, links nothing
    let later = t("2024-01-01T12:00:00+01:00");
    let stills = [half("s/IMG_E0042.JPG", None, later), half("s/IMG_0042.JPG", None, noon)];
    let clips = [half("s/IMG_0042.MOV", None, noon), half("s/IMG_E0042.MOV", None, later)];
    let got = linked(&stills, &clips, PairOptions::default());
    assert!(got.iter().all(|r| r.3.is_none()), "{got:?}");
}

#[test]
fn asked_to_an_edits_lone_still_takes_its_originals_clip() {
    let noon = t("2021-04-10T12:00:00+01:00");
    let asked = PairOptions { edit_uses_original_clip: true };
    let row = |s: &str, c: &str, m, o: Option<&str>| (s.to_string(), c.to_string(), m, o.map(String::from));
    // the original is a Live Photo: its clip serves both
    let stills = [half("i/IMG_1234.HEIC", Some(A), noon), half("i/IMG_E1234.HEIC", Some(A), noon), half("i/IMG_9.HEIC", Some(B), noon)];
    let clips = [half("i/IMG_1234.MOV", Some(A), noon), half("i/IMG_9.MOV", Some(B), noon)];
    assert_eq!(
        linked(&stills, &clips, asked),
        vec![
            row("i/IMG_1234.HEIC", "i/IMG_1234.MOV", MatchedBy::ContentId, None),
            row("i/IMG_E1234.HEIC", "i/IMG_1234.MOV", MatchedBy::OriginalClip, Some("i/IMG_1234.HEIC")),
            row("i/IMG_9.HEIC", "i/IMG_9.MOV", MatchedBy::ContentId, None),
        ]
    );
    let p = pair(&stills, &clips, PairOptions::default());
    assert_eq!(p.unpaired_stills, vec![1], "not asked: the edit's still stays alone");
    // only the original's clip was kept: the edit takes it, and it is no longer left over
    let stills = [half("i/IMG_E1234.HEIC", None, noon)];
    let clips = [half("i/IMG_1234.MOV", None, noon), half("i/IMG_1235.MOV", None, noon)];
    let p = pair(&stills, &clips, asked);
    assert_eq!((p.pairs.len(), p.pairs[0].clip, p.unpaired_clips.clone()), (1, 0, vec![1]));
}
