//! eksforge: a TOML blueprint in, a hardened Amazon EKS cluster out.
//!
//! Layers, one direction of dependencies (see `docs/architecture.md`):
//! `blueprint` → `resources` → `graph` → `plan` → `apply` → `state`, with `aws` as the
//! providers and `audit` for posture; `operation` runs them (one entry point per operation,
//! never printing), `ui` renders, and `cli` parses, prompts and prints: `cli` → `operation` →
//! layers.

pub mod apply;
pub mod audit;
pub mod aws;
pub mod blueprint;
pub mod cli;
pub mod graph;
pub mod operation;
pub mod plan;
pub mod resources;
pub mod state;
pub mod ui;
