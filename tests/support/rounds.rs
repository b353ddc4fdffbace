//! Rounds: the longest chain of calls in a call log in which each call was received after the
//! previous one was answered — the calls a client waited for one after another.
//!
//! Wall time against the local AWS mixes eksforge's waiting with the emulator's service time
//! (it answers one call at a time) and the machine's noise; the chain does not: calls sent at
//! once overlap however slowly they are served, and a call sent only after another's answer
//! follows it whatever the delay. With the proxy adding a latency L to every call, the chain is
//! what eksforge's own ordering costs, in units of L.

use std::time::Instant;

use super::proxy::Call;

/// The longest chain of intervals `(start, end)` in which each starts at or after the previous
/// one's end, as indexes into `intervals` in chain order. Quadratic: call logs have thousands
/// of calls at most.
pub fn longest_chain<T: Ord + Copy>(intervals: &[(T, T)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..intervals.len()).collect();
    order.sort_by_key(|&index| intervals[index]);
    // For each position in `order`: the longest chain ending there, and its predecessor.
    let mut length = vec![0usize; order.len()];
    let mut previous: Vec<Option<usize>> = vec![None; order.len()];
    for here in 0..order.len() {
        let start = intervals[order[here]].0;
        // Whatever ended by `start` also started by it, so it sorts earlier.
        let before = (0..here)
            .filter(|&there| intervals[order[there]].1 <= start)
            .max_by_key(|&there| length[there]);
        length[here] = 1 + before.map_or(0, |there| length[there]);
        previous[here] = before;
    }
    let Some(mut last) = (0..order.len()).max_by_key(|&here| length[here]) else {
        return Vec::new();
    };
    let mut chain = vec![order[last]];
    while let Some(before) = previous[last] {
        chain.push(order[before]);
        last = before;
    }
    chain.reverse();
    chain
}

/// The longest chain of calls each sent after the previous one was answered.
pub fn chain(calls: &[Call]) -> Vec<&Call> {
    let intervals: Vec<(Instant, Instant)> =
        calls.iter().map(|call| (call.received, call.at)).collect();
    longest_chain(&intervals)
        .into_iter()
        .map(|index| &calls[index])
        .collect()
}

/// How many rounds a call log took: the length of its longest chain.
pub fn rounds(calls: &[Call]) -> usize {
    chain(calls).len()
}
