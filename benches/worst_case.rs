//! The most expensive message the default limits let in, against the sample REGISTER in
//! the same groups: 64 KiB with the maximal header count, header lines folded as often
//! as they can be, long comma lists in Contact, Via and option-tag headers, and a bearer
//! token as long as a header line allows. Parsing alone, and the whole edge procedure
//! (the token accepted, so every check and the rewrite run), for both messages, in one
//! group whose floor is copying the worst-case bytes.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use sip_oauth::edge::{Config, Edge, FlowId, Inbound, RequestDecision, Transport};
use sip_oauth::identity::{Impi, Impu};
use sip_oauth::message::{Limits, Message};
use sip_oauth::validate::{Authorization, FixedValidator};

const REGISTER: &[u8] = include_bytes!("../tests/data/samples/register_from_wic.sip");
const HOME: &str = "ims.mnc001.mcc001.3gppnetwork.org";

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

/// Appends `name: value` lines, each a comma list of `item` as long as a line allows.
fn list_line(out: &mut String, name: &str, item: &str, line_max: usize) {
    let mut line = format!("{name}: {item}");
    while line.len() + item.len() + 4 < line_max {
        line.push_str(", ");
        line.push_str(item);
    }
    out.push_str(&line);
    out.push_str("\r\n");
}

/// Appends a header folded onto as many continuation lines as a line allows.
fn folded_line(out: &mut String, name: &str, line_max: usize) {
    let mut line = format!("{name}: a");
    while line.len() + 5 < line_max {
        line.push_str("\r\n b");
    }
    out.push_str(&line);
    out.push_str("\r\n");
}

/// The worst-case REGISTER: every limit of [`Limits::DEFAULT`] nearly reached at once.
fn worst_case() -> Vec<u8> {
    let limits = Limits::DEFAULT;
    let line = limits.max_line_bytes - 16;
    let token = "A".repeat(line - "Authorization: Bearer ".len());
    let mut head = format!(
        "REGISTER sip:{HOME} SIP/2.0\r\n\
         Via: SIP/2.0/WSS 8h2kqv9r1c4p.invalid;branch=z9hG4bK7739204;rport\r\n\
         Max-Forwards: 70\r\n\
         To: \"Bob\" <sip:bob@{HOME}>\r\n\
         From: \"Bob\" <sip:bob@{HOME}>;tag=t0b1bq4r\r\n\
         Call-ID: 3mq0v1ccpo3db3lr8v9tqk\r\n\
         CSeq: 1 REGISTER\r\n\
         Expires: 3600\r\n\
         Authorization: Bearer {token}\r\n"
    );
    // Bindings the edge parses one by one and caps to the token's lifetime.
    for _ in 0..2 {
        list_line(
            &mut head,
            "Contact",
            "<sip:u@h.invalid;transport=ws>;expires=3600",
            line,
        );
    }
    list_line(
        &mut head,
        "Via",
        "SIP/2.0/TCP h.invalid;branch=z9hG4bKx",
        line,
    );
    list_line(&mut head, "Supported", "path", line);
    folded_line(&mut head, "X-Folded", line);
    folded_line(&mut head, "Subject", line);
    // Fill the header count with the shortest fields the size limit still allows.
    let tail = "Content-Length: 0\r\n\r\n";
    let mut count = Message::parse(format!("{head}{tail}").into_bytes())
        .expect("worst case parses")
        .headers()
        .len();
    let mut i = 0;
    while count < limits.max_headers && head.len() + tail.len() + 16 < limits.max_message_bytes {
        head.push_str(&format!("X-{i}: ,;\r\n"));
        count += 1;
        i += 1;
    }
    head.push_str(tail);
    head.into_bytes()
}

fn bench(c: &mut Criterion) {
    let mut bob = Authorization::new(Impi::try_from(format!("bob@{HOME}").as_str()).expect("impi"));
    bob.impus
        .push(Impu::try_from(format!("sip:bob@{HOME}").as_str()).expect("impu"));
    bob.expires_at = Some(now() + Duration::from_secs(1800));
    let config = Config::new(
        HOME,
        "pcscf.visited.example:5060",
        b"0123456789abcdef0123456789abcdef",
    )
    .expect("config");
    let edge = Edge::new(config, FixedValidator::any(bob));
    let inbound = Inbound {
        flow: FlowId(7),
        peer: "198.51.100.7:50312".parse().expect("addr"),
        transport: Transport::Wss,
        now: now(),
        secure_flow: false,
        transport_token: None,
    };

    let sample = Bytes::from_static(REGISTER);
    let worst = Bytes::from(worst_case());
    let parsed = Message::parse(worst.clone()).expect("worst case parses");
    assert_eq!(parsed.headers().len(), Limits::DEFAULT.max_headers);
    for msg in [&sample, &worst] {
        match edge.on_request(msg.clone(), &inbound) {
            RequestDecision::Forward { .. } => {}
            other => panic!("not forwarded: {other:?}"),
        }
    }

    println!(
        "sample: {} bytes, {} headers; worst case: {} bytes, {} headers",
        sample.len(),
        Message::parse(sample.clone())
            .expect("sample parses")
            .headers()
            .len(),
        worst.len(),
        parsed.headers().len()
    );

    let mut g = c.benchmark_group("worst_case");
    g.bench_function("floor: copy worst case", |b| {
        b.iter(|| black_box(worst.to_vec()))
    });
    for (name, msg) in [("sample", &sample), ("worst case", &worst)] {
        g.bench_function(format!("parse {name}"), |b| {
            b.iter(|| Message::parse(black_box(msg.clone())))
        });
        g.bench_function(format!("edge on_request {name}"), |b| {
            b.iter(|| edge.on_request(black_box(msg.clone()), &inbound))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
