//! What the edge remembers of each registration (TS 24.229 5.2.2.2: the P-CSCF stores
//! the Service-Route, the P-Associated-URI set and the registration's lifetime, for the
//! requests that follow; RFC 5626 5.2: the flow a registration arrived on).
//!
//! State follows the client connection: an entry lives under the flow it was registered
//! on and ends with it, at the earlier of the granted expiry and the token's expiry, or
//! on de-registration. A REGISTER the edge forwards leaves an *admission* (who the token
//! said the user is) that the core's 2xx turns into a live registration; an admission
//! the core never answers ends after a transaction's lifetime. One lock guards a hash
//! map by flow (O(1) lookups) and an ordered index of deadlines (the next expiry, and
//! sweeps that touch only what expired). The number of entries is bounded.

use std::collections::BTreeSet;

use rustc_hash::FxHashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use smallvec::SmallVec;

use super::aor::{AorKey, aor_key};
use super::flow_token::RouteTokens;
use super::inbound::{FlowId, Transport};
use super::registered::Registered;
use crate::identity::Impu;
use crate::message::Message;
use crate::message::check::ContactUris;
use crate::message::header::Uri;
use crate::message::{HeaderValue, ValueBuilder};

/// How long an admission waits for the core's answer: RFC 3261 17.1.2.2 (Timer F,
/// 64*T1 = 32 s), with a margin.
const ADMISSION_LIFETIME: Duration = Duration::from_secs(40);
/// Most values of each kind one registration keeps (a Service-Route, identities,
/// bindings): a registration's memory is bounded whatever the core sends.
const MAX_VALUES: usize = 16;
/// Longest URI kept; longer ones are not stored.
const MAX_URI_LEN: usize = 512;

/// One live registration: a snapshot for the host ([`super::Edge::registrations_of`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The address of record registered (the REGISTER's To URI).
    pub aor: String,
    /// The private identity the token named.
    pub impi: String,
    /// The public identities the token granted.
    pub granted_impus: Vec<String>,
    /// The registered set the core returned (P-Associated-URI, RFC 7315), in order:
    /// the first is the default identity.
    pub associated_uris: Vec<String>,
    /// The Service-Route the core returned (RFC 3608), preloaded on originating requests.
    pub service_route: Vec<String>,
    /// The client's bindings with the time each ends.
    pub contacts: Vec<(String, SystemTime)>,
    /// When the admitting token expires, if it does.
    pub token_expires: Option<SystemTime>,
    /// When the registration ends: the earlier of the granted expiry and the token's.
    pub ends: SystemTime,
    /// The transport of the flow it was made on.
    pub transport: Transport,
}

/// What a registration is, as opposed to how long it lasts: shared by every lookup
/// (an `Arc`), and replaced only when a REGISTER or the core's answer changes it, so a
/// refresh that changes nothing allocates nothing.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Bound {
    pub aor: String,
    /// The AOR in its canonical binding form (what route tokens are bound to).
    pub aor_key: Vec<u8>,
    pub impi: String,
    pub granted_impus: Vec<String>,
    pub transport: Transport,
    /// The client's Contact URIs.
    pub contacts: Vec<String>,
    pub associated_uris: Vec<String>,
    pub service_route: Vec<String>,
    /// The digest of the Service-Route and P-Associated-URI text the two lists were
    /// read from ([`Registered::core_fields_digest`]); `None` before the core's first
    /// answer.
    pub core_digest: Option<u64>,
    /// What the request paths write, checked and built once per change rather than
    /// per request: each identity of [`Bound::identities`] with its binding key and
    /// `<uri>` value, and each Service-Route entry as `<uri>`.
    pub written: Written,
}

/// Header values and comparison keys derived from a [`Bound`].
#[derive(Debug, PartialEq, Eq, Default)]
pub(crate) struct Written {
    /// The identities that can be written, in order: binding key, `<uri>`, and the
    /// identity's index in [`Bound::identities`].
    pub identities: Vec<(Vec<u8>, HeaderValue, usize)>,
    pub routes: Vec<HeaderValue>,
}

/// `<uri>` as a checked header value.
fn bracketed(uri: &str) -> Option<HeaderValue> {
    let mut v = ValueBuilder::with_capacity(uri.len() + 2);
    v.push(&HeaderValue::from_static("<"))
        .push(&HeaderValue::new("URI", uri).ok()?)
        .push(&HeaderValue::from_static(">"));
    Some(v.finish())
}

impl Bound {
    /// `bound` with what the request paths write derived from it.
    fn derived(mut bound: Bound) -> Bound {
        let identities = bound
            .identities()
            .enumerate()
            .filter_map(|(at, id)| {
                let key = aor_key(&Uri::parse(id).ok()?)?;
                Some((key.to_vec(), bracketed(id)?, at))
            })
            .collect();
        let routes = bound
            .service_route
            .iter()
            .filter_map(|u| bracketed(u))
            .collect();
        bound.written = Written { identities, routes };
        bound
    }

    /// The identities requests may be sent as: the registered set, or the address of
    /// record when the core returned none.
    pub(crate) fn identities(&self) -> impl Iterator<Item = &str> {
        let own = self.associated_uris.is_empty().then_some(self.aor.as_str());
        self.associated_uris.iter().map(String::as_str).chain(own)
    }
}

/// A live registration as the request paths read it.
#[derive(Debug, Clone)]
pub(crate) struct Live {
    pub bound: Arc<Bound>,
    /// The registration's route tokens.
    pub routes: RouteTokens,
}

/// What a forwarded REGISTER asks for, borrowed from it: compared with what the table
/// holds, and copied only when it differs.
pub(crate) struct AdmissionView<'a> {
    pub aor: &'a str,
    pub aor_key: &'a [u8],
    pub impi: &'a str,
    pub granted_impus: &'a [Impu],
    pub token_expires: Option<SystemTime>,
    pub transport: Transport,
    /// The REGISTER, for its Contact URIs (none for a fetch).
    pub request: &'a Message,
    /// Where the Contact URIs are in it (from the request's facts).
    pub contacts: &'a ContactUris,
    /// The lifetime forwarded (after capping): `Some(0)` is a de-registration.
    pub expires: Option<u32>,
}

impl AdmissionView<'_> {
    fn contacts(&self) -> impl Iterator<Item = &str> {
        self.contacts
            .iter()
            .filter_map(|span| self.request.text(span))
            .filter(|u| u.len() <= MAX_URI_LEN)
            .take(MAX_VALUES)
    }

    /// Whether `bound` already says what this REGISTER says about the user.
    fn same_as(&self, bound: &Bound) -> bool {
        bound.impi == self.impi
            && bound.transport == self.transport
            && bound.granted_impus.len() == self.granted_impus.len()
            && bound
                .granted_impus
                .iter()
                .zip(self.granted_impus)
                .all(|(a, b)| a == b.as_str())
            && bound
                .contacts
                .iter()
                .map(String::as_str)
                .eq(self.contacts())
    }

    /// A new `Bound` from this REGISTER, keeping what the core said before.
    fn to_bound(&self, core: Option<&Bound>) -> Bound {
        Bound::derived(Bound {
            aor: self.aor.to_owned(),
            aor_key: self.aor_key.to_vec(),
            impi: self.impi.to_owned(),
            granted_impus: kept(self.granted_impus.iter().map(Impu::as_str)),
            transport: self.transport,
            contacts: self.contacts().map(str::to_owned).collect(),
            associated_uris: core.map_or_else(Vec::new, |c| c.associated_uris.clone()),
            service_route: core.map_or_else(Vec::new, |c| c.service_route.clone()),
            core_digest: core.and_then(|c| c.core_digest),
            written: Written::default(),
        })
    }
}

/// The table is full: the REGISTER is refused rather than an entry evicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full;

/// A forwarded REGISTER awaiting the core's answer.
struct Pending {
    until: SystemTime,
    expires: Option<u32>,
    token_expires: Option<SystemTime>,
    fetch: bool,
    /// What the REGISTER changed about the user, applied on the 2xx.
    next: Option<Arc<Bound>>,
}

/// How long a live registration lasts.
struct Times {
    ends: SystemTime,
    token_expires: Option<SystemTime>,
    /// When each of `Bound::contacts` ends, in the same order.
    contact_ends: Vec<SystemTime>,
}

struct Slot {
    id: u64,
    deadline: SystemTime,
    /// The Path and Record-Route tokens minted for this flow and AOR (they depend on
    /// nothing else), so neither a refresh nor a dialog computes them again.
    routes: RouteTokens,
    bound: Arc<Bound>,
    pending: Option<Pending>,
    live: Option<Times>,
}

impl Slot {
    fn live_at(&self, now: SystemTime) -> Option<Live> {
        self.live.as_ref().filter(|t| t.ends > now)?;
        Some(Live {
            bound: self.bound.clone(),
            routes: self.routes,
        })
    }
}

#[derive(Default)]
struct Table {
    // Keyed by the host's flow ids, never by wire text (see Cargo.toml on the hasher).
    flows: FxHashMap<FlowId, Vec<Slot>>,
    deadlines: BTreeSet<(SystemTime, FlowId, u64)>,
    entries: usize,
    next_id: u64,
}

/// The registrations an edge holds, by client flow. Safe to share between threads.
pub(crate) struct Registrations {
    table: Mutex<Table>,
    capacity: usize,
}

impl std::fmt::Debug for Registrations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registrations")
            .field("entries", &self.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

fn kept<'a>(uris: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    uris.into_iter()
        .filter(|u| u.len() <= MAX_URI_LEN)
        .take(MAX_VALUES)
        .map(str::to_owned)
        .collect()
}

impl Table {
    fn slot(&mut self, flow: FlowId, id: u64) -> Option<&mut Slot> {
        self.flows.get_mut(&flow)?.iter_mut().find(|s| s.id == id)
    }

    /// The slot of `flow` for the AOR whose binding form is `aor_key`.
    fn keyed(&self, flow: FlowId, aor_key: &[u8]) -> Option<&Slot> {
        self.flows
            .get(&flow)?
            .iter()
            .find(|s| s.bound.aor_key == aor_key)
    }

    /// [`Table::keyed`], to change.
    fn keyed_mut(&mut self, flow: FlowId, aor_key: &[u8]) -> Option<&mut Slot> {
        self.flows
            .get_mut(&flow)?
            .iter_mut()
            .find(|s| s.bound.aor_key == aor_key)
    }

    fn set_deadline(&mut self, flow: FlowId, id: u64, deadline: SystemTime) {
        let Some(slot) = self.slot(flow, id) else {
            return;
        };
        let old = std::mem::replace(&mut slot.deadline, deadline);
        self.reindex(flow, id, old, deadline);
    }

    /// Moves slot `id` of `flow` in the ordered index from the deadline `old` to `new`.
    fn reindex(&mut self, flow: FlowId, id: u64, old: SystemTime, new: SystemTime) {
        if old != new {
            self.deadlines.remove(&(old, flow, id));
            self.deadlines.insert((new, flow, id));
        }
    }

    fn remove_slot(&mut self, flow: FlowId, id: u64) {
        let Some(slots) = self.flows.get_mut(&flow) else {
            return;
        };
        if let Some(at) = slots.iter().position(|s| s.id == id) {
            let slot = slots.swap_remove(at);
            self.deadlines.remove(&(slot.deadline, flow, slot.id));
            self.entries -= 1;
        }
        if slots.is_empty() {
            self.flows.remove(&flow);
        }
    }
}

impl Registrations {
    /// An empty table holding at most `capacity` registrations and admissions.
    pub(crate) fn new(capacity: usize) -> Registrations {
        Registrations {
            table: Mutex::new(Table::default()),
            capacity,
        }
    }

    /// The table, also after a thread panicked holding it (every update leaves it
    /// consistent before it can panic).
    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many registrations and admissions are held.
    pub(crate) fn len(&self) -> usize {
        self.lock().entries
    }

    /// Records what a forwarded REGISTER asks for on `flow`, until the core answers.
    /// A refresh that says what the table holds already copies nothing.
    pub(crate) fn admit(
        &self,
        flow: FlowId,
        view: &AdmissionView<'_>,
        routes: &RouteTokens,
        now: SystemTime,
    ) -> Result<(), Full> {
        let mut t = self.lock();
        let until = now + ADMISSION_LIFETIME;
        let fetch = view.expires != Some(0) && view.contacts().next().is_none();
        match t.keyed_mut(flow, view.aor_key) {
            Some(slot) => {
                let next = (!fetch && !view.same_as(&slot.bound))
                    .then(|| Arc::new(view.to_bound(Some(&slot.bound))));
                slot.pending = Some(Pending {
                    until,
                    expires: view.expires,
                    token_expires: view.token_expires,
                    fetch,
                    next,
                });
                // A live registration keeps its own deadline; an admission only extends.
                let deadline = slot.live.as_ref().map_or(until, |l| l.ends.max(until));
                let old = std::mem::replace(&mut slot.deadline, deadline);
                let id = slot.id;
                t.reindex(flow, id, old, deadline);
            }
            None => {
                if t.entries >= self.capacity {
                    return Err(Full);
                }
                let id = t.next_id;
                t.next_id += 1;
                t.entries += 1;
                t.deadlines.insert((until, flow, id));
                let slot = Slot {
                    id,
                    deadline: until,
                    routes: *routes,
                    bound: Arc::new(view.to_bound(None)),
                    pending: Some(Pending {
                        until,
                        expires: view.expires,
                        token_expires: view.token_expires,
                        fetch,
                        next: None,
                    }),
                    live: None,
                };
                // One registration per flow is the rule: no room reserved for more.
                t.flows
                    .entry(flow)
                    .or_insert_with(|| Vec::with_capacity(1))
                    .push(slot);
            }
        }
        Ok(())
    }

    /// What a refresh of the AOR written `aor` on `flow` reuses, if that AOR is
    /// registered (or being registered) there and was written so: its binding form and
    /// its route tokens. The binding form is a function of the text, so equal text gives
    /// the held one; an AOR spelt otherwise is found by its key instead
    /// ([`Registrations::route_tokens`]).
    pub(crate) fn held(&self, flow: FlowId, aor: &str) -> Option<(AorKey, RouteTokens)> {
        let t = self.lock();
        t.flows
            .get(&flow)?
            .iter()
            .find(|s| s.bound.aor == aor)
            .map(|s| (AorKey::from_slice(&s.bound.aor_key), s.routes))
    }

    /// The route tokens kept for `flow` and the AOR `aor_key`, if it is registered (or
    /// being registered) there.
    pub(crate) fn route_tokens(&self, flow: FlowId, aor_key: &[u8]) -> Option<RouteTokens> {
        self.lock().keyed(flow, aor_key).map(|s| s.routes)
    }

    /// Applies the core's 2xx to a REGISTER for `aor_key` on `flow`: the admission
    /// becomes a live registration, its lifetime refreshed, or it ends (a
    /// de-registration, or no binding of the client left).
    pub(crate) fn granted(
        &self,
        flow: FlowId,
        aor_key: &[u8],
        granted: &Registered,
        now: SystemTime,
    ) {
        let mut t = self.lock();
        let Some(slot) = t.keyed_mut(flow, aor_key) else {
            return;
        };
        let id = slot.id;
        let Some(pending) = slot.pending.take().filter(|p| p.until >= now) else {
            return;
        };
        if let Some(next) = pending.next {
            slot.bound = next;
        }
        // The registered set and route as the core now gives them; parsed and copied
        // only when their text changed (a refresh's 200 OK repeats them).
        let digest = granted.core_fields_digest();
        if slot.bound.core_digest != Some(digest) {
            let b = &slot.bound;
            slot.bound = Arc::new(Bound::derived(Bound {
                aor: b.aor.clone(),
                aor_key: b.aor_key.clone(),
                impi: b.impi.clone(),
                granted_impus: b.granted_impus.clone(),
                transport: b.transport,
                contacts: b.contacts.clone(),
                associated_uris: kept(granted.associated_uris()),
                service_route: kept(granted.service_route()),
                core_digest: Some(digest),
                written: Written::default(),
            }));
        }
        if pending.fetch {
            return;
        }
        // The client's bindings as the core granted them; a registrar that rewrote or
        // omitted the Contact leaves the lifetime the edge forwarded.
        let mut contact_ends = slot.live.take().map(|l| l.contact_ends).unwrap_or_default();
        contact_ends.clear();
        let mut last: Option<SystemTime> = None;
        for uri in &slot.bound.contacts {
            let secs = granted
                .contacts()
                .find(|(u, _)| u.eq_ignore_ascii_case(uri))
                .map(|(_, s)| s)
                .or(pending.expires)
                .unwrap_or(3600);
            let end = now + Duration::from_secs(secs.into());
            contact_ends.push(end);
            if secs > 0 {
                last = Some(last.map_or(end, |l| l.max(end)));
            }
        }
        let ends = match (last, pending.token_expires) {
            (Some(c), Some(tok)) => Some(c.min(tok)),
            (c, _) => c,
        };
        let Some(ends) = ends.filter(|&e| e > now && pending.expires != Some(0)) else {
            t.remove_slot(flow, id);
            return;
        };
        slot.live = Some(Times {
            ends,
            token_expires: pending.token_expires,
            contact_ends,
        });
        t.set_deadline(flow, id, ends);
    }

    /// The live registrations of `flow` at `now`.
    pub(crate) fn live(&self, flow: FlowId, now: SystemTime) -> SmallVec<[Live; 1]> {
        let t = self.lock();
        t.flows.get(&flow).map_or_else(SmallVec::new, |slots| {
            slots.iter().filter_map(|s| s.live_at(now)).collect()
        })
    }

    /// Snapshots of the live registrations of `flow` at `now`, for the host.
    pub(crate) fn snapshots(&self, flow: FlowId, now: SystemTime) -> Vec<Registration> {
        let t = self.lock();
        let Some(slots) = t.flows.get(&flow) else {
            return Vec::new();
        };
        slots
            .iter()
            .filter_map(|s| {
                let times = s.live.as_ref().filter(|t| t.ends > now)?;
                let b = &s.bound;
                Some(Registration {
                    aor: b.aor.clone(),
                    impi: b.impi.clone(),
                    granted_impus: b.granted_impus.clone(),
                    associated_uris: b.associated_uris.clone(),
                    service_route: b.service_route.clone(),
                    contacts: b
                        .contacts
                        .iter()
                        .cloned()
                        .zip(times.contact_ends.iter().copied())
                        .filter(|&(_, end)| end > now)
                        .collect(),
                    token_expires: times.token_expires,
                    ends: times.ends,
                    transport: b.transport,
                })
            })
            .collect()
    }

    /// Whether `flow` holds a registration that lapsed because its token expired
    /// (not yet swept): the client needs a fresh token, not just a new REGISTER.
    pub(crate) fn token_lapsed(&self, flow: FlowId, now: SystemTime) -> bool {
        let t = self.lock();
        t.flows.get(&flow).is_some_and(|slots| {
            slots
                .iter()
                .filter_map(|s| s.live.as_ref())
                .any(|l| l.ends <= now && l.token_expires.is_some_and(|e| e <= now))
        })
    }

    /// Ends every registration of `flow` (its connection closed). Returns how many.
    pub(crate) fn flow_closed(&self, flow: FlowId) -> usize {
        let mut t = self.lock();
        let Some(slots) = t.flows.remove(&flow) else {
            return 0;
        };
        for s in &slots {
            t.deadlines.remove(&(s.deadline, flow, s.id));
        }
        t.entries -= slots.len();
        slots.len()
    }

    /// Removes what ended at or before `now`. Returns how many entries went.
    pub(crate) fn sweep(&self, now: SystemTime) -> usize {
        let mut t = self.lock();
        let mut removed = 0;
        while let Some(&(deadline, flow, id)) = t.deadlines.first() {
            if deadline > now {
                break;
            }
            // A live registration whose admission timed out lives on until its end.
            let keep = t.slot(flow, id).and_then(|slot| {
                slot.pending = None;
                slot.live.as_ref().map(|l| l.ends).filter(|&e| e > now)
            });
            match keep {
                Some(ends) => t.set_deadline(flow, id, ends),
                None => {
                    t.deadlines.remove(&(deadline, flow, id));
                    t.remove_slot(flow, id);
                    removed += 1;
                }
            }
        }
        removed
    }

    /// When the next entry ends, if any is held.
    pub(crate) fn next_expiry(&self) -> Option<SystemTime> {
        self.lock().deadlines.first().map(|&(d, _, _)| d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static PATH: std::sync::LazyLock<RouteTokens> = std::sync::LazyLock::new(|| {
        RouteTokens::new(
            [0; crate::edge::flow_token::PATH_RAW_LEN],
            [0; crate::edge::flow_token::PATH_RAW_LEN],
        )
    });

    fn t0() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    fn register(contact: bool) -> (Message, ContactUris) {
        let contact = if contact {
            "Contact: <sip:a@client.invalid;transport=ws>\r\n"
        } else {
            ""
        };
        Message::parse(format!(
            "REGISTER sip:h SIP/2.0\r\nVia: SIP/2.0/WSS c;branch=z9hG4bK1\r\n\
             To: <sip:a@h>\r\nFrom: <sip:a@h>;tag=1\r\nCall-ID: 1\r\nCSeq: 1 REGISTER\r\n\
             Max-Forwards: 70\r\n{contact}Content-Length: 0\r\n\r\n"
        ))
        .map(|m| {
            let u = uris(&m);
            (m, u)
        })
        .unwrap()
    }

    fn uris(msg: &Message) -> ContactUris {
        crate::message::check_request(msg).unwrap().contacts.uris
    }

    fn view<'a>(
        msg: &'a (Message, ContactUris),
        key: &'a str,
        impus: &'a [Impu],
        expires: Option<u32>,
        token: Option<u64>,
    ) -> AdmissionView<'a> {
        AdmissionView {
            aor: key,
            aor_key: key.as_bytes(),
            impi: "a@h",
            granted_impus: impus,
            token_expires: token.map(|s| t0() + Duration::from_secs(s)),
            transport: Transport::Wss,
            request: &msg.0,
            contacts: &msg.1,
            expires,
        }
    }

    /// The core's 200 OK granting `contacts` (URI, seconds) with `assoc` as the
    /// P-Associated-URI set.
    fn ok(contacts: &[(String, u32)], assoc: &[String]) -> Registered {
        let mut text = String::from(
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/WSS c;branch=z9hG4bK1\r\nTo: <sip:a@h>;tag=2\r\n\
             From: <sip:a@h>;tag=1\r\nCall-ID: 1\r\nCSeq: 1 REGISTER\r\n",
        );
        for u in assoc {
            text.push_str(&format!("P-Associated-URI: <{u}>\r\n"));
        }
        for (u, secs) in contacts {
            text.push_str(&format!("Contact: <{u}>;expires={secs}\r\n"));
        }
        text.push_str("Content-Length: 0\r\n\r\n");
        let msg = Message::parse(text).unwrap();
        let at = msg
            .as_bytes()
            .windows(9)
            .position(|w| w == b"<sip:a@h>")
            .unwrap()
            + 1;
        Registered::new(msg, at..at + 7, Some(b"sip:a@h"[..].into()), None).unwrap()
    }

    #[test]
    fn an_admission_becomes_live_on_the_2xx_and_ends_with_the_token() {
        let r = Registrations::new(10);
        let msg = register(true);
        let impus = [Impu::try_from("sip:a@h").unwrap()];
        r.admit(
            FlowId(1),
            &view(&msg, "sip:a@h", &impus, Some(600), Some(300)),
            &PATH,
            t0(),
        )
        .unwrap();
        assert!(r.live(FlowId(1), t0()).is_empty());
        let contacts = [("SIP:a@client.invalid;transport=ws".to_owned(), 600)];
        let assoc = ["sip:a@h".to_owned(), "tel:+1555".to_owned()];
        r.granted(FlowId(1), b"sip:a@h", &ok(&contacts, &assoc), t0());
        let live = r.live(FlowId(1), t0());
        assert_eq!(live[0].bound.identities().next(), Some("sip:a@h"));
        assert_eq!(
            live[0].bound.written.identities[1].1.as_str(),
            "<tel:+1555>"
        );
        let snap = r.snapshots(FlowId(1), t0());
        assert_eq!(snap[0].ends, t0() + Duration::from_secs(300));
        assert_eq!(snap[0].contacts[0].1, t0() + Duration::from_secs(600));
        assert_eq!(r.next_expiry(), Some(t0() + Duration::from_secs(300)));
        let later = t0() + Duration::from_secs(301);
        assert!(r.live(FlowId(1), later).is_empty());
        assert!(r.token_lapsed(FlowId(1), later));
        assert_eq!(r.sweep(later), 1);
        assert_eq!(r.len(), 0);
        assert_eq!(r.next_expiry(), None);
    }

    /// One REGISTER of `impus` on flow 1 and the core's 200 OK naming `assoc`; what
    /// the flow holds afterwards.
    fn round(
        r: &Registrations,
        msg: &(Message, ContactUris),
        impus: &[Impu],
        assoc: &[String],
    ) -> Arc<Bound> {
        let contacts = [("sip:a@client.invalid;transport=ws".to_owned(), 600)];
        r.admit(
            FlowId(1),
            &view(msg, "sip:a@h", impus, Some(600), None),
            &PATH,
            t0(),
        )
        .unwrap();
        r.granted(FlowId(1), b"sip:a@h", &ok(&contacts, assoc), t0());
        r.live(FlowId(1), t0())[0].bound.clone()
    }

    #[test]
    fn a_refresh_that_changes_nothing_shares_what_is_stored() {
        let r = Registrations::new(10);
        let msg = register(true);
        let impus = [Impu::try_from("sip:a@h").unwrap()];
        let before = round(&r, &msg, &impus, &[]);
        assert!(Arc::ptr_eq(&before, &round(&r, &msg, &impus, &[])));
        // More identities granted: a new record.
        let more = [
            Impu::try_from("sip:a@h").unwrap(),
            Impu::try_from("tel:+1").unwrap(),
        ];
        assert_eq!(round(&r, &msg, &more, &[]).granted_impus.len(), 2);
        // The core's set changes: read again; repeated: shared again.
        let assoc = ["sip:a@h".to_owned(), "tel:+1".to_owned()];
        let changed = round(&r, &msg, &more, &assoc);
        assert_eq!(changed.associated_uris, assoc);
        assert!(Arc::ptr_eq(&changed, &round(&r, &msg, &more, &assoc)));
        // And back to none.
        assert!(round(&r, &msg, &more, &[]).associated_uris.is_empty());
    }

    #[test]
    fn de_registration_and_closed_flows_end_entries() {
        let r = Registrations::new(10);
        let msg = register(true);
        let impus = [Impu::try_from("sip:a@h").unwrap()];
        let contacts = [("sip:a@client.invalid;transport=ws".to_owned(), 600)];
        r.admit(
            FlowId(1),
            &view(&msg, "sip:a@h", &impus, Some(600), None),
            &PATH,
            t0(),
        )
        .unwrap();
        r.granted(FlowId(1), b"sip:a@h", &ok(&contacts, &[]), t0());
        assert_eq!(r.live(FlowId(1), t0()).len(), 1);
        r.admit(
            FlowId(1),
            &view(&msg, "sip:a@h", &impus, Some(0), None),
            &PATH,
            t0(),
        )
        .unwrap();
        assert_eq!(r.len(), 1, "a refresh reuses the entry");
        r.granted(FlowId(1), b"sip:a@h", &ok(&[], &[]), t0());
        assert_eq!(r.len(), 0);
        r.admit(
            FlowId(2),
            &view(&msg, "sip:a@h", &impus, Some(600), None),
            &PATH,
            t0(),
        )
        .unwrap();
        assert_eq!(r.flow_closed(FlowId(2)), 1);
        assert_eq!((r.len(), r.next_expiry()), (0, None));
        // A fetch (no Contact) on a flow with nothing live leaves nothing live.
        let fetch = register(false);
        r.admit(
            FlowId(3),
            &view(&fetch, "sip:a@h", &impus, None, None),
            &PATH,
            t0(),
        )
        .unwrap();
        r.granted(FlowId(3), b"sip:a@h", &ok(&contacts, &[]), t0());
        assert!(r.live(FlowId(3), t0()).is_empty());
    }

    #[test]
    fn the_table_is_bounded_and_unanswered_admissions_end() {
        let r = Registrations::new(2);
        let msg = register(true);
        let impus = [Impu::try_from("sip:a@h").unwrap()];
        r.admit(
            FlowId(1),
            &view(&msg, "sip:a@h", &impus, Some(60), None),
            &PATH,
            t0(),
        )
        .unwrap();
        r.admit(
            FlowId(2),
            &view(&msg, "sip:b@h", &impus, Some(60), None),
            &PATH,
            t0(),
        )
        .unwrap();
        assert_eq!(
            r.admit(
                FlowId(3),
                &view(&msg, "sip:c@h", &impus, Some(60), None),
                &PATH,
                t0()
            ),
            Err(Full)
        );
        // The same flow and AOR again is a refresh, not a new entry.
        r.admit(
            FlowId(2),
            &view(&msg, "sip:b@h", &impus, Some(60), None),
            &PATH,
            t0(),
        )
        .unwrap();
        assert_eq!(r.sweep(t0() + ADMISSION_LIFETIME), 2);
        assert_eq!(r.len(), 0);
    }
}
