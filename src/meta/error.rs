//! Errors a user can meet, in words: which part of the file, what was expected, what was found.

use std::io;

/// Why one file could not be read. The path is attached by the caller (see [`crate::FileError`]).
#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    #[error("cannot read the file: {0}")]
    Io(#[from] io::Error),
    #[error("{what} claims {claimed} bytes at offset {offset} but the file ends after {file_len} bytes (truncated?)")]
    Truncated { what: String, offset: u64, claimed: u64, file_len: u64 },
    #[error("{0}")]
    Corrupt(String),
    #[error("{what} is {size} bytes, more than the {limit} bytes livephoto is willing to load")]
    TooLarge { what: String, size: u64, limit: u64 },
}

impl MetaError {
    pub fn corrupt(msg: impl Into<String>) -> Self {
        MetaError::Corrupt(msg.into())
    }
}

pub type Result<T, E = MetaError> = std::result::Result<T, E>;

/// Human-friendly byte count for error messages ("3.1 KB", "4.0 GB").
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KB", "MB", "GB", "TB"];
    if n < 1024 {
        return format!("{n} bytes");
    }
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}
