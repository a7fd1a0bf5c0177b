//! Voice guidance: each patient screen speaks its instruction when it appears, from a cache of
//! audio files synthesised ahead of time (issue 18).
//!
//! - [`speech`]: pure. Which clips a view speaks ([`speech::speech_for`]), every prompt there is
//!   ([`speech::Prompt::ALL`]), and each clip's file name in the cache. No I/O, no clock.
//!
//! The cache is a folder with one subfolder per language code (`ja`, `en`, …) holding one
//! 48 kHz mono 16-bit WAV per clip, silence trimmed at both ends:
//! `<voice dir>/<language code>/<clip file name>` (see [`speech::Clip::file_name`]).
pub mod speech;
