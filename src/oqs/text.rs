//! Bytes of a terminal file to text and back: the prolog's `encoding=` decides (UTF-8, or
//! Shift_JIS meaning CP932), a UTF-8 BOM is accepted, nothing is ever decoded with replacement
//! characters (integration-formats.md §1.3: MC sample prolog, SX, MR "rejects a prolog that
//! disagrees, accepts a UTF-8 BOM", "decodes code page 932, strict").

use encoding_rs::{Encoding, SHIFT_JIS, UTF_8};

use super::OqsFileError;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The two encodings the terminal writes (a terminal setting; §1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OqsEncoding {
    /// `encoding="UTF-8"` (CharacterCodeIdentifier 0 in the MC sample).
    Utf8,
    /// `encoding="Shift_JIS"`: windows-31j / CP932 in practice (`encoding_rs::SHIFT_JIS`, the
    /// WHATWG table, which holds the NEC and IBM rows: 德 = `ED 9E`).
    ShiftJis,
}

impl OqsEncoding {
    /// The prolog's label, as the terminal and OD2/MR write it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::ShiftJis => "Shift_JIS",
        }
    }

    fn encoding(self) -> &'static Encoding {
        match self {
            Self::Utf8 => UTF_8,
            Self::ShiftJis => SHIFT_JIS,
        }
    }

    /// `text` in this encoding. Errors: [`OqsFileError::Unencodable`] naming `field` when a
    /// character has no code in it (Shift_JIS has no emoji, no most JIS level-3/4 kanji); the text
    /// itself is never put into the error.
    pub fn encode(self, text: &str, field: &'static str) -> Result<Vec<u8>, OqsFileError> {
        let (bytes, _, unmappable) = self.encoding().encode(text);
        if unmappable {
            return Err(OqsFileError::Unencodable { field });
        }
        Ok(bytes.into_owned())
    }
}

/// Decodes a whole file: strips a UTF-8 BOM, reads `encoding=` from the prolog (none, or no
/// prolog = UTF-8), decodes strictly.
///
/// Errors: an encoding other than UTF-8 and Shift_JIS ([`OqsFileError::UnknownEncoding`]); a BOM
/// before a Shift_JIS prolog, or a Shift_JIS prolog over bytes that are valid UTF-8 with
/// non-ASCII characters ([`OqsFileError::EncodingDisagrees`]: such bytes would decode to other,
/// wrong kanji, so the file is refused rather than a wrong name shown); bytes the declared
/// encoding cannot decode ([`OqsFileError::Undecodable`]).
pub fn decode(bytes: &[u8]) -> Result<(String, OqsEncoding), OqsFileError> {
    let (has_bom, body) = match bytes.strip_prefix(UTF8_BOM) {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    let declared = match prolog_encoding(body) {
        None => OqsEncoding::Utf8,
        Some(label) => match Encoding::for_label(label.as_bytes()) {
            Some(e) if e == UTF_8 => OqsEncoding::Utf8,
            Some(e) if e == SHIFT_JIS => OqsEncoding::ShiftJis,
            _ => return Err(OqsFileError::UnknownEncoding(label)),
        },
    };
    match declared {
        OqsEncoding::Utf8 => match std::str::from_utf8(body) {
            Ok(text) => Ok((text.to_owned(), declared)),
            Err(_) => Err(OqsFileError::Undecodable {
                encoding: declared.label(),
            }),
        },
        OqsEncoding::ShiftJis => {
            if has_bom {
                return Err(OqsFileError::EncodingDisagrees {
                    declared: declared.label(),
                    found: "UTF-8 (byte order mark)",
                });
            }
            if !body.is_ascii() && std::str::from_utf8(body).is_ok() {
                return Err(OqsFileError::EncodingDisagrees {
                    declared: declared.label(),
                    found: "UTF-8",
                });
            }
            SHIFT_JIS
                .decode_without_bom_handling_and_without_replacement(body)
                .map(|text| (text.into_owned(), declared))
                .ok_or(OqsFileError::Undecodable {
                    encoding: declared.label(),
                })
        }
    }
}

/// The `encoding` pseudo-attribute of an XML declaration at the very start of `bytes` (after any
/// BOM), read as ASCII (both encodings agree on ASCII). `None` without a declaration or without
/// `encoding=`.
fn prolog_encoding(bytes: &[u8]) -> Option<String> {
    let rest = bytes.strip_prefix(b"<?xml")?;
    let end = rest.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&rest[..end]).ok()?;
    let at = decl.find("encoding")?;
    let after = decl[at + "encoding".len()..].trim_start();
    let after = after.strip_prefix('=')?.trim_start();
    let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &after[1..];
    let close = value.find(quote)?;
    Some(value[..close].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prolog_labels_are_read_from_the_declaration() {
        let cases: [(&[u8], Option<&str>); 6] = [
            (
                b"<?xml version=\"1.0\" encoding=\"Shift_JIS\" standalone=\"no\"?><a/>",
                Some("Shift_JIS"),
            ),
            (
                b"<?xml version='1.0' encoding = 'utf-8'?><a/>",
                Some("utf-8"),
            ),
            (b"<?xml version=\"1.0\"?><a/>", None),
            (b"<a/>", None),
            (
                b"<?xml version=\"1.0\" encoding=\"EUC-JP\"?>",
                Some("EUC-JP"),
            ),
            (b" <?xml version=\"1.0\" encoding=\"Shift_JIS\"?>", None),
        ];
        for (bytes, want) in cases {
            assert_eq!(
                prolog_encoding(bytes).as_deref(),
                want,
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn encodings_decode_strictly_and_disagreements_are_refused() {
        let sjis = |s: &str| SHIFT_JIS.encode(s).0.into_owned();
        let decl_sjis = "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?>";
        let decl_utf8 = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
        let mut bom = UTF8_BOM.to_vec();
        bom.extend_from_slice(format!("{decl_utf8}<a>見本</a>").as_bytes());
        let mut bom_sjis = UTF8_BOM.to_vec();
        bom_sjis.extend_from_slice(decl_sjis.as_bytes());
        bom_sjis.extend_from_slice(b"<a/>");
        let cases: Vec<(&str, Vec<u8>, Result<&str, OqsFileError>)> = vec![
            (
                "Shift_JIS",
                sjis(&format!("{decl_sjis}<a>見本　花子 ﾐﾎﾝ ●</a>")),
                Ok("見本　花子 ﾐﾎﾝ ●"),
            ),
            (
                "UTF-8",
                format!("{decl_utf8}<a>●</a>").into_bytes(),
                Ok("●"),
            ),
            (
                "no declaration = UTF-8",
                "<a>見本</a>".as_bytes().to_vec(),
                Ok("見本"),
            ),
            ("BOM", bom, Ok("見本")),
            (
                "BOM before a Shift_JIS prolog",
                bom_sjis,
                Err(OqsFileError::EncodingDisagrees {
                    declared: "Shift_JIS",
                    found: "UTF-8 (byte order mark)",
                }),
            ),
            (
                "Shift_JIS declared, UTF-8 bytes",
                format!("{decl_sjis}<a>見本　花子</a>").into_bytes(),
                Err(OqsFileError::EncodingDisagrees {
                    declared: "Shift_JIS",
                    found: "UTF-8",
                }),
            ),
            (
                "UTF-8 declared, Shift_JIS bytes",
                sjis(&format!("{decl_utf8}<a>見本</a>")),
                Err(OqsFileError::Undecodable { encoding: "UTF-8" }),
            ),
            (
                "a lone Shift_JIS lead byte",
                [decl_sjis.as_bytes(), b"<a>\x88</a>"].concat(),
                Err(OqsFileError::Undecodable {
                    encoding: "Shift_JIS",
                }),
            ),
            (
                "EUC-JP",
                b"<?xml version=\"1.0\" encoding=\"EUC-JP\"?><a/>".to_vec(),
                Err(OqsFileError::UnknownEncoding("EUC-JP".into())),
            ),
        ];
        for (name, bytes, want) in cases {
            let got = decode(&bytes).map(|(text, _)| text);
            match want {
                Ok(inner) => {
                    let text = got.unwrap_or_else(|e| panic!("{name}: {e}"));
                    let start = text.find("<a>").unwrap() + 3;
                    let end = text.find("</a>").unwrap();
                    assert_eq!(&text[start..end], inner, "{name}");
                }
                Err(e) => assert_eq!(got, Err(e), "{name}"),
            }
        }
    }

    #[test]
    fn cp932_ed9e_is_toku_both_ways() {
        let bytes = [
            b"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><a>".as_slice(),
            b"\xED\x9E</a>",
        ]
        .concat();
        let (text, enc) = decode(&bytes).unwrap();
        assert_eq!(enc, OqsEncoding::ShiftJis);
        assert!(text.contains("<a>德</a>"), "{text}");
        // The WHATWG encoder writes the IBM row's code for 德 (FA/FB), not the NEC-selected
        // `ED 9E`; both decode to 德.
        let written = OqsEncoding::ShiftJis.encode("德", "Name").unwrap();
        let (back, _, bad) = SHIFT_JIS.decode(&written);
        assert_eq!((back.as_ref(), bad), ("德", false));
        assert_eq!(
            OqsEncoding::ShiftJis.encode("😀", "Name"),
            Err(OqsFileError::Unencodable { field: "Name" })
        );
    }
}
