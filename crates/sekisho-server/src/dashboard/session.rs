//! Dashboard sessions: random, server-side, expiring.
//!
//! - A session is 32 random bytes from the OS, sent to the browser base64url-encoded in the
//!   `sekisho_session` cookie. The server keeps only the SHA-256 of that value (a dump of the
//!   session table does not give a usable cookie), with the access of the token that logged in,
//!   its expiry, and the session's CSRF token (32 more random bytes). The cookie never holds the
//!   bearer token or anything derived from it.
//! - Sessions live in memory: a restart logs everyone out (the token is needed to log in again).
//!   At most [`MAX_SESSIONS`] are kept; expired ones are dropped whenever a session is made.
//! - The login form's CSRF token is a signed double-submit token: a random nonce and its
//!   HMAC-SHA-256 under a per-process key, sent both as a `Path=/login` cookie and as a hidden
//!   field; a login is accepted only when the two are equal and the signature is valid.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::auth::Access;
use crate::ids::fill_random;

/// Name of the session cookie.
pub const COOKIE: &str = "sekisho_session";
/// Name of the login form's double-submit cookie.
pub const LOGIN_COOKIE: &str = "sekisho_login";
/// How long a session lasts from login (absolute, not sliding).
pub const TTL: Duration = Duration::from_secs(8 * 3600);
/// How long a login form stays usable.
pub const LOGIN_TTL: Duration = Duration::from_secs(600);
/// Sessions kept at once.
pub const MAX_SESSIONS: usize = 4096;

/// A logged-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    pub access: Access,
    /// The token every state-changing form of this session carries.
    pub csrf: String,
    pub expires: Instant,
}

/// The server's sessions and the key of the login form tokens.
pub struct Sessions {
    map: Mutex<HashMap<[u8; 32], Session>>,
    key: [u8; 32],
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sessions({})", self.len())
    }
}

fn random_token() -> String {
    let mut b = [0u8; 32];
    fill_random(&mut b);
    B64.encode(b)
}

fn digest(cookie: &str) -> [u8; 32] {
    Sha256::digest(cookie.as_bytes()).into()
}

/// Constant-time equality of two tokens (lengths are not secret).
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl Default for Sessions {
    fn default() -> Self {
        Self::new()
    }
}

impl Sessions {
    pub fn new() -> Self {
        let mut key = [0u8; 32];
        fill_random(&mut key);
        Self {
            map: Mutex::new(HashMap::new()),
            key,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Session>> {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sessions held (expired ones included until the next login drops them).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A new session: the cookie value, or `None` when [`MAX_SESSIONS`] live sessions exist.
    pub fn create(&self, access: Access) -> Option<String> {
        let now = Instant::now();
        let mut m = self.lock();
        m.retain(|_, s| s.expires > now);
        if m.len() >= MAX_SESSIONS {
            return None;
        }
        let cookie = random_token();
        m.insert(
            digest(&cookie),
            Session {
                access,
                csrf: random_token(),
                expires: now + TTL,
            },
        );
        Some(cookie)
    }

    /// The live session of a cookie value.
    pub fn get(&self, cookie: &str) -> Option<Session> {
        let d = digest(cookie);
        let mut m = self.lock();
        match m.get(&d) {
            Some(s) if s.expires > Instant::now() => Some(s.clone()),
            Some(_) => {
                m.remove(&d);
                None
            }
            None => None,
        }
    }

    /// End a session; `true` when it existed.
    pub fn remove(&self, cookie: &str) -> bool {
        self.lock().remove(&digest(cookie)).is_some()
    }

    fn sign(&self, nonce: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .expect("HMAC takes a key of any length");
        mac.update(b"sekisho-login\0");
        mac.update(nonce.as_bytes());
        B64.encode(mac.finalize().into_bytes())
    }

    /// A login form token: `nonce.signature`.
    pub fn login_token(&self) -> String {
        let nonce = random_token();
        let sig = self.sign(&nonce);
        format!("{nonce}.{sig}")
    }

    /// Whether the form's token equals the cookie's and is signed by this process.
    pub fn login_token_ok(&self, cookie: Option<&str>, field: Option<&str>) -> bool {
        let (Some(c), Some(f)) = (cookie, field) else {
            return false;
        };
        if !same_token(c, f) {
            return false;
        }
        let Some((nonce, sig)) = f.split_once('.') else {
            return false;
        };
        same_token(&self.sign(nonce), sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_random_expire_and_end() {
        let s = Sessions::new();
        let a = s.create(Access::ReadOnly).unwrap();
        let b = s.create(Access::ReadWrite).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(s.get(&a).unwrap().access, Access::ReadOnly);
        assert_ne!(s.get(&a).unwrap().csrf, s.get(&b).unwrap().csrf);
        assert!(s.get("nope").is_none());
        assert!(s.remove(&a));
        assert!(s.get(&a).is_none());
        assert!(!s.remove(&a));
        // Expired sessions are refused and dropped.
        s.lock().get_mut(&digest(&b)).unwrap().expires = Instant::now();
        assert!(s.get(&b).is_none());
        assert!(s.is_empty());
    }

    #[test]
    fn login_tokens_need_the_cookie_and_the_signature() {
        let s = Sessions::new();
        let t = s.login_token();
        assert!(s.login_token_ok(Some(&t), Some(&t)));
        assert!(!s.login_token_ok(None, Some(&t)));
        assert!(!s.login_token_ok(Some(&t), None));
        let other = s.login_token();
        assert!(!s.login_token_ok(Some(&t), Some(&other)));
        // A pair the attacker made up matches but is not signed.
        let forged = format!("{}.{}", "a".repeat(43), "b".repeat(43));
        assert!(!s.login_token_ok(Some(&forged), Some(&forged)));
        // Another process's token is refused.
        let t2 = Sessions::new().login_token();
        assert!(!s.login_token_ok(Some(&t2), Some(&t2)));
    }
}
