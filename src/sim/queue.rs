//! The pending-event set of the discrete-event engine: a bucketed calendar queue.
//!
//! Time is divided into buckets of `2^shift` ticks. A ring of buckets covers the near future;
//! each holds its events unsorted, and only the bucket being drained is turned into a heap. Events
//! beyond the ring wait in an overflow heap and move into the ring as it advances. Push and pop
//! cost O(1) expected plus a heap operation over one bucket, so the queue stays fast with tens of
//! millions of pending events where one binary heap over all of them does not (BENCHMARKS.md).
//!
//! Events with equal times pop in insertion order: every entry carries a sequence number.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// An event with its time and insertion sequence, ordered so that `BinaryHeap` pops the earliest.
struct Entry<T> {
    time: u64,
    seq: u64,
    event: T,
}

impl<T> PartialEq for Entry<T> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<T> Eq for Entry<T> {}
impl<T> PartialOrd for Entry<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Entry<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// A calendar queue of events of type `T` keyed by integer time.
pub struct EventQueue<T> {
    shift: u32,
    mask: u64,
    /// The ring of near-future buckets, indexed by bucket number modulo the ring length.
    ring: Vec<Vec<Entry<T>>>,
    /// Entries held in `ring` (not counting `current`), so an empty ring can be skipped.
    in_ring: usize,
    /// The bucket being drained, as a heap.
    current: BinaryHeap<Entry<T>>,
    /// Absolute number of the bucket in `current`.
    cursor: u64,
    /// Events at or beyond `cursor + ring.len()` buckets.
    overflow: BinaryHeap<Entry<T>>,
    seq: u64,
    now: u64,
}

impl<T> EventQueue<T> {
    /// A queue with buckets `2^shift` ticks wide and a ring of `2^ring_bits` buckets.
    pub fn new(shift: u32, ring_bits: u32) -> EventQueue<T> {
        let len = 1usize << ring_bits;
        EventQueue {
            shift,
            mask: (len as u64) - 1,
            ring: (0..len).map(|_| Vec::new()).collect(),
            in_ring: 0,
            current: BinaryHeap::new(),
            cursor: 0,
            overflow: BinaryHeap::new(),
            seq: 0,
            now: 0,
        }
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.current.len() + self.in_ring + self.overflow.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Time of the last event popped.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Schedules `event` at `time`. A time before the last popped event is moved up to it: the
    /// engine never schedules into the past, and this keeps the queue's order total if it did.
    pub fn push(&mut self, time: u64, event: T) {
        debug_assert!(time >= self.now, "event scheduled in the past");
        let time = time.max(self.now);
        let entry = Entry {
            time,
            seq: self.seq,
            event,
        };
        self.seq += 1;
        self.place(entry);
    }

    fn place(&mut self, entry: Entry<T>) {
        let bucket = entry.time >> self.shift;
        if bucket <= self.cursor {
            self.current.push(entry);
        } else if bucket - self.cursor <= self.mask {
            self.ring[(bucket & self.mask) as usize].push(entry);
            self.in_ring += 1;
        } else {
            self.overflow.push(entry);
        }
    }

    /// Removes and returns the earliest event with its time.
    pub fn pop(&mut self) -> Option<(u64, T)> {
        loop {
            if let Some(entry) = self.current.pop() {
                self.now = entry.time;
                return Some((entry.time, entry.event));
            }
            if self.in_ring == 0 && self.overflow.is_empty() {
                return None;
            }
            self.advance();
        }
    }

    /// Moves the cursor to the next bucket that may hold events and loads it into `current`.
    fn advance(&mut self) {
        self.cursor = if self.in_ring == 0 {
            // Nothing near: jump straight to the earliest far event.
            let next = self.overflow.peek().expect("overflow holds the rest").time;
            next >> self.shift
        } else {
            self.cursor + 1
        };
        // `current` is empty here: load the cursor's bucket into it, reusing the drained heap's
        // allocation for the bucket slot.
        let slot = (self.cursor & self.mask) as usize;
        let bucket = std::mem::take(&mut self.ring[slot]);
        self.in_ring -= bucket.len();
        let drained = std::mem::replace(&mut self.current, BinaryHeap::from(bucket));
        let mut spare = drained.into_vec();
        spare.clear();
        self.ring[slot] = spare;
        // Far events whose bucket has come within the ring move in.
        let horizon = self.cursor + self.mask;
        while let Some(top) = self.overflow.peek() {
            if top.time >> self.shift > horizon {
                break;
            }
            let entry = self.overflow.pop().expect("peeked");
            self.place(entry);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pops_in_time_then_insertion_order() {
        let mut q = EventQueue::new(4, 3);
        q.push(50, 'a');
        q.push(7, 'b');
        q.push(50, 'c');
        q.push(1_000_000, 'd');
        q.push(7, 'e');
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            vec![(7, 'b'), (7, 'e'), (50, 'a'), (50, 'c'), (1_000_000, 'd')]
        );
        assert!(q.is_empty());
    }

    proptest! {
        /// The queue pops exactly what a stable sort by time gives, whatever is pushed while
        /// popping (pushes never go before the current time, as in the engine).
        #[test]
        fn matches_a_stable_sort(ops in proptest::collection::vec((0u64..5_000, 0u8..3), 1..400), shift in 0u32..8, ring_bits in 1u32..6) {
            let mut q = EventQueue::new(shift, ring_bits);
            let mut model: Vec<(u64, u64, usize)> = Vec::new();
            let mut popped = Vec::new();
            let mut expected = Vec::new();
            for (i, (delay, pops)) in ops.iter().enumerate() {
                let time = q.now() + delay;
                q.push(time, i);
                // Pushes are numbered by `i`, so (time, i) is the stable order.
                model.push((time, i as u64, i));
                for _ in 0..*pops {
                    model.sort();
                    if !model.is_empty() {
                        let (t, _, e) = model.remove(0);
                        expected.push((t, e));
                        popped.push(q.pop().unwrap());
                    }
                }
            }
            model.sort();
            expected.extend(model.iter().map(|&(t, _, e)| (t, e)));
            popped.extend(std::iter::from_fn(|| q.pop()));
            prop_assert_eq!(popped, expected);
        }
    }
}
