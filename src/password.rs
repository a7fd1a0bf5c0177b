//! Passwords and kiosk PINs: argon2id hashes in PHC form, and the random tokens of sign-ins
//! and forms.
//!
//! Owns: everything that knows `argon2`. The hashing parameters are argon2's defaults
//! (argon2id v19, 19 MiB, 2 passes, 1 lane), as the PHC string records them.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

/// The longest password (in bytes of UTF-8) hashed or verified: a longer one is refused
/// before any work, so a stranger cannot make the console hash a megabyte.
pub const MAX_PASSWORD_BYTES: usize = 256;

#[derive(Debug, thiserror::Error)]
#[error("cannot hash the password: {0}")]
pub struct HashError(String);

/// An argon2id hash of `password` with a fresh random salt. Errors: a password over
/// [`MAX_PASSWORD_BYTES`].
pub fn hash(password: &str) -> Result<String, HashError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(HashError(format!(
            "a password has at most {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches the stored hash. A hash that does not parse matches nothing, and
/// a password over [`MAX_PASSWORD_BYTES`] is not hashed and matches nothing.
pub fn verify(password: &str, stored: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// 32 random bytes as 64 hex digits: a sign-in cookie or a form token.
pub fn token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The SHA-256 of a sign-in token: what the database keeps, so a copy of the file signs no one in.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two tokens in time that does not depend on where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_argon2id_and_verifies_only_its_password() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
        assert!(!verify("anything", "not a hash"));
        assert_ne!(h, hash("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn an_overlong_password_is_neither_hashed_nor_matched() {
        let longest = "p".repeat(MAX_PASSWORD_BYTES);
        let h = hash(&longest).unwrap();
        assert!(verify(&longest, &h));
        let over = "p".repeat(MAX_PASSWORD_BYTES + 1);
        assert!(hash(&over).is_err());
        assert!(!verify(&over, &h));
    }

    #[test]
    fn tokens_are_random_and_compared_whole() {
        let (a, b) = (token(), token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(same_token(&a, &a.clone()));
        assert!(!same_token(&a, &b));
        assert!(!same_token(&a, &a[..63]));
        assert_eq!(token_hash(&a).len(), 64);
    }
}
