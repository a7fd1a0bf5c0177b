//! The eligibility terminal for the console's 「資格確認端末に照会する」 tests: its shared folder
//! and the fake terminal process (tests/fakes/oqs_terminal.rs) answering in it.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use crate::processes::Killed;

/// The terminal's shared folder, with `req` and `res` as a Linux share shows them.
pub fn terminal_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("req")).unwrap();
    std::fs::create_dir(dir.path().join("res")).unwrap();
    dir
}

pub fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The text between `<tag>` and `</tag>` in `text`.
pub fn element<'a>(text: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&format!("</{tag}>"))? + start;
    Some(&text[start..end])
}

/// The fake eligibility terminal (`uketsuke-fake-oqs-terminal serve`, tests/fakes/oqs_terminal.rs)
/// answering queries in `root` from its persona table, until dropped. `args`: its options
/// (`--encoding utf8`, `--error-file`, …).
pub struct FakeTerminal(Killed);

impl FakeTerminal {
    pub fn serve(root: &Path, args: &[&str]) -> FakeTerminal {
        let child = Command::new(env!("CARGO_BIN_EXE_uketsuke-fake-oqs-terminal"))
            .arg("serve")
            .arg("--root")
            .arg(root)
            .args(args)
            .spawn()
            .unwrap();
        FakeTerminal(Killed(child))
    }
}

/// The fake's persona with a ● in the name whose insurer number passes the console's check
/// digit: 01130012 / 12 / 345 / 01, 架空　●子, born 1977-07-07 (昭和52年7月7日), valid, no
/// ratio in the answer (under 70: 3割 by age), insured card valid 2025-04-01 to 2029-03-31.
pub const PERSONA_WITH_A_CIRCLE: [(&str, &str); 5] = [
    ("insurer_number", "０１１３００１２"),
    ("symbol", "１２"),
    ("number", "３４５"),
    ("branch", "１"),
    ("birth_date", "昭和52年7月7日"),
];
