//! Building a [`Policy`] from files a user names: VEX documents and the ignore file (the
//! default `.sekishoignore` is looked for in [`Environment::cwd`], never the process's).

use std::path::PathBuf;

use sekisho_finding::Severity;
use sekisho_policy::Policy;

use crate::env::Environment;
use crate::error::{ErrorKind, ScanError};

/// What a user asked to see, as paths and flags.
#[derive(Debug, Clone, Default)]
pub struct PolicySpec {
    /// VEX documents (OpenVEX JSON or CycloneDX VEX).
    pub vex: Vec<PathBuf>,
    /// The ignore file; `None`: `.sekishoignore` in the environment's directory, when present.
    pub ignore_file: Option<PathBuf>,
    /// Only these severities (empty: all).
    pub severities: Vec<Severity>,
    pub ignore_unfixed: bool,
    pub show_all_statuses: bool,
    /// Show informational notices (RustSec unmaintained, unsound) with the findings.
    pub show_informational: bool,
}

/// Largest VEX document read.
const MAX_VEX_BYTES: u64 = 64 << 20;

fn read_capped(p: &std::path::Path, what: &str, cap: u64) -> Result<Vec<u8>, ScanError> {
    use std::io::Read;
    let f = std::fs::File::open(p).map_err(|e| {
        ScanError::with_source(
            ErrorKind::Policy,
            format!("cannot read {what} {}", p.display()),
            e,
        )
    })?;
    let mut buf = Vec::new();
    f.take(cap + 1).read_to_end(&mut buf).map_err(|e| {
        ScanError::with_source(
            ErrorKind::Policy,
            format!("cannot read {what} {}", p.display()),
            e,
        )
    })?;
    if buf.len() as u64 > cap {
        return Err(ScanError::new(
            ErrorKind::Limit,
            format!("{what} {} is larger than {cap} bytes", p.display()),
        ));
    }
    Ok(buf)
}

impl PolicySpec {
    /// Read the files and build the policy.
    ///
    /// # Errors
    /// [`ErrorKind::Policy`] naming the file (and line) that could not be read or parsed.
    pub fn load(&self, env: &Environment) -> Result<Policy, ScanError> {
        let mut vex = Vec::new();
        for f in &self.vex {
            let p = env.resolve(f);
            let bytes = read_capped(&p, "VEX", MAX_VEX_BYTES)?;
            vex.push(
                sekisho_policy::vex::parse(&f.display().to_string(), &bytes).map_err(|e| {
                    ScanError::with_source(
                        ErrorKind::Policy,
                        format!("bad VEX document {}", f.display()),
                        e,
                    )
                })?,
            );
        }
        let ignore_path = match &self.ignore_file {
            Some(p) => Some((p.clone(), env.resolve(p))),
            None => env
                .cwd
                .as_ref()
                .map(|c| c.join(".sekishoignore"))
                .filter(|p| p.is_file())
                .map(|p| (PathBuf::from(".sekishoignore"), p)),
        };
        let ignore = match ignore_path {
            Some((shown, p)) => {
                let bytes = read_capped(
                    &p,
                    "ignore file",
                    sekisho_policy::ignore::MAX_IGNORE_BYTES as u64,
                )?;
                let text = String::from_utf8(bytes).map_err(|_| {
                    ScanError::new(
                        ErrorKind::Policy,
                        format!("ignore file {} is not UTF-8", shown.display()),
                    )
                })?;
                Some(
                    sekisho_policy::ignore::parse(&shown.display().to_string(), &text).map_err(
                        |e| {
                            ScanError::with_source(
                                ErrorKind::Policy,
                                format!("bad ignore file {}", shown.display()),
                                e,
                            )
                        },
                    )?,
                )
            }
            None => None,
        };
        Ok(Policy {
            vex,
            ignore,
            severities: (!self.severities.is_empty()).then(|| self.severities.clone()),
            ignore_unfixed: self.ignore_unfixed,
            show_all_statuses: self.show_all_statuses,
            show_informational: self.show_informational,
            // Expiry dates are checked against the real date, even when reports are dated
            // `SOURCE_DATE_EPOCH`.
            today: None,
        })
    }
}
