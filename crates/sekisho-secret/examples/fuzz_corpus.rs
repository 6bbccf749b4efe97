//! Write the seed corpora of the secret fuzz targets (`fuzz/corpus/secret_*`): one synthetic
//! sample per rule, the decoys, history lines, checksum lists and encoded results.

use sekisho_secret::fixture::{decoys, sample};

fn main() -> std::io::Result<()> {
    let root = std::path::PathBuf::from(std::env::args().nth(1).expect("usage: fuzz_corpus DIR"));
    let put = |t: &str, name: &str, data: &[u8]| -> std::io::Result<()> {
        let d = root.join(t);
        std::fs::create_dir_all(&d)?;
        std::fs::write(d.join(name), data)
    };
    for d in sekisho_secret::DETECTORS {
        if let Some(s) = sample(d.rule.id, 1) {
            // Byte 0 picks the file class, bytes 1-2 the chunk size.
            let class = match s.file.rsplit('/').next().unwrap_or("") {
                ".npmrc" => 1u8,
                ".netrc" => 2,
                "config.json" => 3,
                _ => 0,
            };
            let mut v = vec![class, 7, 0];
            v.extend_from_slice(s.text.as_bytes());
            put("secret_scan", d.rule.id, &v)?;
        }
    }
    let all: String = decoys().into_iter().map(|(_, t)| t + "\n").collect();
    put("secret_scan", "decoys", format!("\0\x01\0{all}").as_bytes())?;
    for (i, l) in [
        "RUN |2 NPM_TOKEN=abc HTTP_PROXY=http://p:3128 /bin/sh -c npm ci # buildkit",
        "/bin/sh -c #(nop)  ENV DB_PASSWORD=x",
        "COPY file:abc in /app",
        "RUN |1 A=b",
    ]
    .iter()
    .enumerate()
    {
        put("secret_config", &format!("history-{i}"), l.as_bytes())?;
    }
    put(
        "secret_vendor",
        "md5sums",
        b"d41d8cd98f00b204e9800998ecf8427e  usr/share/doc/x/README\n0123456789abcdef0123456789abcdef *usr/bin/x\n",
    )?;
    put(
        "secret_vendor",
        "record",
        b"requests/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n\"a,b.py\",,\n",
    )?;
    put(
        "secret_vendor",
        "encoded",
        b"s1\t120\t-\t-\t-\ngithub-pat\t2\t14\t20\t60\t4c5a656a66a28d58\tghp_****\n",
    )?;
    put(
        "secret_vendor",
        "macaroon",
        b"\x02\x01\x08pypi.org\x02\x04abcd\x00\x00\x06\x20aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    )?;
    Ok(())
}
