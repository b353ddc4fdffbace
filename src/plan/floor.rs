//! The round-trip floor: the fewest round trips of wall time an operation can take, whatever
//! the implementation, given the dependency graph and the calls each kind's API needs.
//!
//! Each kind declares its minimal *sequential* calls (`aws::minimal_calls`): calls that can go
//! at once count once. An operation's floor is the longest path through the graph weighted by
//! those counts (creates and updates in graph order, deletes in reverse), plus the one read
//! round every plan makes first (refresh; every kind's read is one describe, all at once).
//! `achieved ÷ floor` is what the benchmark (`scripts/bench`) reports.

use std::time::Duration;

use crate::aws::minimal_calls;
use crate::graph::{ResourceGraph, Walk};
use crate::resources::{Kind, ResourceId};

/// One read round: every kind refreshed at once (ids come from state or the blueprint tag).
pub const READ_ROUND: u32 = 1;

/// The longest chain of weighted nodes through `graph`: dependencies before dependents, or
/// the reverse with `reverse` (destroy). Returns the total weight and the chain, first to last.
pub fn longest_path(
    graph: &ResourceGraph,
    reverse: bool,
    weight: impl Fn(&ResourceId) -> u64,
) -> (u64, Vec<ResourceId>) {
    let walk = if reverse {
        Walk::Reverse
    } else {
        Walk::Forward
    };
    graph.longest_path(walk, weight)
}

/// The floors of the four benchmarked operations, in round trips.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Floors {
    /// Refresh only: one read round.
    pub no_op_plan: u64,
    /// One read round, then the longest chain of creates.
    pub apply_from_nothing: u64,
    /// One read round, then the longest chain of deletes (dependents first).
    pub destroy: u64,
    /// The chain of creates that sets `apply_from_nothing`.
    pub create_chain: Vec<ResourceId>,
    /// The chain of deletes that sets `destroy`, in the order they run.
    pub destroy_chain: Vec<ResourceId>,
}

/// The floors for a graph of desired resources.
pub fn floors(graph: &ResourceGraph) -> Floors {
    let (create, create_chain) = longest_path(graph, false, |id| {
        u64::from(minimal_calls(id.kind()).create)
    });
    let (delete, destroy_chain) =
        longest_path(graph, true, |id| u64::from(minimal_calls(id.kind()).delete));
    Floors {
        no_op_plan: u64::from(READ_ROUND),
        apply_from_nothing: u64::from(READ_ROUND) + create,
        destroy: u64::from(READ_ROUND) + delete,
        create_chain,
        destroy_chain,
    }
}

/// The floor of an in-place update of `ids` (each one call chain of its kind's update calls;
/// updates of independent resources go at once): one read round plus the longest.
pub fn update_floor(ids: &[ResourceId]) -> u64 {
    u64::from(READ_ROUND)
        + ids
            .iter()
            .map(|id| u64::from(minimal_calls(id.kind()).update))
            .max()
            .unwrap_or(0)
}

/// The critical path of an apply from nothing when some kinds take a while to become ready
/// (the cluster, node groups, NAT gateways): the longest path weighted by each resource's
/// create calls × `latency` plus its kind's wait from `waits`, after one read round.
pub fn wait_critical_path(
    graph: &ResourceGraph,
    latency: Duration,
    waits: &dyn Fn(Kind) -> Duration,
) -> (Duration, Vec<ResourceId>) {
    let (micros, chain) = longest_path(graph, false, |id| {
        let calls = u64::from(minimal_calls(id.kind()).create);
        (latency * calls as u32 + waits(id.kind())).as_micros() as u64
    });
    (latency * READ_ROUND + Duration::from_micros(micros), chain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(text: &str) -> ResourceId {
        ResourceId::parse(text).unwrap()
    }

    #[test]
    fn a_chain_sums_and_a_fork_takes_the_longer_branch() {
        // vpc → subnet → nat ; vpc → sg. Weights: vpc 2, subnet 1, nat 2, sg 1.
        let graph = ResourceGraph::from_edges(
            [
                id("vpc.main"),
                id("subnet.a"),
                id("nat_gateway.a"),
                id("security_group.x"),
            ],
            [
                (id("vpc.main"), id("subnet.a")),
                (id("subnet.a"), id("nat_gateway.a")),
                (id("vpc.main"), id("security_group.x")),
            ],
        )
        .unwrap();
        let (total, chain) = longest_path(&graph, false, |id| {
            u64::from(minimal_calls(id.kind()).create)
        });
        assert_eq!(total, 5);
        assert_eq!(
            chain,
            vec![id("vpc.main"), id("subnet.a"), id("nat_gateway.a")]
        );
        let (total, chain) = longest_path(&graph, true, |_| 1);
        assert_eq!(total, 3);
        assert_eq!(
            chain,
            vec![id("nat_gateway.a"), id("subnet.a"), id("vpc.main")]
        );
    }

    #[test]
    fn an_empty_graph_has_only_the_read_round() {
        let graph = ResourceGraph::from_edges(Vec::new(), Vec::new()).unwrap();
        let floors = floors(&graph);
        assert_eq!(floors.no_op_plan, 1);
        assert_eq!(floors.apply_from_nothing, 1);
        assert_eq!(floors.destroy, 1);
    }

    #[test]
    fn waits_add_to_the_calls_on_their_path() {
        let graph = ResourceGraph::from_edges(
            [
                id("eks_cluster.main"),
                id("eks_node_group.a"),
                id("nat_gateway.a"),
            ],
            [(id("eks_cluster.main"), id("eks_node_group.a"))],
        )
        .unwrap();
        let latency = Duration::from_millis(100);
        let waits = |kind: Kind| match kind {
            Kind::EksCluster => Duration::from_secs(10),
            Kind::EksNodeGroup => Duration::from_secs(3),
            _ => Duration::ZERO,
        };
        let (path, chain) = wait_critical_path(&graph, latency, &waits);
        // read round + cluster (2 calls + 10 s) + node group (2 calls + 3 s).
        assert_eq!(
            path,
            Duration::from_millis(100 + 200 + 10_000 + 200 + 3_000)
        );
        assert_eq!(chain, vec![id("eks_cluster.main"), id("eks_node_group.a")]);
    }

    proptest! {
        /// On random DAGs (edges only from lower to higher index), the longest path equals a
        /// brute-force maximum over every path, in both directions, and the returned chain
        /// is a real path whose weights sum to the total.
        #[test]
        fn longest_path_matches_brute_force(
            weights in proptest::collection::vec(0u64..5, 1..9),
            edges in proptest::collection::vec((0usize..9, 0usize..9), 0..20),
        ) {
            let n = weights.len();
            let name = |i: usize| id(&format!("vpc.n{i}"));
            let edges: Vec<(usize, usize)> = edges
                .into_iter()
                .filter(|(a, b)| a < b && *b < n)
                .collect();
            let graph = ResourceGraph::from_edges(
                (0..n).map(name),
                edges.iter().map(|(a, b)| (name(*a), name(*b))),
            )
            .unwrap();
            let weight_of = |id: &ResourceId| {
                let index: usize = id.as_str().trim_start_matches("vpc.n").parse().unwrap();
                weights[index]
            };
            // Brute force: best[i] = w[i] + max over predecessors.
            let mut best = vec![0u64; n];
            for i in 0..n {
                let before = edges.iter().filter(|(_, b)| *b == i).map(|(a, _)| best[*a]).max().unwrap_or(0);
                best[i] = weights[i] + before;
            }
            let expected = best.iter().copied().max().unwrap_or(0);
            let (total, chain) = longest_path(&graph, false, weight_of);
            prop_assert_eq!(total, expected);
            prop_assert_eq!(chain.iter().map(weight_of).sum::<u64>(), total);
            for pair in chain.windows(2) {
                prop_assert!(graph.dependencies_of(&pair[1]).contains(&pair[0]));
            }
            // Reversed, the longest path has the same weight (a path reversed is a path).
            let (reverse_total, reverse_chain) = longest_path(&graph, true, weight_of);
            prop_assert_eq!(reverse_total, expected);
            for pair in reverse_chain.windows(2) {
                prop_assert!(graph.dependencies_of(&pair[0]).contains(&pair[1]));
            }
        }
    }
}
