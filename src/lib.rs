//! eksforge: a TOML blueprint in, a hardened Amazon EKS cluster out.
//!
//! Layers, one direction of dependencies (see `docs/architecture.md`):
//! `blueprint` → `resources` → `graph` → `plan` → `apply` → `state`, with `aws` as the
//! providers, `ui` for rendering and `cli` for wiring.

pub mod blueprint;
pub mod resources;
pub mod aws;
pub mod state;
