//! Running sipp from a test: whether it is installed, free loopback ports, a scratch
//! directory for its logs, and one sipp process waited for with its errors and the tail
//! of its output and messages when it fails. Shared by the sipp suites; each uses the
//! parts it needs.
#![allow(dead_code)]

use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Upper bound on one sipp run, beyond sipp's own `-timeout`.
pub const SIPP_DEADLINE: Duration = Duration::from_secs(40);

/// The path of a scenario of `tests/interop/`.
pub fn scenario(name: &str) -> String {
    format!("{}/tests/interop/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Whether sipp can run; `false` means skip (allowed only without `SIP_OAUTH_REQUIRE_SIPP`).
pub fn sipp_present(test: &str) -> bool {
    let found = Command::new("sipp")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if found {
        return true;
    }
    assert!(
        std::env::var_os("SIP_OAUTH_REQUIRE_SIPP").is_none(),
        "{test}: sipp is not installed but SIP_OAUTH_REQUIRE_SIPP is set \
         (install it with `apt-get install -y sip-tester`)"
    );
    eprintln!(
        "SKIPPED {test}: sipp is not installed (apt-get install -y sip-tester); \
         set SIP_OAUTH_REQUIRE_SIPP=1 to make this a failure"
    );
    false
}

/// A port free on 127.0.0.1 for both UDP and TCP at the time of the call.
pub fn free_port() -> u16 {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port");
}

/// Waits until something has bound `port` (sipp's server socket is up).
pub fn wait_bound(port: u16, tcp: bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let taken = if tcp {
            TcpListener::bind(("127.0.0.1", port)).is_err()
        } else {
            UdpSocket::bind(("127.0.0.1", port)).is_err()
        };
        if taken {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("sipp did not bind port {port}");
}

/// A scratch directory for sipp's logs, named after the suite and the test.
pub fn workdir(suite: &str, test: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "sip-oauth-{suite}-{}-{test}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One sipp process with its logs.
pub struct Sipp {
    child: std::process::Child,
    dir: PathBuf,
    name: String,
}

impl Sipp {
    pub fn spawn(dir: &Path, name: &str, args: &[String]) -> Sipp {
        let out = std::fs::File::create(dir.join(format!("{name}.out"))).unwrap();
        let err = out.try_clone().unwrap();
        let child = Command::new("sipp")
            .args(args)
            .args([
                "-nostdin",
                "-timeout",
                "20s",
                "-timeout_error",
                "-recv_timeout",
                "10000",
                "-trace_err",
                "-error_file",
            ])
            .arg(dir.join(format!("{name}.errors.log")))
            .arg("-message_file")
            .arg(dir.join(format!("{name}.messages.log")))
            .arg("-trace_msg")
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("starting sipp");
        Sipp {
            child,
            dir: dir.to_owned(),
            name: name.to_owned(),
        }
    }

    /// Waits for sipp to finish (killing it past the deadline); `Err` with its errors,
    /// the tail of its output and of the messages it saw, unless every call succeeded.
    pub fn finish(mut self) -> Result<(), String> {
        let deadline = Instant::now() + SIPP_DEADLINE;
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break Some(s);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        if status.is_some_and(|s| s.success()) {
            return Ok(());
        }
        let read = |suffix: &str| {
            std::fs::read_to_string(self.dir.join(format!("{}.{suffix}", self.name)))
                .unwrap_or_default()
        };
        let tail = |text: String, n: usize| {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(n)..].join("\n")
        };
        Err(format!(
            "sipp {} failed ({status:?})\n--- errors ---\n{}\n--- output (tail) ---\n{}\n--- messages (tail) ---\n{}",
            self.name,
            read("errors.log"),
            tail(read("out"), 30),
            tail(read("messages.log"), 120),
        ))
    }

    /// [`Sipp::finish`], failing the test unless every call succeeded.
    pub fn expect_success(self) {
        if let Err(e) = self.finish() {
            panic!("{e}");
        }
    }
}
