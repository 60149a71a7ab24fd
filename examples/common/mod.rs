//! Transport and role code shared by the example programs and the sipp interop test.
//!
//! Each example includes this directory with `#[path = "common/mod.rs"] mod common;` and
//! uses the parts it needs, so the helpers it does not use are allowed to be dead there.
#![allow(dead_code)]

pub mod args;
pub mod bindings;
pub mod core_peer;
pub mod core_server;
pub mod edge_server;
pub mod edge_setup;
pub mod fd_limit;
pub mod http;
pub mod jwks_fetch;
pub mod lab;
pub mod log;
pub mod registrar;
pub mod route_set;
pub mod router;
pub mod sdp;
pub mod server_flags;
pub mod stream;
pub mod tls_certs;
pub mod tokens;
pub mod verdicts;
pub mod waf_server;
pub mod wic_answer;
pub mod wic_client;
pub mod wic_dialog;
pub mod ws;
