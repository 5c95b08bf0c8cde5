//! XMP packets read and edited as XML (docs/formats.md "Android motion photos"): properties are
//! matched by namespace URI whatever their prefix, as attributes of any `rdf:Description`
//! (nested ones too) or as simple elements, with entities decoded. A packet that stops being
//! well-formed part-way gives what was read before the fault, as EXIF debris is read elsewhere.
//!
//! The motion-photo edit ([`without_motion`]) is what a still taken out of a motion photo needs:
//! the Camera namespace's `MotionPhoto*`/`MicroVideo*` properties (and OPPO's `OpCamera:` ones
//! about its video) and the Container directory's video item go; everything else, a gain map's
//! item included, stays as written.

use quick_xml::escape::unescape;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, QName, ResolveResult};
use quick_xml::reader::NsReader;
use quick_xml::writer::Writer;
use quick_xml::XmlVersion;
use std::borrow::Cow;

/// What starts a JPEG APP1 segment that holds the XMP packet.
pub const XMP_SIGNATURE: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";

/// Google's camera namespace (`GCamera:` in files, `Camera:` in the spec).
pub const CAMERA: &str = "http://ns.google.com/photos/1.0/camera/";
/// The container directory (`Container:Directory`, `Container:Item`).
pub const CONTAINER: &str = "http://ns.google.com/photos/1.0/container/";
/// A directory item's fields (`Item:Semantic`, `Item:Length`, ...).
pub const ITEM: &str = "http://ns.google.com/photos/1.0/container/item/";
/// OPPO's camera namespace (`OpCamera:`), shared by OnePlus and realme.
pub const OPLUS: &str = "http://ns.oplus.com/photos/1.0/camera/";

/// One property: its namespace URI, local name and decoded value.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    pub ns: String,
    pub name: String,
    pub value: String,
}

/// A `Container:Directory` item's fields, in document order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Item {
    pub mime: Option<String>,
    pub semantic: Option<String>,
    pub length: Option<u64>,
    pub padding: Option<u64>,
}

/// What a packet says: its properties (attributes and simple elements) and directory items.
#[derive(Debug, Default, PartialEq)]
pub struct Xmp {
    pub properties: Vec<Property>,
    pub items: Vec<Item>,
}

impl Xmp {
    /// The first value of property `name` in namespace `ns`.
    pub fn get(&self, ns: &str, name: &str) -> Option<&str> {
        self.properties.iter().find(|p| p.ns == ns && p.name == name).map(|p| p.value.trim())
    }
}

/// The namespace a name is in: its bound URI, or for a prefix the packet never declared, the
/// URI that prefix stands for in Google's specs (hand-assembled packets omit the declarations).
fn namespace(resolved: ResolveResult<'_>, qname: QName<'_>) -> String {
    match resolved {
        ResolveResult::Bound(Namespace(uri)) => uri.to_string(),
        _ => match qname.prefix().map(|p| p.into_inner()) {
            Some("GCamera" | "Camera") => CAMERA.to_string(),
            Some("Container") => CONTAINER.to_string(),
            Some("Item") => ITEM.to_string(),
            _ => String::new(),
        },
    }
}

/// One element event as the edit needs it: namespace, local name, and (for a start or empty
/// tag) its attributes resolved.
struct Tag {
    ns: String,
    local: String,
    attrs: Vec<(String, String, String)>,
}

fn tag(reader: &NsReader<&[u8]>, start: &BytesStart<'_>) -> Tag {
    let (res, local) = reader.resolver().resolve_element(start.name());
    let ns = namespace(res, start.name());
    let mut attrs = Vec::new();
    for a in start.attributes().with_checks(false).flatten() {
        let (res, local) = reader.resolver().resolve_attribute(a.key);
        let value = a.normalized_value(XmlVersion::Implicit1_0).map_or_else(|_| a.value.to_string(), Cow::into_owned);
        attrs.push((namespace(res, a.key), local.into_inner().to_string(), value));
    }
    Tag { ns, local: local.into_inner().to_string(), attrs }
}

/// Every event of the packet with its tag (for starts and empties), up to the end or the first
/// fault. The text is read as UTF-8 (XMP's encoding), invalid bytes replaced.
fn events(packet: &[u8]) -> Vec<(Event<'static>, Option<Tag>)> {
    let text = String::from_utf8_lossy(packet);
    let mut reader = NsReader::from_str(&text);
    reader.config_mut().check_end_names = false;
    let mut out = Vec::new();
    // a packet is at most a file's size; each event consumes input, so this loop ends
    loop {
        let event = match reader.read_event() {
            Ok(Event::Eof) | Err(_) => break,
            Ok(e) => e.into_owned(),
        };
        let t = match &event {
            Event::Start(s) | Event::Empty(s) => Some(tag(&reader, s)),
            _ => None,
        };
        out.push((event, t));
    }
    out
}

/// A text event's decoded content (entities and character references resolved).
fn text_of(event: &Event<'_>) -> Option<String> {
    match event {
        Event::Text(t) => Some(unescape(t).map_or_else(|_| t.to_string(), Cow::into_owned)),
        Event::CData(t) => Some(t.to_string()),
        Event::GeneralRef(r) => Some(unescape(&format!("&{};", &**r)).map_or_else(|_| String::new(), Cow::into_owned)),
        _ => None,
    }
}

/// Reads a packet's properties and directory items.
pub fn parse(packet: &[u8]) -> Xmp {
    let mut xmp = Xmp::default();
    let events = events(packet);
    // (ns, local) of the open elements, and the directory item each level belongs to
    let mut open: Vec<(String, String, Option<usize>)> = Vec::new();
    let mut text = String::new();
    for (event, t) in &events {
        let in_item = open.last().and_then(|o| o.2);
        match (event, t) {
            (Event::Start(_) | Event::Empty(_), Some(t)) => {
                let item = if t.ns == CONTAINER && t.local == "Item" {
                    xmp.items.push(Item::default());
                    Some(xmp.items.len() - 1)
                } else {
                    in_item
                };
                for (ns, name, value) in &t.attrs {
                    add(&mut xmp, item, ns, name, value);
                }
                if matches!(event, Event::Start(_)) {
                    open.push((t.ns.clone(), t.local.clone(), item));
                    text.clear();
                }
            }
            (Event::End(_), _) => {
                if let Some((ns, name, _)) = open.pop() {
                    let item = open.last().and_then(|o| o.2);
                    if !text.trim().is_empty() {
                        add(&mut xmp, item, &ns, &name, &text);
                    }
                }
                text.clear();
            }
            (e, _) => text.push_str(&text_of(e).unwrap_or_default()),
        }
    }
    xmp
}

/// Files a property: an `Item:` field goes to the directory item it is inside.
fn add(xmp: &mut Xmp, item: Option<usize>, ns: &str, name: &str, value: &str) {
    if ns == ITEM {
        if let Some(it) = item.and_then(|i| xmp.items.get_mut(i)) {
            let number = || value.trim().parse::<u64>().ok();
            match name {
                "Mime" => it.mime = Some(value.trim().to_string()),
                "Semantic" => it.semantic = Some(value.trim().to_string()),
                "Length" => it.length = number(),
                "Padding" => it.padding = number(),
                _ => {}
            }
            return;
        }
    }
    if ns == "http://www.w3.org/1999/02/22-rdf-syntax-ns#" || ns == "http://www.w3.org/2000/xmlns/" {
        return;
    }
    xmp.properties.push(Property { ns: ns.to_string(), name: name.to_string(), value: value.to_string() });
}

/// A property that announces an embedded video: Google's Camera namespace's `MotionPhoto*` and
/// `MicroVideo*`, and OPPO's (`OpCamera:`) `MotionPhoto*`, `VideoLength` and `OLivePhoto*`.
fn is_motion_property(ns: &str, local: &str) -> bool {
    let google = ns == CAMERA && (local.starts_with("MotionPhoto") || local.starts_with("MicroVideo"));
    let oplus = ns == OPLUS && (local.starts_with("MotionPhoto") || local == "VideoLength" || local.starts_with("OLivePhoto"));
    google || oplus
}

/// The packet without what announces a video: the Camera namespace's `MotionPhoto*` and
/// `MicroVideo*` properties, the directory's `MotionPhoto` item (its `rdf:li`), and the whole
/// directory when only the primary image is left in it. `None` when nothing had to go. The
/// rest is written back as it was (other properties, a gain map's item, namespaces).
pub fn without_motion(packet: &[u8]) -> Option<Vec<u8>> {
    let events = events(packet);
    let drop = dropped_ranges(&events);
    let mut changed = !drop.is_empty();
    let mut writer = Writer::new(Vec::with_capacity(packet.len()));
    let mut i = 0;
    while i < events.len() {
        if let Some(&(_, end)) = drop.iter().find(|(s, _)| *s == i) {
            i = end + 1;
            continue;
        }
        let (event, t) = &events[i];
        let written = match (event, t) {
            (Event::Start(s) | Event::Empty(s), Some(t)) if t.attrs.iter().any(|(ns, l, _)| is_motion_property(ns, l)) => {
                changed = true;
                let kept = kept_attributes(s, t);
                let mut start = BytesStart::new(s.name().into_inner().to_string());
                start.extend_attributes(kept.iter().map(|(k, v)| Attribute { key: QName(k), value: Cow::Borrowed(v.as_str()) }));
                match event {
                    Event::Start(_) => writer.write_event(Event::Start(start)),
                    _ => writer.write_event(Event::Empty(start)),
                }
            }
            (e, _) => writer.write_event(e.borrow()),
        };
        if written.is_err() {
            return None;
        }
        i += 1;
    }
    changed.then(|| writer.into_inner())
}

/// A start tag's attributes but the motion properties, raw (as escaped in the file). `t` holds
/// the same attributes, in the same order, resolved to their namespaces.
fn kept_attributes(s: &BytesStart<'_>, t: &Tag) -> Vec<(String, String)> {
    let mut attributes = s.attributes();
    let raw = attributes.with_checks(false).flatten();
    raw.zip(&t.attrs)
        .filter(|(_, (ns, local, _))| !is_motion_property(ns, local))
        .map(|(a, _)| (a.key.into_inner().to_string(), a.value.to_string()))
        .collect()
}

/// Event ranges (start, end inclusive) to leave out: motion-property elements, the `rdf:li`
/// holding the video item, and a directory left with nothing but the primary image.
fn dropped_ranges(events: &[(Event<'static>, Option<Tag>)]) -> Vec<(usize, usize)> {
    let end_of = |start: usize| end_of(events, start);
    let is_video_item = |t: &Tag| t.ns == CONTAINER && t.local == "Item";
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < events.len() {
        let (e, t) = &events[i];
        let Some(t) = t else {
            i += 1;
            continue;
        };
        if is_motion_property(&t.ns, &t.local) {
            let end = end_of(i);
            out.push((i, end));
            i = end + 1;
            continue;
        }
        if t.ns == CONTAINER && t.local == "Directory" && matches!(e, Event::Start(_)) {
            let end = end_of(i);
            let inner = parse_range(events, i, end);
            let keeps_other = inner.items.iter().any(|it| !matches!(it.semantic.as_deref(), Some("MotionPhoto" | "Primary")));
            if !inner.items.iter().any(|it| it.semantic.as_deref() == Some("MotionPhoto")) {
                i = end + 1;
                continue;
            }
            if !keeps_other {
                out.push((i, end));
                i = end + 1;
                continue;
            }
            // keep the directory: drop each list entry that holds the video item
            let mut j = i + 1;
            while j < end {
                let is_li = events[j].1.as_ref().is_some_and(|t| t.local == "li");
                let li_end = if is_li { end_of(j) } else { j };
                let video = is_li && parse_range(events, j, li_end).items.iter().any(|it| it.semantic.as_deref() == Some("MotionPhoto"));
                if video || events[j].1.as_ref().is_some_and(|t| is_video_item(t) && item_semantic(t) == Some("MotionPhoto")) {
                    out.push((j, li_end.max(end_of(j))));
                }
                j = li_end.max(j) + 1;
            }
            i = end + 1;
            continue;
        }
        i += 1;
    }
    out
}

/// The index of the event that closes the element opened at `start` (`start` itself for an
/// empty element or text; the last event when the packet stops first).
fn end_of(events: &[(Event<'static>, Option<Tag>)], start: usize) -> usize {
    let mut depth = 0usize;
    for (j, (e, _)) in events.iter().enumerate().skip(start) {
        match e {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return j;
                }
            }
            _ if depth == 0 => return j,
            _ => {}
        }
    }
    events.len().saturating_sub(1)
}

/// The packet with `li` (an `rdf:li` element, as XML that declares the namespaces it uses) added
/// last to its container directory's list: a gain map's directory gains the video, so one
/// directory lists every item in file order. `None` when the packet has no directory, or one
/// whose list is not its last child.
pub fn with_directory_item(packet: &[u8], li: &str) -> Option<Vec<u8>> {
    let events = events(packet);
    let start = events
        .iter()
        .position(|(e, t)| matches!(e, Event::Start(_)) && t.as_ref().is_some_and(|t| t.ns == CONTAINER && t.local == "Directory"))?;
    let end = end_of(&events, start);
    // the list's closing tag: the last End before the directory's own, white space aside
    let close = (start + 1..end).rev().find(|&j| !matches!(&events[j].0, Event::Text(t) if t.trim().is_empty()))?;
    let Event::End(e) = &events[close].0 else { return None };
    if !matches!(e.local_name().into_inner(), "Seq" | "Bag" | "Alt") {
        return None;
    }
    let mut writer = Writer::new(Vec::with_capacity(packet.len() + li.len()));
    for (i, (e, _)) in events.iter().enumerate() {
        if i == close {
            writer.get_mut().extend_from_slice(li.as_bytes());
        }
        writer.write_event(e.borrow()).ok()?;
    }
    Some(writer.into_inner())
}

fn item_semantic(t: &Tag) -> Option<&str> {
    t.attrs.iter().find(|(ns, l, _)| ns == ITEM && l == "Semantic").map(|a| a.2.trim())
}

/// [`parse`] of events `start..=end` alone (their items).
fn parse_range(events: &[(Event<'static>, Option<Tag>)], start: usize, end: usize) -> Xmp {
    let mut w = Writer::new(Vec::new());
    for (e, _) in events.get(start..=end).unwrap_or(&[]) {
        if w.write_event(e.borrow()).is_err() {
            break;
        }
    }
    // the range's prefixes may be declared above it: parse knows Google's prefixes regardless
    parse(&w.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PIXEL: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/" xmlns:Camera="http://ns.google.com/photos/1.0/camera/"
 xmlns:Container="http://ns.google.com/photos/1.0/container/" xmlns:Item="http://ns.google.com/photos/1.0/container/item/"
 hdrgm:Version="1.0" Camera:MotionPhoto="1" Camera:MotionPhotoVersion="1" Camera:MotionPhotoPresentationTimestampUs="1234">
<Container:Directory><rdf:Seq>
<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" Item:Semantic="Primary" Item:Length="0" Item:Padding="0"/></rdf:li>
<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" Item:Semantic="GainMap" Item:Length="9"/></rdf:li>
<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="video/mp4" Item:Semantic="MotionPhoto" Item:Length="16"/></rdf:li>
</rdf:Seq></Container:Directory></rdf:Description></rdf:RDF></x:xmpmeta>"#;

    #[test]
    fn properties_by_namespace_whatever_the_prefix() {
        let renamed = PIXEL.replace("Camera:", "cam:").replace("xmlns:Camera=", "xmlns:cam=");
        for packet in [PIXEL.to_string(), renamed] {
            let x = parse(packet.as_bytes());
            assert_eq!(x.get(CAMERA, "MotionPhoto"), Some("1"), "{packet}");
            assert_eq!(x.get(CAMERA, "MotionPhotoPresentationTimestampUs"), Some("1234"));
            assert_eq!(x.items.len(), 3);
            assert_eq!(
                x.items[2],
                Item { mime: Some("video/mp4".into()), semantic: Some("MotionPhoto".into()), length: Some(16), padding: None }
            );
        }
        // a prefix bound to another namespace is not Google's camera
        let other = PIXEL.replace("xmlns:Camera=\"http://ns.google.com/photos/1.0/camera/\"", "xmlns:Camera=\"urn:other\"");
        assert_eq!(parse(other.as_bytes()).get(CAMERA, "MotionPhoto"), None);
    }

    #[test]
    fn elements_entities_and_nested_descriptions() {
        let packet = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description>
            <rdf:Description xmlns:G="http://ns.google.com/photos/1.0/camera/"><G:MicroVideoOffset>&#49;6</G:MicroVideoOffset>
            <G:Note>a &amp; b</G:Note></rdf:Description></rdf:Description></rdf:RDF>"#;
        let x = parse(packet.as_bytes());
        assert_eq!(x.get(CAMERA, "MicroVideoOffset"), Some("16"));
        assert_eq!(x.get(CAMERA, "Note"), Some("a & b"));
    }

    #[test]
    fn a_broken_packet_gives_what_came_before_the_fault() {
        let x = parse(br#"<rdf:Description xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" GCamera:MicroVideo="1"/><<<<"#);
        assert_eq!(x.get(CAMERA, "MicroVideo"), Some("1"));
        assert_eq!(parse(b"\xff\xfe not xml"), Xmp::default());
    }

    #[test]
    fn without_motion_keeps_the_gain_map_and_everything_else() {
        let out = without_motion(PIXEL.as_bytes()).expect("changed");
        let x = parse(&out);
        assert!(x.properties.iter().all(|p| !p.name.starts_with("MotionPhoto")), "{}", String::from_utf8_lossy(&out));
        assert_eq!(x.get("http://ns.adobe.com/hdr-gain-map/1.0/", "Version"), Some("1.0"));
        let semantics: Vec<_> = x.items.iter().map(|i| i.semantic.clone().unwrap_or_default()).collect();
        assert_eq!(semantics, ["Primary", "GainMap"]);
        assert_eq!(without_motion(&out), None, "nothing left to remove");
    }

    #[test]
    fn a_directory_gains_an_item_last() {
        let li = r#"<rdf:li xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" rdf:parseType="Resource"><c:Item xmlns:c="http://ns.google.com/photos/1.0/container/" xmlns:i="http://ns.google.com/photos/1.0/container/item/" i:Semantic="Depth"/></rdf:li>"#;
        let out = with_directory_item(PIXEL.as_bytes(), li).unwrap();
        let semantics: Vec<_> = parse(&out).items.iter().map(|i| i.semantic.clone().unwrap_or_default()).collect();
        assert_eq!(semantics, ["Primary", "GainMap", "MotionPhoto", "Depth"]);
        assert_eq!(parse(&out).get(CAMERA, "MotionPhotoPresentationTimestampUs"), Some("1234"), "the rest kept");
        assert_eq!(with_directory_item(b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>", li), None);
    }

    #[test]
    fn without_motion_drops_a_directory_that_only_listed_the_video() {
        let plain = PIXEL.replace(
            r#"<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" Item:Semantic="GainMap" Item:Length="9"/></rdf:li>"#,
            "",
        );
        let out = without_motion(plain.as_bytes()).unwrap();
        let text = String::from_utf8_lossy(&out);
        assert!(!text.contains("Directory") && !text.contains("MotionPhoto") && text.contains("hdrgm:Version"), "{text}");
        let legacy = br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:GCamera="http://ns.google.com/photos/1.0/camera/"><GCamera:MicroVideo>1</GCamera:MicroVideo><GCamera:MicroVideoOffset>16</GCamera:MicroVideoOffset><GCamera:Other>x</GCamera:Other></rdf:Description></rdf:RDF></x:xmpmeta>"#;
        let out = without_motion(legacy).unwrap();
        let x = parse(&out);
        assert_eq!((x.get(CAMERA, "MicroVideo"), x.get(CAMERA, "Other")), (None, Some("x")));
    }
}
