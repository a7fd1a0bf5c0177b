//! Status words (SW1 SW2), decoded once into a typed enum.
//!
//! Owns: the meaning of the status words the kiosk acts on.
//! Must not know: which command was sent (callers attach that), the flow, the transport.

use std::fmt;

/// What the card said about a command, decoded from SW1 SW2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatusWord {
    /// `90 00`.
    Ok,
    /// `63 Cx`: the PIN retry counter. Answers a failed VERIFY, and also an empty VERIFY (which
    /// only asks the counter and spends nothing).
    WrongPin { tries_left: u8 },
    /// `69 84`: reference data unusable; for a PIN, blocked.
    PinBlocked,
    /// `6A 82`: file or application not found.
    FileNotFound,
    /// `69 82`: security status not satisfied (PIN not verified).
    SecurityNotSatisfied,
    /// `67 00`.
    WrongLength,
    /// `6A 86` or `6B 00` (offset outside the EF); `sw` keeps which one, for technicians.
    WrongP1P2 { sw: u16 },
    /// `6D 00`.
    InsNotSupported,
    /// `6E 00`.
    ClaNotSupported,
    /// `62 82`: end of file reached before Le bytes.
    EndOfFile,
    /// Anything else, kept verbatim.
    Other(u16),
}

impl StatusWord {
    pub fn from_u16(sw: u16) -> StatusWord {
        match sw {
            0x9000 => Self::Ok,
            0x6984 => Self::PinBlocked,
            0x6A82 => Self::FileNotFound,
            0x6982 => Self::SecurityNotSatisfied,
            0x6700 => Self::WrongLength,
            0x6A86 | 0x6B00 => Self::WrongP1P2 { sw },
            0x6D00 => Self::InsNotSupported,
            0x6E00 => Self::ClaNotSupported,
            0x6282 => Self::EndOfFile,
            _ if sw & 0xFFF0 == 0x63C0 => Self::WrongPin {
                tries_left: (sw & 0x000F) as u8,
            },
            _ => Self::Other(sw),
        }
    }

    pub fn from_bytes(sw1: u8, sw2: u8) -> StatusWord {
        Self::from_u16(u16::from_be_bytes([sw1, sw2]))
    }

    /// The two bytes as the card sent them (for `WrongPin`, the counter's low nibble).
    pub fn to_u16(self) -> u16 {
        match self {
            Self::Ok => 0x9000,
            Self::WrongPin { tries_left } => 0x63C0 | u16::from(tries_left & 0x0F),
            Self::PinBlocked => 0x6984,
            Self::FileNotFound => 0x6A82,
            Self::SecurityNotSatisfied => 0x6982,
            Self::WrongLength => 0x6700,
            Self::WrongP1P2 { sw } => sw,
            Self::InsNotSupported => 0x6D00,
            Self::ClaNotSupported => 0x6E00,
            Self::EndOfFile => 0x6282,
            Self::Other(sw) => sw,
        }
    }

    pub fn to_bytes(self) -> [u8; 2] {
        self.to_u16().to_be_bytes()
    }

    pub fn is_ok(self) -> bool {
        self == Self::Ok
    }

    /// `61 xx`: success, with xx more bytes waiting for GET RESPONSE (seen under T=0).
    pub fn is_more_data(self) -> bool {
        matches!(self, Self::Other(sw) if sw & 0xFF00 == 0x6100)
    }

    fn meaning(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::WrongPin { .. } => "PIN retry counter",
            Self::PinBlocked => "PIN blocked",
            Self::FileNotFound => "file not found",
            Self::SecurityNotSatisfied => "security status not satisfied",
            Self::WrongLength => "wrong length",
            Self::WrongP1P2 { .. } => "wrong P1-P2",
            Self::InsNotSupported => "INS not supported",
            Self::ClaNotSupported => "CLA not supported",
            Self::EndOfFile => "end of file",
            Self::Other(_) if self.is_more_data() => "more data available",
            Self::Other(_) => "unexpected status",
        }
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongPin { tries_left } => {
                write!(f, "{:04X} ({tries_left} tries left)", self.to_u16())
            }
            _ => write!(f, "{:04X} ({})", self.to_u16(), self.meaning()),
        }
    }
}

impl From<u16> for StatusWord {
    fn from(sw: u16) -> Self {
        Self::from_u16(sw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_words_we_act_on() {
        let table: &[(u16, StatusWord, &str)] = &[
            (0x9000, StatusWord::Ok, "9000 (ok)"),
            (
                0x63C3,
                StatusWord::WrongPin { tries_left: 3 },
                "63C3 (3 tries left)",
            ),
            (
                0x63C0,
                StatusWord::WrongPin { tries_left: 0 },
                "63C0 (0 tries left)",
            ),
            (0x6984, StatusWord::PinBlocked, "6984 (PIN blocked)"),
            (0x6A82, StatusWord::FileNotFound, "6A82 (file not found)"),
            (
                0x6982,
                StatusWord::SecurityNotSatisfied,
                "6982 (security status not satisfied)",
            ),
            (0x6700, StatusWord::WrongLength, "6700 (wrong length)"),
            (
                0x6A86,
                StatusWord::WrongP1P2 { sw: 0x6A86 },
                "6A86 (wrong P1-P2)",
            ),
            (
                0x6B00,
                StatusWord::WrongP1P2 { sw: 0x6B00 },
                "6B00 (wrong P1-P2)",
            ),
            (
                0x6D00,
                StatusWord::InsNotSupported,
                "6D00 (INS not supported)",
            ),
            (
                0x6E00,
                StatusWord::ClaNotSupported,
                "6E00 (CLA not supported)",
            ),
            (0x6282, StatusWord::EndOfFile, "6282 (end of file)"),
            (
                0x6A81,
                StatusWord::Other(0x6A81),
                "6A81 (unexpected status)",
            ),
            (
                0x6120,
                StatusWord::Other(0x6120),
                "6120 (more data available)",
            ),
            (
                0x63C0 - 1,
                StatusWord::Other(0x63BF),
                "63BF (unexpected status)",
            ),
        ];
        for &(raw, decoded, shown) in table {
            let sw = StatusWord::from_u16(raw);
            assert_eq!(sw, decoded, "{raw:04X}");
            assert_eq!(sw.to_u16(), raw, "{raw:04X} round trip");
            assert_eq!(sw.to_string(), shown);
            assert_eq!(StatusWord::from_bytes((raw >> 8) as u8, raw as u8), sw);
        }
    }

    #[test]
    fn every_word_round_trips() {
        for raw in 0..=u16::MAX {
            assert_eq!(StatusWord::from_u16(raw).to_u16(), raw);
        }
    }

    #[test]
    fn more_data_is_recognised() {
        assert!(StatusWord::from_u16(0x6100).is_more_data());
        assert!(StatusWord::from_u16(0x61FF).is_more_data());
        assert!(!StatusWord::from_u16(0x9000).is_more_data());
        assert!(!StatusWord::from_u16(0x6282).is_more_data());
    }
}
