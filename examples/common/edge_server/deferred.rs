//! REGISTERs whose verdict comes later (token introspection, a key fetch): each is handed
//! to a task of its own, so the connection it came on, and every other client on the same
//! UDP socket, goes on being served while the WAF is asked. At most [`MAX_PENDING`] wait at
//! once; one more is answered 503 with Retry-After at once rather than queued without
//! bound. The completed decision is carried out as `dispatch` carries out the first one
//! (a REGISTER completes to a forward, a reply or a drop).

use std::sync::Arc;

use sip_oauth::edge::{PendingRegister, RequestDecision};
use tokio::sync::mpsc;

use super::super::verdicts::Resolver;
use super::Shared;
use super::log_lines::{self, Dir};

/// Most registrations waiting for a verdict at once.
pub const MAX_PENDING: usize = 1024;

/// A registration waiting, with the label of its connection for the log.
pub(super) struct Job {
    pending: PendingRegister,
    label: String,
}

/// The way into the task that obtains verdicts.
pub(super) struct Deferred {
    tx: mpsc::Sender<Job>,
    resolver: Arc<Resolver>,
}

impl Deferred {
    /// The channel of jobs for [`run`].
    pub(super) fn new(resolver: Arc<Resolver>) -> (Deferred, mpsc::Receiver<Job>) {
        let (tx, rx) = mpsc::channel(MAX_PENDING);
        (Deferred { tx, resolver }, rx)
    }
}

/// Hands `pending` to the verdict task; with none configured, or too many waiting, the
/// REGISTER is completed at once as unavailable (503).
pub(super) async fn defer(shared: &Shared, pending: PendingRegister, label: &str) {
    let Some(d) = &shared.deferred else {
        let verdict = Err(sip_oauth::validate::ValidationError::Unavailable {
            retry_after: sip_oauth::validate::DEFAULT_RETRY_AFTER_SECONDS,
        });
        return carry_out(shared, shared.edge.complete(pending, verdict), label).await;
    };
    let job = Job {
        pending,
        label: label.to_owned(),
    };
    if let Err(mpsc::error::TrySendError::Full(job) | mpsc::error::TrySendError::Closed(job)) =
        d.tx.try_send(job)
    {
        let verdict = Err(d.resolver.unavailable());
        carry_out(shared, shared.edge.complete(job.pending, verdict), label).await;
    }
}

/// Obtains each verdict on a task of its own and carries out the completed decision.
pub(super) async fn run(shared: Arc<Shared>, mut rx: mpsc::Receiver<Job>) {
    let limit = Arc::new(tokio::sync::Semaphore::new(MAX_PENDING));
    while let Some(job) = rx.recv().await {
        let Ok(permit) = Arc::clone(&limit).acquire_owned().await else {
            return;
        };
        let Some(resolver) = shared.deferred.as_ref().map(|d| Arc::clone(&d.resolver)) else {
            return;
        };
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let verdict = resolver.resolve(&job.pending).await;
            let decision = shared.edge.complete(job.pending, verdict);
            carry_out(&shared, decision, &job.label).await;
            drop(permit);
        });
    }
}

async fn carry_out(shared: &Shared, decision: RequestDecision, label: &str) {
    match decision {
        RequestDecision::Forward { bytes, admitted } => {
            log_lines::forwarded(label, &admitted);
            if let Err(e) = shared.to_core(bytes).await {
                log_lines::core_send_failed(label, admitted.aor(), &e);
            }
        }
        RequestDecision::Reply {
            flow,
            bytes,
            rejection,
            request,
        } => {
            let sent = shared.to_client(flow, bytes).await.is_some();
            let aor = log_lines::aor_of(&request);
            log_lines::rejected(label, "REGISTER", aor, &rejection, sent);
        }
        RequestDecision::Drop(reason) => {
            log_lines::dropped(label, Dir::FromClient, "REGISTER", "", &reason);
        }
        // A completed REGISTER is neither pending again nor an originating request.
        other => log_lines::dropped(label, Dir::FromClient, "REGISTER", "", format!("{other:?}")),
    }
}
