//! Allocation budget of the receive path: parsing a sample message and reading its
//! typed Via, From, To, Call-ID, CSeq, Contact and Authorization values makes at most
//! three heap allocations, and so does the whole REGISTER procedure of the edge on a
//! refresh (bytes in, the Annex U REGISTER out; the registration it keeps unchanged).
//!
//! This test binary installs a counting global allocator. The counter is per thread, so
//! the test harness and other tests running in parallel do not disturb the count, and
//! only the measured code runs between the two readings.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use bytes::Bytes;
use sip_oauth::message::header::{
    CSeq, Contact, Credentials, NameAddr, Via, ViaTransport, parse_call_id,
};
use sip_oauth::message::{HeaderName, Message};

/// Counts the allocation calls of the current thread and forwards everything to the
/// system allocator.
struct Counting;

thread_local! {
    // `const` initialisation: reading it never allocates, so the allocator may use it.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn bump() {
    // `try_with`: during thread teardown the slot may be gone; those calls are not ours.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every method forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the only addition is a thread-local counter increment, which
// neither allocates nor unwinds.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
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

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const BUDGET: usize = 3;

/// What the typed reads found, kept small so that building it does not allocate.
#[derive(Debug, Default, PartialEq, Eq)]
struct Seen {
    vias: usize,
    wss_vias: usize,
    from_tag: bool,
    to_tag: bool,
    call_id_len: usize,
    cseq: u32,
    contacts: usize,
    bearer_len: usize,
}

fn parse_and_read(input: Bytes) -> Seen {
    let Ok(msg) = Message::parse(input) else {
        return Seen::default();
    };
    let mut seen = Seen::default();
    let text = |f| msg.value_str(f).unwrap_or_default();
    for f in msg.find(HeaderName::Via) {
        for via in Via::parse_list(text(f)).flatten() {
            seen.vias += 1;
            if via.1.transport() == ViaTransport::Wss && via.1.branch().is_some() {
                seen.wss_vias += 1;
            }
        }
    }
    let tag = |name| {
        msg.first(name)
            .and_then(|f| NameAddr::parse(text(f)).ok())
            .is_some_and(|a| a.tag().is_some())
    };
    seen.from_tag = tag(HeaderName::From);
    seen.to_tag = tag(HeaderName::To);
    if let Some(f) = msg.first(HeaderName::CallId) {
        seen.call_id_len = parse_call_id(text(f)).map_or(0, str::len);
    }
    if let Some(f) = msg.first(HeaderName::CSeq) {
        seen.cseq = CSeq::parse(text(f)).map_or(0, |c| c.seq);
    }
    for f in msg.find(HeaderName::Contact) {
        seen.contacts += Contact::parse_list(text(f))
            .flatten()
            .filter(|c| c.1.addr().is_some_and(|a| a.reg_id() == Some(1)))
            .count();
    }
    if let Some(f) = msg.first(HeaderName::Authorization) {
        seen.bearer_len = Credentials::parse(text(f))
            .ok()
            .and_then(|c| c.bearer_token())
            .map_or(0, str::len);
    }
    seen
}

fn counted<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = black_box(f());
    (out, ALLOCATIONS.with(Cell::get) - before)
}

fn check(bytes: &'static [u8]) -> Seen {
    // A receiver hands over its buffer as `Bytes`; wrapping static data does not
    // allocate, so only the parser and the typed reads are counted.
    let input = Bytes::from_static(bytes);
    let (seen, n) = counted(|| parse_and_read(input));
    assert!(n <= BUDGET, "{n} allocations, budget {BUDGET}");
    seen
}

#[test]
fn register_from_a_webrtc_client() {
    let seen = check(include_bytes!("data/samples/register_from_wic.sip"));
    assert_eq!(seen.vias, 1);
    assert_eq!(seen.wss_vias, 1);
    assert!(seen.from_tag && !seen.to_tag);
    assert_eq!(seen.cseq, 1);
    assert_eq!(seen.contacts, 1);
    assert!(seen.bearer_len > 100);
}

#[test]
fn ok_from_the_scscf() {
    let seen = check(include_bytes!("data/samples/ok_from_scscf.sip"));
    assert_eq!(seen.vias, 2);
    assert!(seen.from_tag && seen.to_tag);
    assert_eq!(seen.call_id_len, "3mq0v1ccpo3db3lr8v9tqk".len());
    assert_eq!(seen.contacts, 1);
    assert_eq!(seen.bearer_len, 0);
}

#[test]
fn the_register_procedure_of_the_edge() {
    use std::time::{Duration, SystemTime};

    use sip_oauth::edge::{Config, Edge, FlowId, Inbound, RequestDecision, Transport};
    use sip_oauth::identity::{Impi, Impu};
    use sip_oauth::validate::{Authorization, FixedValidator};

    const HOME: &str = "ims.mnc001.mcc001.3gppnetwork.org";
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let mut auth = Authorization::new(Impi::try_from(format!("bob@{HOME}").as_str()).unwrap());
    auth.impus
        .push(Impu::try_from(format!("sip:bob@{HOME}").as_str()).unwrap());
    auth.expires_at = Some(now + Duration::from_secs(3600));
    let config = Config::new(HOME, "pcscf.visited.example:5060", &[7; 32]).unwrap();
    let edge = Edge::new(config, FixedValidator::any(auth));
    let inbound = Inbound {
        flow: FlowId(7),
        peer: "198.51.100.7:50312".parse().unwrap(),
        transport: Transport::Wss,
        now,
        secure_flow: false,
        transport_token: None,
    };
    let request = Bytes::from_static(include_bytes!("data/samples/register_from_wic.sip"));
    // The first REGISTER of the flow makes its entry; the refresh is what repeats.
    let first = edge.on_request(request.clone(), &inbound);
    assert!(
        matches!(first, RequestDecision::Forward { .. }),
        "{first:?}"
    );
    let (decision, n) = counted(|| edge.on_request(request.clone(), &inbound));
    assert!(matches!(decision, RequestDecision::Forward { .. }));
    assert!(n <= BUDGET, "{n} allocations per REGISTER, budget {BUDGET}");
}

/// The counter sees allocations, so a passing budget is not a counting failure.
#[test]
fn the_counter_counts() {
    let ((), n) = counted(|| {
        black_box(vec![1u8; 16]);
    });
    assert_eq!(n, 1);
}
