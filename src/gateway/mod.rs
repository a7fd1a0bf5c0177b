//! The eligibility source behind one trait: the simulator (feature `sim`, never on a kiosk
//! image), or none yet on a real site, where the desk confirms eligibility; real-site adapters
//! (the eligibility terminal's result files) come later.
//!
//! Owns: talking to whatever answers eligibility questions.
//! Must not know: the flow's states, the screen, the database.

pub mod oqs;
#[cfg(feature = "sim")]
pub mod sim;

use std::time::Duration;

use thiserror::Error;

use crate::domain::{CardProof, Challenge, EligibilityResult};
use crate::flow::{GatewayOp, GatewayReply};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GatewayError {
    #[error("eligibility gateway unavailable: {0}")]
    Unavailable(String),
    #[error("eligibility gateway refused the card proof: {0}")]
    ProofRejected(String),
}

pub trait Gateway: Send {
    /// A fresh random challenge for the card to sign.
    fn challenge(&mut self) -> Result<Challenge, GatewayError>;
    /// Eligibility for the holder of the PIN-verified card that signed the challenge.
    fn query(&mut self, proof: &CardProof) -> Result<EligibilityResult, GatewayError>;
    /// How long a simulated gateway pretends to take to answer a query; `None` for real ones.
    /// Headless check-ins run on virtual time and use this instead of sleeping.
    fn simulated_latency(&self) -> Option<Duration> {
        None
    }
    /// Waits for the certified reader's result file from now (`--gateway oqs:DIR`, issue 17
    /// item 1), blocking this thread up to the facility's `face_result_timeout_seconds`:
    /// `Answered`, or `NotBound` with the cause. Gateways without a certified reader answer
    /// `Unavailable` at once.
    fn await_certified_reader(&mut self) -> GatewayReply {
        GatewayReply::Unavailable(
            "this eligibility gateway has no certified reader (use --gateway oqs:DIR)".into(),
        )
    }
}

/// Carries out one of the flow's gateway operations and words the answer for the flow. A
/// refused proof becomes `ProofRefused`, every other failure `Unavailable`, each with the
/// technician's detail.
pub fn answer(gateway: &mut dyn Gateway, op: GatewayOp) -> GatewayReply {
    match op {
        GatewayOp::RequestChallenge => match gateway.challenge() {
            Ok(c) => GatewayReply::Challenge(c),
            Err(e) => GatewayReply::Unavailable(e.to_string()),
        },
        GatewayOp::Query(proof) => match gateway.query(&proof) {
            Ok(result) => GatewayReply::Answered(result),
            Err(e @ GatewayError::ProofRejected(_)) => GatewayReply::ProofRefused(e.to_string()),
            Err(e @ GatewayError::Unavailable(_)) => GatewayReply::Unavailable(e.to_string()),
        },
        GatewayOp::AwaitCertifiedReader => gateway.await_certified_reader(),
    }
}

/// The kiosk's eligibility source, as the command line or the facility file chose it.
pub enum KioskGateway {
    /// The simulator with personas (demos and tests; feature `sim`).
    #[cfg(feature = "sim")]
    Sim(sim::SimGateway),
    /// The eligibility terminal's certified reader beside the kiosk (`oqs:DIR`): its result
    /// files in `DIR/face`.
    Oqs(Box<oqs::OqsGateway>),
    /// No eligibility source is configured: every query is unavailable, so each check-in that
    /// gets that far is handed to the desk, which confirms eligibility itself.
    Unconfigured,
}

/// What [`KioskGateway::Unconfigured`] answers, for technicians.
pub const UNCONFIGURED: &str = "no eligibility source is configured on this kiosk (option --gateway, or key \"gateway\" \
     in the provisioning file): the desk confirms eligibility";

impl KioskGateway {
    /// The signal that ends a wait for the certified reader's result the flow has left (see
    /// [`oqs::OqsGateway::abandon_signal`]); `None` for gateways that never wait.
    pub fn abandon_signal(&self) -> Option<std::sync::Arc<std::sync::atomic::AtomicBool>> {
        match self {
            KioskGateway::Oqs(g) => Some(g.abandon_signal()),
            _ => None,
        }
    }
}

impl Gateway for KioskGateway {
    fn challenge(&mut self) -> Result<Challenge, GatewayError> {
        match self {
            #[cfg(feature = "sim")]
            KioskGateway::Sim(g) => g.challenge(),
            KioskGateway::Oqs(g) => g.challenge(),
            KioskGateway::Unconfigured => Err(GatewayError::Unavailable(UNCONFIGURED.into())),
        }
    }

    fn query(&mut self, proof: &CardProof) -> Result<EligibilityResult, GatewayError> {
        match self {
            #[cfg(feature = "sim")]
            KioskGateway::Sim(g) => g.query(proof),
            KioskGateway::Oqs(g) => g.query(proof),
            KioskGateway::Unconfigured => {
                let _ = proof;
                Err(GatewayError::Unavailable(UNCONFIGURED.into()))
            }
        }
    }

    fn simulated_latency(&self) -> Option<Duration> {
        match self {
            #[cfg(feature = "sim")]
            KioskGateway::Sim(g) => g.simulated_latency(),
            KioskGateway::Oqs(_) | KioskGateway::Unconfigured => None,
        }
    }

    fn await_certified_reader(&mut self) -> GatewayReply {
        match self {
            KioskGateway::Oqs(g) => g.await_certified_reader(),
            #[cfg(feature = "sim")]
            KioskGateway::Sim(g) => g.await_certified_reader(),
            KioskGateway::Unconfigured => GatewayReply::Unavailable(UNCONFIGURED.into()),
        }
    }
}
