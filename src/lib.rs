//! uketsuke: self-check-in kiosk firmware for Japanese clinics.
//!
//! # Layout
//! - [`domain`]: the reception desk's words (what was presented, how it was verified, outcome).
//! - [`rules`]: the national rules as dated data, and the facility's configuration.
//! - [`departments`]: the clinic's departments (診療科) as data: when the patient is asked, names ja/en.
//! - [`flow`]: the check-in state machine. Pure: no I/O, no clock, no threads.
//! - [`card`]: APDUs, status words and JPKI operations over a transport; the simulated card.
//! - [`reader`]: runs the flow's reader operations against a card: PC/SC, or simulated (feature `sim`).
//! - `pki` (feature `sim`): the test CA, certificates and keys for simulated cards; signature checks.
//! - [`gateway`]: the eligibility source: none configured, or the simulator (feature `sim`).
//! - [`oqs`]: the eligibility terminal's files: result files read, queries written, file names.
//! - [`delivery`]: when and how often to send each outbox entry to ORCA (pure; exactly once).
//! - [`orca`]: ORCA's API (ureq) and the delivery worker; the only module that knows ORCA.
//! - [`orca_settings`]: the facility file's `orca` key (plain data).
//! - [`central`]: the hospital's central database (PostgreSQL): schema, delivery worker, report
//!   across kiosks; the only module that knows PostgreSQL.
//! - [`central_settings`]: the facility file's `central` key (plain data).
//! - [`outbox`]: the outbox's versioned wire format (what ORCA and later systems read).
//! - [`store`]: the SQLite actor; the only module that knows SQL.
//! - [`headless`]: one check-in driven by a patient script, on virtual time.
//! - [`desk`]: what staff can do with a handoff, and what each action records.
//! - [`report`]: the monthly usage-rate report.
//! - [`patient_key`]: the pseudonymous patient key (HMAC of the insurance numbers) and its secret file.
//! - [`check_in_list`]: 「本日の受付一覧」's query, each check-in's status, the slip's next-time line.
//! - [`provisioning`]: the provisioning file's keys and rules, merged into facility.json.
//! - [`selftest`]: the technician's self-test as data: checks, thresholds, table and JSON.
//! - [`staff`]: staff accounts, roles and the sign-in rules.
//! - [`password`]: argon2id hashes of passwords and kiosk PINs, random tokens.
//! - [`kiosk_staff`]: the on-kiosk staff mode's adapter (staff list, PIN check, visual checks).
//! - [`service`]: the kiosk as a systemd service: readiness, watchdog on liveness, status, SIGTERM.
//! - [`console`]: the staff's web console (axum); the only module that knows HTTP.
//! - [`voice`]: voice guidance: what each screen says (pure), the prompt cache, playback.
//! - [`cli`]: the command line, one file per subcommand, and the composition root (`cli::compose`).
#![forbid(unsafe_code)]

pub mod audit;
pub mod card;
pub mod central;
pub mod central_settings;
pub mod check_in_list;
pub mod cli;
pub mod console;
pub mod dates;
pub mod delivery;
pub mod departments;
pub mod desk;
pub mod domain;
pub mod expiry;
#[cfg(any(test, feature = "sim"))]
pub mod fixtures;
pub mod flow;
pub mod gateway;
pub mod headless;
pub mod kiosk_staff;
pub mod oqs;
pub mod orca;
pub mod orca_settings;
pub mod outbox;
pub mod password;
pub mod patient_key;
#[cfg(feature = "sim")]
pub mod pki;
pub mod provisioning;
pub mod reader;
pub mod report;
pub mod rules;
pub mod selftest;
pub mod service;
pub mod staff;
pub mod store;
pub mod ui;
pub mod voice;
#[cfg(feature = "sim")]
pub mod vpcd;
