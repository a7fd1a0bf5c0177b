//! The words each voice clip says, in each language: read from the views' `Voice` global
//! (`ui/voice.slint`, English in `@tr`, the other languages from the bundled catalogues), so the
//! spoken prompts are translated like every other patient string. Used by `uketsuke
//! voice-cache` (which synthesises them) and by the tests over every prompt text.

use anyhow::Result;
use slint::ComponentHandle as _;

use super::render::Headless;
use super::{AppWindow, Language, Voice, select_language};
use crate::voice::speech::{Clip, Prompt};

/// What `clip` says in the views' current language, without the word joiners the Japanese
/// catalogue carries for line breaking. `None` for a clip that has no words: the PIN pad's tick
/// (a sound: voice-cache makes it, the same in every language), a digit outside 0..=9, a count
/// outside 0..=4.
pub fn words(app: &AppWindow, clip: Clip) -> Option<String> {
    let v = app.global::<Voice>();
    let text = match clip {
        Clip::Prompt(prompt) => match prompt {
            Prompt::Welcome => v.get_welcome(),
            Prompt::Reading => v.get_reading(),
            Prompt::WrongCard => v.get_wrong_card(),
            Prompt::CardOrPhone => v.get_card_or_phone(),
            Prompt::NotRead => v.get_not_read(),
            Prompt::TapAgain => v.get_tap_again(),
            Prompt::PinEntry => v.get_pin_entry(),
            Prompt::Verifying => v.get_verifying(),
            Prompt::ConsentChoice => v.get_consent_choice(),
            Prompt::ConsentItem => v.get_consent_item(),
            Prompt::HighCostLimit => v.get_high_cost_limit(),
            Prompt::Prescription => v.get_prescription(),
            Prompt::MedicalAid => v.get_medical_aid(),
            Prompt::ChooseDepartment => v.get_choose_department(),
            Prompt::Querying => v.get_querying(),
            Prompt::CertifiedReader => v.get_certified_reader(),
            Prompt::DocumentMenu => v.get_document_menu(),
            Prompt::Saving => v.get_saving(),
            Prompt::Done => v.get_done(),
            Prompt::Handoff => v.get_handoff(),
            Prompt::ConfirmEnd => v.get_confirm_end(),
            Prompt::Cancelled => v.get_cancelled(),
            Prompt::TimedOut => v.get_timed_out(),
            Prompt::SaveFailed => v.get_save_failed(),
            Prompt::OutOfService => v.get_out_of_service(),
            Prompt::Paused => v.get_paused(),
        },
        Clip::NumberBefore => v.get_number_before(),
        Clip::NumberAfter => v.get_number_after(),
        Clip::Digit(d) => match d {
            0 => v.get_digit_0(),
            1 => v.get_digit_1(),
            2 => v.get_digit_2(),
            3 => v.get_digit_3(),
            4 => v.get_digit_4(),
            5 => v.get_digit_5(),
            6 => v.get_digit_6(),
            7 => v.get_digit_7(),
            8 => v.get_digit_8(),
            9 => v.get_digit_9(),
            _ => return None,
        },
        Clip::Tick => return None,
        Clip::Typed(n) => match n {
            0 => v.get_typed_0(),
            1 => v.get_typed_1(),
            2 => v.get_typed_2(),
            3 => v.get_typed_3(),
            4 => v.get_typed_4(),
            _ => return None,
        },
    };
    Some(uketsuke_views::phrases::unjoined(&text))
}

/// Every clip of [`Clip::all`] with its words in one language ([`words`]).
pub type ClipWords = Vec<(Clip, Option<String>)>;

/// Every clip of [`Clip::all`] with its words, for each language of `languages`, in that order.
/// Builds the views once on a headless window of this thread (see [`Headless`]).
///
/// Errors: the views cannot be built (another Slint backend is in use on this thread).
pub fn texts(languages: &[Language]) -> Result<Vec<(Language, ClipWords)>> {
    let view = Headless::new(1080, 1920)?;
    let mut all = Vec::with_capacity(languages.len());
    for &language in languages {
        select_language(&view.app, language);
        let clips = Clip::all()
            .into_iter()
            .map(|clip| (clip, words(&view.app, clip)))
            .collect();
        all.push((language, clips));
    }
    // The next user of this thread's views starts in the default language.
    select_language(&view.app, Language::default());
    Ok(all)
}
