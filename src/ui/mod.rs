//! The patient's screen: the only Rust that knows Slint.
//!
//! Owns: the generated views (`ui/*.slint`), the mapping from the flow's [`View`] to their
//! properties ([`present`]), the live loop that carries the flow's commands to worker threads
//! and their answers back ([`runtime`]), and headless rendering to pixels ([`render`]).
//! Must not know: how a card is read, how the gateway answers, how the store commits; those
//! arrive as [`crate::flow::Input`]s.

/// The generated views live in their own crate (`ui/`), since Slint's generated code uses
/// `unsafe` and this crate forbids it.
use uketsuke_views as generated;

pub mod catalogue;
pub mod present;
pub mod render;
pub mod runtime;
pub mod voice_words;

use slint::ComponentHandle as _;

use generated::LanguageChoice;
pub use generated::{
    AppWindow, ConsentTopic, DepartmentChoice, HandoffKind, Kiosk, PaperKind, ReaderState,
    ScreenKind, StaffCheck, StaffNote, StaffProblem, StaffScreen, Theme, Voice, WrongKind,
};

/// The languages of the patient's screen. Japanese is the default and comes back after every
/// check-in. English is the source language of the views (`@tr("…")` msgids); every other
/// language is a catalogue `ui/lang/<code>/LC_MESSAGES/uketsuke-views.po`, bundled into the
/// binary and picked by `slint::select_bundled_translation(code)`, which matches the folder name
/// exactly. The codes are BCP 47 tags; easy Japanese (やさしい日本語) has a private-use tag
/// (`ja-x-easy`, RFC 5646 §2.2.7), since no registered tag names it. docs/translations.md says
/// who translated each one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    Japanese,
    English,
    /// 简体中文 (Mandarin in simplified characters).
    SimplifiedChinese,
    Korean,
    Vietnamese,
    /// Português (Brasil): most Portuguese speakers in Japan are Brazilian.
    BrazilianPortuguese,
    Tagalog,
    Nepali,
    /// やさしい日本語: short sentences, hiragana for hard kanji, no furigana.
    EasyJapanese,
}

impl Language {
    /// Every language, in the order the language chooser lists them.
    pub const ALL: [Language; 9] = [
        Language::Japanese,
        Language::EasyJapanese,
        Language::English,
        Language::SimplifiedChinese,
        Language::Korean,
        Language::Vietnamese,
        Language::BrazilianPortuguese,
        Language::Tagalog,
        Language::Nepali,
    ];

    /// The language's tag: its catalogue's folder under `ui/lang/`, the voice cache's folder,
    /// and what `Kiosk.language` holds while it shows.
    pub fn code(self) -> &'static str {
        match self {
            Language::Japanese => "ja",
            Language::English => "en",
            Language::SimplifiedChinese => "zh-Hans",
            Language::Korean => "ko",
            Language::Vietnamese => "vi",
            Language::BrazilianPortuguese => "pt-BR",
            Language::Tagalog => "tl",
            Language::Nepali => "ne",
            Language::EasyJapanese => "ja-x-easy",
        }
    }

    /// The language's name in its own script, as the chooser shows it: a patient who cannot
    /// read the language showing finds their own.
    pub fn own_name(self) -> &'static str {
        match self {
            Language::Japanese => "日本語",
            Language::English => "English",
            Language::SimplifiedChinese => "简体中文",
            Language::Korean => "한국어",
            Language::Vietnamese => "Tiếng Việt",
            Language::BrazilianPortuguese => "Português",
            Language::Tagalog => "Tagalog",
            Language::Nepali => "नेपाली",
            Language::EasyJapanese => "やさしい にほんご",
        }
    }

    /// The font family its text is drawn in (fontconfig finds the rest by fallback). One Han
    /// character has a Japanese, a simplified Chinese and a Korean shape (Han unification): each
    /// CJK language takes its own face of Noto Sans CJK (fonts-noto-cjk). Vietnamese, Portuguese
    /// and Tagalog take Noto Sans, which has every Vietnamese letter (the CJK face does not);
    /// Nepali takes Noto Sans Devanagari (fonts-noto-core).
    pub fn font_family(self) -> &'static str {
        match self {
            Language::Japanese | Language::EasyJapanese | Language::English => "Noto Sans CJK JP",
            Language::SimplifiedChinese => "Noto Sans CJK SC",
            Language::Korean => "Noto Sans CJK KR",
            Language::Vietnamese | Language::BrazilianPortuguese | Language::Tagalog => "Noto Sans",
            Language::Nepali => "Noto Sans Devanagari",
        }
    }

    /// Whether its text is Japanese, whose lines break between phrases only (ui/build.rs joins
    /// these catalogues' phrases with word joiners; never another language's).
    pub fn is_japanese(self) -> bool {
        matches!(self, Language::Japanese | Language::EasyJapanese)
    }

    pub fn parse(code: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.code() == code)
    }
}

/// The chooser's rows in landscape: three languages each.
const CHOOSER_ROW: usize = 3;

/// Shows `language` on every view of this thread, in its font. The views' source strings are
/// English; every other language's catalogue (`ui/lang/<code>`) is bundled into the binary. A
/// language whose catalogue is missing shows English (and logs why), never the language shown
/// before under another language's name.
pub fn select_language(window: &AppWindow, language: Language) {
    let code = match language {
        // The source language: no catalogue.
        Language::English => "",
        other => other.code(),
    };
    let mut shown = language;
    if let Err(e) = slint::select_bundled_translation(code) {
        tracing::error!(language = language.code(), "cannot switch language: {e}");
        shown = Language::English;
        if let Err(e) = slint::select_bundled_translation("") {
            tracing::error!("cannot switch to English either: {e}");
        }
    }
    let kiosk = window.global::<Kiosk>();
    kiosk.set_language(shown.code().into());
    kiosk.set_font_family(shown.font_family().into());
    let choices: Vec<LanguageChoice> = Language::ALL
        .into_iter()
        .map(|l| LanguageChoice {
            code: l.code().into(),
            name: l.own_name().into(),
            font: l.font_family().into(),
        })
        .collect();
    let rows: Vec<slint::ModelRc<LanguageChoice>> = choices
        .chunks(CHOOSER_ROW)
        .map(|row| slint::ModelRc::new(slint::VecModel::from(row.to_vec())))
        .collect();
    kiosk.set_languages(slint::ModelRc::new(slint::VecModel::from(choices)));
    kiosk.set_language_rows(slint::ModelRc::new(slint::VecModel::from(rows)));
}

#[cfg(test)]
mod tests {
    use super::Language;

    #[test]
    fn every_language_has_its_own_code_name_and_a_known_screen_language() {
        let mut codes: Vec<&str> = Language::ALL.iter().map(|l| l.code()).collect();
        for language in Language::ALL {
            assert_eq!(Language::parse(language.code()), Some(language));
            assert!(!language.own_name().is_empty());
            assert!(
                crate::rules::SCREEN_LANGUAGES.contains(&language.code()),
                "{} is not a facility `languages` value",
                language.code()
            );
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Language::ALL.len(), "codes are distinct");
        assert_eq!(crate::rules::SCREEN_LANGUAGES.len(), Language::ALL.len());
        assert_eq!(Language::parse("fr"), None);
        assert_eq!(
            Language::ALL
                .iter()
                .filter(|l| l.is_japanese())
                .map(|l| l.code())
                .collect::<Vec<_>>(),
            ["ja", "ja-x-easy"]
        );
    }
}
