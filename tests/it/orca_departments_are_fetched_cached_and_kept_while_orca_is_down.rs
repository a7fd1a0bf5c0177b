//! The clinic's departments from ORCA (`system01lstv2`): fetched from the fake ORCA process over
//! real HTTP, cached in the store (a real SQLite file), listed by the kiosk's department
//! question for the codes `orca.departments` names; with ORCA killed, a refresh fails naming
//! ORCA's URL and the cached list stays as it was, so the question still has its names.

use crate::orca::{FakeOrca, PASSWORD, facility};
use uketsuke::departments::{Department, DepartmentQuestion};
use uketsuke::orca::OrcaClient;
use uketsuke::orca::department_list::{
    kiosk_departments, refresh, refresh_due, with_cached_departments,
};
use uketsuke::rules::FacilityConfig;
use uketsuke::store::Store;

#[test]
fn fetched_cached_listed_and_kept_while_orca_is_down() {
    let dir = tempfile::tempdir().unwrap();
    let mut fake = FakeOrca::start(dir.path(), &[]);
    let file = facility(
        dir.path(),
        &fake.url(),
        PASSWORD,
        serde_json::json!({"departments": {"01": "10001", "02": "10002"}}),
    );
    let config =
        FacilityConfig::from_json(&std::fs::read_to_string(&file).unwrap(), "facility.json")
            .unwrap();
    let client = OrcaClient::new(config.orca.as_ref().expect("orca configured")).unwrap();
    let store = Store::open(&dir.path().join("kiosk.db")).unwrap();
    let now = uketsuke::datetime!(2026-11-30 07:00 +09:00);
    assert!(refresh_due(None, now), "never fetched");

    assert_eq!(refresh(&client, &store, now), Ok(2));
    let cached = store.department_list().unwrap().expect("cached");
    let d = |code: &str, name: &str| Department {
        code: code.into(),
        name: name.into(),
        name_en: None,
    };
    assert_eq!(cached.departments, vec![d("01", "内科"), d("02", "小児科")]);
    assert_eq!(cached.fetched_at, now);
    assert!(!refresh_due(
        Some(&cached),
        now + chrono::TimeDelta::hours(23)
    ));
    assert!(refresh_due(Some(&cached), now + chrono::TimeDelta::days(1)));

    // The kiosk asks with ORCA's names; a code ORCA lists without a doctor is left out.
    let only_01 = FacilityConfig {
        orca: config.orca.clone().map(|mut o| {
            o.departments.remove("02");
            o
        }),
        ..config.clone()
    };
    assert_eq!(
        kiosk_departments(&only_01, Some(&cached)),
        vec![d("01", "内科")]
    );
    let asked = FacilityConfig {
        departments: kiosk_departments(&config, Some(&cached)),
        ..config.clone()
    };
    assert!(matches!(
        asked.department_question(),
        DepartmentQuestion::Ask(ref listed) if listed.len() == 2 && listed[1].en == "Pediatrics"
    ));

    // What the kiosk starts with: the cached list, read from the store alone.
    assert_eq!(
        with_cached_departments(config.clone(), &store).departments,
        vec![d("01", "内科"), d("02", "小児科")]
    );
    // ORCA goes down: the refresh says so with ORCA's URL, and the cache is untouched.
    fake.kill();
    let later = now + chrono::TimeDelta::days(1);
    let err = refresh(&client, &store, later).expect_err("ORCA is down");
    assert!(err.contains(&fake.url()), "{err}");
    assert_eq!(store.department_list().unwrap(), Some(cached));
    assert_eq!(
        with_cached_departments(config, &store).departments.len(),
        2,
        "the kiosk still starts with yesterday's list"
    );
}
