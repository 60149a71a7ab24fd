//! The flow table: which client connection each [`FlowId`] names. The edge hides the
//! id (MAC-protected) in its own Via branch, so this map is the only per-client state
//! the server keeps; UDP peers, having no connection, get one id per source address.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use sip_oauth::edge::FlowId;
use tokio::sync::mpsc;

/// Bound on the UDP peer table; past it the table starts over (old peers get new ids
/// and late responses to them are dropped, as after a restart).
const MAX_UDP_FLOWS: usize = 100_000;
/// Outgoing queue per connection; a client that does not read loses messages.
pub(super) const QUEUE: usize = 64;

/// How to reach the client behind a flow, with its name in the log (`ws:ADDR`, ...).
#[derive(Clone)]
pub(super) enum Route {
    /// A stream connection (WebSocket or TCP), fed through its writer's queue.
    Stream {
        label: Arc<str>,
        tx: mpsc::Sender<Bytes>,
    },
    /// A UDP peer, answered from the client-facing UDP socket.
    Udp { peer: SocketAddr, label: Arc<str> },
}

/// Every open flow, and the flows given to UDP peers.
pub(super) struct Flows {
    routes: Mutex<HashMap<FlowId, Route>>,
    /// Each UDP peer's flow and name in the log (written once, not per datagram).
    udp_peers: Mutex<HashMap<SocketAddr, (FlowId, Arc<str>)>>,
    next: AtomicU64,
}

impl Flows {
    /// An empty table; the first id is 1.
    pub(super) fn new() -> Flows {
        Flows {
            routes: Mutex::new(HashMap::new()),
            udp_peers: Mutex::new(HashMap::new()),
            next: AtomicU64::new(1),
        }
    }

    /// Gives `route` a new id.
    pub(super) fn open(&self, route: Route) -> FlowId {
        let flow = FlowId(self.next.fetch_add(1, Ordering::Relaxed));
        if let Ok(mut m) = self.routes.lock() {
            m.insert(flow, route);
        }
        flow
    }

    /// Gives a stream connection labelled `label` a new id; returns it with the
    /// receiving end of the connection's outgoing queue and a sender into that queue.
    pub(super) fn open_stream(
        &self,
        label: &str,
    ) -> (FlowId, mpsc::Sender<Bytes>, mpsc::Receiver<Bytes>) {
        let (tx, rx) = mpsc::channel::<Bytes>(QUEUE);
        let flow = self.open(Route::Stream {
            label: label.into(),
            tx: tx.clone(),
        });
        (flow, tx, rx)
    }

    /// Forgets `flow` (its connection closed).
    pub(super) fn close(&self, flow: FlowId) {
        if let Ok(mut m) = self.routes.lock() {
            m.remove(&flow);
        }
    }

    /// The flow of UDP peer `peer`, given a new id on its first datagram, and the
    /// peer's name in the log (`udp:ADDR`).
    pub(super) fn udp(&self, peer: SocketAddr) -> (FlowId, Arc<str>) {
        let Ok(mut peers) = self.udp_peers.lock() else {
            return (FlowId(0), format!("udp:{peer}").into());
        };
        if let Some((f, label)) = peers.get(&peer) {
            return (*f, label.clone());
        }
        if peers.len() >= MAX_UDP_FLOWS {
            if let Ok(mut flows) = self.routes.lock() {
                for (f, _) in peers.values() {
                    flows.remove(f);
                }
            }
            peers.clear();
        }
        let label: Arc<str> = format!("udp:{peer}").into();
        let flow = self.open(Route::Udp {
            peer,
            label: label.clone(),
        });
        peers.insert(peer, (flow, label.clone()));
        (flow, label)
    }

    /// How many flows are open (UDP peers included).
    pub(super) fn len(&self) -> usize {
        self.routes.lock().map_or(0, |m| m.len())
    }

    /// How to reach the client of `flow`, or `None` when it is gone.
    pub(super) fn route(&self, flow: FlowId) -> Option<Route> {
        self.routes.lock().ok()?.get(&flow).cloned()
    }
}
