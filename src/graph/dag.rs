//! A directed graph over any ordered node type (resource ids, the executor's operations) and
//! the algorithms eksforge runs on it: a stable topological order, cycle detection, the nodes a
//! cycle blocks, and longest weighted paths. Ties are always broken by the nodes' own order, so
//! every answer is the same from run to run.

use std::collections::{BTreeMap, BTreeSet};

use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;

/// Which way a longest path runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    /// Dependencies before their dependents (create, update).
    Forward,
    /// Dependents before what they depend on (destroy).
    Reverse,
}

/// Nodes and `(before, after)` edges; each edge at most once.
#[derive(Debug, Clone)]
pub struct Dag<N> {
    graph: DiGraph<N, ()>,
    index: BTreeMap<N, NodeIndex>,
}

impl<N: Ord + Clone> Dag<N> {
    /// A graph of `nodes` and every node named by `edges`, with edges `(before, after)`.
    pub fn new(
        nodes: impl IntoIterator<Item = N>,
        edges: impl IntoIterator<Item = (N, N)>,
    ) -> Self {
        let mut dag = Dag {
            graph: DiGraph::new(),
            index: BTreeMap::new(),
        };
        for node in nodes {
            dag.node(node);
        }
        // Deduplicated here, then added: `update_edge` scans the node's edges each time, which
        // is quadratic for a node hundreds depend on (the cluster, the OIDC provider).
        let mut unique = BTreeSet::new();
        for (before, after) in edges {
            let before = dag.node(before);
            let after = dag.node(after);
            if unique.insert((before, after)) {
                dag.graph.add_edge(before, after, ());
            }
        }
        dag
    }

    /// A graph from what each node waits for: `prerequisites[n]` come before `n`.
    pub fn from_prerequisites(prerequisites: &BTreeMap<N, BTreeSet<N>>) -> Self {
        Dag::new(
            prerequisites.keys().cloned(),
            prerequisites.iter().flat_map(|(node, before)| {
                before
                    .iter()
                    .map(move |first| (first.clone(), node.clone()))
            }),
        )
    }

    fn node(&mut self, node: N) -> NodeIndex {
        if let Some(index) = self.index.get(&node) {
            return *index;
        }
        let index = self.graph.add_node(node.clone());
        self.index.insert(node, index);
        index
    }

    pub fn contains(&self, node: &N) -> bool {
        self.index.contains_key(node)
    }

    /// Every node, in its own order.
    pub fn nodes(&self) -> impl Iterator<Item = &N> {
        self.index.keys()
    }

    /// Every edge `(before, after)`, sorted.
    pub fn edges(&self) -> Vec<(&N, &N)> {
        let mut edges: Vec<(&N, &N)> = self
            .graph
            .edge_indices()
            .filter_map(|edge| self.graph.edge_endpoints(edge))
            .map(|(from, to)| (&self.graph[from], &self.graph[to]))
            .collect();
        edges.sort();
        edges
    }

    /// What `node` directly comes after.
    pub fn before(&self, node: &N) -> BTreeSet<N> {
        self.neighbours(node, Direction::Incoming)
    }

    /// What directly comes after `node`.
    pub fn after(&self, node: &N) -> BTreeSet<N> {
        self.neighbours(node, Direction::Outgoing)
    }

    fn neighbours(&self, node: &N, direction: Direction) -> BTreeSet<N> {
        // Not in the graph: nothing is before or after it.
        let Some(index) = self.index.get(node) else {
            return BTreeSet::new();
        };
        self.graph
            .neighbors_directed(*index, direction)
            .map(|next| self.graph[next].clone())
            .collect()
    }

    /// `targets` and everything before them, transitively.
    pub fn with_prerequisites(&self, targets: &[N]) -> BTreeSet<N> {
        let mut result = BTreeSet::new();
        let mut stack: Vec<NodeIndex> = targets
            .iter()
            .filter_map(|node| self.index.get(node).copied())
            .collect();
        while let Some(node) = stack.pop() {
            if result.insert(self.graph[node].clone()) {
                stack.extend(self.graph.neighbors_directed(node, Direction::Incoming));
            }
        }
        result
    }

    /// Every node whose prerequisites can all come first, each after them; ties broken by the
    /// nodes' order. Nodes on a cycle, and those after one, are left out.
    pub fn order(&self) -> Vec<N> {
        let mut in_degree: BTreeMap<NodeIndex, usize> = self
            .graph
            .node_indices()
            .map(|node| {
                let count = self
                    .graph
                    .neighbors_directed(node, Direction::Incoming)
                    .count();
                (node, count)
            })
            .collect();
        let mut ready: BTreeSet<(N, NodeIndex)> = in_degree
            .iter()
            .filter(|(_, count)| **count == 0)
            .map(|(node, _)| (self.graph[*node].clone(), *node))
            .collect();
        let mut order = Vec::with_capacity(self.graph.node_count());
        while let Some((node, index)) = ready.pop_first() {
            order.push(node);
            for next in self.graph.neighbors_directed(index, Direction::Outgoing) {
                if let Some(count) = in_degree.get_mut(&next) {
                    *count -= 1;
                    if *count == 0 {
                        ready.insert((self.graph[next].clone(), next));
                    }
                }
            }
        }
        order
    }

    pub fn is_acyclic(&self) -> bool {
        toposort(&self.graph, None).is_ok()
    }

    /// The nodes no order can reach, because they are on a cycle or after one; sorted, empty
    /// for a DAG.
    pub fn blocked_by_cycles(&self) -> Vec<N> {
        if self.is_acyclic() {
            return Vec::new();
        }
        let ordered: BTreeSet<N> = self.order().into_iter().collect();
        self.index
            .keys()
            .filter(|node| !ordered.contains(*node))
            .cloned()
            .collect()
    }

    /// One cycle, when there is any: of the strongly connected components with more than one
    /// node (or a self loop), the smallest as a path starting at its smallest node.
    pub fn find_cycle(&self) -> Option<Vec<N>> {
        let mut cycles: Vec<Vec<N>> = tarjan_scc(&self.graph)
            .into_iter()
            .filter(|component| {
                component.len() > 1
                    || component
                        .first()
                        .is_some_and(|node| self.graph.contains_edge(*node, *node))
            })
            .map(|component| self.cycle_path(&component))
            .collect();
        cycles.sort();
        cycles.into_iter().next()
    }

    /// Walks a strongly connected component from its smallest node to produce one readable
    /// cycle.
    fn cycle_path(&self, component: &[NodeIndex]) -> Vec<N> {
        let members: BTreeSet<NodeIndex> = component.iter().copied().collect();
        let Some(start) = component
            .iter()
            .copied()
            .min_by_key(|node| &self.graph[*node])
        else {
            return Vec::new();
        };
        let mut path = vec![start];
        let mut current = start;
        loop {
            let next = self
                .graph
                .neighbors_directed(current, Direction::Outgoing)
                .filter(|node| members.contains(node))
                .min_by_key(|node| {
                    // Prefer closing the cycle, then unvisited nodes, by name.
                    (
                        *node != start,
                        path.contains(node),
                        self.graph[*node].clone(),
                    )
                });
            match next {
                Some(node) if node == start || path.contains(&node) => break,
                Some(node) => {
                    path.push(node);
                    current = node;
                }
                None => break,
            }
        }
        path.into_iter()
            .map(|node| self.graph[node].clone())
            .collect()
    }

    /// The heaviest path through the graph in `walk`'s direction, weighting each node by
    /// `weight`: its total and its nodes, first to last. Among equal totals the path ending
    /// at the greatest node wins, and within a path the latest candidate at each step.
    pub fn longest_path(&self, walk: Walk, weight: impl Fn(&N) -> u64) -> (u64, Vec<N>) {
        let best = self.heaviest_paths_to(walk, weight);
        let Some((end, (total, _))) = best.iter().max_by_key(|(_, (total, _))| *total) else {
            return (0, Vec::new());
        };
        let mut chain = vec![(*end).clone()];
        let mut current = *end;
        while let Some((_, Some(previous))) = best.get(current) {
            chain.push((*previous).clone());
            current = previous;
        }
        chain.reverse();
        (*total, chain)
    }

    /// For each node, the weight of the heaviest path from it to the end of the graph, itself
    /// included (what is left once it starts).
    pub fn longest_path_from_each(&self, weight: impl Fn(&N) -> u64) -> BTreeMap<N, u64> {
        self.heaviest_paths_to(Walk::Reverse, weight)
            .into_iter()
            .map(|(node, (total, _))| (node.clone(), total))
            .collect()
    }

    /// For each node, the heaviest path in `walk`'s direction that ends at it: its total and
    /// the node before it on that path. Forward, a node's candidates are its prerequisites in
    /// their order; in reverse, what comes after it in topological order.
    fn heaviest_paths_to(
        &self,
        walk: Walk,
        weight: impl Fn(&N) -> u64,
    ) -> BTreeMap<&N, (u64, Option<&N>)> {
        let order: Vec<NodeIndex> = self
            .order()
            .iter()
            .filter_map(|node| self.index.get(node).copied())
            .collect();
        let position: BTreeMap<NodeIndex, usize> = order
            .iter()
            .enumerate()
            .map(|(at, node)| (*node, at))
            .collect();
        let walked: Vec<NodeIndex> = match walk {
            Walk::Forward => order.clone(),
            Walk::Reverse => order.iter().rev().copied().collect(),
        };
        let mut best: BTreeMap<&N, (u64, Option<&N>)> = BTreeMap::new();
        for node in walked {
            let mut candidates: Vec<NodeIndex> = match walk {
                Walk::Forward => self
                    .graph
                    .neighbors_directed(node, Direction::Incoming)
                    .collect(),
                Walk::Reverse => self
                    .graph
                    .neighbors_directed(node, Direction::Outgoing)
                    .collect(),
            };
            match walk {
                Walk::Forward => candidates.sort_by(|a, b| self.graph[*a].cmp(&self.graph[*b])),
                Walk::Reverse => candidates.sort_by_key(|candidate| position.get(candidate)),
            }
            let (longest, via) = candidates
                .iter()
                .filter_map(|previous| {
                    let previous = &self.graph[*previous];
                    best.get(previous)
                        .map(|(total, _)| (*total, Some(previous)))
                })
                .max_by_key(|(total, _)| *total)
                .unwrap_or((0, None));
            let node = &self.graph[node];
            best.insert(node, (longest + weight(node), via));
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every path of a DAG given as `(before, after)` index pairs, by depth-first enumeration.
    fn every_path(n: usize, edges: &[(usize, usize)]) -> Vec<Vec<usize>> {
        fn extend(path: &mut Vec<usize>, edges: &[(usize, usize)], out: &mut Vec<Vec<usize>>) {
            out.push(path.clone());
            let last = path[path.len() - 1];
            for (_, next) in edges.iter().filter(|(from, _)| *from == last) {
                path.push(*next);
                extend(path, edges, out);
                path.pop();
            }
        }
        let mut out = Vec::new();
        for start in 0..n {
            extend(&mut vec![start], edges, &mut out);
        }
        out
    }

    fn random_dag() -> impl Strategy<Value = (Vec<u64>, Vec<(usize, usize)>)> {
        (1usize..9).prop_flat_map(|n| {
            (
                proptest::collection::vec(0u64..6, n),
                proptest::collection::btree_set((0..n, 0..n), 0..16).prop_map(|pairs| {
                    // Only from lower to higher index: acyclic by construction.
                    pairs.into_iter().filter(|(a, b)| a < b).collect()
                }),
            )
        })
    }

    #[test]
    fn a_cycle_blocks_what_comes_after_it() {
        let dag = Dag::new([1, 2, 3, 4], [(1, 2), (2, 3), (3, 2), (3, 4)]);
        assert!(!dag.is_acyclic());
        assert_eq!(dag.blocked_by_cycles(), vec![2, 3, 4]);
        assert_eq!(dag.find_cycle(), Some(vec![2, 3]));
        assert_eq!(dag.order(), vec![1]);
    }

    #[test]
    fn prerequisites_become_edges() {
        let waits = BTreeMap::from([(2, BTreeSet::from([1])), (1, BTreeSet::new())]);
        let dag = Dag::from_prerequisites(&waits);
        assert_eq!(dag.order(), vec![1, 2]);
        assert_eq!(dag.after(&1), BTreeSet::from([2]));
        assert!(dag.blocked_by_cycles().is_empty());
    }

    proptest! {
        /// On random DAGs, the longest path in either direction weighs what the heaviest of
        /// every path weighs, and the returned chain is a real path of that weight.
        #[test]
        fn longest_path_matches_brute_force((weights, edges) in random_dag()) {
            let n = weights.len();
            let dag = Dag::new(0..n, edges.iter().copied());
            let weight = |node: &usize| weights[*node];
            let expected = every_path(n, &edges)
                .iter()
                .map(|path| path.iter().map(weight).sum::<u64>())
                .max()
                .unwrap_or(0);
            let (total, chain) = dag.longest_path(Walk::Forward, weight);
            prop_assert_eq!(total, expected);
            prop_assert_eq!(chain.iter().map(weight).sum::<u64>(), total);
            for pair in chain.windows(2) {
                prop_assert!(edges.contains(&(pair[0], pair[1])));
            }
            let (reverse_total, reverse_chain) = dag.longest_path(Walk::Reverse, weight);
            prop_assert_eq!(reverse_total, expected);
            prop_assert_eq!(reverse_chain.iter().map(weight).sum::<u64>(), reverse_total);
            for pair in reverse_chain.windows(2) {
                prop_assert!(edges.contains(&(pair[1], pair[0])));
            }
        }

        /// From each node, the heaviest path onwards weighs what the heaviest of every path
        /// starting there weighs.
        #[test]
        fn longest_path_from_each_matches_brute_force((weights, edges) in random_dag()) {
            let n = weights.len();
            let dag = Dag::new(0..n, edges.iter().copied());
            let from_each = dag.longest_path_from_each(|node| weights[*node]);
            let paths = every_path(n, &edges);
            for start in 0..n {
                let expected = paths
                    .iter()
                    .filter(|path| path[0] == start)
                    .map(|path| path.iter().map(|node| weights[*node]).sum::<u64>())
                    .max()
                    .unwrap_or(0);
                prop_assert_eq!(from_each[&start], expected);
            }
        }
    }
}
