//! No import cycles anywhere in `src/`, between sibling files or between a folder's `mod.rs` and
//! the files below it: each file's imports (`use` trees and paths in code, tests left out) are
//! resolved to the file that defines them, and no file reaches itself through them. Beside
//! tests/layers.rs, which holds the order between the top-level layers, this holds it inside each
//! (docs/conventions.md "The shape").

mod common;
use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

/// The module a source file is (`src/export/gif/mod.rs` is `export::gif`); `None` for the
/// crate's roots (lib.rs, main.rs, bin/), which declare the layers and re-export what they
/// define: a `crate::Library` is an import of the module that defines it.
fn module_of(src: &Path, file: &Path) -> Option<Module> {
    let rel = file.strip_prefix(src).ok()?;
    if rel.starts_with("bin") || rel == Path::new("main.rs") || rel == Path::new("lib.rs") {
        return None;
    }
    let mut parts: Module = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
    let last = parts.pop()?;
    if last != "mod.rs" {
        parts.push(last.trim_end_matches(".rs").to_string());
    }
    Some(parts)
}

/// `text` without comments, string and character literals, `pub(in …)` visibilities and items
/// under `#[cfg(test)]`: the paths the compiler resolves for the file's own code.
fn code_of(text: &str) -> String {
    let (mut out, b) = (String::with_capacity(text.len()), text.as_bytes());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            b'\'' if b.get(i + 2) == Some(&b'\'') || (b.get(i + 1) == Some(&b'\\') && b.get(i + 3) == Some(&b'\'')) => {
                i += if b[i + 1] == b'\\' { 4 } else { 3 };
                out.push_str("' '");
            }
            _ => {
                let c = text[i..].chars().next().unwrap_or(' ');
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    // a visibility names a module but imports nothing
    let mut code = without_tests(&out);
    while let Some(at) = code.find("pub(in ") {
        let end = code[at..].find(')').map_or(code.len(), |e| at + e + 1);
        code.replace_range(at..end, "pub(crate)");
    }
    code
}

/// `code` without the items under `#[cfg(test)]` (a test module, a helper for tests).
fn without_tests(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        let (brace, semi) = (item.find('{').unwrap_or(usize::MAX), item.find(';').unwrap_or(usize::MAX));
        let end = if semi < brace {
            semi + 1
        } else {
            let mut depth = 0;
            let mut end = item.len();
            for (i, c) in item.char_indices().skip_while(|(i, _)| *i < brace) {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            end
        };
        rest = &item[end.min(item.len())..];
    }
    out.push_str(rest);
    out
}

/// Every path a `use` declaration names, braces expanded: `use super::{a, b::{self, C}};` is
/// `super::a`, `super::b`, `super::b::C`.
fn use_paths(code: &str) -> Vec<String> {
    fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
        let tree = tree.trim();
        let Some(open) = tree.find('{') else {
            let path = tree.split(" as ").next().unwrap_or("").trim();
            let path = path.trim_end_matches("::self").trim_end_matches("::*");
            let path = if path == "self" { prefix.trim_end_matches("::").to_string() } else { format!("{prefix}{path}") };
            out.push(path.trim_end_matches("::").to_string());
            return;
        };
        let head = format!("{prefix}{}", &tree[..open]);
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let (mut depth, mut start) = (0, 0);
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&head, &inner[start..i], out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        if !inner[start..].trim().is_empty() {
            expand(&head, &inner[start..], out);
        }
    }
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = find_word(rest, "use") {
        let after = &rest[at + 3..];
        let Some(end) = after.find(';') else { break };
        if after.starts_with(char::is_whitespace) {
            expand("", &after[..end], &mut out);
        }
        rest = &after[end..];
    }
    out
}

/// Where `word` starts in `text` as a whole word.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(i) = text[from..].find(word).map(|i| i + from) {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        if !before.is_some_and(ident) && !after.is_some_and(ident) {
            return Some(i);
        }
        from = i + word.len();
    }
    None
}

/// The paths written in code outside `use`: `a::b::c` runs of identifiers.
fn code_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = code.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < b.len() {
        if ident(b[i]) && (i == 0 || !(ident(b[i - 1]) || b[i - 1] == b':')) {
            let start = i;
            while i < b.len() && (ident(b[i]) || (b[i] == b':' && b.get(i + 1) == Some(&b':') && b.get(i + 2).is_some_and(|&c| ident(c)))) {
                i += if b[i] == b':' { 2 } else { 1 };
            }
            let path = &code[start..i];
            if path.contains("::") {
                out.push(path.to_string());
            }
        } else {
            i += 1;
        }
    }
    out
}

/// The module `path`, named inside `from`, lives in: its longest prefix that is a module.
/// `None` for what is not ours (std, other crates).
fn resolve(from: &Module, path: &str, modules: &BTreeSet<Module>, children: &BTreeSet<String>) -> Option<Module> {
    let mut segs = path.split("::").peekable();
    let mut at: Module = match *segs.peek()? {
        "crate" => {
            segs.next();
            Vec::new()
        }
        "self" => {
            segs.next();
            from.clone()
        }
        "super" => {
            let mut m = from.clone();
            while segs.peek() == Some(&"super") {
                segs.next();
                m.pop()?;
            }
            m
        }
        first if children.contains(first) => from.clone(),
        _ => return None,
    };
    for s in segs {
        let mut next = at.clone();
        next.push(s.to_string());
        if !modules.contains(&next) {
            break;
        }
        at = next;
    }
    Some(at)
}

/// Each file's module and the modules it imports.
fn graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files: Vec<PathBuf> = walk(&src).into_iter().filter(|p| p.extension().is_some_and(|x| x == "rs")).collect();
    let mut modules: BTreeSet<Module> = files.iter().filter_map(|f| module_of(&src, f)).collect();
    assert!(modules.len() > 50, "sources not found under {}", src.display());
    let root: Module = Vec::new();
    modules.insert(root.clone());
    // what lib.rs re-exports, by name, and the module it comes from
    let lib = code_of(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let top: BTreeSet<String> = modules.iter().filter(|m| m.len() == 1).map(|m| m[0].clone()).collect();
    let reexports: BTreeMap<String, Module> = use_paths(&lib)
        .into_iter()
        .filter_map(|p| Some((p.rsplit("::").next()?.to_string(), resolve(&root, &p, &modules, &top)?)))
        .collect();
    let mut edges = BTreeMap::new();
    for f in &files {
        let Some(me) = module_of(&src, f) else { continue };
        let code = code_of(&std::fs::read_to_string(f).unwrap());
        let children: BTreeSet<String> =
            modules.iter().filter(|m| m.len() == me.len() + 1 && m.starts_with(&me)).map(|m| m[me.len()].clone()).collect();
        let mut to = BTreeSet::new();
        for path in use_paths(&code).into_iter().chain(code_paths(&code)) {
            let m = match resolve(&me, &path, &modules, &children) {
                Some(m) if m.is_empty() => path.rsplit("::").next().and_then(|name| reexports.get(name)).cloned(),
                m => m,
            };
            if let Some(m) = m.filter(|m| *m != me) {
                to.insert(m);
            }
        }
        edges.entry(me).or_insert_with(BTreeSet::new).extend(to);
    }
    edges
}

fn name(m: &Module) -> String {
    m.join("::")
}

/// A path of imports from `from` back to `to`, if there is one.
fn path_back(edges: &BTreeMap<Module, BTreeSet<Module>>, from: &Module, to: &Module) -> Option<Vec<Module>> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![vec![from.clone()]];
    while let Some(path) = stack.pop() {
        let last = path.last().unwrap();
        if last == to {
            return Some(path);
        }
        if !seen.insert(last.clone()) {
            continue;
        }
        for next in edges.get(last).into_iter().flatten() {
            let mut p = path.clone();
            p.push(next.clone());
            stack.push(p);
        }
    }
    None
}

#[test]
fn no_file_reaches_itself_through_its_imports() {
    let edges = graph();
    let total: usize = edges.values().map(BTreeSet::len).sum();
    assert!(total > 200, "only {total} imports seen: is the reading of src/ broken?");
    let mut cycles = BTreeSet::new();
    for (from, tos) in &edges {
        for to in tos {
            if let Some(back) = path_back(&edges, to, from) {
                let mut cycle: Vec<String> = std::iter::once(from).chain(&back).map(name).collect();
                cycle.dedup();
                cycles.insert(cycle.join(" -> "));
            }
        }
    }
    assert!(cycles.is_empty(), "import cycles ({}):\n{}", cycles.len(), cycles.into_iter().collect::<Vec<_>>().join("\n"));
}

/// `export/mod.rs` starts runs and lists the formats; the writers, the runner and everything
/// they use sit below it and never import it.
#[test]
fn nothing_in_export_imports_its_mod_rs() {
    let edges = graph();
    let export = vec!["export".to_string()];
    let up: Vec<String> =
        edges.iter().filter(|(m, tos)| m.starts_with(&export) && **m != export && tos.contains(&export)).map(|(m, _)| name(m)).collect();
    assert!(up.is_empty(), "these import export/mod.rs: {up:?}");
}

/// The reader of imports finds what it should: a `use` tree, a path in code, a child module.
#[test]
fn imports_are_read_as_the_compiler_reads_them() {
    let code = code_of(
        "use super::{a, b::{self, C}};\n// use super::zzz;\npub(in crate::q) fn f() { let s = \"crate::nope\"; child::go(); crate::x::y(); }\n\
         #[cfg(test)]\nfn helper() { crate::t::u(); }\n#[cfg(test)]\npub(crate) mod tests { fn g() { crate::t::v(); } }\n",
    );
    assert_eq!(use_paths(&code), ["super::a", "super::b", "super::b::C"]);
    assert!(code_paths(&code).contains(&"child::go".to_string()) && code_paths(&code).contains(&"crate::x::y".to_string()));
    assert!(!code.contains("nope") && !code.contains("zzz") && !code.contains("crate::q") && !code.contains("crate::t"), "{code}");
    let modules: BTreeSet<Module> =
        [vec![], vec!["x".into()], vec!["x".into(), "w".into()], vec!["x".into(), "v".into()]].into_iter().collect();
    let me: Module = vec!["x".into(), "w".into()];
    let none = BTreeSet::new();
    assert_eq!(resolve(&me, "super::v::Thing", &modules, &none), Some(vec!["x".into(), "v".into()]));
    assert_eq!(resolve(&me, "super::Thing", &modules, &none), Some(vec!["x".into()]));
    assert_eq!(resolve(&me, "crate::x::w::f", &modules, &none), Some(me.clone()));
    assert_eq!(resolve(&me, "std::fs::File", &modules, &none), None);
}
