//! uketsuke: self-check-in kiosk firmware for Japanese clinics.
//!
//! # Layout
//! - [`domain`]: the reception desk's words (what was presented, how it was verified, outcome).
//! - [`rules`]: the national rules as dated data, and the facility's configuration.
//! - [`flow`]: the check-in state machine. Pure: no I/O, no clock, no threads.
//! - [`card`]: APDUs, status words and JPKI operations over a transport; the simulated card.
//! - [`reader`]: runs the flow's reader operations against a card (simulated; PC/SC later).
//! - [`pki`]: test certificates and keys for simulated cards; signature checks.
//! - [`gateway`]: the eligibility source (simulator personas).
//! - [`store`]: the SQLite actor; the only module that knows SQL.
//! - [`headless`]: one check-in driven by a patient script, on virtual time.
//! - [`desk`]: what staff can do with a handoff, and what each action records.
//! - [`report`]: the monthly usage-rate report.
//! - [`staff`]: staff accounts, roles and the sign-in rules.
//! - [`password`]: argon2id hashes of passwords and kiosk PINs, random tokens.
//! - [`kiosk_staff`]: the on-kiosk staff mode's adapter (staff list, PIN check, visual checks).
//! - [`console`]: the staff's web console (axum); the only module that knows HTTP.
//! - [`app`]: the composition root: builds adapters from options, runs subcommands.
#![forbid(unsafe_code)]

pub mod app;
pub mod card;
pub mod console;
pub mod desk;
pub mod domain;
pub mod flow;
pub mod gateway;
pub mod headless;
pub mod kiosk_staff;
pub mod password;
pub mod pki;
pub mod reader;
pub mod report;
pub mod rules;
pub mod staff;
pub mod store;
pub mod ui;
pub mod vpcd;
