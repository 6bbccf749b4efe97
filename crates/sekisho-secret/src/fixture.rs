//! Test material, built by code so no real credential is ever committed: a well-formed synthetic
//! value for every rule (checksums, macaroons and bech32 computed, not copied), the decoys that
//! must never be reported, and an OCI image-layout writer for images with several layers,
//! whiteouts, opaque directories, symlinks and an image config.
//!
//! Used by this crate's tests and by the CLI's; not part of the scanning API.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest as _, Sha256};

use crate::validate::{base62_encode, bech32_checksum};

/// A deterministic pseudo-random generator (SplitMix64), so fixtures are stable.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// `n` characters drawn from `alphabet`.
    pub fn from(&mut self, alphabet: &str, n: usize) -> String {
        let a = alphabet.as_bytes();
        (0..n)
            .map(|_| a[(self.next_u64() % a.len() as u64) as usize] as char)
            .collect()
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

pub const ALNUM: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
pub const HEX: &str = "0123456789abcdef";
pub const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
pub const URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
const LOWER_NUM: &str = "abcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_NUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const BASE32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const BECH32: &str = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/// A GitHub/npm-style token: prefix, 30 random base62 characters, CRC32 tail.
pub fn crc_token(prefix: &str, r: &mut Rng) -> String {
    let random = r.from(ALNUM, 30);
    let crc = crc32fast::hash(random.as_bytes());
    format!("{prefix}{random}{}", base62_encode(u64::from(crc), 6))
}

fn varint(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn field(t: u8, d: &[u8], out: &mut Vec<u8>) {
    out.push(t);
    varint(d.len(), out);
    out.extend_from_slice(d);
}

/// A PyPI-shaped token: a v2 macaroon for `location`, base64url without padding.
pub fn pypi_token(location: &str, r: &mut Rng) -> String {
    let mut m = vec![2];
    field(1, location.as_bytes(), &mut m);
    let mut id = r.bytes(16);
    id.extend_from_slice(b"sekisho-fixture");
    field(2, &id, &mut m);
    m.push(0);
    let caveat = format!(
        "{{\"version\": 1, \"permissions\": {{\"projects\": [\"p{}\"]}}}}",
        r.next_u64() % 1000
    );
    field(2, caveat.as_bytes(), &mut m);
    m.push(0);
    m.push(0);
    field(6, &r.bytes(32), &mut m);
    format!("pypi-{}", URL_SAFE_NO_PAD.encode(&m))
}

/// An age secret key with a valid bech32 checksum.
pub fn age_key(r: &mut Rng) -> String {
    let body = r.from(BECH32, 52);
    let data: Vec<u8> = body
        .bytes()
        .map(|c| BECH32.bytes().position(|x| x == c).unwrap_or(0) as u8)
        .collect();
    format!(
        "AGE-SECRET-KEY-1{body}{}",
        bech32_checksum("age-secret-key-", &data)
    )
    .to_ascii_uppercase()
}

fn wrap(s: &str, width: usize) -> String {
    s.as_bytes()
        .chunks(width)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

fn openssh_body(cipher: &str, r: &mut Rng) -> String {
    let mut b = b"openssh-key-v1\0".to_vec();
    let kdf = if cipher == "none" { "none" } else { "bcrypt" };
    for s in [cipher, kdf] {
        b.extend_from_slice(&(s.len() as u32).to_be_bytes());
        b.extend_from_slice(s.as_bytes());
    }
    b.extend_from_slice(&r.bytes(180));
    wrap(&STANDARD.encode(&b), 70)
}

fn jwt(r: &mut Rng) -> String {
    let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#);
    let p = URL_SAFE_NO_PAD.encode(
        format!(
            r#"{{"sub":"svc-deploy-{}","iss":"https://auth.internal.corp","exp":1999999999}}"#,
            r.next_u64() % 10_000
        )
        .as_bytes(),
    );
    format!("{h}.{p}.{}", r.from(URL, 86))
}

/// A synthetic PKCS#12 file: a DER PFX header (version 3, pkcs7-data) and a
/// pkcs8ShroudedKeyBag OID in its body, padded with random bytes (and NULs: it is binary).
pub fn pkcs12(r: &mut Rng) -> Vec<u8> {
    let mut v = vec![
        0x30, 0x82, 0x04, 0x00, 0x02, 0x01, 0x03, 0x30, 0x82, 0x03, 0xf0,
    ];
    v.extend_from_slice(&[
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
    ]);
    v.extend_from_slice(&[0xa0, 0x82, 0x03, 0xe0, 0x04, 0x82, 0x03, 0xdc, 0x00, 0x00]);
    v.extend_from_slice(&r.bytes(64));
    v.extend_from_slice(&[
        0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x02,
    ]);
    v.extend_from_slice(&r.bytes(900));
    v
}

/// A synthetic value for `rule` and the text around it, plus the file name it must live in
/// (for file-scoped rules) — or `None` for rules without a text form (PKCS#12).
/// `value` is what must never appear in any output.
#[derive(Debug, Clone)]
pub struct Sample {
    pub rule: &'static str,
    /// The secret value itself.
    pub value: String,
    /// The file content holding it.
    pub text: String,
    /// A file name the rule applies to.
    pub file: &'static str,
}

/// One sample per rule (seeded).
pub fn sample(rule: &'static str, seed: u64) -> Option<Sample> {
    let r = &mut Rng::new(seed.wrapping_mul(1_000_003) ^ rule.len() as u64);
    let mut file = "app/settings.env";
    let (value, text) = match rule {
        "private-key-encrypted" => {
            let v = format!(
                "MIIFHzBJBgkqhkiG9w0BBQ0wPDAbBgkqhkiG9w0BBQwwDgQI{}",
                r.from(B64, 16)
            );
            let body = format!("{v}\n{}", wrap(&r.from(B64, 192), 64));
            (
                v,
                format!(
                    "-----BEGIN ENCRYPTED PRIVATE KEY-----\n{body}\n-----END ENCRYPTED PRIVATE KEY-----\n"
                ),
            )
        }
        "private-key" => {
            let v = format!("MIIEowIBAAKCAQEA{}", r.from(B64, 48));
            let body = format!("{v}\n{}", wrap(&r.from(B64, 256), 64));
            (
                v,
                format!("-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n"),
            )
        }
        "openssh-private-key" | "openssh-private-key-encrypted" => {
            let cipher = if rule == "openssh-private-key" {
                "none"
            } else {
                "aes256-ctr"
            };
            let body = openssh_body(cipher, r);
            let first = body.lines().next().unwrap_or_default().to_string();
            (
                first,
                format!(
                    "-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n-----END OPENSSH PRIVATE KEY-----\n"
                ),
            )
        }
        "putty-private-key" => {
            let v = r.from(B64, 44);
            file = "home/dev/.ssh/deploy.ppk";
            (
                v.clone(),
                format!(
                    "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: eddsa-key-20240101\nPublic-Lines: 2\n{}\n{}\nPrivate-Lines: 1\n{v}\nPrivate-MAC: {}\n",
                    r.from(B64, 64),
                    r.from(B64, 4),
                    r.from(HEX, 64)
                ),
            )
        }
        "putty-private-key-encrypted" => {
            let v = r.from(B64, 64);
            file = "home/dev/.ssh/deploy.ppk";
            (
                v.clone(),
                format!(
                    "PuTTY-User-Key-File-3: ssh-rsa\nEncryption: aes256-cbc\nComment: rsa-key-20240101\nPublic-Lines: 2\n{}\n{}\nKey-Derivation: Argon2id\nArgon2-Memory: 8192\nArgon2-Passes: 13\nArgon2-Parallelism: 1\nArgon2-Salt: {}\nPrivate-Lines: 2\n{v}\n{}\nPrivate-MAC: {}\n",
                    r.from(B64, 64),
                    r.from(B64, 20),
                    r.from(HEX, 32),
                    r.from(B64, 30),
                    r.from(HEX, 64)
                ),
            )
        }
        "pgp-private-key" => {
            let v = format!("lQVYBG{}", r.from(B64, 58));
            (
                v.clone(),
                format!(
                    "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{v}\n{}\n-----END PGP PRIVATE KEY BLOCK-----\n",
                    r.from(B64, 64)
                ),
            )
        }
        "pkcs12-private-key" => return None,
        "private-key-base64" => {
            let pem = format!(
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA{}\n",
                r.from(B64, 120)
            );
            let v = STANDARD.encode(pem);
            file = "root/.kube/config";
            (
                v.clone(),
                format!("users:\n- name: admin\n  user:\n    client-key-data: {v}\n"),
            )
        }
        "age-secret-key" => {
            let v = age_key(r);
            (
                v.clone(),
                format!(
                    "# created: 2024-01-01T00:00:00Z\n# public key: age1{}\n{v}\n",
                    r.from(BECH32, 58)
                ),
            )
        }
        "gcp-service-account-key" => {
            let v = format!(
                "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC{}",
                r.from(B64, 12)
            );
            file = "srv/gcp/sa.json";
            (
                v.clone(),
                format!(
                    "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"prod-{}\",\n  \"private_key_id\": \"{}\",\n  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n{v}{}\\n-----END PRIVATE KEY-----\\n\",\n  \"client_email\": \"deploy@prod.iam.gserviceaccount.com\"\n}}\n",
                    r.next_u64() % 1000,
                    r.from(HEX, 40),
                    r.from(B64, 64)
                ),
            )
        }
        "aws-access-key-id" => {
            let v = format!("AKIA{}", r.from(BASE32, 16));
            (v.clone(), format!("aws_access_key_id = {v}\n"))
        }
        "aws-secret-access-key" => {
            let v = r.from(B64, 40);
            (
                v.clone(),
                format!("[default]\naws_secret_access_key = {v}\n"),
            )
        }
        "aws-session-token" => {
            let v = format!("IQoJb3JpZ2luX2Vj{}", r.from(B64, 300));
            (v.clone(), format!("aws_session_token = {v}\n"))
        }
        "gcp-api-key" => t(format!("AIza{}", r.from(URL, 35)), "GOOGLE_MAPS_KEY={}\n"),
        "gcp-oauth-client-secret" => t(
            format!("GOCSPX-{}", r.from(URL, 28)),
            "{{\"web\":{{\"client_secret\":\"{}\"}}}}\n",
        ),
        "gcp-oauth-access-token" => t(
            format!("ya29.a0{}", r.from(URL, 120)),
            "Authorization: Bearer {}\n",
        ),
        "azure-storage-account-key" => {
            let v = format!("{}==", r.from(B64, 86));
            (
                v.clone(),
                format!(
                    "AZURE_STORAGE=DefaultEndpointsProtocol=https;AccountName=prodblob;AccountKey={v};EndpointSuffix=core.windows.net\n"
                ),
            )
        }
        "azure-storage-key-identifiable" => t(
            format!("{}+ASt{}==", r.from(B64, 76), r.from(B64, 6)),
            "storage_key: {}\n",
        ),
        "azure-sas-token" => {
            let v = format!("{}%3D", r.from(ALNUM, 43));
            (
                v.clone(),
                format!(
                    "BLOB_URL=https://prodblob.blob.core.windows.net/c?sv=2022-11-02&ss=b&srt=sco&sp=rl&se=2030-01-01T00:00:00Z&spr=https&sig={v}\n"
                ),
            )
        }
        "azure-ad-client-secret" => t(
            format!(
                "{}{}Q~{}",
                r.from(ALNUM, 3),
                r.next_u64() % 10,
                r.from(ALNUM, 34)
            ),
            "AZURE_CLIENT_SECRET='{}'\n",
        ),
        "azure-identifiable-key" => t(
            format!("{}JQQJ99{}", r.from(ALNUM, 52), r.from(ALNUM, 26)),
            "OPENAI_AZURE_KEY=\"{}\"\n",
        ),
        "azure-shared-access-key" => {
            let v = format!("{}=", r.from(B64, 43));
            (
                v.clone(),
                format!(
                    "SB=Endpoint=sb://prod.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={v}\n"
                ),
            )
        }
        "github-pat" => t(crc_token("ghp_", r), "GITHUB_TOKEN={}\n"),
        "github-oauth-token" => t(crc_token("gho_", r), "oauth: {}\n"),
        "github-user-to-server-token" => t(crc_token("ghu_", r), "token {}\n"),
        "github-server-to-server-token" => t(crc_token("ghs_", r), "GH_INSTALLATION={}\n"),
        "github-refresh-token" => t(crc_token("ghr_", r), "refresh={}\n"),
        "github-fine-grained-pat" => t(
            format!("github_pat_{}_{}", r.from(ALNUM, 22), r.from(ALNUM, 59)),
            "GH_PAT={}\n",
        ),
        "gitlab-pat" => t(format!("glpat-{}", r.from(URL, 20)), "GITLAB_TOKEN={}\n"),
        "gitlab-deploy-token" => t(format!("gldt-{}", r.from(URL, 20)), "deploy: {}\n"),
        "gitlab-runner-token" => t(format!("glrt-{}", r.from(URL, 20)), "  token = \"{}\"\n"),
        "gitlab-runner-registration-token" => t(
            format!("GR1348941{}", r.from(URL, 20)),
            "--registration {}\n",
        ),
        "gitlab-pipeline-trigger-token" => t(
            format!("glptt-{}", r.from(HEX, 40)),
            "curl -F token={} https://git.internal/api\n",
        ),
        "gitlab-oauth-app-secret" => t(format!("gloas-{}", r.from(URL, 64)), "oauth_secret {}\n"),
        "slack-bot-token" => t(
            format!(
                "xoxb-{}-{}-{}",
                r.from("0123456789", 11),
                r.from("0123456789", 12),
                r.from(ALNUM, 24)
            ),
            "SLACK_BOT={}\n",
        ),
        "slack-user-token" => t(
            format!(
                "xoxp-{}-{}-{}-{}",
                r.from("0123456789", 11),
                r.from("0123456789", 11),
                r.from("0123456789", 12),
                r.from(HEX, 32)
            ),
            "slack: {}\n",
        ),
        "slack-app-token" => t(
            format!(
                "xapp-1-A{}-{}-{}",
                r.from(UPPER_NUM, 10),
                r.from("0123456789", 13),
                r.from(HEX, 64)
            ),
            "SLACK_APP={}\n",
        ),
        "slack-config-token" => t(format!("xoxe.xoxp-1-{}", r.from(ALNUM, 164)), "cfg {}\n"),
        "slack-legacy-token" => t(
            format!(
                "xoxs-{}-{}-{}",
                r.from("0123456789", 10),
                r.from("0123456789", 10),
                r.from(ALNUM, 30)
            ),
            "legacy {}\n",
        ),
        "slack-webhook-url" => {
            let v = format!(
                "T{}/B{}/{}",
                r.from(UPPER_NUM, 8),
                r.from(UPPER_NUM, 10),
                r.from(ALNUM, 24)
            );
            (
                v.clone(),
                format!("WEBHOOK=https://hooks.slack.com/services/{v}\n"),
            )
        }
        "stripe-secret-key" => t(format!("sk_live_{}", r.from(ALNUM, 32)), "STRIPE_KEY={}\n"),
        "stripe-restricted-key" => t(format!("rk_live_{}", r.from(ALNUM, 32)), "STRIPE_RK={}\n"),
        "stripe-test-key" => t(format!("sk_test_{}", r.from(ALNUM, 32)), "STRIPE_TEST={}\n"),
        "stripe-webhook-secret" => t(format!("whsec_{}", r.from(ALNUM, 32)), "STRIPE_WH={}\n"),
        "npm-access-token" => t(crc_token("npm_", r), "NPM={}\n"),
        "npmrc-auth" => {
            file = "root/.npmrc";
            t(
                r.from(ALNUM, 36),
                "registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken={}\n",
            )
        }
        "yarnrc-auth-token" => {
            file = "srv/app/.yarnrc.yml";
            t(
                r.from(ALNUM, 36),
                "npmRegistryServer: \"https://npm.internal\"\nnpmAuthToken: \"{}\"\n",
            )
        }
        "pypi-upload-token" => t(pypi_token("pypi.org", r), "TWINE_API={}\n"),
        "pypi-test-upload-token" => t(pypi_token("test.pypi.org", r), "TEST_PYPI={}\n"),
        "pypirc-password" => {
            file = "root/.pypirc";
            t(
                format!("Zq8#{}!4x", r.from(ALNUM, 10)),
                "[distutils]\nindex-servers = internal\n\n[internal]\nrepository = https://pypi.internal/\nusername = ci\npassword = {}\n",
            )
        }
        "rubygems-api-key" => t(
            format!("rubygems_{}", r.from(HEX, 48)),
            "GEM_HOST_API_KEY: {}\n",
        ),
        "nuget-api-key" => t(
            format!("oy2{}", r.from(LOWER_NUM, 43)),
            "nuget push -k {}\n",
        ),
        "dockerhub-token" => t(format!("dckr_pat_{}", r.from(URL, 27)), "DOCKER_PAT={}\n"),
        "docker-config-auth" => {
            file = "root/.docker/config.json";
            let v = STANDARD.encode(format!("ci:{}", r.from(ALNUM, 20)));
            (
                v.clone(),
                format!(
                    "{{\n  \"auths\": {{\n    \"registry.internal.corp\": {{\n      \"auth\": \"{v}\"\n    }}\n  }}\n}}\n"
                ),
            )
        }
        "docker-config-identity-token" => {
            file = "root/.docker/config.json";
            t(
                r.from(URL, 120),
                "{{\"auths\":{{\"acr.internal\":{{\"identitytoken\":\"{}\"}}}}}}\n",
            )
        }
        "vault-service-token" => t(format!("hvs.{}", r.from(URL, 95)), "VAULT={}\n"),
        "vault-batch-token" => t(format!("hvb.{}", r.from(URL, 150)), "VAULT_BATCH={}\n"),
        "vault-legacy-token" => t(format!("s.{}", r.from(ALNUM, 24)), "VAULT_TOKEN={}\n"),
        "terraform-cloud-token" => t(
            format!("{}.atlasv1.{}", r.from(ALNUM, 14), r.from(ALNUM, 67)),
            "credentials \"app.terraform.io\" {{ token = \"{}\" }}\n",
        ),
        "twilio-auth-token" => t(r.from(HEX, 32), "TWILIO_AUTH_TOKEN={}\n"),
        "sendgrid-api-key" => t(
            format!("SG.{}.{}", r.from(URL, 22), r.from(URL, 43)),
            "SENDGRID={}\n",
        ),
        "shopify-access-token" => t(format!("shpat_{}", r.from(HEX, 32)), "SHOPIFY={}\n"),
        "shopify-custom-app-token" => t(format!("shpca_{}", r.from(HEX, 32)), "SHOPIFY_CA={}\n"),
        "shopify-private-app-token" => t(format!("shppa_{}", r.from(HEX, 32)), "SHOPIFY_PA={}\n"),
        "shopify-shared-secret" => t(format!("shpss_{}", r.from(HEX, 32)), "SHOPIFY_SS={}\n"),
        "square-access-token" => t(format!("sq0atp-{}", r.from(URL, 22)), "SQUARE={}\n"),
        "square-oauth-secret" => t(format!("sq0csp-{}", r.from(URL, 43)), "SQUARE_SECRET={}\n"),
        "braintree-access-token" => t(
            format!(
                "access_token$production${}${}",
                r.from(LOWER_NUM, 16),
                r.from(HEX, 32)
            ),
            "BT={}\n",
        ),
        "openai-api-key" => t(
            format!("sk-proj-{}T3BlbkFJ{}", r.from(URL, 40), r.from(URL, 40)),
            "OPENAI={}\n",
        ),
        "anthropic-api-key" => t(
            format!("sk-ant-api03-{}", r.from(URL, 95)),
            "ANTHROPIC={}\n",
        ),
        "huggingface-token" => t(
            format!(
                "hf_{}",
                r.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 34)
            ),
            "HF={}\n",
        ),
        "alibaba-access-key-id" => t(format!("LTAI{}", r.from(ALNUM, 20)), "ALI={}\n"),
        "digitalocean-token" => t(format!("dop_v1_{}", r.from(HEX, 64)), "DO={}\n"),
        "databricks-token" => t(format!("dapi{}", r.from(HEX, 32)), "DATABRICKS={}\n"),
        "atlassian-api-token" => t(format!("ATATT3xFfGF0{}", r.from(URL, 176)), "JIRA={}\n"),
        "sentry-auth-token" => t(format!("sntryu_{}", r.from(HEX, 64)), "SENTRY={}\n"),
        "newrelic-user-api-key" => t(format!("NRAK-{}", r.from(UPPER_NUM, 27)), "NEWRELIC={}\n"),
        "grafana-service-account-token" => t(
            format!("glsa_{}_{}", r.from(ALNUM, 32), r.from(HEX, 8)),
            "GRAFANA={}\n",
        ),
        "grafana-cloud-token" => t(format!("glc_{}", r.from(ALNUM, 120)), "GRAFANA_CLOUD={}\n"),
        "telegram-bot-token" => t(
            format!("{}:AA{}", r.from("0123456789", 10), r.from(URL, 33)),
            "TELEGRAM={}\n",
        ),
        "jwt" => t(jwt(r), "Authorization: Bearer {}\n"),
        "netrc-password" => {
            file = "root/.netrc";
            t(
                format!("Vq7#{}", r.from(ALNUM, 12)),
                "machine git.internal.corp\n  login ci\n  password {}\n",
            )
        }
        "git-credentials" => {
            file = "root/.git-credentials";
            t(r.from(ALNUM, 24), "https://ci-bot:{}@git.internal.corp\n")
        }
        "database-url-password" => t(
            format!("Pw7{}", r.from(ALNUM, 12)),
            "DATABASE_URL=postgres://app:{}@db.internal:5432/app\n",
        ),
        "url-credentials" => t(
            format!("Px9{}", r.from(ALNUM, 12)),
            "proxy = http://svc:{}@proxy.corp.lan:3128/\n",
        ),
        "generic-password" => t(format!("Zr8#{}!9vT", r.from(ALNUM, 10)), "DB_PASSWORD={}\n"),
        "generic-secret" => t(r.from(ALNUM, 32), "client_secret = \"{}\"\n"),
        _ => return None,
    };
    Some(Sample {
        rule,
        value,
        text,
        file,
    })
}

fn t(v: String, template: &str) -> (String, String) {
    let text = template
        .replacen("{}", &v, 1)
        .replace("{{", "{")
        .replace("}}", "}");
    (v, text)
}

/// Text that has a secret's shape but must never be reported, one decoy per line, with why.
pub fn decoys() -> Vec<(&'static str, String)> {
    let mut r = Rng::new(7);
    let jwt_io = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    let png = format!(
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA{}+AKIA{}/ghp_{}",
        r.from(B64, 300),
        r.from(BASE32, 16),
        r.from(ALNUM, 36)
    );
    vec![
        (
            "AWS documentation example key ID",
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE".into(),
        ),
        (
            "AWS documentation example secret",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        ),
        (
            "Stripe documentation test key",
            "Stripe.api_key = \"sk_test_4eC39HqLyjWDarjtT1zdp7dc\"".into(),
        ),
        (
            "GitHub token with a wrong checksum",
            "GITHUB_TOKEN=ghp_16C7e42F292c6912E7710c838347Ae178B4a".into(),
        ),
        (
            "npm token with a wrong checksum",
            format!("NPM_TOKEN=npm_{}", r.from(ALNUM, 36)),
        ),
        (
            "jwt.io sample token",
            format!("Authorization: Bearer {jwt_io}"),
        ),
        (
            "MD5 hex digest",
            "secret_hash = d41d8cd98f00b204e9800998ecf8427e".into(),
        ),
        (
            "SHA-256 hex digest",
            "token_sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into(),
        ),
        (
            "SHA-1 digest",
            "api_key_fingerprint = da39a3ee5e6b4b0d3255bfef95601890afd80709".into(),
        ),
        (
            "UUID",
            "client_secret = \"123e4567-e89b-12d3-a456-426614174000\"".into(),
        ),
        ("shell template", "DB_PASSWORD=${DB_PASSWORD}".into()),
        ("env reference", "AWS_SECRET_ACCESS_KEY=$AWS_SECRET".into()),
        (
            "Helm template",
            "password: {{ .Values.db.password }}".into(),
        ),
        ("Python format", "token = \"%(api_token)s\"".into()),
        (
            "npmrc template",
            "//registry.npmjs.org/:_authToken=${NPM_TOKEN}".into(),
        ),
        (
            "placeholder in angle brackets",
            "api_key = <your-api-key>".into(),
        ),
        (
            "placeholder words",
            "api_key = \"your_api_key_goes_here\"".into(),
        ),
        ("masked value", "password = \"xxxxxxxxxxxxxxxx\"".into()),
        (
            "code, not a value",
            "password = getpass.getpass(prompt)".into(),
        ),
        (
            "attribute reference",
            "secret_key = settings.SECRET_KEY".into(),
        ),
        (
            "placeholder password in a URL",
            "http://user:password@proxy.example.com:3128/".into(),
        ),
        (
            "URL on a documentation host",
            format!("postgres://app:{}@db.example.com/app", r.from(ALNUM, 14)),
        ),
        (
            "public key (PEM)",
            format!(
                "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA{}\n-----END PUBLIC KEY-----",
                r.from(B64, 20)
            ),
        ),
        (
            "RSA public key (PEM)",
            format!(
                "-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEA{}\n-----END RSA PUBLIC KEY-----",
                r.from(B64, 40)
            ),
        ),
        (
            "certificate",
            format!(
                "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBa{}\n-----END CERTIFICATE-----",
                r.from(B64, 16)
            ),
        ),
        (
            "OpenSSH public key",
            format!(
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{} dev@host",
                r.from(B64, 43)
            ),
        ),
        (
            "PGP public key block",
            format!(
                "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBF{}\n-----END PGP PUBLIC KEY BLOCK-----",
                r.from(B64, 58)
            ),
        ),
        (
            "base64 certificate (kubeconfig)",
            format!(
                "certificate-authority-data: {}",
                STANDARD.encode(format!(
                    "-----BEGIN CERTIFICATE-----\nMIIC{}",
                    r.from(B64, 100)
                ))
            ),
        ),
        (
            "private key header without a body",
            "if line.startswith(\"-----BEGIN RSA PRIVATE KEY-----\"):".into(),
        ),
        ("base64 data URI", format!("<img src=\"{png}\">")),
    ]
}

// ------------------------------------------------------------------ OCI image layout writer

/// One entry of a layer tar.
#[derive(Debug, Clone)]
pub enum Entry {
    File {
        path: String,
        data: Vec<u8>,
        mode: u32,
    },
    Dir {
        path: String,
    },
    Symlink {
        path: String,
        target: String,
    },
    /// `.wh.NAME` next to `path`'s name: deletes `path` from lower layers.
    Whiteout {
        path: String,
    },
    /// `DIR/.wh..wh..opq`: hides lower-layer children of `DIR`.
    Opaque {
        dir: String,
    },
}

impl Entry {
    pub fn file(path: &str, data: impl Into<Vec<u8>>) -> Self {
        Self::File {
            path: path.into(),
            data: data.into(),
            mode: 0o644,
        }
    }
}

/// One layer: its entries and the history line that made it.
#[derive(Debug, Clone, Default)]
pub struct Layer {
    pub created_by: String,
    pub entries: Vec<Entry>,
    /// gzip-compress the blob.
    pub gzip: bool,
}

/// An image: layers, config env and labels, and extra history lines (empty layers).
#[derive(Debug, Clone, Default)]
pub struct Image {
    pub layers: Vec<Layer>,
    pub env: Vec<String>,
    pub labels: BTreeMap<String, String>,
    /// History entries that made no layer, inserted before layer `usize`.
    pub empty_history: Vec<(usize, String)>,
}

fn tar_header(path: &str, size: u64, mode: u32, typeflag: u8, link: &str) -> Vec<u8> {
    let mut h = [0u8; 512];
    let (prefix, name) = if path.len() > 100 {
        match path[..path.len().min(155)].rfind('/') {
            Some(i) if path.len() - i - 1 <= 100 => (&path[..i], &path[i + 1..]),
            _ => ("", path),
        }
    } else {
        ("", path)
    };
    h[..name.len().min(100)].copy_from_slice(&name.as_bytes()[..name.len().min(100)]);
    let oct = |v: u64, w: usize| format!("{v:0w$o}\0", w = w - 1);
    h[100..108].copy_from_slice(oct(u64::from(mode), 8).as_bytes());
    h[108..116].copy_from_slice(oct(0, 8).as_bytes());
    h[116..124].copy_from_slice(oct(0, 8).as_bytes());
    h[124..136].copy_from_slice(oct(size, 12).as_bytes());
    h[136..148].copy_from_slice(oct(1_700_000_000, 12).as_bytes());
    h[148..156].copy_from_slice(b"        ");
    h[156] = typeflag;
    h[157..157 + link.len().min(100)].copy_from_slice(&link.as_bytes()[..link.len().min(100)]);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[345..345 + prefix.len().min(155)]
        .copy_from_slice(&prefix.as_bytes()[..prefix.len().min(155)]);
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h.to_vec()
}

/// A layer as an uncompressed tar.
pub fn layer_tar(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut push = |path: &str, data: &[u8], mode: u32, flag: u8, link: &str| {
        out.extend(tar_header(path, data.len() as u64, mode, flag, link));
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    };
    for e in entries {
        match e {
            Entry::File { path, data, mode } => push(path, data, *mode, b'0', ""),
            Entry::Dir { path } => push(
                &format!("{}/", path.trim_end_matches('/')),
                &[],
                0o755,
                b'5',
                "",
            ),
            Entry::Symlink { path, target } => push(path, &[], 0o777, b'2', target),
            Entry::Whiteout { path } => {
                let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
                let p = if dir.is_empty() {
                    format!(".wh.{name}")
                } else {
                    format!("{dir}/.wh.{name}")
                };
                push(&p, &[], 0o644, b'0', "");
            }
            Entry::Opaque { dir } => push(
                &format!("{}/.wh..wh..opq", dir.trim_end_matches('/')),
                &[],
                0o644,
                b'0',
                "",
            ),
        }
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

fn sha(b: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(b)))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Write `img` as an OCI image layout at `dir`, tagged `tag`. Returns the layer digests
/// (compressed blobs), bottom first.
///
/// # Errors
/// I/O errors writing the layout.
pub fn write_oci_layout(dir: &Path, tag: &str, img: &Image) -> std::io::Result<Vec<String>> {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs)?;
    let put = |b: &[u8]| -> std::io::Result<String> {
        let d = sha(b);
        std::fs::write(blobs.join(&d[7..]), b)?;
        Ok(d)
    };
    let mut diff_ids = Vec::new();
    let mut layer_descs = Vec::new();
    let mut digests = Vec::new();
    for l in &img.layers {
        let tar = layer_tar(&l.entries);
        diff_ids.push(sha(&tar));
        let (blob, mt) = if l.gzip {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(&tar)?;
            (enc.finish()?, "application/vnd.oci.image.layer.v1.tar+gzip")
        } else {
            (tar, "application/vnd.oci.image.layer.v1.tar")
        };
        let d = put(&blob)?;
        layer_descs.push(serde_json::json!({"mediaType": mt, "digest": d, "size": blob.len()}));
        digests.push(d);
    }
    let mut history = Vec::new();
    for (i, l) in img.layers.iter().enumerate() {
        for (at, line) in &img.empty_history {
            if *at == i {
                history.push(serde_json::json!({"created": "2024-01-01T00:00:00Z", "created_by": line, "empty_layer": true}));
            }
        }
        history.push(
            serde_json::json!({"created": "2024-01-01T00:00:00Z", "created_by": l.created_by}),
        );
    }
    for (at, line) in &img.empty_history {
        if *at >= img.layers.len() {
            history.push(serde_json::json!({"created": "2024-01-01T00:00:00Z", "created_by": line, "empty_layer": true}));
        }
    }
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "created": "2024-01-01T00:00:00Z",
        "config": {"Env": img.env, "Labels": img.labels, "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    });
    let cb = serde_json::to_vec(&config)?;
    let cd = put(&cb)?;
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cb.len()},
        "layers": layer_descs,
    });
    let mb = serde_json::to_vec(&manifest)?;
    let md = put(&mb)?;
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": md,
            "size": mb.len(),
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }],
    });
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index)?)?;
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    Ok(digests)
}

/// MD5 as hex (dpkg `md5sums` lines).
pub fn md5_hex(b: &[u8]) -> String {
    use md5::Digest as _;
    hex(&md5::Md5::digest(b))
}

/// A value planted in the issue image, and the file that holds it.
#[derive(Debug, Clone)]
pub struct Planted {
    pub s: Sample,
    pub path: String,
}

fn plant(rule: &'static str, seed: u64, path: &str) -> Planted {
    Planted {
        s: sample(rule, seed).unwrap_or_else(|| panic!("no sample for {rule}")),
        path: path.into(),
    }
}

/// The issue image and the values planted in it (rule → planted), plus the Env and build-arg
/// tokens.
#[derive(Debug, Clone)]
pub struct IssueImage {
    pub image: Image,
    pub planted: BTreeMap<&'static str, Planted>,
    pub env_token: String,
    pub build_arg_token: String,
}

impl IssueImage {
    /// Every secret value planted (files, Env, history), for leak checks.
    pub fn values(&self) -> Vec<String> {
        let mut v: Vec<String> = self.planted.values().map(|p| p.s.value.clone()).collect();
        v.push(self.env_token.clone());
        v.push(self.build_arg_token.clone());
        v
    }
}

/// The test image of issue 15 (see `tests/image.rs` of this crate): every planted value and
/// where it is, and every decoy.
pub fn issue_image() -> IssueImage {
    let id_rsa = plant("private-key", 1, "root/.ssh/id_rsa");
    let aws = plant("aws-secret-access-key", 2, "app/.aws/credentials");
    let slack = plant("slack-bot-token", 3, "app/config.yaml");
    let emptied = plant("stripe-secret-key", 4, "app/.env");
    let npmrc = plant("npmrc-auth", 5, "opt/build/.npmrc");
    let survivor = plant("database-url-password", 6, "srv/app/settings.env");
    let vendor = plant("github-pat", 7, "usr/share/doc/libfoo/examples/README");
    let modified = plant("sendgrid-api-key", 8, "usr/share/doc/libbar/example.conf");
    let env_token = sample("github-fine-grained-pat", 9)
        .map(|s| s.value)
        .unwrap_or_default();
    let build_arg_token = sample("npm-access-token", 10)
        .map(|s| s.value)
        .unwrap_or_default();

    let vendor_text = format!("libfoo examples\n{}", vendor.s.text);
    let original_bar = format!(
        "# example\n{}",
        modified.s.text.replace(&modified.s.value, "SG.placeholder")
    );
    let modified_bar = format!("# example\n{}", modified.s.text);
    let md5sums_foo = format!("{}  {}\n", md5_hex(vendor_text.as_bytes()), vendor.path);
    let md5sums_bar = format!("{}  {}\n", md5_hex(original_bar.as_bytes()), modified.path);
    let status = "Package: libfoo\nStatus: install ok installed\nVersion: 1.2-3\nArchitecture: all\n\n\
                  Package: libbar\nStatus: install ok installed\nVersion: 4.5-6\nArchitecture: all\n";
    let decoy_text: String = decoys().into_iter().map(|(_, t)| t + "\n").collect();

    let img = Image {
        layers: vec![
            Layer {
                created_by: "ADD rootfs.tar.gz / # buildkit".into(),
                gzip: true,
                entries: vec![
                    Entry::Dir { path: "usr/share/doc/libfoo/examples".into() },
                    Entry::file(&vendor.path, vendor_text.clone()),
                    Entry::Dir { path: "usr/share/doc/libbar".into() },
                    Entry::file(&modified.path, original_bar.clone()),
                    Entry::file("var/lib/dpkg/status", status),
                    Entry::file("var/lib/dpkg/info/libfoo.md5sums", md5sums_foo),
                    Entry::file("var/lib/dpkg/info/libbar:amd64.md5sums", md5sums_bar),
                    Entry::file("etc/decoys.conf", decoy_text.clone()),
                    Entry::file("app/README.md", "decoys here too:\n".to_string() + &decoy_text),
                ],
            },
            Layer {
                created_by: format!("RUN |1 NPM_TOKEN={build_arg_token} /bin/sh -c npm ci # buildkit"),
                gzip: false,
                entries: vec![
                    Entry::Dir { path: "root/.ssh".into() },
                    Entry::file(&id_rsa.path, id_rsa.s.text.clone()),
                    Entry::file(&aws.path, aws.s.text.clone()),
                    Entry::file(&slack.path, slack.s.text.clone()),
                    Entry::file(&emptied.path, emptied.s.text.clone()),
                    Entry::Dir { path: "opt/build".into() },
                    Entry::file(&npmrc.path, npmrc.s.text.clone()),
                    Entry::file(&survivor.path, survivor.s.text.clone()),
                    // Modified after install: same path, different content than md5sums.
                    Entry::file(&modified.path, modified_bar),
                ],
            },
            Layer {
                created_by: "RUN /bin/sh -c rm /root/.ssh/id_rsa # buildkit".into(),
                gzip: true,
                entries: vec![Entry::Whiteout { path: id_rsa.path.clone() }],
            },
            Layer {
                created_by: "RUN /bin/sh -c ln -sf /etc/app.yaml /app/config.yaml && : > /app/.env && rm -rf /opt/build && mkdir /opt/build # buildkit".into(),
                gzip: false,
                entries: vec![
                    Entry::Symlink { path: slack.path.clone(), target: "/etc/app.yaml".into() },
                    Entry::file(&emptied.path, ""),
                    Entry::Opaque { dir: "opt/build".into() },
                    Entry::file("etc/app.yaml", "log_level: info\n"),
                ],
            },
        ],
        env: vec![
            "PATH=/usr/local/bin:/usr/bin:/bin".into(),
            format!("GH_TOKEN={env_token}"),
            "DB_PASSWORD=${DB_PASSWORD}".into(),
            "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE".into(),
        ],
        labels: [("org.opencontainers.image.source".to_string(), "https://git.internal/app".to_string())].into(),
        empty_history: vec![(1, "ARG NPM_TOKEN".into()), (4, "ENV GH_TOKEN=(redacted by the builder)".into())],
    };
    let planted = [
        id_rsa, aws, slack, emptied, npmrc, survivor, vendor, modified,
    ]
    .into_iter()
    .map(|p| (p.s.rule, p))
    .collect();
    IssueImage {
        image: img,
        planted,
        env_token,
        build_arg_token,
    }
}
