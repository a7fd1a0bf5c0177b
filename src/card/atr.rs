//! What a contactless reader's ATR says about the thing on its field, read from the encoding
//! PC/SC part 3 (section 3.1.3.2.3) prescribes; never from a list of known ATRs.
//!
//! Owns: the shapes of reader-built ATRs (storage card, ISO 14443-4 Type B, Type A), the TCK
//! check, the Type B frame waiting time, and what an ISO 14443-3 UID says (random or fixed).
//! Must not know: APDUs, the flow, PC/SC.
//!
//! A contactless reader has no ATR from the card: it builds one. For an ISO 14443-4 target it
//! is `3B 8n 80 01` + n historical bytes + TCK, where the historical bytes are
//! - Type A: the historical bytes of the card's ATS (n may be 0: `3B 80 80 01 01`, what Android
//!   HCE and iPhones show);
//! - Type B: 8 bytes: the ATQB's application data (4), its protocol info (3), and a byte whose
//!   high nibble is the ATTRIB's MBLI and low nibble 0.
//!
//! The encoding does not carry the type itself: 8 historical bytes are read as Type B when
//! they look like an ATQB (the protocol info's "protocol type" nibble says ISO 14443-4, b4 = 0,
//! and the MBLI byte's low nibble is 0). A Type A ATS with 8 historical bytes that happen to
//! match is read as Type B; what that means for classification is in [`super::jpki`].

use super::jpki::{StorageCard, storage_card};

/// The contactless (or not) shape of an ATR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AtrKind {
    /// A storage card (FeliCa, MIFARE Classic/Ultralight, ...): no ISO 14443-4, no APDUs of
    /// its own; the reader answers its pseudo-APDUs.
    StorageCard(StorageCard),
    /// ISO 14443-4 Type B (Japanese ID cards: My Number card, driving licence, residence card).
    TypeB(TypeB),
    /// ISO 14443-4 Type A, with the ATS historical bytes (possibly none).
    TypeA { historical: Vec<u8> },
    /// Not a reader-built contactless ATR: a contact card, a SAM, a USB security key.
    Contact,
}

/// The ATQB's parts as the ATR carries them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeB {
    /// ATQB application data (4 bytes; some cards put a random PUPI-like value here).
    pub application_data: [u8; 4],
    /// ATQB protocol info (bit rates; max frame size and protocol type; FWI, ADC, FO).
    pub protocol_info: [u8; 3],
}

impl TypeB {
    /// Frame waiting integer, 0..=14 (15 is RFU and read as 4, the ISO 14443-4 default).
    pub fn fwi(&self) -> u8 {
        match self.protocol_info[2] >> 4 {
            15 => 4,
            fwi => fwi,
        }
    }

    /// The card's frame waiting time: (256 × 16 / fc) × 2^FWI, fc = 13.56 MHz (ISO 14443-4
    /// 7.2). FWI 13 (newer My Number cards) is about 2.47 s per APDU.
    pub fn frame_waiting_time(&self) -> std::time::Duration {
        let nanos = 4096u64 * 1_000_000_000 * (1u64 << self.fwi()) / 13_560_000;
        std::time::Duration::from_nanos(nanos)
    }
}

/// Whether the TCK checks: the XOR of every byte from T0 through TCK is 0.
pub fn tck_ok(atr: &[u8]) -> bool {
    atr.len() > 1 && atr.iter().skip(1).fold(0, |acc, b| acc ^ b) == 0
}

/// The number of historical bytes an ATR declares when it starts the way a contactless reader
/// builds one (PC/SC part 3, 3.1.3.2.3: `3B 8n 80 01`, n historical bytes follow, then the TCK);
/// `None` for any other start (a contact card, a SAM, a security key). Only the first four
/// bytes are read: whether the rest is all there is for the caller to check.
pub fn reader_built_len(atr: &[u8]) -> Option<usize> {
    match atr {
        [0x3B, t0, 0x80, 0x01, ..] if t0 & 0xF0 == 0x80 => Some(usize::from(t0 & 0x0F)),
        _ => None,
    }
}

/// Reads an ATR's shape (PC/SC part 3, 3.1.3.2.3). Never fails: anything that is not a
/// reader-built contactless ATR is [`AtrKind::Contact`].
///
/// TCK: a reader-built ATR always ends with one, computed by the reader, not the card. One that
/// does not check says the reader (not the card) is odd; the bytes are still read as the shape
/// they have, except that a bad TCK never makes a Type B: such an ATR is read as Type A, whose
/// path asks the card and, when unsure, the patient. So a reader bug can cost a question, never
/// a wrong "this is not the My Number card" (and the JPKI application is tried first anyway).
pub fn contactless_kind(atr: &[u8]) -> AtrKind {
    if let Some(storage) = storage_card(atr) {
        return AtrKind::StorageCard(storage);
    }
    let Some(n) = reader_built_len(atr) else {
        return AtrKind::Contact;
    };
    let rest = &atr[4..];
    // The historical bytes and exactly one TCK.
    if rest.len() != n + 1 {
        return AtrKind::Contact;
    }
    let historical = &rest[..n];
    if tck_ok(atr)
        && let Some(type_b) = type_b(historical)
    {
        return AtrKind::TypeB(type_b);
    }
    AtrKind::TypeA {
        historical: historical.to_vec(),
    }
}

/// The 8 historical bytes of a Type B target, if they look like one: protocol type
/// (protocol info byte 2, b1) says ISO 14443-4, its b4 is 0 as ISO 14443-3 requires, and the
/// MBLI byte's low nibble is 0 (RFU).
fn type_b(historical: &[u8]) -> Option<TypeB> {
    let [a0, a1, a2, a3, p0, p1, p2, mbli] = historical else {
        return None;
    };
    if p1 & 0x09 != 0x01 || mbli & 0x0F != 0 {
        return None;
    }
    Some(TypeB {
        application_data: [*a0, *a1, *a2, *a3],
        protocol_info: [*p0, *p1, *p2],
    })
}

/// What an ISO 14443-3 UID (the reader's answer to `FF CA 00 00 00`) says about its holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UidKind {
    /// A 4-byte UID starting `08`: a random ID, new at every tap. Phones always use one; some
    /// cards (passports, some bank cards) do too.
    Random,
    /// A fixed UID: 7 or 10 bytes (always unique, fixed), or 4 bytes with a manufacturer's or
    /// non-unique (`xF`) first byte. Phones never show one.
    Fixed,
    /// Anything else (an RFU `x8` first byte, an odd length, nothing).
    Unknown,
}

/// Reads a UID per ISO 14443-3 (6.4.4: single-size UID0 `08` = random ID, `x8` other than
/// `08` RFU, `xF` non-unique; double and triple sizes are unique fixed IDs).
pub fn uid_kind(uid: &[u8]) -> UidKind {
    match uid {
        [0x08, _, _, _] => UidKind::Random,
        [b0, _, _, _] if b0 & 0x0F == 0x08 => UidKind::Unknown,
        [_, _, _, _] => UidKind::Fixed,
        u if u.len() == 7 || u.len() == 10 => UidKind::Fixed,
        _ => UidKind::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::apdu::hex;

    fn bytes(hex: &str) -> Vec<u8> {
        hex.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).expect("test hex is valid"))
            .collect()
    }

    fn kind_name(kind: &AtrKind) -> &'static str {
        match kind {
            AtrKind::StorageCard(_) => "storage",
            AtrKind::TypeB(_) => "B",
            AtrKind::TypeA { .. } => "A",
            AtrKind::Contact => "contact",
        }
    }

    /// Real ATRs from Ludovic Rousseau's smartcard_list.txt (pcsc-tools) and the issue.
    #[test]
    fn reads_the_shape_of_real_atrs() {
        let table = [
            // Japanese ID cards: Type B.
            (
                "3B 88 80 01 00 00 00 00 91 81 C1 00 D8",
                "B",
                "driving licence of Japan",
            ),
            (
                "3B 88 80 01 00 00 05 E0 B3 81 A1 00 7F",
                "B",
                "My Number card",
            ),
            (
                "3B 88 80 01 00 00 41 E0 B3 81 A1 00 3B",
                "B",
                "My Number card",
            ),
            (
                "3B 88 80 01 00 4B 51 FF B3 81 D1 00 0F",
                "B",
                "My Number card, FWI 13",
            ),
            (
                "3B 88 80 01 00 4B 51 FF 00 81 D1 00 BC",
                "B",
                "My Number card, FWI 13",
            ),
            ("3B 88 80 01 00 00 14 E0 B3 81 91 00 5E", "B", "JUKI card"),
            (
                "3B 88 80 01 E1 F3 5E 11 77 83 00 00 A0",
                "B",
                "German residence permit",
            ),
            (
                "3B 88 80 01 00 00 00 00 80 81 71 00 79",
                "B",
                "Apple Pay (EMV over B)",
            ),
            // Type A with ATS historical bytes, 8 of them included.
            ("3B 88 80 01 4A 43 4F 50 76 32 34 31 5E", "A", "NXP JCOP"),
            ("3B 88 80 01 00 73 C8 40 00 00 90 00 62", "A", "JCOP 31"),
            (
                "3B 88 80 01 46 49 44 45 53 4D 4F 31 67",
                "A",
                "Fidesmo card",
            ),
            ("3B 86 80 01 80 31 C1 52 11 18 2C", "A", "IDEMIA Cosmo PIV"),
            ("3B 85 80 01 20 63 CB A0 00 2C", "A", "Visa"),
            ("3B 81 80 01 80 80", "A", "DESFire"),
            ("3B 80 80 01 01", "A", "Android HCE, iPhone, some passports"),
            (
                "3B 8F 80 01 80 4F 0C A0 00 00 03 06 11 00 3B 00 00 00 00 42",
                "storage",
                "Suica",
            ),
            (
                "3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A",
                "storage",
                "MIFARE 1K",
            ),
            (
                "3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 F0 11 00 00 00 00 8A",
                "storage",
                "HTC One X",
            ),
            // Not contactless.
            (
                "3B DF 18 FF 81 F1 FE 43 00 3F 03 83 4D 49 46 41 52 45 20 50 6C 75 73 20 53 41 4D 3B",
                "contact",
                "ACR1252 SAM slot",
            ),
            (
                "3B FD 13 00 00 81 31 FE 15 80 73 C0 21 C0 57 59 75 62 69 4B 65 79 40",
                "contact",
                "YubiKey",
            ),
            ("", "contact", "nothing"),
            (
                "3B 88 80 01 00 00 00 00 91 81 C1 00",
                "contact",
                "cut short",
            ),
        ];
        for (atr, expected, what) in table {
            let atr = bytes(atr);
            let kind = contactless_kind(&atr);
            assert_eq!(kind_name(&kind), expected, "{what}: {}", hex(&atr));
        }
    }

    #[test]
    fn type_b_gives_its_parts_and_frame_waiting_time() {
        let AtrKind::TypeB(b) = contactless_kind(&bytes("3B 88 80 01 00 4B 51 FF B3 81 D1 00 0F"))
        else {
            panic!("a Type B ATR");
        };
        assert_eq!(b.application_data, [0x00, 0x4B, 0x51, 0xFF]);
        assert_eq!(b.protocol_info, [0xB3, 0x81, 0xD1]);
        assert_eq!(b.fwi(), 13);
        let fwt = b.frame_waiting_time();
        assert!(fwt > std::time::Duration::from_millis(2400), "{fwt:?}");
        assert!(fwt < std::time::Duration::from_millis(2500), "{fwt:?}");
        let AtrKind::TypeB(licence) =
            contactless_kind(&bytes("3B 88 80 01 00 00 00 00 91 81 C1 00 D8"))
        else {
            panic!("a Type B ATR");
        };
        assert_eq!(licence.fwi(), 12);
    }

    #[test]
    fn a_bad_tck_never_makes_a_type_b() {
        let mut atr = bytes("3B 88 80 01 00 00 00 00 91 81 C1 00 D8");
        assert!(tck_ok(&atr));
        atr[12] ^= 0x01;
        assert!(!tck_ok(&atr));
        assert_eq!(
            contactless_kind(&atr),
            AtrKind::TypeA {
                historical: bytes("00 00 00 00 91 81 C1 00")
            }
        );
    }

    #[test]
    fn reads_uids_per_iso_14443_3() {
        let table = [
            ("08 12 34 56", UidKind::Random),
            ("04 12 34 56", UidKind::Fixed),
            ("1F 12 34 56", UidKind::Fixed),
            ("04 A2 3B 4C 5D 6E 80", UidKind::Fixed),
            ("04 A2 3B 4C 5D 6E 80 01 02 03", UidKind::Fixed),
            ("18 12 34 56", UidKind::Unknown),
            ("01 2E 4C 5A 10 22 33 44", UidKind::Unknown),
            ("", UidKind::Unknown),
        ];
        for (uid, expected) in table {
            assert_eq!(uid_kind(&bytes(uid)), expected, "{uid}");
        }
    }
}
