//! The simulator's pending-event set against the obvious baseline, `std::collections::BinaryHeap`,
//! in the classic hold model: with N events pending, pop the earliest and push one a random
//! 30 min ± 30 s later (a meter's next half-hourly read). Each iteration is one pop and one push.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use dccsim::sim::EventQueue;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const HALF_HOUR_US: u64 = 1_800_000_000;
const JITTER_US: u64 = 30_000_000;

fn hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("hold");
    group.sample_size(20);
    for pending in [1_000_000u64, 10_000_000, 30_000_000] {
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        let mut calendar: EventQueue<u32> = EventQueue::new(20, 12);
        for meter in 0..pending {
            calendar.push(rng.random_range(0..HALF_HOUR_US), meter as u32);
        }
        group.bench_with_input(BenchmarkId::new("calendar", pending), &pending, |b, _| {
            b.iter(|| {
                let (now, meter) = calendar.pop().expect("never empty");
                let next = now + HALF_HOUR_US - JITTER_US + rng.random_range(0..2 * JITTER_US);
                calendar.push(next, meter);
            })
        });
        drop(calendar);

        let mut rng = ChaCha8Rng::seed_from_u64(42);
        let mut heap: BinaryHeap<Reverse<(u64, u64, u32)>> = BinaryHeap::new();
        let mut seq = 0u64;
        for meter in 0..pending {
            heap.push(Reverse((
                rng.random_range(0..HALF_HOUR_US),
                seq,
                meter as u32,
            )));
            seq += 1;
        }
        group.bench_with_input(
            BenchmarkId::new("binary_heap", pending),
            &pending,
            |b, _| {
                b.iter(|| {
                    let Reverse((now, _, meter)) = heap.pop().expect("never empty");
                    let next = now + HALF_HOUR_US - JITTER_US + rng.random_range(0..2 * JITTER_US);
                    heap.push(Reverse((next, seq, meter)));
                    seq += 1;
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
