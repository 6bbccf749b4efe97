//! Reports: every output format sekisho writes, with no knowledge of how findings were made.
//!
//! - [`model`]: the `scan` and `sbom` documents (sekisho's JSON, schema version 1, documented in
//!   `docs/json-schema.md`); every other format is rendered from them.
//! - [`table`]: the default human format (NO_COLOR honoured by the caller's `color` flag).
//! - [`sarif`]: SARIF 2.1.0 for code-scanning dashboards.
//! - [`cyclonedx`]: CycloneDX 1.6 SBOMs, with vulnerabilities for scans.
//! - [`spdx`]: SPDX 2.3 JSON SBOMs.
//! - [`html`]: one self-contained HTML file for people (charts, fix plan, filterable findings).

#![forbid(unsafe_code)]

pub mod cyclonedx;
pub mod html;
pub mod license;
pub mod model;
pub mod sarif;
pub mod spdx;
pub mod summary;
pub mod table;

use std::io::{self, Write};

pub use model::{
    ConfigSummary, DbInfo, HistoryStep, ImageInfo, PartitionInfo, SCHEMA_VERSION, SbomReport,
    ScanReport, ScanTarget, Summary, Target, Tool,
};

/// Formats of a vulnerability report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanFormat {
    Table,
    Json,
    Sarif,
    CycloneDx,
    /// One self-contained HTML file.
    Html,
}

/// Formats of an inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SbomFormat {
    CycloneDx,
    SpdxJson,
    Json,
    Table,
}

fn write_json(v: &impl serde::Serialize, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, v).map_err(io::Error::other)?;
    writeln!(out)
}

/// How to render: colour, and the terminal width tables fit (`None`: no limit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderOptions {
    pub color: bool,
    pub width: Option<usize>,
}

/// Write `report` in `format`, tables fitted to `opts.width`.
///
/// # Errors
/// When writing fails.
pub fn render_scan_with(
    report: &ScanReport,
    format: ScanFormat,
    out: &mut dyn Write,
    opts: &RenderOptions,
) -> io::Result<()> {
    match format {
        ScanFormat::Table => table::render_scan_width(report, out, opts.color, opts.width),
        other => render_scan(report, other, out, opts.color),
    }
}

/// Write `report` in `format`.
///
/// # Errors
/// When writing fails.
pub fn render_scan(
    report: &ScanReport,
    format: ScanFormat,
    out: &mut dyn Write,
    color: bool,
) -> io::Result<()> {
    match format {
        ScanFormat::Table => table::render_scan(report, out, color),
        ScanFormat::Json => write_json(report, out),
        ScanFormat::Sarif => write_json(&sarif::document(report), out),
        ScanFormat::CycloneDx => write_json(&cyclonedx::vulnerability_document(report), out),
        ScanFormat::Html => html::render(report, out),
    }
}

/// Write `report` in `format`.
///
/// # Errors
/// When writing fails.
pub fn render_sbom(
    report: &SbomReport,
    format: SbomFormat,
    out: &mut dyn Write,
    color: bool,
) -> io::Result<()> {
    match format {
        SbomFormat::Table => table::render_sbom(report, out, color),
        SbomFormat::Json => write_json(report, out),
        SbomFormat::SpdxJson => write_json(&spdx::document(report), out),
        SbomFormat::CycloneDx => write_json(&cyclonedx::sbom_document(report), out),
    }
}
