//! `uketsuke doctor`: the technician's self-test.

use std::process::ExitCode;

use anyhow::Result;

use crate::flow::ReaderTrouble;
use crate::reader::pcsc::survey;
use crate::reader::trouble_text;

/// The options of `uketsuke doctor`.
#[derive(Debug, clap::Args)]
pub struct DoctorOptions {
    /// Part of the reader's name to use (default: the first reader).
    #[arg(long)]
    pub reader: Option<String>,
}

/// Prints every check; fails when the kiosk could not read cards or show Japanese.
pub fn command(options: &DoctorOptions) -> Result<ExitCode> {
    let (report, usable) = doctor(options.reader.as_deref());
    print!("{report}");
    let (fonts, fonts_ok) = font_check();
    print!("{fonts}");
    Ok(if usable && fonts_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `uketsuke doctor`: what a technician needs to know about the reader, in plain words.
/// Returns the report and whether the kiosk could read cards now.
pub fn doctor(reader: Option<&str>) -> (String, bool) {
    use std::fmt::Write as _;
    let mut out = String::new();
    let survey = survey(reader);
    let wanted = reader
        .map(|w| format!(" matching \"{w}\""))
        .unwrap_or_default();
    match &survey.service {
        Err(why) => {
            let _ = writeln!(out, "pcscd: NOT RUNNING: {why}");
            let _ = writeln!(out, "  {}", trouble_text(ReaderTrouble::ServiceNotRunning));
            return (out, false);
        }
        Ok(()) => {
            let _ = writeln!(
                out,
                "pcscd: running ({})",
                crate::reader::pcsc::PCSCD_SOCKET
            );
        }
    }
    let _ = writeln!(out, "readers: {}", survey.readers.len());
    for r in &survey.readers {
        let mark = if survey.chosen.as_deref() == Some(r.name.as_str()) {
            "*"
        } else {
            " "
        };
        let field = match &r.card_atr {
            None => "empty".to_string(),
            Some(atr) => format!(
                "something on it: ATR {} ({})",
                crate::card::apdu::hex(atr),
                describe_atr(atr)
            ),
        };
        let _ = writeln!(out, "  {mark} {}: {field}", r.name);
    }
    match &survey.chosen {
        Some(name) => {
            let _ = writeln!(out, "the kiosk uses: {name}");
            (out, true)
        }
        None => {
            let _ = writeln!(
                out,
                "the kiosk uses: NO READER{wanted}: {}",
                trouble_text(ReaderTrouble::NoReader)
            );
            (out, false)
        }
    }
}

/// A technician's reading of an ATR: what kind of contactless thing it suggests. Only a hint;
/// the kiosk decides by asking the card, never by the ATR alone (except FeliCa, whose storage
/// card ATR is built by the reader).
pub fn describe_atr(atr: &[u8]) -> String {
    use crate::card::jpki::{STANDARD_FELICA, storage_card};
    match (storage_card(atr), atr) {
        (Some(s), _) if s.standard == STANDARD_FELICA => "FeliCa storage card".into(),
        (Some(s), _) => format!("storage card, standard {:02X}", s.standard),
        (None, [0x3B, t0, 0x80, 0x01, ..]) if t0 & 0xF0 == 0x80 => {
            format!("contactless ISO 14443-4, {} historical bytes", t0 & 0x0F)
        }
        _ => "not a reader-built contactless ATR".into(),
    }
}

/// `uketsuke doctor`'s font line: whether fontconfig offers a Japanese font, without which every
/// Japanese text on the patient screen is silently blank.
pub fn font_check() -> (String, bool) {
    let listed = std::process::Command::new("fc-list")
        .args([":lang=ja", "family"])
        .output();
    match listed {
        Err(e) => (
            format!("fonts: cannot run fc-list ({e}); install fontconfig and fonts-noto-cjk\n"),
            false,
        ),
        Ok(out) => {
            let families = String::from_utf8_lossy(&out.stdout);
            let mut names: Vec<&str> = families
                .lines()
                .filter_map(|l| l.split(',').next())
                .filter(|l| !l.is_empty())
                .collect();
            names.sort_unstable();
            names.dedup();
            if names.is_empty() {
                (
                    "fonts: NO JAPANESE FONT: Japanese text would be blank; install \
                     fonts-noto-cjk\n"
                        .into(),
                    false,
                )
            } else {
                let wanted = names.contains(&"Noto Sans CJK JP");
                (
                    format!(
                        "fonts: Japanese: {}{}\n",
                        names.join(", "),
                        if wanted {
                            ""
                        } else {
                            " (the views ask for Noto Sans CJK JP; another will be used)"
                        }
                    ),
                    true,
                )
            }
        }
    }
}
