//! `uketsuke doctor` opens the database read-only and runs `PRAGMA integrity_check`: a real
//! database with garbage written over its second page fails the check, naming the file, and
//! doctor itself changes not a byte of it.

use std::path::Path;
use std::process::{Command, Output};

use uketsuke::staff::{NewStaffAccount, Role};
use uketsuke::store::Store;

fn doctor(db: &Path) -> (Output, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_uketsuke"))
        .args(["doctor", "--json", "--only", "database", "--db"])
        .arg(db)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out, report)
}

#[test]
fn garbage_over_page_two_fails_the_database_check() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("uketsuke.db");
    {
        let store = Store::open(&db).unwrap();
        for i in 0..40 {
            store
                .add_staff(&NewStaffAccount {
                    login: format!("staff{i}"),
                    display_name: format!("受付 {i}"),
                    role: Role::Staff,
                    password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
                        .to_owned(),
                    created_at: uketsuke::dates::now(),
                    created_by: "test".to_owned(),
                })
                .unwrap();
        }
        // The last handle closes the database, which checkpoints the WAL into the file.
        store.close();
    }
    let (out, report) = doctor(&db);
    assert!(out.status.success(), "{report}");
    assert_eq!(report["ok"], true);
    let detail = report["checks"][0]["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("integrity ok, schema version"), "{detail}");

    let mut bytes = std::fs::read(&db).unwrap();
    let page_size = match u16::from_be_bytes([bytes[16], bytes[17]]) {
        1 => 65536,
        n => usize::from(n),
    };
    assert!(bytes.len() >= 3 * page_size, "{} bytes", bytes.len());
    for (i, b) in bytes[page_size..2 * page_size].iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(31).wrapping_add(7);
    }
    std::fs::write(&db, &bytes).unwrap();

    let (out, report) = doctor(&db);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert_eq!(report["ok"], false);
    let check = &report["checks"][0];
    assert_eq!(check["id"], "database");
    assert_eq!(check["state"], "fail", "{report}");
    let detail = check["detail"].as_str().unwrap();
    assert!(detail.contains(&db.display().to_string()), "{detail}");
    assert!(
        detail.contains("integrity check failed") || detail.contains("malformed"),
        "{detail}"
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        bytes,
        "doctor changed the file"
    );
}

#[test]
fn a_missing_database_fails_and_is_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("uketsuke.db");
    let (out, report) = doctor(&db);
    assert!(!out.status.success());
    assert_eq!(report["checks"][0]["state"], "fail");
    assert!(!db.exists(), "doctor created the database");
}
