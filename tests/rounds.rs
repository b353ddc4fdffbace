//! The rounds measure the benchmark reports (tests/support/rounds.rs): the longest chain of
//! calls each sent after the previous one was answered.

mod support;

use proptest::prelude::*;
use support::rounds::longest_chain;

/// Every subset in every order, for a few intervals: the longest valid chain's length.
fn brute_force(intervals: &[(u8, u8)]) -> usize {
    fn extend(intervals: &[(u8, u8)], used: &mut Vec<bool>, last_end: Option<u8>) -> usize {
        let mut best = 0;
        for index in 0..intervals.len() {
            let (start, end) = intervals[index];
            if used[index] || last_end.is_some_and(|last| start < last) {
                continue;
            }
            used[index] = true;
            best = best.max(1 + extend(intervals, used, Some(end)));
            used[index] = false;
        }
        best
    }
    extend(intervals, &mut vec![false; intervals.len()], None)
}

fn intervals(max: usize) -> impl Strategy<Value = Vec<(u8, u8)>> {
    prop::collection::vec((0u8..20, 0u8..6), 0..max).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(start, length)| (start, start + length))
            .collect()
    })
}

proptest! {
    #[test]
    fn the_chain_is_valid_and_as_long_as_brute_force_finds(intervals in intervals(8)) {
        let chain = longest_chain(&intervals);
        prop_assert_eq!(chain.len(), brute_force(&intervals));
        for pair in chain.windows(2) {
            prop_assert!(intervals[pair[1]].0 >= intervals[pair[0]].1, "{:?}", pair);
        }
        let mut distinct = chain.clone();
        distinct.sort_unstable();
        distinct.dedup();
        prop_assert_eq!(distinct.len(), chain.len());
    }
}

#[test]
fn calls_sent_at_once_are_one_round_and_a_call_after_an_answer_is_the_next() {
    // Three reads at once, then one that waits for the second read's answer.
    let log = [(0, 10), (1, 30), (2, 12), (31, 40)];
    let chain = longest_chain(&log);
    assert_eq!(chain.len(), 2);
    assert_eq!(chain.last(), Some(&3));
    // Served one at a time by a slow server: overlapping requests are still one round.
    let serial = [(0, 10), (0, 20), (0, 30)];
    assert_eq!(longest_chain(&serial).len(), 1);
    assert!(longest_chain::<u8>(&[]).is_empty());
}
