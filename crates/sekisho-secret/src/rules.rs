//! The rule table: every secret sekisho knows, as data.
//!
//! Each [`Detector`] pairs a published [`Rule`] (kebab-case ID, severity, title, why, fix) with
//! how to find it: the literal keywords the Aho-Corasick prefilter looks for, one bounded regex
//! (run only in a window around a keyword hit, on the `regex` crate, which never backtracks), the
//! named group holding the secret value (`s`) and an optional group shown in the redacted form
//! (`show`), a format check where the format has one (GitHub's and npm's CRC32 tails, PyPI's
//! macaroon structure, age's bech32 checksum, JWT JSON segments, OpenSSH key headers), and which
//! filters apply (generic assignments get entropy and shape checks; every rule gets the decoy
//! filters in [`crate::decoy`]).
//!
//! The formats were researched from vendor documentation (GitHub's 2021 token-format post, npm's
//! 2021 token announcement, PyPI's API-token help, Slack, Stripe, GitLab and HashiCorp token
//! references, Microsoft's identifiable-secret formats, the PuTTY PPK and OpenSSH PROTOCOL.key
//! formats, RFC 7468 for PEM, RFC 7519 for JWT, BIP-173 for bech32) and from the public rule sets
//! of gitleaks and detect-secrets; the patterns here are our own. `docs/secrets.md` lists every
//! rule.

use sekisho_finding::{Kind, Rule, Severity};

/// A format check run on the secret value after the regex matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    None,
    /// GitHub `gh?_` tokens: the last 6 base62 characters are the CRC32 of the 30 before them.
    GithubCrc,
    /// npm `npm_` tokens: same scheme as GitHub.
    NpmCrc,
    /// PyPI tokens: `pypi-` + base64url of a version-2 macaroon (location, identifier, caveats,
    /// 32-byte signature).
    Macaroon,
    /// age secret keys: a valid BIP-173 bech32 checksum.
    Bech32,
    /// A JWS: header and payload decode to JSON objects and the header names an `alg`.
    Jwt,
    /// Docker `auth`: base64 of `user:password`, both non-empty.
    DockerAuth,
    /// OpenSSH key body: `openssh-key-v1\0` and cipher `none`.
    OpensshPlain,
    /// OpenSSH key body: `openssh-key-v1\0` and a cipher other than `none`.
    OpensshEncrypted,
    /// Base64 of a PEM private key (kubeconfig `client-key-data`, Kubernetes secrets).
    PemBase64,
    /// A PKCS#12 (PFX) file with a key bag; found by the file sniffer, not by a regex.
    Pkcs12,
}

/// How one rule is found. See the module docs.
#[derive(Debug, Clone, Copy)]
pub struct Detector {
    pub rule: Rule,
    /// Literal keywords, matched case-sensitively by the prefilter (list the casings in use).
    pub keywords: &'static [&'static str],
    /// The regex (`regex` syntax, bytes, ASCII classes). Every repetition is bounded.
    pub pattern: &'static str,
    /// How many bytes before the keyword the match may start.
    pub back: usize,
    /// Leading bytes of the secret value shown in the redacted form (its fixed public prefix).
    pub reveal: usize,
    /// Text between the `show` group and the masked value in the redacted form.
    pub sep: &'static str,
    pub check: Check,
    /// Apply the generic-assignment filters (hex digests, UUIDs, identifiers, paths, shape).
    pub generic: bool,
    /// Lowest Shannon entropy (bits per byte) of the value; 0 = no floor.
    pub min_entropy: f32,
    /// Shortest value accepted by the generic shape check.
    pub min_classes: u8,
    /// File names (or `dir/name` suffixes) the rule is limited to; empty = every file.
    pub files: &'static [&'static str],
    /// One of these bytes must occur in the window after the keyword, else the regex is not run.
    pub needs: &'static [u8],
}

#[expect(
    clippy::too_many_arguments,
    reason = "a table row: every field named at its column"
)]
const fn d(
    id: &'static str,
    group: &'static str,
    severity: Severity,
    title: &'static str,
    why: &'static str,
    fix: &'static str,
    keywords: &'static [&'static str],
    pattern: &'static str,
) -> Detector {
    Detector {
        rule: Rule {
            id,
            kind: Kind::Secret,
            group,
            severity,
            title,
            why,
            fix,
            aliases: &[],
        },
        keywords,
        pattern,
        back: 0,
        reveal: 0,
        sep: "",
        check: Check::None,
        generic: false,
        min_entropy: 0.0,
        min_classes: 0,
        files: &[],
        needs: &[],
    }
}

impl Detector {
    const fn back(mut self, n: usize) -> Self {
        self.back = n;
        self
    }
    const fn reveal(mut self, n: usize) -> Self {
        self.reveal = n;
        self
    }
    const fn sep(mut self, s: &'static str) -> Self {
        self.sep = s;
        self
    }
    const fn check(mut self, c: Check) -> Self {
        self.check = c;
        self
    }
    const fn generic(mut self, min_entropy: f32, min_classes: u8) -> Self {
        self.generic = true;
        self.min_entropy = min_entropy;
        self.min_classes = min_classes;
        self
    }
    const fn entropy(mut self, min: f32) -> Self {
        self.min_entropy = min;
        self
    }
    const fn files(mut self, f: &'static [&'static str]) -> Self {
        self.files = f;
        self
    }
    const fn needs(mut self, b: &'static [u8]) -> Self {
        self.needs = b;
        self
    }
}

use Severity::{Critical, High, Low, Medium};

// Why it matters, per family.
const WHY_CLOUD: &str = "A cloud credential in an image gives whoever pulls the image the account's access: \
every layer is downloadable, so deleting the file in a later layer does not remove it.";
const WHY_SCM: &str = "A source-hosting token lets whoever pulls the image read, and often write, the \
repositories and packages the token can reach; every layer is downloadable.";
const WHY_CHAT: &str = "A chat-platform token lets whoever pulls the image read messages and post as the \
app or user; every layer is downloadable.";
const WHY_PAY: &str = "A payment-platform key lets whoever pulls the image act on the merchant account; \
every layer is downloadable.";
const WHY_REGISTRY: &str = "A package-registry credential lets whoever pulls the image publish packages as \
its owner (a supply-chain attack); every layer is downloadable.";
const WHY_API: &str = "An API key lets whoever pulls the image use the service on the owner's account and \
bill; every layer is downloadable.";
const WHY_KEY: &str = "A private key in an image is shared with everyone who pulls it: every container \
(and every attacker with the image) can impersonate the key's owner or decrypt its traffic.";
const WHY_KEY_ENC: &str = "An encrypted private key in an image can be attacked offline by everyone who \
pulls it; its passphrase is all that protects it.";
const WHY_CONFIG: &str = "A credentials file baked into an image hands its logins to everyone who pulls \
the image; every layer is downloadable.";
const WHY_GENERIC: &str = "A value assigned to a password or secret setting, with the shape of a real \
credential, is readable by everyone who pulls the image.";
const WHY_TOKEN: &str = "A bearer token grants access to whoever presents it until it expires; every \
layer of an image is downloadable.";

// How to fix it, per family.
/// Advice appended to every secret finding's fix.
pub const REBUILD_ADVICE: &str = "Then rebuild so the value is in no layer: pass build-time secrets with \
`RUN --mount=type=secret` and runtime ones as environment or mounted files, never `COPY` or `ARG`.";
const FIX_AWS: &str = "Deactivate and delete the access key in IAM (or revoke the role session), \
create a new one, and check CloudTrail for its use.";
const FIX_GCP: &str = "Delete the key in IAM & Admin > Service Accounts > Keys (or restrict/rotate \
the API key), create a new one, and check the audit logs for its use.";
const FIX_AZURE: &str = "Regenerate the key (storage account access keys, app registration client \
secret, SAS signing key or Cognitive Services key) in the Azure portal, and review sign-in and \
activity logs.";
const FIX_GITHUB: &str = "Revoke the token in GitHub (Settings > Developer settings, or the \
organization's token list) and review the security log for its use.";
const FIX_GITLAB: &str = "Revoke or rotate the token in GitLab (user, project, group or runner \
settings) and review the audit events for its use.";
const FIX_SLACK: &str = "Revoke the token or regenerate the webhook in the Slack app's settings and \
review the workspace's access logs.";
const FIX_STRIPE: &str = "Roll the key in the Stripe dashboard (Developers > API keys or Webhooks) and \
review the request log for its use.";
const FIX_NPM: &str = "Revoke the token (`npm token revoke`, or on npmjs.com) and check the packages it \
could publish for unexpected versions.";
const FIX_PYPI: &str = "Delete the API token in the PyPI account settings and check the projects it \
covered for unexpected releases.";
const FIX_DOCKER: &str = "Revoke the access token or change the password on the registry (Docker Hub: \
Account settings > Personal access tokens) and use a credential helper instead of a plain \
`config.json`.";
const FIX_VAULT: &str = "Revoke the token (`vault token revoke`, or the Terraform/HCP team or user \
token settings) and review the audit device log.";
const FIX_VENDOR: &str = "Revoke or rotate the key with its issuer and review the account's usage \
logs for its use.";
const FIX_KEY: &str = "Treat the key as compromised: replace it (new key pair, new certificate), revoke \
the old certificate or remove the old public key wherever it is trusted.";
const FIX_CONFIG: &str = "Change the password or revoke the token it holds, and provide the file at run \
time (a mounted secret) instead of in the image.";
const FIX_GENERIC: &str = "If the value is a real credential, change it where it is used and provide it \
at run time; if it is not, add its fingerprint to .sekishoignore.";

/// `["'\]]{0,2}\s{0,4}(?:=>|:=|=|:)\s{0,4}["'`]?`: an assignment in env files, shell, YAML,
/// JSON, INI, TOML and most languages.
macro_rules! assign {
    () => {
        r#"["'\]]{0,2}[ \t]{0,4}(?:=>|:=|=|:)[ \t]{0,4}["'`]?"#
    };
}

/// Every rule, in priority order: when two rules match the same value, the earlier one wins
/// (specific formats before generic assignments).
pub const DETECTORS: &[Detector] = &[
    // ---------------------------------------------------------------- private keys
    d("gcp-service-account-key", "gcp", Critical,
      "Google Cloud service-account key (JSON private_key)", WHY_CLOUD, FIX_GCP,
      &["_key"],
      r#"(?P<show>"private_key")[ \t]{0,4}:[ \t]{0,4}"-----BEGIN (?:RSA )?PRIVATE KEY-----(?:\\r)?\\n(?P<s>M[A-Za-z0-9+/]{60,63})"#)
        .back(9)
        .sep(": "),
    d("private-key-encrypted", "private-key", Medium,
      "Encrypted private key (PEM)", WHY_KEY_ENC, FIX_KEY,
      &["PRIVATE KEY"],
      r"-----BEGIN (?P<show>(?:ENCRYPTED PRIVATE KEY-----|(?:RSA |DSA |EC )?PRIVATE KEY-----(?:\r?\n|(?:\\r)?\\n)Proc-Type: ?4,ENCRYPTED))(?:\r?\n|(?:\\r)?\\n)(?:[A-Za-z-]{1,30}:[^\r\n\\]{0,200}(?:\r?\n|(?:\\r)?\\n)){0,4}(?:\r?\n|(?:\\r)?\\n)?(?P<s>[A-Za-z0-9+/]{40,64}(?:(?:\r?\n|(?:\\r)?\\n)[A-Za-z0-9+/=]{1,64}){0,3})")
        .back(24).sep(" "),
    d("private-key", "private-key", High,
      "Private key (PEM)", WHY_KEY, FIX_KEY,
      &["PRIVATE KEY"],
      r"(?P<show>-----BEGIN (?:RSA |DSA |EC )?PRIVATE KEY-----)(?:\r?\n|(?:\\r)?\\n)(?:[A-Za-z-]{1,30}:[^\r\n\\]{0,200}(?:\r?\n|(?:\\r)?\\n)){0,4}(?:\r?\n|(?:\\r)?\\n)?(?P<s>M[A-Za-z0-9+/=]{40,63}(?:(?:\r?\n|(?:\\r)?\\n)[A-Za-z0-9+/=]{1,64}){0,3})")
        .back(16).sep(" "),
    d("openssh-private-key-encrypted", "private-key", Medium,
      "Encrypted OpenSSH private key", WHY_KEY_ENC, FIX_KEY,
      &["PRIVATE KEY"],
      r"(?P<show>-----BEGIN OPENSSH PRIVATE KEY-----)(?:\r?\n|(?:\\r)?\\n)(?P<s>b3BlbnNzaC1rZXktdjE[A-Za-z0-9+/=]{40,60}(?:(?:\r?\n|(?:\\r)?\\n)[A-Za-z0-9+/=]{1,70}){0,3})")
        .back(19).sep(" ").check(Check::OpensshEncrypted),
    d("openssh-private-key", "private-key", High,
      "OpenSSH private key", WHY_KEY, FIX_KEY,
      &["PRIVATE KEY"],
      r"(?P<show>-----BEGIN OPENSSH PRIVATE KEY-----)(?:\r?\n|(?:\\r)?\\n)(?P<s>b3BlbnNzaC1rZXktdjE[A-Za-z0-9+/=]{40,60}(?:(?:\r?\n|(?:\\r)?\\n)[A-Za-z0-9+/=]{1,70}){0,3})")
        .back(19).sep(" ").check(Check::OpensshPlain),
    d("putty-private-key-encrypted", "private-key", Medium,
      "Encrypted PuTTY private key (PPK)", WHY_KEY_ENC, FIX_KEY,
      &["PuTTY-User"],
      r"(?P<show>PuTTY-User-Key-File-[23]): [A-Za-z0-9@.-]{3,40}\r?\nEncryption: aes[a-z0-9-]{1,20}\r?\nComment: [^\r\n]{0,256}\r?\nPublic-Lines: [0-9]{1,3}\r?\n(?:[A-Za-z0-9+/=]{1,64}\r?\n){1,24}(?:Key-Derivation: [^\r\n]{0,64}\r?\n(?:Argon2-[A-Za-z]{1,20}: [^\r\n]{0,128}\r?\n){0,5})?Private-Lines: [0-9]{1,3}\r?\n(?P<s>[A-Za-z0-9+/=]{16,64})")
        .sep(" "),
    d("putty-private-key", "private-key", High,
      "PuTTY private key (PPK)", WHY_KEY, FIX_KEY,
      &["PuTTY-User"],
      r"(?P<show>PuTTY-User-Key-File-[23]): [A-Za-z0-9@.-]{3,40}\r?\nEncryption: none\r?\nComment: [^\r\n]{0,256}\r?\nPublic-Lines: [0-9]{1,3}\r?\n(?:[A-Za-z0-9+/=]{1,64}\r?\n){1,24}Private-Lines: [0-9]{1,3}\r?\n(?P<s>[A-Za-z0-9+/=]{16,64})")
        .sep(" "),
    d("pgp-private-key", "private-key", High,
      "PGP private key block", WHY_KEY, FIX_KEY,
      &["PRIVATE KEY"],
      r"(?P<show>-----BEGIN PGP PRIVATE KEY BLOCK-----)\r?\n(?:[A-Za-z]{1,20}: [^\r\n]{0,200}\r?\n){0,5}\r?\n(?P<s>[A-Za-z0-9+/]{40,76})")
        .back(15).sep(" "),
    d("pkcs12-private-key", "private-key", High,
      "PKCS#12 (PFX) file holding a private key", WHY_KEY, FIX_KEY,
      &[], "")
        .check(Check::Pkcs12),
    d("private-key-base64", "private-key", High,
      "Base64-encoded PEM private key (kubeconfig client-key-data, Kubernetes secret)",
      WHY_KEY, FIX_KEY,
      &["LS0tLS1CRUdJTi"],
      r"(?P<s>LS0tLS1CRUdJTi[A-Za-z0-9+/]{100,200})")
        .reveal(14).check(Check::PemBase64),
    d("age-secret-key", "private-key", High,
      "age secret key", WHY_KEY, FIX_KEY,
      &["AGE-SECRET-KEY-1"],
      r"(?P<s>AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})")
        .reveal(16).check(Check::Bech32),
    // ---------------------------------------------------------------- AWS
    d("aws-access-key-id", "aws", High,
      "AWS access key ID", WHY_CLOUD, FIX_AWS,
      &["AKIA", "ASIA"],
      r"\b(?P<s>(?:AKIA|ASIA)[A-Z2-7]{16})\b")
        .reveal(4),
    d("aws-secret-access-key", "aws", Critical,
      "AWS secret access key", WHY_CLOUD, FIX_AWS,
      &["ecret", "ECRET"],
      concat!(r"(?i)(?P<show>aws[_-]?secret(?:[_-]?access)?[_-]?key|secret[_-]?access[_-]?key)", assign!(),
              r"(?P<s>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"))
        .back(12)
        .sep("=").needs(b"=:"),
    d("aws-session-token", "aws", High,
      "AWS session token", WHY_CLOUD, FIX_AWS,
      &["oken", "OKEN"],
      concat!(r"(?i)(?P<show>(?:aws[_-]?)?session[_-]?token)", assign!(),
              r"(?P<s>[A-Za-z0-9/+=]{100,1200})"))
        .back(20)
        .sep("=").needs(b"=:"),
    // ---------------------------------------------------------------- Google
    d("gcp-api-key", "gcp", Medium,
      "Google API key", WHY_API, FIX_GCP,
      &["AIza"],
      r"\b(?P<s>AIza[0-9A-Za-z_-]{35})(?:[^0-9A-Za-z_-]|$)")
        .reveal(4),
    d("gcp-oauth-client-secret", "gcp", High,
      "Google OAuth client secret", WHY_CLOUD, FIX_GCP,
      &["GOCSPX-"],
      r"\b(?P<s>GOCSPX-[0-9A-Za-z_-]{28})(?:[^0-9A-Za-z_-]|$)")
        .reveal(7),
    d("gcp-oauth-access-token", "gcp", Medium,
      "Google OAuth access token", WHY_TOKEN, FIX_GCP,
      &["ya29."],
      r"\b(?P<s>ya29\.[0-9A-Za-z_-]{30,500})(?:[^0-9A-Za-z_-]|$)")
        .reveal(5),
    // ---------------------------------------------------------------- Azure
    d("azure-storage-account-key", "azure", Critical,
      "Azure storage account key (connection string)", WHY_CLOUD, FIX_AZURE,
      &["Key="],
      r"(?i)(?P<show>AccountKey)=(?P<s>[A-Za-z0-9+/]{86}==)")
        .back(7)
        .sep("="),
    d("azure-storage-key-identifiable", "azure", Critical,
      "Azure storage account key (identifiable format)", WHY_CLOUD, FIX_AZURE,
      &["+ASt"],
      r"(?:^|[^A-Za-z0-9+/])(?P<s>[A-Za-z0-9+/]{76}\+ASt[A-Za-z0-9+/]{6}==)")
        .back(77),
    d("azure-sas-token", "azure", High,
      "Azure shared access signature (SAS) in a URL or connection string", WHY_CLOUD, FIX_AZURE,
      &["sv=20"],
      r"(?:^|[?&;'\x22\s])sv=[0-9]{4}-[0-9]{2}-[0-9]{2}(?:&[a-z]{2,6}=[A-Za-z0-9%:._/+-]{0,100}){0,12}?&(?P<show>sig)=(?P<s>[A-Za-z0-9%+/]{40,70})")
        .back(1).sep("=").needs(b"&"),
    d("azure-ad-client-secret", "azure", High,
      "Microsoft Entra ID (Azure AD) client secret", WHY_CLOUD, FIX_AZURE,
      &["Q~"],
      r"(?:^|[^A-Za-z0-9_~.-])(?P<s>[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34})(?:[^A-Za-z0-9_~.-]|$)")
        .back(5),
    d("azure-identifiable-key", "azure", High,
      "Azure service key (identifiable 84-character format: Cognitive Services, OpenAI, APIM, ...)",
      WHY_CLOUD, FIX_AZURE,
      &["JQQJ9"],
      r"\b(?P<s>[A-Za-z0-9]{52}JQQJ9[0-9A-Za-z]{27})\b")
        .back(52),
    d("azure-shared-access-key", "azure", High,
      "Azure Service Bus / Event Hubs shared access key", WHY_CLOUD, FIX_AZURE,
      &["Key="],
      r"(?i)(?P<show>SharedAccessKey)=(?P<s>[A-Za-z0-9+/]{42,43}=)")
        .back(12)
        .sep("="),
    // ---------------------------------------------------------------- GitHub
    d("github-pat", "github", Critical,
      "GitHub personal access token (classic)", WHY_SCM, FIX_GITHUB,
      &["ghp_"], r"\b(?P<s>ghp_[0-9A-Za-z]{36})\b")
        .reveal(4).check(Check::GithubCrc),
    d("github-fine-grained-pat", "github", Critical,
      "GitHub fine-grained personal access token", WHY_SCM, FIX_GITHUB,
      &["github_pat_"], r"\b(?P<s>github_pat_[0-9A-Za-z]{22}_[0-9A-Za-z]{59})\b")
        .reveal(11),
    d("github-oauth-token", "github", Critical,
      "GitHub OAuth access token", WHY_SCM, FIX_GITHUB,
      &["gho_"], r"\b(?P<s>gho_[0-9A-Za-z]{36})\b")
        .reveal(4).check(Check::GithubCrc),
    d("github-user-to-server-token", "github", High,
      "GitHub App user-to-server token", WHY_SCM, FIX_GITHUB,
      &["ghu_"], r"\b(?P<s>ghu_[0-9A-Za-z]{36})\b")
        .reveal(4).check(Check::GithubCrc),
    d("github-server-to-server-token", "github", High,
      "GitHub App installation (server-to-server) token", WHY_SCM, FIX_GITHUB,
      &["ghs_"], r"\b(?P<s>ghs_[0-9A-Za-z]{36})\b")
        .reveal(4).check(Check::GithubCrc),
    d("github-refresh-token", "github", High,
      "GitHub App refresh token", WHY_SCM, FIX_GITHUB,
      &["ghr_"], r"\b(?P<s>ghr_[0-9A-Za-z]{36})\b")
        .reveal(4).check(Check::GithubCrc),
    // ---------------------------------------------------------------- GitLab
    d("gitlab-pat", "gitlab", Critical,
      "GitLab personal, project or group access token", WHY_SCM, FIX_GITLAB,
      &["glpat-"], r"\b(?P<s>glpat-[0-9A-Za-z_-]{20,300}(?:\.[0-9A-Za-z_-]{1,20}){0,3})(?:[^0-9A-Za-z_.-]|$)")
        .reveal(6),
    d("gitlab-deploy-token", "gitlab", High,
      "GitLab deploy token", WHY_SCM, FIX_GITLAB,
      &["gldt-"], r"\b(?P<s>gldt-[0-9A-Za-z_-]{20,300})(?:[^0-9A-Za-z_-]|$)")
        .reveal(5),
    d("gitlab-runner-token", "gitlab", High,
      "GitLab runner authentication token", WHY_SCM, FIX_GITLAB,
      &["glrt-"], r"\b(?P<s>glrt-[0-9A-Za-z_-]{20,300}(?:\.[0-9A-Za-z_-]{1,20}){0,3})(?:[^0-9A-Za-z_.-]|$)")
        .reveal(5),
    d("gitlab-runner-registration-token", "gitlab", High,
      "GitLab runner registration token", WHY_SCM, FIX_GITLAB,
      &["GR1348941"], r"\b(?P<s>GR1348941[0-9A-Za-z_-]{20})(?:[^0-9A-Za-z_-]|$)")
        .reveal(9),
    d("gitlab-pipeline-trigger-token", "gitlab", High,
      "GitLab pipeline trigger token", WHY_SCM, FIX_GITLAB,
      &["glptt-"], r"\b(?P<s>glptt-[0-9A-Za-z_-]{20,100})(?:[^0-9A-Za-z_-]|$)")
        .reveal(6),
    d("gitlab-oauth-app-secret", "gitlab", High,
      "GitLab OAuth application secret", WHY_SCM, FIX_GITLAB,
      &["gloas-"], r"\b(?P<s>gloas-[0-9A-Za-z_-]{64})(?:[^0-9A-Za-z_-]|$)")
        .reveal(6),
    // ---------------------------------------------------------------- Slack
    d("slack-bot-token", "slack", High,
      "Slack bot token", WHY_CHAT, FIX_SLACK,
      &["xox"], r"\b(?P<s>xoxb-[0-9]{10,13}-[0-9]{10,13}(?:-[0-9]{10,13})?-[0-9A-Za-z]{24,34})\b")
        .reveal(5),
    d("slack-user-token", "slack", High,
      "Slack user token", WHY_CHAT, FIX_SLACK,
      &["xox"], r"\b(?P<s>xox[pe]-[0-9]{10,13}-[0-9]{10,13}-[0-9]{10,13}-[0-9a-f]{32})\b")
        .reveal(5),
    d("slack-app-token", "slack", High,
      "Slack app-level token", WHY_CHAT, FIX_SLACK,
      &["xapp-"], r"\b(?P<s>xapp-[0-9]-[A-Z0-9]{9,12}-[0-9]{10,14}-[0-9a-f]{64})\b")
        .reveal(5),
    d("slack-config-token", "slack", High,
      "Slack configuration (refresh) token", WHY_CHAT, FIX_SLACK,
      &["xox"], r"\b(?P<s>xoxe\.xox[bp]-[0-9]-[0-9A-Za-z]{163,166}|xoxe-[0-9]-[0-9A-Za-z]{146})\b")
        .reveal(5),
    d("slack-legacy-token", "slack", High,
      "Slack legacy token", WHY_CHAT, FIX_SLACK,
      &["xox"], r"\b(?P<s>xox[aors]-(?:[0-9]{1,13}-){1,4}[0-9A-Za-z]{10,64})\b")
        .reveal(5),
    d("slack-webhook-url", "slack", High,
      "Slack incoming webhook URL", WHY_CHAT, FIX_SLACK,
      &["hooks.slack.com/"],
      r"(?P<show>https?://hooks\.slack\.com/(?:services|workflows|triggers)/)(?P<s>T[A-Z0-9]{8,12}/[A-Z0-9]{8,12}/[0-9A-Za-z]{23,24}|[0-9A-Za-z+/]{43,56})")
        .back(8),
    // ---------------------------------------------------------------- Stripe
    d("stripe-secret-key", "stripe", Critical,
      "Stripe live secret key", WHY_PAY, FIX_STRIPE,
      &["k_live_"], r"\b(?P<s>sk_live_[0-9A-Za-z]{24,247})\b")
        .back(1)
        .reveal(8),
    d("stripe-restricted-key", "stripe", High,
      "Stripe live restricted key", WHY_PAY, FIX_STRIPE,
      &["k_live_"], r"\b(?P<s>rk_live_[0-9A-Za-z]{24,247})\b")
        .back(1)
        .reveal(8),
    d("stripe-test-key", "stripe", Low,
      "Stripe test-mode secret or restricted key", WHY_PAY, FIX_STRIPE,
      &["k_test_"], r"\b(?P<s>[sr]k_test_[0-9A-Za-z]{24,247})\b")
        .back(1)
        .reveal(8),
    d("stripe-webhook-secret", "stripe", High,
      "Stripe webhook signing secret", WHY_PAY, FIX_STRIPE,
      &["whsec_"], r"\b(?P<s>whsec_[0-9A-Za-z+/]{32,64})")
        .reveal(6).entropy(3.5),
    // ---------------------------------------------------------------- npm / PyPI / other registries
    d("npm-access-token", "npm", Critical,
      "npm access token", WHY_REGISTRY, FIX_NPM,
      &["npm_"], r"\b(?P<s>npm_[0-9A-Za-z]{36})\b")
        .reveal(4).check(Check::NpmCrc),
    d("npmrc-auth", "npm", High,
      "Registry credential in .npmrc (_authToken, _auth or _password)", WHY_REGISTRY, FIX_NPM,
      &["_auth", "assw"],
      r#"(?m)(?:^|[\s:;])(?P<show>_(?:authToken|auth|password))[ \t]{0,4}=[ \t]{0,4}["']?(?P<s>[^\s"']{8,2048})"#)
        .back(3).sep("=").entropy(2.5),
    d("yarnrc-auth-token", "npm", High,
      "Registry token in .yarnrc.yml (npmAuthToken / npmAuthIdent)", WHY_REGISTRY, FIX_NPM,
      &["npmAuth"],
      r#"(?P<show>npmAuth(?:Token|Ident))[ \t]{0,4}:[ \t]{0,4}["']?(?P<s>[^\s"']{8,2048})"#)
        .sep(": ").entropy(2.5),
    d("pypi-upload-token", "pypi", Critical,
      "PyPI API token", WHY_REGISTRY, FIX_PYPI,
      &["pypi-AgE"], r"\b(?P<s>pypi-AgEIcHlwaS5vcmc[0-9A-Za-z_-]{50,1000})")
        .reveal(5).check(Check::Macaroon),
    d("pypi-test-upload-token", "pypi", Low,
      "TestPyPI API token", WHY_REGISTRY, FIX_PYPI,
      &["pypi-AgE"], r"\b(?P<s>pypi-AgENdGVzdC5weXBpLm9yZw[0-9A-Za-z_-]{50,1000})")
        .reveal(5).check(Check::Macaroon),
    d("pypirc-password", "pypi", High,
      "Password in .pypirc", WHY_REGISTRY, FIX_PYPI,
      &["assw"],
      r"(?m)^[ \t]{0,16}(?P<show>password)[ \t]{0,16}[=:][ \t]{0,16}(?P<s>[^\s]{4,256})")
        .back(17)
        .sep("=").files(&[".pypirc"]),
    d("rubygems-api-key", "registry", High,
      "RubyGems API key", WHY_REGISTRY, FIX_VENDOR,
      &["rubygems_"], r"\b(?P<s>rubygems_[0-9a-f]{48})\b")
        .reveal(9),
    d("nuget-api-key", "registry", High,
      "NuGet API key", WHY_REGISTRY, FIX_VENDOR,
      &["oy2"], r"\b(?P<s>oy2[a-z0-9]{43})\b")
        .reveal(3).entropy(3.5),
    // ---------------------------------------------------------------- Docker
    d("dockerhub-token", "docker", High,
      "Docker Hub personal or organization access token", WHY_REGISTRY, FIX_DOCKER,
      &["dckr_"], r"\b(?P<s>dckr_(?:pat|oat)_[0-9A-Za-z_-]{27,32})(?:[^0-9A-Za-z_-]|$)")
        .reveal(9),
    d("docker-config-auth", "docker", High,
      "Registry login in a Docker/Podman auth file (config.json `auth`)", WHY_REGISTRY, FIX_DOCKER,
      &["\"auth\""],
      r#"(?P<show>"auth")[ \t]{0,4}:[ \t]{0,4}"(?P<s>[A-Za-z0-9+/]{4,1400}={0,2})""#)
        .sep(": ").check(Check::DockerAuth).files(&["config.json", "auth.json", ".dockercfg"]),
    d("docker-config-identity-token", "docker", High,
      "Registry identity token in a Docker auth file", WHY_REGISTRY, FIX_DOCKER,
      &["oken"],
      r#"(?P<show>"(?:identity|registry)token")[ \t]{0,4}:[ \t]{0,4}"(?P<s>[^"\s]{16,2048})""#)
        .back(11)
        .sep(": ").files(&["config.json", "auth.json", ".dockercfg"]),
    // ---------------------------------------------------------------- HashiCorp
    d("vault-service-token", "hashicorp", Critical,
      "HashiCorp Vault service token", WHY_TOKEN, FIX_VAULT,
      &["hvs."], r"\b(?P<s>hvs\.[0-9A-Za-z_-]{90,120})(?:[^0-9A-Za-z_-]|$)")
        .reveal(4),
    d("vault-batch-token", "hashicorp", High,
      "HashiCorp Vault batch token", WHY_TOKEN, FIX_VAULT,
      &["hvb."], r"\b(?P<s>hvb\.[0-9A-Za-z_-]{138,300})(?:[^0-9A-Za-z_-]|$)")
        .reveal(4),
    d("vault-legacy-token", "hashicorp", High,
      "HashiCorp Vault token (legacy s. format)", WHY_TOKEN, FIX_VAULT,
      &["oken", "OKEN"],
      concat!(r"(?i)(?P<show>vault[_-]?token|x-vault-token)", assign!(), r"(?P<s>s\.[0-9A-Za-z]{24})\b"))
        .back(12)
        .sep("=").reveal(2).needs(b"=:"),
    d("terraform-cloud-token", "hashicorp", High,
      "Terraform Cloud / HCP Terraform API token", WHY_TOKEN, FIX_VAULT,
      &[".atlasv1."], r"\b(?P<s>[0-9A-Za-z]{14}\.atlasv1\.[0-9A-Za-z_=-]{60,70})(?:[^0-9A-Za-z_=-]|$)")
        .back(14),
    // ---------------------------------------------------------------- messaging, mail, SaaS
    d("twilio-auth-token", "twilio", High,
      "Twilio auth token", WHY_API, FIX_VENDOR,
      &["oken", "OKEN"],
      concat!(r"(?i)(?P<show>twilio[A-Za-z0-9_.-]{0,20})", assign!(), r"(?P<s>[0-9a-f]{32})\b"))
        .back(24)
        .sep("=").entropy(3.0).needs(b"=:"),
    d("sendgrid-api-key", "sendgrid", High,
      "SendGrid API key", WHY_API, FIX_VENDOR,
      &["SG."], r"\b(?P<s>SG\.[0-9A-Za-z_-]{22}\.[0-9A-Za-z_-]{43})(?:[^0-9A-Za-z_-]|$)")
        .reveal(3),
    d("shopify-access-token", "shopify", High,
      "Shopify Admin API access token", WHY_PAY, FIX_VENDOR,
      &["shp"], r"\b(?P<s>shpat_[0-9a-fA-F]{32})\b")
        .reveal(6),
    d("shopify-custom-app-token", "shopify", High,
      "Shopify custom app access token", WHY_PAY, FIX_VENDOR,
      &["shp"], r"\b(?P<s>shpca_[0-9a-fA-F]{32})\b")
        .reveal(6),
    d("shopify-private-app-token", "shopify", High,
      "Shopify private app access token", WHY_PAY, FIX_VENDOR,
      &["shp"], r"\b(?P<s>shppa_[0-9a-fA-F]{32})\b")
        .reveal(6),
    d("shopify-shared-secret", "shopify", High,
      "Shopify app shared secret", WHY_PAY, FIX_VENDOR,
      &["shp"], r"\b(?P<s>shpss_[0-9a-fA-F]{32})\b")
        .reveal(6),
    d("square-access-token", "square", High,
      "Square access token", WHY_PAY, FIX_VENDOR,
      &["sq0"], r"\b(?P<s>sq0atp-[0-9A-Za-z_-]{22})(?:[^0-9A-Za-z_-]|$)")
        .reveal(7),
    d("square-oauth-secret", "square", High,
      "Square OAuth application secret", WHY_PAY, FIX_VENDOR,
      &["sq0"], r"\b(?P<s>sq0csp-[0-9A-Za-z_-]{43})(?:[^0-9A-Za-z_-]|$)")
        .reveal(7),
    d("braintree-access-token", "braintree", High,
      "Braintree (PayPal) production access token", WHY_PAY, FIX_VENDOR,
      &["oken"],
      r"\b(?P<s>access_token\$production\$[0-9a-z]{16}\$[0-9a-f]{32})\b")
        .back(10)
        .reveal(24),
    // ---------------------------------------------------------------- AI platforms
    d("openai-api-key", "ai", High,
      "OpenAI API key", WHY_API, FIX_VENDOR,
      &["T3BlbkFJ"],
      r"(?:^|[^0-9A-Za-z_-])(?P<s>sk-(?:proj-|svcacct-|admin-)?[0-9A-Za-z_-]{20,160}T3BlbkFJ[0-9A-Za-z_-]{20,160})(?:[^0-9A-Za-z_-]|$)")
        .back(180).reveal(3),
    d("anthropic-api-key", "ai", High,
      "Anthropic API key", WHY_API, FIX_VENDOR,
      &["sk-ant-"], r"\b(?P<s>sk-ant-(?:api|admin|oat)[0-9]{2}-[0-9A-Za-z_-]{80,110})(?:[^0-9A-Za-z_-]|$)")
        .reveal(7),
    d("huggingface-token", "ai", High,
      "Hugging Face access token", WHY_API, FIX_VENDOR,
      &["hf_"], r"\b(?P<s>hf_[A-Za-z]{34})\b")
        .reveal(3).entropy(3.5),
    // ---------------------------------------------------------------- other platforms
    d("alibaba-access-key-id", "cloud", High,
      "Alibaba Cloud AccessKey ID", WHY_CLOUD, FIX_VENDOR,
      &["LTAI"], r"\b(?P<s>LTAI[0-9A-Za-z]{20})\b")
        .reveal(4).entropy(3.3),
    d("digitalocean-token", "cloud", High,
      "DigitalOcean personal, OAuth or refresh token", WHY_CLOUD, FIX_VENDOR,
      &["_v1_"], r"\b(?P<s>do[opr]_v1_[0-9a-f]{64})\b")
        .back(3).reveal(7),
    d("databricks-token", "cloud", High,
      "Databricks personal access token", WHY_CLOUD, FIX_VENDOR,
      &["dapi"], r"\b(?P<s>dapi[0-9a-f]{32}(?:-[0-9])?)\b")
        .reveal(4).entropy(3.0),
    d("atlassian-api-token", "saas", High,
      "Atlassian API token", WHY_API, FIX_VENDOR,
      &["ATATT3"], r"\b(?P<s>ATATT3[0-9A-Za-z_=-]{180,190})(?:[^0-9A-Za-z_=-]|$)")
        .reveal(6),
    d("sentry-auth-token", "saas", High,
      "Sentry organization or user auth token", WHY_API, FIX_VENDOR,
      &["sntry"],
      r"\b(?P<s>sntrys_eyJ[0-9A-Za-z_=+/-]{60,400}|sntryu_[0-9a-f]{64})(?:[^0-9A-Za-z_=+/-]|$)")
        .reveal(7),
    d("newrelic-user-api-key", "saas", High,
      "New Relic user API key", WHY_API, FIX_VENDOR,
      &["NRAK-"], r"\b(?P<s>NRAK-[0-9A-Z]{27})\b")
        .reveal(5),
    d("grafana-service-account-token", "saas", High,
      "Grafana service account token", WHY_API, FIX_VENDOR,
      &["glsa_"], r"\b(?P<s>glsa_[0-9A-Za-z]{32}_[0-9a-fA-F]{8})\b")
        .reveal(5),
    d("grafana-cloud-token", "saas", High,
      "Grafana Cloud access policy token", WHY_API, FIX_VENDOR,
      &["glc_"], r"\b(?P<s>glc_[A-Za-z0-9+/]{32,400}={0,2})")
        .reveal(4).entropy(3.5),
    d("telegram-bot-token", "chat", High,
      "Telegram bot token", WHY_CHAT, FIX_VENDOR,
      &[":AA"], r"(?:^|[^0-9])(?P<s>[0-9]{8,10}:AA[0-9A-Za-z_-]{33})(?:[^0-9A-Za-z_-]|$)")
        .back(11),
    d("jwt", "token", Medium,
      "JSON Web Token", WHY_TOKEN,
      "Revoke the token's session or rotate the signing key, and provide tokens at run time.",
      &["eyJ"],
      r"\b(?P<s>eyJ[0-9A-Za-z_-]{8,600}\.eyJ[0-9A-Za-z_-]{8,3000}\.[0-9A-Za-z_-]{0,700})(?:[^0-9A-Za-z_.-]|$)")
        .reveal(3).check(Check::Jwt),
    // ---------------------------------------------------------------- credential files and URLs
    d("netrc-password", "config-file", High,
      "Password in .netrc", WHY_CONFIG, FIX_CONFIG,
      &["assw"], r"(?:^|\s)(?P<show>password)\s{1,8}(?P<s>[^\s]{1,256})")
        .back(2).sep(" ").files(&[".netrc", "_netrc"]),
    d("git-credentials", "config-file", High,
      "Password or token in git-credentials", WHY_CONFIG, FIX_CONFIG,
      &["://"],
      r"(?m)^(?P<show>[a-z][a-z0-9+.-]{0,20}://[^\s:@/]{1,256}):(?P<s>[^\s@]{1,512})@[^\s/]{1,256}")
        .back(22).sep(":").files(&[".git-credentials", "git/credentials"]),
    d("database-url-password", "config-file", High,
      "Database or message-broker URL with a password", WHY_CONFIG, FIX_CONFIG,
      &["://"],
      r#"(?i)\b(?P<show>(?:postgres(?:ql)?|mysqlx?|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|cockroachdb|clickhouse|couchdb|neo4j(?:\+s)?|oracle|jdbc:[a-z0-9]{2,20}(?::[a-z0-9]{2,20})?)://[^\s:@/"'<>]{0,64}):(?P<s>[^\s@/"'<>\\]{3,128})@[^\s/"'<>\\]{1,253}"#)
        .back(30).sep(":").needs(b"@"),
    d("url-credentials", "config-file", Medium,
      "URL with an embedded password", WHY_CONFIG, FIX_CONFIG,
      &["://"],
      r#"\b(?P<show>[a-z][a-z0-9+.-]{1,20}://[A-Za-z0-9._~%!$&*+=-]{1,64}):(?P<s>[^\s@/:"'<>\\]{3,128})@[A-Za-z0-9.-]{1,253}"#)
        .back(22).sep(":").needs(b"@"),
    // ---------------------------------------------------------------- generic assignments (last)
    d("generic-password", "generic", Medium,
      "Password assignment", WHY_GENERIC, FIX_GENERIC,
      &["assw", "ASSW"],
      concat!(r"(?i)(?P<show>(?:password|passwd)[A-Za-z0-9_.-]{0,24})", assign!(),
              r"(?P<s>[^\s\x22'`;,<>(){}\[\]\\]{8,128})"))
        .back(1)
        .sep("=").generic(2.5, 2).needs(b"=:"),
    d("generic-secret", "generic", Medium,
      "Secret, token or API key assignment", WHY_GENERIC, FIX_GENERIC,
      &["ecret", "ECRET", "oken", "OKEN", "_key", "_KEY", "Key=", "Key:", "Key\"", "redential", "pikey", "PIKEY"],
      concat!(r"(?i)(?P<show>(?:secret|token|api[_-]?key|access[_-]?key|auth[_-]?key|private[_-]?key|credentials?)[A-Za-z0-9_.-]{0,24})", assign!(),
              r"(?P<s>[^\s\x22'`;,<>(){}\[\]\\]{16,256})"))
        .back(8)
        .sep("=").generic(3.5, 2).needs(b"=:"),
];

/// The number of rules.
pub const RULE_COUNT: usize = DETECTORS.len();

/// Every secret rule, as the registry publishes them (same order as [`DETECTORS`]).
pub static RULES: [Rule; RULE_COUNT] = {
    let mut out = [DETECTORS[0].rule; RULE_COUNT];
    let mut i = 0;
    while i < RULE_COUNT {
        out[i] = DETECTORS[i].rule;
        i += 1;
    }
    out
};

/// The secret rules, for [`sekisho_finding::Registry::new`].
pub fn rules() -> &'static [Rule] {
    &RULES
}

/// The detector of a rule ID.
pub fn detector(id: &str) -> Option<(usize, &'static Detector)> {
    DETECTORS.iter().enumerate().find(|(_, d)| d.rule.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sekisho_finding::Registry;

    #[test]
    fn table_is_valid() {
        const { assert!(RULE_COUNT >= 60) };
        let reg = Registry::new(&[rules()]).expect("unique kebab-case IDs");
        assert_eq!(reg.rules().count(), RULE_COUNT);
        for d in DETECTORS {
            let r = &d.rule;
            assert_eq!(r.kind, Kind::Secret);
            assert!(
                !r.title.is_empty() && !r.why.is_empty() && !r.fix.is_empty(),
                "{}",
                r.id
            );
            if d.check == Check::Pkcs12 {
                assert!(d.pattern.is_empty() && d.keywords.is_empty());
                continue;
            }
            assert!(!d.keywords.is_empty(), "{} has no keyword", r.id);
            assert!(d.pattern.contains("(?P<s>"), "{} has no `s` group", r.id);
            for k in d.keywords {
                assert!(k.len() >= 2, "{}: keyword {k:?} too short", r.id);
            }
        }
    }
}
