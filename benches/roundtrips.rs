//! The round-trip benchmark (`scripts/bench`; see `docs/performance.md`).
//!
//! Runs the eksforge binary against moto through the project's loopback proxy, which adds a
//! fixed latency L to every AWS call, and reports for each scenario the wall time in round
//! trips (wall ÷ L), the calls (total / mutating), and the floor: the longest chain of
//! dependent calls the graph allows (`eksforge::plan::floor`). Then, with the proxy holding the
//! cluster, node groups and NAT gateways in their pending states for scaled waits, apply wall
//! time ÷ the critical path of those waits. `adopt` of the applied cluster is measured beside
//! the plans (no floor: its chain is the reads of `observe` and two refreshes). Then, in process and with no network: planning CPU
//! time and peak allocation for the large synthetic blueprint at 1×, 2×, 4×; and `eksforge
//! validate` as a whole process.
//!
//! Not a test: nothing here asserts a timing. Options (after `--`):
//!   --latency-ms N   the per-call latency L (default 100)
//!   --no-large       skip the large synthetic blueprint against moto
//!   --only SECTION   one of: roundtrips, waits, upgrade, planning, validate

#[path = "../tests/support/mod.rs"]
mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use eksforge::graph::ResourceGraph;
use eksforge::plan::floor;
use eksforge::plan::{self, DiffOptions, Refreshed};
use eksforge::resources::{Attrs, DesiredSet, Kind, Placement, Ref, ResourceId, Value};
use eksforge::state::{ResourceRecord, State};

use support::proxy::Holds;
use support::World;

// ---------------------------------------------------------------------------------------------
// A counting allocator: current and peak bytes, for the in-process planning figures.

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(pointer, layout, new_size) };
        if !new.is_null() {
            if new_size >= layout.size() {
                let now = CURRENT.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                    - layout.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// CPU time (user + system) of the children waited for so far: fields 16 and 17 of
/// `/proc/self/stat`, in clock ticks (100 per second on Linux).
fn children_cpu() -> Duration {
    let text = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = text
        .rsplit_once(") ")
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // After the name: state is field 3, so cutime (16) and cstime (17) are at 13 and 14.
    let ticks: u64 = [13, 14]
        .iter()
        .filter_map(|index| fields.get(*index)?.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

/// CPU time of the calling thread (Linux: `/proc/thread-self/schedstat`, nanoseconds on CPU).
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

// ---------------------------------------------------------------------------------------------
// Options.

struct Options {
    latency: Duration,
    large: bool,
    only: Option<String>,
    repeat: usize,
}

fn options() -> Options {
    let mut options = Options {
        latency: Duration::from_millis(
            std::env::var("EKSFORGE_BENCH_LATENCY_MS")
                .ok()
                .and_then(|text| text.parse().ok())
                .unwrap_or(100),
        ),
        large: true,
        only: None,
        repeat: 3,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--latency-ms" => {
                if let Some(ms) = args.next().and_then(|text| text.parse().ok()) {
                    options.latency = Duration::from_millis(ms);
                }
            }
            "--no-large" => options.large = false,
            "--repeat" => {
                if let Some(count) = args.next().and_then(|text| text.parse().ok()) {
                    options.repeat = usize::max(count, 1);
                }
            }
            "--only" => options.only = args.next(),
            // `cargo bench` passes `--bench`; anything else is ignored.
            _ => {}
        }
    }
    options
}

// ---------------------------------------------------------------------------------------------
// Blueprints: the reference one and the large synthetic one.

const HARDENED: &str = include_str!("../blueprints/hardened.toml");

/// The reference blueprint with `scale × 50` node groups and `scale × 200` IRSA service
/// accounts (each with one managed policy), under its own name.
fn large_blueprint(scale: usize) -> String {
    let mut text = HARDENED.replacen("name = \"hardened\"", "name = \"large\"", 1);
    for index in 1..50 * scale {
        text.push_str(&format!(
            "\n[[node_groups]]\nname = \"pool{index}\"\nami = \"bottlerocket\"\narch = \"x86_64\"\ninstance_types = [\"m6i.large\"]\nmin_size = 1\nmax_size = 3\ndesired_size = 1\n"
        ));
    }
    for index in 1..200 * scale {
        text.push_str(&format!(
            "\n[[irsa.service_accounts]]\nnamespace = \"team{}\"\nname = \"app{index}\"\nmanaged_policies = [\"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\"]\n",
            index % 20
        ));
    }
    text
}

fn placement() -> Placement {
    Placement {
        azs: ["a", "b", "c"]
            .iter()
            .map(|zone| format!("{}{zone}", support::REGION))
            .collect(),
        region: support::REGION.to_string(),
        account_id: "123456789012".to_string(),
        partition: "aws".to_string(),
    }
}

/// The desired model and graph as every command builds them (`operation::placement`).
fn desired_of(path: &Path) -> (DesiredSet, ResourceGraph) {
    let loaded = eksforge::blueprint::load(path, &[]).expect("blueprint loads");
    eksforge::operation::placement::desired(&loaded, &placement()).expect("expands")
}

// ---------------------------------------------------------------------------------------------
// Round trips against moto.

struct Row {
    blueprint: String,
    scenario: String,
    wall: Duration,
    /// CPU time of the eksforge process (user + system).
    cpu: Duration,
    calls: usize,
    mutating: usize,
    /// The longest chain of calls each sent after the previous one was answered.
    rounds: usize,
    floor: Option<u64>,
    ok: bool,
}

fn print_rows(latency: Duration, rows: &[Row]) {
    println!(
        "\n| blueprint | scenario | rounds | floor | rounds ÷ floor | wall | RTT (wall ÷ L) | calls (total / mutating) | eksforge CPU |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let rtt = row.wall.as_secs_f64() / latency.as_secs_f64();
        let (floor, ratio) = match row.floor {
            Some(floor) => (
                floor.to_string(),
                format!("{:.2}", row.rounds as f64 / floor as f64),
            ),
            None => ("—".to_string(), "—".to_string()),
        };
        println!(
            "| {} | {}{} | {} | {} | {} | {:.2} s | {:.1} | {} / {} | {:.2} s |",
            row.blueprint,
            row.scenario,
            if row.ok { "" } else { " (FAILED)" },
            row.rounds,
            floor,
            ratio,
            row.wall.as_secs_f64(),
            rtt,
            row.calls,
            row.mutating,
            row.cpu.as_secs_f64()
        );
    }
}

/// One eksforge run through the proxy, as the tables report it.
struct Measured {
    wall: Duration,
    cpu: Duration,
    calls: usize,
    mutating: usize,
    rounds: usize,
    ok: bool,
    stdout: String,
}

fn run(world: &World, args: &[&str]) -> Measured {
    world.proxy.reset();
    let cpu_before = children_cpu();
    let started = Instant::now();
    let result = world.eksforge(args);
    let wall = started.elapsed();
    let cpu = children_cpu().saturating_sub(cpu_before);
    let calls = world.proxy.calls();
    let mutating = calls.iter().filter(|call| call.is_mutating()).count();
    let chain = support::rounds::chain(&calls);
    if std::env::var_os("EKSFORGE_BENCH_TRACE").is_some() {
        // The call log in time order, then the chain the rounds count: where the time goes.
        let millis = |at: Instant| at.duration_since(started).as_secs_f64() * 1e3;
        // One line per call: received → answered, and what it was about (a role name, a
        // filter) without the protocol's boilerplate.
        let print = |call: &support::proxy::Call| {
            let about: String = call
                .sent
                .split('&')
                .filter(|pair| !pair.starts_with("Action=") && !pair.starts_with("Version="))
                .collect::<Vec<_>>()
                .join(" ")
                .chars()
                .take(90)
                .collect();
            eprintln!(
                "{:>7.0} → {:>7.0} ms  {} {}  {about}",
                millis(call.received),
                millis(call.at),
                call.service,
                call.action,
            );
        };
        eprintln!("--- eksforge {}", args.join(" "));
        calls.iter().for_each(print);
        eprintln!("--- its {} rounds:", chain.len());
        chain.iter().copied().for_each(print);
    }
    if result.code != 0 && result.code != 2 {
        eprintln!("eksforge {args:?} failed:\n{}", result.all());
    }
    Measured {
        wall,
        cpu,
        calls: calls.len(),
        mutating,
        rounds: chain.len(),
        ok: result.code == 0 || result.code == 2,
        stdout: result.stdout,
    }
}

/// apply from nothing, no-op plan (and without preflight), a one-attribute update, destroy.
fn roundtrips(latency: Duration, repeat: usize, name: &str, text: &str, rows: &mut Vec<Row>) {
    let file = format!("{name}.toml");
    let (desired, graph) = {
        let scratch = tempfile::tempdir().expect("a scratch directory");
        let path = scratch.path().join(&file);
        std::fs::write(&path, text).expect("blueprint written");
        desired_of(&path)
    };
    let floors = floor::floors(&graph);
    let log_group: Vec<ResourceId> = desired
        .resources
        .keys()
        .filter(|id| id.kind() == Kind::LogGroup)
        .cloned()
        .collect();
    eprintln!(
        "{name}: {} resources; create chain ({} RTT after the read round): {}",
        desired.resources.len(),
        floors.apply_from_nothing - 1,
        floors
            .create_chain
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" → ")
    );
    eprintln!(
        "{name}: destroy chain ({} RTT after the read round): {}",
        floors.destroy - 1,
        floors
            .destroy_chain
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" → ")
    );
    let updated = text.replacen("log_retention_days = 90", "log_retention_days = 30", 1);
    // The whole cycle `repeat` times (the machine is shared): the median of each scenario.
    let mut runs: BTreeMap<usize, Vec<Row>> = BTreeMap::new();
    for _ in 0..repeat {
        // Each cycle in an account of its own, so every apply is from nothing (after a
        // destroy, a KMS key pending deletion would be found and brought back instead).
        let world = World::new();
        world.write(&file, text);
        // Warm moto (the first IAM call loads the managed policies, ~1.5 s) without latency.
        let _ = world.eksforge(&["plan", &file, "--skip-preflight"]);
        world.proxy.set_latency(latency);
        let mut row = |index: usize, scenario: &str, args: &[&str], floor: Option<u64>| {
            let measured = run(&world, args);
            runs.entry(index).or_default().push(Row {
                blueprint: name.to_string(),
                scenario: scenario.to_string(),
                wall: measured.wall,
                cpu: measured.cpu,
                calls: measured.calls,
                mutating: measured.mutating,
                rounds: measured.rounds,
                floor,
                ok: measured.ok,
            });
        };
        row(
            0,
            "apply from nothing",
            &["apply", &file, "--auto-approve"],
            Some(floors.apply_from_nothing),
        );
        row(1, "no-op plan", &["plan", &file], Some(floors.no_op_plan));
        row(
            2,
            "no-op plan --skip-preflight",
            &["plan", &file, "--skip-preflight"],
            Some(floors.no_op_plan),
        );
        // The same cluster brought in by `adopt` as if its state were lost (a state of its own).
        row(
            5,
            "adopt (read-only: blueprint and state written)",
            &[
                "adopt",
                "--cluster",
                name,
                "--out",
                "adopted",
                "--state",
                "adopted.json",
            ],
            None,
        );
        let _ = std::fs::remove_dir_all(world.path("adopted"));
        let _ = std::fs::remove_file(world.path("adopted.json"));
        world.write(&file, &updated);
        row(
            3,
            "one-attribute update (log retention)",
            &["apply", &file, "--auto-approve"],
            Some(floor::update_floor(&log_group)),
        );
        row(
            4,
            "destroy",
            // The reference cluster is deletion-protected: destroy needs the consent.
            &[
                "destroy",
                &file,
                "--auto-approve",
                "--allow-replace",
                "eks_cluster.main",
            ],
            Some(floors.destroy),
        );
    }
    for (_, mut samples) in runs {
        samples.sort_by_key(|row| row.wall);
        let middle = samples.len() / 2;
        rows.push(samples.swap_remove(middle));
    }
}

/// `apply FILE` with the poll cap scaled like the waits (real waits are ~60× longer, 10 min for
/// a cluster, with the default 10 s cap; here a 10 s wait gets a 250 ms cap), printed under
/// `title` as wall ÷ `critical`.
fn scaled_apply(world: &World, file: &str, title: &str, scenario: &str, critical: Duration) {
    let Measured {
        wall,
        cpu,
        calls,
        mutating,
        ok,
        ..
    } = run(
        world,
        &["apply", file, "--auto-approve", "--poll-max", "250ms"],
    );
    println!("\n{title}");
    println!(
        "| scenario | wall | critical path | wall ÷ critical path | calls (total / mutating) | eksforge CPU |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    println!(
        "| {scenario}{} | {:.2} s | {:.2} s | {:.2} | {} / {} | {:.2} s |",
        if ok { "" } else { " (FAILED)" },
        wall.as_secs_f64(),
        critical.as_secs_f64(),
        wall.as_secs_f64() / critical.as_secs_f64(),
        calls,
        mutating,
        cpu.as_secs_f64()
    );
}

/// Apply from nothing with the cluster CREATING for 10 s, node groups 3 s, NAT gateways 2 s, add-ons 1 s:
/// wall ÷ the critical path of those waits (plus L per call on the path).
fn scaled_waits(latency: Duration) {
    let holds = Holds {
        cluster: Duration::from_secs(10),
        node_group: Duration::from_secs(3),
        nat_gateway: Duration::from_secs(2),
    };
    // Add-ons are made CREATING for 1 s by the emulator (real AWS: a minute or two).
    let addon_wait = Duration::from_secs(1);
    let world = World::new();
    let path = world.write("hardened.toml", HARDENED);
    let (_, graph) = desired_of(&path);
    let waits = |kind: Kind| match kind {
        Kind::EksCluster => holds.cluster,
        Kind::EksNodeGroup => holds.node_group,
        Kind::NatGateway => holds.nat_gateway,
        Kind::EksAddon => addon_wait,
        _ => Duration::ZERO,
    };
    let (critical, chain) = floor::wait_critical_path(&graph, latency, &waits);
    let _ = world.eksforge(&["plan", "hardened.toml", "--skip-preflight"]);
    world.proxy.set_latency(latency);
    world.proxy.hold(holds);
    world.moto.configure(&format!(
        r#"{{"transitionSeconds": {{"addon": {}}}}}"#,
        addon_wait.as_secs_f64()
    ));
    scaled_apply(
        &world,
        "hardened.toml",
        &format!(
            "Scaled waits (cluster 10 s, node group 3 s, NAT 2 s, add-on 1 s; L = {} ms; --poll-max 250ms):",
            latency.as_millis()
        ),
        "hardened apply from nothing",
        critical,
    );
    println!(
        "critical path: {}",
        chain
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" → ")
    );
}

/// A two-minor upgrade (1.32 → 1.34: a small cluster, one node group, the four core add-ons)
/// with the emulator's update delays scaled (control plane 10 s, node group 3 s, add-on 1 s):
/// wall ÷ the critical path. The steps run one after another (EKS takes one update at a time
/// and no node group may pass its control plane), so the critical path is every step's wait in
/// turn, plus L per call a step cannot do without (the update and one describe).
fn scaled_upgrade(latency: Duration) {
    let delays = [
        ("control_plane", Duration::from_secs(10)),
        ("addon", Duration::from_secs(1)),
        ("node_group", Duration::from_secs(3)),
    ];
    let blueprint = |version: &str| {
        support::small_cluster(
            "bench-upgrade",
            "10.80.0.0/16",
            &format!("version = \"{version}\"\n{}", support::NODE_GROUP),
        )
    };
    let world = World::new();
    world.write("upgrade.toml", &blueprint("1.32"));
    let _ = run(&world, &["apply", "upgrade.toml", "--auto-approve"]);
    world.write("upgrade.toml", &blueprint("1.34"));
    let json = run(&world, &["plan", "upgrade.toml", "--json"]).stdout;
    let plan: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
    let kinds: Vec<String> = plan["upgrade"]["steps"]
        .as_array()
        .map(|steps| {
            steps
                .iter()
                .filter_map(|step| step["kind"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let critical: Duration = kinds
        .iter()
        .map(|kind| {
            let wait = delays
                .iter()
                .find(|(name, _)| name == kind)
                .map_or(Duration::ZERO, |(_, wait)| *wait);
            wait + 2 * latency
        })
        .sum();
    world
        .moto
        .configure(r#"{"transitionSeconds": {"cluster": 10, "nodegroup": 3, "addon": 1}}"#);
    world.proxy.set_latency(latency);
    scaled_apply(
        &world,
        "upgrade.toml",
        &format!(
            "Scaled upgrade waits (control plane 10 s, node group 3 s, add-on 1 s; L = {} ms; --poll-max 250ms):",
            latency.as_millis()
        ),
        &format!("upgrade 1.32 → 1.34 ({} steps)", kinds.len()),
        critical,
    );
    println!("steps: {}", kinds.join(" → "));
}

// ---------------------------------------------------------------------------------------------
// Planning CPU and memory, in process, network excluded.

/// A state and a refresh in which every desired resource exists as desired (outputs fake but
/// consistent), for a no-op plan.
fn existing(desired: &DesiredSet) -> (State, Refreshed) {
    let referenced: RefCell<BTreeSet<Ref>> = RefCell::new(BTreeSet::new());
    for resource in desired.resources.values() {
        for value in resource.attrs.values() {
            let _ = value.resolve_known(&|reference| {
                referenced.borrow_mut().insert(reference.clone());
                None
            });
        }
    }
    let fake = |reference: &Ref| {
        Some(Value::Str(format!(
            "fake-{}-{}",
            reference.resource, reference.output
        )))
    };
    let mut outputs: BTreeMap<ResourceId, Attrs> = BTreeMap::new();
    for reference in referenced.into_inner() {
        let value = fake(&reference).unwrap_or(Value::Bool(false));
        outputs
            .entry(reference.resource.clone())
            .or_default()
            .insert(reference.output.clone(), value);
    }
    let mut state = State::new(&desired.blueprint);
    let mut refreshed = Refreshed::default();
    for resource in desired.resources.values() {
        let attrs: Attrs = resource
            .attrs
            .iter()
            .map(|(name, value)| (name.clone(), value.resolve_known(&fake)))
            .collect();
        let outputs = outputs.get(&resource.id).cloned().unwrap_or_default();
        let cloud_id = format!("fake-{}", resource.id);
        state.insert(
            resource.id.clone(),
            ResourceRecord {
                kind: resource.kind(),
                cloud_id: cloud_id.clone(),
                attrs: attrs.clone(),
                outputs: outputs.clone(),
                depends_on: resource.dependencies(),
            },
        );
        refreshed.found.insert(
            resource.id.clone(),
            eksforge::aws::Found {
                id: resource.id.clone(),
                via: eksforge::aws::FoundVia::State,
                observed: eksforge::aws::Observed {
                    cloud_id,
                    attrs,
                    outputs,
                },
            },
        );
    }
    (state, refreshed)
}

struct Planning {
    resources: usize,
    cpu: Duration,
    peak: usize,
    changes_from_nothing: usize,
    changes_no_op: usize,
}

/// Load + expand + graph + floor + diff against nothing, then diff against a state holding
/// everything: CPU time on this thread and the peak allocation above what was live before.
fn planning(path: &Path) -> Planning {
    let (state, refreshed) = {
        let (desired, _) = desired_of(path);
        existing(&desired)
    };
    let empty = State::new(&state.blueprint);
    let before = CURRENT.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let cpu_before = thread_cpu();
    let wall_before = Instant::now();
    let (desired, graph) = desired_of(path);
    let floors = floor::floors(&graph);
    let from_nothing = plan::diff(
        &desired,
        &graph,
        &empty,
        &Refreshed::default(),
        &DiffOptions::default(),
    );
    let no_op = plan::diff(
        &desired,
        &graph,
        &state,
        &refreshed,
        &DiffOptions::default(),
    );
    let cpu = match (cpu_before, thread_cpu()) {
        (Some(before), Some(after)) => after - before,
        _ => wall_before.elapsed(),
    };
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
    std::hint::black_box(&floors);
    Planning {
        resources: desired.resources.len(),
        cpu,
        peak,
        changes_from_nothing: from_nothing.changes.len(),
        changes_no_op: no_op
            .changes
            .iter()
            .filter(|c| c.action != plan::Action::NoOp)
            .count(),
    }
}

fn planning_section() {
    let dir = tempfile::tempdir().expect("temp dir");
    println!("\nPlanning in process, network excluded (load + expand + graph + floors + diff from nothing + no-op diff; dev profile):");
    println!("| blueprint | resources | CPU | peak allocation | CPU per resource | changes from nothing / in a no-op |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut cases: Vec<(String, String)> = vec![("hardened".to_string(), HARDENED.to_string())];
    for scale in [1, 2, 4] {
        cases.push((format!("large {scale}×"), large_blueprint(scale)));
    }
    for (name, text) in cases {
        let path = dir
            .path()
            .join(format!("{}.toml", name.replace([' ', '×'], "")));
        std::fs::write(&path, text).expect("write blueprint");
        // Best of three runs: the machine is shared.
        let best = (0..3)
            .map(|_| planning(&path))
            .min_by_key(|planning| planning.cpu)
            .expect("three runs");
        println!(
            "| {name} | {} | {:.1} ms | {:.1} MiB | {:.1} µs | {} / {} |",
            best.resources,
            best.cpu.as_secs_f64() * 1e3,
            best.peak as f64 / (1024.0 * 1024.0),
            best.cpu.as_secs_f64() * 1e6 / best.resources as f64,
            best.changes_from_nothing,
            best.changes_no_op
        );
    }
}

// ---------------------------------------------------------------------------------------------
// `eksforge validate` as a whole process.

fn validate_section() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("hardened.toml");
    std::fs::write(&path, HARDENED).expect("write blueprint");
    let mut walls: Vec<Duration> = (0..21)
        .map(|_| {
            let started = Instant::now();
            let output = support::eksforge_command("http://127.0.0.1:9", dir.path())
                .args(["validate", "hardened.toml"])
                .output()
                .expect("run eksforge validate");
            assert!(output.status.success(), "validate failed: {output:?}");
            started.elapsed()
        })
        .collect();
    walls.sort();
    println!(
        "\n`eksforge validate hardened.toml` as a whole process, 21 runs: median {:.1} ms (min {:.1}, max {:.1})",
        walls[walls.len() / 2].as_secs_f64() * 1e3,
        walls[0].as_secs_f64() * 1e3,
        walls[walls.len() - 1].as_secs_f64() * 1e3
    );
    let binary = Path::new(env!("CARGO_BIN_EXE_eksforge"));
    if let Ok(metadata) = std::fs::metadata(binary) {
        println!(
            "binary: {} ({:.1} MiB; this profile, not dist)",
            binary.display(),
            metadata.len() as f64 / (1024.0 * 1024.0)
        );
    }
}

fn main() {
    let options = options();
    let wants = |section: &str| options.only.as_deref().is_none_or(|only| only == section);
    println!(
        "eksforge round-trip benchmark: L = {} ms per AWS call (through the loopback proxy, in front of moto)",
        options.latency.as_millis()
    );
    if wants("roundtrips") {
        let mut rows = Vec::new();
        roundtrips(
            options.latency,
            options.repeat,
            "hardened",
            HARDENED,
            &mut rows,
        );
        print_rows(options.latency, &rows);
        if options.large {
            // Once: an apply of the large blueprint takes minutes against moto.
            roundtrips(options.latency, 1, "large", &large_blueprint(1), &mut rows);
            print_rows(options.latency, &rows[rows.len() - 6..]);
        }
    }
    if wants("waits") {
        scaled_waits(options.latency);
    }
    if wants("upgrade") {
        scaled_upgrade(options.latency);
    }
    if wants("planning") {
        planning_section();
    }
    if wants("validate") {
        validate_section();
    }
}
