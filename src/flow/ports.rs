//! What the flow asks of the outside world, and what the outside world answers.
//!
//! Adapters (reader, gateway, store, UI) import these types; the flow imports no adapter.
//! Every request carries a [`Ticket`]; an answer is matched by its ticket, so a late answer to a
//! request from an abandoned check-in is ignored instead of confusing the next patient.

use serde::{Deserialize, Serialize};

use crate::domain::{
    Certificate, CertificateExpiry, Challenge, CheckInRecord, ConsentItem, DeclaredDocument,
    EligibilityResult, Pin, PrescriptionForm, ReceptionNumber, Signature, Tapped,
};

/// Identifies one request from the flow to an adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ticket(pub u64);

/// One operation on whatever lies on the reader. Each is one short exchange of APDUs over one
/// card handle; an operation is never retried by the adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderOp {
    /// Find out what was tapped (JPKI token, FeliCa, payment card, unknown device, mute).
    Identify,
    /// Ask the card how many PIN tries are left (an empty VERIFY; spends no try).
    ReadPinTriesLeft,
    /// Send the PIN once. The flow only asks this when it knows more than one try is left.
    VerifyPin(Pin),
    /// Read the user-authentication certificate and sign the challenge with the auth key.
    /// A certificate already read in this card session is reused, never read again.
    Authenticate { challenge: Challenge },
    /// Read the user-authentication certificate (a card's needs no PIN) for its expiry date
    /// only; the adapter keeps the bytes for this card session's `Authenticate`.
    ReadCertificateExpiry,
}

/// The PIN retry counter as the card reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinStatus {
    TriesLeft(u8),
    Blocked,
    /// The empty VERIFY was answered `90 00`: the card told nothing about its counter. Never
    /// proof of a verified PIN (real JPKI cards answer `63 Cx` even right after a good VERIFY),
    /// and never grounds for a VERIFY: the flow asks for one fresh tap, then hands over to staff.
    TriesUnknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderReply {
    Identified(Tapped),
    PinTriesLeft(PinStatus),
    PinVerified,
    PinRejected {
        tries_left: u8,
    },
    PinBlocked,
    Authenticated {
        certificate: Certificate,
        signature: Signature,
        /// The certificate's expiry, when its date could be read (a phone's is known only
        /// here, after the PIN).
        expiry: Option<CertificateExpiry>,
    },
    /// The certificate's expiry (`None`: read, but no date could be parsed from it).
    CertificateExpiry(Option<CertificateExpiry>),
    /// The card left the field (or was reset) before the operation finished.
    CardGone,
    /// The card answered something we did not expect. Technician detail, never personal data.
    Fault(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayOp {
    RequestChallenge,
    Query(crate::domain::CardProof),
    /// The patient was just asked to verify at the certified face-authentication reader beside
    /// the kiosk (`--gateway oqs:DIR`): wait from now for the one result file the terminal
    /// writes for them, and answer `Answered` with it, or `NotBound` with why no file could be
    /// bound to this check-in for certain (issue 17 item 1). The adapter's own clock marks
    /// "now"; it waits at most the facility's `certified_reader.face_result_timeout_seconds`.
    AwaitCertifiedReader,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayReply {
    Challenge(Challenge),
    Answered(EligibilityResult),
    /// The gateway refused the card's proof (certificate not accepted: revoked, expired, from
    /// an unknown CA; bad signature; challenge not issued or reused). Not an outage: the card
    /// itself is the trouble. Technician detail, never personal data or the certificate.
    ProofRefused(String),
    /// Outage or bad answer. Technician detail, never personal data.
    Unavailable(String),
    /// Waiting for the certified reader: no result file could be bound to this check-in for
    /// certain (two candidates, another facility's, stale, none in time, unreadable, an error
    /// file, a result the kiosk never decides alone). Staff confirm it at the desk.
    NotBound(crate::domain::UnboundFaceResult),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreReply {
    /// The check-in is durably committed (fsync'd).
    Committed {
        check_in_id: i64,
        reception_number: Option<ReceptionNumber>,
    },
    Failed(String),
}

/// What the patient did on the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatientAction {
    EnterPin(Pin),
    /// From the PIN pad: "ask staff to check instead".
    AskStaffToCheck,
    ConsentAll,
    ConsentItemByItem,
    /// "Do not agree" on the first consent screen: every item is refused, the patient goes on.
    DoNotConsent,
    /// "Back" on the document menu (to the screen it was opened from) and on a consent item,
    /// the high-cost limit and prescription screens (undoes the last answer and asks it again);
    /// on the `Screen::ConfirmEnd` question, back to the screen underneath, nothing lost.
    Back,
    /// Answer for the item currently shown.
    AnswerConsentItem(ConsentItem, bool),
    AnswerHighCostLimit(bool),
    ChoosePrescription(PrescriptionForm),
    /// On the medical-aid certificate question (`Screen::MedicalAidCertificate`): use the card
    /// as the 受給者証 today (`true`) or not.
    AnswerMedicalAid(bool),
    /// On the department question (`Screen::ChooseDepartment`): the chosen department's code.
    /// A code not on the screen is ignored.
    ChooseDepartment(String),
    /// On the "wrong card" screen for a payment card: "this is my phone" (a phone's wallet can
    /// answer like a payment card).
    ItIsMyPhone,
    /// On the "card or phone?" question: "it is a card" (then: not the My Number card).
    ItIsACard,
    /// "I have paper documents" on the welcome screen.
    OpenDocumentMenu,
    DeclareDocument(DeclaredDocument),
    /// "Call staff": at once from the idle screens; during a check-in it asks first
    /// (`Screen::ConfirmEnd`).
    CallStaff,
    /// "Cancel": during a check-in it asks first (`Screen::ConfirmEnd`).
    Cancel,
    /// "Call staff" or "stop" on the `Screen::ConfirmEnd` question: ends the check-in as
    /// asked. Ignored within `consent_dead_time_ms` of the question appearing.
    ConfirmEnd,
    /// "OK" on a final screen.
    Acknowledge,
    /// "I'm still here" on the idle countdown: the screen is not cleared yet.
    StillHere,
}

/// Why the card reader itself cannot be used (as opposed to a card that could not be read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReaderTrouble {
    /// The PC/SC service (pcscd) is not running.
    ServiceNotRunning,
    /// The service runs but no reader is plugged in.
    NoReader,
    /// The reader failed two operations in a row with a card still on it
    /// (`SCARD_E_NOT_TRANSACTED` and the like, or no answer within the adapter's bound): a
    /// wedged reader (a USB hiccup) that needs re-plugging. Raised by the PC/SC adapter, which
    /// lifts it once the reader answers again.
    ReaderNotAnswering,
    /// Another program holds the reader (connected `EXCLUSIVE`, or inside a transaction): the
    /// kiosk cannot connect. Lifted once the kiosk can connect again.
    ReaderInUse,
}

impl ReaderTrouble {
    /// The stable name used in JSON and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ServiceNotRunning => "service_not_running",
            Self::NoReader => "no_reader",
            Self::ReaderNotAnswering => "reader_not_answering",
            Self::ReaderInUse => "reader_in_use",
        }
    }
}

/// Everything that can happen to the flow. Time arrives with each input as `now`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Something entered the reader's field.
    CardPresent,
    /// The field is empty again.
    CardRemoved,
    Patient(PatientAction),
    Reader(Ticket, ReaderReply),
    Gateway(Ticket, GatewayReply),
    Store(Ticket, StoreReply),
    /// The reader is out of service: no card can be read until `ReaderUp`. Any reader
    /// operation under way is abandoned (a late answer to it is ignored by its ticket).
    ReaderDown(ReaderTrouble),
    /// The reader is usable again.
    ReaderUp,
    /// Staff opened (true) or closed (false) the staff panel over the idle screen: while it is
    /// open a card on the reader starts no check-in.
    StaffAtKiosk(bool),
    /// Staff closed (`paused`) or reopened the kiosk, and when they expect to reopen it if
    /// they said (`reopens_at`). While it is closed the idle screen says so (and the time) and
    /// nothing starts a check-in; one under way when it closes carries on.
    KioskPaused {
        paused: bool,
        reopens_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    },
    /// Nothing happened; lets deadlines pass.
    Tick,
}

/// What the flow wants done. Drained with `CheckInFlow::poll`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Reader(Ticket, ReaderOp),
    Gateway(Ticket, GatewayOp),
    /// Commit this check-in durably, then answer `Input::Store`.
    Persist(Ticket, Box<CheckInRecord>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_trouble_names_agree_with_serde() {
        for t in [
            ReaderTrouble::ServiceNotRunning,
            ReaderTrouble::NoReader,
            ReaderTrouble::ReaderNotAnswering,
            ReaderTrouble::ReaderInUse,
        ] {
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
            let back: ReaderTrouble = serde_json::from_value(t.as_str().into()).unwrap();
            assert_eq!(back, t);
        }
    }
}
