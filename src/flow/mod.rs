//! The check-in flow.
pub mod ports;
