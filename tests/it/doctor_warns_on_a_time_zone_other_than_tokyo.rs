//! `uketsuke doctor` reads where the localtime link points (through the image's link into the
//! data folder): Asia/Tokyo is ok; another real zone (America/New_York) is a warning that names
//! it (the kiosk dates check-ins in Japan's time whatever the system says, and provisioning
//! allows another zone with a warning too); a link to nothing fails.

use std::path::Path;
use std::process::Command;

fn time_zone(link: &Path) -> (Option<i32>, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_uketsuke"))
        .args(["doctor", "--json", "--only", "time-zone", "--localtime"])
        .arg(link)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["checks"][0]["id"], "time-zone");
    (out.status.code(), report)
}

#[test]
fn the_zone_behind_the_link_is_named() {
    let dir = tempfile::tempdir().unwrap();
    // As on the image: /etc/localtime -> DATA/localtime -> /usr/share/zoneinfo/ZONE.
    let data_link = dir.path().join("localtime");
    let etc_link = dir.path().join("etc-localtime");
    std::os::unix::fs::symlink(&data_link, &etc_link).unwrap();

    std::os::unix::fs::symlink("/usr/share/zoneinfo/America/New_York", &data_link).unwrap();
    let (code, report) = time_zone(&etc_link);
    let check = &report["checks"][0];
    assert_eq!(check["state"], "warn", "{report}");
    let detail = check["detail"].as_str().unwrap();
    assert!(
        detail.contains("America/New_York") && detail.contains("Asia/Tokyo"),
        "{detail}"
    );
    assert!(detail.contains(&etc_link.display().to_string()), "{detail}");
    assert_eq!(report["ok"], true);
    assert_eq!(code, Some(0));

    std::fs::remove_file(&data_link).unwrap();
    std::os::unix::fs::symlink("/usr/share/zoneinfo/Asia/Tokyo", &data_link).unwrap();
    let (code, report) = time_zone(&etc_link);
    assert_eq!(report["checks"][0]["state"], "ok", "{report}");
    assert_eq!(code, Some(0));

    std::fs::remove_file(&data_link).unwrap();
    std::os::unix::fs::symlink("/usr/share/zoneinfo/Asia/Nowhere", &data_link).unwrap();
    let (code, report) = time_zone(&etc_link);
    assert_eq!(report["checks"][0]["state"], "fail", "{report}");
    assert_eq!(report["ok"], false);
    assert_eq!(code, Some(1));
}
