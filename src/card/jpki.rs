//! The JPKI operations the kiosk needs (identify, PIN tries, VERIFY, read the user-authentication
//! certificate, sign with the user-authentication key) over one [`CardTransport`].
//!
//! Owns: the order of APDUs, which AP and EF are selected, classification of what was tapped,
//! APDU counts for benchmarks, and the APDU trace (PIN and certificate bytes never logged).
//! Must not know: the flow's states, the screen, PC/SC, how a transport finds its card.
//!
//! One [`JpkiCard`] lives for as long as the card stays on the field: the card's security state
//! (a verified PIN) belongs to that session, and the selection tracking here spares repeated
//! SELECTs. After a re-tap, make a new one.

use thiserror::Error;
use tracing::debug;

use super::apdu::{self, Apdu, MAX_LE, MAX_READ_OFFSET, Response};
use super::atr::{self, AtrKind, UidKind};
use super::der;
use super::status::StatusWord;
use super::{CardTransport, TransportError};
use crate::domain::{Certificate, CertificateExpiry, Challenge, Pin, Signature, Tapped};
use crate::flow::ports::PinStatus;

/// The JPKI application (公的個人認証AP).
pub const JPKI_AID: [u8; 10] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
/// Token information: which kind of JPKI holder this is.
pub const EF_TOKEN: [u8; 2] = [0x00, 0x06];
/// User-authentication certificate (利用者証明用電子証明書), DER.
pub const EF_AUTH_CERT: [u8; 2] = [0x00, 0x0A];
/// User-authentication private key.
pub const EF_AUTH_KEY: [u8; 2] = [0x00, 0x17];
/// User-authentication PIN (4 digits, 3 tries).
pub const EF_AUTH_PIN: [u8; 2] = [0x00, 0x18];
/// The EMV proximity payment system environment, answered by contactless payment cards.
pub const PAYMENT_DIRECTORY: &[u8] = b"2PAY.SYS.DDF01";

/// Bytes read from the token EF.
pub const TOKEN_LEN: u16 = 32;
pub const TOKEN_MY_NUMBER_CARD: &[u8] = b"JPKIAPICCTOKEN2";
pub const TOKEN_ANDROID_PHONE: &[u8] = b"JPKIAPGPSETOKEN";
pub const TOKEN_OLD_RESIDENT_CARD: &[u8] = b"JPKIAPICCTOKEN";

/// The first READ BINARY of the certificate EF asks for a full 256 bytes, not just the 7-byte
/// DER header: the header comes with it, the rest is reused, and a certificate of n bytes then
/// costs ceil(n / 256) reads, which is the least a short APDU allows. Certificate EFs are far
/// larger than 256 bytes, so this never reads past the EF.
pub const CERT_FIRST_READ: u16 = MAX_LE;
/// The largest certificate accepted: every byte must be addressable by a 15-bit offset.
pub const MAX_CERT_LEN: usize = MAX_READ_OFFSET as usize + 1;

/// The PC/SC "standard" byte of a FeliCa storage card ATR.
pub const STANDARD_FELICA: u8 = 0x11;
/// PC/SC workgroup registered application provider identifier, in storage card ATRs.
const PCSC_RID: [u8; 5] = [0xA0, 0x00, 0x00, 0x03, 0x06];

const CLA_ISO: u8 = 0x00;
const CLA_PROPRIETARY: u8 = 0x80;
const INS_COMPUTE_SIGNATURE: u8 = 0x2A;
/// PC/SC part 3 pseudo-APDUs addressed to the reader itself.
const CLA_PCSC_READER: u8 = 0xFF;
const INS_GET_DATA: u8 = 0xCA;
/// VERIFY P2: the PIN of the currently selected EF.
const P2_SELECTED_PIN: u8 = 0x80;

/// APDUs sent and bytes each way, for benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApduStats {
    pub apdus: usize,
    pub bytes_sent: usize,
    pub bytes_received: usize,
}

/// Why a JPKI operation did not complete. Texts carry no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CardError {
    #[error("the card left the field or was reset")]
    CardGone,
    #[error("wrong PIN, {tries_left} tries left")]
    WrongPin { tries_left: u8 },
    #[error("the PIN is blocked")]
    PinBlocked,
    #[error("{command} answered {status}")]
    Unexpected {
        command: &'static str,
        status: StatusWord,
    },
    #[error("malformed answer: {0}")]
    Malformed(String),
    #[error("reader failure: {0}")]
    Reader(String),
}

impl From<TransportError> for CardError {
    fn from(e: TransportError) -> Self {
        match e {
            TransportError::CardRemoved | TransportError::CardReset => CardError::CardGone,
            TransportError::Reader(text) => CardError::Reader(text),
        }
    }
}

/// What the kiosk believes is selected on the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Selection {
    /// Nothing known: after power-up, a failed SELECT of the AP, another AP, or a transport error.
    Unknown,
    /// The JPKI AP, with no EF known to be current.
    JpkiAp,
    /// The JPKI AP and this EF.
    JpkiEf([u8; 2]),
}

/// A PC/SC storage card as its reader-built ATR describes it (PC/SC part 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageCard {
    /// `SS`: 0x11 FeliCa, 0x03 ISO 14443 A part 3 (MIFARE), ...
    pub standard: u8,
    /// `NN NN`: card name.
    pub name: u16,
}

/// Decodes a reader-built storage card ATR: `3B 8n 80 01` then historical bytes `80` (category),
/// `4F len` (application identifier) holding the PC/SC RID `A0 00 00 03 06`, `SS`, `NN NN`.
/// This reads the standard's encoding; it never matches particular cards' ATRs.
pub fn storage_card(atr: &[u8]) -> Option<StorageCard> {
    let n = atr::reader_built_len(atr)?;
    let historical = atr[4..].get(..n)?;
    let [0x80, 0x4F, len, aid @ ..] = historical else {
        return None;
    };
    let aid = aid.get(..usize::from(*len))?;
    let [r0, r1, r2, r3, r4, standard, n0, n1, ..] = aid else {
        return None;
    };
    if [*r0, *r1, *r2, *r3, *r4] != PCSC_RID {
        return None;
    }
    Some(StorageCard {
        standard: *standard,
        name: u16::from_be_bytes([*n0, *n1]),
    })
}

/// Whether a status word is one ISO 7816-4 defines: SW1 `61`..=`6F` or `90`..=`9F`.
pub fn is_iso_status(status: StatusWord) -> bool {
    matches!(status.to_bytes()[0], 0x61..=0x6F | 0x90..=0x9F)
}

/// Rows 5 to 7 of [`JpkiCard::without_jpki`]'s table: a Type A thing without the JPKI AP and
/// not a payment card, from its ATS historical bytes, its answer to the JPKI SELECT and the
/// reader's UID (`None`: the reader did not give one).
pub fn type_a_without_jpki(historical: &[u8], select: StatusWord, uid: Option<&[u8]>) -> Tapped {
    match uid.map(atr::uid_kind) {
        Some(UidKind::Fixed) => Tapped::OtherCard,
        Some(UidKind::Random) if historical.is_empty() || select == StatusWord::Other(0x6F00) => {
            Tapped::UnreadableDevice
        }
        _ => Tapped::CardOrPhone,
    }
}

/// Classifies the token EF's content (trailing spaces and NULs trimmed: the real padding is
/// not known for every card generation).
pub fn classify_token(data: &[u8]) -> Tapped {
    let end = data
        .iter()
        .rposition(|&b| b != b' ' && b != 0x00)
        .map_or(0, |i| i + 1);
    match &data[..end] {
        TOKEN_MY_NUMBER_CARD => Tapped::MyNumberCard,
        TOKEN_ANDROID_PHONE => Tapped::AndroidPhone,
        TOKEN_OLD_RESIDENT_CARD => Tapped::OldResidentCard,
        _ => Tapped::UnreadableDevice,
    }
}

/// JPKI over one transport, held for the whole time the card is on the field.
pub struct JpkiCard<T: CardTransport> {
    transport: T,
    selection: Selection,
    stats: ApduStats,
    /// The auth certificate as read in this card session (a card's is read before the PIN for
    /// its expiry, issue 16 item 1), reused for the proof: never read twice. Dropped with the
    /// session; never logged (its `Debug` gives the length only).
    auth_certificate: Option<Certificate>,
}

impl<T: CardTransport> JpkiCard<T> {
    pub fn new(transport: T) -> Self {
        JpkiCard {
            transport,
            selection: Selection::Unknown,
            stats: ApduStats::default(),
            auth_certificate: None,
        }
    }

    pub fn stats(&self) -> ApduStats {
        self.stats
    }

    pub fn transport(&self) -> &T {
        &self.transport
    }

    pub fn into_transport(self) -> T {
        self.transport
    }

    /// What lies on the field: the JPKI token decides (My Number card, Android phone, old
    /// resident card); without a JPKI application, the ATR's shape and what the thing answers
    /// do, by the table in [`without_jpki`](Self::without_jpki). FeliCa and other storage
    /// cards are recognised from the ATR alone, without an APDU.
    pub fn identify(&mut self) -> Result<Tapped, CardError> {
        let kind = atr::contactless_kind(&self.transport.atr());
        if let AtrKind::StorageCard(storage) = &kind {
            if storage.standard == STANDARD_FELICA {
                debug!("FeliCa storage card ATR: transit card, no APDU sent");
                return Ok(Tapped::TransitCard);
            }
            // No ISO 14443-4, so no JPKI; but phones in P2P or MIFARE emulation show storage
            // ATRs too (smartcard_list.txt: Sony Xperia Ion, HTC One X): ask.
            debug!(
                standard = storage.standard,
                "storage card ATR: card or phone, no APDU sent"
            );
            return Ok(Tapped::CardOrPhone);
        }
        if self.selection == Selection::Unknown {
            let answer = self.transmit("SELECT JPKI AP", &select_jpki());
            let response = match answer {
                Ok(response) => response,
                // Nothing usable from the very first APDU: ask for another tap.
                Err(CardError::CardGone | CardError::Reader(_) | CardError::Malformed(_)) => {
                    return Ok(Tapped::Mute);
                }
                Err(other) => return Err(other),
            };
            if !response.is_ok() {
                return self.without_jpki(&kind, response.status());
            }
            self.selection = Selection::JpkiAp;
        }
        match self.read_token() {
            Ok(token) => Ok(classify_token(&token)),
            // It has the JPKI AP but will not show its token: not something we can read.
            Err(CardError::Unexpected { .. }) => Ok(Tapped::UnreadableDevice),
            Err(CardError::Malformed(_)) => Ok(Tapped::Mute),
            Err(other) => Err(other),
        }
    }

    /// Tells a card from a phone when the SELECT of the JPKI AP failed with `select`. Rows are
    /// tried in order; an APDU is sent only when a row needs its answer:
    ///
    /// | # | what is known | outcome | why |
    /// |---|---|---|---|
    /// | 1 | SELECT answered a non-ISO status word (SW1 not `61`..`6F`, not `90`..`9F`; e.g. `00 00`) | `UnreadableDevice` | a card OS answers ISO 7816-4 words; an app on a phone answers what its author chose (Google's HCE sample: `00 00`) |
    /// | 2 | ATR is not contactless (`Contact`) | `OtherCard` | a contact card, SAM or security key is not a tap and never a phone |
    /// | 3 | SELECT 2PAY.SYS.DDF01 answered `90 00`/`61 xx` | `PaymentCard` | a payment card, or a phone's wallet (the screen offers "this is my phone") |
    /// | 4 | ATR is Type B | `OtherCard` | Japanese ID cards are Type B; Android and iPhone HCE for apps is Type A |
    /// | 5 | Type A, the reader's UID (`FF CA 00 00 00`) is fixed (7/10 bytes, or 4 not starting `08`) | `OtherCard` | phones always show a random UID |
    /// | 6 | Type A, random UID, and no ATS historical bytes or SELECT answered `6F 00` | `UnreadableDevice` | what Android HCE and iPhones show |
    /// | 7 | Type A, anything else (random UID with historical bytes, RFU UID, no UID from the reader) | `CardOrPhone` | unsure: the patient is asked |
    fn without_jpki(&mut self, kind: &AtrKind, select: StatusWord) -> Result<Tapped, CardError> {
        if !is_iso_status(select) {
            debug!(%select, "non-ISO status word: an app on a phone");
            return Ok(Tapped::UnreadableDevice);
        }
        let historical = match kind {
            AtrKind::Contact => return Ok(Tapped::OtherCard),
            // Handled before any APDU; read as unsure if it ever gets here.
            AtrKind::StorageCard(_) => return Ok(Tapped::CardOrPhone),
            AtrKind::TypeB(_) => None,
            AtrKind::TypeA { historical } => Some(historical.as_slice()),
        };
        if let Some(tapped) = self.probe_payment_directory()? {
            return Ok(tapped);
        }
        let Some(historical) = historical else {
            return Ok(Tapped::OtherCard);
        };
        let uid = self.reader_uid()?;
        Ok(type_a_without_jpki(historical, select, uid.as_deref()))
    }

    /// The auth PIN's retry counter, by the empty VERIFY ([`tries_probe`]; spends no try).
    /// `63 Cx` gives the tries, `69 84` a blocked PIN. `90 00` is [`PinStatus::TriesUnknown`]:
    /// never taken as a verified PIN (real JPKI cards answer `63 Cx` even right after a good
    /// VERIFY; a card that says `90 00` has told nothing about its counter).
    pub fn pin_tries_left(&mut self) -> Result<PinStatus, CardError> {
        self.select_ef(EF_AUTH_PIN, "SELECT EF 0018 (auth PIN)")?;
        let command = "VERIFY (tries left)";
        let response = self.transmit(command, &tries_probe())?;
        match response.status() {
            StatusWord::WrongPin { tries_left } => Ok(PinStatus::TriesLeft(tries_left)),
            StatusWord::PinBlocked => Ok(PinStatus::Blocked),
            StatusWord::Ok => Ok(PinStatus::TriesUnknown),
            status => Err(CardError::Unexpected { command, status }),
        }
    }

    /// Sends the auth PIN exactly once. Never retried, whatever happens: a retry could cost a try.
    /// Data that is not exactly four ASCII digits is refused before anything is sent (see
    /// [`verify_command`]).
    pub fn verify_pin(&mut self, pin: &Pin) -> Result<(), CardError> {
        let command = "VERIFY";
        // Checked before the SELECT: a refused PIN sends nothing at all.
        let mut verify = verify_command(pin.ascii())?;
        self.select_ef(EF_AUTH_PIN, "SELECT EF 0018 (auth PIN)")?;
        let answer = self.transmit(command, &verify);
        verify.wipe_data();
        match answer?.status() {
            StatusWord::Ok => Ok(()),
            StatusWord::WrongPin { tries_left } => Err(CardError::WrongPin { tries_left }),
            StatusWord::PinBlocked => Err(CardError::PinBlocked),
            status => Err(CardError::Unexpected { command, status }),
        }
    }

    /// The auth certificate's expiry (its `notAfter` as a day in Japan), read without a PIN (a
    /// card's certificate EF is readable before VERIFY; a phone's is not). The certificate is
    /// kept in this card session for [`authenticate`](Self::authenticate), so it is read once.
    /// `Ok(None)`: read, but its date could not be parsed (the gateway judges it later).
    pub fn auth_certificate_expiry(&mut self) -> Result<Option<CertificateExpiry>, CardError> {
        let certificate = self.read_auth_certificate()?;
        Ok(crate::expiry::certificate_not_after(&certificate.0).ok())
    }

    /// Reads the user-authentication certificate exactly as far as its DER length says, or
    /// gives the one this card session already read (never read twice).
    /// On a phone this works only after [`JpkiCard::verify_pin`].
    pub fn read_auth_certificate(&mut self) -> Result<Certificate, CardError> {
        if let Some(certificate) = &self.auth_certificate {
            return Ok(certificate.clone());
        }
        let certificate = self.read_auth_certificate_from_card()?;
        self.auth_certificate = Some(certificate.clone());
        Ok(certificate)
    }

    fn read_auth_certificate_from_card(&mut self) -> Result<Certificate, CardError> {
        self.select_ef(EF_AUTH_CERT, "SELECT EF 000A (auth certificate)")?;
        let mut certificate = self.read_binary(0, CERT_FIRST_READ)?;
        let total = der::total_length(&certificate)
            .map_err(|e| CardError::Malformed(format!("auth certificate header: {e}")))?;
        if total > MAX_CERT_LEN {
            return Err(CardError::Malformed(format!(
                "auth certificate of {total} bytes is beyond a 15-bit offset"
            )));
        }
        certificate.truncate(total);
        certificate.reserve(total - certificate.len());
        while certificate.len() < total {
            let offset = certificate.len();
            let want = (total - offset).min(usize::from(MAX_LE));
            let (Ok(offset16), Ok(want16)) = (u16::try_from(offset), u16::try_from(want)) else {
                // total <= MAX_CERT_LEN keeps both within u16; refuse rather than wrap.
                return Err(CardError::Malformed("certificate offset overflow".into()));
            };
            let chunk = self.read_binary(offset16, want16)?;
            if chunk.is_empty() {
                return Err(CardError::Malformed(
                    "certificate EF ended before the certificate did".into(),
                ));
            }
            certificate.extend_from_slice(&chunk[..chunk.len().min(want)]);
        }
        Ok(Certificate(certificate))
    }

    /// Has the card sign a DER DigestInfo with the auth key (the card pads, PKCS#1 v1.5).
    /// Needs a verified PIN in this card session.
    pub fn sign_digest_info(&mut self, digest_info: &[u8]) -> Result<Signature, CardError> {
        let command = "COMPUTE DIGITAL SIGNATURE";
        let sign = Apdu::new(CLA_PROPRIETARY, INS_COMPUTE_SIGNATURE, 0x00, 0x80)
            .with_data(digest_info)
            .and_then(|a| a.with_le(MAX_LE))
            .map_err(|e| CardError::Malformed(format!("{command}: {e}")))?;
        self.select_ef(EF_AUTH_KEY, "SELECT EF 0017 (auth key)")?;
        let response = self.transmit(command, &sign)?;
        if !response.is_ok() {
            return Err(CardError::Unexpected {
                command,
                status: response.status(),
            });
        }
        if response.data().is_empty() {
            return Err(CardError::Malformed(format!("{command}: empty signature")));
        }
        Ok(Signature(response.into_data()))
    }

    /// The proof of possession: the auth certificate and the signature over SHA-256 of the
    /// challenge.
    pub fn authenticate(
        &mut self,
        challenge: &Challenge,
    ) -> Result<(Certificate, Signature), CardError> {
        let certificate = self.read_auth_certificate()?;
        let digest_info = digest_info_sha256(&challenge.0);
        let signature = self.sign_digest_info(&digest_info)?;
        Ok((certificate, signature))
    }

    /// SELECT of the EMV payment directory: `Some(PaymentCard)` if it answers, `Some(Mute)` for
    /// garbage, `None` otherwise.
    fn probe_payment_directory(&mut self) -> Result<Option<Tapped>, CardError> {
        let command = "SELECT 2PAY.SYS.DDF01";
        let select = Apdu::select_by_name_with_fci(PAYMENT_DIRECTORY)
            .map_err(|e| CardError::Malformed(format!("{command}: {e}")))?;
        let answer = self.transmit(command, &select);
        // Whatever it answered, the JPKI AP is not selected.
        self.selection = Selection::Unknown;
        let response = match answer {
            Ok(response) => response,
            Err(CardError::Malformed(_)) => return Ok(Some(Tapped::Mute)),
            Err(other) => return Err(other),
        };
        // An iPhone with a payment card in its wallet may answer here too; the flow's "payment
        // card" screen offers "this is my phone" for that reason.
        if response.is_ok() || response.status().is_more_data() {
            Ok(Some(Tapped::PaymentCard))
        } else {
            Ok(None)
        }
    }

    /// The UID (Type A) or PUPI (Type B) by the reader's GET DATA pseudo-APDU `FF CA 00 00 00`
    /// (PC/SC part 3, 3.2.2.1.3): the reader answers it, the card never sees it. `None` when
    /// the reader does not support it (any answer but `90 00`, or a reader error).
    fn reader_uid(&mut self) -> Result<Option<Vec<u8>>, CardError> {
        let command = "GET DATA (UID)";
        match self.transmit(command, &reader_get_uid()) {
            Ok(response) if response.is_ok() => Ok(Some(response.into_data())),
            Ok(_) | Err(CardError::Reader(_) | CardError::Malformed(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }

    fn read_token(&mut self) -> Result<Vec<u8>, CardError> {
        self.select_ef(EF_TOKEN, "SELECT EF 0006 (token)")?;
        self.read_binary(0, TOKEN_LEN)
    }

    /// One READ BINARY of the current EF. "End of file" with data is accepted: the caller knows
    /// how much it needs.
    fn read_binary(&mut self, offset: u16, le: u16) -> Result<Vec<u8>, CardError> {
        let command = "READ BINARY";
        let read = Apdu::read_binary(offset, le)
            .map_err(|e| CardError::Malformed(format!("{command}: {e}")))?;
        let response = self.transmit(command, &read)?;
        match response.status() {
            StatusWord::Ok => Ok(response.into_data()),
            StatusWord::EndOfFile if !response.data().is_empty() => Ok(response.into_data()),
            status => Err(CardError::Unexpected { command, status }),
        }
    }

    fn select_jpki_ap(&mut self) -> Result<(), CardError> {
        if self.selection != Selection::Unknown {
            return Ok(());
        }
        let command = "SELECT JPKI AP";
        let response = self.transmit(command, &select_jpki())?;
        if !response.is_ok() {
            return Err(CardError::Unexpected {
                command,
                status: response.status(),
            });
        }
        self.selection = Selection::JpkiAp;
        Ok(())
    }

    fn select_ef(&mut self, ef: [u8; 2], command: &'static str) -> Result<(), CardError> {
        self.select_jpki_ap()?;
        if self.selection == Selection::JpkiEf(ef) {
            return Ok(());
        }
        let response = self.transmit(command, &Apdu::select_ef(ef))?;
        if !response.is_ok() {
            self.selection = Selection::JpkiAp;
            return Err(CardError::Unexpected {
                command,
                status: response.status(),
            });
        }
        self.selection = Selection::JpkiEf(ef);
        Ok(())
    }

    /// Sends one APDU, once. Traces lengths and status words only: never PINs, certificates or
    /// signatures.
    fn transmit(&mut self, command: &'static str, apdu: &Apdu) -> Result<Response, CardError> {
        let mut bytes = apdu.to_bytes();
        debug!(command, apdu = %apdu::trace_hex(&bytes), "card <");
        self.stats.apdus += 1;
        self.stats.bytes_sent += bytes.len();
        let answer = self.transport.transmit(&bytes);
        if apdu::is_verify_with_data(&bytes) {
            bytes.fill(0);
            std::hint::black_box(&bytes);
        }
        let raw = match answer {
            Ok(raw) => raw,
            Err(e) => {
                debug!(command, error = %e, "card transport error");
                // A removed or reset card has lost its selection (and its security state).
                self.selection = Selection::Unknown;
                return Err(e.into());
            }
        };
        self.stats.bytes_received += raw.len();
        match Response::from_vec(raw) {
            Ok(response) => {
                debug!(
                    command,
                    data_len = response.data().len(),
                    status = %response.status(),
                    "card >"
                );
                Ok(response)
            }
            Err(e) => {
                debug!(command, error = %e, "card answered garbage");
                self.selection = Selection::Unknown;
                Err(CardError::Malformed(format!("{command}: {e}")))
            }
        }
    }
}

/// The tries probe: VERIFY with no data field and no Le, an ISO 7816-3 case 1 command,
/// exactly `00 20 00 80`. Never with `Lc = 00`: some cards take an empty data field for a login
/// (CVE-2023-40660 in OpenSC).
pub fn tries_probe() -> Apdu {
    Apdu::new(CLA_ISO, apdu::INS_VERIFY, 0x00, P2_SELECTED_PIN)
}

/// The auth PIN's VERIFY, `00 20 00 80 04` and the four ASCII digits. Anything else (empty,
/// another length, a non-ASCII-digit byte) is refused with [`CardError::Malformed`] and no
/// command is built: only a four-digit PIN ever reaches a card (the JPKI auth PIN is 4 digits).
pub fn verify_command(digits: &[u8]) -> Result<Apdu, CardError> {
    if digits.len() != 4 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(CardError::Malformed(format!(
            "VERIFY refused, nothing sent: the PIN must be 4 ASCII digits, got {} bytes",
            digits.len()
        )));
    }
    Apdu::new(CLA_ISO, apdu::INS_VERIFY, 0x00, P2_SELECTED_PIN)
        .with_data(digits.to_vec())
        .map_err(|e| CardError::Malformed(format!("VERIFY: {e}")))
}

/// The reader's GET DATA for the UID (Type A) or PUPI (Type B), `FF CA 00 00 00` (PC/SC part 3,
/// 3.2.2.1.3): a pseudo-APDU the reader answers itself; no card application sees it.
pub fn reader_get_uid() -> Apdu {
    Apdu::new(CLA_PCSC_READER, INS_GET_DATA, 0x00, 0x00)
        .with_le(MAX_LE)
        .expect("invariant: Le 256 is a short APDU's largest")
}

fn select_jpki() -> Apdu {
    Apdu::new(CLA_ISO, apdu::INS_SELECT, 0x04, 0x0C)
        .with_data(JPKI_AID)
        .expect("invariant: a 10-byte AID fits a short APDU's data field")
}

/// DER `DigestInfo ::= SEQUENCE { AlgorithmIdentifier sha256 NULL, OCTET STRING (32) }` up to
/// the digest itself.
pub const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// DER DigestInfo for SHA-256 of `message`: what the kiosk sends to the card to sign.
/// (RFC 8017 section 9.2; JPKI signs a DigestInfo it is given.)
pub fn digest_info_sha256(message: &[u8]) -> Vec<u8> {
    let mut digest_info = Vec::with_capacity(SHA256_DIGEST_INFO_PREFIX.len() + 32);
    digest_info.extend_from_slice(&SHA256_DIGEST_INFO_PREFIX);
    digest_info.extend_from_slice(&<sha2::Sha256 as sha2::Digest>::digest(message));
    digest_info
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::card::sim::{ProbeAnswer, SimOptions, SimProfile, SimTransport, SimulatedCard};

    fn card(
        profile: SimProfile,
        options: SimOptions,
    ) -> (Arc<Mutex<SimulatedCard>>, JpkiCard<SimTransport>) {
        let shared = SimulatedCard::new(profile, options).shared();
        let jpki = JpkiCard::new(SimTransport::new(Arc::clone(&shared)));
        (shared, jpki)
    }

    fn sim(profile: SimProfile) -> (Arc<Mutex<SimulatedCard>>, JpkiCard<SimTransport>) {
        card(profile, SimOptions::default())
    }

    fn lock(card: &Arc<Mutex<SimulatedCard>>) -> std::sync::MutexGuard<'_, SimulatedCard> {
        crate::card::sim::lock(card)
    }

    fn pin(s: &str) -> Pin {
        Pin::parse(s).expect("test PINs are four digits")
    }

    /// A DER-shaped blob of `total` bytes (SEQUENCE with a 2-byte length).
    fn fake_certificate(total: usize) -> Certificate {
        let content = total - 4;
        let mut der = vec![0x30, 0x82, (content >> 8) as u8, content as u8];
        der.extend((0..content).map(|i| (i % 251) as u8));
        Certificate(der)
    }

    #[test]
    fn identifies_every_profile() {
        let table = [
            (SimProfile::MyNumberCard, Tapped::MyNumberCard, 3),
            (SimProfile::AndroidPhone, Tapped::AndroidPhone, 3),
            (SimProfile::OldResidentCard, Tapped::OldResidentCard, 3),
            (SimProfile::TransitCard, Tapped::TransitCard, 0),
            (SimProfile::PaymentCard, Tapped::PaymentCard, 2),
            (SimProfile::UnknownDevice, Tapped::UnreadableDevice, 3),
            (SimProfile::Mute, Tapped::Mute, 1),
            (SimProfile::DrivingLicence, Tapped::OtherCard, 2),
            (
                SimProfile::HceApp { sw: 0x0000 },
                Tapped::UnreadableDevice,
                1,
            ),
            (
                SimProfile::HceApp { sw: 0x6F00 },
                Tapped::UnreadableDevice,
                3,
            ),
            (SimProfile::PkiCard, Tapped::OtherCard, 3),
            (SimProfile::Passport, Tapped::CardOrPhone, 3),
        ];
        assert_eq!(table.len(), SimProfile::ALL.len());
        for (profile, expected, apdus) in table {
            let (shared, mut jpki) = sim(profile);
            assert_eq!(jpki.identify(), Ok(expected), "{profile:?}");
            assert_eq!(jpki.stats().apdus, apdus, "{profile:?}");
            assert_eq!(lock(&shared).apdu_count(), apdus, "{profile:?}");
        }
    }

    /// A thing on the field that answers as scripted: the JPKI SELECT, (with a token) the
    /// token EF, the payment directory, and the reader's GET DATA (UID).
    struct Scripted {
        atr: Vec<u8>,
        select: u16,
        token: Option<&'static [u8]>,
        payment: u16,
        uid: Option<Vec<u8>>,
        sent: Vec<Vec<u8>>,
    }

    impl CardTransport for Scripted {
        fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
            self.sent.push(command.to_vec());
            let word = |w: u16| w.to_be_bytes().to_vec();
            Ok(match command {
                [0xFF, 0xCA, ..] => match &self.uid {
                    Some(uid) => [uid.as_slice(), &[0x90, 0x00]].concat(),
                    None => word(0x6A81),
                },
                [0x00, 0xA4, 0x04, _, _, rest @ ..] if rest.starts_with(&JPKI_AID) => {
                    word(self.select)
                }
                [0x00, 0xA4, 0x04, ..] => word(self.payment),
                [0x00, 0xA4, 0x02, ..] => word(0x9000),
                [0x00, 0xB0, ..] => {
                    let mut token = self.token.unwrap_or_default().to_vec();
                    token.resize(32, b' ');
                    token.extend_from_slice(&[0x90, 0x00]);
                    token
                }
                _ => word(0x6D00),
            })
        }

        fn atr(&self) -> Vec<u8> {
            self.atr.clone()
        }
    }

    fn hex_bytes(hex: &str) -> Vec<u8> {
        hex.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).expect("test hex is valid"))
            .collect()
    }

    /// (what, ATR, SELECT JPKI answer, token, payment directory answer, UID, outcome, APDUs)
    type Row = (
        &'static str,
        &'static str,
        u16,
        Option<&'static [u8]>,
        u16,
        Option<&'static str>,
        Tapped,
        usize,
    );

    /// Real ATRs (smartcard_list.txt from pcsc-tools, and the issue) × what the thing answers
    /// → what the kiosk concludes, and the APDUs it spends. `uid` `None`: the reader does not
    /// support `FF CA` (answers `6A 81`).
    #[test]
    fn classifies_real_atrs_by_what_answers() {
        const NONE: u16 = 0x6A82;
        const TOKEN2: Option<&[u8]> = Some(TOKEN_MY_NUMBER_CARD);
        let random = Some("08 4F 2A 91");
        let pupi = Some("5A 3C 91 07");
        let fixed7 = Some("04 5A 2B 3C 4D 5E 80");
        #[rustfmt::skip]
        let table: [Row; 29] = [
            // JPKI first: the token decides, whatever the ATR.
            ("My Number card", "3B 88 80 01 00 00 05 E0 B3 81 A1 00 7F", 0x9000, TOKEN2, NONE, pupi, Tapped::MyNumberCard, 3),
            ("My Number card", "3B 88 80 01 00 00 41 E0 B3 81 A1 00 3B", 0x9000, TOKEN2, NONE, pupi, Tapped::MyNumberCard, 3),
            ("My Number card, FWI 13", "3B 88 80 01 00 4B 51 FF B3 81 D1 00 0F", 0x9000, TOKEN2, NONE, pupi, Tapped::MyNumberCard, 3),
            ("My Number card, FWI 13", "3B 88 80 01 00 4B 51 FF 00 81 D1 00 BC", 0x9000, TOKEN2, NONE, pupi, Tapped::MyNumberCard, 3),
            ("JUKI card with JPKI", "3B 88 80 01 00 00 14 E0 B3 81 91 00 5E", 0x9000, Some(TOKEN_OLD_RESIDENT_CARD), NONE, pupi, Tapped::OldResidentCard, 3),
            ("Android phone, JPKI", "3B 80 80 01 01", 0x9000, Some(TOKEN_ANDROID_PHONE), NONE, random, Tapped::AndroidPhone, 3),
            // Type B without JPKI: a card (after the payment probe).
            ("JUKI card without JPKI", "3B 88 80 01 00 00 14 E0 B3 81 91 00 5E", NONE, None, NONE, pupi, Tapped::OtherCard, 2),
            ("driving licence of Japan", "3B 88 80 01 00 00 00 00 91 81 C1 00 D8", NONE, None, NONE, pupi, Tapped::OtherCard, 2),
            ("German residence permit", "3B 88 80 01 E1 F3 5E 11 77 83 00 00 A0", NONE, None, NONE, pupi, Tapped::OtherCard, 2),
            ("PIVKey C980 (Type B)", "3B 88 80 01 00 00 00 11 77 81 83 00 6D", NONE, None, NONE, pupi, Tapped::OtherCard, 2),
            ("Apple Pay over Type B", "3B 88 80 01 00 00 00 00 80 81 71 00 79", NONE, None, 0x9000, random, Tapped::PaymentCard, 2),
            // Type A.
            ("Visa", "3B 85 80 01 20 63 CB A0 00 2C", NONE, None, 0x9000, random, Tapped::PaymentCard, 2),
            ("IDEMIA PIV card", "3B 86 80 01 80 31 C1 52 11 18 2C", NONE, None, NONE, fixed7, Tapped::OtherCard, 3),
            ("NXP JCOP (8 historical bytes, Type A)", "3B 88 80 01 4A 43 4F 50 76 32 34 31 5E", NONE, None, NONE, Some("04 12 34 56"), Tapped::OtherCard, 3),
            ("DESFire EV1", "3B 81 80 01 80 80", NONE, None, NONE, fixed7, Tapped::OtherCard, 3),
            ("Android HCE, no app for the AID", "3B 80 80 01 01", NONE, None, NONE, random, Tapped::UnreadableDevice, 3),
            ("Android HCE sample app (00 00)", "3B 80 80 01 01", 0x0000, None, 0x0000, random, Tapped::UnreadableDevice, 1),
            ("Android HCE app (6F 00)", "3B 80 80 01 01", 0x6F00, None, 0x6F00, random, Tapped::UnreadableDevice, 3),
            ("Android HCE app (6F 00), reader without FF CA", "3B 80 80 01 01", 0x6F00, None, 0x6F00, None, Tapped::CardOrPhone, 3),
            ("Dutch passport (random UID)", "3B 85 80 01 80 73 84 21 40 12", NONE, None, NONE, random, Tapped::CardOrPhone, 3),
            ("JCOP 31, random UID", "3B 88 80 01 00 73 C8 40 00 00 90 00 62", NONE, None, NONE, random, Tapped::CardOrPhone, 3),
            ("Fidesmo card, reader without FF CA", "3B 88 80 01 46 49 44 45 53 4D 4F 31 67", NONE, None, NONE, None, Tapped::CardOrPhone, 3),
            ("China resident ID (protocol type 0)", "3B 88 80 01 D1 03 86 05 00 80 80 00 58", NONE, None, NONE, Some("18 00 00 00"), Tapped::CardOrPhone, 3),
            // Known limit: a Type B passport some readers show as 3B 80 80 01 01.
            ("Spanish passport", "3B 80 80 01 01", NONE, None, NONE, random, Tapped::UnreadableDevice, 3),
            // Storage cards: the ATR alone.
            ("Suica (FeliCa)", "3B 8F 80 01 80 4F 0C A0 00 00 03 06 11 00 3B 00 00 00 00 42", NONE, None, NONE, None, Tapped::TransitCard, 0),
            ("MIFARE Classic 1K", "3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A", NONE, None, NONE, None, Tapped::CardOrPhone, 0),
            ("HTC One X phone (MIFARE emulation)", "3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 F0 11 00 00 00 00 8A", NONE, None, NONE, None, Tapped::CardOrPhone, 0),
            // Not contactless.
            ("ACR1252 SAM slot", "3B DF 18 FF 81 F1 FE 43 00 3F 03 83 4D 49 46 41 52 45 20 50 6C 75 73 20 53 41 4D 3B", NONE, None, NONE, None, Tapped::OtherCard, 1),
            ("YubiKey", "3B FD 13 00 00 81 31 FE 15 80 73 C0 21 C0 57 59 75 62 69 4B 65 79 40", NONE, None, NONE, None, Tapped::OtherCard, 1),
        ];
        for (what, atr, select, token, payment, uid, expected, apdus) in table {
            let mut jpki = JpkiCard::new(Scripted {
                atr: hex_bytes(atr),
                select,
                token,
                payment,
                uid: uid.map(hex_bytes),
                sent: Vec::new(),
            });
            assert_eq!(jpki.identify(), Ok(expected), "{what}: {atr}");
            assert_eq!(jpki.stats().apdus, apdus, "{what}: APDUs");
            let sent = &jpki.transport().sent;
            assert!(
                !sent.iter().any(|c| c.get(1) == Some(&apdu::INS_VERIFY)),
                "{what}: no VERIFY while identifying"
            );
            if let Some(last) = sent.last().filter(|c| c[0] == 0xFF) {
                assert_eq!(apdu::hex(last), "FF CA 00 00 00", "{what}");
            }
        }
    }

    #[test]
    fn a_bad_tck_on_a_type_b_shape_costs_a_question_at_most() {
        // The licence's ATR with its TCK broken by the reader: read as Type A, so the UID
        // decides (a fixed PUPI-like UID: a card), never a phone by the ATR.
        let mut jpki = JpkiCard::new(Scripted {
            atr: hex_bytes("3B 88 80 01 00 00 00 00 91 81 C1 00 D9"),
            select: 0x6A82,
            token: None,
            payment: 0x6A82,
            uid: Some(hex_bytes("5A 3C 91 07")),
            sent: Vec::new(),
        });
        assert_eq!(jpki.identify(), Ok(Tapped::OtherCard));
        assert_eq!(jpki.stats().apdus, 3);
    }

    #[test]
    fn iso_status_words_are_told_from_an_apps_own() {
        for sw in [0x9000, 0x6A82, 0x6F00, 0x6100, 0x63C3, 0x9F10] {
            assert!(is_iso_status(StatusWord::from_u16(sw)), "{sw:04X}");
        }
        for sw in [0x0000, 0x0001, 0x6000, 0x5000, 0xA000, 0xFFFF] {
            assert!(!is_iso_status(StatusWord::from_u16(sw)), "{sw:04X}");
        }
    }

    #[test]
    fn recognises_felica_by_the_pcsc_encoding() {
        let felica = [
            0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06, 0x11, 0x00,
            0x3B, 0x00, 0x00, 0x00, 0x00, 0x42,
        ];
        assert_eq!(
            storage_card(&felica),
            Some(StorageCard {
                standard: 0x11,
                name: 0x003B
            })
        );
        let mut mifare = felica;
        mifare[12] = 0x03;
        assert_eq!(storage_card(&mifare).map(|s| s.standard), Some(0x03));
        // ISO 14443-4 ATRs (card, phone) are not storage cards.
        for atr in [
            &[
                0x3B, 0x88, 0x80, 0x01, 0x00, 0x00, 0x05, 0xE0, 0xB3, 0x81, 0xA1, 0x00, 0x7F,
            ][..],
            &[0x3B, 0x80, 0x80, 0x01, 0x01],
            &[],
            &felica[..10],
        ] {
            assert_eq!(storage_card(atr), None, "{atr:02X?}");
        }
    }

    #[test]
    fn transport_errors_and_garbage_on_the_first_apdu_are_mute() {
        let (_, mut jpki) = card(
            SimProfile::MyNumberCard,
            SimOptions {
                remove_after: Some(0),
                ..SimOptions::default()
            },
        );
        assert_eq!(jpki.identify(), Ok(Tapped::Mute));

        // Removed after the AP was selected: the card is gone, not mute.
        let (_, mut jpki) = card(
            SimProfile::MyNumberCard,
            SimOptions {
                remove_after: Some(1),
                ..SimOptions::default()
            },
        );
        assert_eq!(jpki.identify(), Err(CardError::CardGone));
    }

    #[test]
    fn token_failures_are_unreadable_devices() {
        let (_, mut jpki) = card(
            SimProfile::MyNumberCard,
            SimOptions {
                status_override: Some((2, [0x69, 0x82])),
                ..SimOptions::default()
            },
        );
        assert_eq!(jpki.identify(), Ok(Tapped::UnreadableDevice));
    }

    #[test]
    fn classifies_tokens_after_trimming() {
        let table: &[(&[u8], Tapped)] = &[
            (b"JPKIAPICCTOKEN2", Tapped::MyNumberCard),
            (b"JPKIAPICCTOKEN2                 ", Tapped::MyNumberCard),
            (b"JPKIAPICCTOKEN2\0\0\0 \0", Tapped::MyNumberCard),
            (b"JPKIAPGPSETOKEN\0\0\0\0", Tapped::AndroidPhone),
            (b"JPKIAPICCTOKEN  ", Tapped::OldResidentCard),
            (b" JPKIAPICCTOKEN2", Tapped::UnreadableDevice),
            (b"JPKIAPICCTOKEN3", Tapped::UnreadableDevice),
            (b"", Tapped::UnreadableDevice),
            (b"\0\0\0\0", Tapped::UnreadableDevice),
            (&[0xFF; 32], Tapped::UnreadableDevice),
        ];
        for &(token, expected) in table {
            assert_eq!(classify_token(token), expected, "{token:?}");
        }
    }

    #[test]
    fn tries_left_costs_no_try() {
        let (shared, mut jpki) = card(
            SimProfile::MyNumberCard,
            SimOptions {
                tries_left: 2,
                ..SimOptions::default()
            },
        );
        assert_eq!(jpki.pin_tries_left(), Ok(PinStatus::TriesLeft(2)));
        assert_eq!(jpki.pin_tries_left(), Ok(PinStatus::TriesLeft(2)));
        let card = lock(&shared);
        assert_eq!(card.tries_left(), 2);
        assert_eq!(card.verify_count(), 0);
        // SELECT AP, SELECT 0018, then one empty VERIFY each: no repeated SELECT.
        assert_eq!(card.apdu_count(), 4);
    }

    #[test]
    fn wrong_pin_costs_exactly_one_try() {
        let (shared, mut jpki) = sim(SimProfile::MyNumberCard);
        assert_eq!(jpki.identify(), Ok(Tapped::MyNumberCard));
        assert_eq!(
            jpki.verify_pin(&pin("9999")),
            Err(CardError::WrongPin { tries_left: 2 })
        );
        {
            let card = lock(&shared);
            assert_eq!(card.tries_left(), 2);
            assert_eq!(card.verify_count(), 1);
            let log = card.log();
            assert_eq!(
                log.last().map(Vec::as_slice),
                Some(&b"\x00\x20\x00\x80\x04**"[..])
            );
        }
        assert_eq!(jpki.pin_tries_left(), Ok(PinStatus::TriesLeft(2)));
        assert_eq!(jpki.verify_pin(&pin("1234")), Ok(()));
        // As on a real card, the probe after a good VERIFY still tells the tries.
        assert_eq!(jpki.pin_tries_left(), Ok(PinStatus::TriesLeft(3)));
        assert_eq!(lock(&shared).tries_left(), 3);
        assert_eq!(lock(&shared).verify_count(), 2);
    }

    #[test]
    fn the_probe_is_exactly_the_case_1_empty_verify() {
        let probe = tries_probe();
        assert_eq!(probe.to_bytes(), [0x00, 0x20, 0x00, 0x80]);
        assert_eq!(probe.case(), 1);
        assert_eq!(probe.le(), None);
        assert!(probe.data().is_empty());
        // And that is what goes on the wire.
        let (shared, mut jpki) = sim(SimProfile::MyNumberCard);
        assert_eq!(jpki.pin_tries_left(), Ok(PinStatus::TriesLeft(3)));
        let card = lock(&shared);
        assert_eq!(
            card.log().last().map(Vec::as_slice),
            Some(&[0x00, 0x20, 0x00, 0x80][..])
        );
        assert_eq!(card.probe_count(), 1);
        assert_eq!(card.verify_count(), 0);
    }

    #[test]
    fn a_probe_answered_90_00_is_tries_unknown_never_verified() {
        for probe in [ProbeAnswer::OkWhenVerified, ProbeAnswer::AlwaysOk] {
            let (_, mut jpki) = card(
                SimProfile::MyNumberCard,
                SimOptions {
                    probe,
                    ..SimOptions::default()
                },
            );
            assert_eq!(jpki.verify_pin(&pin("1234")), Ok(()));
            assert_eq!(
                jpki.pin_tries_left(),
                Ok(PinStatus::TriesUnknown),
                "{probe:?}"
            );
        }
    }

    #[test]
    fn verify_data_other_than_four_ascii_digits_is_refused() {
        assert_eq!(
            verify_command(b"1234").map(|a| a.to_bytes()),
            Ok(vec![0x00, 0x20, 0x00, 0x80, 0x04, b'1', b'2', b'3', b'4'])
        );
        let refused: [&[u8]; 8] = [
            b"",
            b"123",
            b"12345",
            b"12a4",
            b"\0\0\0\0",
            b"    ",
            "１２３".as_bytes(),
            b"123\n",
        ];
        for bad in refused {
            assert!(
                matches!(verify_command(bad), Err(CardError::Malformed(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_blocked_pin_is_reported_as_such() {
        let (shared, mut jpki) = card(
            SimProfile::MyNumberCard,
            SimOptions {
                tries_left: 1,
                ..SimOptions::default()
            },
        );
        assert_eq!(
            jpki.verify_pin(&pin("0000")),
            Err(CardError::WrongPin { tries_left: 0 })
        );
        assert_eq!(jpki.pin_tries_left(), Ok(PinStatus::Blocked));
        assert_eq!(jpki.verify_pin(&pin("1234")), Err(CardError::PinBlocked));
        assert_eq!(lock(&shared).verify_count(), 2);
    }

    #[test]
    fn a_removed_card_fails_verify_without_a_retry() {
        // SELECT AP, SELECT 0018 answered; the VERIFY meets an empty field.
        let (shared, mut jpki) = card(
            SimProfile::MyNumberCard,
            SimOptions {
                remove_after: Some(2),
                ..SimOptions::default()
            },
        );
        assert_eq!(jpki.verify_pin(&pin("1234")), Err(CardError::CardGone));
        assert_eq!(jpki.stats().apdus, 3);
        assert_eq!(lock(&shared).verify_count(), 0);
        assert_eq!(lock(&shared).tries_left(), 3);
    }

    #[test]
    fn reads_a_certificate_with_the_fewest_apdus() {
        for total in [745usize, 200, 256, 257, 512, 513, 1800] {
            let shared = SimulatedCard::new(SimProfile::MyNumberCard, SimOptions::default())
                .with_auth_certificate(fake_certificate(total))
                .shared();
            let mut jpki = JpkiCard::new(SimTransport::new(Arc::clone(&shared)));
            let certificate = jpki.read_auth_certificate().expect("the sim card reads");
            assert_eq!(certificate, fake_certificate(total), "{total}");
            // SELECT AP + SELECT EF + header read + ceil(rest / 256).
            let header_read = usize::from(CERT_FIRST_READ).min(total);
            let reads = 1 + (total - header_read).div_ceil(256);
            assert_eq!(jpki.stats().apdus, 2 + reads, "{total}");
            // ... which is ceil(total / 256) reads: the least short APDUs allow.
            assert_eq!(reads, total.div_ceil(256), "{total}");
            // Nothing read twice, and never past the certificate except the first read.
            let offsets: Vec<u16> = lock(&shared)
                .log()
                .iter()
                .filter(|c| c.get(1) == Some(&apdu::INS_READ_BINARY))
                .map(|c| u16::from_be_bytes([c[2], c[3]]))
                .collect();
            let expected: Vec<u16> = (0..reads).map(|i| (i * 256) as u16).collect();
            assert_eq!(offsets, expected, "{total}");
        }
    }

    #[test]
    fn the_745_byte_certificate_takes_five_apdus() {
        let shared = SimulatedCard::new(SimProfile::MyNumberCard, SimOptions::default())
            .with_auth_certificate(fake_certificate(745))
            .shared();
        let mut jpki = JpkiCard::new(SimTransport::new(Arc::clone(&shared)));
        jpki.read_auth_certificate().expect("the sim card reads");
        let log: Vec<String> = lock(&shared).log().iter().map(|c| apdu::hex(c)).collect();
        assert_eq!(
            log,
            [
                "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01",
                "00 A4 02 0C 02 00 0A",
                "00 B0 00 00 00",
                "00 B0 01 00 00",
                "00 B0 02 00 E9",
            ]
        );
        assert_eq!(
            jpki.stats(),
            ApduStats {
                apdus: 5,
                bytes_sent: 15 + 7 + 5 * 3,
                bytes_received: 256 + 256 + 233 + 5 * 2,
            }
        );
    }

    #[test]
    fn rejects_a_certificate_ef_without_der() {
        let shared = SimulatedCard::new(SimProfile::MyNumberCard, SimOptions::default())
            .with_auth_certificate(Certificate(Vec::new()))
            .shared();
        let mut jpki = JpkiCard::new(SimTransport::new(shared));
        assert!(matches!(
            jpki.read_auth_certificate(),
            Err(CardError::Malformed(_))
        ));
    }

    #[test]
    fn phone_certificate_is_unreadable_before_the_pin() {
        let (_, mut jpki) = sim(SimProfile::AndroidPhone);
        assert_eq!(jpki.identify(), Ok(Tapped::AndroidPhone));
        assert_eq!(
            jpki.read_auth_certificate(),
            Err(CardError::Unexpected {
                command: "READ BINARY",
                status: StatusWord::SecurityNotSatisfied
            })
        );
        assert_eq!(jpki.verify_pin(&pin("1234")), Ok(()));
        let certificate = jpki
            .read_auth_certificate()
            .expect("readable after the PIN");
        assert_eq!(certificate, crate::pki::test_identity("phone").certificate);
    }

    #[test]
    fn signing_needs_the_pin() {
        let (_, mut jpki) = sim(SimProfile::MyNumberCard);
        let challenge = Challenge(b"gateway challenge".to_vec());
        assert_eq!(
            jpki.authenticate(&challenge),
            Err(CardError::Unexpected {
                command: "COMPUTE DIGITAL SIGNATURE",
                status: StatusWord::SecurityNotSatisfied
            })
        );
    }

    #[test]
    fn a_whole_check_in_selects_nothing_twice() {
        let (shared, mut jpki) = sim(SimProfile::MyNumberCard);
        assert_eq!(jpki.identify(), Ok(Tapped::MyNumberCard));
        assert_eq!(jpki.pin_tries_left(), Ok(PinStatus::TriesLeft(3)));
        assert_eq!(jpki.verify_pin(&pin("1234")), Ok(()));
        let challenge = Challenge(b"gateway challenge".to_vec());
        let (certificate, signature) = jpki.authenticate(&challenge).expect("verified card signs");
        let identity = crate::pki::test_identity("card");
        assert_eq!(certificate, identity.certificate);
        assert_eq!(signature.0.len(), 256);
        let proof = crate::domain::CardProof {
            certificate,
            challenge,
            signature,
        };
        assert_eq!(
            crate::pki::verify_card_proof(&proof, crate::pki::test_ca_certificate()),
            Ok(())
        );
        // identify 3, tries 2, verify 1, SELECT 000A + reads, SELECT 0017 + sign 2.
        let reads = proof.certificate.0.len().div_ceil(256);
        assert_eq!(jpki.stats().apdus, 3 + 2 + 1 + 1 + reads + 2);
        let card = lock(&shared);
        assert_eq!(card.apdu_count(), jpki.stats().apdus);
        let selects = card
            .log()
            .iter()
            .filter(|c| c.get(1) == Some(&apdu::INS_SELECT))
            .count();
        assert_eq!(selects, 5, "AP, 0006, 0018, 000A, 0017");
    }
}
