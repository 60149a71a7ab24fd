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

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use super::inbound::{FlowId, Transport};

/// How long an admission waits for the core's answer: RFC 3261 17.1.2.2 (Timer F,
/// 64*T1 = 32 s), with a margin.
const ADMISSION_LIFETIME: Duration = Duration::from_secs(40);
/// Most values of each kind one registration keeps (a Service-Route, identities,
/// bindings): a registration's memory is bounded whatever the core sends.
const MAX_VALUES: usize = 16;
/// Longest URI kept; longer ones are not stored.
const MAX_URI_LEN: usize = 512;

/// One live registration, as originating and terminating requests read it.
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
    /// The AOR in its canonical binding form (what route tokens are bound to).
    pub(crate) aor_key: Vec<u8>,
}

impl Registration {
    /// The identities requests may be sent as: the registered set, or the address of
    /// record when the core returned none.
    pub fn identities(&self) -> impl Iterator<Item = &str> {
        let own = self.associated_uris.is_empty().then_some(self.aor.as_str());
        self.associated_uris.iter().map(String::as_str).chain(own)
    }

    /// The default public identity (TS 24.229 5.2.6.3.3: the first URI of the
    /// registered set).
    pub fn default_identity(&self) -> &str {
        self.identities().next().unwrap_or(&self.aor)
    }
}

/// What a forwarded REGISTER asked for, kept until the core answers.
#[derive(Debug, Clone)]
pub(crate) struct Admission {
    pub aor: String,
    pub aor_key: Vec<u8>,
    pub impi: String,
    pub granted_impus: Vec<String>,
    pub token_expires: Option<SystemTime>,
    pub transport: Transport,
    /// The client's Contact URIs (empty for a fetch).
    pub contacts: Vec<String>,
    /// The lifetime forwarded (after capping): `Some(0)` is a de-registration.
    pub expires: Option<u32>,
}

/// What the core's 2xx to a REGISTER said.
pub(crate) struct Granted<'a> {
    pub service_route: &'a [String],
    pub associated_uris: &'a [String],
    /// The bindings listed, with their granted lifetimes in seconds.
    pub contacts: &'a [(String, u32)],
}

/// The table is full: the REGISTER is refused rather than an entry evicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full;

struct Slot {
    id: u64,
    deadline: SystemTime,
    admission: Option<(Admission, SystemTime)>,
    live: Option<Arc<Registration>>,
}

#[derive(Default)]
struct Table {
    flows: HashMap<FlowId, Vec<Slot>>,
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

fn kept(uris: impl IntoIterator<Item = impl AsRef<str>>) -> Vec<String> {
    uris.into_iter()
        .filter(|u| u.as_ref().len() <= MAX_URI_LEN)
        .take(MAX_VALUES)
        .map(|u| u.as_ref().to_owned())
        .collect()
}

impl Table {
    fn set_deadline(&mut self, flow: FlowId, at: usize, deadline: SystemTime) {
        let Some(slot) = self.flows.get_mut(&flow).and_then(|s| s.get_mut(at)) else {
            return;
        };
        self.deadlines.remove(&(slot.deadline, flow, slot.id));
        slot.deadline = deadline;
        self.deadlines.insert((deadline, flow, slot.id));
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
    pub(crate) fn admit(
        &self,
        flow: FlowId,
        admission: Admission,
        now: SystemTime,
    ) -> Result<(), Full> {
        let mut t = self.lock();
        let until = now + ADMISSION_LIFETIME;
        let at = t
            .flows
            .get(&flow)
            .and_then(|s| s.iter().position(|s| s.aor_key_is(&admission.aor_key)));
        match at {
            Some(at) => {
                let Some(slot) = t.flows.get_mut(&flow).and_then(|s| s.get_mut(at)) else {
                    return Ok(());
                };
                slot.admission = Some((admission, until));
                // A live registration keeps its own deadline; an admission only extends.
                let deadline = slot.live.as_ref().map_or(until, |l| l.ends.max(until));
                t.set_deadline(flow, at, deadline);
            }
            None => {
                if t.entries >= self.capacity {
                    return Err(Full);
                }
                let id = t.next_id;
                t.next_id += 1;
                t.entries += 1;
                t.deadlines.insert((until, flow, id));
                t.flows.entry(flow).or_default().push(Slot {
                    id,
                    deadline: until,
                    admission: Some((admission, until)),
                    live: None,
                });
            }
        }
        Ok(())
    }

    /// Applies the core's 2xx to a REGISTER for `aor_key` on `flow`: the admission
    /// becomes a live registration, its lifetime refreshed, or it ends (a
    /// de-registration, or no binding of the client left). Returns the registration
    /// now live, if any.
    pub(crate) fn granted(
        &self,
        flow: FlowId,
        aor_key: &[u8],
        granted: &Granted<'_>,
        now: SystemTime,
    ) -> Option<Arc<Registration>> {
        let mut t = self.lock();
        let slots = t.flows.get_mut(&flow)?;
        let at = slots.iter().position(|s| s.aor_key_is(aor_key))?;
        let slot = slots.get_mut(at)?;
        let (admission, until) = slot.admission.take()?;
        if until < now {
            return slot.live.clone();
        }
        let id = slot.id;
        if admission.contacts.is_empty() && admission.expires != Some(0) {
            // A fetch: the registered set and route may have changed, the lifetime not.
            let mut refreshed = Registration::clone(slot.live.as_ref()?);
            refreshed.service_route = kept(granted.service_route);
            refreshed.associated_uris = kept(granted.associated_uris);
            let refreshed = Arc::new(refreshed);
            slot.live = Some(refreshed.clone());
            return Some(refreshed);
        }
        // The client's bindings as the core granted them; a registrar that rewrote or
        // omitted the Contact leaves the lifetime the edge forwarded.
        let contacts: Vec<(String, SystemTime)> = admission
            .contacts
            .iter()
            .filter_map(|uri| {
                let secs = granted
                    .contacts
                    .iter()
                    .find(|(u, _)| u.eq_ignore_ascii_case(uri))
                    .map(|&(_, s)| s)
                    .or(admission.expires)
                    .unwrap_or(3600);
                (secs > 0).then(|| (uri.clone(), now + Duration::from_secs(secs.into())))
            })
            .take(MAX_VALUES)
            .collect();
        let last = contacts.iter().map(|&(_, t)| t).max();
        let ends = match (last, admission.token_expires) {
            (Some(c), Some(t)) => Some(c.min(t)),
            (c, _) => c,
        };
        let Some(ends) = ends.filter(|&e| e > now && admission.expires != Some(0)) else {
            t.remove_slot(flow, id);
            return None;
        };
        let live = Arc::new(Registration {
            aor: admission.aor,
            impi: admission.impi,
            granted_impus: admission.granted_impus,
            associated_uris: kept(granted.associated_uris),
            service_route: kept(granted.service_route),
            contacts,
            token_expires: admission.token_expires,
            ends,
            transport: admission.transport,
            aor_key: admission.aor_key,
        });
        slot.live = Some(live.clone());
        t.set_deadline(flow, at, ends);
        Some(live)
    }

    /// The live registrations of `flow` at `now`.
    pub(crate) fn live(&self, flow: FlowId, now: SystemTime) -> Vec<Arc<Registration>> {
        let t = self.lock();
        t.flows.get(&flow).map_or_else(Vec::new, |slots| {
            slots
                .iter()
                .filter_map(|s| s.live.clone())
                .filter(|l| l.ends > now)
                .collect()
        })
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
            // A live registration whose admission timed out keeps living until its end.
            let keep = t.flows.get_mut(&flow).and_then(|slots| {
                let slot = slots.iter_mut().find(|s| s.id == id)?;
                slot.admission = None;
                slot.live.as_ref().map(|l| l.ends).filter(|&e| e > now)
            });
            match keep {
                Some(ends) => {
                    let at = t
                        .flows
                        .get(&flow)
                        .and_then(|s| s.iter().position(|s| s.id == id));
                    if let Some(at) = at {
                        t.set_deadline(flow, at, ends);
                    }
                }
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

impl Slot {
    fn aor_key_is(&self, key: &[u8]) -> bool {
        let own = self
            .live
            .as_ref()
            .map(|l| l.aor_key.as_slice())
            .or_else(|| self.admission.as_ref().map(|(a, _)| a.aor_key.as_slice()));
        own == Some(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    fn admission(aor: &str, expires: Option<u32>, token: Option<u64>) -> Admission {
        Admission {
            aor: aor.to_owned(),
            aor_key: aor.as_bytes().to_vec(),
            impi: "alice@home.example".to_owned(),
            granted_impus: vec![aor.to_owned()],
            token_expires: token.map(|s| t0() + Duration::from_secs(s)),
            transport: Transport::Wss,
            contacts: vec!["sip:a@client.invalid;transport=ws".to_owned()],
            expires,
        }
    }

    fn ok<'a>(contacts: &'a [(String, u32)], assoc: &'a [String]) -> Granted<'a> {
        Granted {
            service_route: &[],
            associated_uris: assoc,
            contacts,
        }
    }

    #[test]
    fn an_admission_becomes_live_on_the_2xx_and_ends_with_the_token() {
        let r = Registrations::new(10);
        let aor = "sip:alice@home.example";
        r.admit(FlowId(1), admission(aor, Some(600), Some(300)), t0())
            .unwrap();
        assert!(r.live(FlowId(1), t0()).is_empty());
        let contacts = [("SIP:a@client.invalid;transport=ws".to_owned(), 600)];
        let assoc = ["sip:alice@home.example".to_owned(), "tel:+1555".to_owned()];
        let live = r
            .granted(FlowId(1), aor.as_bytes(), &ok(&contacts, &assoc), t0())
            .unwrap();
        assert_eq!(live.ends, t0() + Duration::from_secs(300));
        assert_eq!(live.default_identity(), "sip:alice@home.example");
        assert_eq!(r.next_expiry(), Some(t0() + Duration::from_secs(300)));
        let later = t0() + Duration::from_secs(301);
        assert!(r.live(FlowId(1), later).is_empty());
        assert!(r.token_lapsed(FlowId(1), later));
        assert_eq!(r.sweep(later), 1);
        assert_eq!(r.len(), 0);
        assert_eq!(r.next_expiry(), None);
    }

    #[test]
    fn de_registration_and_closed_flows_end_entries() {
        let r = Registrations::new(10);
        let aor = "sip:alice@home.example";
        let contacts = [("sip:a@client.invalid;transport=ws".to_owned(), 600)];
        r.admit(FlowId(1), admission(aor, Some(600), None), t0())
            .unwrap();
        assert!(
            r.granted(FlowId(1), aor.as_bytes(), &ok(&contacts, &[]), t0())
                .is_some()
        );
        r.admit(FlowId(1), admission(aor, Some(0), None), t0())
            .unwrap();
        assert_eq!(r.len(), 1, "a refresh reuses the entry");
        assert!(
            r.granted(FlowId(1), aor.as_bytes(), &ok(&[], &[]), t0())
                .is_none()
        );
        assert_eq!(r.len(), 0);
        r.admit(FlowId(2), admission(aor, Some(600), None), t0())
            .unwrap();
        assert_eq!(r.flow_closed(FlowId(2)), 1);
        assert_eq!((r.len(), r.next_expiry()), (0, None));
    }

    #[test]
    fn the_table_is_bounded_and_unanswered_admissions_end() {
        let r = Registrations::new(2);
        r.admit(FlowId(1), admission("sip:a@h", Some(60), None), t0())
            .unwrap();
        r.admit(FlowId(2), admission("sip:b@h", Some(60), None), t0())
            .unwrap();
        assert_eq!(
            r.admit(FlowId(3), admission("sip:c@h", Some(60), None), t0()),
            Err(Full)
        );
        // The same flow and AOR again is a refresh, not a new entry.
        r.admit(FlowId(2), admission("sip:b@h", Some(60), None), t0())
            .unwrap();
        assert_eq!(r.sweep(t0() + ADMISSION_LIFETIME), 2);
        assert_eq!(r.len(), 0);
    }
}
