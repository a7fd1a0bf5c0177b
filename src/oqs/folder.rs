//! Reading the terminal's shared folder: its subfolders (`req`, `res`, `face`) in whatever case
//! the terminal made them. Used by the terminal query ([`super::query`]) and the certified
//! reader's face files (`gateway::oqs`).

use std::path::{Path, PathBuf};

/// The subfolder of `root` named `name` in any ASCII case (`req`, `REQ`, `Req`; a link to a
/// folder counts), or `None` when `root` cannot be listed or holds no such folder.
pub fn find_subfolder(root: &Path, name: &str) -> Option<PathBuf> {
    std::fs::read_dir(root)
        .ok()?
        .flatten()
        .find(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(name) && e.path().is_dir())
        .map(|e| e.path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subfolder_is_found_in_any_case_and_only_as_a_folder() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("REQ")).unwrap();
        std::fs::write(root.path().join("res"), b"a file, not a folder").unwrap();
        for (name, found) in [("req", Some("REQ")), ("Req", Some("REQ")), ("res", None)] {
            assert_eq!(
                find_subfolder(root.path(), name),
                found.map(|f| root.path().join(f)),
                "{name}"
            );
        }
        assert_eq!(find_subfolder(&root.path().join("nowhere"), "req"), None);
    }
}
