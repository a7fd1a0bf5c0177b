//! What a screen says (pure): the prompt of each view, and the clips that make a spoken reception
//! number. The words of each prompt are not here: they are translated strings of the views
//! (`ui/voice.slint`), synthesised into the cache by `uketsuke voice-cache`.
//!
//! Rules (issue 18): a prompt never says a PIN digit, a name, or any number other than the
//! reception number; the reception number is spoken from digit clips, one digit at a time
//! ("12" → `number-before`, `digit-1`, `digit-2`, `number-after`).

use crate::flow::{Screen, View};

/// One fixed, translated instruction: one per patient view, named as the view is. `id()` is the
/// clip's file stem in the cache and the property name in `ui/voice.slint`; `ALL` is what the
/// cache must hold for each language.
pub use crate::flow::ViewName as Prompt;

/// One audio file of the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Clip {
    Prompt(Prompt),
    /// "Your number is" (受付番号は), said before the digits.
    NumberBefore,
    /// One digit 0–9 of the reception number.
    Digit(u8),
    /// What follows the digits (番です); may be silence-short in languages that need nothing.
    NumberAfter,
    /// A neutral tick (no words, no pitch of a digit), the same in every language folder: a PIN
    /// key was touched. Short (under 60 ms).
    Tick,
    /// The count of PIN digits typed so far, 0 to 4: "2 of 4" (「4けたのうち2けた」). Never the
    /// digits themselves. Spoken on the loudspeaker after each PIN key.
    Typed(u8),
}

impl Clip {
    /// The file's name inside its language folder: `welcome.wav`, `number-before.wav`,
    /// `digit-7.wav`, `number-after.wav`.
    pub fn file_name(self) -> String {
        match self {
            Clip::Prompt(p) => format!("{}.wav", p.id()),
            Clip::NumberBefore => "number-before.wav".to_owned(),
            Clip::Digit(d) => format!("digit-{d}.wav"),
            Clip::NumberAfter => "number-after.wav".to_owned(),
            Clip::Tick => "tick.wav".to_owned(),
            Clip::Typed(n) => format!("typed-{n}.wav"),
        }
    }

    /// Every clip the cache must hold for one language.
    pub fn all() -> Vec<Clip> {
        let mut all: Vec<Clip> = Prompt::ALL.iter().map(|p| Clip::Prompt(*p)).collect();
        all.push(Clip::NumberBefore);
        all.extend((0..=9).map(Clip::Digit));
        all.push(Clip::NumberAfter);
        all.push(Clip::Tick);
        all.extend((0..=PIN_LENGTH).map(Clip::Typed));
        all
    }
}

/// Digits of the patient's PIN: the user-authentication PIN (利用者証明用電子証明書の暗証番号) of
/// the card or of the phone's smartphone certificate.
pub const PIN_LENGTH: u8 = 4;

/// A key of the patient's PIN pad.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinKey {
    Digit(u8),
    Erase,
}

/// What one PIN-pad key press says, and where (issue 18 item 2).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct KeySpeech {
    /// The waiting room hears this: a tick and the count, never a digit.
    pub loudspeaker: Vec<Clip>,
    /// Only the patient hears this (the facility's private headphone output): the digit.
    pub headphone: Vec<Clip>,
}

/// What a touch of `key` says, `typed` digits having been typed before it, with or without a
/// private headphone output. The loudspeaker says a tick and the count after the key ("2 of
/// 4"), never a digit; a digit is said on the headphone only, and only when the key was taken
/// (a fifth digit is not).
pub fn pin_key_speech(key: PinKey, typed: usize, headphone: bool) -> KeySpeech {
    let full = usize::from(PIN_LENGTH);
    let typed = typed.min(full);
    let (after, digit) = match key {
        PinKey::Digit(d) if typed < full && d <= 9 => (typed + 1, Some(d)),
        PinKey::Digit(_) => (typed, None),
        PinKey::Erase => (typed.saturating_sub(1), None),
    };
    KeySpeech {
        loudspeaker: vec![Clip::Tick, Clip::Typed(after as u8)],
        headphone: match digit {
            Some(d) if headphone => vec![Clip::Digit(d)],
            _ => Vec::new(),
        },
    }
}

/// The prompt a screen speaks when it appears: its view's.
pub fn prompt_for(screen: &Screen) -> Prompt {
    screen.view_name()
}

/// The clips a view speaks when it appears, in order: its prompt, then on the done and handoff
/// screens the reception number digit by digit. The only number ever spoken.
pub fn speech_for(view: &View) -> Vec<Clip> {
    let mut clips = vec![Clip::Prompt(prompt_for(&view.screen))];
    let number = match &view.screen {
        Screen::Done {
            reception_number, ..
        }
        | Screen::Handoff {
            reception_number, ..
        } => *reception_number,
        _ => None,
    };
    if let Some(number) = number {
        clips.push(Clip::NumberBefore);
        clips.extend(number.0.to_string().bytes().map(|b| Clip::Digit(b - b'0')));
        clips.push(Clip::NumberAfter);
    }
    clips
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prompt_has_its_own_file() {
        let mut names: Vec<String> = Clip::all().iter().map(|c| c.file_name()).collect();
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n);
        assert_eq!(n, Prompt::ALL.len() + 12 + 1 + 5);
    }

    #[test]
    fn the_pin_screen_speaks_its_own_prompt_first() {
        // The PIN prompt is the one that offers the visual check by staff (voicecache18's words).
        assert_eq!(
            prompt_for(&Screen::PinEntry {
                credential: crate::flow::Credential::Card,
                tries_left: 3,
                last_attempt_wrong: false,
            }),
            Prompt::PinEntry
        );
    }

    /// Every key (the ten digits and erase) at every count, with and without headphones.
    #[test]
    fn the_loudspeaker_never_says_a_pin_digit() {
        let keys: Vec<PinKey> = (0..=9).map(PinKey::Digit).chain([PinKey::Erase]).collect();
        for headphone in [false, true] {
            for typed in 0..=4 {
                for key in &keys {
                    let said = pin_key_speech(*key, typed, headphone);
                    assert!(
                        said.loudspeaker
                            .iter()
                            .all(|c| matches!(c, Clip::Tick | Clip::Typed(_))),
                        "{key:?} after {typed} (headphone {headphone}): {said:?}"
                    );
                    let after = match key {
                        PinKey::Digit(_) => (typed + 1).min(4),
                        PinKey::Erase => typed.saturating_sub(1),
                    };
                    assert_eq!(
                        said.loudspeaker,
                        vec![Clip::Tick, Clip::Typed(after as u8)],
                        "{key:?} after {typed}"
                    );
                    let expected_private = match key {
                        PinKey::Digit(d) if headphone && typed < 4 => vec![Clip::Digit(*d)],
                        _ => vec![],
                    };
                    assert_eq!(said.headphone, expected_private, "{key:?} after {typed}");
                }
            }
        }
    }
}
