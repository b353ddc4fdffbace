//! The operations the commands run, one entry point each: plan (also the plan `apply` and
//! `destroy` make), apply, destroy's extra step, import, audit. Each returns one value holding
//! what it produced (desired set, graph, placement, the plan with its notes and posture, the
//! gate's and the guard's verdicts), so `cli` only parses, prompts and prints, and library users
//! and the benchmarks call the same code.
//!
//! Invariant: `operation` never prints and never prompts; it calls AWS only through the layers
//! (`aws`, `plan`, `apply`, `audit`), and errors are typed ([`OperationError`]).

pub mod adopt;
pub mod apply_run;
pub mod audit_run;
pub mod destroy_run;
mod error;
pub mod guard;
pub mod import_run;
pub mod moved;
pub mod outputs;
pub mod placement;
pub mod plan_run;
pub mod posture;
pub mod saved_plan;
pub mod upgrade_run;

pub use apply_run::{check_saved, execute, SavedPlanRefusal};
pub use audit_run::{audit_blueprint, audit_live};
pub use destroy_run::{delete_leftovers, Leftovers};
pub use error::OperationError;
pub use guard::Checks;
pub use import_run::{import, ImportRun};
pub use outputs::recorded_outputs;
pub use placement::{placed_desired, placement, region_facts};
pub use plan_run::{plan, stored_state, PlanRequest, PlanRun};
pub use posture::{describe_expired, threshold, Blocked, GateRefusal};
pub use upgrade_run::upgrade_check;
