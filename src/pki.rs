//! Test public-key infrastructure for simulated cards, and the signature checks the simulated
//! gateway makes.
//!
//! Owns: the test CA ("uketsuke TEST CA - not a JPKI CA"), per-label test identities (RSA-2048
//! key + certificate issued by that CA), the DigestInfo a kiosk sends to a card, the card's raw
//! PKCS#1 v1.5 signing operation, and the check of a card proof against a trusted CA.
//! Must not know: APDUs, the flow, eligibility, the screen, the clock (certificate validity
//! periods are not checked here: the simulated PKI has no notion of "now").
//!
//! Keys are generated at run time, once per process, from an RNG seeded by the label, so runs
//! are reproducible and no key material lives in the repository. Nothing here logs keys,
//! certificate bodies or names.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock, PoisonError};

use der::asn1::{Any, BitString, OctetString, SetOfVec, UtcTime, Utf8StringRef};
use der::oid::AssociatedOid;
use der::{DateTime, Decode, Encode, Header, Reader, SliceReader};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};
use spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::certificate::{TbsCertificate, Version};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use crate::domain::{CardProof, Certificate};

/// A card holder's user-authentication key pair and certificate, issued by the test CA.
pub struct TestIdentity {
    pub certificate: Certificate,
    pub private_key: rsa::RsaPrivateKey,
}

/// Common name of the CA that issues every simulated card's certificate.
pub const TEST_CA_COMMON_NAME: &str = "uketsuke TEST CA - not a JPKI CA";

/// The identity for `label` (e.g. "card", "phone"), generated once per process and cached.
pub fn test_identity(label: &str) -> &'static TestIdentity {
    TEST_PKI.identity(label)
}

/// The test CA's certificate (DER).
pub fn test_ca_certificate() -> &'static Certificate {
    &TEST_PKI.ca().certificate
}

pub use crate::card::jpki::{SHA256_DIGEST_INFO_PREFIX, digest_info_sha256};

/// PKCS#1 v1.5 type-1 padding needs at least 8 bytes of FF plus `00 01` and the `00` separator.
const PKCS1_V15_OVERHEAD: usize = 11;

/// What the card does on `80 2A 00 80`: PKCS#1 v1.5 type-1 padding over the DigestInfo it was
/// given, then the RSA private operation. Returns the 256-byte signature.
pub fn sign_digest_info(key: &rsa::RsaPrivateKey, digest_info: &[u8]) -> Result<Vec<u8>, String> {
    let max = key.size().saturating_sub(PKCS1_V15_OVERHEAD);
    if digest_info.len() > max {
        return Err(format!(
            "digest info too long for the key: {} bytes, at most {max}",
            digest_info.len()
        ));
    }
    // Unprefixed: the card pads exactly what it was given; the kiosk already built the
    // DigestInfo, as with a real JPKI card.
    key.sign(Pkcs1v15Sign::new_unprefixed(), digest_info)
        .map_err(|e| format!("RSA signing failed: {e}"))
}

/// Checks the certificate was issued by `ca` and the signature is the certificate key's over
/// SHA-256 of the challenge.
pub fn verify_card_proof(proof: &CardProof, ca: &Certificate) -> Result<(), String> {
    let ca_cert = x509_cert::Certificate::from_der(&ca.0)
        .map_err(|e| format!("trusted CA certificate does not parse: {e}"))?;
    let card_cert = x509_cert::Certificate::from_der(&proof.certificate.0)
        .map_err(|e| format!("card certificate does not parse: {e}"))?;
    verify_issued_by(&card_cert, &ca_cert, &proof.certificate.0)?;
    verify_possession(&card_cert, proof)
}

/// Proof of possession only: the certificate parses, is an end entity allowed to sign, holds an
/// RSA key of 2048 to 4096 bits, and that key signed DigestInfo(SHA-256(challenge)) with
/// PKCS#1 v1.5. Says nothing about who issued the certificate (see [`verify_card_proof`]).
pub fn verify_proof_of_possession(proof: &CardProof) -> Result<(), String> {
    let card_cert = x509_cert::Certificate::from_der(&proof.certificate.0)
        .map_err(|e| format!("card certificate does not parse: {e}"))?;
    verify_possession(&card_cert, proof)
}

/// Whether `certificate` was issued (name and signature) by `ca`. Errors say why not.
pub fn issued_by(certificate: &Certificate, ca: &Certificate) -> Result<(), String> {
    let ca_cert = x509_cert::Certificate::from_der(&ca.0)
        .map_err(|e| format!("trusted CA certificate does not parse: {e}"))?;
    let card_cert = x509_cert::Certificate::from_der(&certificate.0)
        .map_err(|e| format!("card certificate does not parse: {e}"))?;
    verify_issued_by(&card_cert, &ca_cert, &certificate.0)
}

/// The issuer's distinguished name as text (`CN=...`), for technicians' logs: a CA's name, never
/// the holder's.
pub fn issuer_name(certificate: &Certificate) -> Result<String, String> {
    let cert = x509_cert::Certificate::from_der(&certificate.0)
        .map_err(|e| format!("certificate does not parse: {e}"))?;
    Ok(cert.tbs_certificate.issuer.to_string())
}

fn verify_issued_by(
    card_cert: &x509_cert::Certificate,
    ca_cert: &x509_cert::Certificate,
    card_der: &[u8],
) -> Result<(), String> {
    // Issued by the CA: names match and the CA's key signed the exact TBS bytes received.
    if card_cert.tbs_certificate.issuer != ca_cert.tbs_certificate.subject {
        return Err("card certificate was not issued by the trusted CA (issuer differs)".into());
    }
    if card_cert.signature_algorithm.oid != SHA256_WITH_RSA
        || card_cert.tbs_certificate.signature.oid != SHA256_WITH_RSA
    {
        return Err("card certificate is not signed with sha256WithRSAEncryption".into());
    }
    let ca_key = rsa_public_key(&ca_cert.tbs_certificate.subject_public_key_info)
        .map_err(|e| format!("trusted CA key: {e}"))?;
    let tbs = tbs_bytes(card_der).map_err(|e| format!("card certificate TBS not found: {e}"))?;
    let cert_signature = card_cert
        .signature
        .as_bytes()
        .ok_or("card certificate signature is not a whole number of bytes")?;
    ca_key
        .verify(
            Pkcs1v15Sign::new::<Sha256>(),
            &Sha256::digest(tbs),
            cert_signature,
        )
        .map_err(|_| "card certificate was not signed by the trusted CA".to_string())
}

fn verify_possession(card_cert: &x509_cert::Certificate, proof: &CardProof) -> Result<(), String> {
    check_end_entity_for_signing(&card_cert.tbs_certificate)?;

    // The card's own key signed DigestInfo(SHA-256(challenge)).
    if proof.challenge.0.is_empty() {
        return Err("empty challenge".into());
    }
    let card_key = rsa_public_key(&card_cert.tbs_certificate.subject_public_key_info)
        .map_err(|e| format!("card key: {e}"))?;
    card_key
        .verify(
            Pkcs1v15Sign::new::<Sha256>(),
            &Sha256::digest(&proof.challenge.0),
            &proof.signature.0,
        )
        .map_err(|_| "card signature over the challenge does not verify".to_string())
}

/// The certificate's serial number bytes (to recognise a returning card by a keyed hash).
pub fn certificate_serial(certificate: &Certificate) -> Result<Vec<u8>, String> {
    let cert = x509_cert::Certificate::from_der(&certificate.0)
        .map_err(|e| format!("certificate does not parse: {e}"))?;
    Ok(cert.tbs_certificate.serial_number.as_bytes().to_vec())
}

// ---------------------------------------------------------------------------------------------
// Verification helpers

/// sha256WithRSAEncryption (RFC 4055).
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");

/// id-at-commonName.
const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");

/// Smallest and largest RSA moduli accepted: JPKI uses 2048; bounds keep arithmetic sane on
/// hostile input.
const MIN_RSA_BITS: usize = 2048;
const MAX_RSA_BITS: usize = 4096;

fn rsa_public_key(spki: &SubjectPublicKeyInfoOwned) -> Result<RsaPublicKey, String> {
    let der = spki
        .to_der()
        .map_err(|e| format!("public key info does not encode: {e}"))?;
    let key = RsaPublicKey::from_public_key_der(&der)
        .map_err(|e| format!("not an RSA public key: {e}"))?;
    let bits = key.n().bits();
    if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
        return Err(format!("RSA modulus of {bits} bits is out of range"));
    }
    Ok(key)
}

/// The TBSCertificate exactly as received: the signature covers these bytes, not whatever a
/// re-encoding of the parsed structure would give.
fn tbs_bytes(certificate_der: &[u8]) -> Result<&[u8], der::Error> {
    let mut reader = SliceReader::new(certificate_der)?;
    let _outer: Header = reader.decode()?;
    reader.tlv_bytes()
}

/// A card's authentication certificate must be an end entity allowed to sign; this also keeps a
/// CA certificate (the self-signed test CA) from being presented as a card.
fn check_end_entity_for_signing(tbs: &TbsCertificate) -> Result<(), String> {
    match tbs.get::<BasicConstraints>() {
        Ok(Some((_, bc))) if bc.ca => {
            return Err("card certificate is a CA certificate".into());
        }
        Ok(_) => {}
        Err(e) => return Err(format!("card certificate basic constraints: {e}")),
    }
    match tbs.get::<KeyUsage>() {
        Ok(Some((_, ku))) if !ku.digital_signature() => {
            Err("card certificate key usage does not allow digital signatures".into())
        }
        Ok(_) => Ok(()),
        Err(e) => Err(format!("card certificate key usage: {e}")),
    }
}

// ---------------------------------------------------------------------------------------------
// Generation

struct TestCa {
    name: Name,
    private_key: RsaPrivateKey,
    certificate: Certificate,
}

/// One CA with its lazily generated identities. Each label gets its own `OnceLock` so keys for
/// different labels are generated in parallel; the map lock is held only to find the slot.
struct Pki {
    ca_common_name: &'static str,
    /// Separates the RNG seeds and serials of different CAs (the tests' foreign CA).
    seed_domain: &'static str,
    ca: OnceLock<TestCa>,
    identities: Mutex<BTreeMap<String, &'static OnceLock<TestIdentity>>>,
}

static TEST_PKI: Pki = Pki::new(TEST_CA_COMMON_NAME, "uketsuke-test-pki/v1");

impl Pki {
    const fn new(ca_common_name: &'static str, seed_domain: &'static str) -> Self {
        Self {
            ca_common_name,
            seed_domain,
            ca: OnceLock::new(),
            identities: Mutex::new(BTreeMap::new()),
        }
    }

    fn ca(&self) -> &TestCa {
        self.ca
            .get_or_init(|| generate_ca(self.ca_common_name, self.seed_domain))
    }

    fn identity(&'static self, label: &str) -> &'static TestIdentity {
        let slot: &'static OnceLock<TestIdentity> = {
            // No code that can panic runs under this lock, so a poisoned map is still sound.
            let mut map = self
                .identities
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            map.entry(label.to_owned())
                .or_insert_with(|| Box::leak(Box::new(OnceLock::new())))
        };
        slot.get_or_init(|| issue_identity(self.ca(), self.seed_domain, label))
    }
}

/// 32 bytes derived from the domain, purpose and label; used as RNG seed and for serials.
fn derive(seed_domain: &str, purpose: &str, label: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in [seed_domain, purpose, label] {
        // Length-prefixed so ("a", "bc") and ("ab", "c") differ.
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().into()
}

fn generate_key(seed_domain: &str, label: &str) -> RsaPrivateKey {
    let mut rng = StdRng::from_seed(derive(seed_domain, "key", label));
    RsaPrivateKey::new(&mut rng, 2048)
        .expect("invariant: RSA-2048 generation from a seeded CSPRNG does not fail")
}

/// A positive 16-byte serial, distinct per (CA, label) with overwhelming probability.
fn serial_for(seed_domain: &str, label: &str) -> SerialNumber {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&derive(seed_domain, "serial", label)[..16]);
    // Top bits 01: positive, and exactly 16 significant bytes.
    bytes[0] = (bytes[0] & 0x3F) | 0x40;
    SerialNumber::new(&bytes).expect("invariant: a 16-byte positive serial is valid")
}

fn common_name(cn: &str) -> Name {
    let value = Utf8StringRef::new(cn).expect("invariant: a &str is valid UTF-8 for UTF8String");
    let atv = AttributeTypeAndValue {
        oid: COMMON_NAME,
        value: Any::from(value),
    };
    let rdn =
        SetOfVec::try_from(vec![atv]).expect("invariant: a set of one attribute is a valid SET OF");
    RdnSequence(vec![RelativeDistinguishedName(rdn)])
}

/// 2020-01-01 to 2040-12-31: covers every date a demo or test may simulate.
fn validity() -> Validity {
    Validity {
        not_before: utc_time(2020, 1, 1, 0, 0, 0),
        not_after: utc_time(2040, 12, 31, 23, 59, 59),
    }
}

fn utc_time(y: u16, mo: u8, d: u8, h: u8, mi: u8, s: u8) -> Time {
    let dt = DateTime::new(y, mo, d, h, mi, s).expect("invariant: a valid calendar date");
    Time::UtcTime(UtcTime::from_date_time(dt).expect("invariant: year within 1970..2050"))
}

/// The test identity `label`'s certificate (same key, subject and CA) re-issued valid through
/// `last_day` in Japan time, as JPKI certificates are (`notAfter` 23:59:59 JST = 14:59:59Z):
/// the simulated and virtual cards' settable expiry (`not-after=`, issue 16 item 1). Not
/// cached: one CA signature (milliseconds) per card built. `last_day` is clamped to
/// 1970..=2049 (UTCTime).
pub fn test_certificate_valid_through(label: &str, last_day: crate::dates::Date) -> Certificate {
    let identity = test_identity(label);
    let ca = TEST_PKI.ca();
    use chrono::Datelike;
    let year = u16::try_from(last_day.year().clamp(1971, 2049)).unwrap_or(2040);
    // Month 1..=12, day 1..=31.
    let (month, day) = (last_day.month() as u8, last_day.day() as u8);
    let not_after = utc_time(year, month, day, 14, 59, 59);
    let extensions = vec![extension(
        KeyUsage::OID,
        true,
        &KeyUsage(KeyUsages::DigitalSignature.into()),
    )];
    let serial_label = format!("holder/{label}/through/{last_day}");
    sign_certificate_valid(
        serial_for(TEST_PKI.seed_domain, &serial_label),
        ca.name.clone(),
        common_name(&format!("uketsuke test holder {label}")),
        &identity.private_key.to_public_key(),
        extensions,
        &ca.private_key,
        Validity {
            not_before: utc_time(1970, 1, 1, 0, 0, 0),
            not_after,
        },
    )
}

fn extension<T: Encode>(oid: ObjectIdentifier, critical: bool, value: &T) -> Extension {
    let der = value
        .to_der()
        .expect("invariant: standard extensions encode");
    Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(der).expect("invariant: an extension value fits"),
    }
}

fn sha256_with_rsa() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: SHA256_WITH_RSA,
        parameters: Some(Any::null()),
    }
}

/// Builds and signs a v3 certificate. Inputs are all generated here, so failures are bugs.
fn sign_certificate(
    serial_number: SerialNumber,
    issuer: Name,
    subject: Name,
    subject_key: &RsaPublicKey,
    extensions: Vec<Extension>,
    issuer_key: &RsaPrivateKey,
) -> Certificate {
    sign_certificate_valid(
        serial_number,
        issuer,
        subject,
        subject_key,
        extensions,
        issuer_key,
        validity(),
    )
}

fn sign_certificate_valid(
    serial_number: SerialNumber,
    issuer: Name,
    subject: Name,
    subject_key: &RsaPublicKey,
    extensions: Vec<Extension>,
    issuer_key: &RsaPrivateKey,
    validity: Validity,
) -> Certificate {
    let subject_public_key_info = SubjectPublicKeyInfoOwned::from_key(subject_key.clone())
        .expect("invariant: an RSA public key encodes as SubjectPublicKeyInfo");
    let tbs_certificate = TbsCertificate {
        version: Version::V3,
        serial_number,
        signature: sha256_with_rsa(),
        issuer,
        validity,
        subject,
        subject_public_key_info,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    };
    let tbs_der = tbs_certificate
        .to_der()
        .expect("invariant: a generated TBSCertificate encodes");
    let signature = issuer_key
        .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(&tbs_der))
        .expect("invariant: PKCS#1 v1.5 SHA-256 fits an RSA-2048 key");
    let certificate = x509_cert::Certificate {
        tbs_certificate,
        signature_algorithm: sha256_with_rsa(),
        signature: BitString::from_bytes(&signature)
            .expect("invariant: a signature fits a BIT STRING"),
    };
    Certificate(
        certificate
            .to_der()
            .expect("invariant: a generated certificate encodes"),
    )
}

fn generate_ca(common_name_text: &str, seed_domain: &str) -> TestCa {
    let private_key = generate_key(seed_domain, "ca");
    let name = common_name(common_name_text);
    let extensions = vec![
        extension(
            BasicConstraints::OID,
            true,
            &BasicConstraints {
                ca: true,
                path_len_constraint: Some(0),
            },
        ),
        extension(
            KeyUsage::OID,
            true,
            &KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign),
        ),
    ];
    let certificate = sign_certificate(
        serial_for(seed_domain, "ca"),
        name.clone(),
        name.clone(),
        &private_key.to_public_key(),
        extensions,
        &private_key,
    );
    TestCa {
        name,
        private_key,
        certificate,
    }
}

fn issue_identity(ca: &TestCa, seed_domain: &str, label: &str) -> TestIdentity {
    let private_key = generate_key(seed_domain, &format!("holder/{label}"));
    let extensions = vec![extension(
        KeyUsage::OID,
        true,
        &KeyUsage(KeyUsages::DigitalSignature.into()),
    )];
    let certificate = sign_certificate(
        serial_for(seed_domain, &format!("holder/{label}")),
        ca.name.clone(),
        common_name(&format!("uketsuke test holder {label}")),
        &private_key.to_public_key(),
        extensions,
        &ca.private_key,
    );
    TestIdentity {
        certificate,
        private_key,
    }
}

/// A holder identity from a CA other than the test CA, generated afresh (not cached) from
/// seeds derived from `ca_common_name` and `label`: a stand-in for a real card's certificate in
/// tests of the demo gateway ("a card whose certificate comes from another CA"). Returns the
/// other CA's certificate too.
pub fn identity_from_another_ca(ca_common_name: &str, label: &str) -> (Certificate, TestIdentity) {
    let seed_domain = format!("uketsuke-other-ca/{ca_common_name}");
    let ca = generate_ca(ca_common_name, &seed_domain);
    let identity = issue_identity(&ca, &seed_domain, label);
    (ca.certificate, identity)
}

// ---------------------------------------------------------------------------------------------
// A second, untrusted CA for tests in this crate (the gateway's tests use it too).

#[cfg(test)]
static FOREIGN_PKI: Pki = Pki::new(
    "uketsuke OTHER TEST CA - untrusted",
    "uketsuke-foreign-pki/v1",
);

/// An identity issued by a CA nobody trusts, with the same subject form as [`test_identity`].
#[cfg(test)]
pub(crate) fn foreign_test_identity(label: &str) -> &'static TestIdentity {
    FOREIGN_PKI.identity(label)
}

#[cfg(test)]
pub(crate) fn foreign_test_ca_certificate() -> &'static Certificate {
    &FOREIGN_PKI.ca().certificate
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Challenge, Signature};

    fn proof_for(identity: &TestIdentity, challenge: &[u8]) -> CardProof {
        let signature = sign_digest_info(&identity.private_key, &digest_info_sha256(challenge))
            .expect("a DigestInfo fits RSA-2048");
        CardProof {
            certificate: identity.certificate.clone(),
            challenge: Challenge(challenge.to_vec()),
            signature: Signature(signature),
        }
    }

    #[test]
    fn digest_info_has_the_sha256_prefix_and_digest() {
        let di = digest_info_sha256(b"abc");
        assert_eq!(di.len(), 51);
        assert_eq!(&di[..19], &SHA256_DIGEST_INFO_PREFIX);
        assert_eq!(
            &di[19..],
            &[
                0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
                0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
                0xf2, 0x00, 0x15, 0xad
            ]
        );
    }

    #[test]
    fn raw_signature_equals_a_standard_pkcs1_sha256_signature() {
        let id = test_identity("card");
        let raw = sign_digest_info(&id.private_key, &digest_info_sha256(b"hello")).unwrap();
        let standard = id
            .private_key
            .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(b"hello"))
            .unwrap();
        assert_eq!(raw.len(), 256);
        assert_eq!(raw, standard);
    }

    #[test]
    fn too_long_digest_info_is_an_error() {
        let id = test_identity("card");
        assert!(sign_digest_info(&id.private_key, &[0u8; 245]).is_ok());
        let err = sign_digest_info(&id.private_key, &[0u8; 246]).unwrap_err();
        assert!(err.contains("too long"), "{err}");
    }

    #[test]
    fn round_trip_verifies() {
        let proof = proof_for(test_identity("card"), b"challenge-1");
        verify_card_proof(&proof, test_ca_certificate()).unwrap();
        let phone = proof_for(test_identity("phone"), &[7u8; 32]);
        verify_card_proof(&phone, test_ca_certificate()).unwrap();
    }

    #[test]
    fn identities_are_cached_distinct_and_reproducible() {
        let a = test_identity("card");
        assert!(std::ptr::eq(a, test_identity("card")));
        let b = test_identity("phone");
        assert_ne!(a.certificate, b.certificate);
        assert_ne!(
            certificate_serial(&a.certificate).unwrap(),
            certificate_serial(&b.certificate).unwrap()
        );
        // Same seed, same key: regenerate outside the cache.
        let again = generate_key("uketsuke-test-pki/v1", "holder/card");
        assert_eq!(again, a.private_key);
    }

    #[test]
    fn certificates_carry_the_expected_fields() {
        let ca = x509_cert::Certificate::from_der(&test_ca_certificate().0).unwrap();
        assert_eq!(
            ca.tbs_certificate.subject.to_string(),
            format!("CN={TEST_CA_COMMON_NAME}")
        );
        assert_eq!(ca.tbs_certificate.issuer, ca.tbs_certificate.subject);
        let card = x509_cert::Certificate::from_der(&test_identity("card").certificate.0).unwrap();
        let tbs = &card.tbs_certificate;
        assert_eq!(tbs.subject.to_string(), "CN=uketsuke test holder card");
        assert_eq!(tbs.issuer, ca.tbs_certificate.subject);
        assert_eq!(tbs.version, Version::V3);
        let (critical, ku) = tbs.get::<KeyUsage>().unwrap().unwrap();
        assert!(critical && ku.digital_signature());
        let from = tbs.validity.not_before.to_date_time();
        let until = tbs.validity.not_after.to_date_time();
        assert_eq!((from.year(), until.year()), (2020, 2040));
        let bits = rsa_public_key(&tbs.subject_public_key_info)
            .unwrap()
            .n()
            .bits();
        assert_eq!(bits, 2048);
    }

    #[test]
    fn tampered_challenge_is_rejected() {
        let mut proof = proof_for(test_identity("card"), b"challenge-1");
        proof.challenge.0[0] ^= 1;
        let err = verify_card_proof(&proof, test_ca_certificate()).unwrap_err();
        assert!(err.contains("does not verify"), "{err}");
    }

    #[test]
    fn tampered_signature_is_rejected() {
        let mut proof = proof_for(test_identity("card"), b"challenge-1");
        proof.signature.0[100] ^= 0x80;
        assert!(verify_card_proof(&proof, test_ca_certificate()).is_err());
        proof.signature.0.truncate(255);
        assert!(verify_card_proof(&proof, test_ca_certificate()).is_err());
        proof.signature.0.clear();
        assert!(verify_card_proof(&proof, test_ca_certificate()).is_err());
    }

    #[test]
    fn signature_by_another_cards_key_is_rejected() {
        let mut proof = proof_for(test_identity("card"), b"challenge-1");
        proof.certificate = test_identity("phone").certificate.clone();
        assert!(verify_card_proof(&proof, test_ca_certificate()).is_err());
    }

    #[test]
    fn certificate_from_another_ca_is_rejected() {
        let proof = proof_for(foreign_test_identity("card"), b"challenge-1");
        // Valid under its own CA ...
        verify_card_proof(&proof, foreign_test_ca_certificate()).unwrap();
        // ... but not under ours, although the subject names look alike.
        let err = verify_card_proof(&proof, test_ca_certificate()).unwrap_err();
        assert!(err.contains("trusted CA"), "{err}");
    }

    #[test]
    fn certificate_with_a_tampered_body_is_rejected() {
        let mut proof = proof_for(test_identity("card"), b"challenge-1");
        // Flip a bit inside the subject public key, well inside the TBS.
        let len = proof.certificate.0.len();
        proof.certificate.0[len / 2] ^= 1;
        assert!(verify_card_proof(&proof, test_ca_certificate()).is_err());
    }

    #[test]
    fn the_ca_certificate_is_not_a_card() {
        let id = test_identity("card");
        let mut proof = proof_for(id, b"challenge-1");
        proof.certificate = test_ca_certificate().clone();
        let err = verify_card_proof(&proof, test_ca_certificate()).unwrap_err();
        assert!(err.contains("CA certificate"), "{err}");
    }

    #[test]
    fn empty_challenge_is_rejected() {
        let proof = proof_for(test_identity("card"), b"");
        assert!(verify_card_proof(&proof, test_ca_certificate()).is_err());
    }

    #[test]
    fn garbage_certificates_are_rejected_without_panic() {
        let good = proof_for(test_identity("card"), b"challenge-1");
        let cert = &good.certificate.0;
        let mut cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![0x30],
            vec![0x30, 0x80],
            vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            vec![0xff; 300],
            cert[..cert.len() - 1].to_vec(),
            cert[..10].to_vec(),
            [cert.as_slice(), &[0]].concat(),
        ];
        // Every single-byte corruption of the header region.
        for i in 0..40 {
            let mut c = cert.clone();
            c[i] = c[i].wrapping_add(0x41);
            cases.push(c);
        }
        for bytes in cases {
            let proof = CardProof {
                certificate: Certificate(bytes.clone()),
                ..good.clone()
            };
            assert!(verify_card_proof(&proof, test_ca_certificate()).is_err());
            let _ = certificate_serial(&Certificate(bytes.clone()));
            // Garbage as the trusted CA must not panic either.
            assert!(verify_card_proof(&good, &Certificate(bytes)).is_err());
        }
    }

    #[test]
    fn serial_is_read_back() {
        let serial = certificate_serial(&test_identity("card").certificate).unwrap();
        assert_eq!(serial.len(), 16);
        assert_eq!(serial[0] & 0xC0, 0x40);
        assert!(certificate_serial(&Certificate(vec![1, 2, 3])).is_err());
    }
}
