//! The card's language: APDUs, status words, and the JPKI operations the kiosk needs, generic
//! over a [`CardTransport`] (the in-process simulated card today, PC/SC tomorrow).
//!
//! Owns: command bytes, response parsing, the order of APDUs.
//! Must not know: the flow's states, the screen, pcsc-lite.
//!
//! - [`apdu`]: command APDUs (short form) and response parsing.
//! - [`status`]: status words as a typed enum.
//! - [`atr`]: what a contactless reader's ATR and the reader's UID say (PC/SC part 3).
//! - [`der`]: the total length of a DER object from its header.
//! - [`jpki`]: [`JpkiCard`], the operations the kiosk needs, and what was tapped.
//! - `sim` (feature `sim`): the simulated card and its transport.

use thiserror::Error;

pub mod apdu;
pub mod atr;
pub mod der;
pub mod jpki;
#[cfg(feature = "sim")]
pub mod sim;
pub mod status;

pub use apdu::{Apdu, Response};
pub use jpki::{ApduStats, CardError, JpkiCard};
pub use status::StatusWord;

/// Why a transmit did not produce a response.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransportError {
    #[error("the card left the reader's field")]
    CardRemoved,
    #[error("the card was reset by another application")]
    CardReset,
    #[error("reader failure: {0}")]
    Reader(String),
}

/// Sends one command APDU and returns the raw response (data followed by SW1 SW2).
///
/// Implementations transmit exactly once: no retries, ever (a retried VERIFY could cost a try).
pub trait CardTransport {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError>;
    /// The ATR of the card on the field.
    fn atr(&self) -> Vec<u8>;
}
