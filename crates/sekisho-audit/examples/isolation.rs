//! A minimal driver without the CLI: `isolation [--host] [--no-probe]` prints the JSON report.
//! Handy for trying the auditor inside a sandbox without building the whole `sekisho` binary.

use sekisho_audit::host::RealHost;
use sekisho_audit::{hostview, inside};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = if args.iter().any(|a| a == "--host") {
        serde_json::to_string_pretty(&hostview::audit(&RealHost, 1_000_000).expect("host view"))
    } else {
        let probe = !args.iter().any(|a| a == "--no-probe");
        serde_json::to_string_pretty(
            &inside::audit(&RealHost, &inside::Options { pid: None, probe }).expect("audit"),
        )
    };
    println!("{}", out.expect("json"));
}
