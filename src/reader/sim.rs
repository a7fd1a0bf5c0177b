//! The simulated reader: a field on which named simulated things are placed and removed, and
//! the flow's reader operations run against whatever is there.
//!
//! Owns: the named things (kept between taps, so a PIN counter survives a re-tap), the one
//! [`JpkiCard`] that lives from placement to removal, and power-cycling a thing when it is
//! placed again.
//! Must not know: the flow's states, APDU bytes, PC/SC.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tracing::debug;

use super::{SimSpec, SimSpecError, run_op, sim_profile_name};
use crate::card::jpki::{ApduStats, JpkiCard};
use crate::card::sim::{SimProfile, SimTransport, SimulatedCard, lock};
use crate::flow::ports::{ReaderOp, ReaderReply};

/// What lies on the field: its name and the card session opened when it was placed.
struct OnField {
    name: String,
    card: JpkiCard<SimTransport>,
}

/// What to place on the simulated reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement<'a> {
    /// The reader's default thing (see [`SimReader::from_spec`]).
    Default,
    /// A held thing by name, or a description such as `card,tries=1`.
    Named(&'a str),
    /// The thing with this profile's canonical name.
    Profile(SimProfile),
}

impl<'a> From<&'a str> for Placement<'a> {
    fn from(name: &'a str) -> Self {
        Placement::Named(name)
    }
}

impl<'a> From<Option<&'a str>> for Placement<'a> {
    fn from(name: Option<&'a str>) -> Self {
        name.map_or(Placement::Default, Placement::Named)
    }
}

impl From<SimProfile> for Placement<'_> {
    fn from(profile: SimProfile) -> Self {
        Placement::Profile(profile)
    }
}

/// A reader with simulated things to place on it.
pub struct SimReader {
    things: BTreeMap<String, Arc<Mutex<SimulatedCard>>>,
    field: Option<OnField>,
    /// What a tap without a name places.
    default_thing: String,
}

impl Default for SimReader {
    fn default() -> Self {
        SimReader {
            things: BTreeMap::new(),
            field: None,
            default_thing: sim_profile_name(SimProfile::MyNumberCard).to_string(),
        }
    }
}

impl SimReader {
    /// An empty reader whose default thing is a My Number card (`card`).
    pub fn new() -> SimReader {
        SimReader::default()
    }

    /// An empty reader whose default thing is described by `spec` (e.g. `phone`,
    /// `card,tries=1`). Nothing is on the field yet.
    pub fn from_spec(spec: &str) -> Result<SimReader, SimSpecError> {
        let parsed: SimSpec = spec.parse()?;
        let mut reader = SimReader::new();
        reader.things.insert(
            spec.to_string(),
            SimulatedCard::new(parsed.profile, parsed.options).shared(),
        );
        reader.default_thing = spec.to_string();
        Ok(reader)
    }

    /// The name of the thing a tap without a name places.
    pub fn default_thing(&self) -> &str {
        &self.default_thing
    }

    /// Adds (or replaces) a named thing. A replaced thing on the field leaves it.
    pub fn insert(
        &mut self,
        name: impl Into<String>,
        card: SimulatedCard,
    ) -> Arc<Mutex<SimulatedCard>> {
        let name = name.into();
        if self.on_field() == Some(name.as_str()) {
            self.remove();
        }
        let shared = card.shared();
        self.things.insert(name, Arc::clone(&shared));
        shared
    }

    /// [`SimReader::try_place`] with the error as text, for scripts and the command line.
    pub fn place<'a>(&mut self, what: impl Into<Placement<'a>>) -> Result<(), String> {
        self.try_place(what).map(drop).map_err(|e| e.to_string())
    }

    /// Places a thing on the field (taking off whatever was there) and returns it. A name not
    /// yet held is parsed as a description and the new thing is kept under that very string,
    /// so placing the same string again re-taps the same thing (its PIN counter included).
    /// Placing powers the thing up afresh: no PIN is verified any more. A description that
    /// does not parse leaves the field as it was.
    pub fn try_place<'a>(
        &mut self,
        what: impl Into<Placement<'a>>,
    ) -> Result<Arc<Mutex<SimulatedCard>>, SimSpecError> {
        let (name, profile) = match what.into() {
            Placement::Default => (self.default_thing.clone(), None),
            Placement::Named(name) => (name.to_string(), None),
            Placement::Profile(profile) => (sim_profile_name(profile).to_string(), Some(profile)),
        };
        let shared = match (self.things.get(&name), profile) {
            (Some(shared), _) => Arc::clone(shared),
            (None, Some(profile)) => SimulatedCard::new(profile, Default::default()).shared(),
            (None, None) => {
                let spec: SimSpec = name.parse()?;
                SimulatedCard::new(spec.profile, spec.options).shared()
            }
        };
        self.things.insert(name.clone(), Arc::clone(&shared));
        self.remove();
        lock(&shared).reset();
        debug!(
            thing = profile_only(&name),
            "placed on the simulated reader"
        );
        self.field = Some(OnField {
            name,
            card: JpkiCard::new(SimTransport::new(Arc::clone(&shared))),
        });
        Ok(shared)
    }

    /// Takes whatever is on the field off it; returns its name.
    pub fn remove(&mut self) -> Option<String> {
        let field = self.field.take()?;
        debug!(
            thing = profile_only(&field.name),
            "removed from the simulated reader"
        );
        Some(field.name)
    }

    /// The name of the thing on the field.
    pub fn on_field(&self) -> Option<&str> {
        self.field.as_ref().map(|f| f.name.as_str())
    }

    /// A held thing, for tests to inspect its counters and log.
    pub fn card(&self, name: &str) -> Option<Arc<Mutex<SimulatedCard>>> {
        self.things.get(name).map(Arc::clone)
    }

    /// APDU counts of the current card session.
    pub fn stats(&self) -> Option<ApduStats> {
        self.field.as_ref().map(|f| f.card.stats())
    }

    /// Runs one operation over the card session of the thing on the field. Never retried.
    pub fn execute(&mut self, op: ReaderOp) -> ReaderReply {
        let Some(field) = self.field.as_mut() else {
            return ReaderReply::CardGone;
        };
        run_op(&mut field.card, op)
    }
}

/// A thing's name without its options: a description such as `card,pin=4821` carries a PIN,
/// which must never reach a log.
fn profile_only(name: &str) -> &str {
    name.split(',').next().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CardProof, Challenge, Pin, Tapped};
    use crate::flow::ports::PinStatus;

    fn verify(pin: &str) -> ReaderOp {
        ReaderOp::VerifyPin(Pin::parse(pin).expect("test PINs are four digits"))
    }

    fn authenticate() -> ReaderOp {
        ReaderOp::Authenticate {
            challenge: Challenge(b"challenge from the gateway".to_vec()),
        }
    }

    #[test]
    fn an_empty_field_is_card_gone() {
        let mut reader = SimReader::new();
        assert_eq!(reader.execute(ReaderOp::Identify), ReaderReply::CardGone);
        reader.place("card").expect("known profile");
        assert_eq!(reader.remove().as_deref(), Some("card"));
        assert_eq!(reader.execute(ReaderOp::Identify), ReaderReply::CardGone);
        assert_eq!(reader.on_field(), None);
    }

    #[test]
    fn a_card_check_in_runs_over_one_session() {
        let mut reader = SimReader::new();
        let card = reader.try_place("card").expect("known profile");
        assert_eq!(
            reader.execute(ReaderOp::Identify),
            ReaderReply::Identified(Tapped::MyNumberCard)
        );
        assert_eq!(
            reader.execute(ReaderOp::ReadPinTriesLeft),
            ReaderReply::PinTriesLeft(PinStatus::TriesLeft(3))
        );
        assert_eq!(
            reader.execute(verify("1111")),
            ReaderReply::PinRejected { tries_left: 2 }
        );
        assert_eq!(reader.execute(verify("1234")), ReaderReply::PinVerified);
        let ReaderReply::Authenticated {
            certificate,
            signature,
            ..
        } = reader.execute(authenticate())
        else {
            panic!("the verified card authenticates");
        };
        let proof = CardProof {
            certificate,
            challenge: Challenge(b"challenge from the gateway".to_vec()),
            signature,
        };
        assert_eq!(
            crate::pki::verify_card_proof(&proof, crate::pki::test_ca_certificate()),
            Ok(())
        );
        let card = lock(&card);
        assert_eq!(card.verify_count(), 2);
        assert_eq!(Some(card.apdu_count()), reader.stats().map(|s| s.apdus));
    }

    #[test]
    fn the_phone_needs_its_pin_before_its_certificate() {
        let mut reader = SimReader::new();
        reader.place("phone").expect("known profile");
        assert_eq!(
            reader.execute(ReaderOp::Identify),
            ReaderReply::Identified(Tapped::AndroidPhone)
        );
        assert_eq!(
            reader.execute(authenticate()),
            ReaderReply::Fault("READ BINARY answered 6982 (security status not satisfied)".into())
        );
        assert_eq!(reader.execute(verify("1234")), ReaderReply::PinVerified);
        assert!(matches!(
            reader.execute(authenticate()),
            ReaderReply::Authenticated { .. }
        ));
    }

    #[test]
    fn a_re_tap_is_a_new_session_with_the_same_counter() {
        let mut reader = SimReader::new();
        reader.place("card").expect("known profile");
        assert_eq!(
            reader.execute(verify("0000")),
            ReaderReply::PinRejected { tries_left: 2 }
        );
        assert_eq!(reader.execute(verify("1234")), ReaderReply::PinVerified);
        reader.remove();
        reader.place("card").expect("held");
        // Power cycled: the signature needs the PIN again; the counter stayed at 3.
        assert_eq!(
            reader.execute(authenticate()),
            ReaderReply::Fault(
                "COMPUTE DIGITAL SIGNATURE answered 6982 (security status not satisfied)".into()
            )
        );
        assert_eq!(
            reader.execute(ReaderOp::ReadPinTriesLeft),
            ReaderReply::PinTriesLeft(PinStatus::TriesLeft(3))
        );
    }

    #[test]
    fn a_card_pulled_away_is_gone_until_tapped_again() {
        let mut reader = SimReader::new();
        let card = reader.try_place("card,remove-after=4").expect("valid spec");
        assert_eq!(
            reader.execute(ReaderOp::Identify),
            ReaderReply::Identified(Tapped::MyNumberCard)
        );
        // SELECT 0018 is the 4th APDU; the empty VERIFY meets an empty field.
        assert_eq!(
            reader.execute(ReaderOp::ReadPinTriesLeft),
            ReaderReply::CardGone
        );
        assert_eq!(reader.execute(verify("1234")), ReaderReply::CardGone);
        assert_eq!(lock(&card).verify_count(), 0);
        reader.place("card,remove-after=4").expect("held");
        assert_eq!(
            reader.execute(ReaderOp::Identify),
            ReaderReply::Identified(Tapped::MyNumberCard)
        );
        assert_eq!(reader.execute(verify("1234")), ReaderReply::PinVerified);
    }

    #[test]
    fn every_named_thing_is_identified() {
        let table = [
            ("card", Tapped::MyNumberCard),
            ("phone", Tapped::AndroidPhone),
            ("iphone", Tapped::UnreadableDevice),
            ("transit", Tapped::TransitCard),
            ("resident-card", Tapped::OldResidentCard),
            ("payment", Tapped::PaymentCard),
            ("unknown-device", Tapped::UnreadableDevice),
            ("mute", Tapped::Mute),
            ("card,tries=0", Tapped::MyNumberCard),
        ];
        let mut reader = SimReader::new();
        for (name, tapped) in table {
            reader.place(name).expect("valid spec");
            assert_eq!(reader.on_field(), Some(name));
            assert_eq!(
                reader.execute(ReaderOp::Identify),
                ReaderReply::Identified(tapped),
                "{name}"
            );
        }
        assert_eq!(
            reader.execute(ReaderOp::ReadPinTriesLeft),
            ReaderReply::PinTriesLeft(PinStatus::Blocked)
        );
        assert!(reader.card("card,tries=0").is_some());
        assert!(reader.card("nothing").is_none());
    }

    #[test]
    fn placing_a_bad_description_fails_and_leaves_the_field_alone() {
        let mut reader = SimReader::new();
        reader.place("card").expect("known profile");
        let error = reader
            .try_place("card,tries=7")
            .expect_err("tries beyond 3");
        assert_eq!(error.part, "tries=7");
        assert_eq!(
            reader.place("card,tries=7"),
            Err("simulated device `tries=7`: tries is 0 to 3".to_string())
        );
        assert_eq!(reader.on_field(), Some("card"));
    }

    #[test]
    fn inserted_and_profile_things() {
        let mut reader = SimReader::new();
        reader.insert(
            "grandma's card",
            SimulatedCard::new(SimProfile::MyNumberCard, Default::default()),
        );
        reader.place("grandma's card").expect("held");
        assert_eq!(
            reader.execute(ReaderOp::Identify),
            ReaderReply::Identified(Tapped::MyNumberCard)
        );
        let transit = reader
            .try_place(SimProfile::TransitCard)
            .expect("a profile always places");
        assert_eq!(reader.on_field(), Some("transit"));
        assert_eq!(
            reader.execute(ReaderOp::Identify),
            ReaderReply::Identified(Tapped::TransitCard)
        );
        assert_eq!(lock(&transit).apdu_count(), 0);
        reader.insert(
            "transit",
            SimulatedCard::new(SimProfile::Mute, Default::default()),
        );
        assert_eq!(reader.on_field(), None);
    }
}
