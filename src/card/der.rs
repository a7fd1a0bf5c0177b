//! The length of a DER object from its first bytes, so a certificate EF (larger than the
//! certificate, padded after it) is read exactly as far as the certificate goes.
//!
//! Owns: tag and length header decoding.
//! Must not know: what the object is (the `der`/`x509-cert` crates parse certificates
//! elsewhere), the card, the transport.

use thiserror::Error;

/// Tag numbers in the high-tag-number form take at most this many bytes after the first.
const MAX_TAG_CONTINUATION: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DerError {
    /// More bytes are needed to read the header; `needed` counts the whole header so far known.
    #[error("DER header truncated: at least {needed} bytes needed")]
    Truncated { needed: usize },
    #[error("indefinite length is not DER")]
    IndefiniteLength,
    #[error("DER length form {0:#04x} not supported")]
    UnsupportedLength(u8),
    #[error("not a DER object (tag byte {0:#04x})")]
    BadTag(u8),
}

/// Total length (header + content) of the DER object starting at `bytes[0]`.
///
/// Needs only the header: the tag and the length octets (short form, or long form `81`, `82`,
/// `83`). Errors on indefinite length, on longer length forms, on truncated headers and on the
/// `00`/`FF` bytes an empty or erased EF starts with.
pub fn total_length(bytes: &[u8]) -> Result<usize, DerError> {
    let header_len_after_tag = tag_length(bytes)?;
    let mut pos = header_len_after_tag;
    let first = *bytes
        .get(pos)
        .ok_or(DerError::Truncated { needed: pos + 1 })?;
    pos += 1;
    let content_len = match first {
        0x00..=0x7F => usize::from(first),
        0x80 => return Err(DerError::IndefiniteLength),
        0x81..=0x83 => {
            let count = usize::from(first & 0x7F);
            let octets = bytes.get(pos..pos + count).ok_or(DerError::Truncated {
                needed: pos + count,
            })?;
            pos += count;
            // Non-minimal long forms are not strict DER, but the length is unambiguous, so
            // accept them rather than refuse a card over an encoder's habit.
            octets
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
        }
        other => return Err(DerError::UnsupportedLength(other)),
    };
    // At most 1 + 4 + 1 + 3 header bytes plus a 24-bit length: no overflow possible.
    Ok(pos + content_len)
}

/// The number of tag bytes at the start of `bytes`.
fn tag_length(bytes: &[u8]) -> Result<usize, DerError> {
    let first = *bytes.first().ok_or(DerError::Truncated { needed: 1 })?;
    if first == 0x00 || first == 0xFF {
        // End-of-contents and erased flash: never the start of an object we can read.
        return Err(DerError::BadTag(first));
    }
    if first & 0x1F != 0x1F {
        return Ok(1);
    }
    // High-tag-number form: continuation bytes carry bit 8 until the last one.
    for i in 1..=MAX_TAG_CONTINUATION {
        let b = *bytes.get(i).ok_or(DerError::Truncated { needed: i + 1 })?;
        if b & 0x80 == 0 {
            return Ok(i + 1);
        }
    }
    Err(DerError::BadTag(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_from_headers() {
        let table: &[(&[u8], Result<usize, DerError>)] = &[
            // Short form.
            (&[0x30, 0x00], Ok(2)),
            (&[0x30, 0x7F], Ok(2 + 127)),
            (&[0x04, 0x03, 0xAA], Ok(5)),
            // Long forms.
            (&[0x30, 0x81, 0x80], Ok(3 + 128)),
            (&[0x30, 0x82, 0x02, 0xE5, 0x30, 0x82, 0x01], Ok(4 + 0x02E5)),
            (&[0x30, 0x83, 0x01, 0x00, 0x00], Ok(5 + 0x010000)),
            // Non-minimal but unambiguous.
            (&[0x30, 0x82, 0x00, 0x05], Ok(4 + 5)),
            // High-tag-number form: tag BF 0C.
            (&[0xBF, 0x0C, 0x03], Ok(3 + 3)),
            (&[0x5F, 0x81, 0x01, 0x02], Ok(4 + 2)),
            // Errors.
            (&[], Err(DerError::Truncated { needed: 1 })),
            (&[0x30], Err(DerError::Truncated { needed: 2 })),
            (&[0x30, 0x82, 0x02], Err(DerError::Truncated { needed: 4 })),
            (&[0x30, 0x83], Err(DerError::Truncated { needed: 5 })),
            (&[0x30, 0x80], Err(DerError::IndefiniteLength)),
            (
                &[0x30, 0x84, 0, 0, 1, 0],
                Err(DerError::UnsupportedLength(0x84)),
            ),
            (&[0x30, 0xFF], Err(DerError::UnsupportedLength(0xFF))),
            (&[0xFF, 0xFF, 0xFF, 0xFF], Err(DerError::BadTag(0xFF))),
            (&[0x00, 0x00], Err(DerError::BadTag(0x00))),
            (
                &[0x1F, 0x80, 0x80, 0x80, 0x80, 0x80],
                Err(DerError::BadTag(0x1F)),
            ),
            (&[0x1F, 0x81], Err(DerError::Truncated { needed: 3 })),
        ];
        for (header, expected) in table {
            assert_eq!(&total_length(header), expected, "{header:02X?}");
        }
    }

    #[test]
    fn trailing_bytes_do_not_matter() {
        let mut ef = vec![0x30, 0x82, 0x01, 0x00];
        ef.resize(2048, 0xFF);
        assert_eq!(total_length(&ef), Ok(4 + 256));
    }
}
