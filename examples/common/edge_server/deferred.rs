//! REGISTERs whose verdict comes later (token introspection, a key fetch): each is handed
//! to a task of its own, so the connection it came on, and every other client on the same
//! UDP socket, goes on being served while the WAF is asked. At most [`MAX_PENDING`] wait at
//! once; one more is answered 503 with Retry-After at once rather than queued without
//! bound. The completed decision is carried out as `dispatch` carries out the first one
//! (a REGISTER completes to a forward, a reply or a drop).

use std::sync::Arc;

use sip_oauth::edge::{FlowId, PendingRegister, RequestDecision};
use tokio::sync::mpsc;

use super::super::verdicts::Resolver;
use super::Shared;
use super::log_lines::Who;

/// Most registrations waiting for a verdict at once.
pub const MAX_PENDING: usize = 1024;

/// A registration waiting, with the label of its connection for the log.
pub(super) struct Job {
    pending: PendingRegister,
    flow: FlowId,
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
pub(super) async fn defer(shared: &Shared, pending: PendingRegister, flow: FlowId, label: Who<'_>) {
    let job = Job {
        pending,
        flow,
        label: label.peer().to_owned(),
    };
    let Some(d) = &shared.deferred else {
        let verdict = Err(sip_oauth::validate::ValidationError::Unavailable {
            retry_after: sip_oauth::validate::DEFAULT_RETRY_AFTER_SECONDS,
        });
        let decision = shared.edge.complete(job.pending.clone(), verdict);
        return carry_out(shared, decision, &job).await;
    };
    if let Err(mpsc::error::TrySendError::Full(job) | mpsc::error::TrySendError::Closed(job)) =
        d.tx.try_send(job)
    {
        let verdict = Err(d.resolver.unavailable());
        let decision = shared.edge.complete(job.pending.clone(), verdict);
        carry_out(shared, decision, &job).await;
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
            let decision = shared.edge.complete(job.pending.clone(), verdict);
            carry_out(&shared, decision, &job).await;
            drop(permit);
        });
    }
}

async fn carry_out(shared: &Shared, decision: RequestDecision, job: &Job) {
    let request = job.pending.request().bytes().clone();
    let who = Who::new(Some(job.flow), &job.label);
    super::dispatch::carry_out_request(shared, decision, &request, job.flow, who).await;
}
