#!/usr/bin/env bash
# Regenerate the committed seed corpora under fuzz/corpus/<target>/ for the hostile-input targets
# that .ci/run runs (tar layers, image manifests, disks, rpmdb, SBOM input, DB export files,
# stored reports, secrets, ignore/VEX files, the server's report files). Seeds are small, valid inputs so the fuzzer starts
# past the parsers' front doors. Needs: python3, sfdisk, mkfs.ext4, qemu-img, a built sekisho
# (target/debug/sekisho) and ../shared/data. Run from anywhere; commit the result.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)
bin="$root/target/debug/sekisho"
shared="$root/../shared/data"
c=corpus
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p $c/{catalog_lang_elf_sparse,artifact_tar_layer,artifact_manifest,catalog_os_rpmdb,disk_partitions,disk_qcow2,disk_ext4,disk_sniff,match_sbom_input,vulndb_export,report_render,secret_scan,policy_ignore,policy_vex,server_report_file}

# Tar layers: regular file, dir, symlink, hardlink, whiteout, opaque dir, PAX long name; raw
# (mode byte 0) and gzip through the full layer (mode byte 1).
python3 - "$tmp" "$c/artifact_tar_layer" <<'PY'
import gzip, io, sys, tarfile
tmp, out = sys.argv[1], sys.argv[2]
def build(fmt):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=fmt) as t:
        def add(name, kind=tarfile.REGTYPE, data=b"", link=""):
            i = tarfile.TarInfo(name); i.type = kind; i.size = len(data) if kind == tarfile.REGTYPE else 0
            i.linkname = link; i.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
            t.addfile(i, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
        add("etc", tarfile.DIRTYPE)
        add("etc/os-release", data=b'ID=debian\nVERSION_ID="12"\n')
        add("usr/bin/sh", tarfile.SYMTYPE, link="dash")
        add("usr/bin/hard", tarfile.LNKTYPE, link="etc/os-release")
        add("var/lib/.wh.old")
        add("opt/app/.wh..wh..opq")
        add("a/" + "long" * 40 + "/file", data=b"x" * 10)
    return b.getvalue()
for name, fmt in [("gnu", tarfile.GNU_FORMAT), ("pax", tarfile.PAX_FORMAT)]:
    raw = build(fmt)
    open(f"{out}/{name}-raw", "wb").write(b"\0" + raw)
    open(f"{out}/{name}-gzip-layer", "wb").write(b"\1" + gzip.compress(raw, mtime=0))
PY

# Executables: small ELF64 files with section headers, as Go and cargo-auditable write them
# (.go.buildinfo with inline strings in a writable segment, a zlib .dep-v0, .shstrtab), one
# without sections (build info found at the start of the data segment) and one in the pre-1.18
# pointer format.
python3 - "$c/catalog_lang_elf_sparse" <<'PY'
import struct, sys, zlib
out = sys.argv[1]
def uvarint(n):
    b = bytearray()
    while True:
        x = n & 0x7f; n >>= 7
        b.append(x | (0x80 if n else 0))
        if not n: return bytes(b)
def buildinfo(inline=True):
    h = b"\xff Go buildinf:" + bytes([8, 2 if inline else 0]) + b"\0" * 16
    if not inline:
        return h
    mod = b"path\texample.com/app\nmod\texample.com/app\t(devel)\t\ndep\tgolang.org/x/text\tv0.3.5\th1:x=\n"
    return h + uvarint(8) + b"go1.22.1" + uvarint(len(mod)) + mod
def elf(sections, with_shdrs=True):
    # Layout: ELF header, one PT_LOAD (RW) program header, section data (16-aligned), shstrtab, shdrs.
    names = b"\0" + b"".join(n + b"\0" for n, _ in sections) + b".shstrtab\0"
    body = bytearray(); offs = []
    base = 64 + 56
    for _, d in sections:
        while (base + len(body)) % 16: body.append(0)
        offs.append(base + len(body)); body += d
    stroff = base + len(body); body += names
    while (base + len(body)) % 8: body.append(0)
    shoff = base + len(body)
    shdrs = b"\0" * 64
    ni = 1
    for (n, d), o in zip(sections, offs):
        shdrs += struct.pack("<IIQQQQIIQQ", ni, 1, 3, 0x500000 + o, o, len(d), 0, 0, 16, 0); ni += len(n) + 1
    shdrs += struct.pack("<IIQQQQIIQQ", ni, 3, 0, 0, stroff, len(names), 0, 0, 1, 0)
    shnum = len(sections) + 2
    first = offs[0] if offs else base
    ph = struct.pack("<IIQQQQQQ", 1, 6, first, 0x500000 + first, 0x500000 + first, stroff - first, stroff - first, 0x1000)
    hdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8 + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0x401000, 64, shoff if with_shdrs else 0, 0, 64, 56, 1, 64, shnum if with_shdrs else 0, shnum - 1 if with_shdrs else 0)
    return hdr + ph + bytes(body) + (shdrs if with_shdrs else b"")
dep = zlib.compress(b'{"packages":[{"name":"app","version":"0.1.0","source":"local","root":true}]}')
open(f"{out}/go-inline", "wb").write(elf([(b".go.buildinfo", buildinfo())]))
open(f"{out}/rust-auditable", "wb").write(elf([(b".data", b"\0" * 32), (b".dep-v0", dep)]))
open(f"{out}/go-no-sections", "wb").write(elf([(b".go.buildinfo", buildinfo())], with_shdrs=False))
open(f"{out}/go-pointer-format", "wb").write(elf([(b".go.buildinfo", buildinfo(False) + b"\0" * 32)]))
PY

# Image documents: OCI index with platforms, image manifest, docker manifest.json, config.
cat > $c/artifact_manifest/oci-index.json <<'J'
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000001","size":400,"platform":{"architecture":"amd64","os":"linux"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000002","size":400,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]}
J
cat > $c/artifact_manifest/oci-manifest.json <<'J'
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000003","size":300},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000004","size":1000}]}
J
cat > $c/artifact_manifest/docker-manifest.json <<'J'
[{"Config":"blobs/sha256/03","RepoTags":["app:1"],"Layers":["blobs/sha256/04","blobs/sha256/05"]}]
J
cat > $c/artifact_manifest/image-config.json <<'J'
{"architecture":"amd64","os":"linux","config":{"User":"1000","Env":["PATH=/usr/bin"],"ExposedPorts":{"80/tcp":{}},"Labels":{"a":"b"}},"rootfs":{"type":"layers","diff_ids":["sha256:0000000000000000000000000000000000000000000000000000000000000004"]},"history":[{"created_by":"/bin/sh -c #(nop) ADD file:x in /"},{"created_by":"RUN |1 A=b /bin/sh -c true","empty_layer":true}]}
J

# rpm databases: a real BDB Packages file (syft's fixture).
cp "$shared/fixtures-syft/syft/pkg/cataloger/redhat/testdata/Packages" $c/catalog_os_rpmdb/bdb-packages

# Disks: a GPT with two partitions, an ext4 filesystem with files, a qcow2 of the GPT disk.
truncate -s 512K "$tmp/gpt.raw"
printf 'label: gpt\nunit: sectors\nfirst-lba: 34\nstart=34, size=200, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="a"\nstart=234, size=400, name="b"\n' \
  | PATH="$PATH:/usr/sbin:/sbin" sfdisk -q "$tmp/gpt.raw" >/dev/null
cp "$tmp/gpt.raw" $c/disk_partitions/gpt
truncate -s 512K "$tmp/mbr.raw"
printf 'label: dos\nstart=1, size=300, type=83\nstart=301, size=600, type=5\nstart=302, size=100, type=83\n' \
  | PATH="$PATH:/usr/sbin:/sbin" sfdisk -q "$tmp/mbr.raw" >/dev/null
cp "$tmp/mbr.raw" $c/disk_partitions/mbr-extended
mkdir -p "$tmp/fs/etc" "$tmp/fs/usr/bin"
printf 'ID=debian\n' > "$tmp/fs/etc/os-release"; ln -s ../etc/os-release "$tmp/fs/usr/bin/link"
truncate -s 1M "$tmp/ext4.img"
PATH="$PATH:/usr/sbin:/sbin" mkfs.ext4 -q -F -b 1024 -N 64 -E root_owner=0:0 -d "$tmp/fs" "$tmp/ext4.img"
cp "$tmp/ext4.img" $c/disk_ext4/small
qemu-img convert -q -f raw -O qcow2 "$tmp/gpt.raw" $c/disk_qcow2/gpt.qcow2

# Content sniffing of `sekisho vm` inputs: a raw GPT header (protective MBR, header, entries), a
# qcow2 header, a text file, tar headers (plain, docker-archive, gzip OCI archive).
head -c 17408 "$tmp/gpt.raw" > $c/disk_sniff/gpt-header
qemu-img create -q -f qcow2 -o cluster_size=512 "$tmp/sniff.qcow2" 1M
head -c 4096 "$tmp/sniff.qcow2" > $c/disk_sniff/qcow2-header
printf 'not a disk\nbut some text\n' > $c/disk_sniff/text
python3 - "$c/disk_sniff" <<'PY'
import gzip, io, sys, tarfile
out = sys.argv[1]
def tar(names):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for n in names:
            i = tarfile.TarInfo(n); data = b"{}"; i.size = len(data); t.addfile(i, io.BytesIO(data))
    return b.getvalue()
open(f"{out}/tar-header", "wb").write(tar(["etc/passwd"])[:512])
open(f"{out}/docker-archive", "wb").write(tar(["abc/layer.tar", "manifest.json"]))
open(f"{out}/oci-archive.gz", "wb").write(gzip.compress(tar(["oci-layout", "index.json"]), mtime=0))
PY

# SBOM input: CycloneDX and SPDX with packages in several ecosystems.
cat > $c/match_sbom_input/cyclonedx.json <<'J'
{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{"type":"library","name":"flask","version":"2.0.0","purl":"pkg:pypi/flask@2.0.0"},{"type":"library","name":"openssl","version":"3.0.11-1~deb12u1","purl":"pkg:deb/debian/openssl@3.0.11-1~deb12u1?distro=debian-12"},{"type":"library","name":"lodash","version":"4.17.20","purl":"pkg:npm/lodash@4.17.20","components":[{"type":"library","name":"x","version":"1","purl":"pkg:cargo/x@1"}]}]}
J
cat > $c/match_sbom_input/spdx.json <<'J'
{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"x","documentNamespace":"https://example.invalid/x","creationInfo":{"created":"2026-01-01T00:00:00Z","creators":["Tool: x"]},"packages":[{"SPDXID":"SPDXRef-p1","name":"golang.org/x/text","versionInfo":"v0.3.5","downloadLocation":"NOASSERTION","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:golang/golang.org/x/text@v0.3.5"}]}]}
J

# DB export file and a stored report, made by sekisho itself.
"$bin" db import --db "$tmp/db.sqlite" "$shared/osv-rustsec/RUSTSEC-2018-0003.json" "$shared/osv-rustsec/RUSTSEC-2019-0009.json" >/dev/null 2>&1
"$bin" db export --db "$tmp/db.sqlite" "$c/vulndb_export/one-record.export" >/dev/null 2>&1 \
  || "$bin" db export --db "$tmp/db.sqlite" --output "$c/vulndb_export/one-record.export" >/dev/null 2>&1
mkdir -p "$tmp/root/etc" "$tmp/root/app"
printf 'ID=debian\nVERSION_ID="12"\n' > "$tmp/root/etc/os-release"
printf '[[package]]\nname = "smallvec"\nversion = "0.6.0"\n' > "$tmp/root/app/Cargo.lock"
printf 'GITHUB_TOKEN=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\n' > "$tmp/root/app/.env"
"$bin" rootfs "$tmp/root" --db "$tmp/db.sqlite" --offline --scanners vuln,secret --format json \
  | sed "s|$tmp|/tmp/seed|g" > $c/report_render/rootfs.json 2>/dev/null || true

# Secrets: real token shapes (made up values) and decoys.
cat > $c/secret_scan/mixed.env <<'T'
AWS_ACCESS_KEY_ID=AKIAQWERTYUIOPASDFGH
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzzzz
GITHUB_TOKEN=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
example=AKIAIOSFODNN7EXAMPLE
url=postgres://app:s3cr3t-pass@db:5432/app
-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
-----END OPENSSH PRIVATE KEY-----
T

# Policy files.
cat > $c/policy_ignore/sekishoignore <<'T'
# reason: not reachable
CVE-2023-0001
GHSA-xxxx-yyyy-zzzz exp:2027-01-01 package=jinja2 reason="sandbox not used"
0123456789abcdef path=app/** reason=test key
* path=testdata/** reason=fixtures
CVE-2019-10906 purl=pkg:pypi/requests expires=2027-01-01
T
cat > $c/policy_vex/openvex.json <<'J'
{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2026-01-01T00:00:00Z","version":1,"statements":[{"vulnerability":{"name":"CVE-2023-0001"},"products":[{"@id":"pkg:pypi/flask@2.0.0"}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}
J
du -sh $c

# The server's findings report files (crates/sekisho-server/src/report_file.rs): one with plain
# parts, one with a compressed part and ecosystems, one without a DB.
python3 - "$c/server_report_file" <<'PY'
import struct, sys, zlib
out = sys.argv[1]
def n(v): return struct.pack("<Q", v)
def blob(b): return n(len(b)) + b
def file(id, with_db, ecos, parts):
    body = blob(id) + bytes(range(32)) + bytes([with_db]) + n(len(ecos))
    for e, c in ecos: body += blob(e) + n(c)
    body += n(len(parts))
    for packed, data in parts: body += n(packed) + blob(data)
    return b"sekisho-report 1\n" + struct.pack("<I", zlib.crc32(body)) + body
plain = [(0, b'{"created":"'), (0, b'","db":'), (0, b',"targets":[{"coverage":'), (0, b'}],"summary":{"no_data_for":'), (0, b'}}')]
open(f"{out}/plain", "wb").write(file(b"art_1", 1, [], plain))
packed = list(plain); packed[2] = (4096, bytes(40))
open(f"{out}/packed", "wb").write(file(b"art_2", 1, [(b"PyPI", 3), (b"npm", 1)], packed))
open(f"{out}/no-db", "wb").write(file(b"art_3", 0, [(b"Go", 100)], plain))
PY
