//! The stand-in S-CSCF's location service (RFC 3261 10.3): for each address of record
//! the registered contacts with their expiry, the Path each REGISTER carried (RFC 3327
//! 5.3, used as the Route toward the contact) and the peer the REGISTER came from; and
//! which peer each edge was last heard from, by the sent-by of its Via, so that
//! in-dialog requests and responses reach an edge over the connection it opened.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::core_peer::Peer;

/// Bound on the table of edges; past it the table starts over (edges are relearned from
/// their next message).
const MAX_EDGES: usize = 1024;

/// One registered contact.
#[derive(Debug, Clone)]
pub struct Binding {
    /// The Contact URI (the Request-URI of requests sent to it).
    pub uri: String,
    /// Contact parameters echoed in the 200 OK (`;reg-id=..;+sip.instance=..`).
    pub params: String,
    /// When it expires.
    pub until: Instant,
    /// The Path elements of the REGISTER, top first (the Route toward the contact).
    pub path: Vec<String>,
    /// Where the REGISTER came from.
    pub peer: Peer,
}

/// One change a REGISTER asks for (RFC 3261 10.3 step 6).
#[derive(Debug, Clone)]
pub enum Change {
    /// `Contact: *` with `Expires: 0`: remove every binding.
    RemoveAll,
    /// Add, refresh (`secs` > 0) or remove (`secs` = 0) one contact.
    Contact {
        /// The Contact URI.
        uri: String,
        /// Parameters kept for the answer.
        params: String,
        /// The granted lifetime.
        secs: u32,
    },
}

/// What a lookup of an address of record found.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// Never registered here: 404 Not Found.
    Unknown,
    /// Registered before, no live contact now: 480 Temporarily Unavailable.
    Offline,
    /// The live contact chosen (the most recently registered one).
    Live(Binding),
}

/// Every binding, and the edges heard from.
#[derive(Default)]
pub struct Bindings {
    aors: Mutex<HashMap<String, Vec<Binding>>>,
    edges: Mutex<HashMap<String, Peer>>,
}

impl Bindings {
    /// Applies `changes` for AOR key `aor`, the REGISTER having come from `peer` with
    /// Path `path`; returns the bindings now held with their remaining seconds.
    pub fn update(
        &self,
        aor: &str,
        changes: Vec<Change>,
        path: &[String],
        peer: Peer,
        now: Instant,
    ) -> Result<Vec<(String, String, u64)>, &'static str> {
        let mut map = self.aors.lock().map_err(|_| "state unavailable")?;
        // The entry stays when empty: a known user without contacts is offline (480),
        // not unknown (404).
        let list = map.entry(aor.to_owned()).or_default();
        list.retain(|b| b.until > now);
        for change in changes {
            match change {
                Change::RemoveAll => list.clear(),
                Change::Contact { uri, params, secs } => {
                    list.retain(|b| b.uri != uri);
                    if secs > 0 {
                        list.push(Binding {
                            uri,
                            params,
                            until: now + Duration::from_secs(u64::from(secs)),
                            path: path.to_vec(),
                            peer,
                        });
                    }
                }
            }
        }
        Ok(list
            .iter()
            .map(|b| {
                (
                    b.uri.clone(),
                    b.params.clone(),
                    b.until.saturating_duration_since(now).as_secs(),
                )
            })
            .collect())
    }

    /// How many addresses of record have live bindings at `now`.
    pub fn registered(&self, now: Instant) -> usize {
        self.aors.lock().map_or(0, |m| {
            m.values()
                .filter(|v| v.iter().any(|b| b.until > now))
                .count()
        })
    }

    /// The contact to send a request for AOR key `aor` to.
    pub fn lookup(&self, aor: &str, now: Instant) -> Lookup {
        let Ok(map) = self.aors.lock() else {
            return Lookup::Unknown;
        };
        match map.get(aor) {
            None => Lookup::Unknown,
            Some(list) => list
                .iter()
                .rev()
                .find(|b| b.until > now)
                .map_or(Lookup::Offline, |b| Lookup::Live(b.clone())),
        }
    }

    /// The live binding whose Contact URI is `uri` (an in-dialog request addressed to a
    /// remote target with no route left).
    pub fn by_contact(&self, uri: &str, now: Instant) -> Option<Binding> {
        let map = self.aors.lock().ok()?;
        map.values()
            .flatten()
            .find(|b| b.until > now && b.uri == uri)
            .cloned()
    }

    /// Remembers that the node whose Via sent-by is `sent_by` talks from `peer`.
    pub fn learn_edge(&self, sent_by: &str, peer: Peer) {
        if let Ok(mut m) = self.edges.lock() {
            if m.len() >= MAX_EDGES && !m.contains_key(sent_by) {
                m.clear();
            }
            m.insert(sent_by.to_owned(), peer);
        }
    }

    /// The peer of the edge known by `host_port` (a Via sent-by or a Route host).
    pub fn edge(&self, host_port: &str) -> Option<Peer> {
        self.edges.lock().ok()?.get(host_port).copied()
    }
}
