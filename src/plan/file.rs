//! The saved plan (`plan --out FILE`, `apply FILE`): the exact [`Plan`] together with what it
//! was computed from, so that apply can refuse it once that has moved on.
//!
//! A plan file is JSON whose first field, `eksforge_plan`, is both the magic that tells it
//! from a blueprint and the format version ([`FORMAT_VERSION`]). It holds the blueprint (path
//! as given and canonicalised, name, [`source_hash`](crate::blueprint::LoadedBlueprint::source_hash),
//! which covers the `extends` chain and the `--var`s), the settings that shaped the plan
//! (`--var`s, the resolved region and state path, `--target`s, ...), the state's lineage and
//! serial at plan time, the plan itself, and when it was made. See `docs/plan-json.md`.
//!
//! Unknown fields are refused, so any change to the shape of the file must bump
//! [`FORMAT_VERSION`]; an eksforge only applies plan files of the one format it writes (a plan
//! is short-lived: making it again is always possible).
//!
//! Invariant: no AWS call and no terminal; [`PlanFile::check`] is pure.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Plan;
use crate::blueprint::user_file::{self, UserFileError};
use crate::blueprint::JsonErrorAt;
use crate::state::State;

/// The version of the plan file format this eksforge writes, and the only one it applies.
/// 2: the file carries a digest of everything else it holds.
pub const FORMAT_VERSION: u32 = 2;

/// The field that marks a plan file (its value is the format version).
pub const MAGIC: &str = "eksforge_plan";

/// The largest plan file `apply` and `show` read. A plan of the reference cluster is well
/// under a MiB; the cap only stops a path that names something else (`/dev/zero`, a disk
/// image) from being read into memory whole.
pub const MAX_PLAN_FILE_BYTES: u64 = 64 << 20;

/// Everything `apply FILE` needs: the plan and what it was computed from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    /// The magic and the format version: [`FORMAT_VERSION`].
    pub eksforge_plan: u32,
    /// The eksforge that wrote it (information only).
    pub eksforge_version: String,
    /// When the plan was made (RFC 3339, UTC).
    pub created_at: String,
    pub blueprint: BlueprintSnapshot,
    pub settings: PlanSettings,
    pub prior_state: PriorState,
    pub plan: Plan,
    /// Read and ignored, never written: files of this format made before the plan carried
    /// its posture held the rendered JSON view here. `show --json` now renders [`Plan`]
    /// itself, posture included.
    #[serde(default, rename = "json_view", skip_serializing)]
    pub superseded_json_view: Option<serde::de::IgnoredAny>,
    /// SHA-256 (hex) of the file's JSON with this field empty, set by [`PlanFile::encode`] and
    /// checked by [`decode`]: a file edited after eksforge wrote it (one change's action, the
    /// prior serial) is refused as corrupt before anything is applied. It detects edits; it is
    /// not a signature (whoever can write the file can compute it), so keep plan files where
    /// the state's readers are trusted.
    #[serde(default)]
    pub digest: String,
}

/// The blueprint a plan was made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlueprintSnapshot {
    /// As given on the command line.
    pub path: PathBuf,
    /// Absolute, symlinks resolved: what `apply FILE` reloads, from any directory.
    pub canonical_path: PathBuf,
    /// `[blueprint] name`.
    pub name: String,
    /// SHA-256 of every source text (the `extends` chain and the `--var`s).
    pub source_hash: String,
}

/// The settings that shaped the plan; `apply FILE` uses these, not its own flags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanSettings {
    /// `--var KEY=VALUE`, in order.
    pub vars: Vec<String>,
    /// The region the plan was made in (from `--region`, the blueprint or the AWS chain).
    pub region: String,
    /// The state file as resolved (`--state`, `[state] path`, or `state/<name>.json`).
    pub state_path: PathBuf,
    /// The same, absolute: what `apply FILE` locks and reads.
    pub state_path_absolute: PathBuf,
    /// `--target ID`s (the plan already holds only those and what they depend on).
    pub targets: Vec<String>,
    /// `--replace ID`s (the plan already replaces them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replace: Vec<String>,
    /// `--exclude ID`s (the plan already leaves them out).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    pub refresh_only: bool,
    /// `--allow-replace ID`s the plan was checked with.
    pub allow_replace: Vec<String>,
    pub skip_preflight: bool,
}

/// The state a plan was computed against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorState {
    /// `None` when no state was stored yet.
    pub lineage: Option<String>,
    /// 0 when no state was stored yet.
    pub serial: u64,
}

impl PriorState {
    /// What a backend held: `stored` is `None` when nothing was ever written.
    pub fn of(stored: Option<&State>) -> PriorState {
        match stored {
            Some(state) => PriorState {
                lineage: Some(state.lineage.clone()),
                serial: state.serial,
            },
            None => PriorState {
                lineage: None,
                serial: 0,
            },
        }
    }
}

impl fmt::Display for PriorState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.lineage {
            Some(lineage) => write!(f, "lineage {lineage}, serial {}", self.serial),
            None => f.write_str("no state yet"),
        }
    }
}

/// What apply finds now, to compare with what the plan was made from.
#[derive(Debug, Clone)]
pub struct Current<'a> {
    pub source_hash: &'a str,
    pub region: &'a str,
    /// The stored state, read under the lock; `None` when nothing was ever written.
    pub state: Option<&'a State>,
}

/// One way in which a saved plan no longer fits what it would be applied to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Stale {
    #[error("the blueprint {path} (or a file it extends) changed since the plan was made (source hash {planned:.12}… then, {now:.12}… now)")]
    BlueprintChanged {
        path: PathBuf,
        planned: String,
        now: String,
    },
    #[error("the region is {now}, the plan was made for {planned}")]
    RegionChanged { planned: String, now: String },
    #[error("the state at {path} was created since the plan was made (now {now})")]
    StateCreated { path: PathBuf, now: PriorState },
    #[error("the state at {path} is gone since the plan was made ({planned} then)")]
    StateRemoved { path: PathBuf, planned: PriorState },
    #[error("the state at {path} is another one (lineage {now}; the plan was made against lineage {planned})")]
    LineageChanged {
        path: PathBuf,
        planned: String,
        now: String,
    },
    #[error(
        "the state at {path} moved on since the plan was made (serial {planned} then, {now} now)"
    )]
    SerialChanged {
        path: PathBuf,
        planned: u64,
        now: u64,
    },
}

/// Reading or writing a plan file.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("could not read the plan file {path}: {source}")]
    Unreadable {
        path: PathBuf,
        source: UserFileError,
    },
    #[error("{path} is not an eksforge plan file: {detail}")]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "{path} is a plan file of format {found}; this eksforge reads format {supported} only"
    )]
    UnknownFormat {
        path: PathBuf,
        found: String,
        supported: u32,
    },
    #[error("could not write the plan file {path}: {detail}")]
    Unwritable { path: PathBuf, detail: String },
}

/// Whether `bytes` should be read as a plan file rather than a blueprint: its first
/// character (after white space and a byte-order mark) is `{`, which no TOML document starts
/// with. A damaged plan file is then reported as one, not as a TOML syntax error.
pub fn looks_like_plan_file(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'{')
}

impl PlanFile {
    /// Everything that no longer matches `current`, in the order a user should read it; empty
    /// when the plan can be applied as it is.
    pub fn check(&self, current: &Current<'_>) -> Vec<Stale> {
        let mut stale = Vec::new();
        if self.blueprint.source_hash != current.source_hash {
            stale.push(Stale::BlueprintChanged {
                path: self.blueprint.path.clone(),
                planned: self.blueprint.source_hash.clone(),
                now: current.source_hash.to_string(),
            });
        }
        if self.settings.region != current.region {
            stale.push(Stale::RegionChanged {
                planned: self.settings.region.clone(),
                now: current.region.to_string(),
            });
        }
        let path = self.settings.state_path.clone();
        let now = PriorState::of(current.state);
        match (&self.prior_state.lineage, &now.lineage) {
            (None, None) => {}
            (None, Some(_)) => stale.push(Stale::StateCreated { path, now }),
            (Some(_), None) => stale.push(Stale::StateRemoved {
                path,
                planned: self.prior_state.clone(),
            }),
            (Some(planned), Some(found)) if planned != found => stale.push(Stale::LineageChanged {
                path,
                planned: planned.clone(),
                now: found.clone(),
            }),
            (Some(_), Some(_)) if self.prior_state.serial != now.serial => {
                stale.push(Stale::SerialChanged {
                    path,
                    planned: self.prior_state.serial,
                    now: now.serial,
                })
            }
            (Some(_), Some(_)) => {}
        }
        stale
    }

    /// The file's bytes: pretty JSON with a trailing newline, keys in a fixed order. Never
    /// returns what [`decode`] could not read back.
    pub fn encode(&self, path: &Path) -> Result<Vec<u8>, PlanFileError> {
        let unwritable = |detail: String| PlanFileError::Unwritable {
            path: path.to_path_buf(),
            detail,
        };
        let mut sealed = self.clone();
        sealed.digest = self.content_digest().map_err(unwritable)?;
        let mut bytes =
            serde_json::to_vec_pretty(&sealed).map_err(|error| unwritable(error.to_string()))?;
        bytes.push(b'\n');
        match decode(path, &bytes) {
            Ok(read_back) if read_back == sealed => Ok(bytes),
            Ok(_) => Err(unwritable(
                "the plan does not read back as written".to_string(),
            )),
            Err(error) => Err(unwritable(error.to_string())),
        }
    }

    /// The digest of everything but the digest: the compact JSON of the file with `digest`
    /// empty. Serialisation is deterministic (struct fields in order, maps sorted), so the
    /// same content always gives the same digest.
    fn content_digest(&self) -> Result<String, String> {
        use sha2::{Digest, Sha256};
        let mut unsealed = self.clone();
        unsealed.digest = String::new();
        let bytes = serde_json::to_vec(&unsealed).map_err(|error| error.to_string())?;
        Ok(Sha256::digest(&bytes)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect())
    }

    /// Writes the plan file atomically: a temporary file beside `path` (mode 0600: a plan
    /// holds attribute values), synced, then renamed over `path`.
    pub fn write(&self, path: &Path) -> Result<(), PlanFileError> {
        let bytes = self.encode(path)?;
        let failed = |what: &str, error: std::io::Error| PlanFileError::Unwritable {
            path: path.to_path_buf(),
            detail: format!("{what}: {error}"),
        };
        let dir = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        fs::create_dir_all(dir).map_err(|error| failed("create its directory", error))?;
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "plan".to_string());
        let temp = dir.join(format!(".{name}.tmp-{}", uuid::Uuid::new_v4()));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options
            .open(&temp)
            .and_then(|mut file| {
                file.write_all(&bytes)?;
                file.sync_all()
            })
            .and_then(|()| fs::rename(&temp, path));
        if let Err(error) = written {
            let _ = fs::remove_file(&temp);
            return Err(failed("write", error));
        }
        #[cfg(unix)]
        if let Ok(handle) = File::open(dir) {
            let _ = handle.sync_all();
        }
        Ok(())
    }
}

/// Reads the plan file at `path`.
pub fn read(path: &Path) -> Result<PlanFile, PlanFileError> {
    decode(path, &read_bytes(path)?)
}

/// The bytes of the file at `path`, read as a plan file may be: a regular file of at most
/// [`MAX_PLAN_FILE_BYTES`] (`blueprint::user_file`).
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, PlanFileError> {
    user_file::read(path, MAX_PLAN_FILE_BYTES).map_err(|source| PlanFileError::Unreadable {
        path: path.to_path_buf(),
        source,
    })
}

/// A plan file from its bytes: refuses anything but a plan file of [`FORMAT_VERSION`] with
/// exactly the known fields.
pub fn decode(path: &Path, bytes: &[u8]) -> Result<PlanFile, PlanFileError> {
    let corrupt = |detail: String| PlanFileError::Corrupt {
        path: path.to_path_buf(),
        detail,
    };
    // The version first, so an unknown format is reported as such and not as a wrong shape.
    let probe: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(bytes).map_err(|error| {
            corrupt(format!(
                "not a JSON object ({})",
                JsonErrorAt::of(bytes, &error)
            ))
        })?;
    match probe.get(MAGIC) {
        None => return Err(corrupt(format!("no `{MAGIC}` field"))),
        Some(serde_json::Value::Number(number))
            if number.as_u64() == Some(u64::from(FORMAT_VERSION)) => {}
        Some(other) => {
            return Err(PlanFileError::UnknownFormat {
                path: path.to_path_buf(),
                found: other.to_string(),
                supported: FORMAT_VERSION,
            })
        }
    }
    let file: PlanFile = serde_json::from_slice(bytes)
        .map_err(|error| corrupt(JsonErrorAt::of(bytes, &error).to_string()))?;
    match file.content_digest() {
        Ok(digest) if digest == file.digest => {}
        Ok(_) => {
            return Err(corrupt(
                "it was changed after eksforge wrote it (its digest does not match what it holds): make the plan again with `eksforge plan --out`".to_string(),
            ))
        }
        Err(detail) => return Err(corrupt(detail)),
    }
    if file.plan.blueprint != file.blueprint.name {
        return Err(corrupt(format!(
            "its plan is for blueprint `{}` but it records blueprint `{}`",
            file.plan.blueprint, file.blueprint.name
        )));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Action, ActionReason, Change, PlanMode};
    use crate::resources::{Attrs, Kind, Ref, ResourceId, Value};

    fn sample() -> PlanFile {
        let vpc = ResourceId::new(Kind::Vpc, "main");
        let subnet = ResourceId::parse("subnet.private.eu-west-1a").expect("an id");
        let mut subnet_after = Attrs::new();
        subnet_after.insert(
            "vpc_id".into(),
            Value::reference(Ref {
                resource: vpc.clone(),
                output: "id".into(),
            }),
        );
        subnet_after.insert("cidr_block".into(), Value::str("10.40.0.0/19"));
        subnet_after.insert(
            "arn_like".into(),
            Value::join(vec![
                Value::str("arn:aws:ec2:eu-west-1:123456789012:vpc/"),
                Value::reference(Ref {
                    resource: vpc.clone(),
                    output: "id".into(),
                }),
            ]),
        );
        let mut vpc_after = Attrs::new();
        vpc_after.insert("cidr_block".into(), Value::str("10.40.0.0/16"));
        vpc_after.insert("enable_dns_support".into(), Value::Bool(true));
        vpc_after.insert("count".into(), Value::Int(3));
        let change = |id: ResourceId, after: Attrs| Change {
            id,
            action: Action::Create,
            reason: None,
            cloud_id: None,
            adopted_via: None,
            outputs: Attrs::new(),
            before: None,
            after: Some(after),
            changed: Vec::new(),
            requires_replace: Vec::new(),
            drifted: Vec::new(),
            depends_on: Default::default(),
            existing_depends_on: Default::default(),
        };
        let mut replaced = change(
            ResourceId::parse("route_table.public").expect("an id"),
            Attrs::new(),
        );
        replaced.action = Action::DeleteThenCreate;
        replaced.reason = Some(ActionReason::ReplaceBecauseDependencyReplaced);
        replaced.before = Some(Attrs::new());
        replaced.cloud_id = Some("rtb-1".into());
        let mut file = PlanFile {
            eksforge_plan: FORMAT_VERSION,
            eksforge_version: "0.1.0".into(),
            created_at: "2026-08-01T12:00:00Z".into(),
            blueprint: BlueprintSnapshot {
                path: "network.toml".into(),
                canonical_path: "/work/network.toml".into(),
                name: "network".into(),
                source_hash: "ab".repeat(32),
            },
            settings: PlanSettings {
                vars: vec!["network.nat=single".into()],
                region: "eu-west-1".into(),
                state_path: "state/network.json".into(),
                state_path_absolute: "/work/state/network.json".into(),
                targets: Vec::new(),
                replace: Vec::new(),
                exclude: Vec::new(),
                refresh_only: false,
                allow_replace: Vec::new(),
                skip_preflight: false,
            },
            prior_state: PriorState {
                lineage: Some("5f0c4b9e-0000-4000-8000-000000000000".into()),
                serial: 7,
            },
            plan: Plan {
                blueprint: "network".into(),
                mode: PlanMode::Normal,
                changes: vec![
                    change(vpc, vpc_after),
                    change(subnet, subnet_after),
                    replaced,
                ],
                gone: vec![ResourceId::parse("route.public.default").expect("an id")],
                notes: vec!["a note".into()],
                posture: None,
                upgrade: None,
                moved: Default::default(),
            },
            superseded_json_view: None,
            digest: String::new(),
        };
        file.digest = file.content_digest().expect("a digest");
        file
    }

    fn state(lineage: &str, serial: u64) -> State {
        let mut state = State::new("network");
        state.lineage = lineage.to_string();
        state.serial = serial;
        state
    }

    #[test]
    fn a_plan_file_round_trips_exactly() {
        let file = sample();
        let bytes = file.encode(Path::new("p.json")).expect("encodes");
        assert!(looks_like_plan_file(&bytes));
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        assert!(text.starts_with("{\n  \"eksforge_plan\": 2,"), "{text}");
        assert!(
            text.contains("{\n                \"$ref\": \"vpc.main.id\"\n              }"),
            "{text}"
        );
        assert_eq!(decode(Path::new("p.json"), &bytes).expect("decodes"), file);
    }

    #[test]
    fn blueprints_are_not_taken_for_plan_files() {
        assert!(!looks_like_plan_file(b"[blueprint]\nname = \"x\"\n"));
        assert!(!looks_like_plan_file(b"# {\n"));
        assert!(!looks_like_plan_file(b""));
        assert!(!looks_like_plan_file(b"\x00\x01binary"));
        assert!(looks_like_plan_file(b"\xEF\xBB\xBF \n {\"eksforge_plan\""));
        assert!(looks_like_plan_file(b"{ truncated"));
    }

    #[test]
    fn unknown_versions_and_damage_are_refused_by_name() {
        let path = Path::new("p.json");
        let mut value = serde_json::to_value(sample()).expect("serialises");
        value[MAGIC] = serde_json::json!(3);
        let error = decode(path, value.to_string().as_bytes()).expect_err("format 3 is unknown");
        assert!(
            matches!(&error, PlanFileError::UnknownFormat { found, .. } if found == "3"),
            "{error}"
        );
        value[MAGIC] = serde_json::json!("1");
        assert!(matches!(
            decode(path, value.to_string().as_bytes()),
            Err(PlanFileError::UnknownFormat { .. })
        ));

        value[MAGIC] = serde_json::json!(FORMAT_VERSION);
        value["surprise"] = serde_json::json!(true);
        let error = decode(path, value.to_string().as_bytes()).expect_err("unknown field");
        assert!(error.to_string().contains("surprise"), "{error}");

        let error = decode(path, b"{\"eksforge_plan\": 2, \"pl").expect_err("truncated");
        assert!(matches!(error, PlanFileError::Corrupt { .. }), "{error}");
        let error = decode(path, b"{\"blueprint\": {}}").expect_err("no magic");
        assert!(
            error.to_string().contains("no `eksforge_plan` field"),
            "{error}"
        );
        let error = decode(path, b"[1]").expect_err("an array");
        assert!(matches!(error, PlanFileError::Corrupt { .. }), "{error}");

        let mut other = sample();
        other.plan.blueprint = "other".into();
        other.digest = other.content_digest().expect("a digest");
        let bytes = serde_json::to_vec(&other).expect("serialises");
        assert!(decode(path, &bytes)
            .expect_err("mismatch")
            .to_string()
            .contains("blueprint `other`"));
    }

    /// Any edit after eksforge wrote the file — one change's action, the prior serial — is
    /// refused as corrupt, naming the file.
    #[test]
    fn an_edited_plan_file_is_refused_as_corrupt() {
        let path = Path::new("saved.plan");
        let bytes = sample().encode(path).expect("encodes");
        assert!(decode(path, &bytes).is_ok());
        let mut value: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
        value["plan"]["changes"][0]["action"] = serde_json::json!("delete");
        let error = decode(path, value.to_string().as_bytes()).expect_err("edited");
        assert!(matches!(error, PlanFileError::Corrupt { .. }), "{error}");
        assert!(error.to_string().contains("saved.plan"), "{error}");
        assert!(
            error
                .to_string()
                .contains("changed after eksforge wrote it"),
            "{error}"
        );
        let mut value: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
        value["prior_state"]["serial"] = serde_json::json!(99);
        assert!(decode(path, value.to_string().as_bytes()).is_err());
        // Re-serialised unchanged (another key order, no pretty printing): still accepted.
        let value: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
        assert!(decode(path, value.to_string().as_bytes()).is_ok());
    }

    #[test]
    fn check_names_everything_that_moved_on() {
        let file = sample();
        let hash = file.blueprint.source_hash.clone();
        let same = state("5f0c4b9e-0000-4000-8000-000000000000", 7);
        let fresh = Current {
            source_hash: &hash,
            region: "eu-west-1",
            state: Some(&same),
        };
        assert_eq!(file.check(&fresh), Vec::new());

        let moved = state("5f0c4b9e-0000-4000-8000-000000000000", 9);
        let stale = file.check(&Current {
            state: Some(&moved),
            ..fresh.clone()
        });
        assert_eq!(
            stale,
            vec![Stale::SerialChanged {
                path: "state/network.json".into(),
                planned: 7,
                now: 9
            }]
        );
        assert!(
            stale[0].to_string().contains("serial 7 then, 9 now"),
            "{}",
            stale[0]
        );

        let other = state("another", 7);
        assert!(matches!(
            file.check(&Current {
                state: Some(&other),
                ..fresh.clone()
            })[..],
            [Stale::LineageChanged { .. }]
        ));
        assert!(matches!(
            file.check(&Current {
                state: None,
                ..fresh.clone()
            })[..],
            [Stale::StateRemoved { .. }]
        ));

        let stale = file.check(&Current {
            source_hash: "cd",
            region: "us-east-1",
            state: Some(&moved),
        });
        assert_eq!(stale.len(), 3, "{stale:?}");
        assert!(matches!(stale[0], Stale::BlueprintChanged { .. }));
        assert!(matches!(stale[1], Stale::RegionChanged { .. }));

        let mut first = sample();
        first.prior_state = PriorState::of(None);
        assert_eq!(
            first.check(&Current {
                state: None,
                ..fresh.clone()
            }),
            Vec::new()
        );
        assert!(matches!(
            first.check(&fresh)[..],
            [Stale::StateCreated { .. }]
        ));
    }

    #[test]
    fn writing_replaces_the_file_whole() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("plans/p.json");
        let file = sample();
        file.write(&path).expect("written");
        file.write(&path).expect("replaced");
        assert_eq!(read(&path).expect("read back"), file);
        let names: Vec<_> = fs::read_dir(dir.path().join("plans"))
            .expect("list")
            .filter_map(Result::ok)
            .map(|entry| entry.file_name())
            .collect();
        assert_eq!(
            names,
            vec![std::ffi::OsString::from("p.json")],
            "no temporary file left"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("metadata").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(matches!(
            read(&dir.path().join("missing.json")),
            Err(PlanFileError::Unreadable { .. })
        ));
    }
}
