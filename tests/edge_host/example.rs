//! The example programs' edge server (`examples/common/edge_server`), set up from flags
//! as the example `epcscf` is, with a tap writing every hop to a [`HopLog`] in the test
//! host's format. The test crate that uses it declares the examples' `common` module at
//! its root.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sip_oauth::edge::Edge;

use super::{AUDIENCE, EdgeSetup, HOME, HopLog, ISSUER, SECRET, first_line};
use crate::common::args::Settings;
use crate::common::edge_server::{Bound, EdgeServer, Hop, Tap};
use crate::common::edge_setup;

/// The example programs' edge server, set up as the example `epcscf` is from its flags.
pub struct ExampleEdge {
    server: EdgeServer,
    /// The edge the server runs (clones share its registrations).
    pub edge: Edge,
    pub udp: SocketAddr,
    pub tcp: SocketAddr,
    pub core_side: SocketAddr,
    pub setup: EdgeSetup,
    pub log: HopLog,
}

impl ExampleEdge {
    /// Binds and starts an edge set up as `setup` says.
    pub async fn start(setup: EdgeSetup) -> ExampleEdge {
        let core = setup.core.to_string();
        let core_bind = setup.core_bind.to_string();
        let epoch = setup.epoch.to_string();
        let key = String::from_utf8(setup.flow_key.clone()).expect("a text flow key");
        let args = [
            "--ws-listen",
            "off",
            "--udp-listen",
            "127.0.0.1:0",
            "--tcp-listen",
            "127.0.0.1:0",
            "--core",
            &core,
            "--core-transport",
            if setup.core_tcp { "tcp" } else { "udp" },
            "--core-bind",
            &core_bind,
            "--flow-key",
            &key,
            "--epoch",
            &epoch,
            "--allow-insecure-transport",
            "true",
            "--hmac-secret",
            SECRET,
            "--issuer",
            ISSUER,
            "--audience",
            AUDIENCE,
            "--scope",
            "sip",
            "--home-domain",
            HOME,
        ];
        let settings = Settings::parse(args.iter().map(|s| (*s).to_owned()), edge_setup::KNOWN, "")
            .expect("edge flags");
        let addrs = edge_setup::addrs(&settings).expect("edge addresses");
        // A restarted edge binds the core-facing address its predecessor just let go of.
        let mut bound = None;
        for _ in 0..50 {
            match Bound::bind(addrs.clone()).await {
                Ok(b) => {
                    bound = Some(b);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        let bound = bound.expect("binding the edge's sockets");
        let (udp, tcp) = (bound.udp_addr().unwrap(), bound.tcp_addr().unwrap());
        let host = bound.default_edge_host();
        let core_side: SocketAddr = host.parse().expect("the edge host is an address");
        let edge = edge_setup::edge(&settings, &host).expect("the edge");
        let log = HopLog::default();
        let (tap_log, name) = (log.clone(), setup.name.clone());
        let tap: Tap = Arc::new(move |hop: Hop, bytes: &[u8]| {
            let arrow = match hop {
                Hop::FromClient => "<- client",
                Hop::ToCore => "-> core",
                Hop::FromCore => "<- core",
                Hop::ToClient => "-> client",
            };
            tap_log.push(format!("{name} {arrow}: {}", first_line(bytes)));
        });
        ExampleEdge {
            server: EdgeServer::start(edge.clone(), bound, Some(tap)),
            edge,
            udp,
            tcp,
            core_side,
            setup,
            log,
        }
    }

    /// Stops the server and waits until its tasks are gone.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}
