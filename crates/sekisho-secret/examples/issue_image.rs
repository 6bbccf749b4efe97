//! Write the issue-15 test image for peer comparisons (`bench/secret-peers.sh`):
//! `DIR/oci` (an OCI layout tagged `test`), `DIR/layers/N/` (each layer's files as written,
//! whiteouts as `.wh.` files), `DIR/values.txt` (the planted values, one per line, for leak
//! greps; never commit it).

use sekisho_secret::fixture::{Entry, issue_image, write_oci_layout};

fn main() -> std::io::Result<()> {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).expect("usage: issue_image DIR"));
    let img = issue_image();
    write_oci_layout(&dir.join("oci"), "test", &img.image)?;
    for (i, l) in img.image.layers.iter().enumerate() {
        let root = dir.join("layers").join(i.to_string());
        for e in &l.entries {
            match e {
                Entry::File { path, data, .. } => {
                    let p = root.join(path);
                    std::fs::create_dir_all(p.parent().unwrap_or(&root))?;
                    std::fs::write(p, data)?;
                }
                Entry::Dir { path } => std::fs::create_dir_all(root.join(path))?,
                Entry::Symlink { path, .. } | Entry::Whiteout { path } => {
                    let (d, n) = path.rsplit_once('/').unwrap_or(("", path));
                    std::fs::create_dir_all(root.join(d))?;
                    std::fs::write(root.join(d).join(format!(".wh.{n}")), b"")?;
                }
                Entry::Opaque { dir: d } => {
                    std::fs::create_dir_all(root.join(d))?;
                    std::fs::write(root.join(d).join(".wh..wh..opq"), b"")?;
                }
            }
        }
    }
    std::fs::write(dir.join("values.txt"), img.values().join("\n") + "\n")?;
    Ok(())
}
