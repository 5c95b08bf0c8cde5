//! How a path or a message is shown to people: lossy UTF-8 with control characters escaped, so
//! a newline or an escape sequence in a file name cannot break a line, a table or a terminal;
//! and a path's exact bytes, for the places that must keep it whole (JSON, the export manifest).
//! Every layer's error messages use it, so it sits below them all.

use std::fmt::Write;
use std::path::Path;

/// The path for people: lossy UTF-8, control characters as `\n`, `\t`, `\u{1b}` and so on.
pub fn show(p: &Path) -> String {
    escape(&p.to_string_lossy())
}

/// Escapes control characters (C0, DEL, C1) so one name is one line.
pub fn escape(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Raw bytes of a path (Unix: exactly what the OS returned; elsewhere its UTF-8 form).
pub fn bytes(p: &Path) -> Vec<u8> {
    #[cfg(unix)]
    {
        std::os::unix::ffi::OsStrExt::as_bytes(p.as_os_str()).to_vec()
    }
    #[cfg(not(unix))]
    {
        p.to_string_lossy().into_owned().into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_for_people() {
        assert_eq!(escape("a\nb\tc\u{1b}[31m"), "a\\nb\\tc\\u{1b}[31m");
        assert_eq!(escape("plain név.HEIC"), "plain név.HEIC");
    }
}
