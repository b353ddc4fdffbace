//! The security posture engine: the checks of `docs/checks.md` over one normalised picture of a
//! cluster ([`view::Posture`]), whether that picture was built from the desired model at plan
//! time ([`desired`]) or read from the AWS API ([`live`]).
//!
//! A check is a pure function from a [`view::Posture`] to [`Evaluation`]s, one per resource it
//! inspects, each a pass, a fail (a finding) or "not evaluated" (the input is unknown: an API
//! moto or the account lacks, a denied call, a parameter that could not be read). Writing the
//! check once over the view means the desired-model and live sides can never disagree on what
//! a check means; each side only has to fill the view faithfully.
//!
//! Invariant: checks know no AWS call, no TOML, no terminal. `desired` depends on `blueprint`
//! and `resources`; `live` on `aws`; rendering lives in `ui`.

pub mod catalog;
pub mod catalog_doc;
pub mod checks;
pub mod delta;
pub mod desired;
pub mod live;
pub mod report;
pub mod view;
pub mod waivers;

pub use catalog::{Check, CheckMeta, Severity};

/// What a check says about one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub subject: view::Subject,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// The check's title is true for the subject; the text says what exactly, e.g.
    /// `public_access_cidrs holds 0.0.0.0/0`.
    Fail(String),
    /// The input is unknown; the text says why (`moto has no EKS add-ons API`, `AccessDenied on
    /// kms:GetKeyPolicy`). Never a pass, never blocks.
    NotEvaluated(String),
}

impl Evaluation {
    pub fn pass(subject: &view::Subject) -> Self {
        Evaluation {
            subject: subject.clone(),
            outcome: Outcome::Pass,
        }
    }

    pub fn fail(subject: &view::Subject, detail: impl Into<String>) -> Self {
        Evaluation {
            subject: subject.clone(),
            outcome: Outcome::Fail(detail.into()),
        }
    }

    pub fn not_evaluated(subject: &view::Subject, why: impl Into<String>) -> Self {
        Evaluation {
            subject: subject.clone(),
            outcome: Outcome::NotEvaluated(why.into()),
        }
    }

    /// Pass when `ok`, otherwise fail with `detail`.
    pub fn check(subject: &view::Subject, ok: bool, detail: impl Into<String>) -> Self {
        if ok {
            Self::pass(subject)
        } else {
            Self::fail(subject, detail)
        }
    }

    pub fn is_fail(&self) -> bool {
        matches!(self.outcome, Outcome::Fail(_))
    }
}

/// Runs every check of the catalog over `posture`, in catalog order.
pub fn evaluate(posture: &view::Posture) -> Vec<(&'static CheckMeta, Evaluation)> {
    checks::all()
        .iter()
        .flat_map(|check| {
            (check.eval)(posture)
                .into_iter()
                .map(move |evaluation| (&check.meta, evaluation))
        })
        .collect()
}
