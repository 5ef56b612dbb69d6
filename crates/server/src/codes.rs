//! How a resident's one-time sign-in code reaches them. Two senders: a city's SMS gateway
//! behind an HTTP webhook, and, for a deployment without one, the grid worker, who hands over a
//! code made on the household's page. The code is never written to a log.

use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

/// A random six-digit code.
pub fn new_code() -> anyhow::Result<String> {
    let mut b = [0u8; 4];
    getrandom::fill(&mut b).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(format!("{:06}", u32::from_le_bytes(b) % 1_000_000))
}

/// What the store keeps of a code: its hash with the phone.
pub fn code_hash(phone: &str, code: &str) -> String {
    crate::auth::token_hash(&format!("{phone}:{code}"))
}

/// Where codes go.
#[derive(Clone, Debug)]
pub enum Sender {
    /// `POST` of `{"phone", "code", "message", "minutes"}` as JSON to this `http://` URL (a
    /// city's SMS gateway, or a relay to it on the same network); any 2xx answer means sent.
    Webhook { url: String, minutes: i64 },
    /// No gateway: the resident asks their grid worker.
    GridWorker { minutes: i64 },
}

impl Sender {
    /// Minutes a code lives.
    pub fn minutes(&self) -> i64 {
        match self {
            Sender::Webhook { minutes, .. } | Sender::GridWorker { minutes } => *minutes,
        }
    }

    /// Whether this sender sends codes itself.
    pub fn sends(&self) -> bool {
        matches!(self, Sender::Webhook { .. })
    }

    /// Sends `code` to `phone`.
    pub async fn send(&self, phone: &str, code: &str) -> anyhow::Result<()> {
        let Sender::Webhook { url, minutes } = self else {
            anyhow::bail!("codes are handed over by grid workers here");
        };
        let body = serde_json::json!({
            "phone": phone,
            "code": code,
            "minutes": minutes,
            "message": format!("【tracegrid】您的登录验证码是 {code}，{minutes} 分钟内有效，请勿告诉他人。"),
        })
        .to_string();
        tokio::time::timeout(Duration::from_secs(10), post(url, body))
            .await
            .map_err(|_| anyhow::anyhow!("the SMS gateway did not answer in 10 s"))?
    }
}

async fn post(url: &str, body: String) -> anyhow::Result<()> {
    let uri: hyper::Uri = url.parse()?;
    anyhow::ensure!(
        uri.scheme_str() == Some("http"),
        "the SMS webhook must be an http:// URL (put a local relay in front of an https gateway)"
    );
    let host = uri
        .host()
        .ok_or_else(|| anyhow::anyhow!("the SMS webhook has no host"))?;
    let port = uri.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((host, port)).await?;
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let req = hyper::Request::post(uri.path_and_query().map_or("/", |p| p.as_str()))
        .header(hyper::header::HOST, host)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(Full::new(hyper::body::Bytes::from(body)))?;
    let res = send.send_request(req).await?;
    let status = res.status();
    let _ = res.into_body().collect().await;
    anyhow::ensure!(status.is_success(), "the SMS gateway answered {status}");
    Ok(())
}
