//! eksforge: a TOML blueprint in, a hardened Amazon EKS cluster out.
//!
//! Layers, one direction of dependencies (see `docs/architecture.md`):
//! `blueprint` → `resources` → `graph` → `plan` → `apply` → `state`, with `aws` as the
//! providers, `ui` for rendering and `cli` for wiring.

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
