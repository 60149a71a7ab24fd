//! A registration whose validator defers its verdict (`Verdict::Later`) and is completed
//! later with `Edge::complete` must come out exactly as the synchronous path would have
//! answered: for arbitrary bytes, an edge whose validator always defers either answers
//! at once, byte for byte as edges with a synchronous validator do (the verdict was
//! never asked for), or hands back a pending registration; completing that with a valid
//! verdict gives exactly what the accepting edge gives, and with an invalid one exactly
//! what the refusing edge gives. The pending registration keeps the request's flow, its
//! time and the token the synchronous validators were asked about.
//!
//! The first input byte picks the transport and the flow id (as in `edge_request`), and
//! which refusal the invalid verdict is; the request follows.
#![no_main]

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use sip_oauth::edge::{Config, Edge, FlowId, Inbound, RequestDecision, Transport};
use sip_oauth::identity::{Impi, Impu};
use sip_oauth::validate::{Authorization, ValidationError, Validator, Verdict};

const HOME: &str = "ims.mnc001.mcc001.3gppnetwork.org";
const EDGE_HOST: &str = "pcscf.visited.example:5060";
const FLOW_KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn bob() -> Arc<Authorization> {
    let mut bob = Authorization::new(Impi::try_from(format!("bob@{HOME}").as_str()).unwrap());
    bob.impus
        .push(Impu::try_from(format!("sip:bob@{HOME}").as_str()).unwrap());
    bob.impus.push(Impu::try_from("tel:+15550100123").unwrap());
    bob.expires_at = Some(now() + Duration::from_secs(1800));
    Arc::new(bob)
}

/// The refusals the invalid verdict is picked from: 401 and 403 answers.
fn refusal(pick: u8) -> ValidationError {
    match (pick >> 5) % 4 {
        0 => ValidationError::BadSignature,
        1 => ValidationError::Expired,
        2 => ValidationError::InsufficientScope {
            required: vec!["sip:register".to_owned()],
        },
        _ => ValidationError::Oversized {
            len: 9000,
            max: 8192,
        },
    }
}

/// Answers every token at once with its verdict, remembering the last token asked about.
struct Now {
    verdict: Mutex<Result<Arc<Authorization>, ValidationError>>,
    asked: Mutex<Option<String>>,
}

impl Validator for Now {
    fn validate(&self, token: &str, at: SystemTime) -> Result<Arc<Authorization>, ValidationError> {
        assert_eq!(at, now());
        *self.asked.lock().unwrap() = Some(token.to_owned());
        self.verdict.lock().unwrap().clone()
    }
}

/// Defers every verdict.
struct Remote;

impl Validator for Remote {
    fn validate(&self, _: &str, _: SystemTime) -> Result<Arc<Authorization>, ValidationError> {
        unreachable!("the edge asks for a verdict, not for validation")
    }

    fn verdict(&self, _: &str, _: SystemTime) -> Verdict {
        Verdict::Later
    }
}

struct Edges {
    deferred: Edge,
    accepting: Edge,
    refusing: Edge,
    accepting_v: Arc<Now>,
    refusing_v: Arc<Now>,
}

fn edges() -> &'static Edges {
    static EDGES: OnceLock<Edges> = OnceLock::new();
    EDGES.get_or_init(|| {
        let config = Arc::new(
            Config::new(HOME, EDGE_HOST, FLOW_KEY)
                .unwrap()
                .allow_insecure_transport(true)
                .visited_network_id("visited.example")
                .unwrap(),
        );
        let sync = |verdict| {
            Arc::new(Now {
                verdict: Mutex::new(verdict),
                asked: Mutex::new(None),
            })
        };
        let accepting_v = sync(Ok(bob()));
        let refusing_v = sync(Err(ValidationError::BadSignature));
        Edges {
            deferred: Edge::from_shared(config.clone(), Arc::new(Remote)),
            accepting: Edge::from_shared(config.clone(), accepting_v.clone()),
            refusing: Edge::from_shared(config, refusing_v.clone()),
            accepting_v,
            refusing_v,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let [pick, wire @ ..] = data else {
        return;
    };
    let transport = match pick % 5 {
        0 => Transport::Udp,
        1 => Transport::Tcp,
        2 => Transport::Tls,
        3 => Transport::Ws,
        _ => Transport::Wss,
    };
    let inbound = Inbound {
        flow: FlowId(u64::from(*pick >> 3)),
        peer: "198.51.100.7:50312".parse().unwrap(),
        transport,
        now: now(),
        secure_flow: false,
        transport_token: None,
    };
    let e = edges();
    let error = refusal(*pick);
    *e.refusing_v.verdict.lock().unwrap() = Err(error.clone());
    *e.accepting_v.asked.lock().unwrap() = None;
    *e.refusing_v.asked.lock().unwrap() = None;

    let accepted = e.accepting.on_request(wire.to_vec(), &inbound);
    let refused = e.refusing.on_request(wire.to_vec(), &inbound);
    let asked = e.accepting_v.asked.lock().unwrap().take();
    assert_eq!(asked, e.refusing_v.asked.lock().unwrap().take());

    match e.deferred.on_request(wire.to_vec(), &inbound) {
        RequestDecision::Pending(p) => {
            assert_eq!(p.flow(), inbound.flow);
            assert_eq!(p.received_at(), now());
            assert_eq!(asked.as_deref(), Some(p.token()), "the token asked about");
            assert!(!format!("{p:?}").contains(p.token()) || p.token().len() < 4);
            let later_ok = e.deferred.complete((*p).clone(), Ok(bob()));
            assert_eq!(later_ok, accepted, "a valid verdict later");
            let later_err = e.deferred.complete(*p, Err(error));
            assert_eq!(later_err, refused, "an invalid verdict later");
        }
        answered => {
            // No verdict was needed, so none was asked for, and all edges agree.
            assert_eq!(asked, None, "{answered:?}");
            assert_eq!(answered, accepted);
            assert_eq!(answered, refused);
        }
    }
});
