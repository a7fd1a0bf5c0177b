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

pub use generated::{
    AppWindow, ConsentTopic, DepartmentChoice, HandoffKind, Kiosk, PaperKind, ReaderState,
    ScreenKind, StaffCheck, StaffNote, StaffProblem, StaffScreen, Theme, Voice, WrongKind,
};

/// The languages of the patient's screen. Japanese is the default and comes back after every
/// check-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    Japanese,
    English,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::Japanese => "ja",
            Language::English => "en",
        }
    }

    pub fn other(self) -> Language {
        match self {
            Language::Japanese => Language::English,
            Language::English => Language::Japanese,
        }
    }

    pub fn parse(code: &str) -> Option<Language> {
        match code {
            "ja" => Some(Language::Japanese),
            "en" => Some(Language::English),
            _ => None,
        }
    }

    pub const ALL: [Language; 2] = [Language::Japanese, Language::English];
}

/// Shows `language` on every view of this thread. The views' source strings are English; the
/// Japanese catalogue (`ui/lang/ja`) is bundled into the binary.
pub fn select_language(window: &AppWindow, language: Language) {
    let code = match language {
        Language::Japanese => "ja",
        // The source language: no catalogue.
        Language::English => "",
    };
    if let Err(e) = slint::select_bundled_translation(code) {
        tracing::error!(language = language.code(), "cannot switch language: {e}");
    }
    window
        .global::<Kiosk>()
        .set_language(language.code().into());
}
