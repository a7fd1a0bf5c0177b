//! The check-in flow: a pure state machine, in the manner of a sans-IO protocol engine.
//!
//! Owns: every path a check-in can take, what each check-in records (including the
//! verification method and whether it counts toward the usage rate, from [`crate::rules`]),
//! and which screen the patient sees.
//! Must not know: PC/SC, SQL, Slint, HTTP, threads, the clock. Time arrives with each input.
//! It imports no adapter; adapters import [`ports`].

#[cfg(test)]
mod certified_reader_tests;
mod machine;
pub mod ports;
pub mod screen;
pub mod staff_mode;

pub use machine::{CheckInFlow, visit_date};
pub use ports::{
    Command, GatewayOp, GatewayReply, Input, PatientAction, PinStatus, ReaderOp, ReaderReply,
    ReaderTrouble, StoreReply, Ticket,
};
pub use screen::{CertificateNote, Credential, Ending, Screen, View, ViewName};
