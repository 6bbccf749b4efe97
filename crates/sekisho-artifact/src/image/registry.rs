//! Pulling from a registry over the OCI distribution API v2 (distribution-spec spec.md):
//! `GET /v2/`, `GET /v2/<name>/manifests/<reference>`, `GET /v2/<name>/blobs/<digest>`, with
//! anonymous, basic or bearer-token auth (Docker's token authentication spec), retries with
//! backoff on 429/5xx/connection errors, plain HTTP for `--insecure` or loopback registries,
//! proxies from `HTTPS_PROXY`/`NO_PROXY`, and extra CAs from `SSL_CERT_FILE`/`--ca-cert`.
//!
//! Blobs are streamed: a layer's HTTP body is the [`BlobOpener`] reader the tar walker inflates.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::image::auth::{self, Credentials, parse_challenge};
use crate::image::manifest::ACCEPT_MANIFESTS;
use crate::image::reference::Reference;
use crate::image::resolve::{BlobStore, ImageOptions, OpenedImage, open_document};
use crate::image::tar_layer::BlobOpener;
use crate::image::{Digest, ImageError, MAX_MANIFEST_BYTES, read_capped};

/// How to talk to registries.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// Allow plain HTTP and skip TLS verification.
    pub insecure: bool,
    /// Explicit credentials (`--username` + `--password-stdin`); otherwise `docker_config`.
    pub credentials: Option<Credentials>,
    /// Extra CA certificate files (PEM), on top of the system bundle (the CLI adds
    /// `SSL_CERT_FILE`).
    pub ca_certs: Vec<PathBuf>,
    /// Docker config file to read credentials from (and run its credential helpers). `None`:
    /// send no credentials at all (a server pulling tenant-named references must never send its
    /// own). Nothing here is read from the environment: the caller decides.
    pub docker_config: Option<PathBuf>,
    /// The proxy for this registry, if any.
    pub proxy: ProxySettings,
    /// Attempts per request after the first, on 429/5xx/connection errors.
    pub retries: u32,
    /// First backoff delay; doubled each retry.
    pub backoff: Duration,
    /// Which addresses connections may go to (registry, token realm, redirects): every name is
    /// resolved by the client and each connection goes to an address this allowed. `None`: any.
    pub address_filter: Option<AddressFilter>,
    /// An `Authorization` header value sent to the registry's own API from the first request on
    /// (e.g. what Harbor hands its scanner). Never sent to a token realm or a redirect target.
    pub authorization: Option<String>,
}

/// Decides whether a connection may go to an address: `Err(reason)` refuses it.
#[derive(Clone)]
pub struct AddressFilter(pub Arc<dyn Fn(std::net::IpAddr) -> Result<(), String> + Send + Sync>);

impl std::fmt::Debug for AddressFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AddressFilter")
    }
}

/// The default resolver, then the filter on every address: a name resolving to any refused
/// address is refused as a whole (so a rebinding name cannot mix a public and a private one).
#[derive(Debug)]
struct FilteringResolver {
    filter: AddressFilter,
}

/// The `io::ErrorKind` a refused address is reported with (so it is not retried).
const REFUSED: std::io::ErrorKind = std::io::ErrorKind::PermissionDenied;

impl ureq::unversioned::resolver::Resolver for FilteringResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let addrs = ureq::unversioned::resolver::DefaultResolver::default()
            .resolve(uri, config, timeout)?;
        for a in addrs.iter() {
            if let Err(why) = (self.filter.0)(a.ip()) {
                let host = uri.host().unwrap_or("?");
                return Err(ureq::Error::Io(std::io::Error::new(
                    REFUSED,
                    format!("{host} resolves to {}: {why}", a.ip()),
                )));
            }
        }
        Ok(addrs)
    }
}

/// Whether an error is an address the filter refused (retrying cannot help).
fn is_refused(e: &ureq::Error) -> bool {
    matches!(e, ureq::Error::Io(io) if io.kind() == REFUSED)
}

impl Default for RegistryOptions {
    fn default() -> Self {
        Self {
            insecure: false,
            credentials: None,
            ca_certs: Vec::new(),
            docker_config: None,
            proxy: ProxySettings::default(),
            retries: 4,
            backoff: Duration::from_millis(250),
            address_filter: None,
            authorization: None,
        }
    }
}

/// Proxy settings, as `HTTPS_PROXY`/`ALL_PROXY`/`HTTP_PROXY` and `NO_PROXY` spell them (the
/// caller reads the environment, the library never does).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxySettings {
    /// Proxy URL (`http://proxy:3128`, `socks5://…`).
    pub url: Option<String>,
    /// Comma-separated hosts that bypass the proxy: `example.com` (and its subdomains),
    /// `.example.com` (subdomains), `*` (everything), IPs and `IP/prefix` ranges, optionally with
    /// `:port`.
    pub no_proxy: Option<String>,
}

impl ProxySettings {
    /// Whether a request to `host` (without port) on `port` goes through the proxy.
    pub fn applies_to(&self, host: &str, port: u16) -> bool {
        if self.url.is_none() {
            return false;
        }
        let Some(np) = &self.no_proxy else {
            return true;
        };
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        !np.split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .any(|e| {
                if e == "*" {
                    return true;
                }
                let (pat, pport) = split_port(e);
                if pport.is_some_and(|p| p != port) {
                    return false;
                }
                let pat = pat.trim_start_matches('*').to_ascii_lowercase();
                if let Some((net, bits)) = pat.split_once('/') {
                    return cidr_contains(net, bits, &host);
                }
                if let Some(suffix) = pat.strip_prefix('.') {
                    return host.ends_with(&format!(".{suffix}"));
                }
                host == pat || host.ends_with(&format!(".{pat}"))
            })
    }
}

/// `host[:port]` or `[v6][:port]` → (host, port), 443 when none is given.
fn host_port(hp: &str) -> (&str, u16) {
    let (h, p) = split_port(hp);
    (h, p.unwrap_or(443))
}

fn split_port(e: &str) -> (&str, Option<u16>) {
    // `[::1]:5000`, `host:5000`; a bare IPv6 address has more than one colon.
    if let Some(rest) = e.strip_prefix('[') {
        if let Some((h, p)) = rest.split_once("]:") {
            return (h, p.parse().ok());
        }
        return (rest.trim_end_matches(']'), None);
    }
    match e.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, p.parse().ok()),
        _ => (e, None),
    }
}

fn cidr_contains(net: &str, bits: &str, host: &str) -> bool {
    let (Ok(net), Ok(bits), Ok(ip)) = (
        net.parse::<std::net::IpAddr>(),
        bits.parse::<u32>(),
        host.parse::<std::net::IpAddr>(),
    ) else {
        return false;
    };
    match (net, ip) {
        (std::net::IpAddr::V4(n), std::net::IpAddr::V4(i)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (std::net::IpAddr::V6(n), std::net::IpAddr::V6(i)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

/// A client for one repository on one registry.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    registry: String,
    repository: String,
    creds: Option<Credentials>,
    auth: Mutex<Option<String>>,
    retries: u32,
    backoff: Duration,
}

fn encode_query(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

fn load_certs(paths: &[PathBuf]) -> Result<Vec<ureq::tls::Certificate<'static>>, ImageError> {
    let mut out = Vec::new();
    for p in paths {
        let pem = std::fs::read(p).map_err(|e| ImageError::io(p.display().to_string(), e))?;
        let before = out.len();
        for item in ureq::tls::parse_pem(&pem) {
            match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => out.push(c),
                Ok(_) => {}
                Err(e) => {
                    return Err(ImageError::invalid(
                        p.display().to_string(),
                        format!("bad PEM: {e}"),
                    ));
                }
            }
        }
        if out.len() == before {
            return Err(ImageError::invalid(
                p.display().to_string(),
                "no certificates in file",
            ));
        }
    }
    Ok(out)
}

fn build_agent(opts: &RegistryOptions, host: &str, port: u16) -> Result<ureq::Agent, ImageError> {
    let mut files = opts.ca_certs.clone();
    let mut tls = ureq::tls::TlsConfig::builder().disable_verification(opts.insecure);
    if !files.is_empty() {
        // Extra CAs on top of the system bundle (Debian's ca-certificates).
        let system = PathBuf::from("/etc/ssl/certs/ca-certificates.crt");
        if system.is_file() && !files.contains(&system) {
            files.push(system);
        }
        tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&load_certs(&files)?));
    }
    let cfg = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .tls_config(tls.build())
        .proxy(proxy_for(opts, host, port)?)
        .timeout_connect(Some(Duration::from_secs(15)))
        .timeout_recv_response(Some(Duration::from_secs(120)))
        .user_agent(concat!("sekisho/", env!("CARGO_PKG_VERSION")))
        .build();
    Ok(match &opts.address_filter {
        Some(f) => ureq::Agent::with_parts(
            cfg,
            ureq::unversioned::transport::DefaultConnector::default(),
            FilteringResolver { filter: f.clone() },
        ),
        None => cfg.into(),
    })
}

fn proxy_for(
    opts: &RegistryOptions,
    host: &str,
    port: u16,
) -> Result<Option<ureq::Proxy>, ImageError> {
    match &opts.proxy.url {
        Some(u) if opts.proxy.applies_to(host, port) => {
            ureq::Proxy::new(u).map(Some).map_err(|e| {
                ImageError::invalid(format!("proxy {u:?}"), format!("not a proxy URL: {e}"))
            })
        }
        _ => Ok(None),
    }
}

type Response = ureq::http::Response<ureq::Body>;

/// Whether `r` may be reached over plain HTTP: with `--insecure` (any registry), or when it is a
/// loopback registry (`localhost`, `127.0.0.0/8`, `::1`). HTTPS is always tried first.
/// `--insecure` additionally turns certificate verification off (see [`build_agent`]).
pub(crate) fn may_use_plain_http(r: &Reference, insecure: bool) -> bool {
    insecure || r.is_loopback()
}

/// A TLS certificate the server presented was rejected. Retrying cannot help, and the server
/// does speak TLS, so falling back to plain HTTP cannot either.
fn is_cert_error(e: &ureq::Error) -> bool {
    let s = format!("{e} {e:?}").to_ascii_lowercase();
    s.contains("certificate") || s.contains("unknownissuer") || s.contains("notvalidforname")
}

fn cert_message(e: &ureq::Error) -> String {
    format!(
        "TLS certificate not trusted ({e}); trust the registry's CA with --ca-cert FILE or SSL_CERT_FILE, or skip verification with --insecure"
    )
}

impl Client {
    /// Connect to `r`'s registry: pick the scheme and check `/v2/` (authenticating if asked).
    pub fn connect(r: &Reference, opts: &RegistryOptions) -> Result<Arc<Self>, ImageError> {
        let host = r.api_host().to_string();
        let (h, port) = host_port(&host);
        let agent = build_agent(opts, h, port)?;
        let https = format!("https://{host}");
        let base = if may_use_plain_http(r, opts.insecure) {
            // Docker's rule: try TLS, fall back to plain HTTP for insecure or local registries.
            // A server whose certificate we reject does speak TLS: falling back to plain HTTP
            // would only trade the certificate error for a confusing one.
            match agent.get(format!("{https}/v2/")).call() {
                Ok(_) => https,
                Err(e) if is_refused(&e) => {
                    return Err(ImageError::Registry {
                        registry: r.registry.clone(),
                        step: "ping /v2/".into(),
                        message: e.to_string(),
                    });
                }
                Err(e) if is_cert_error(&e) => {
                    return Err(ImageError::Registry {
                        registry: r.registry.clone(),
                        step: "ping /v2/".into(),
                        message: cert_message(&e),
                    });
                }
                Err(_) => format!("http://{host}"),
            }
        } else {
            https
        };
        let creds = match (&opts.credentials, &opts.docker_config) {
            (Some(c), _) => Some(c.clone()),
            (None, Some(cfg)) => auth::from_docker_config(&r.registry, cfg)?,
            (None, None) => None,
        };
        let c = Arc::new(Self {
            agent,
            base,
            registry: r.registry.clone(),
            repository: r.repository.clone(),
            creds,
            auth: Mutex::new(opts.authorization.clone()),
            retries: opts.retries,
            backoff: opts.backoff,
        });
        let url = format!("{}/v2/", c.base);
        c.get("ping /v2/", &url, None)?;
        Ok(c)
    }

    fn err(&self, step: &str, message: impl Into<String>) -> ImageError {
        ImageError::Registry {
            registry: self.registry.clone(),
            step: step.to_string(),
            message: message.into(),
        }
    }

    fn sleep(&self, attempt: u32, retry_after: Option<u64>) {
        let d = self.backoff * 2u32.saturating_pow(attempt);
        let d = match retry_after {
            Some(s) => d.max(Duration::from_secs(s.min(30))),
            None => d,
        };
        std::thread::sleep(d.min(Duration::from_secs(30)));
    }

    /// GET with auth, retries and a clear error. Returns only 2xx responses.
    fn get(&self, step: &str, url: &str, accept: Option<&str>) -> Result<Response, ImageError> {
        let mut attempt = 0u32;
        let mut reauthed = false;
        loop {
            let mut req = self.agent.get(url);
            if let Some(a) = accept {
                req = req.header("Accept", a);
            }
            let auth = self.auth.lock().expect("auth lock").clone();
            if let Some(h) = &auth {
                req = req.header("Authorization", h);
            }
            match req.call() {
                Ok(resp) => {
                    let st = resp.status().as_u16();
                    if (200..300).contains(&st) {
                        return Ok(resp);
                    }
                    if st == 401 && !reauthed {
                        reauthed = true;
                        let ch = resp
                            .headers()
                            .get("www-authenticate")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string);
                        self.authenticate(step, ch.as_deref())?;
                        continue;
                    }
                    if (st == 429 || st >= 500) && attempt < self.retries {
                        let ra = resp
                            .headers()
                            .get("retry-after")
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.trim().parse().ok());
                        self.sleep(attempt, ra);
                        attempt += 1;
                        continue;
                    }
                    let body = read_capped(resp.into_body().into_reader(), 64 << 10, step)
                        .map(|b| error_text(&b))
                        .unwrap_or_default();
                    let tries = if attempt > 0 {
                        format!(" after {} attempts", attempt + 1)
                    } else {
                        String::new()
                    };
                    let hint = match st {
                        401 => {
                            "; credentials missing or rejected (use --username/--password-stdin or docker login)"
                        }
                        403 => "; access denied",
                        404 => "; not found",
                        _ => "",
                    };
                    return Err(self.err(step, format!("HTTP {st}{tries}{hint}{body}")));
                }
                Err(e) if is_cert_error(&e) => return Err(self.err(step, cert_message(&e))),
                Err(e) if is_refused(&e) => return Err(self.err(step, e.to_string())),
                Err(e) => {
                    if attempt < self.retries {
                        self.sleep(attempt, None);
                        attempt += 1;
                        continue;
                    }
                    return Err(self.err(
                        step,
                        format!("{e} (GET {url}, after {} attempts)", attempt + 1),
                    ));
                }
            }
        }
    }

    /// Answer a 401 challenge.
    fn authenticate(&self, step: &str, challenge: Option<&str>) -> Result<(), ImageError> {
        let Some(ch) = challenge.and_then(parse_challenge) else {
            return Err(self.err(step, "HTTP 401 without a usable WWW-Authenticate challenge"));
        };
        match ch.scheme.as_str() {
            "basic" => {
                let Some(c) = &self.creds else {
                    return Err(self.err(
                        step,
                        "registry requires credentials (basic auth); use --username/--password-stdin or docker login",
                    ));
                };
                *self.auth.lock().expect("auth lock") = Some(c.basic_header());
                Ok(())
            }
            "bearer" => {
                let Some(realm) = ch.params.get("realm") else {
                    return Err(self.err(step, "bearer challenge without a realm"));
                };
                let scope = ch
                    .params
                    .get("scope")
                    .cloned()
                    .unwrap_or_else(|| format!("repository:{}:pull", self.repository));
                let mut url = realm.clone();
                url.push(if url.contains('?') { '&' } else { '?' });
                if let Some(s) = ch.params.get("service") {
                    url.push_str(&format!("service={}&", encode_query(s)));
                }
                url.push_str(&format!("scope={}", encode_query(&scope)));
                let token = self.fetch_token(&url)?;
                *self.auth.lock().expect("auth lock") = Some(format!("Bearer {token}"));
                Ok(())
            }
            other => Err(self.err(step, format!("unsupported auth scheme {other:?}"))),
        }
    }

    fn fetch_token(&self, url: &str) -> Result<String, ImageError> {
        let step = "token";
        let mut attempt = 0;
        loop {
            let mut req = self.agent.get(url);
            if let Some(c) = &self.creds {
                req = req.header("Authorization", c.basic_header());
            }
            match req.call() {
                Ok(resp) => {
                    let st = resp.status().as_u16();
                    if (st == 429 || st >= 500) && attempt < self.retries {
                        self.sleep(attempt, None);
                        attempt += 1;
                        continue;
                    }
                    let body = read_capped(resp.into_body().into_reader(), 1 << 20, step)?;
                    if st == 401 || st == 403 {
                        return Err(self.err(
                            step,
                            format!("token server refused the credentials (HTTP {st})"),
                        ));
                    }
                    if !(200..300).contains(&st) {
                        return Err(self.err(
                            step,
                            format!("token server answered HTTP {st}{}", error_text(&body)),
                        ));
                    }
                    #[derive(serde::Deserialize)]
                    struct Tok {
                        #[serde(default)]
                        token: Option<String>,
                        #[serde(default)]
                        access_token: Option<String>,
                    }
                    let t: Tok = serde_json::from_slice(&body)
                        .map_err(|e| self.err(step, format!("bad token response: {e}")))?;
                    return t
                        .token
                        .or(t.access_token)
                        .filter(|t| !t.is_empty())
                        .ok_or_else(|| self.err(step, "token response has no token"));
                }
                Err(e) if is_refused(&e) => return Err(self.err(step, e.to_string())),
                Err(e) => {
                    if attempt < self.retries {
                        self.sleep(attempt, None);
                        attempt += 1;
                        continue;
                    }
                    return Err(self.err(step, format!("{e} (after {} attempts)", attempt + 1)));
                }
            }
        }
    }

    /// Fetch a manifest by tag or digest. Returns bytes, content type and digest (verified when
    /// the reference was a digest).
    pub fn manifest(
        &self,
        reference: &str,
    ) -> Result<(Vec<u8>, Option<String>, Digest), ImageError> {
        let step = format!("manifest {}:{reference}", self.repository);
        let url = format!("{}/v2/{}/manifests/{reference}", self.base, self.repository);
        let resp = self.get(&step, &url, Some(ACCEPT_MANIFESTS))?;
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = read_capped(resp.into_body().into_reader(), MAX_MANIFEST_BYTES, &step)
            .map_err(|e| self.err(&step, e.to_string()))?;
        let digest = if reference.starts_with("sha256:") {
            let d = Digest::parse(reference)?;
            d.verify(&format!("registry {} {step}", self.registry), &body)?;
            d
        } else {
            Digest::of(&body)
        };
        Ok((body, ct, digest))
    }

    fn blob(&self, digest: &Digest) -> Result<Response, ImageError> {
        let step = format!("blob {digest}");
        let url = format!("{}/v2/{}/blobs/{digest}", self.base, self.repository);
        self.get(&step, &url, None)
    }
}

/// Make a registry's JSON error body (`{"errors":[{"code","message"}]}`) readable.
fn error_text(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct E {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    #[derive(serde::Deserialize)]
    struct Es {
        errors: Vec<E>,
    }
    if let Ok(es) = serde_json::from_slice::<Es>(body) {
        let parts: Vec<String> = es
            .errors
            .iter()
            .map(|e| format!("{} {}", e.code, e.message).trim().to_string())
            .collect();
        if !parts.is_empty() {
            return format!(": {}", parts.join("; "));
        }
    }
    let s = String::from_utf8_lossy(body);
    let s = s.trim();
    if s.is_empty() {
        String::new()
    } else {
        format!(": {}", s.chars().take(200).collect::<String>())
    }
}

struct RegistryStore {
    client: Arc<Client>,
}

impl BlobStore for RegistryStore {
    fn what(&self) -> String {
        format!(
            "registry {}/{}",
            self.client.registry, self.client.repository
        )
    }
    fn read_small(
        &self,
        digest: &Digest,
        cap: u64,
    ) -> Result<(Vec<u8>, Option<String>), ImageError> {
        let resp = self.client.blob(digest)?;
        let b = read_capped(
            resp.into_body().into_reader(),
            cap,
            &format!("blob {digest}"),
        )?;
        digest.verify(&format!("{} blob {digest}", self.what()), &b)?;
        Ok((b, None))
    }
    fn read_manifest(&self, digest: &Digest) -> Result<(Vec<u8>, Option<String>), ImageError> {
        let (b, ct, _) = self.client.manifest(digest.as_str())?;
        Ok((b, ct))
    }
    fn layer_blob(
        &self,
        digest: &Digest,
        _size: Option<u64>,
    ) -> Result<Arc<dyn BlobOpener>, ImageError> {
        Ok(Arc::new(RegistryBlob {
            client: self.client.clone(),
            digest: digest.clone(),
        }))
    }
}

/// A layer blob fetched when its layer is walked.
struct RegistryBlob {
    client: Arc<Client>,
    digest: Digest,
}

impl BlobOpener for RegistryBlob {
    fn open(&self) -> Result<Box<dyn std::io::Read + Send>, ImageError> {
        let resp = self.client.blob(&self.digest)?;
        Ok(Box::new(resp.into_body().into_reader()))
    }
}

/// Pull `reference` (manifests and config now; layers stream when walked).
pub fn open_registry(
    reference: &str,
    ropts: &RegistryOptions,
    opts: &ImageOptions,
) -> Result<OpenedImage, ImageError> {
    let r = Reference::parse(reference)?;
    let client = Client::connect(&r, ropts)?;
    let (bytes, ct, digest) = client.manifest(&r.manifest_ref())?;
    let store = RegistryStore {
        client: client.clone(),
    };
    let mut img = open_document(&store, bytes, ct, digest.clone(), &r.to_string(), opts)?;
    if let Some(t) = &r.tag {
        img.meta
            .repo_tags
            .push(format!("{}/{}:{t}", r.registry, r.repository));
    }
    img.meta
        .repo_digests
        .push(format!("{}/{}@{digest}", r.registry, r.repository));
    Ok(img)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Reference {
        Reference::parse(s).unwrap()
    }

    #[test]
    fn no_proxy_rules() {
        let p = ProxySettings {
            url: Some("http://proxy:3128".into()),
            no_proxy: Some(
                "localhost, .internal.example,corp.example, 10.0.0.0/8, [::1], reg.example:5000"
                    .into(),
            ),
        };
        assert!(!p.applies_to("localhost", 443));
        assert!(!p.applies_to("a.internal.example", 443));
        assert!(p.applies_to("internal.example", 443));
        assert!(!p.applies_to("corp.example", 443));
        assert!(!p.applies_to("x.corp.example", 443));
        assert!(!p.applies_to("10.1.2.3", 443));
        assert!(p.applies_to("11.1.2.3", 443));
        assert!(!p.applies_to("::1", 443));
        assert!(!p.applies_to("reg.example", 5000));
        assert!(p.applies_to("reg.example", 443));
        assert!(p.applies_to("docker.io", 443));
        let all = ProxySettings {
            url: Some("http://p".into()),
            no_proxy: Some("*".into()),
        };
        assert!(!all.applies_to("docker.io", 443));
        assert!(!ProxySettings::default().applies_to("docker.io", 443));
        assert_eq!(host_port("[::1]:5000"), ("::1", 5000));
        assert_eq!(host_port("[::1]"), ("::1", 443));
        assert_eq!(host_port("127.0.0.1:5000"), ("127.0.0.1", 5000));
        assert_eq!(
            host_port("registry-1.docker.io"),
            ("registry-1.docker.io", 443)
        );
    }

    #[test]
    fn plain_http_only_for_insecure_or_loopback() {
        // Loopback registries may fall back to plain HTTP without --insecure.
        for s in [
            "127.0.0.1:5000/a:t",
            "127.9.9.9:5000/a:t",
            "localhost:5000/a:t",
            "[::1]:5000/a:t",
        ] {
            assert!(may_use_plain_http(&r(s), false), "{s}");
        }
        // Anything else needs --insecure.
        for s in [
            "registry.example:5000/a:t",
            "10.0.0.1:5000/a:t",
            "localhost.example/a:t",
            "alpine",
        ] {
            assert!(!may_use_plain_http(&r(s), false), "{s}");
            assert!(may_use_plain_http(&r(s), true), "{s}");
        }
    }

    #[test]
    fn insecure_turns_verification_off_and_bad_ca_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "no certificate here\n").unwrap();
        let e = build_agent(
            &RegistryOptions {
                ca_certs: vec![junk],
                ..RegistryOptions::default()
            },
            "r.example",
            443,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("junk.pem") && e.contains("no certificates"),
            "{e}"
        );
        let e = build_agent(
            &RegistryOptions {
                ca_certs: vec![dir.path().join("missing.pem")],
                ..RegistryOptions::default()
            },
            "r.example",
            443,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("missing.pem"), "{e}");
        let a = build_agent(
            &RegistryOptions {
                insecure: true,
                ..RegistryOptions::default()
            },
            "r.example",
            443,
        )
        .unwrap();
        assert!(a.config().tls_config().disable_verification());
        let a = build_agent(&RegistryOptions::default(), "r.example", 443).unwrap();
        assert!(!a.config().tls_config().disable_verification());
    }
}
