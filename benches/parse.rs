//! Parsing the two sample messages, against the floor of the same work: one memchr
//! pass that finds every header line and its colon.
//!
//! - `full/<msg>`: [`Message::parse`] and typed reads of Via (every value), From, To,
//!   Call-ID, CSeq, Contact (every value) and Authorization;
//! - `parse/<msg>`: [`Message::parse`] alone;
//! - `floor/<msg>`: the memchr pass;
//! - `rsip/<msg>`: `rsip::SipMessage::try_from` on the same bytes, for comparison.
//!
//! The input is a [`Bytes`] over static data, as a receiver hands over its buffer, so
//! no copy of the message is counted. Allocations per message are printed once at
//! start (`tests/alloc_budget.rs` asserts the budget).
//!
//! ```text
//! cargo bench --bench parse -- --warm-up-time 1 --measurement-time 3
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use rsip::message::HasHeaders;
use sip_oauth::message::header::{CSeq, Contact, Credentials, NameAddr, Via, parse_call_id};
use sip_oauth::message::{HeaderName, Message};

/// Counts allocation calls and forwards everything to the system allocator, so the
/// bench can report allocations per parsed message.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the only addition is an atomic counter increment.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const SAMPLES: [(&str, &[u8]); 2] = [
    (
        "register",
        include_bytes!("../tests/data/samples/register_from_wic.sip"),
    ),
    (
        "ok",
        include_bytes!("../tests/data/samples/ok_from_scscf.sip"),
    ),
];

/// Reads the typed headers an edge proxy looks at; returns a value derived from all of
/// them so that nothing is optimised away.
fn read_typed(msg: &Message) -> usize {
    let mut n = 0;
    for f in msg.find(HeaderName::Via) {
        let v = msg.value_str(f).unwrap_or_default();
        for via in Via::parse_list(v).flatten() {
            n += via.1.branch().map_or(0, str::len);
        }
    }
    for name in [HeaderName::From, HeaderName::To] {
        if let Some(f) = msg.first(name) {
            if let Ok(a) = NameAddr::parse(msg.value_str(f).unwrap_or_default()) {
                n += a.tag().map_or(0, str::len) + a.uri().as_str().len();
            }
        }
    }
    if let Some(f) = msg.first(HeaderName::CallId) {
        n += parse_call_id(msg.value_str(f).unwrap_or_default()).map_or(0, str::len);
    }
    if let Some(f) = msg.first(HeaderName::CSeq) {
        n += CSeq::parse(msg.value_str(f).unwrap_or_default()).map_or(0, |c| c.seq as usize);
    }
    for f in msg.find(HeaderName::Contact) {
        let v = msg.value_str(f).unwrap_or_default();
        for c in Contact::parse_list(v).flatten() {
            n += c.1.addr().and_then(NameAddr::reg_id).unwrap_or(0) as usize;
        }
    }
    if let Some(f) = msg.first(HeaderName::Authorization) {
        if let Ok(c) = Credentials::parse(msg.value_str(f).unwrap_or_default()) {
            n += c.bearer_token().map_or(0, str::len);
        }
    }
    n
}

fn full(input: &Bytes) -> usize {
    match Message::parse(input.clone()) {
        Ok(msg) => read_typed(&msg),
        Err(_) => 0,
    }
}

/// The floor: one memchr pass over the header section finding each line end and the
/// colon in each header line.
fn floor(buf: &[u8]) -> usize {
    let mut n = 0;
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', buf) {
        let line = buf.get(start..nl).unwrap_or_default();
        if line == b"\r" {
            break;
        }
        n += memchr::memchr(b':', line).unwrap_or(0);
        start = nl + 1;
    }
    n
}

fn allocations(f: impl FnOnce() -> usize) -> usize {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    black_box(f());
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

fn bench(c: &mut Criterion) {
    for (name, bytes) in SAMPLES {
        let input = Bytes::from_static(bytes);
        let parse_only =
            allocations(|| Message::parse(input.clone()).map_or(0, |m| m.headers().len()));
        let with_reads = allocations(|| full(&input));
        let rsip = allocations(|| {
            rsip::SipMessage::try_from(bytes).map_or(0, |m| m.headers().iter().count())
        });
        println!(
            "allocations per message, {name} ({} bytes): parse {parse_only}, parse + typed reads {with_reads}, rsip {rsip}",
            bytes.len()
        );
    }
    let mut g = c.benchmark_group("parse");
    for (name, bytes) in SAMPLES {
        let input = Bytes::from_static(bytes);
        g.bench_function(format!("full/{name}"), |b| {
            b.iter(|| full(black_box(&input)))
        });
        g.bench_function(format!("parse/{name}"), |b| {
            b.iter(|| Message::parse(black_box(input.clone())).map_or(0, |m| m.headers().len()))
        });
        g.bench_function(format!("floor/{name}"), |b| {
            b.iter(|| floor(black_box(bytes)))
        });
        // A peer parser for scale: rsip builds an owned message tree.
        g.bench_function(format!("rsip/{name}"), |b| {
            b.iter(|| {
                rsip::SipMessage::try_from(black_box(bytes))
                    .map_or(0, |m| m.headers().iter().count())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
