//! What the user wrote: TOML with spans, `extends`, `--var` overrides, validation.
//! Invariant: depends on nothing else in eksforge.

pub mod cidr;
pub mod model;
