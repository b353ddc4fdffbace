//! What the user wrote: TOML with spans, `extends`, `--var` overrides, validation.
//! Invariant: depends on nothing else in eksforge.
//!
//! [`load`] reads a blueprint file, follows its `[blueprint] extends` chain (deep merge, the
//! child wins), applies `--var KEY=VALUE` overrides, deserializes the typed [`model::Blueprint`]
//! and runs [`validate`]; a returned [`LoadedBlueprint`] is always valid. Every error is a
//! [`BlueprintError`] whose problems point at file:line:column with a help naming the fix.

pub mod addons;
pub mod bottlerocket_settings;
pub mod cidr;
mod closed_set;
pub mod date;
mod de;
mod error;
pub mod kubernetes_calendar;
pub mod kubernetes_names;
pub mod limits;
mod loader;
pub mod model;
mod raw;
pub mod schema;
mod source;
pub mod templates;
pub mod user_file;
pub mod validate;

pub use error::{nearest_words, BlueprintError, Problem};
pub use loader::{load, load_against, load_str, load_str_against, LoadedBlueprint};
pub use source::{JsonErrorAt, Location};
