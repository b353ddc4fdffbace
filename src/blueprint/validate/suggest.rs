//! Helps that suggest a fix: a corrected name, the closest allowed word, the nearest allowed
//! number.

use crate::blueprint::error::did_you_mean;

/// The rule a name breaks and, when one can be derived, a corrected name.
pub(super) fn name_help(name: &str, max: usize, why: &str) -> String {
    let mut fixed = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if !(c == '-' && (fixed.is_empty() || fixed.ends_with('-'))) {
            fixed.push(c);
        }
    }
    let mut fixed: String = fixed
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '-')
        .chars()
        .take(max)
        .collect();
    while fixed.ends_with('-') {
        fixed.pop();
    }
    let rule = format!(
        "1–{max} lowercase letters, digits and `-`, starting with a letter, with no trailing `-` and no `--` ({why})"
    );
    if fixed.is_empty() || fixed == name {
        rule
    } else {
        format!("use {rule}, e.g. \"{fixed}\"")
    }
}

/// `did you mean "…"?` with the closest of `allowed` when `word` looks like a typo of it, else
/// `otherwise`.
pub(super) fn did_you_mean_or<'a>(
    word: &str,
    allowed: impl IntoIterator<Item = &'a str>,
    otherwise: impl FnOnce() -> String,
) -> String {
    match did_you_mean(word, allowed) {
        Some(best) => format!("did you mean \"{best}\"?"),
        None => otherwise(),
    }
}

/// The allowed values next to `value` in the sorted `allowed`, in words.
pub(super) fn nearest_allowed(value: u32, allowed: &[u32]) -> String {
    let below = allowed.iter().rev().find(|d| **d < value);
    let above = allowed.iter().find(|d| **d > value);
    match (below, above) {
        (Some(b), Some(a)) => format!("the nearest allowed values are {b} and {a}"),
        (None, Some(a)) => format!("the smallest allowed value is {a}"),
        (Some(b), None) => format!("the largest allowed value is {b}"),
        (None, None) => String::new(),
    }
}

/// `"a", "b", "c"`.
pub(super) fn quoted(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("\"{i}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_corrected_when_it_can_be() {
        assert!(name_help("Prod_EU-", 40, "x").contains("\"prod-eu\""));
    }

    #[test]
    fn nearest_values_on_both_sides() {
        let allowed = [1, 3, 5];
        assert_eq!(
            nearest_allowed(2, &allowed),
            "the nearest allowed values are 1 and 3"
        );
        assert_eq!(
            nearest_allowed(0, &allowed),
            "the smallest allowed value is 1"
        );
        assert_eq!(
            nearest_allowed(9, &allowed),
            "the largest allowed value is 5"
        );
    }
}
