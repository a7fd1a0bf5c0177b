//! Only a four-digit PIN ever reaches a card. Whatever string a patient (or a script, or a
//! bug) produces, `Pin::parse` takes four ASCII digits only, the JPKI layer refuses to build a
//! VERIFY from any other data, and the one VERIFY without data the kiosk sends is the case 1
//! tries probe `00 20 00 80` (never `Lc = 00`: some cards take an empty data field for a login,
//! CVE-2023-40660). Checked on every APDU a card receives.

use std::sync::Arc;

use proptest::prelude::*;
use uketsuke::card::apdu::INS_VERIFY;
use uketsuke::card::jpki::{self, JpkiCard};
use uketsuke::card::sim::{SimOptions, SimProfile, SimTransport, SimulatedCard, lock};
use uketsuke::domain::Pin;

fn is_four_ascii_digits(s: &[u8]) -> bool {
    s.len() == 4 && s.iter().all(u8::is_ascii_digit)
}

/// Strings near a PIN: digits of every script and width, lengths around four, spaces,
/// signs, NULs, and anything at all.
fn pin_like() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[0-9]{0,8}",
        2 => "[0-9０-９٠-٩०-९ +\\-.\\n\\t\\x00]{0,6}",
        2 => any::<String>(),
        1 => "[0-9]{4}",
    ]
}

/// Every VERIFY the card received: either the bare probe or `Lc = 04` and four digits.
/// (The simulated card's log redacts the digits to `**`, so the shape is checked there and the
/// digits on the wire by a recording transport below.)
fn assert_only_probe_or_four_digit_verify(log: &[Vec<u8>]) -> Result<usize, TestCaseError> {
    let mut with_data = 0;
    for command in log.iter().filter(|c| c.get(1) == Some(&INS_VERIFY)) {
        if command.as_slice() == [0x00, 0x20, 0x00, 0x80] {
            continue;
        }
        prop_assert_eq!(&command[..5], &[0x00, 0x20, 0x00, 0x80, 0x04][..]);
        with_data += 1;
    }
    Ok(with_data)
}

/// Remembers every command sent, digits included (this test's own memory only).
struct Recording {
    inner: SimTransport,
    sent: Vec<Vec<u8>>,
}

impl uketsuke::card::CardTransport for Recording {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, uketsuke::card::TransportError> {
        self.sent.push(command.to_vec());
        self.inner.transmit(command)
    }

    fn atr(&self) -> Vec<u8> {
        self.inner.atr()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_string_but_four_ascii_digits_produces_a_verify_with_data(input in pin_like()) {
        let four_digits = is_four_ascii_digits(input.as_bytes());
        // The JPKI layer's own check, on the raw bytes.
        prop_assert_eq!(jpki::verify_command(input.as_bytes()).is_ok(), four_digits);
        let parsed = Pin::parse(&input);
        prop_assert_eq!(parsed.is_some(), four_digits, "Pin::parse({:?})", input);

        let shared = SimulatedCard::new(
            SimProfile::MyNumberCard,
            SimOptions { pin: Pin::parse("0000").expect("four digits"), ..SimOptions::default() },
        )
        .shared();
        let mut card = JpkiCard::new(Recording {
            inner: SimTransport::new(Arc::clone(&shared)),
            sent: Vec::new(),
        });
        let _ = card.pin_tries_left();
        if let Some(pin) = parsed {
            let _ = card.verify_pin(&pin);
        }
        let sent = &card.transport().sent;
        let verifies: Vec<&Vec<u8>> = sent.iter().filter(|c| c.get(1) == Some(&INS_VERIFY)).collect();
        for command in &verifies {
            let data_ok = command.as_slice() == [0x00, 0x20, 0x00, 0x80]
                || (command.len() == 9
                    && command[..5] == [0x00, 0x20, 0x00, 0x80, 0x04]
                    && is_four_ascii_digits(&command[5..]));
            prop_assert!(data_ok, "VERIFY sent: {:02X?}", command);
        }
        let with_data = verifies.iter().filter(|c| c.len() > 4).count();
        prop_assert_eq!(with_data, usize::from(four_digits));
        if four_digits {
            prop_assert_eq!(&verifies[1][5..], input.as_bytes());
        }
        let card_log = lock(&shared).log().to_vec();
        prop_assert_eq!(assert_only_probe_or_four_digit_verify(&card_log)?, usize::from(four_digits));
        prop_assert_eq!(lock(&shared).verify_count(), usize::from(four_digits));
    }
}

#[test]
fn the_probe_on_the_wire_is_four_bytes_and_case_1() {
    let probe = jpki::tries_probe();
    assert_eq!(probe.to_bytes(), [0x00, 0x20, 0x00, 0x80]);
    assert_eq!(probe.case(), 1, "no Lc, no Le");
}
