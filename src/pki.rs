//! Test public-key infrastructure for simulated cards, and the signature checks the simulated
//! gateway makes. Generates keys at run time: no real keys, no key material in the repository.
//!
//! (Stub: signatures fixed, bodies being written.)

use crate::domain::{CardProof, Certificate};

/// A card holder's user-authentication key pair and certificate, issued by the test CA.
pub struct TestIdentity {
    pub certificate: Certificate,
    pub private_key: rsa::RsaPrivateKey,
}

/// The identity for `label` (e.g. "card", "phone"), generated once per process and cached.
pub fn test_identity(_label: &str) -> &'static TestIdentity {
    unimplemented!()
}

/// The test CA's certificate (DER).
pub fn test_ca_certificate() -> &'static Certificate {
    unimplemented!()
}

/// DER DigestInfo for SHA-256 of `message`: what the kiosk sends to the card to sign.
pub fn digest_info_sha256(_message: &[u8]) -> Vec<u8> {
    unimplemented!()
}

/// What the card does on `80 2A 00 80`: PKCS#1 v1.5 type-1 padding over the DigestInfo it was
/// given, then the RSA private operation. Returns the 256-byte signature.
pub fn sign_digest_info(_key: &rsa::RsaPrivateKey, _digest_info: &[u8]) -> Result<Vec<u8>, String> {
    unimplemented!()
}

/// Checks the certificate was issued by `ca` and the signature is the certificate key's over
/// SHA-256 of the challenge.
pub fn verify_card_proof(_proof: &CardProof, _ca: &Certificate) -> Result<(), String> {
    unimplemented!()
}

/// The certificate's serial number bytes (to recognise a returning card by a keyed hash).
pub fn certificate_serial(_certificate: &Certificate) -> Result<Vec<u8>, String> {
    unimplemented!()
}
