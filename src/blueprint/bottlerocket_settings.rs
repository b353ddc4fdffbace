//! Bottlerocket's settings as eksforge lets a blueprint extend them and as the audit reads them.
//!
//! A node group's `user_data` is a TOML document of `[settings.…]` tables. [`check_fragment`]
//! is the one set of rules it must follow: validation reports every broken rule at its line,
//! and the expansion merges only a fragment that follows them ([`fragment_settings`]). The
//! rules keep the fragment under `settings` and away from what weakens the node (a way into the
//! host besides SSM, privileged containers outside Kubernetes, credentials) or what eksforge
//! writes from other keys (node labels and taints). [`node_settings`] is the other direction:
//! what a node's whole user data grants beyond Kubernetes, which the posture audit judges.

use std::ops::Range;

use toml::Spanned;

use super::raw::RawValue;

/// A setting the fragment may not write: why, and what to do instead.
#[derive(Debug, PartialEq)]
pub struct RefusedSetting {
    /// Below the document root, `.`-separated (`settings.host-containers`); everything under it
    /// is refused too.
    pub path: &'static str,
    /// Refused only with this value (`None`: with any value).
    pub value: Option<&'static str>,
    pub why: &'static str,
    pub instead: &'static str,
}

/// What `user_data` may not set (docs/blueprint.md lists the same). No blueprint key allows
/// any of them back: a node reaches its operators through SSM only.
pub const REFUSED_SETTINGS: &[RefusedSetting] = &[
    RefusedSetting {
        path: "settings.host-containers",
        value: None,
        why: "host containers run outside Kubernetes with access to the host; eksforge keeps the admin container (a root shell, Bottlerocket's SSH path) off and the control container (SSM) on",
        instead: "remove it: reach nodes with SSM Session Manager through the control container eksforge enables (no blueprint key adds a host container)",
    },
    RefusedSetting {
        path: "settings.bootstrap-containers",
        value: None,
        why: "bootstrap containers run with the host's privileges before Kubernetes starts, where no admission policy sees them",
        instead: "remove it: tune the node with Bottlerocket settings (e.g. [settings.kernel.sysctl]) or run the setup as a DaemonSet",
    },
    RefusedSetting {
        path: "settings.kubernetes.static-pods",
        value: None,
        why: "static pods are started by the kubelet without the API server, so no admission policy sees them",
        instead: "remove it: deploy the workload through the API server (a DaemonSet)",
    },
    RefusedSetting {
        path: "settings.kubernetes.node-labels",
        value: None,
        why: "eksforge writes the node labels from node_groups[].labels (and sends them to the node group API too)",
        instead: "move the labels to node_groups[].labels",
    },
    RefusedSetting {
        path: "settings.kubernetes.node-taints",
        value: None,
        why: "eksforge writes the node taints from node_groups[].taints (and sends them to the node group API too)",
        instead: "move the taints to node_groups[].taints = [{ key = \"…\", value = \"…\", effect = \"NoSchedule\" }]",
    },
    RefusedSetting {
        path: "settings.kubernetes.allowed-unsafe-sysctls",
        value: None,
        why: "it lets pods set kernel parameters that are not namespaced, that is the node's own",
        instead: "set the parameter on the node with [settings.kernel.sysctl]",
    },
    RefusedSetting {
        path: "settings.oci-defaults.capabilities",
        value: None,
        why: "it changes the Linux capabilities every container gets without asking for them",
        instead: "grant a capability to the pod that needs it (securityContext.capabilities.add), where admission policy sees it",
    },
    RefusedSetting {
        path: "settings.kernel.lockdown",
        value: Some("none"),
        why: "lockdown \"none\" lets root modify the running kernel",
        instead: "keep Bottlerocket's default, or set \"integrity\" or \"confidentiality\"",
    },
    RefusedSetting {
        path: "settings.aws.credentials",
        value: None,
        why: "credentials in user data can be read by anyone who can read the launch template",
        instead: "remove it: nodes act as the node role; pods get roles through [irsa] or [[pod_identity]]",
    },
    RefusedSetting {
        path: "settings.container-registry.credentials",
        value: None,
        why: "registry credentials in user data can be read by anyone who can read the launch template",
        instead: "pull from ECR with the node role, or configure a kubelet credential provider ([settings.kubernetes.credential-providers])",
    },
];

/// Tables eksforge itself writes into the user data; the fragment must leave every table on
/// their way a table (a value or an array there would redefine eksforge's tables).
const EKSFORGE_TABLES: &[&str] = &[
    "settings.host-containers.admin",
    "settings.host-containers.control",
    "settings.kubernetes.node-labels",
    "settings.kubernetes.node-taints",
];

/// One rule a `user_data` fragment breaks, at `span` (bytes of the fragment).
#[derive(Debug, Clone, PartialEq)]
pub struct FragmentProblem {
    pub kind: FragmentProblemKind,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FragmentProblemKind {
    /// Not TOML at all (the parser's message).
    Syntax(String),
    /// A key or table outside `settings` (a bare key before any table is one).
    OutsideSettings(String),
    /// `settings` or a table eksforge writes into given as something else.
    NotATable(String),
    /// A `nan` at this path: no setting takes one, and it is not equal even to itself, so the
    /// user data could not be checked after it is written.
    NotANumber(String),
    /// A setting of [`REFUSED_SETTINGS`], at `path` as written.
    Refused {
        path: String,
        setting: &'static RefusedSetting,
    },
}

impl FragmentProblem {
    /// The problem, said of the fragment written at `key` (`node_groups[0].user_data`).
    pub fn message(&self, key: &str) -> String {
        match &self.kind {
            FragmentProblemKind::Syntax(message) => {
                format!("{key} is not Bottlerocket settings TOML: {message}")
            }
            FragmentProblemKind::OutsideSettings(name) => format!(
                "{key} sets `{name}` outside [settings]: eksforge merges user data under `settings` only"
            ),
            FragmentProblemKind::NotATable(path) => format!(
                "{key} gives `{path}` a value, but it is a table of settings eksforge writes into"
            ),
            FragmentProblemKind::NotANumber(path) => {
                format!("{key} gives `{path}` the float nan, which no Bottlerocket setting takes")
            }
            FragmentProblemKind::Refused { path, setting } => match setting.value {
                Some(value) => format!(
                    "{key} sets `{path} = \"{value}\"`, which eksforge refuses: {}",
                    setting.why
                ),
                None => format!(
                    "{key} sets `{path}`, which eksforge refuses: {}",
                    setting.why
                ),
            },
        }
    }

    /// A short label for the place in the source.
    pub fn label(&self) -> &'static str {
        match &self.kind {
            FragmentProblemKind::Syntax(_) => "not TOML",
            FragmentProblemKind::OutsideSettings(_) => "outside [settings]",
            FragmentProblemKind::NotATable(_) => "not a table",
            FragmentProblemKind::NotANumber(_) => "nan",
            FragmentProblemKind::Refused { .. } => "refused setting",
        }
    }

    /// The fix.
    pub fn help(&self) -> String {
        match &self.kind {
            FragmentProblemKind::Syntax(_) => {
                "write Bottlerocket settings as [settings.…] tables, e.g. \"[settings.kernel]\\nlockdown = \\\"integrity\\\"\"".to_string()
            }
            FragmentProblemKind::OutsideSettings(key) => format!(
                "put `{key}` in the [settings.…] table it belongs to (a key above the first table header is at the top level, not in any table)"
            ),
            FragmentProblemKind::NotATable(path) => {
                format!("write `{path}` as a [{path}] table, or leave it out")
            }
            FragmentProblemKind::NotANumber(path) => format!("give `{path}` a number, or leave it out"),
            FragmentProblemKind::Refused { setting, .. } => setting.instead.to_string(),
        }
    }
}

/// Every rule `fragment` breaks (empty when it may be merged). A blank fragment breaks none.
pub fn check_fragment(fragment: &str) -> Vec<FragmentProblem> {
    let root = match toml::from_str::<Spanned<RawValue>>(fragment) {
        Ok(root) => root,
        Err(error) => {
            return vec![FragmentProblem {
                kind: FragmentProblemKind::Syntax(error.message().trim().to_string()),
                span: error.span().unwrap_or(0..0),
            }]
        }
    };
    let mut problems = Vec::new();
    let RawValue::Table(entries) = root.get_ref() else {
        return problems;
    };
    for (key, value) in entries {
        if key.name == "settings" {
            walk(&mut problems, "settings", key.span.clone(), value);
        } else {
            problems.push(FragmentProblem {
                kind: FragmentProblemKind::OutsideSettings(key.name.clone()),
                span: key.span.clone(),
            });
        }
    }
    problems.sort_by_key(|problem| problem.span.start);
    problems
}

/// Checks the value at `path` (its key written at `span`) and everything below it.
fn walk(
    problems: &mut Vec<FragmentProblem>,
    path: &str,
    span: Range<usize>,
    value: &Spanned<RawValue>,
) {
    if let Some(setting) = refused(path, value.get_ref()) {
        problems.push(FragmentProblem {
            kind: FragmentProblemKind::Refused {
                path: path.to_string(),
                setting,
            },
            span,
        });
        return;
    }
    match value.get_ref() {
        RawValue::Table(entries) => {
            for (key, child) in entries {
                walk(
                    problems,
                    &format!("{path}.{}", dotted_key(&key.name)),
                    key.span.clone(),
                    child,
                );
            }
        }
        _ if holds_eksforge_table(path) => problems.push(FragmentProblem {
            kind: FragmentProblemKind::NotATable(path.to_string()),
            span,
        }),
        other if holds_nan(other) => problems.push(FragmentProblem {
            kind: FragmentProblemKind::NotANumber(path.to_string()),
            span,
        }),
        _ => {}
    }
}

/// Whether `value` is or holds a `nan`.
fn holds_nan(value: &RawValue) -> bool {
    match value {
        RawValue::Float(number) => number.is_nan(),
        RawValue::Array(items) => items.iter().any(|item| holds_nan(item.get_ref())),
        RawValue::Table(entries) => entries.iter().any(|(_, item)| holds_nan(item.get_ref())),
        RawValue::Bool(_) | RawValue::Int(_) | RawValue::Str(_) => false,
    }
}

/// The refused setting `path` is (with `value`), compared without case: Bottlerocket's
/// names are lower case, and a look-alike is refused rather than argued about.
fn refused(path: &str, value: &RawValue) -> Option<&'static RefusedSetting> {
    REFUSED_SETTINGS.iter().find(|setting| {
        setting.path.eq_ignore_ascii_case(path)
            && match (setting.value, value) {
                (None, _) => true,
                (Some(refused), RawValue::Str(text)) => refused.eq_ignore_ascii_case(text.trim()),
                (Some(_), _) => false,
            }
    })
}

/// Whether eksforge writes a table at or below `path`.
fn holds_eksforge_table(path: &str) -> bool {
    EKSFORGE_TABLES.iter().any(|table| {
        table.len() >= path.len()
            && table[..path.len()].eq_ignore_ascii_case(path)
            && table[path.len()..].chars().next().is_none_or(|c| c == '.')
    })
}

/// A key as it reads in a dotted path: bare when it can be, else quoted.
fn dotted_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}

/// The fragment's `settings` table, to merge into the user data, when it follows every rule;
/// `None` when it sets nothing (blank, comments only, or an empty `[settings]`).
pub fn fragment_settings(fragment: &str) -> Result<Option<toml::Table>, Vec<FragmentProblem>> {
    let problems = check_fragment(fragment);
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut document: toml::Table = fragment.parse().map_err(|error: toml::de::Error| {
        vec![FragmentProblem {
            kind: FragmentProblemKind::Syntax(error.message().trim().to_string()),
            span: error.span().unwrap_or(0..0),
        }]
    })?;
    match document.remove("settings") {
        Some(toml::Value::Table(settings)) if !settings.is_empty() => Ok(Some(settings)),
        // Nothing to merge (`check_fragment` allows nothing but a `settings` table at the top).
        _ => Ok(None),
    }
}

/// What a node's Bottlerocket settings run besides Kubernetes' own pods, with Bottlerocket's
/// defaults where the settings are silent.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeSettings {
    /// Every host container the settings name, `admin` and `control` always among them.
    pub host_containers: Vec<HostContainer>,
    /// Bootstrap containers that run at boot (`mode` other than `off`), as `(name, mode)`.
    pub bootstrap_containers: Vec<(String, String)>,
    /// Static pods not turned off.
    pub static_pods: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HostContainer {
    pub name: String,
    pub enabled: bool,
    /// Root access to the host.
    pub superpowered: bool,
}

/// Reads the settings of a node's whole user data (`None`: the launch template has none, so
/// the node runs on Bottlerocket's defaults). An error says what could not be read: user data
/// that is not TOML, or a setting of the wrong type (Bottlerocket would refuse it too).
pub fn node_settings(user_data: Option<&str>) -> Result<NodeSettings, String> {
    let document: toml::Table = match user_data {
        Some(text) => text.parse().map_err(|error: toml::de::Error| {
            format!(
                "the user data is not Bottlerocket settings TOML: {}",
                error.message().trim()
            )
        })?,
        None => toml::Table::new(),
    };
    let settings = table_at(&document, "settings", "settings")?;
    let section = |name: &str| match settings {
        Some(settings) => table_at(settings, name, &format!("settings.{name}")),
        None => Ok(None),
    };
    // Bottlerocket's own defaults for its two host containers (aws-k8s variants).
    let mut host_containers = vec![
        HostContainer {
            name: "admin".into(),
            enabled: false,
            superpowered: true,
        },
        HostContainer {
            name: "control".into(),
            enabled: true,
            superpowered: false,
        },
    ];
    for (name, value) in section("host-containers")?.into_iter().flatten() {
        let path = format!("settings.host-containers.{}", dotted_key(name));
        let value = value
            .as_table()
            .ok_or_else(|| format!("{path} is not a table"))?;
        let position = match host_containers.iter().position(|c| &c.name == name) {
            Some(position) => position,
            None => {
                host_containers.push(HostContainer {
                    name: name.clone(),
                    enabled: false,
                    superpowered: false,
                });
                host_containers.len() - 1
            }
        };
        let container = &mut host_containers[position];
        if let Some(enabled) = flag(value, "enabled", &path)? {
            container.enabled = enabled;
        }
        if let Some(superpowered) = flag(value, "superpowered", &path)? {
            container.superpowered = superpowered;
        }
    }
    let mut bootstrap_containers = Vec::new();
    for (name, value) in section("bootstrap-containers")?.into_iter().flatten() {
        let path = format!("settings.bootstrap-containers.{}", dotted_key(name));
        let value = value
            .as_table()
            .ok_or_else(|| format!("{path} is not a table"))?;
        let mode = match value.get("mode") {
            None => "off",
            Some(toml::Value::String(mode)) => mode.as_str(),
            Some(_) => return Err(format!("{path}.mode is not a string")),
        };
        if mode != "off" {
            bootstrap_containers.push((name.clone(), mode.to_string()));
        }
    }
    let mut static_pods = Vec::new();
    let pods = match section("kubernetes")? {
        Some(kubernetes) => table_at(kubernetes, "static-pods", "settings.kubernetes.static-pods")?,
        None => None,
    };
    for (name, value) in pods.into_iter().flatten() {
        let path = format!("settings.kubernetes.static-pods.{}", dotted_key(name));
        let value = value
            .as_table()
            .ok_or_else(|| format!("{path} is not a table"))?;
        // A pod that does not say is counted: never a pass on a guess.
        if flag(value, "enabled", &path)?.unwrap_or(true) {
            static_pods.push(name.clone());
        }
    }
    Ok(NodeSettings {
        host_containers,
        bootstrap_containers,
        static_pods,
    })
}

/// `table.key` as a table (`None` when absent); `path` names it in the error.
fn table_at<'t>(
    table: &'t toml::Table,
    key: &str,
    path: &str,
) -> Result<Option<&'t toml::Table>, String> {
    match table.get(key) {
        None => Ok(None),
        Some(toml::Value::Table(inner)) => Ok(Some(inner)),
        Some(_) => Err(format!("{path} is not a table")),
    }
}

/// `table.key` as a boolean (`None` when absent).
fn flag(table: &toml::Table, key: &str, path: &str) -> Result<Option<bool>, String> {
    match table.get(key) {
        None => Ok(None),
        Some(toml::Value::Boolean(value)) => Ok(Some(*value)),
        Some(_) => Err(format!("{path}.{key} is not a boolean")),
    }
}

#[cfg(test)]
mod tests;
