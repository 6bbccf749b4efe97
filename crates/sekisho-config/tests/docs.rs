//! `docs/config-checks.md` carries the check table generated from `sekisho_config::checks`;
//! this test fails when the page is stale. `SEKISHO_UPDATE_DOCS=1 cargo test -p
//! sekisho-config --test docs` rewrites the generated part.

use sekisho_config::docs::{BEGIN, END, markdown_table};

#[test]
fn config_checks_page_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/config-checks.md");
    let page = std::fs::read_to_string(path).expect("docs/config-checks.md");
    let (head, rest) = page.split_once(BEGIN).expect("begin marker");
    let (_, tail) = rest.split_once(END).expect("end marker");
    let want = format!("{head}{BEGIN}\n{}{END}{tail}", markdown_table());
    if page != want {
        if std::env::var_os("SEKISHO_UPDATE_DOCS").is_some() {
            std::fs::write(path, &want).unwrap();
            return;
        }
        panic!(
            "docs/config-checks.md is stale: run SEKISHO_UPDATE_DOCS=1 cargo test -p sekisho-config --test docs"
        );
    }
}
