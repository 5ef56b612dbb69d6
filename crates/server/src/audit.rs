//! The audit trail. Every read of a person's data, every trace and every reveal of a full ID
//! number is written before its answer is sent: a handler hands its entry to the writer and
//! waits until the entry is committed. The writer is one thread with its own connection; it
//! takes every entry waiting and commits them in one transaction (group commit), so the audit
//! costs a request about one commit's latency, not one commit's throughput.

use std::sync::mpsc;

use tokio::sync::oneshot;
use tracegrid_store::{Accounts, AuditEntry};

use crate::error::AppError;

type Job = (AuditEntry, oneshot::Sender<Result<(), String>>);

/// Hands entries to the writer thread.
#[derive(Debug, Clone)]
pub struct AuditWriter {
    tx: mpsc::Sender<Job>,
}

/// Most entries one transaction takes.
const BATCH: usize = 1024;

impl AuditWriter {
    /// Starts the writer on `accounts`.
    pub fn start(mut accounts: Accounts) -> AuditWriter {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut jobs = vec![first];
                    while jobs.len() < BATCH {
                        match rx.try_recv() {
                            Ok(j) => jobs.push(j),
                            Err(_) => break,
                        }
                    }
                    let entries: Vec<AuditEntry> = jobs.iter().map(|(e, _)| e.clone()).collect();
                    let result = accounts.append_audit(&entries).map_err(|e| e.to_string());
                    if let Err(e) = &result {
                        tracing::error!(
                            error = e.as_str(),
                            entries = entries.len(),
                            "audit write failed"
                        );
                    }
                    for (_, reply) in jobs {
                        let _ = reply.send(result.clone());
                    }
                }
            })
            .expect("starting the audit writer");
        AuditWriter { tx }
    }

    /// Writes `entry`; returns once it is committed. A request whose audit entry cannot be
    /// written is refused: no look at a person goes unrecorded.
    pub async fn write(&self, entry: AuditEntry) -> Result<(), AppError> {
        let (reply, done) = oneshot::channel();
        self.tx
            .send((entry, reply))
            .map_err(|_| AppError::Internal(anyhow::anyhow!("the audit writer stopped")))?;
        done.await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("the audit writer stopped")))?
            .map_err(|e| AppError::Internal(anyhow::anyhow!("writing the audit log: {e}")))
    }
}
