//! The command line: clap types only. This is eksforge's public interface; keep it stable.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "eksforge",
    version,
    about = "Turn a short TOML blueprint into a hardened Amazon EKS cluster: plan, apply, shared state.",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Posture gate: `apply` refuses, and `audit` exits 1, while an unwaived finding at or
    /// above this severity exists (critical, high, medium, low). Else `[audit] fail_on`, else
    /// high.
    #[arg(long, global = true, value_name = "SEVERITY", value_parser = ["critical", "high", "medium", "low"])]
    pub fail_on: Option<String>,
    /// AWS region (else the blueprint's `region`, else the standard AWS chain).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Named profile from the shared AWS config files.
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Endpoint for every AWS service (else `AWS_ENDPOINT_URL`), e.g. a local emulator.
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
    /// State file path (else the blueprint's `[state] path`, else `state/<name>.json`).
    #[arg(long, global = true)]
    pub state: Option<PathBuf>,
    /// Override a blueprint key: `--var network.nat=single` (repeatable).
    #[arg(long = "var", value_name = "KEY=VALUE", global = true)]
    pub vars: Vec<String>,
    /// How many AWS operations run at once.
    #[arg(long, default_value_t = crate::apply::DEFAULT_PARALLELISM as u16, global = true, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallelism: u16,
    /// Wait this long for a taken state lock before failing (e.g. `30s`, `2m`).
    #[arg(long, default_value = "0s", global = true, value_parser = parse_duration, allow_hyphen_values = true)]
    pub lock_timeout: std::time::Duration,
    /// Longest wait for one asynchronous AWS state change (e.g. `20m`).
    #[arg(long, default_value = "30m", global = true, value_parser = parse_duration, allow_hyphen_values = true)]
    pub wait_timeout: std::time::Duration,
    /// Longest pause between two polls of a resource that is changing state (scaled down by
    /// tests and benchmarks, where waits are seconds instead of minutes).
    #[arg(long, default_value = "10s", global = true, value_parser = parse_duration, allow_hyphen_values = true, hide = true)]
    pub poll_max: std::time::Duration,
    /// How often a long operation prints `Still creating...`.
    #[arg(long, default_value = "10s", global = true, value_parser = parse_duration, allow_hyphen_values = true, hide = true)]
    pub progress_every: std::time::Duration,
    /// Allow a plan to replace or delete this protected resource (the EKS cluster, the KMS
    /// key); repeatable. Without it such a plan is refused.
    #[arg(long = "allow-replace", value_name = "ID", global = true)]
    pub allow_replace: Vec<String>,
    /// Skip the preflight checks (instance types per AZ, EKS versions, IAM names, quotas).
    #[arg(long, global = true)]
    pub skip_preflight: bool,
    /// SSM parameter prefix of the public Bottlerocket release parameters.
    #[arg(long, default_value = crate::aws::bottlerocket::DEFAULT_PREFIX, global = true, hide = true)]
    pub bottlerocket_ssm_prefix: String,
    /// Plain output without colour (also when `NO_COLOR` is set or output is not a terminal).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// More detail on errors and progress.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a new, commented blueprint to fork.
    Init {
        /// Template to start from.
        #[arg(long, default_value = "hardened")]
        template: String,
        /// Directory to write `<template>.toml` into (created if missing).
        dir: PathBuf,
    },
    /// Check a blueprint without calling AWS.
    Validate { blueprint: PathBuf },
    /// Show what apply would change.
    Plan {
        blueprint: PathBuf,
        /// Exit 0 when there are no changes, 2 when there are, 1 on error.
        #[arg(long)]
        detailed_exitcode: bool,
        /// Plan only this resource id and what it depends on (repeatable).
        #[arg(long = "target", value_name = "ID")]
        targets: Vec<String>,
        /// Replace this resource although nothing forces it, in its kind's replace order
        /// (repeatable; protected ones still need --allow-replace).
        #[arg(long = "replace", value_name = "ID")]
        replace: Vec<String>,
        /// Leave this resource and everything built on it out of the plan (repeatable).
        #[arg(long = "exclude", value_name = "ID")]
        exclude: Vec<String>,
        /// Show only what changed outside eksforge (drift), no changes.
        #[arg(long)]
        refresh_only: bool,
        /// Also save the exact plan to FILE, for `eksforge apply FILE` (written only when the
        /// plan passes its checks).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Print the plan as JSON (format: docs/plan-json.md) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Plan a Kubernetes upgrade (`--to 1.N`: the plan `cluster.version = "1.N"` would make;
    /// nothing is applied or written), or report the cluster's upgrade readiness (`--check`).
    Upgrade {
        blueprint: PathBuf,
        /// The Kubernetes version to plan the upgrade to, e.g. 1.35.
        #[arg(
            long,
            value_name = "VERSION",
            required_unless_present = "check",
            conflicts_with = "check"
        )]
        to: Option<String>,
        /// Report readiness only: EKS upgrade insights, add-ons the next version lacks, support dates.
        #[arg(long)]
        check: bool,
        /// With --check: exit 2 when the cluster's version leaves standard support within this
        /// many days (`60d` or `60`).
        #[arg(long, value_name = "DAYS", requires = "check", value_parser = parse_days)]
        within: Option<u32>,
    },
    /// Make the live resources match the blueprint, or apply exactly a plan saved by `plan --out`.
    Apply {
        /// A blueprint, or a plan file written by `plan --out` (told apart by content).
        #[arg(value_name = "BLUEPRINT|PLANFILE")]
        blueprint: PathBuf,
        /// Do not ask for confirmation.
        #[arg(long)]
        auto_approve: bool,
        #[arg(long = "target", value_name = "ID")]
        targets: Vec<String>,
        /// Replace this resource although nothing forces it (repeatable).
        #[arg(long = "replace", value_name = "ID")]
        replace: Vec<String>,
        /// Leave this resource and everything built on it out (repeatable).
        #[arg(long = "exclude", value_name = "ID")]
        exclude: Vec<String>,
        /// Record the live values of drifted resources in state; change nothing in AWS.
        #[arg(long)]
        refresh_only: bool,
    },
    /// Delete everything the blueprint made (recorded in state or found by its tags).
    Destroy {
        blueprint: PathBuf,
        #[arg(long)]
        auto_approve: bool,
    },
    /// Check the security posture (docs/checks.md): of the blueprint (no AWS call), of the
    /// cluster it made (`--live`), or of any cluster (`--cluster NAME`).
    Audit {
        /// The blueprint (its waivers apply); optional with `--cluster`.
        #[arg(required_unless_present = "cluster")]
        blueprint: Option<PathBuf>,
        /// Read the cluster the blueprint made through the AWS API instead of the blueprint.
        #[arg(long)]
        live: bool,
        /// Audit this EKS cluster through the AWS API (read-only calls only).
        #[arg(long, value_name = "NAME")]
        cluster: Option<String>,
        /// Output format.
        #[arg(long, default_value = "text", value_parser = ["text", "json", "sarif"])]
        format: String,
    },
    /// Print the dependency graph as Graphviz DOT.
    Graph { blueprint: PathBuf },
    /// Print the applied cluster's outputs (endpoint, ARNs, subnet ids) from the state; no AWS call.
    Output {
        blueprint: PathBuf,
        /// Print only this output: a string raw, a list or map as JSON (for scripts).
        name: Option<String>,
        /// Print JSON: an object of every output, or the value of NAME.
        #[arg(long)]
        json: bool,
    },
    /// Print a kubeconfig for the cluster (credentials from `aws eks get-token`), or write it.
    Kubeconfig {
        blueprint: PathBuf,
        /// Write it to PATH (mode 0600, replaced atomically; a file eksforge did not write is
        /// never replaced) instead of printing it.
        #[arg(long, value_name = "PATH")]
        write: Option<PathBuf>,
    },
    /// Print the JSON Schema of blueprints, for editor completion and validation.
    Schema,
    /// Show a plan saved by `plan --out`: as text, or with `--json` as `plan --json` prints it.
    Show {
        planfile: PathBuf,
        /// Print the plan as JSON (format: docs/plan-json.md).
        #[arg(long)]
        json: bool,
    },
    /// Remove a state lock left by a run that died (local state: only its stale holder
    /// information, since an OS lock dies with its process).
    ForceUnlock {
        blueprint: PathBuf,
        /// The lock id the "locked" error names.
        lock_id: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        force: bool,
    },
    /// Bring an existing AWS resource under management as a resource of the blueprint: read it,
    /// record it in state (nothing in AWS changes), and show what the next plan does to it.
    Import {
        blueprint: PathBuf,
        /// The blueprint's resource id, e.g. `vpc.main` (`eksforge plan` lists them).
        id: String,
        /// The id AWS gave the resource, e.g. `vpc-0abc…`, a cluster name, a key id.
        cloud_id: String,
    },
    /// Bring a cluster another tool made (eksctl, Terraform, the console) under management:
    /// read it and what surrounds it (read-only calls), write a blueprint that describes it and
    /// a report of what it leaves out into --out, and record every resource in the state. The
    /// first plan is then empty (or, with --harden, the hardening). See docs/adopt.md.
    Adopt {
        /// The EKS cluster's name (in --region, else the configured region).
        #[arg(long)]
        cluster: String,
        /// The directory the blueprint (`<cluster>.toml`) and report (`<cluster>.adopt.md`)
        /// are written to; an existing blueprint there is never overwritten.
        #[arg(long)]
        out: PathBuf,
        /// Write the hardened defaults instead of the cluster's weaker settings: the first
        /// plan is then the hardening, with its posture delta.
        #[arg(long)]
        harden: bool,
    },
    /// Inspect or edit the recorded state.
    State {
        #[command(subcommand)]
        command: StateCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// One resource id per line.
    List { blueprint: PathBuf },
    /// One recorded resource, as JSON.
    Show { id: String, blueprint: PathBuf },
    /// Forget a resource without touching it.
    Rm { id: String, blueprint: PathBuf },
    /// Record a resource under another id of its kind, under the lock; AWS is not touched
    /// (a `[[moved]]` entry in the blueprint does the same at the next apply and keeps its
    /// AWS names).
    Mv {
        from: String,
        to: String,
        blueprint: PathBuf,
    },
    /// Print the stored state as JSON.
    Pull { blueprint: PathBuf },
    /// Replace the stored state with FILE (a state printed by `state pull`), under the lock.
    Push {
        blueprint: PathBuf,
        file: PathBuf,
        /// Also replace a state of another lineage or a higher serial (or an unreadable one).
        #[arg(long)]
        force: bool,
    },
}

/// The longest duration any flag takes (`--wait-timeout`, `--lock-timeout`, ...): a day. No
/// AWS wait and no lock wait lasts longer, so a longer value is a mistake (a unit left off,
/// a typo), and the cap keeps every deadline built from a flag far from overflow.
pub const MAX_DURATION: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// The longest `--within` window: ten years of days.
pub const MAX_WITHIN_DAYS: u32 = 3650;

/// `60d` or `60`: a number of days, at most [`MAX_WITHIN_DAYS`].
pub fn parse_days(text: &str) -> Result<u32, String> {
    let number = text.trim().trim_end_matches('d');
    match number.parse::<u32>() {
        Ok(days) if days <= MAX_WITHIN_DAYS => Ok(days),
        Ok(_) => Err(format!("at most {MAX_WITHIN_DAYS} days")),
        Err(_) => Err(format!("`{text}` is not a number of days like 60d")),
    }
}

/// `90s`, `5m`, `1h`, `0` (seconds when no unit), at most [`MAX_DURATION`]; a negative or
/// longer value is refused with a message of its own (the duration flags take values that
/// start with `-`, so `-1` reaches this parser instead of clap's "use -- -1" tip).
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    if text.starts_with('-') {
        return Err("a duration cannot be negative: write e.g. 30m".to_string());
    }
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let millis_per_unit: u64 = match unit {
        "ms" => 1,
        "" | "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ if number.is_empty() => {
            return Err(format!("`{text}` is not a duration like 30s, 5m or 1h"))
        }
        _ => {
            return Err(format!(
                "`{text}`: unknown unit `{unit}` (use ms, s, m or h)"
            ))
        }
    };
    let too_long = || {
        format!(
            "longer than {} hours, the longest duration eksforge takes: write e.g. 30m",
            MAX_DURATION.as_secs() / 3600
        )
    };
    let value: u64 = number.parse().map_err(|error: std::num::ParseIntError| {
        if *error.kind() == std::num::IntErrorKind::PosOverflow {
            too_long()
        } else {
            format!("`{text}` is not a duration like 30s, 5m or 1h")
        }
    })?;
    let duration = value
        .checked_mul(millis_per_unit)
        .map(std::time::Duration::from_millis)
        .filter(|duration| *duration <= MAX_DURATION)
        .ok_or_else(too_long)?;
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("90s").unwrap().as_secs(), 90);
        assert_eq!(parse_duration("2m").unwrap().as_secs(), 120);
        assert_eq!(parse_duration("0").unwrap().as_secs(), 0);
        assert!(parse_duration("soon").is_err());
        assert_eq!(parse_duration("24h").unwrap(), MAX_DURATION);
    }

    #[test]
    fn durations_out_of_range_are_refused_with_a_reason() {
        for (text, reason) in [
            ("-1", "cannot be negative"),
            ("-30m", "cannot be negative"),
            ("18446744073709551615s", "longer than 24 hours"),
            ("18446744073709551616", "longer than 24 hours"),
            ("99999999999999999999999h", "longer than 24 hours"),
            ("25h", "longer than 24 hours"),
            ("86400001ms", "longer than 24 hours"),
            ("", "not a duration"),
            ("5d", "unknown unit"),
        ] {
            let error = parse_duration(text).expect_err(text);
            assert!(error.contains(reason), "{text}: {error}");
        }
    }

    #[test]
    fn a_negative_duration_reaches_the_parser_not_clap() {
        for flag in [
            "--wait-timeout",
            "--lock-timeout",
            "--poll-max",
            "--progress-every",
        ] {
            let error = Cli::try_parse_from(["eksforge", "validate", "x.toml", flag, "-1"])
                .expect_err(flag)
                .to_string();
            assert!(
                error.contains("a duration cannot be negative"),
                "{flag}: {error}"
            );
            assert!(!error.contains("-- -1"), "{flag}: {error}");
        }
    }
}
