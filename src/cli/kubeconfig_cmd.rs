//! `eksforge kubeconfig BLUEPRINT [--write PATH]`: a kubeconfig for the applied cluster, from
//! the state's outputs (no AWS call).
//!
//! Its credential is an exec plugin, `aws eks get-token --cluster-name NAME --region REGION`
//! (AWS CLI v2, `client.authentication.k8s.io/v1beta1`): kubectl runs it on each use, so the
//! file holds no secret and works without eksforge or its state, with whatever AWS identity
//! the user has (`--profile` given to eksforge becomes `AWS_PROFILE` in the exec env).
//!
//! `--write PATH` replaces PATH atomically (temporary file, fsync, rename) with mode 0600. It
//! never merges: it refuses to replace a file eksforge did not write, so `~/.kube/config` is
//! never clobbered by accident (list several files in `KUBECONFIG` instead).
//!
//! YAML is written by hand: every scalar is a double-quoted JSON string, which YAML reads as
//! the same string.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use miette::{miette, Result};

use super::console::{out, outln};
use super::errors;
use super::session::Settings;
use super::ExitStatus;
use crate::blueprint::user_file::{self, UserFileError};
use crate::operation;
use crate::state::outputs::{OutputValue, Outputs};

/// The first line of every kubeconfig eksforge writes; `--write` replaces only such files.
const HEADER: &str = "# Written by `eksforge kubeconfig`";

/// The most `--write` reads of a file already at its path to see whether eksforge wrote it:
/// eksforge's kubeconfigs are about a KiB, so a larger file is someone else's.
const MAX_OWN_KUBECONFIG_BYTES: u64 = 1 << 20;

pub async fn run(settings: &Settings, path: &Path, write: Option<&Path>) -> Result<ExitStatus> {
    let loaded = settings.load_blueprint(path)?;
    let backend = settings.backend(&loaded)?;
    let outputs = operation::recorded_outputs(&backend, &loaded)
        .await
        .map_err(errors::operation)?;
    let fallback_region = settings
        .global
        .region
        .clone()
        .or_else(|| loaded.model.blueprint.region.clone());
    let cluster = Cluster::from_outputs(&outputs, fallback_region)?;
    let text = render(&cluster, settings.global.profile.as_deref());
    match write {
        None => out!("{text}"),
        Some(target) => {
            write_private(target, &text)?;
            outln!(
                "Wrote a kubeconfig for cluster {} to {} (mode 0600).",
                cluster.name,
                target.display()
            );
            outln!("Try: KUBECONFIG={} kubectl get nodes   (needs the AWS CLI v2 for `aws eks get-token`)", target.display());
        }
    }
    Ok(ExitStatus::Success)
}

/// What a kubeconfig needs to know about the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cluster {
    name: String,
    /// The ARN names the cluster, context and user entries (as `aws eks update-kubeconfig`
    /// does); the name when the ARN is not recorded.
    entry: String,
    endpoint: String,
    certificate_authority: String,
    region: String,
}

impl Cluster {
    fn from_outputs(outputs: &Outputs, fallback_region: Option<String>) -> Result<Cluster> {
        if outputs.get("cluster_name").is_none() {
            return Err(miette!(
                code = "eksforge::kubeconfig::no_cluster",
                help = "a kubeconfig needs a blueprint with [cluster], applied",
                "the state records no EKS cluster (eks_cluster.main)"
            ));
        }
        let text = |name: &str| -> Result<String> {
            outputs
                .lookup(name)
                .map_err(errors::output)?
                .as_text()
                .map(str::to_string)
                .ok_or_else(|| miette!("output `{name}` is not a string"))
        };
        let name = text("cluster_name")?;
        let arn = outputs
            .get("cluster_arn")
            .and_then(OutputValue::as_text)
            .map(str::to_string);
        let region = arn
            .as_deref()
            .and_then(region_of_arn)
            .or(fallback_region)
            .ok_or_else(|| {
                miette!(
                    code = "eksforge::region",
                    help = "set `region` in [blueprint] or pass --region",
                    "the region of cluster {name} is not recorded"
                )
            })?;
        Ok(Cluster {
            entry: arn.unwrap_or_else(|| name.clone()),
            endpoint: text("cluster_endpoint")?,
            certificate_authority: text("cluster_certificate_authority_data")?,
            region,
            name,
        })
    }
}

/// `eu-west-1` from `arn:aws:eks:eu-west-1:123456789012:cluster/prod`.
fn region_of_arn(arn: &str) -> Option<String> {
    let mut parts = arn.split(':');
    let (Some("arn"), Some(_partition), Some("eks"), Some(region)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    (!region.is_empty()).then(|| region.to_string())
}

/// A YAML double-quoted scalar (JSON string escaping, which YAML reads alike).
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn render(cluster: &Cluster, profile: Option<&str>) -> String {
    let entry = quoted(&cluster.entry);
    let mut lines = vec![
        format!("{HEADER} for EKS cluster {} ({}); eksforge replaces it whole, never merges.", cluster.name, cluster.region),
        "# Credentials: kubectl runs `aws eks get-token` (AWS CLI v2) on each use; no secret is stored here.".to_string(),
        "apiVersion: v1".to_string(),
        "kind: Config".to_string(),
        "clusters:".to_string(),
        format!("  - name: {entry}"),
        "    cluster:".to_string(),
        format!("      server: {}", quoted(&cluster.endpoint)),
        format!("      certificate-authority-data: {}", quoted(&cluster.certificate_authority)),
        "contexts:".to_string(),
        format!("  - name: {entry}"),
        "    context:".to_string(),
        format!("      cluster: {entry}"),
        format!("      user: {entry}"),
        format!("current-context: {entry}"),
        "preferences: {}".to_string(),
        "users:".to_string(),
        format!("  - name: {entry}"),
        "    user:".to_string(),
        "      exec:".to_string(),
        "        apiVersion: client.authentication.k8s.io/v1beta1".to_string(),
        "        command: aws".to_string(),
        "        args:".to_string(),
    ];
    let args = [
        "eks",
        "get-token",
        "--cluster-name",
        &cluster.name,
        "--region",
        &cluster.region,
        "--output",
        "json",
    ];
    lines.extend(
        args.iter()
            .map(|arg| format!("          - {}", quoted(arg))),
    );
    if let Some(profile) = profile {
        lines.push("        env:".to_string());
        lines.push("          - name: AWS_PROFILE".to_string());
        lines.push(format!("            value: {}", quoted(profile)));
    }
    lines.push("        provideClusterInfo: false".to_string());
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// Replaces `target` with `text`, atomically and with mode 0600, unless `target` is a file
/// eksforge did not write.
fn write_private(target: &Path, text: &str) -> Result<()> {
    let failed = |action: &str, error: io::Error| {
        miette!(
            code = "eksforge::kubeconfig::write",
            "could not {action} {}: {error}",
            target.display()
        )
    };
    match user_file::read(target, MAX_OWN_KUBECONFIG_BYTES) {
        Ok(existing) if existing.starts_with(HEADER.as_bytes()) => {}
        Ok(_) | Err(UserFileError::TooLarge { .. }) => {
            return Err(miette!(
                code = "eksforge::kubeconfig::exists",
                help = format!(
                    "write to a file of its own and combine them with KUBECONFIG (KUBECONFIG=$HOME/.kube/config:{} kubectl …), or delete it first",
                    target.display()
                ),
                "{} exists and was not written by eksforge: not replacing it (eksforge does not merge kubeconfigs)",
                target.display()
            ))
        }
        Err(error) if error.is_not_found() => {}
        Err(UserFileError::Io(error)) => return Err(failed("read", error)),
        Err(refused @ UserFileError::NotRegular { .. }) => {
            return Err(miette!(
                code = "eksforge::kubeconfig::write",
                help = "give --write the path of a file (eksforge writes it, or replaces one it wrote)",
                "not writing a kubeconfig to {}: {refused}",
                target.display()
            ))
        }
    }
    let dir = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|error| failed("create the directory of", error))?;

    let name = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "kubeconfig".into());
    let temp = dir.join(format!(".{name}.tmp-{}", uuid::Uuid::new_v4()));
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options
        .open(&temp)
        .and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.sync_all()
        })
        .and_then(|()| fs::rename(&temp, target));
    if let Err(error) = written {
        let _ = fs::remove_file(&temp);
        return Err(failed("write", error));
    }
    #[cfg(unix)]
    if let Ok(handle) = fs::File::open(dir) {
        let _ = handle.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster() -> Cluster {
        Cluster {
            name: "prod".into(),
            entry: "arn:aws:eks:eu-west-1:123456789012:cluster/prod".into(),
            endpoint: "https://ABC.gr7.eu-west-1.eks.amazonaws.com".into(),
            certificate_authority: "LS0tLS1CRUdJTg==".into(),
            region: "eu-west-1".into(),
        }
    }

    #[test]
    fn the_kubeconfig_uses_aws_eks_get_token() {
        let text = render(&cluster(), None);
        assert!(text.starts_with(HEADER));
        assert!(
            text.contains("\n      server: \"https://ABC.gr7.eu-west-1.eks.amazonaws.com\"\n"),
            "{text}"
        );
        assert!(
            text.contains("\n      certificate-authority-data: \"LS0tLS1CRUdJTg==\"\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "\ncurrent-context: \"arn:aws:eks:eu-west-1:123456789012:cluster/prod\"\n"
            ),
            "{text}"
        );
        assert!(text.contains(
            "        command: aws\n        args:\n          - \"eks\"\n          - \"get-token\"\n          - \"--cluster-name\"\n          - \"prod\"\n          - \"--region\"\n          - \"eu-west-1\"\n"
        ), "{text}");
        assert!(!text.contains("env:"), "no profile, no env: {text}");
        assert!(text.ends_with("provideClusterInfo: false\n"));
    }

    #[test]
    fn a_profile_becomes_aws_profile_in_the_exec_env() {
        let text = render(&cluster(), Some("prod-admin"));
        assert!(
            text.contains(
                "        env:\n          - name: AWS_PROFILE\n            value: \"prod-admin\"\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn scalars_are_quoted_and_escaped() {
        assert_eq!(quoted("a\"b\\c\nd\u{1}"), r#""a\"b\\c\nd\u0001""#);
        assert_eq!(quoted("arn:aws:eks:x: y # z"), "\"arn:aws:eks:x: y # z\"");
    }

    #[test]
    fn regions_come_from_eks_arns() {
        assert_eq!(
            region_of_arn("arn:aws:eks:eu-west-1:1:cluster/prod").as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(
            region_of_arn("arn:aws-cn:eks:cn-north-1:1:cluster/prod").as_deref(),
            Some("cn-north-1")
        );
        assert_eq!(region_of_arn("arn:aws:iam::1:role/x"), None);
        assert_eq!(region_of_arn("prod"), None);
    }

    #[test]
    fn write_replaces_its_own_files_only_and_keeps_them_private() {
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("tempdir: {error}"));
        let target = dir.path().join("kube/config");
        write_private(&target, &render(&cluster(), None))
            .unwrap_or_else(|error| panic!("{error:?}"));
        write_private(&target, &render(&cluster(), Some("p")))
            .unwrap_or_else(|error| panic!("replacing our own file: {error:?}"));
        assert!(fs::read_to_string(&target)
            .unwrap_or_else(|error| panic!("reading our own file: {error}"))
            .contains("AWS_PROFILE"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&target)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0);
            assert_eq!(mode, 0o600);
        }
        let foreign = dir.path().join("config");
        fs::write(&foreign, "apiVersion: v1\nclusters: []\n")
            .unwrap_or_else(|error| panic!("{error}"));
        let refused =
            write_private(&foreign, "x").expect_err("a foreign kubeconfig is not replaced");
        assert!(
            refused.to_string().contains("not written by eksforge"),
            "{refused}"
        );
        assert_eq!(
            fs::read_to_string(&foreign).unwrap_or_else(|error| panic!("{error}")),
            "apiVersion: v1\nclusters: []\n"
        );
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("kube"))
            .map(|entries| entries.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            leftovers,
            vec![std::ffi::OsString::from("config")],
            "no temporary file left behind"
        );
    }
}
