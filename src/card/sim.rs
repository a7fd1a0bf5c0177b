//! An in-process simulated card: a pure APDU responder for each thing a patient may tap, and a
//! [`CardTransport`] over it with fault injection.
//!
//! Owns: the simulated cards' files, PIN counter, security state, ATRs, and the record of every
//! APDU received (PINs redacted) that tests assert on.
//! Must not know: the flow, how the kiosk sequences APDUs, sockets or PC/SC (a vpcd virtual card
//! reuses [`SimulatedCard::respond`] as is).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::apdu::{self, INS_READ_BINARY, INS_SELECT, INS_VERIFY};
use super::jpki::{
    EF_AUTH_CERT, EF_AUTH_KEY, EF_AUTH_PIN, EF_TOKEN, JPKI_AID, PAYMENT_DIRECTORY, STANDARD_FELICA,
    TOKEN_ANDROID_PHONE, TOKEN_MY_NUMBER_CARD, TOKEN_OLD_RESIDENT_CARD,
};
use super::{CardTransport, TransportError};
use crate::domain::{Certificate, Pin};

/// The auth PIN's retry limit.
pub const MAX_TRIES: u8 = 3;
/// Size of the simulated certificate EF: larger than the certificate and padded with `FF`, so
/// a client must read by the DER length rather than until an error.
pub const CERT_EF_SIZE: usize = 2048;

/// What the simulated thing on the reader is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimProfile {
    /// Token `JPKIAPICCTOKEN2`; auth certificate readable without PIN. Identity "card".
    MyNumberCard,
    /// Token `JPKIAPGPSETOKEN`; auth certificate readable only after the PIN. Identity "phone".
    AndroidPhone,
    /// Token `JPKIAPICCTOKEN` and a PIN; no certificate files (the kiosk never reads them).
    OldResidentCard,
    /// FeliCa storage card ATR; SELECT answers `6A 81`, other APDUs `6D 00`.
    TransitCard,
    /// No JPKI AP (`6A 82`); answers the EMV payment directory with an FCI.
    PaymentCard,
    /// ISO-DEP device that answers `6A 82` to every SELECT (an iPhone, an unknown phone).
    UnknownDevice,
    /// Answers nothing (empty responses).
    Mute,
    /// A Japanese driving licence: Type B, no JPKI AP (`6A 82`), no payment directory.
    DrivingLicence,
    /// An Android phone whose HCE app is not JPKI: `3B 80 80 01 01`, a random UID, and every
    /// command answered with `sw` (`00 00` as Google's HCE sample answers, or `6F 00`).
    HceApp { sw: u16 },
    /// A Type A PKI card (a PIV-like applet): ATS historical bytes, a fixed 7-byte UID, no JPKI
    /// AP, no payment directory.
    PkiCard,
    /// An ePassport: Type A with ATS historical bytes and a random UID, `6A 82` to every
    /// SELECT. Nothing it answers tells a card from a phone.
    Passport,
}

impl SimProfile {
    pub const ALL: [SimProfile; 12] = [
        Self::MyNumberCard,
        Self::AndroidPhone,
        Self::OldResidentCard,
        Self::TransitCard,
        Self::PaymentCard,
        Self::UnknownDevice,
        Self::Mute,
        Self::DrivingLicence,
        Self::HceApp { sw: 0x0000 },
        Self::HceApp { sw: 0x6F00 },
        Self::PkiCard,
        Self::Passport,
    ];

    fn has_jpki(self) -> bool {
        matches!(
            self,
            Self::MyNumberCard | Self::AndroidPhone | Self::OldResidentCard
        )
    }

    /// The `crate::pki::test_identity` label of its auth key and certificate.
    fn identity_label(self) -> Option<&'static str> {
        match self {
            Self::MyNumberCard => Some("card"),
            Self::AndroidPhone => Some("phone"),
            _ => None,
        }
    }
}

/// How a simulated card starts, and the faults it injects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimOptions {
    /// The auth PIN (default `1234`).
    pub pin: Pin,
    /// The retry counter at power-up (default and maximum 3; 0 is blocked).
    pub tries_left: u8,
    /// The transport reports `CardRemoved` once this many APDUs have been answered, until the
    /// card is placed again (a re-tap spends the fault).
    pub remove_after: Option<usize>,
    /// Answer the APDU with this 0-based index with this status word instead of processing it.
    pub status_override: Option<(usize, [u8; 2])>,
    /// How the empty VERIFY (`00 20 00 80`, the tries probe) is answered. Default: as real JPKI
    /// cards do, `63 Cx` whatever the security state.
    pub probe: ProbeAnswer,
    /// The auth certificate's last valid day (Japan time), when not the test identity's
    /// 2041-01-01: the same key's certificate re-issued (sim-spec `not-after=YYYY-MM-DD`,
    /// `cert-expired-days=N`, `cert-expires-in-days=N`; issue 16 item 1).
    pub not_after: Option<crate::dates::Date>,
}

/// How a simulated card answers the empty VERIFY (`00 20 00 80`, no data).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ProbeAnswer {
    /// `63 Cx` with the tries left, even right after a good VERIFY: what real My Number cards
    /// answer (issue 13 report 2). Sim-spec word `probe=tries`.
    #[default]
    TriesLeft,
    /// `90 00` while the PIN is verified in this card session, `63 Cx` otherwise (ISO 7816-4
    /// allows it; some cards of other schemes do it). Sim-spec word `probe=ok`.
    OkWhenVerified,
    /// `90 00` always: a card that never tells its tries. Sim-spec word `probe=always-ok`.
    AlwaysOk,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            pin: Pin::parse("1234").expect("invariant: \"1234\" is four ASCII digits"),
            tries_left: MAX_TRIES,
            remove_after: None,
            status_override: None,
            probe: ProbeAnswer::TriesLeft,
            not_after: None,
        }
    }
}

/// The DF the simulated card has selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Df {
    None,
    Jpki,
    PaymentDirectory,
}

/// A command APDU split into its fields (short form only).
struct Command<'a> {
    cla: u8,
    ins: u8,
    p1: u8,
    p2: u8,
    data: &'a [u8],
    le: Option<usize>,
}

fn parse_command(bytes: &[u8]) -> Option<Command<'_>> {
    let [cla, ins, p1, p2, body @ ..] = bytes else {
        return None;
    };
    let le_of = |b: u8| if b == 0 { 256 } else { usize::from(b) };
    let (data, le): (&[u8], Option<usize>) = match body {
        [] => (&[], None),
        [le] => (&[], Some(le_of(*le))),
        // Lc = 00 would start an extended APDU, which the simulated card does not support.
        [0, ..] => return None,
        [lc, rest @ ..] => {
            let lc = usize::from(*lc);
            match rest.len() {
                n if n == lc => (rest, None),
                n if n == lc + 1 => (&rest[..lc], rest.last().map(|&b| le_of(b))),
                _ => return None,
            }
        }
    };
    Some(Command {
        cla: *cla,
        ins: *ins,
        p1: *p1,
        p2: *p2,
        data,
        le,
    })
}

/// The empty VERIFY: the tries probe.
const PROBE: [u8; 4] = [0x00, INS_VERIFY, 0x00, 0x80];

fn sw(word: u16) -> Vec<u8> {
    word.to_be_bytes().to_vec()
}

fn data_sw(mut data: Vec<u8>, word: u16) -> Vec<u8> {
    data.extend_from_slice(&word.to_be_bytes());
    data
}

/// A simulated card, phone or other contactless thing.
pub struct SimulatedCard {
    profile: SimProfile,
    atr: Vec<u8>,
    pin: Pin,
    tries_left: u8,
    verified: bool,
    df: Df,
    ef: Option<[u8; 2]>,
    remove_after: Option<usize>,
    removed: bool,
    status_override: Option<(usize, [u8; 2])>,
    /// Replaces the test identity's certificate (tests of the read logic).
    certificate_override: Option<Certificate>,
    /// Replaces the test identity's signing key (a card from another CA).
    key_override: Option<rsa::RsaPrivateKey>,
    /// The certificate EF, built on first read (the test identity's key is generated lazily).
    cert_ef: Option<Vec<u8>>,
    log: Vec<Vec<u8>>,
    verify_count: usize,
    probe: ProbeAnswer,
    /// Power-ups and resets seen (a re-tap, vpcd's power and reset controls).
    reset_count: usize,
    /// The auth certificate's last valid day, when set ([`SimOptions::not_after`]).
    not_after: Option<crate::dates::Date>,
}

impl std::fmt::Debug for SimulatedCard {
    /// State and counters only: never the PIN.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatedCard")
            .field("profile", &self.profile)
            .field("tries_left", &self.tries_left)
            .field("verified", &self.verified)
            .field("apdu_count", &self.log.len())
            .field("verify_count", &self.verify_count)
            .field("reset_count", &self.reset_count)
            .finish_non_exhaustive()
    }
}

impl SimulatedCard {
    pub fn new(profile: SimProfile, options: SimOptions) -> SimulatedCard {
        SimulatedCard {
            profile,
            atr: atr_for(profile),
            pin: options.pin,
            tries_left: options.tries_left.min(MAX_TRIES),
            verified: false,
            df: Df::None,
            ef: None,
            remove_after: options.remove_after,
            removed: false,
            status_override: options.status_override,
            certificate_override: None,
            key_override: None,
            cert_ef: None,
            log: Vec::new(),
            verify_count: 0,
            probe: options.probe,
            reset_count: 0,
            not_after: options.not_after,
        }
    }

    /// Serves `certificate` from EF 000A instead of the test identity's (signing still uses
    /// the identity's key).
    pub fn with_auth_certificate(mut self, certificate: Certificate) -> SimulatedCard {
        self.certificate_override = Some(certificate);
        self.cert_ef = None;
        self
    }

    /// The same card answering with `atr` instead of its profile's: e.g. a card in a reader's
    /// contact slot (a SAM, a security key), whose ATR no contactless reader would build.
    pub fn with_atr(mut self, atr: Vec<u8>) -> SimulatedCard {
        self.atr = atr;
        self
    }

    /// Serves `identity`'s certificate and signs with its key: a card whose certificate comes
    /// from another CA than the test CA (see `crate::pki::identity_from_another_ca`). Only for
    /// profiles that have an auth key (card, phone).
    pub fn with_auth_identity(mut self, identity: &crate::pki::TestIdentity) -> SimulatedCard {
        self.certificate_override = Some(identity.certificate.clone());
        self.key_override = Some(identity.private_key.clone());
        self.cert_ef = None;
        self
    }

    /// Wraps it for sharing between a transport and a test that inspects it afterwards.
    pub fn shared(self) -> Arc<Mutex<SimulatedCard>> {
        Arc::new(Mutex::new(self))
    }

    pub fn profile(&self) -> SimProfile {
        self.profile
    }

    pub fn atr(&self) -> &[u8] {
        &self.atr
    }

    /// Every APDU received, in order, VERIFY data replaced by `**`.
    pub fn log(&self) -> &[Vec<u8>] {
        &self.log
    }

    /// VERIFY commands carrying data: attempts that could cost a try.
    pub fn verify_count(&self) -> usize {
        self.verify_count
    }

    /// Empty VERIFYs received (`00 20 00 80`, the tries probe): they cost no try.
    pub fn probe_count(&self) -> usize {
        self.log.iter().filter(|c| c.as_slice() == PROBE).count()
    }

    /// Power-ups and resets seen so far ([`SimulatedCard::reset`] calls).
    pub fn reset_count(&self) -> usize {
        self.reset_count
    }

    /// APDUs answered (including overridden ones; excluding those met by a removal).
    pub fn apdu_count(&self) -> usize {
        self.log.len()
    }

    pub fn tries_left(&self) -> u8 {
        self.tries_left
    }

    /// Whether the PIN is verified in the current card session.
    pub fn is_verified(&self) -> bool {
        self.verified
    }

    /// Power cycle (a re-tap): clears the security state and the selection, and brings a card
    /// removed by `remove_after` back. The PIN counter survives, as on a real card.
    pub fn reset(&mut self) {
        self.reset_count += 1;
        self.verified = false;
        self.df = Df::None;
        self.ef = None;
        if self.removed {
            self.removed = false;
            self.remove_after = None;
        }
    }

    /// Whether the next APDU meets an empty field (the `remove_after` fault). For transports.
    pub fn removal_due(&mut self) -> bool {
        if !self.removed && self.remove_after.is_some_and(|n| self.log.len() >= n) {
            self.removed = true;
            // Leaving the field is a power-off.
            self.verified = false;
            self.df = Df::None;
            self.ef = None;
        }
        self.removed
    }

    /// Answers one command APDU with data + SW1 SW2 (empty for a mute device). Never panics,
    /// whatever the bytes.
    pub fn respond(&mut self, command: &[u8]) -> Vec<u8> {
        let index = self.log.len();
        self.log.push(apdu::redact_command(command));
        if apdu::is_verify_with_data(command) {
            self.verify_count += 1;
        }
        if let Some((k, word)) = self.status_override
            && k == index
        {
            return word.to_vec();
        }
        if self.profile == SimProfile::Mute {
            return Vec::new();
        }
        let Some(cmd) = parse_command(command) else {
            return sw(0x6700);
        };
        if cmd.cla == 0xFF && cmd.ins == 0xCA {
            return reader_get_data(self.profile, &cmd);
        }
        match self.profile {
            SimProfile::MyNumberCard | SimProfile::AndroidPhone | SimProfile::OldResidentCard => {
                self.respond_jpki(&cmd)
            }
            SimProfile::TransitCard => respond_transit(&cmd),
            SimProfile::PaymentCard => self.respond_payment(&cmd),
            SimProfile::HceApp { sw: word } => sw(word),
            SimProfile::UnknownDevice
            | SimProfile::DrivingLicence
            | SimProfile::PkiCard
            | SimProfile::Passport => match (cmd.cla, cmd.ins) {
                (_, INS_SELECT) => sw(0x6A82),
                (0x00 | 0x80, _) => sw(0x6D00),
                _ => sw(0x6E00),
            },
            SimProfile::Mute => Vec::new(),
        }
    }

    fn respond_jpki(&mut self, cmd: &Command<'_>) -> Vec<u8> {
        match (cmd.cla, cmd.ins) {
            (0x00, INS_SELECT) => self.select(cmd),
            (0x00, INS_READ_BINARY) => self.read_binary(cmd),
            (0x00, INS_VERIFY) => self.verify(cmd),
            (0x80, 0x2A) => self.compute_signature(cmd),
            (0x00 | 0x80, _) => sw(0x6D00),
            _ => sw(0x6E00),
        }
    }

    fn has_ef(&self, ef: [u8; 2]) -> bool {
        match ef {
            EF_TOKEN | EF_AUTH_PIN => self.profile.has_jpki(),
            EF_AUTH_CERT | EF_AUTH_KEY => self.profile.identity_label().is_some(),
            _ => false,
        }
    }

    fn select(&mut self, cmd: &Command<'_>) -> Vec<u8> {
        if cmd.p2 != 0x0C && cmd.p2 != 0x00 {
            return sw(0x6A86);
        }
        match cmd.p1 {
            0x04 if cmd.data == JPKI_AID => {
                self.df = Df::Jpki;
                self.ef = None;
                sw(0x9000)
            }
            0x04 => sw(0x6A82),
            0x02 => {
                let [hi, lo] = cmd.data else {
                    return sw(0x6700);
                };
                let ef = [*hi, *lo];
                if self.df != Df::Jpki || !self.has_ef(ef) {
                    return sw(0x6A82);
                }
                self.ef = Some(ef);
                sw(0x9000)
            }
            _ => sw(0x6A86),
        }
    }

    fn read_binary(&mut self, cmd: &Command<'_>) -> Vec<u8> {
        let Some(le) = cmd.le else {
            return sw(0x6700);
        };
        if !cmd.data.is_empty() {
            return sw(0x6700);
        }
        if cmd.p1 & 0x80 != 0 {
            // Short EF identifiers are not supported.
            return sw(0x6A86);
        }
        let content = match self.ef {
            None => return sw(0x6986),
            Some(EF_TOKEN) => token_ef(self.profile),
            Some(EF_AUTH_CERT) => {
                if self.profile == SimProfile::AndroidPhone && !self.verified {
                    return sw(0x6982);
                }
                match self.cert_ef() {
                    Some(ef) => ef,
                    None => return sw(0x6A82),
                }
            }
            // Key and PIN EFs are not binary files.
            Some(_) => return sw(0x6981),
        };
        let offset = usize::from(u16::from_be_bytes([cmd.p1, cmd.p2]));
        if offset >= content.len() {
            return sw(0x6B00);
        }
        let end = (offset + le).min(content.len());
        let word = if end - offset < le { 0x6282 } else { 0x9000 };
        data_sw(content[offset..end].to_vec(), word)
    }

    fn verify(&mut self, cmd: &Command<'_>) -> Vec<u8> {
        if cmd.p1 != 0x00 || cmd.p2 != 0x80 {
            return sw(0x6A86);
        }
        if self.ef != Some(EF_AUTH_PIN) {
            return sw(0x6986);
        }
        if self.tries_left == 0 {
            return sw(0x6984);
        }
        if cmd.data.is_empty() {
            // Asks the counter only. A fifth byte `00` (no data) is answered the same way:
            // never as a login (CVE-2023-40660 was a card that took it for one).
            let ok = match self.probe {
                ProbeAnswer::TriesLeft => false,
                ProbeAnswer::OkWhenVerified => self.verified,
                ProbeAnswer::AlwaysOk => true,
            };
            return if ok {
                sw(0x9000)
            } else {
                sw(0x63C0 | u16::from(self.tries_left))
            };
        }
        if cmd.data.len() != 4 {
            return sw(0x6700);
        }
        if cmd.data == self.pin.ascii() {
            self.tries_left = MAX_TRIES;
            self.verified = true;
            sw(0x9000)
        } else {
            self.tries_left -= 1;
            self.verified = false;
            sw(0x63C0 | u16::from(self.tries_left))
        }
    }

    fn compute_signature(&mut self, cmd: &Command<'_>) -> Vec<u8> {
        if cmd.p1 != 0x00 || cmd.p2 != 0x80 {
            return sw(0x6A86);
        }
        if self.ef != Some(EF_AUTH_KEY) {
            return sw(0x6986);
        }
        if !self.verified {
            return sw(0x6982);
        }
        if cmd.data.is_empty() {
            return sw(0x6700);
        }
        let Some(label) = self.profile.identity_label() else {
            return sw(0x6A82);
        };
        let key = match &self.key_override {
            Some(key) => key,
            None => &crate::pki::test_identity(label).private_key,
        };
        match crate::pki::sign_digest_info(key, cmd.data) {
            Ok(signature) => data_sw(signature, 0x9000),
            Err(_) => sw(0x6A80),
        }
    }

    fn cert_ef(&mut self) -> Option<Vec<u8>> {
        if self.cert_ef.is_none() {
            let certificate = match &self.certificate_override {
                Some(c) => c.0.clone(),
                None => {
                    let label = self.profile.identity_label()?;
                    match self.not_after {
                        Some(day) => crate::pki::test_certificate_valid_through(label, day).0,
                        None => crate::pki::test_identity(label).certificate.0.clone(),
                    }
                }
            };
            let mut ef = certificate;
            let size = ef.len().max(CERT_EF_SIZE);
            ef.resize(size, 0xFF);
            self.cert_ef = Some(ef);
        }
        self.cert_ef.clone()
    }

    fn respond_payment(&mut self, cmd: &Command<'_>) -> Vec<u8> {
        match (cmd.cla, cmd.ins) {
            (0x00, INS_SELECT) if cmd.p1 == 0x04 && cmd.data == PAYMENT_DIRECTORY => {
                self.df = Df::PaymentDirectory;
                if cmd.p2 == 0x0C {
                    sw(0x9000)
                } else {
                    data_sw(payment_directory_fci(), 0x9000)
                }
            }
            (_, INS_SELECT) => sw(0x6A82),
            (0x00 | 0x80, _) => sw(0x6D00),
            _ => sw(0x6E00),
        }
    }
}

fn respond_transit(cmd: &Command<'_>) -> Vec<u8> {
    match (cmd.cla, cmd.ins) {
        (_, INS_SELECT) => sw(0x6A81),
        _ => sw(0x6D00),
    }
}

/// What the reader gives for its GET DATA pseudo-APDU: the UID of a Type A target, the PUPI
/// of a Type B one, the IDm of a FeliCa card (all made up). Phones show a random single-size
/// UID (`08` first); cards a fixed one or their PUPI.
fn uid_of(profile: SimProfile) -> Vec<u8> {
    match profile {
        SimProfile::AndroidPhone
        | SimProfile::UnknownDevice
        | SimProfile::HceApp { .. }
        | SimProfile::Passport
        | SimProfile::Mute => vec![0x08, 0x4F, 0x2A, 0x91],
        SimProfile::MyNumberCard => vec![0x5A, 0x3C, 0x91, 0x07],
        SimProfile::OldResidentCard => vec![0x11, 0x52, 0x3E, 0x40],
        SimProfile::DrivingLicence => vec![0x3D, 0x0B, 0x77, 0x12],
        SimProfile::PaymentCard => vec![0x04, 0x31, 0xC1, 0x64, 0x08, 0x60, 0x80],
        SimProfile::PkiCard => vec![0x04, 0x5A, 0x2B, 0x3C, 0x4D, 0x5E, 0x80],
        SimProfile::TransitCard => vec![0x01, 0x2E, 0x4C, 0x5A, 0x10, 0x22, 0x33, 0x44],
    }
}

/// The reader's answer to `FF CA P1 00 Le` (PC/SC part 3, 3.2.2.1.3): P1 `00` the UID; other
/// P1 values are not supported here (`6A 81`). Le `00` takes all; a shorter Le gets `6C xx`.
fn reader_get_data(profile: SimProfile, cmd: &Command<'_>) -> Vec<u8> {
    if cmd.p1 != 0x00 || cmd.p2 != 0x00 || !cmd.data.is_empty() {
        return sw(0x6A81);
    }
    let uid = uid_of(profile);
    match cmd.le {
        Some(le) if le < uid.len() => sw(0x6C00 | uid.len() as u16),
        _ => data_sw(uid, 0x9000),
    }
}

/// The token EF: 32 bytes, padded with spaces on the card and NULs on the phone (the real
/// padding is not known, so the kiosk must trim both).
fn token_ef(profile: SimProfile) -> Vec<u8> {
    let (token, pad) = match profile {
        SimProfile::AndroidPhone => (TOKEN_ANDROID_PHONE, 0x00),
        SimProfile::OldResidentCard => (TOKEN_OLD_RESIDENT_CARD, b' '),
        _ => (TOKEN_MY_NUMBER_CARD, b' '),
    };
    let mut ef = token.to_vec();
    ef.resize(32, pad);
    ef
}

fn tlv(tag: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = tag.to_vec();
    // The FCI's parts are all short: a one-byte length suffices.
    out.push(value.len() as u8);
    out.extend_from_slice(value);
    out
}

/// An FCI for the payment directory with one (made-up) Mastercard-like application entry.
fn payment_directory_fci() -> Vec<u8> {
    let entry = [
        tlv(&[0x4F], &[0xA0, 0x00, 0x00, 0x00, 0x04, 0x10, 0x10]),
        tlv(&[0x87], &[0x01]),
    ]
    .concat();
    let directory = tlv(&[0xBF, 0x0C], &tlv(&[0x61], &entry));
    let proprietary = tlv(&[0xA5], &directory);
    tlv(
        &[0x6F],
        &[tlv(&[0x84], PAYMENT_DIRECTORY), proprietary].concat(),
    )
}

/// A PC/SC part 3 ATR for an ISO 14443-4 target: `3B 8n 80 01`, n historical bytes, TCK.
pub fn iso14443_atr(historical: &[u8]) -> Vec<u8> {
    let historical = &historical[..historical.len().min(15)];
    let mut atr = vec![0x3B, 0x80 | historical.len() as u8, 0x80, 0x01];
    atr.extend_from_slice(historical);
    push_tck(atr)
}

/// A PC/SC part 3 storage card ATR with standard byte `standard` and card name `name`.
pub fn storage_card_atr(standard: u8, name: [u8; 2]) -> Vec<u8> {
    let mut atr = vec![
        0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06, standard,
    ];
    atr.extend_from_slice(&name);
    atr.extend_from_slice(&[0x00; 4]);
    push_tck(atr)
}

/// Appends TCK: the XOR of every byte from T0 on.
fn push_tck(mut atr: Vec<u8>) -> Vec<u8> {
    let tck = atr.iter().skip(1).fold(0, |acc, b| acc ^ b);
    atr.push(tck);
    atr
}

/// Each profile's ATR as a PC/SC reader builds it; the cards' are real ones from
/// smartcard_list.txt (pcsc-tools).
fn atr_for(profile: SimProfile) -> Vec<u8> {
    match profile {
        // Type B: ATQB application data, protocol info (FWI 13), MBLI.
        SimProfile::MyNumberCard => iso14443_atr(&[0x00, 0x4B, 0x51, 0xFF, 0xB3, 0x81, 0xD1, 0x00]),
        SimProfile::OldResidentCard => {
            iso14443_atr(&[0x00, 0x00, 0x14, 0xE0, 0xB3, 0x81, 0x91, 0x00])
        }
        SimProfile::DrivingLicence => {
            iso14443_atr(&[0x00, 0x00, 0x00, 0x00, 0x91, 0x81, 0xC1, 0x00])
        }
        // Type A: ATS historical bytes (a Visa card, an IDEMIA PIV card, a Dutch passport).
        SimProfile::PaymentCard => iso14443_atr(&[0x20, 0x63, 0xCB, 0xA0, 0x00]),
        SimProfile::PkiCard => iso14443_atr(&[0x80, 0x31, 0xC1, 0x52, 0x11, 0x18]),
        SimProfile::Passport => iso14443_atr(&[0x80, 0x73, 0x84, 0x21, 0x40]),
        SimProfile::TransitCard => storage_card_atr(STANDARD_FELICA, [0x00, 0x3B]),
        // Phones (Android HCE, iPhone): an ATS without historical bytes.
        SimProfile::AndroidPhone
        | SimProfile::UnknownDevice
        | SimProfile::HceApp { .. }
        | SimProfile::Mute => iso14443_atr(&[]),
    }
}

/// Locks a shared simulated card. A panic elsewhere while holding it leaves plain data behind,
/// so a poisoned lock is still usable.
pub fn lock(card: &Mutex<SimulatedCard>) -> MutexGuard<'_, SimulatedCard> {
    card.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A transport to a shared [`SimulatedCard`], applying its `remove_after` fault.
#[derive(Clone)]
pub struct SimTransport {
    card: Arc<Mutex<SimulatedCard>>,
}

impl SimTransport {
    pub fn new(card: Arc<Mutex<SimulatedCard>>) -> SimTransport {
        SimTransport { card }
    }

    pub fn card(&self) -> &Arc<Mutex<SimulatedCard>> {
        &self.card
    }
}

impl CardTransport for SimTransport {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut card = lock(&self.card);
        if card.removal_due() {
            return Err(TransportError::CardRemoved);
        }
        Ok(card.respond(command))
    }

    fn atr(&self) -> Vec<u8> {
        lock(&self.card).atr().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::apdu::{Apdu, Response, hex};
    use crate::card::status::StatusWord;

    fn bytes(hex: &str) -> Vec<u8> {
        hex.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).expect("test hex is valid"))
            .collect()
    }

    fn status(card: &mut SimulatedCard, command: &str) -> StatusWord {
        Response::parse(&card.respond(&bytes(command)))
            .expect("the simulated card answers with a status word")
            .status()
    }

    const SELECT_JPKI: &str = "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01";
    const SELECT_PIN: &str = "00 A4 02 0C 02 00 18";
    const EMPTY_VERIFY: &str = "00 20 00 80";

    fn verify(pin: &str) -> String {
        format!("00 20 00 80 04 {}", hex(pin.as_bytes()))
    }

    fn card_at_pin_ef(profile: SimProfile, options: SimOptions) -> SimulatedCard {
        let mut card = SimulatedCard::new(profile, options);
        assert_eq!(status(&mut card, SELECT_JPKI), StatusWord::Ok);
        assert_eq!(status(&mut card, SELECT_PIN), StatusWord::Ok);
        card
    }

    #[test]
    fn atrs_follow_pcsc_part_3() {
        assert_eq!(
            hex(&storage_card_atr(0x11, [0x00, 0x3B])),
            "3B 8F 80 01 80 4F 0C A0 00 00 03 06 11 00 3B 00 00 00 00 42"
        );
        assert_eq!(hex(&iso14443_atr(&[])), "3B 80 80 01 01");
        // The ATRs, byte for byte.
        assert_eq!(
            hex(&atr_for(SimProfile::MyNumberCard)),
            "3B 88 80 01 00 4B 51 FF B3 81 D1 00 0F"
        );
        assert_eq!(
            hex(&atr_for(SimProfile::DrivingLicence)),
            "3B 88 80 01 00 00 00 00 91 81 C1 00 D8"
        );
        assert_eq!(
            hex(&atr_for(SimProfile::HceApp { sw: 0 })),
            "3B 80 80 01 01"
        );
        for profile in SimProfile::ALL {
            let atr = atr_for(profile);
            assert_eq!(&atr[..1], [0x3B]);
            assert_eq!(atr[1] & 0xF0, 0x80, "{profile:?}");
            assert_eq!(atr.len(), 4 + usize::from(atr[1] & 0x0F) + 1, "{profile:?}");
            assert_eq!(
                atr.iter().skip(1).fold(0, |a, b| a ^ b),
                0,
                "TCK of {profile:?}"
            );
        }
    }

    #[test]
    fn pin_counter_counts_down_and_blocks() {
        let mut card = card_at_pin_ef(SimProfile::MyNumberCard, SimOptions::default());
        assert_eq!(
            status(&mut card, EMPTY_VERIFY),
            StatusWord::WrongPin { tries_left: 3 }
        );
        assert_eq!(
            status(&mut card, &verify("1111")),
            StatusWord::WrongPin { tries_left: 2 }
        );
        assert_eq!(status(&mut card, &verify("1234")), StatusWord::Ok);
        assert_eq!(card.tries_left(), 3);
        assert!(card.is_verified());
        // As a real JPKI card: the probe tells the tries, never "verified".
        assert_eq!(
            status(&mut card, EMPTY_VERIFY),
            StatusWord::WrongPin { tries_left: 3 }
        );
        for left in [2, 1, 0] {
            assert_eq!(
                status(&mut card, &verify("0000")),
                StatusWord::WrongPin { tries_left: left }
            );
        }
        assert!(!card.is_verified());
        assert_eq!(status(&mut card, EMPTY_VERIFY), StatusWord::PinBlocked);
        assert_eq!(status(&mut card, &verify("1234")), StatusWord::PinBlocked);
        assert_eq!(card.verify_count(), 6);
        assert_eq!(card.tries_left(), 0);
    }

    #[test]
    fn the_probe_answers_as_chosen() {
        for (probe, before, after) in [
            (
                ProbeAnswer::TriesLeft,
                StatusWord::WrongPin { tries_left: 3 },
                StatusWord::WrongPin { tries_left: 3 },
            ),
            (
                ProbeAnswer::OkWhenVerified,
                StatusWord::WrongPin { tries_left: 3 },
                StatusWord::Ok,
            ),
            (ProbeAnswer::AlwaysOk, StatusWord::Ok, StatusWord::Ok),
        ] {
            let options = SimOptions {
                probe,
                ..SimOptions::default()
            };
            let mut card = card_at_pin_ef(SimProfile::MyNumberCard, options);
            assert_eq!(status(&mut card, EMPTY_VERIFY), before, "{probe:?}");
            assert_eq!(status(&mut card, &verify("1234")), StatusWord::Ok);
            assert_eq!(status(&mut card, EMPTY_VERIFY), after, "{probe:?}");
            // A fifth byte 00 and no data is the probe too, never a login.
            assert_eq!(status(&mut card, "00 20 00 80 00"), after, "{probe:?}");
            assert_eq!(card.verify_count(), 1, "only the VERIFY with data");
            assert_eq!(card.probe_count(), 2, "the case 1 probes only");
            card.reset();
            assert_eq!(status(&mut card, SELECT_JPKI), StatusWord::Ok);
            assert_eq!(status(&mut card, SELECT_PIN), StatusWord::Ok);
            assert_eq!(
                status(&mut card, EMPTY_VERIFY),
                before,
                "{probe:?} after a reset"
            );
            assert_eq!(card.reset_count(), 1);
        }
    }

    #[test]
    fn options_set_the_pin_and_counter() {
        let options = SimOptions {
            pin: Pin::parse("4321").expect("four digits"),
            tries_left: 9,
            ..SimOptions::default()
        };
        let mut card = card_at_pin_ef(SimProfile::MyNumberCard, options);
        assert_eq!(
            card.tries_left(),
            MAX_TRIES,
            "clamped to the card's maximum"
        );
        assert_eq!(
            status(&mut card, &verify("1234")),
            StatusWord::WrongPin { tries_left: 2 }
        );
        assert_eq!(status(&mut card, &verify("4321")), StatusWord::Ok);
    }

    #[test]
    fn verify_needs_the_pin_ef() {
        let mut card = SimulatedCard::new(SimProfile::MyNumberCard, SimOptions::default());
        assert_eq!(status(&mut card, SELECT_JPKI), StatusWord::Ok);
        assert_eq!(
            status(&mut card, &verify("1234")),
            StatusWord::Other(0x6986)
        );
        assert_eq!(card.tries_left(), 3);
    }

    #[test]
    fn reset_clears_the_security_state_but_not_the_counter() {
        let mut card = card_at_pin_ef(SimProfile::MyNumberCard, SimOptions::default());
        assert_eq!(
            status(&mut card, &verify("9999")),
            StatusWord::WrongPin { tries_left: 2 }
        );
        card.reset();
        assert_eq!(card.tries_left(), 2);
        assert_eq!(status(&mut card, EMPTY_VERIFY), StatusWord::Other(0x6986));
        let mut card = card_at_pin_ef(SimProfile::MyNumberCard, SimOptions::default());
        assert_eq!(status(&mut card, &verify("1234")), StatusWord::Ok);
        card.reset();
        assert!(!card.is_verified());
        assert_eq!(status(&mut card, SELECT_JPKI), StatusWord::Ok);
        assert_eq!(status(&mut card, SELECT_PIN), StatusWord::Ok);
        assert_eq!(
            status(&mut card, EMPTY_VERIFY),
            StatusWord::WrongPin { tries_left: 3 }
        );
    }

    #[test]
    fn log_redacts_pins() {
        let mut card = card_at_pin_ef(SimProfile::MyNumberCard, SimOptions::default());
        card.respond(&bytes(&verify("1234")));
        let log: Vec<String> = card.log().iter().map(|c| hex(c)).collect();
        assert_eq!(log, [SELECT_JPKI, SELECT_PIN, "00 20 00 80 04 2A 2A"]);
        assert_eq!(card.apdu_count(), 3);
    }

    #[test]
    fn certificate_ef_is_padded_past_the_certificate() {
        let certificate = Certificate(vec![0x30, 0x03, 0x02, 0x01, 0x05]);
        let mut card = SimulatedCard::new(SimProfile::MyNumberCard, SimOptions::default())
            .with_auth_certificate(certificate);
        assert_eq!(status(&mut card, SELECT_JPKI), StatusWord::Ok);
        assert_eq!(status(&mut card, "00 A4 02 0C 02 00 0A"), StatusWord::Ok);
        let first = card.respond(&bytes("00 B0 00 00 08"));
        assert_eq!(hex(&first), "30 03 02 01 05 FF FF FF 90 00");
        let last = card.respond(&bytes("00 B0 07 F0 00"));
        assert_eq!(last.len(), 16 + 2);
        assert_eq!(&last[16..], [0x62, 0x82]);
        assert_eq!(
            status(&mut card, "00 B0 08 00 01"),
            StatusWord::WrongP1P2 { sw: 0x6B00 }
        );
    }

    #[test]
    fn phone_certificate_needs_the_pin_first() {
        let mut card = SimulatedCard::new(SimProfile::AndroidPhone, SimOptions::default())
            .with_auth_certificate(Certificate(vec![0x30, 0x00]));
        assert_eq!(status(&mut card, SELECT_JPKI), StatusWord::Ok);
        assert_eq!(status(&mut card, "00 A4 02 0C 02 00 0A"), StatusWord::Ok);
        assert_eq!(
            status(&mut card, "00 B0 00 00 07"),
            StatusWord::SecurityNotSatisfied
        );
        assert_eq!(status(&mut card, SELECT_PIN), StatusWord::Ok);
        assert_eq!(status(&mut card, &verify("1234")), StatusWord::Ok);
        assert_eq!(status(&mut card, "00 A4 02 0C 02 00 0A"), StatusWord::Ok);
        assert_eq!(status(&mut card, "00 B0 00 00 02"), StatusWord::Ok);
    }

    #[test]
    fn signing_needs_the_key_ef_and_the_pin() {
        let sign = "80 2A 00 80 03 30 31 32 00";
        let mut card = card_at_pin_ef(SimProfile::MyNumberCard, SimOptions::default());
        assert_eq!(status(&mut card, sign), StatusWord::Other(0x6986));
        assert_eq!(status(&mut card, "00 A4 02 0C 02 00 17"), StatusWord::Ok);
        assert_eq!(status(&mut card, sign), StatusWord::SecurityNotSatisfied);
        assert_eq!(
            status(&mut card, "00 2A 00 80 03 30 31 32 00"),
            StatusWord::InsNotSupported
        );
        assert_eq!(
            status(&mut card, "84 2A 00 80 03 30 31 32 00"),
            StatusWord::ClaNotSupported
        );
    }

    #[test]
    fn signs_with_the_identity_key() {
        let mut card = card_at_pin_ef(SimProfile::MyNumberCard, SimOptions::default());
        assert_eq!(status(&mut card, &verify("1234")), StatusWord::Ok);
        assert_eq!(status(&mut card, "00 A4 02 0C 02 00 17"), StatusWord::Ok);
        let digest_info = crate::pki::digest_info_sha256(b"challenge");
        let sign = Apdu::new(0x80, 0x2A, 0x00, 0x80)
            .with_data(digest_info.clone())
            .and_then(|a| a.with_le(256))
            .expect("a DigestInfo fits");
        let answer = Response::parse(&card.respond(&sign.to_bytes())).expect("answered");
        assert_eq!(answer.status(), StatusWord::Ok);
        let expected = crate::pki::sign_digest_info(
            &crate::pki::test_identity("card").private_key,
            &digest_info,
        )
        .expect("the test key signs");
        assert_eq!(answer.data(), expected);
    }

    #[test]
    fn other_things_answer_as_they_would() {
        let mut transit = SimulatedCard::new(SimProfile::TransitCard, SimOptions::default());
        assert_eq!(status(&mut transit, SELECT_JPKI), StatusWord::Other(0x6A81));
        assert_eq!(
            status(&mut transit, "00 B0 00 00 00"),
            StatusWord::InsNotSupported
        );
        assert_eq!(transit.respond(&bytes("FF CA 00 00 00")).len(), 10);

        let mut payment = SimulatedCard::new(SimProfile::PaymentCard, SimOptions::default());
        assert_eq!(status(&mut payment, SELECT_JPKI), StatusWord::FileNotFound);
        let select_ppse = Apdu::select_by_name_with_fci(PAYMENT_DIRECTORY)
            .expect("the name fits")
            .to_bytes();
        let fci = Response::parse(&payment.respond(&select_ppse)).expect("answered");
        assert_eq!(fci.status(), StatusWord::Ok);
        assert_eq!(fci.data()[0], 0x6F);
        assert_eq!(usize::from(fci.data()[1]) + 2, fci.data().len());

        let mut unknown = SimulatedCard::new(SimProfile::UnknownDevice, SimOptions::default());
        assert_eq!(status(&mut unknown, SELECT_JPKI), StatusWord::FileNotFound);
        assert_eq!(
            Response::parse(&unknown.respond(&select_ppse)).map(|r| r.status()),
            Ok(StatusWord::FileNotFound)
        );

        let mut mute = SimulatedCard::new(SimProfile::Mute, SimOptions::default());
        assert!(mute.respond(&bytes(SELECT_JPKI)).is_empty());
        assert_eq!(mute.apdu_count(), 1);
    }

    #[test]
    fn the_reader_answers_get_data_with_the_uid() {
        let table = [
            (SimProfile::AndroidPhone, "08 4F 2A 91 90 00", "6C 04"),
            (SimProfile::HceApp { sw: 0 }, "08 4F 2A 91 90 00", "6C 04"),
            (SimProfile::PkiCard, "04 5A 2B 3C 4D 5E 80 90 00", "6C 07"),
            (SimProfile::DrivingLicence, "3D 0B 77 12 90 00", "6C 04"),
        ];
        for (profile, answer, short_le) in table {
            let mut card = SimulatedCard::new(profile, SimOptions::default());
            assert_eq!(
                hex(&card.respond(&bytes("FF CA 00 00 00"))),
                answer,
                "{profile:?}"
            );
            assert_eq!(
                hex(&card.respond(&bytes("FF CA 00 00 02"))),
                short_le,
                "{profile:?}"
            );
            assert_eq!(
                hex(&card.respond(&bytes("FF CA 01 00 00"))),
                "6A 81",
                "{profile:?}"
            );
        }
        let mut hce = SimulatedCard::new(SimProfile::HceApp { sw: 0 }, SimOptions::default());
        assert_eq!(hex(&hce.respond(&bytes(SELECT_JPKI))), "00 00");
        let mut hce = SimulatedCard::new(SimProfile::HceApp { sw: 0x6F00 }, SimOptions::default());
        assert_eq!(hex(&hce.respond(&bytes(SELECT_JPKI))), "6F 00");
        let mut licence = SimulatedCard::new(SimProfile::DrivingLicence, SimOptions::default());
        assert_eq!(status(&mut licence, SELECT_JPKI), StatusWord::FileNotFound);
    }

    #[test]
    fn malformed_commands_get_wrong_length() {
        let mut card = SimulatedCard::new(SimProfile::MyNumberCard, SimOptions::default());
        for command in [
            "",
            "00",
            "00 A4 04",
            "00 A4 04 0C 0A D3",
            "00 A4 04 0C 00 01 02",
        ] {
            assert_eq!(
                status(&mut card, command),
                StatusWord::WrongLength,
                "{command}"
            );
        }
    }

    #[test]
    fn status_override_replaces_one_answer() {
        let options = SimOptions {
            status_override: Some((1, [0x6F, 0x00])),
            ..SimOptions::default()
        };
        let mut card = SimulatedCard::new(SimProfile::MyNumberCard, options);
        assert_eq!(status(&mut card, SELECT_JPKI), StatusWord::Ok);
        assert_eq!(status(&mut card, SELECT_PIN), StatusWord::Other(0x6F00));
        assert_eq!(status(&mut card, SELECT_PIN), StatusWord::Ok);
    }

    #[test]
    fn removal_fault_lasts_until_the_next_tap() {
        let options = SimOptions {
            remove_after: Some(1),
            ..SimOptions::default()
        };
        let shared = SimulatedCard::new(SimProfile::MyNumberCard, options).shared();
        let mut transport = SimTransport::new(Arc::clone(&shared));
        assert!(transport.transmit(&bytes(SELECT_JPKI)).is_ok());
        assert_eq!(
            transport.transmit(&bytes(SELECT_PIN)),
            Err(TransportError::CardRemoved)
        );
        assert_eq!(
            transport.transmit(&bytes(SELECT_PIN)),
            Err(TransportError::CardRemoved)
        );
        assert_eq!(lock(&shared).apdu_count(), 1);
        lock(&shared).reset();
        assert_eq!(
            transport.transmit(&bytes(SELECT_JPKI)),
            Ok(vec![0x90, 0x00])
        );
        assert_eq!(transport.atr(), lock(&shared).atr());
    }
}
