//! Reading the terminal's shared folder while the terminal writes it: its subfolders (`req`,
//! `res`, `face`) in whatever case the terminal made them, and a file read until two reads
//! agree and parse (a file being written is never taken half-written). Used by the terminal
//! query ([`super::query`]) and the certified reader's face files (`gateway::oqs`).
//!
//! Read-only: a file is never moved or removed here.

use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::MAX_FILE_BYTES;

/// The subfolder of `root` named `name` in any ASCII case (`req`, `REQ`, `Req`; a link to a
/// folder counts), or `None` when `root` cannot be listed or holds no such folder.
pub fn find_subfolder(root: &Path, name: &str) -> Option<PathBuf> {
    std::fs::read_dir(root)
        .ok()?
        .flatten()
        .find(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(name) && e.path().is_dir())
        .map(|e| e.path())
}

/// What reading a file until two reads agree came to.
#[derive(Debug)]
pub enum Settled<T, E> {
    /// Two successive reads were identical, not empty, and parsed.
    Complete(T),
    /// No two successive reads agreed (still being written), or only empty ones did.
    Changing,
    /// Two successive reads agreed but did not parse: the last such error.
    Unparsable(E),
    /// The file vanished or cannot be read.
    Unreadable(std::io::Error),
    /// The file holds more than [`MAX_FILE_BYTES`] (1 MiB): no result file is that large.
    TooLarge,
}

/// Reads `path` at most `reads` times, `settle` apart, until two successive reads are identical,
/// not empty, and `parse` accepts them. Identical reads that do not parse are read again (a
/// writer may pause between two writes); their last error is returned if nothing completes.
/// Blocking: sleeps `settle` between reads (never after the last).
pub fn read_settled<T, E>(
    path: &Path,
    settle: Duration,
    reads: u32,
    parse: impl Fn(&[u8]) -> Result<T, E>,
) -> Settled<T, E> {
    let mut last: Option<Vec<u8>> = None;
    let mut unparsable = None;
    for n in 0..reads {
        if n > 0 {
            std::thread::sleep(settle);
        }
        let bytes = match read_capped(path) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Settled::TooLarge,
            Err(e) => return Settled::Unreadable(e),
        };
        if !bytes.is_empty() && last.as_ref() == Some(&bytes) {
            match parse(&bytes) {
                Ok(parsed) => return Settled::Complete(parsed),
                Err(e) => unparsable = Some(e),
            }
        }
        last = Some(bytes);
    }
    unparsable.map_or(Settled::Changing, Settled::Unparsable)
}

/// The file's bytes; `None` beyond [`MAX_FILE_BYTES`] (read no more than one byte past it).
fn read_capped(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    let file = File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() <= MAX_FILE_BYTES).then_some(bytes))
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

    #[test]
    fn a_file_is_complete_when_two_reads_agree_and_parse() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.xml");
        let parse = |b: &[u8]| {
            if b.starts_with(b"<ok") {
                Ok(b.len())
            } else {
                Err("not ok")
            }
        };
        let read = |content: Option<&[u8]>, reads| {
            match content {
                Some(c) => std::fs::write(&path, c).unwrap(),
                None => {
                    let _ = std::fs::remove_file(&path);
                }
            }
            read_settled(&path, Duration::ZERO, reads, parse)
        };
        assert!(matches!(read(Some(b"<ok/>"), 2), Settled::Complete(5)));
        assert!(matches!(read(Some(b"<ok/>"), 1), Settled::Changing));
        assert!(matches!(read(Some(b""), 3), Settled::Changing));
        assert!(matches!(
            read(Some(b"<bad/>"), 3),
            Settled::Unparsable("not ok")
        ));
        assert!(matches!(read(None, 2), Settled::Unreadable(_)));
        let too_large = vec![b'<'; MAX_FILE_BYTES + 1];
        assert!(matches!(read(Some(&too_large), 2), Settled::TooLarge));
    }
}
