//! Blueprint errors: one [`Problem`] per thing wrong, each with its own source snippet, labels,
//! `code(eksforge::blueprint::…)` and a help naming the fix; [`BlueprintError`] groups them.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

use miette::{Diagnostic, LabeledSpan, SourceCode};

use super::source::{Location, SnippetSource, SourceId, Sources};

/// Everything that can go wrong while loading a blueprint.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum BlueprintError {
    /// The top-level blueprint file does not exist.
    #[error("blueprint file `{}` not found", path.display())]
    #[diagnostic(
        code(eksforge::blueprint::not_found),
        help("check the path, or create a blueprint with `eksforge init --template hardened DIR`")
    )]
    NotFound { path: PathBuf },

    /// The top-level blueprint file exists but cannot be read.
    #[error("cannot read blueprint file `{}`: {source}", path.display())]
    #[diagnostic(code(eksforge::blueprint::io))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The top-level blueprint path names something that is not a regular file (a FIFO, a
    /// device, a directory), or a file over the size cap: refused without reading it.
    #[error("blueprint `{}` was not read: {reason}", path.display())]
    #[diagnostic(code(eksforge::blueprint::not_a_blueprint_file))]
    NotABlueprintFile {
        path: PathBuf,
        reason: String,
        #[help]
        help: String,
    },

    /// One problem that stops loading (syntax, `extends`, `--var`, unknown key, wrong type…).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Problem(Problem),

    /// The blueprint parsed but breaks one or more rules; all of them are listed.
    #[error("blueprint `{}` is invalid: {}", file.display(), count(problems.len()))]
    #[diagnostic(
        code(eksforge::blueprint::invalid),
        help("fix each problem below; `eksforge validate BLUEPRINT` checks again without touching AWS")
    )]
    Invalid {
        file: PathBuf,
        #[related]
        problems: Vec<Problem>,
    },
}

fn count(n: usize) -> String {
    if n == 1 {
        "1 problem".to_string()
    } else {
        format!("{n} problems")
    }
}

impl BlueprintError {
    /// The individual problems (none for `NotFound` / `Io`).
    pub fn problems(&self) -> Vec<&Problem> {
        match self {
            BlueprintError::Problem(problem) => vec![problem],
            BlueprintError::Invalid { problems, .. } => problems.iter().collect(),
            BlueprintError::NotFound { .. }
            | BlueprintError::Io { .. }
            | BlueprintError::NotABlueprintFile { .. } => Vec::new(),
        }
    }

    /// The diagnostic codes of this error, e.g. `["eksforge::blueprint::unknown_key"]`.
    pub fn codes(&self) -> Vec<&'static str> {
        match self {
            BlueprintError::NotFound { .. } => vec!["eksforge::blueprint::not_found"],
            BlueprintError::Io { .. } => vec!["eksforge::blueprint::io"],
            BlueprintError::NotABlueprintFile { .. } => {
                vec!["eksforge::blueprint::not_a_blueprint_file"]
            }
            _ => self.problems().iter().map(|p| p.code_name()).collect(),
        }
    }
}

impl From<Problem> for BlueprintError {
    fn from(problem: Problem) -> Self {
        BlueprintError::Problem(problem)
    }
}

/// One thing wrong in a blueprint, located in its source.
#[derive(Debug, Clone)]
pub struct Problem(Box<ProblemInner>);

#[derive(Debug, Clone)]
struct ProblemInner {
    code: &'static str,
    message: String,
    help: Option<String>,
    source: Option<SnippetSource>,
    location: Option<Location>,
    /// The first label is the primary one.
    labels: Vec<(Range<usize>, String)>,
}

impl Problem {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Problem(Box::new(ProblemInner {
            code,
            message: message.into(),
            help: None,
            source: None,
            location: None,
            labels: Vec::new(),
        }))
    }

    /// Points the problem at `span` of source `id` with `label` (the first call sets the
    /// primary label and the location; later calls add secondary labels in the same source).
    pub(crate) fn at(
        mut self,
        sources: &Sources,
        id: SourceId,
        span: Range<usize>,
        label: impl Into<String>,
    ) -> Self {
        if self.0.source.is_none() {
            self.0.source = Some(sources.named(id));
            self.0.location = Some(sources.location(id, span.clone()));
        }
        self.0.labels.push((span, label.into()));
        self
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.0.help = Some(help.into());
        self
    }

    /// The diagnostic code, `eksforge::blueprint::…` (also [`Diagnostic::code`]).
    pub fn code_name(&self) -> &'static str {
        self.0.code
    }

    pub fn message(&self) -> &str {
        &self.0.message
    }

    pub fn help_text(&self) -> Option<&str> {
        self.0.help.as_deref()
    }

    /// Where the problem is (file, 1-based line and column, byte span), when it has a place.
    pub fn location(&self) -> Option<&Location> {
        self.0.location.as_ref()
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for Problem {}

impl Diagnostic for Problem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.0.code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display + 'a>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.0.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.0.source.is_none() || self.0.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.0.labels.iter().enumerate().map(
            |(i, (span, label))| {
                let span = (span.start, span.end.saturating_sub(span.start));
                if i == 0 {
                    LabeledSpan::new_primary_with_span(Some(label.clone()), span)
                } else {
                    LabeledSpan::new_with_span(Some(label.clone()), span)
                }
            },
        )))
    }
}

/// The closest candidate to `word` when it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|candidate| (distance(&lower, &candidate.to_ascii_lowercase()), candidate))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, candidate)| candidate)
}

/// The `count` candidates closest to `word` (nearest first, ties by name), however far: for
/// naming what exists when a typed id matches nothing.
pub fn nearest_words<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    count: usize,
) -> Vec<&'a str> {
    let lower = word.to_ascii_lowercase();
    let mut ranked: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|candidate| (distance(&lower, &candidate.to_ascii_lowercase()), candidate))
        .collect();
    ranked.sort();
    ranked.dedup();
    ranked
        .into_iter()
        .take(count)
        .map(|(_, candidate)| candidate)
        .collect()
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_transpositions_once() {
        assert_eq!(distance("vpc_cdir", "vpc_cidr"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
    }

    #[test]
    fn did_you_mean_picks_the_closest_plausible_candidate() {
        let fields = ["vpc_cidr", "azs", "nat", "public_subnets"];
        assert_eq!(did_you_mean("vpc_cdir", fields), Some("vpc_cidr"));
        assert_eq!(did_you_mean("NAT", fields), Some("nat"));
        assert_eq!(
            did_you_mean("public_subnet", fields),
            Some("public_subnets")
        );
        assert_eq!(did_you_mean("completely_else", fields), None);
    }
}
