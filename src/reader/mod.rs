//! The reader adapter: runs the flow's [`ReaderOp`](crate::flow::ports::ReaderOp)s against
//! whatever lies on the reader's field and answers with
//! [`ReaderReply`](crate::flow::ports::ReaderReply)s. Today the simulated reader ([`sim`]);
//! the PC/SC reader will sit beside it.
//!
//! Owns: what is on the field, one [`JpkiCard`](crate::card::JpkiCard) per placement (from tap
//! to removal), turning card errors into replies, and the names of simulated things shared with
//! the command line (`card,tries=1`, `phone`, `transit`, ...).
//! Must not know: the flow's states, the screen, APDU bytes (the `card` module owns those).

pub mod pcsc;
#[cfg(feature = "sim")]
pub mod sim;
#[cfg(feature = "sim")]
mod sim_spec;

#[cfg(feature = "sim")]
pub use sim_spec::*;

use crate::card::{CardError, CardTransport, JpkiCard};
use crate::flow::ports::{ReaderOp, ReaderReply};

/// Runs one flow operation over a card session, once, and answers it. Both readers use this:
/// how an operation maps onto JPKI calls must not differ between the simulated and the real one.
pub fn run_op<T: CardTransport>(card: &mut JpkiCard<T>, op: ReaderOp) -> ReaderReply {
    let result = match op {
        ReaderOp::Identify => card.identify().map(ReaderReply::Identified),
        ReaderOp::ReadPinTriesLeft => card.pin_tries_left().map(ReaderReply::PinTriesLeft),
        ReaderOp::VerifyPin(pin) => card.verify_pin(&pin).map(|()| ReaderReply::PinVerified),
        ReaderOp::Authenticate { challenge } => {
            card.authenticate(&challenge)
                .map(|(certificate, signature)| ReaderReply::Authenticated {
                    expiry: crate::expiry::certificate_not_after(&certificate.0).ok(),
                    certificate,
                    signature,
                })
        }
        ReaderOp::ReadCertificateExpiry => card
            .auth_certificate_expiry()
            .map(ReaderReply::CertificateExpiry),
    };
    result.unwrap_or_else(reply_for_error)
}

/// The flow's reply for a card error. Fault texts name commands and status words only.
pub fn reply_for_error(error: CardError) -> ReaderReply {
    match error {
        CardError::CardGone => ReaderReply::CardGone,
        CardError::WrongPin { tries_left } => ReaderReply::PinRejected { tries_left },
        CardError::PinBlocked => ReaderReply::PinBlocked,
        other @ (CardError::Unexpected { .. } | CardError::Malformed(_) | CardError::Reader(_)) => {
            ReaderReply::Fault(other.to_string())
        }
    }
}

/// The short code the out-of-service screen shows for a reader trouble, which the patient tells
/// staff (`R1`..`R4`; the kiosk's own codes `S1`.. are [`crate::ui::present::OutOfOrder`]'s).
/// Stable: staff and technicians look codes up in README's table; a new trouble takes the next
/// number, never a used one.
pub fn trouble_code(trouble: crate::flow::ReaderTrouble) -> &'static str {
    use crate::flow::ReaderTrouble;
    match trouble {
        ReaderTrouble::ServiceNotRunning => "R1",
        ReaderTrouble::NoReader => "R2",
        ReaderTrouble::ReaderNotAnswering => "R3",
        ReaderTrouble::ReaderInUse => "R4",
    }
}

/// What a reader trouble means, for technicians (on `doctor`, in the journal, `systemctl
/// status` and errors; never on a patient screen, which shows [`trouble_code`]).
pub fn trouble_text(trouble: crate::flow::ReaderTrouble) -> &'static str {
    use crate::flow::ReaderTrouble;
    match trouble {
        ReaderTrouble::ServiceNotRunning => {
            "pcscd is not running: no socket at /run/pcscd/pcscd.comm; start it with \
             `systemctl start pcscd` (or scripts/pcscd start)"
        }
        ReaderTrouble::NoReader => "pcscd runs but lists no matching reader: is it plugged in?",
        ReaderTrouble::ReaderNotAnswering => {
            "the card reader stopped answering (SCARD_E_NOT_TRANSACTED, or no answer in time) \
             with a card on it: re-plug its USB cable"
        }
        ReaderTrouble::ReaderInUse => {
            "another program is using the card reader (connected exclusively, or inside a \
             transaction; SCARD_E_SHARING_VIOLATION): close it"
        }
    }
}

/// The kiosk's reader: simulated, or a real one through pcscd, as the command line chose it.
pub enum KioskReader {
    #[cfg(feature = "sim")]
    Sim(sim::SimReader),
    Pcsc(Box<pcsc::PcscReader>),
}

#[cfg(all(test, feature = "sim"))]
mod tests {
    use super::*;
    use crate::card::StatusWord;
    use crate::card::sim::{ProbeAnswer, SimProfile};
    use crate::domain::Pin;

    #[test]
    fn parses_names_and_options() {
        let spec = parse_sim_spec("card,tries=1").expect("valid");
        assert_eq!(spec.profile, SimProfile::MyNumberCard);
        assert_eq!(spec.options.tries_left, 1);
        assert_eq!(spec.options.remove_after, None);

        let spec = parse_sim_spec("phone, pin=0000 ,remove-after=4").expect("valid");
        assert_eq!(spec.profile, SimProfile::AndroidPhone);
        assert_eq!(spec.options.pin, Pin::parse("0000").expect("four digits"));
        assert_eq!(spec.options.remove_after, Some(4));
        assert_eq!(spec.options.tries_left, 3);
        assert_eq!(spec.options.probe, ProbeAnswer::TriesLeft, "as real cards");

        for (word, probe) in [
            ("tries", ProbeAnswer::TriesLeft),
            ("ok", ProbeAnswer::OkWhenVerified),
            ("always-ok", ProbeAnswer::AlwaysOk),
        ] {
            let spec = parse_sim_spec(&format!("card,probe={word}")).expect("valid");
            assert_eq!(spec.options.probe, probe, "{word}");
        }

        // The certificate's last valid day: given, or counted from today in Japan.
        let spec = parse_sim_spec("card,not-after=2026-10-12").expect("valid");
        assert_eq!(spec.options.not_after, Some(crate::date!(2026 - 10 - 12)));
        assert_eq!(
            parse_sim_spec("card").expect("valid").options.not_after,
            None
        );
        let ago = parse_sim_spec("card,cert-expired-days=40").expect("valid");
        let ahead = parse_sim_spec("card,cert-expires-in-days=40").expect("valid");
        let (Some(ago), Some(ahead)) = (ago.options.not_after, ahead.options.not_after) else {
            panic!("both set a date");
        };
        assert_eq!(ahead - ago, chrono::TimeDelta::days(80));

        for (name, profile) in SIM_PROFILE_NAMES {
            assert_eq!(parse_sim_spec(name).map(|s| s.profile), Ok(profile));
        }
        assert_eq!(sim_profile_name(SimProfile::UnknownDevice), "iphone");
        for profile in SimProfile::ALL {
            assert_eq!(
                parse_sim_spec(sim_profile_name(profile)).map(|s| s.profile),
                Ok(profile)
            );
        }
    }

    #[test]
    fn errors_name_the_bad_part() {
        let table = [
            ("", ""),
            ("android", "android"),
            ("card,tries=4", "tries=4"),
            ("card,tries=x", "tries=x"),
            ("card,pin=123", "pin=123"),
            ("card,pin=12345", "pin=12345"),
            ("card,remove-after=-1", "remove-after=-1"),
            ("card,colour=red", "colour=red"),
            ("card,probe=yes", "probe=yes"),
            ("card,not-after=2026-13-01", "not-after=2026-13-01"),
            ("card,not-after=soon", "not-after=soon"),
            ("card,cert-expired-days=-1", "cert-expired-days=-1"),
            (
                "card,cert-expires-in-days=9999",
                "cert-expires-in-days=9999",
            ),
            ("card,tries", "tries"),
            ("card,,tries=1", ""),
        ];
        for (input, part) in table {
            let error = parse_sim_spec(input).expect_err(input);
            assert_eq!(error.part, part, "{input}");
            assert!(error.to_string().contains(&format!("`{part}`")), "{error}");
        }
    }

    #[test]
    fn card_errors_become_replies() {
        assert_eq!(reply_for_error(CardError::CardGone), ReaderReply::CardGone);
        assert_eq!(
            reply_for_error(CardError::WrongPin { tries_left: 2 }),
            ReaderReply::PinRejected { tries_left: 2 }
        );
        assert_eq!(
            reply_for_error(CardError::PinBlocked),
            ReaderReply::PinBlocked
        );
        assert_eq!(
            reply_for_error(CardError::Unexpected {
                command: "READ BINARY",
                status: StatusWord::SecurityNotSatisfied
            }),
            ReaderReply::Fault("READ BINARY answered 6982 (security status not satisfied)".into())
        );
    }
}
