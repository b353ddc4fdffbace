//! How a refresh found an existing resource. Produced by `aws` during refresh, recorded in
//! plans (`plan::Change::adopted_via`) and rendered by `ui`, so it lives in the data layer all
//! three may use.

use serde::{Deserialize, Serialize};

/// How a refresh found a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FoundVia {
    /// By the cloud id that state records.
    State,
    /// Missing from state, found by its `eksforge:*` tags (a crash after create, or a lost
    /// state): adopted.
    Tag,
    /// Missing from state, found by its natural key (a route by table and destination).
    NaturalKey,
}
