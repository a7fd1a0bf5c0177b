//! Bytes from a card are never trusted: every parser, the simulated card, and the JPKI
//! operations over a card that answers garbage, fed arbitrary bytes, return values or errors
//! and never panic.

use std::collections::VecDeque;

use proptest::prelude::*;
use uketsuke::card::apdu::{self, Response};
use uketsuke::card::der;
use uketsuke::card::jpki::{self, JpkiCard};
use uketsuke::card::sim::{SimOptions, SimProfile, SimulatedCard};
use uketsuke::card::{CardTransport, StatusWord, TransportError};
use uketsuke::domain::Pin;

/// A transport that answers each APDU with the next scripted reply (or an error).
struct ScriptedTransport {
    atr: Vec<u8>,
    replies: VecDeque<Result<Vec<u8>, TransportError>>,
}

impl CardTransport for ScriptedTransport {
    fn transmit(&mut self, _command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.replies
            .pop_front()
            .unwrap_or(Err(TransportError::CardRemoved))
    }

    fn atr(&self) -> Vec<u8> {
        self.atr.clone()
    }
}

fn reply() -> impl Strategy<Value = Result<Vec<u8>, TransportError>> {
    prop_oneof![
        8 => proptest::collection::vec(any::<u8>(), 0..300).prop_map(Ok),
        // Mostly well-formed status words, so the operations get past their first steps.
        8 => (proptest::collection::vec(any::<u8>(), 0..300), prop_oneof![
            Just(0x9000u16), Just(0x6282), Just(0x63C2), Just(0x6984), Just(0x6A82), any::<u16>()
        ])
            .prop_map(|(mut data, sw)| { data.extend_from_slice(&sw.to_be_bytes()); Ok(data) }),
        // A DER header promising a length, then data.
        4 => (any::<u16>(), proptest::collection::vec(any::<u8>(), 0..260)).prop_map(|(len, rest)| {
            let mut data = vec![0x30, 0x82];
            data.extend_from_slice(&len.to_be_bytes());
            data.extend(rest);
            data.extend_from_slice(&[0x90, 0x00]);
            Ok(data)
        }),
        1 => Just(Err(TransportError::CardRemoved)),
        1 => Just(Err(TransportError::CardReset)),
        1 => Just(Err(TransportError::Reader("gone".into()))),
    ]
}

/// Commands close to what a client sends, mixed with noise, so the simulated card is driven
/// into its deeper states (selected EFs, verified PIN, signing).
fn command() -> impl Strategy<Value = Vec<u8>> {
    let select_jpki = {
        let mut c = vec![0x00, 0xA4, 0x04, 0x0C, 0x0A];
        c.extend_from_slice(&jpki::JPKI_AID);
        c
    };
    prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..300),
        2 => Just(select_jpki),
        2 => prop_oneof![
            Just(jpki::EF_TOKEN), Just(jpki::EF_AUTH_CERT), Just(jpki::EF_AUTH_KEY),
            Just(jpki::EF_AUTH_PIN), any::<[u8; 2]>()
        ].prop_map(|ef| vec![0x00, 0xA4, 0x02, 0x0C, 0x02, ef[0], ef[1]]),
        2 => (any::<u16>(), any::<u8>())
            .prop_map(|(offset, le)| {
                let [p1, p2] = offset.to_be_bytes();
                vec![0x00, 0xB0, p1, p2, le]
            }),
        1 => Just(vec![0x00, 0x20, 0x00, 0x80]),
        1 => prop_oneof![Just(*b"1234"), any::<[u8; 4]>()]
            .prop_map(|pin| [&[0x00, 0x20, 0x00, 0x80, 0x04][..], &pin[..]].concat()),
        1 => proptest::collection::vec(any::<u8>(), 0..255).prop_map(|data| {
            let mut c = vec![0x80, 0x2A, 0x00, 0x80, data.len() as u8];
            c.extend(data);
            c.push(0x00);
            c
        }),
        1 => proptest::collection::vec(any::<u8>(), 0..20)
            .prop_map(|data| [&[0x00, 0xA4, 0x04, 0x00, data.len() as u8][..], &data[..]].concat()),
    ]
}

fn profile() -> impl Strategy<Value = SimProfile> {
    proptest::sample::select(SimProfile::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn response_parse_never_panics(raw in proptest::collection::vec(any::<u8>(), 0..600)) {
        match Response::parse(&raw) {
            Ok(response) => {
                prop_assert_eq!(response.data().len() + 2, raw.len());
                let _ = format!("{response:?}");
            }
            Err(_) => prop_assert!(raw.len() < 2),
        }
    }

    #[test]
    fn status_words_round_trip(sw in any::<u16>()) {
        let decoded = StatusWord::from_u16(sw);
        prop_assert_eq!(decoded.to_u16(), sw);
        let hex = format!("{sw:04X}");
        prop_assert!(decoded.to_string().starts_with(&hex));
    }

    #[test]
    fn der_length_never_panics(header in proptest::collection::vec(any::<u8>(), 0..16)) {
        if let Ok(total) = der::total_length(&header) {
            // The header alone is at most 9 bytes; the length fits 3 octets.
            prop_assert!((2..=9 + 0xFF_FFFF).contains(&total));
        }
    }

    #[test]
    fn token_parsing_never_panics(token in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = jpki::classify_token(&token);
        let _ = jpki::storage_card(&token);
        let _ = apdu::trace_hex(&token);
        let redacted = apdu::redact_command(&token);
        if apdu::is_verify_with_data(&token) {
            prop_assert_eq!(&redacted[5..], b"**");
        }
    }

    #[test]
    fn the_simulated_card_answers_anything(
        profile in profile(),
        tries in 0u8..=3,
        commands in proptest::collection::vec(command(), 0..40),
    ) {
        let options = SimOptions { tries_left: tries, ..SimOptions::default() };
        let mut card = SimulatedCard::new(profile, options);
        for (i, command) in commands.iter().enumerate() {
            let answer = card.respond(command);
            if profile == SimProfile::Mute {
                prop_assert!(answer.is_empty());
            } else {
                prop_assert!(answer.len() >= 2, "command {i} got {answer:02X?}");
            }
            prop_assert!(card.tries_left() <= 3);
            if i % 7 == 6 {
                card.reset();
            }
        }
        prop_assert_eq!(card.apdu_count(), commands.len());
        // The log never carries a PIN.
        for entry in card.log() {
            if apdu::is_verify_with_data(entry) {
                prop_assert_eq!(&entry[5..], b"**");
            }
        }
    }

    #[test]
    fn jpki_operations_survive_a_garbage_card(
        atr in proptest::collection::vec(any::<u8>(), 0..33),
        replies in proptest::collection::vec(reply(), 0..30),
        digest_info in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut card = JpkiCard::new(ScriptedTransport { atr, replies: replies.into() });
        let _ = card.identify();
        let _ = card.pin_tries_left();
        let _ = card.verify_pin(&Pin::parse("1234").expect("four digits"));
        if let Ok(certificate) = card.read_auth_certificate() {
            prop_assert!(certificate.0.len() <= jpki::MAX_CERT_LEN);
        }
        let _ = card.sign_digest_info(&digest_info);
        let stats = card.stats();
        prop_assert!(stats.apdus <= 30 + 5, "at most one failing APDU per operation past the script");
    }
}
