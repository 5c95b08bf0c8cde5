//! Output at the edge: the core never prints.

pub mod json;
pub mod progress;
pub mod table;
