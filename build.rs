//! Embeds the signature files masked (each byte XORed with one constant), so that the
//! keysweep binary does not hold their example keys in clear: a sweep of a home where
//! keysweep is installed must not report keysweep itself. `rules/mod.rs` unmasks them.

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

/// Keep in step with `MASK` in src/rules/mod.rs.
const MASK: u8 = 0xa5;

fn main() {
    let out = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    println!("cargo::rerun-if-changed=signatures");
    let mut names: Vec<String> = fs::read_dir("signatures")
        .expect("signatures/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    // Private keys first, as the rules have always been ordered (the first rule wins a
    // tie between two rules on one secret), then by name.
    names.sort_by_key(|n| (n != "private-keys.toml", n.clone()));
    let mut table = String::from("&[\n");
    for name in &names {
        let src = Path::new("signatures").join(name);
        println!("cargo::rerun-if-changed={}", src.display());
        let masked: Vec<u8> = fs::read(&src)
            .expect("a signature file")
            .iter()
            .map(|b| b ^ MASK)
            .collect();
        let dest = Path::new(&out).join(format!("{name}.masked"));
        fs::write(&dest, masked).expect("writing OUT_DIR");
        writeln!(
            table,
            "    ({name:?}, include_bytes!(concat!(env!(\"OUT_DIR\"), \"/{name}.masked\"))),"
        )
        .expect("a String takes every write");
    }
    table.push(']');
    fs::write(Path::new(&out).join("builtin_signatures.rs"), table).expect("writing OUT_DIR");
}
