//! The plan file `plan --out` writes: the plan (posture included) with what it was computed
//! from, so `apply FILE` applies exactly it or refuses a stale one (`plan::file`).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::blueprint::LoadedBlueprint;
use crate::plan::file::{BlueprintSnapshot, PlanFile, PlanSettings, PriorState, FORMAT_VERSION};
use crate::plan::Plan;

use super::OperationError;

/// The settings that shaped a plan, as `plan` resolved them.
pub struct SavedSettings<'a> {
    pub vars: &'a [String],
    pub region: &'a str,
    /// The state file as resolved (`--state`, `[state] path`, or `state/<name>.json`).
    pub state_path: &'a Path,
    pub targets: &'a [String],
    pub replace: &'a [String],
    pub exclude: &'a [String],
    pub refresh_only: bool,
    pub allow_replace: &'a [String],
    pub skip_preflight: bool,
}

/// Refuses a `plan --out` path that is one of the user's files: the state file, its backup
/// or lock (`state_path`, for the local backend), the blueprint or any file of its `extends`
/// chain. Paths are compared as the files they name (symlinks and `..` resolved), so another
/// spelling of the same file is refused too. Checked before the plan is made.
pub fn check_plan_out(
    out: &Path,
    loaded: &LoadedBlueprint,
    state_path: Option<&Path>,
) -> Result<(), OperationError> {
    let mut protected: Vec<(PathBuf, String)> = Vec::new();
    if let Some(state) = state_path {
        let with_suffix = |suffix: &str| {
            let mut name = state.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name)
        };
        protected.push((state.to_path_buf(), "the state file".to_string()));
        protected.push((with_suffix(".backup"), "the state's backup".to_string()));
        protected.push((with_suffix(".lock"), "the state's lock file".to_string()));
    }
    for (index, file) in loaded.source_files().into_iter().enumerate() {
        let what = if index == 0 {
            "the blueprint".to_string()
        } else {
            "a file of the blueprint's `extends` chain".to_string()
        };
        protected.push((file, what));
    }
    let out_file = file_identity(out);
    match protected
        .into_iter()
        .find(|(path, _)| file_identity(path) == out_file)
    {
        Some((path, what)) => Err(OperationError::PlanOutOverwrites {
            out: out.to_path_buf(),
            what: format!("{what} ({})", path.display()),
        }),
        None => Ok(()),
    }
}

/// The file `path` names: canonical when it exists, else its canonical directory joined with
/// its name (so a plan file not written yet still compares), else the path made absolute.
fn file_identity(path: &Path) -> PathBuf {
    if let Ok(canonical) = std::fs::canonicalize(path) {
        return canonical;
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    match (absolute.parent(), absolute.file_name()) {
        (Some(parent), Some(name)) => std::fs::canonicalize(parent)
            .map(|parent| parent.join(name))
            .unwrap_or(absolute.clone()),
        _ => absolute,
    }
}

/// The plan file for `plan`, with everything `apply FILE` checks before applying it.
pub fn saved_plan(
    loaded: &LoadedBlueprint,
    settings: &SavedSettings<'_>,
    prior_state: PriorState,
    plan: &Plan,
) -> Result<PlanFile, OperationError> {
    let unresolved = |path: &Path, error: std::io::Error| OperationError::PathUnresolved {
        path: path.to_path_buf(),
        detail: error.to_string(),
    };
    let canonical_path =
        std::fs::canonicalize(loaded.path()).map_err(|error| unresolved(loaded.path(), error))?;
    let state_path: PathBuf = settings.state_path.to_path_buf();
    let state_path_absolute =
        std::path::absolute(&state_path).map_err(|error| unresolved(&state_path, error))?;
    Ok(PlanFile {
        eksforge_plan: FORMAT_VERSION,
        eksforge_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: crate::state::rfc3339_utc(SystemTime::now()),
        blueprint: BlueprintSnapshot {
            path: loaded.path().to_path_buf(),
            canonical_path,
            name: loaded.model.blueprint.name.clone(),
            source_hash: loaded.source_hash(),
        },
        settings: PlanSettings {
            vars: settings.vars.to_vec(),
            region: settings.region.to_string(),
            state_path,
            state_path_absolute,
            targets: settings.targets.to_vec(),
            replace: settings.replace.to_vec(),
            exclude: settings.exclude.to_vec(),
            refresh_only: settings.refresh_only,
            allow_replace: settings.allow_replace.to_vec(),
            skip_preflight: settings.skip_preflight,
        },
        prior_state,
        plan: plan.clone(),
        superseded_json_view: None,
        // Set when the file is encoded (`PlanFile::encode`).
        digest: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn the_users_files_are_never_a_plan_out_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let base = write(
            dir.path(),
            "base.toml",
            "[blueprint]\nname = \"net\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n",
        );
        let child = write(
            dir.path(),
            "child.toml",
            "[blueprint]\nextends = \"base.toml\"\n",
        );
        let loaded = crate::blueprint::load(&child, &[]).expect("loads");
        let state = dir.path().join("state/net.json");
        let refused = |out: PathBuf| {
            check_plan_out(&out, &loaded, Some(&state))
                .expect_err("refused")
                .to_string()
        };
        assert!(refused(child.clone()).contains("it is the blueprint"));
        assert!(refused(base.clone()).contains("`extends` chain"));
        assert!(refused(state.clone()).contains("the state file"));
        assert!(refused(dir.path().join("state/net.json.backup")).contains("backup"));
        assert!(refused(dir.path().join("state/net.json.lock")).contains("lock file"));
        // Another spelling of the same file.
        std::fs::create_dir_all(dir.path().join("sub")).expect("mkdir");
        assert!(refused(dir.path().join("sub/../child.toml")).contains("the blueprint"));
        assert!(check_plan_out(&dir.path().join("plan.json"), &loaded, Some(&state)).is_ok());
        assert!(check_plan_out(&dir.path().join("new/plan.json"), &loaded, None).is_ok());
    }
}
