//! Parsing header values and reading their fields must not touch the heap: a counting
//! global allocator watches the typed parsers run over the sample REGISTER values.
//!
//! This test binary installs its own allocator, which needs `unsafe impl GlobalAlloc`;
//! the library itself stays `forbid(unsafe_code)`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use sip_oauth::message::header::{
    CSeq, Contact, Credentials, NameAddr, OptionTags, Via, parse_call_id, parse_max_forwards,
    split_list,
};

/// Counts the allocation calls of the current thread: the test harness's own threads
/// allocate while the test runs, and those are not the parsers'.
struct Counting;

thread_local! {
    // `const` initialisation: reading it never allocates, so the allocator may use it.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn bump() {
    // `try_with`: during thread teardown the slot may be gone; those calls are not ours.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: every call is forwarded unchanged to the system allocator; a thread-local
// counter increment, which neither allocates nor unwinds, is the only addition.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn typed_reads_do_not_allocate() {
    let via = " SIP/2.0/WSS 8h2kqv9r1c4p.invalid;branch=z9hG4bK7739204;rport";
    let from = " \"Bob\" <sip:bob@ims.mnc001.mcc001.3gppnetwork.org>;tag=t0b1bq4r";
    let contact = " <sip:r2b6v7cq@8h2kqv9r1c4p.invalid;transport=ws>;reg-id=1;+sip.instance=\"<urn:uuid:3d1f9a2e-5b7c-4e21-9f0a-6c8d2b4e1a77>\";expires=3600";
    let auth = " Digest username=\"alice_private@home.example\", realm=\"home.example\", uri=\"sip:home.example\", nonce=\"\", response=\"\", integrity-protected=\"auth-done\"";
    let bearer = " Bearer eyJhbGciOi.eyJzdWIi.c2ln";
    let pau = " <sip:bob@ims.example>, <tel:+15550100123>";

    let before = allocations();
    let mut sink = 0usize;
    for _ in 0..10 {
        let v = Via::parse(via).expect("valid");
        sink += v.branch().map_or(0, str::len) + usize::from(v.rport().is_some());
        let f = NameAddr::parse(from).expect("valid");
        sink += f.tag().map_or(0, str::len) + f.display_name_unquoted().map_or(0, |d| d.len());
        sink += f.uri().host_str().map_or(0, str::len);
        if let Contact::Addr(c) = Contact::parse(contact).expect("valid") {
            sink += c.instance().map_or(0, |i| i.len()) + c.reg_id().unwrap_or(0) as usize;
            sink += c.expires().unwrap_or(0) as usize + c.uri().transport().map_or(0, str::len);
        }
        let a = Credentials::parse(auth).expect("valid");
        sink +=
            a.username().map_or(0, |u| u.len()) + usize::from(a.integrity_protected().is_some());
        sink += a.param("response").map_or(0, |p| p.range.len());
        sink += Credentials::parse(bearer)
            .ok()
            .and_then(|b| b.bearer_token())
            .map_or(0, str::len);
        sink += CSeq::parse("1 REGISTER").map_or(0, |c| c.seq as usize);
        sink += usize::from(parse_max_forwards("70").unwrap_or(0));
        sink += parse_call_id("3mq0v1ccpo3db3lr8v9tqk").map_or(0, str::len);
        sink +=
            usize::from(OptionTags::parse("path,gruu,outbound").is_ok_and(|t| t.contains("path")));
        for (_, e) in split_list(pau) {
            sink += NameAddr::parse(e).map_or(0, |n| n.uri().as_str().len());
        }
    }
    let after = allocations();
    assert!(sink > 0);
    assert_eq!(after - before, 0, "header parsing allocated");
}
