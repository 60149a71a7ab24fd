//! The memory one registration costs the edge: live heap bytes after a thousand
//! registrations (each a REGISTER forwarded and its 200 OK relayed, as in the README's
//! sample: one contact, two associated identities, one Service-Route), divided by their
//! number. The README states the figure this prints.
//!
//! This test binary installs a global allocator that counts live bytes per thread, so
//! only the measured code moves the count.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::*;
use sip_oauth::edge::{Edge, FlowId, Inbound};
use sip_oauth::validate::FixedValidator;

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn add(n: isize) {
    let _ = LIVE.try_with(|l| l.set(l.get() + n));
}

// SAFETY: every method forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the only addition is a thread-local counter update, which
// neither allocates nor unwinds.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(-(layout.size() as isize));
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size as isize - layout.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const REGISTRATIONS: u64 = 1000;
/// The ceiling asserted; the README gives the measured figure.
const CEILING: isize = 2048;

fn live() -> isize {
    LIVE.with(Cell::get)
}

#[test]
fn one_registration_costs_less_than_the_stated_ceiling() {
    let edge = Edge::new(
        config(),
        FixedValidator::new().with_token(sample_token(), bob()),
    );
    // Warm the table's first allocations up, then measure growth only.
    let fwd = forwarded(edge.on_request(REGISTER.to_vec(), &wss()));
    drop(edge.on_response(ok_for(&fwd), now()));
    let before = live();
    for i in 1..=REGISTRATIONS {
        let inbound = Inbound {
            flow: FlowId(1_000_000 + i),
            ..wss()
        };
        let fwd = forwarded(edge.on_request(REGISTER.to_vec(), &inbound));
        drop(edge.on_response(ok_for(&fwd), now()));
    }
    let per = (live() - before) / REGISTRATIONS as isize;
    assert_eq!(edge.registrations() as u64, REGISTRATIONS + 1);
    println!("{per} bytes of heap per registration ({REGISTRATIONS} registrations)");
    assert!(per > 0 && per < CEILING, "{per} bytes per registration");
    // Ending them returns the memory (the table keeps its capacity).
    edge.flow_closed(wss().flow);
    for i in 1..=REGISTRATIONS {
        edge.flow_closed(FlowId(1_000_000 + i));
    }
    assert_eq!(edge.registrations(), 0);
}
