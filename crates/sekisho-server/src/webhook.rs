//! Standard Webhooks (<https://www.standardwebhooks.com/>): secrets, signatures, retry
//! schedule, where a webhook may point, and one delivery over HTTP(S).
//!
//! - Secret: `whsec_` + base64 of 32 random bytes; the HMAC key is the decoded bytes.
//! - Signed content: `{webhook-id}.{webhook-timestamp}.{body}`; the `webhook-signature` header is
//!   `v1,<base64 HMAC-SHA256>`.
//! - The `webhook-id` is the event's id: the same for every attempt and every redelivery, so a
//!   receiver can drop duplicates (delivery is at least once).
//! - Targets: `http` or `https` only; a host resolving to a loopback, private, link-local,
//!   shared, multicast or unspecified address is refused unless private targets are allowed.
//!   The name is resolved once per attempt and the connection goes to that address (no second
//!   lookup a DNS rebinding could change); the `Host` header and TLS name stay the URL's.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use sha2::Sha256;

pub use crate::target::{Target, is_private, parse_url};

/// A new secret (`whsec_…`).
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    crate::ids::fill_random(&mut key);
    format!("whsec_{}", B64.encode(key))
}

/// The HMAC key of a secret.
///
/// # Errors
/// When the secret is not `whsec_` + base64.
pub fn secret_key(secret: &str) -> Result<Vec<u8>, String> {
    let b = secret
        .strip_prefix("whsec_")
        .ok_or_else(|| "secret does not start with whsec_".to_string())?;
    B64.decode(b)
        .map_err(|e| format!("secret is not base64: {e}"))
}

/// The `webhook-signature` value for one message.
///
/// # Errors
/// When the secret is malformed.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &[u8]) -> Result<String, String> {
    let key = secret_key(secret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!("v1,{}", B64.encode(mac.finalize().into_bytes())))
}

/// Verify a `webhook-signature` header (space-separated `v1,<sig>` entries) in constant time:
/// what a receiver does. Used by the tests and documented for users.
pub fn verify(secret: &str, msg_id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let Ok(key) = secret_key(secret) else {
        return false;
    };
    header.split(' ').any(|part| {
        let Some(sig) = part.strip_prefix("v1,") else {
            return false;
        };
        let Ok(sig) = B64.decode(sig) else {
            return false;
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) else {
            return false;
        };
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(&sig).is_ok()
    })
}

/// Retry schedule: attempt `n` (1-based) failed; wait `base · 2^(n-1)`, capped at `max`, times a
/// random factor in [0.5, 1.0) (jitter, so failed receivers are not hit in lockstep).
pub fn backoff(base: Duration, max: Duration, attempt: u32, unit_random: f64) -> Duration {
    let exp = attempt.saturating_sub(1).min(30);
    let raw = base.saturating_mul(1u32 << exp).min(max);
    raw.mul_f64(0.5 + 0.5 * unit_random.clamp(0.0, 1.0))
}

/// Resolve a target once and pick the address to connect to.
///
/// # Errors
/// When the name does not resolve, or resolves to an address that is refused.
pub async fn resolve(t: &Target, allow_private: bool) -> Result<SocketAddr, String> {
    let addrs: Vec<SocketAddr> = if let Ok(ip) = t.host.parse::<IpAddr>() {
        vec![SocketAddr::new(ip, t.port)]
    } else {
        tokio::net::lookup_host((t.host.as_str(), t.port))
            .await
            .map_err(|e| format!("cannot resolve {}: {e}", t.host))?
            .collect()
    };
    let first = *addrs
        .first()
        .ok_or_else(|| format!("{} resolves to no address", t.host))?;
    if !allow_private && let Some(bad) = addrs.iter().find(|a| is_private(a.ip())) {
        return Err(format!(
            "{} resolves to {} (loopback, private or link-local); refused without --allow-private-webhooks",
            t.host,
            bad.ip()
        ));
    }
    Ok(first)
}

/// The outcome of one attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// HTTP status, when the receiver answered.
    pub status: Option<u16>,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

impl Attempt {
    pub fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

fn tls_config() -> Arc<tokio_rustls::rustls::ClientConfig> {
    static CFG: OnceLock<Arc<tokio_rustls::rustls::ClientConfig>> = OnceLock::new();
    CFG.get_or_init(|| {
        let mut roots = tokio_rustls::rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let cfg = tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(cfg)
    })
    .clone()
}

/// One signed message to send.
pub struct Message<'a> {
    pub url: &'a str,
    pub secret: &'a str,
    pub msg_id: &'a str,
    pub timestamp: i64,
    pub body: &'a [u8],
}

/// Send one message: resolve, check, connect to the resolved address, POST, read the status.
/// Redirects are not followed (a 3xx is a failure). Never panics on what the receiver sends.
pub async fn deliver(m: &Message<'_>, allow_private: bool, timeout: Duration) -> Attempt {
    match tokio::time::timeout(timeout, deliver_inner(m, allow_private)).await {
        Ok(Ok(status)) => Attempt {
            status: Some(status),
            error: (!(200..300).contains(&status))
                .then(|| format!("receiver answered HTTP {status}")),
        },
        Ok(Err(e)) => Attempt {
            status: None,
            error: Some(e),
        },
        Err(_) => Attempt {
            status: None,
            error: Some(format!("no answer within {} s", timeout.as_secs_f64())),
        },
    }
}

async fn deliver_inner(m: &Message<'_>, allow_private: bool) -> Result<u16, String> {
    let t = parse_url(m.url)?;
    let addr = resolve(&t, allow_private).await?;
    let sig = sign(m.secret, m.msg_id, m.timestamp, m.body)?;
    let host_header = if (t.https && t.port == 443) || (!t.https && t.port == 80) {
        t.host.clone()
    } else if t.host.contains(':') {
        format!("[{}]:{}", t.host, t.port)
    } else {
        format!("{}:{}", t.host, t.port)
    };
    let req = hyper::Request::post(t.path.as_str())
        .header("host", host_header)
        .header("content-type", "application/json")
        .header("user-agent", concat!("sekisho/", env!("CARGO_PKG_VERSION")))
        .header("webhook-id", m.msg_id)
        .header("webhook-timestamp", m.timestamp.to_string())
        .header("webhook-signature", sig)
        .body(Full::new(Bytes::copy_from_slice(m.body)))
        .map_err(|e| format!("cannot build request: {e}"))?;
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    let _ = tcp.set_nodelay(true);
    if t.https {
        let name = tokio_rustls::rustls::pki_types::ServerName::try_from(t.host.clone())
            .map_err(|e| format!("bad TLS name {}: {e}", t.host))?;
        let tls = tokio_rustls::TlsConnector::from(tls_config())
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS with {}: {e}", t.host))?;
        send(hyper_util::rt::TokioIo::new(tls), req).await
    } else {
        send(hyper_util::rt::TokioIo::new(tcp), req).await
    }
}

async fn send<I>(io: I, req: hyper::Request<Full<Bytes>>) -> Result<u16, String>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| format!("HTTP handshake: {e}"))?;
    let driver = tokio::spawn(async move {
        let _ = conn.await;
    });
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| format!("sending: {e}"))?;
    let status = resp.status().as_u16();
    // Read (and drop) at most 64 KiB of the answer so the connection closes cleanly.
    let mut body = resp.into_body();
    let mut read = 0usize;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(f) => {
                read += f.data_ref().map_or(0, |d| d.len());
                if read > 64 << 10 {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    driver.abort();
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_spec_example() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let ts = 1614265330;
        let body = br#"{"test": 2432232314}"#;
        let sig = sign(secret, id, ts, body).unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(verify(secret, id, ts, body, &format!("v1,bad {sig}")));
        assert!(!verify(secret, id, ts + 1, body, &sig));
        assert!(!verify(secret, id, ts, b"{}", &sig));
        let s = new_secret();
        assert_eq!(secret_key(&s).unwrap().len(), 32);
    }

    #[tokio::test]
    async fn refuses_private_targets_unless_allowed() {
        let t = parse_url("http://127.0.0.1:1/").unwrap();
        assert!(resolve(&t, false).await.unwrap_err().contains("refused"));
        assert!(resolve(&t, true).await.is_ok());
        let t = parse_url("http://localhost:1/").unwrap();
        assert!(resolve(&t, false).await.is_err());
    }

    #[test]
    fn backoff_grows_with_jitter() {
        let b = Duration::from_secs(30);
        let m = Duration::from_secs(6 * 3600);
        assert_eq!(backoff(b, m, 1, 1.0), Duration::from_secs(30));
        assert_eq!(backoff(b, m, 1, 0.0), Duration::from_secs(15));
        assert_eq!(backoff(b, m, 3, 1.0), Duration::from_secs(120));
        assert_eq!(backoff(b, m, 40, 1.0), m);
    }
}
