//! Command APDUs (short form, ISO 7816-4 cases 1–4) and response parsing.
//!
//! Owns: the byte layout of commands and responses, and how a command is shown in a trace
//! (VERIFY data redacted).
//! Must not know: what a command means to JPKI, the transport, the flow.

use std::fmt::Write as _;

use thiserror::Error;

use super::status::StatusWord;

/// `INS` of VERIFY: its data field is a PIN and is never shown.
pub const INS_VERIFY: u8 = 0x20;
pub const INS_SELECT: u8 = 0xA4;
pub const INS_READ_BINARY: u8 = 0xB0;

/// Largest data field of a short APDU.
pub const MAX_DATA: usize = 255;
/// Largest Le of a short APDU (encoded as `00`).
pub const MAX_LE: u16 = 256;
/// READ BINARY offsets live in 15 bits: P1's top bit set means a short EF identifier instead.
pub const MAX_READ_OFFSET: u16 = 0x7FFF;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ApduError {
    #[error("data field of {0} bytes does not fit a short APDU (1..=255)")]
    DataLength(usize),
    #[error("Le {0} does not fit a short APDU (1..=256)")]
    Le(u16),
    #[error("READ BINARY offset {0:#06x} exceeds 15 bits")]
    Offset(u16),
    #[error("a command of {0} bytes is longer than a short APDU ({MAX_SHORT_APDU} bytes at most)")]
    TooLong(usize),
}

/// The longest short command APDU (ISO/IEC 7816-4, 5.1): CLA INS P1 P2, Lc, 255 data bytes, Le.
/// The kiosk sends nothing longer: some readers refuse extended APDUs with
/// `SCARD_E_NOT_TRANSACTED`, which would look like a wedged reader.
pub const MAX_SHORT_APDU: usize = 4 + 1 + MAX_DATA + 1;

/// Checks that `command` fits a short APDU, before anything is sent.
///
/// Errors: [`ApduError::TooLong`] with the command's length. [`Apdu`] cannot build a longer
/// one; this is the wire's own guard (every APDU to a real card passes it, in the PC/SC
/// transport).
pub fn check_short(command: &[u8]) -> Result<(), ApduError> {
    if command.len() > MAX_SHORT_APDU {
        return Err(ApduError::TooLong(command.len()));
    }
    Ok(())
}

/// One short command APDU. Built, then turned into bytes with [`Apdu::to_bytes`].
#[derive(Clone, PartialEq, Eq)]
pub struct Apdu {
    cla: u8,
    ins: u8,
    p1: u8,
    p2: u8,
    data: Vec<u8>,
    /// Expected response length, 1..=256; `None` means no Le byte.
    le: Option<u16>,
}

impl Apdu {
    /// A case 1 command (header only). Add data and Le with the `with_` methods.
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Apdu {
        Apdu {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            le: None,
        }
    }

    /// Sets the data field (1..=255 bytes): case 3, or case 4 with an Le.
    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Result<Apdu, ApduError> {
        let data = data.into();
        if data.is_empty() || data.len() > MAX_DATA {
            return Err(ApduError::DataLength(data.len()));
        }
        self.data = data;
        Ok(self)
    }

    /// Sets Le (1..=256; 256 is sent as `00`): case 2, or case 4 with data.
    pub fn with_le(mut self, le: u16) -> Result<Apdu, ApduError> {
        if le == 0 || le > MAX_LE {
            return Err(ApduError::Le(le));
        }
        self.le = Some(le);
        Ok(self)
    }

    /// SELECT by DF name (`P1 = 04`), `P2 = 0C`: no FCI wanted.
    pub fn select_by_name(name: &[u8]) -> Result<Apdu, ApduError> {
        Apdu::new(0x00, INS_SELECT, 0x04, 0x0C).with_data(name)
    }

    /// SELECT by DF name asking for the FCI (`P2 = 00`, `Le = 00`), as payment terminals do.
    pub fn select_by_name_with_fci(name: &[u8]) -> Result<Apdu, ApduError> {
        Apdu::new(0x00, INS_SELECT, 0x04, 0x00)
            .with_data(name)?
            .with_le(MAX_LE)
    }

    /// SELECT EF by file identifier under the current DF (`P1 = 02`, `P2 = 0C`).
    pub fn select_ef(id: [u8; 2]) -> Apdu {
        Apdu {
            data: id.to_vec(),
            ..Apdu::new(0x00, INS_SELECT, 0x02, 0x0C)
        }
    }

    /// READ BINARY of `le` bytes (1..=256) at `offset` of the current EF.
    pub fn read_binary(offset: u16, le: u16) -> Result<Apdu, ApduError> {
        if offset > MAX_READ_OFFSET {
            return Err(ApduError::Offset(offset));
        }
        let [p1, p2] = offset.to_be_bytes();
        Apdu::new(0x00, INS_READ_BINARY, p1, p2).with_le(le)
    }

    pub fn cla(&self) -> u8 {
        self.cla
    }

    pub fn ins(&self) -> u8 {
        self.ins
    }

    pub fn p1(&self) -> u8 {
        self.p1
    }

    pub fn p2(&self) -> u8 {
        self.p2
    }

    pub fn data(&self) -> &[u8] {
        &self.data
    }

    pub fn le(&self) -> Option<u16> {
        self.le
    }

    /// ISO 7816-3 case: 1 header only, 2 Le, 3 data, 4 data and Le.
    pub fn case(&self) -> u8 {
        match (self.data.is_empty(), self.le.is_some()) {
            (true, false) => 1,
            (true, true) => 2,
            (false, false) => 3,
            (false, true) => 4,
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(4 + 1 + self.data.len() + 1);
        bytes.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        if !self.data.is_empty() {
            // with_data keeps the length within 1..=255.
            bytes.push(self.data.len() as u8);
            bytes.extend_from_slice(&self.data);
        }
        if let Some(le) = self.le {
            // 256 wraps to 00, which is how a short APDU says 256.
            bytes.push((le & 0xFF) as u8);
        }
        bytes
    }

    /// Overwrites the data field, so a PIN does not linger in memory longer than needed.
    pub fn wipe_data(&mut self) {
        self.data.fill(0);
        std::hint::black_box(&self.data);
    }
}

impl std::fmt::Debug for Apdu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&trace_hex(&self.to_bytes()))
    }
}

/// True when `command` is a VERIFY carrying data (a PIN attempt, which can cost a try).
pub fn is_verify_with_data(command: &[u8]) -> bool {
    command.len() > 5 && command[1] == INS_VERIFY
}

/// The command with a VERIFY's data field replaced by `**`, for logs. Other commands are
/// returned unchanged.
pub fn redact_command(command: &[u8]) -> Vec<u8> {
    if is_verify_with_data(command) {
        let mut redacted = command[..5].to_vec();
        redacted.extend_from_slice(b"**");
        redacted
    } else {
        command.to_vec()
    }
}

/// Hex for traces (`00 A4 04 0C ...`), with a VERIFY's data shown as `**`.
pub fn trace_hex(command: &[u8]) -> String {
    if is_verify_with_data(command) {
        format!("{} **", hex(&command[..5]))
    } else {
        hex(command)
    }
}

/// Space-separated upper-case hex.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02X}");
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ResponseError {
    #[error("response of {len} bytes has no status word")]
    TooShort { len: usize },
}

/// A response APDU: data field and status word.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    data: Vec<u8>,
    status: StatusWord,
}

impl Response {
    pub fn parse(raw: &[u8]) -> Result<Response, ResponseError> {
        Response::from_vec(raw.to_vec())
    }

    /// Parses without copying the data field.
    pub fn from_vec(mut raw: Vec<u8>) -> Result<Response, ResponseError> {
        let len = raw.len();
        let Some(split) = len.checked_sub(2) else {
            return Err(ResponseError::TooShort { len });
        };
        let status = StatusWord::from_bytes(raw[split], raw[split + 1]);
        raw.truncate(split);
        Ok(Response { data: raw, status })
    }

    pub fn data(&self) -> &[u8] {
        &self.data
    }

    pub fn into_data(self) -> Vec<u8> {
        self.data
    }

    pub fn status(&self) -> StatusWord {
        self.status
    }

    pub fn is_ok(&self) -> bool {
        self.status.is_ok()
    }
}

impl std::fmt::Debug for Response {
    /// Lengths only: a response may be a certificate.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Response({} bytes, {})", self.data.len(), self.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Whatever the builder accepts fits a short APDU, and the wire guard lets it pass.
        #[test]
        fn every_built_apdu_is_short(
            header in proptest::array::uniform4(0u8..),
            data in proptest::collection::vec(0u8.., 0..300),
            le in proptest::option::of(0u16..300),
        ) {
            let [cla, ins, p1, p2] = header;
            let mut apdu = Ok(Apdu::new(cla, ins, p1, p2));
            if !data.is_empty() {
                apdu = apdu.and_then(|a| a.with_data(data.clone()));
            }
            if let Some(le) = le {
                apdu = apdu.and_then(|a| a.with_le(le));
            }
            if let Ok(apdu) = apdu {
                let bytes = apdu.to_bytes();
                proptest::prop_assert!(bytes.len() <= MAX_SHORT_APDU);
                proptest::prop_assert_eq!(check_short(&bytes), Ok(()));
            } else {
                proptest::prop_assert!(data.len() > MAX_DATA || le.is_some_and(|l| l == 0 || l > MAX_LE));
            }
        }

        /// Anything longer is refused, whatever it holds.
        #[test]
        fn longer_commands_are_refused(extra in 1usize..200, byte in 0u8..) {
            let command = vec![byte; MAX_SHORT_APDU + extra];
            proptest::prop_assert_eq!(
                check_short(&command),
                Err(ApduError::TooLong(MAX_SHORT_APDU + extra))
            );
        }
    }

    #[test]
    fn the_longest_short_apdu_is_261_bytes() {
        assert_eq!(MAX_SHORT_APDU, 261);
        let longest = Apdu::new(0x00, 0x2A, 0x00, 0x80)
            .with_data(vec![0xAB; 255])
            .and_then(|a| a.with_le(256))
            .expect("a full case 4 short APDU");
        assert_eq!(longest.to_bytes().len(), 261);
        assert_eq!(check_short(&longest.to_bytes()), Ok(()));
        assert!(check_short(&[0; 262]).is_err());
    }

    fn bytes(hex: &str) -> Vec<u8> {
        hex.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).expect("test hex is valid"))
            .collect()
    }

    #[test]
    fn builds_the_four_cases() {
        let case1 = Apdu::new(0x00, 0x20, 0x00, 0x80);
        assert_eq!(case1.case(), 1);
        assert_eq!(case1.to_bytes(), bytes("00 20 00 80"));

        let case2 = Apdu::read_binary(0x0107, 256).unwrap();
        assert_eq!(case2.case(), 2);
        assert_eq!(case2.to_bytes(), bytes("00 B0 01 07 00"));
        assert_eq!(
            Apdu::read_binary(0, 7).unwrap().to_bytes(),
            bytes("00 B0 00 00 07")
        );

        let case3 = Apdu::select_ef([0x00, 0x0A]);
        assert_eq!(case3.case(), 3);
        assert_eq!(case3.to_bytes(), bytes("00 A4 02 0C 02 00 0A"));

        let case4 = Apdu::new(0x80, 0x2A, 0x00, 0x80)
            .with_data([0x30, 0x31])
            .unwrap()
            .with_le(256)
            .unwrap();
        assert_eq!(case4.case(), 4);
        assert_eq!(case4.to_bytes(), bytes("80 2A 00 80 02 30 31 00"));
    }

    #[test]
    fn selects_by_name() {
        let aid = bytes("D3 92 F0 00 26 01 00 00 00 01");
        assert_eq!(
            Apdu::select_by_name(&aid).unwrap().to_bytes(),
            bytes("00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01")
        );
        assert_eq!(
            Apdu::select_by_name_with_fci(b"2PAY.SYS.DDF01")
                .unwrap()
                .to_bytes()[..5],
            bytes("00 A4 04 00 0E")[..]
        );
    }

    #[test]
    fn refuses_what_a_short_apdu_cannot_carry() {
        let header = || Apdu::new(0, 0, 0, 0);
        assert_eq!(header().with_data([]), Err(ApduError::DataLength(0)));
        assert_eq!(
            header().with_data(vec![0; 256]),
            Err(ApduError::DataLength(256))
        );
        assert!(header().with_data(vec![0; 255]).is_ok());
        assert_eq!(header().with_le(0), Err(ApduError::Le(0)));
        assert_eq!(header().with_le(257), Err(ApduError::Le(257)));
        assert_eq!(Apdu::read_binary(0x8000, 1), Err(ApduError::Offset(0x8000)));
    }

    #[test]
    fn parses_responses() {
        let r = Response::parse(&bytes("30 82 02 E5 90 00")).unwrap();
        assert_eq!(r.data(), bytes("30 82 02 E5"));
        assert_eq!(r.status(), StatusWord::Ok);
        let r = Response::parse(&bytes("63 C2")).unwrap();
        assert!(r.data().is_empty());
        assert_eq!(r.status(), StatusWord::WrongPin { tries_left: 2 });
        assert_eq!(format!("{r:?}"), "Response(0 bytes, 63C2 (2 tries left))");
        assert_eq!(
            Response::parse(&[0x90]),
            Err(ResponseError::TooShort { len: 1 })
        );
        assert_eq!(
            Response::parse(&[]),
            Err(ResponseError::TooShort { len: 0 })
        );
    }

    #[test]
    fn traces_never_show_a_pin() {
        let mut verify = Apdu::new(0x00, INS_VERIFY, 0x00, 0x80)
            .with_data(*b"1234")
            .unwrap();
        let raw = verify.to_bytes();
        assert_eq!(trace_hex(&raw), "00 20 00 80 04 **");
        assert_eq!(format!("{verify:?}"), "00 20 00 80 04 **");
        assert_eq!(redact_command(&raw), b"\x00\x20\x00\x80\x04**");
        assert_eq!(trace_hex(&bytes("00 20 00 80")), "00 20 00 80");
        verify.wipe_data();
        assert_eq!(verify.data(), [0; 4]);
    }
}
