//! `uketsuke doctor` fails when the data partition is (nearly) full, naming the folder and the
//! threshold: a real 1 MB tmpfs, filled to the last byte. Mounting needs root; with `CI=true`
//! (where root is given) a mount that fails fails the test.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted for the test, unmounted when dropped.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn mount_small_tmpfs(at: &Path) -> Option<Mounted> {
    let out = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(at)
        .output();
    match out {
        Ok(o) if o.status.success() => Some(Mounted(at.to_path_buf())),
        other => {
            let why = format!("{other:?}");
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true and a 1 MB tmpfs cannot be mounted: {why}");
            }
            eprintln!("NOT RUN (cannot mount a tmpfs here; run as root): {why}");
            None
        }
    }
}

#[test]
fn a_full_data_partition_fails_the_disk_check() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let Some(_mounted) = mount_small_tmpfs(&data) else {
        return;
    };
    // Fill it: write until the file system says no more.
    let mut filler = std::fs::File::create(data.join("filler")).unwrap();
    let chunk = vec![0x55u8; 64 * 1024];
    let mut written = 0usize;
    loop {
        match filler.write(&chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => written += n,
        }
    }
    let _ = filler.sync_all();
    eprintln!("filled the tmpfs with {written} bytes");
    assert!(written > 0 && written <= 1024 * 1024);

    let out = Command::new(env!("CARGO_BIN_EXE_uketsuke"))
        .args(["doctor", "--json", "--only", "disk", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], false, "{report}");
    assert!(!out.status.success());
    assert_eq!(out.status.code(), Some(1));
    let disk = &report["checks"][0];
    assert_eq!(disk["id"], "disk");
    assert_eq!(disk["state"], "fail", "{report}");
    let detail = disk["detail"].as_str().unwrap();
    assert!(detail.contains(&data.display().to_string()), "{detail}");
    assert!(detail.contains("0 MB free, under 50 MB"), "{detail}");

    // People get the same as a table.
    let out = Command::new(env!("CARGO_BIN_EXE_uketsuke"))
        .args(["doctor", "--only", "disk", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("disk") && table.contains("FAIL"), "{table}");
    assert!(table.contains("doctor: 1 failed"), "{table}");
}
