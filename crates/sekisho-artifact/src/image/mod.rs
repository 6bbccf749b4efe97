//! Container images, whatever way a user hands them to us, turned into [`LayerSource`]s.
//!
//! Sources (all resolve to the same [`OpenedImage`]: a manifest, a config and one streamed
//! [`TarLayer`] per layer):
//! - a registry over the OCI distribution API v2 ([`registry`]),
//! - a `docker save` archive or an OCI archive, optionally gzip-compressed ([`archive`]),
//! - an OCI image layout directory `DIR[:TAG]` ([`layout`]).
//!
//! Every blob is streamed once and its sha256 checked while it streams; nothing is extracted.
//!
//! [`LayerSource`]: crate::layer::LayerSource

pub mod archive;
pub mod auth;
pub mod config;
pub mod layout;
pub mod manifest;
pub mod reference;
pub mod registry;
pub mod resolve;
pub mod tar_layer;

use std::io;

use sha2::{Digest as _, Sha256};

pub use config::ImageMeta;
pub use manifest::Platform;
pub use resolve::OpenedImage;
pub use tar_layer::{BlobOpener, Limits, TarLayer};

/// Why an image could not be opened. Messages name the file, registry, digest or step.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// Malformed or unsupported input.
    #[error("{what}: {message}")]
    Invalid { what: String, message: String },
    #[error("reading {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    /// A registry step (ping, auth, manifest, blob) failed.
    #[error("registry {registry}: {step}: {message}")]
    Registry {
        registry: String,
        step: String,
        message: String,
    },
    #[error("{what}: digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        what: String,
        expected: String,
        actual: String,
    },
    /// No manifest in an index matches the requested platform.
    #[error("{what}: no image for platform {wanted}; available: {available}")]
    NoPlatform {
        what: String,
        wanted: String,
        available: String,
    },
}

impl ImageError {
    pub(crate) fn invalid(what: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            what: what.into(),
            message: message.into(),
        }
    }
    pub(crate) fn io(path: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

/// A validated `sha256:<64 hex>` digest. Only sha256 is accepted: it is what every registry and
/// `docker save` uses, and validating the hex keeps digests safe to use as file names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(String);

impl Digest {
    pub fn parse(s: &str) -> Result<Self, ImageError> {
        let Some(hex) = s.strip_prefix("sha256:") else {
            return Err(ImageError::invalid(
                format!("digest {s:?}"),
                "only sha256 digests are supported",
            ));
        };
        if hex.len() != 64
            || !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(ImageError::invalid(
                format!("digest {s:?}"),
                "not 64 lowercase hex digits",
            ));
        }
        Ok(Self(s.to_string()))
    }
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(format!("sha256:{}", hex::encode(Sha256::digest(bytes))))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The 64 hex digits.
    pub fn hex(&self) -> &str {
        &self.0[7..]
    }
    /// Fail unless `bytes` hash to this digest.
    pub fn verify(&self, what: &str, bytes: &[u8]) -> Result<(), ImageError> {
        let got = Self::of(bytes);
        if &got != self {
            return Err(ImageError::DigestMismatch {
                what: what.to_string(),
                expected: self.0.clone(),
                actual: got.0,
            });
        }
        Ok(())
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Read at most `cap` bytes of a small document (manifest, config, index); larger is an error.
pub(crate) fn read_capped(r: impl io::Read, cap: u64, what: &str) -> Result<Vec<u8>, ImageError> {
    use io::Read as _;
    let mut buf = Vec::new();
    r.take(cap + 1)
        .read_to_end(&mut buf)
        .map_err(|e| ImageError::io(what, e))?;
    if buf.len() as u64 > cap {
        return Err(ImageError::invalid(
            what,
            format!("larger than the {cap} byte limit for this kind of document"),
        ));
    }
    Ok(buf)
}

/// Largest manifest, index or `manifest.json` we read.
pub const MAX_MANIFEST_BYTES: u64 = 4 << 20;
/// Largest image config we read.
pub const MAX_CONFIG_BYTES: u64 = 32 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_validated() {
        let d = Digest::of(b"hello");
        assert_eq!(Digest::parse(d.as_str()).unwrap(), d);
        assert!(Digest::parse("sha256:../../etc/passwd").is_err());
        assert!(Digest::parse("sha512:abcd").is_err());
        assert!(Digest::parse(&format!("sha256:{}", "A".repeat(64))).is_err());
        assert!(d.verify("x", b"hello").is_ok());
        assert!(matches!(
            d.verify("x", b"hellO"),
            Err(ImageError::DigestMismatch { .. })
        ));
    }
}
