//! The dependency graph of the desired resources: a petgraph DAG whose edges run from a
//! resource to the resources that reference it. Cycles are errors that name the whole cycle;
//! destroy walks the graph in reverse.
//!
//! Invariant: knows resources and ids only; no AWS, no TOML.

mod dag;

use std::collections::BTreeSet;

pub use dag::{Dag, Walk};

use crate::resources::{DesiredSet, ResourceId};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    #[error("dependency cycle: {}", render_cycle(.0))]
    Cycle(Vec<ResourceId>),
    #[error("{from} refers to {to}, which the blueprint does not define")]
    UnknownReference { from: ResourceId, to: ResourceId },
}

fn render_cycle(cycle: &[ResourceId]) -> String {
    let mut names: Vec<String> = cycle.iter().map(ToString::to_string).collect();
    if let Some(first) = cycle.first() {
        names.push(first.to_string());
    }
    names.join(" → ")
}

/// The desired resources and their dependencies: a [`Dag`] of ids known to be acyclic.
pub struct ResourceGraph {
    dag: Dag<ResourceId>,
}

impl ResourceGraph {
    /// Builds the graph from every resource's references and explicit dependencies.
    pub fn build(desired: &DesiredSet) -> Result<Self, GraphError> {
        let edges = desired
            .resources
            .values()
            .flat_map(|resource| {
                resource
                    .dependencies()
                    .into_iter()
                    .map(move |dependency| (dependency, resource.id.clone()))
            })
            .collect::<Vec<_>>();
        for (dependency, dependent) in &edges {
            if !desired.resources.contains_key(dependency) {
                return Err(GraphError::UnknownReference {
                    from: dependent.clone(),
                    to: dependency.clone(),
                });
            }
        }
        Self::from_edges(desired.resources.keys().cloned(), edges)
    }

    /// A graph of `nodes` with edges `(before, after)`.
    pub fn from_edges(
        nodes: impl IntoIterator<Item = ResourceId>,
        edges: impl IntoIterator<Item = (ResourceId, ResourceId)>,
    ) -> Result<Self, GraphError> {
        let dag = Dag::new(nodes, edges);
        if let Some(cycle) = dag.find_cycle() {
            return Err(GraphError::Cycle(cycle));
        }
        Ok(ResourceGraph { dag })
    }

    /// Every id, dependencies before dependents; ties broken by id, so the order is stable.
    pub fn order(&self) -> Vec<ResourceId> {
        self.dag.order()
    }

    /// The order destroy uses: dependents before what they depend on.
    pub fn reverse_order(&self) -> Vec<ResourceId> {
        let mut order = self.order();
        order.reverse();
        order
    }

    /// `targets` and everything they depend on, transitively (for `--target`).
    pub fn with_dependencies(&self, targets: &[ResourceId]) -> BTreeSet<ResourceId> {
        self.dag.with_prerequisites(targets)
    }

    pub fn dependencies_of(&self, id: &ResourceId) -> BTreeSet<ResourceId> {
        self.dag.before(id)
    }

    /// What directly depends on `id` (for `--exclude`, which leaves those out too).
    pub fn dependants_of(&self, id: &ResourceId) -> BTreeSet<ResourceId> {
        self.dag.after(id)
    }

    pub fn contains(&self, id: &ResourceId) -> bool {
        self.dag.contains(id)
    }

    /// The heaviest chain of resources weighted by `weight` (see [`Dag::longest_path`]).
    pub fn longest_path(
        &self,
        walk: Walk,
        weight: impl Fn(&ResourceId) -> u64,
    ) -> (u64, Vec<ResourceId>) {
        self.dag.longest_path(walk, weight)
    }

    /// Graphviz DOT, nodes and edges sorted by id.
    pub fn to_dot(&self, name: &str) -> String {
        let mut out = format!("digraph {:?} {{\n  rankdir = \"LR\";\n", name);
        for id in self.dag.nodes() {
            out.push_str(&format!("  {:?} [shape = box];\n", id.as_str()));
        }
        for (from, to) in self.dag.edges() {
            out.push_str(&format!("  {:?} -> {:?};\n", from.as_str(), to.as_str()));
        }
        out.push_str("}\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use proptest::prelude::*;

    fn id(name: &str) -> ResourceId {
        ResourceId::parse(&format!("vpc.{name}")).unwrap()
    }

    #[test]
    fn a_cycle_is_named_in_full() {
        let error = ResourceGraph::from_edges(
            [id("a"), id("b"), id("c"), id("d")],
            [
                (id("a"), id("b")),
                (id("b"), id("c")),
                (id("c"), id("a")),
                (id("c"), id("d")),
            ],
        )
        .err()
        .unwrap();
        assert_eq!(
            error.to_string(),
            "dependency cycle: vpc.a → vpc.b → vpc.c → vpc.a"
        );
    }

    #[test]
    fn dot_lists_nodes_and_edges() {
        let graph = ResourceGraph::from_edges([id("a"), id("b")], [(id("a"), id("b"))]).unwrap();
        insta::assert_snapshot!(graph.to_dot("demo"), @r#"
        digraph "demo" {
          rankdir = "LR";
          "vpc.a" [shape = box];
          "vpc.b" [shape = box];
          "vpc.a" -> "vpc.b";
        }
        "#);
        assert_eq!(
            graph.with_dependencies(&[id("b")]),
            BTreeSet::from([id("a"), id("b")])
        );
    }

    proptest! {
        /// Random DAGs (edges only from lower to higher index): the order puts every
        /// dependency first, is a permutation, and is the same each time.
        #[test]
        fn order_respects_every_edge(size in 1usize..30, raw_edges in proptest::collection::vec((0usize..30, 0usize..30), 0..80)) {
            let nodes: Vec<ResourceId> = (0..size).map(|n| id(&format!("n{n:02}"))).collect();
            let edges: Vec<(ResourceId, ResourceId)> = raw_edges
                .into_iter()
                .filter(|(a, b)| a < b && *b < size)
                .map(|(a, b)| (nodes[a].clone(), nodes[b].clone()))
                .collect();
            let graph = ResourceGraph::from_edges(nodes.clone(), edges.clone()).unwrap();
            let order = graph.order();
            prop_assert_eq!(order.len(), size);
            let position: BTreeMap<&ResourceId, usize> = order.iter().enumerate().map(|(i, id)| (id, i)).collect();
            for (before, after) in &edges {
                prop_assert!(position[before] < position[after]);
            }
            let reverse = graph.reverse_order();
            let reverse_position: BTreeMap<&ResourceId, usize> = reverse.iter().enumerate().map(|(i, id)| (id, i)).collect();
            for (before, after) in &edges {
                prop_assert!(reverse_position[after] < reverse_position[before]);
            }
            prop_assert_eq!(graph.order(), order);
        }

        /// Adding a back edge to a chain always produces a cycle error naming a real cycle.
        #[test]
        fn back_edges_are_reported_as_cycles(size in 2usize..12, back in 0usize..12) {
            let nodes: Vec<ResourceId> = (0..size).map(|n| id(&format!("n{n:02}"))).collect();
            let mut edges: Vec<(ResourceId, ResourceId)> = nodes.windows(2).map(|pair| (pair[0].clone(), pair[1].clone())).collect();
            let back = back % size;
            edges.push((nodes[size - 1].clone(), nodes[back].clone()));
            match ResourceGraph::from_edges(nodes.clone(), edges) {
                Err(GraphError::Cycle(cycle)) => prop_assert_eq!(cycle.len(), size - back),
                other => prop_assert!(false, "expected a cycle, got {:?}", other.map(|_| ())),
            }
        }
    }
}
