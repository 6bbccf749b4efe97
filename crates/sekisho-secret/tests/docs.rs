//! `docs/secrets.md` carries the rule table generated from `sekisho_secret::rules`; this test
//! fails when the page is stale. `SEKISHO_UPDATE_DOCS=1 cargo test -p sekisho-secret --test docs`
//! rewrites the generated part.

use sekisho_secret::docs::{BEGIN, END, markdown_table};

#[test]
fn secrets_page_lists_every_rule() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/secrets.md");
    let page = std::fs::read_to_string(path).expect("docs/secrets.md");
    let (head, rest) = page.split_once(BEGIN).expect("begin marker");
    let (_, tail) = rest.split_once(END).expect("end marker");
    let want = format!("{head}{BEGIN}\n{}{END}{tail}", markdown_table());
    if page != want {
        if std::env::var_os("SEKISHO_UPDATE_DOCS").is_some() {
            std::fs::write(path, &want).unwrap();
            return;
        }
        panic!(
            "docs/secrets.md is stale: run SEKISHO_UPDATE_DOCS=1 cargo test -p sekisho-secret --test docs"
        );
    }
    for r in sekisho_secret::rules::rules() {
        assert!(page.contains(&format!("`{}`", r.id)), "{} not listed", r.id);
    }
}
