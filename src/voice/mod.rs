//! Voice guidance: each patient screen speaks its instruction when it appears, from a cache of
//! audio files synthesised ahead of time (issue 18).
//!
//! - [`speech`]: pure. Which clips a view speaks ([`speech::speech_for`]), every prompt there is
//!   ([`speech::Prompt::ALL`]), each clip's file name in the cache, and what a PIN-pad key says
//!   where ([`speech::pin_key_speech`]). No I/O, no clock.
//! - [`player`]: the only module that knows the audio library (rodio over ALSA): [`Voice`]
//!   decodes the clips on its own thread and hands the samples to an [`AudioSink`], a sound card
//!   live or a recording fake in tests.
//! - Here: the seam between them ([`AudioSink`], [`Speech`]) and the facility's `voice` key
//!   ([`VoiceSettings`]).
//!
//! The cache is a folder with one subfolder per language code (`ja`, `en`, …) holding one
//! 48 kHz mono 16-bit WAV per clip, silence trimmed at both ends:
//! `<voice dir>/<language code>/<clip file name>` (see [`speech::Clip::file_name`]).
//!
//! Must not know: the flow's decisions (it is told the view), Slint (the runtime presses its
//! buttons for it). Never imported by the flow.

pub mod player;
pub mod speech;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use serde::Deserialize;

pub use player::Voice;

/// The sample rate of the cache's clips and of every [`Speech`]: 48 kHz, mono.
pub const SAMPLE_RATE: u32 = 48_000;

/// The facility file's `voice` key (every key optional; absent: voice on at volume 60 from the
/// default cache):
/// `"voice": {"volume": 60, "dir": "/usr/share/uketsuke/voice", "device": null, "headphone": null}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VoiceSettings {
    /// Loudness 0 to 100 (0: silent; no sound device is opened and no Repeat button shown).
    /// The samples are scaled by (volume / 100)²; default 60 (about −9 dB).
    pub volume: u8,
    /// The cache folder (`<dir>/<language code>/<clip>.wav`). Default [`default_dir`].
    pub dir: Option<PathBuf>,
    /// The ALSA device of the loudspeaker, e.g. `"plughw:CARD=PCH,DEV=0"`. Default: ALSA's
    /// `default` (or, failing it, the first output device that opens).
    pub device: Option<String>,
    /// The ALSA device of a private headphone output (a jack only the patient at the kiosk
    /// hears), e.g. `"plughw:CARD=Headset,DEV=0"`. Only there may a PIN key speak its digit; the
    /// loudspeaker never does. Default none: no digit is ever spoken for a PIN key.
    pub headphone: Option<String>,
}

impl Default for VoiceSettings {
    fn default() -> Self {
        VoiceSettings {
            volume: DEFAULT_VOLUME,
            dir: None,
            device: None,
            headphone: None,
        }
    }
}

/// The volume when the facility file says none: moderate, for a waiting room.
pub const DEFAULT_VOLUME: u8 = 60;

impl VoiceSettings {
    /// The cache folder: `dir`, else [`default_dir`].
    pub fn cache_dir(&self) -> PathBuf {
        self.dir.clone().unwrap_or_else(default_dir)
    }

    /// The factor every sample is multiplied by: (volume / 100)², so 50 is about −12 dB.
    pub fn gain(&self) -> f32 {
        let v = f32::from(self.volume.min(100)) / 100.0;
        v * v
    }

    /// Every bad key with what is wrong (for the facility file's check).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.volume > 100 {
            out.push(("voice.volume", "must be 0 (silent) to 100".to_owned()));
        }
        for (key, device) in [
            ("voice.device", &self.device),
            ("voice.headphone", &self.headphone),
        ] {
            if device.as_deref().is_some_and(|d| d.trim().is_empty()) {
                out.push((
                    key,
                    "must name an ALSA device (see `aplay -L`), or be left out".to_owned(),
                ));
            }
        }
        if self.device.is_some() && self.device == self.headphone {
            out.push((
                "voice.headphone",
                "must not be the loudspeaker's device (voice.device): the waiting room would hear the PIN"
                    .to_owned(),
            ));
        }
        out
    }
}

/// The cache folder when the facility file names none: the image's `/usr/share/uketsuke/voice`;
/// builds with the simulators (the demo, the tests) use `target/voice-cache` of the source tree,
/// where `uketsuke voice-cache` writes in development.
pub fn default_dir() -> PathBuf {
    if cfg!(feature = "sim") {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/voice-cache"))
    } else {
        PathBuf::from("/usr/share/uketsuke/voice")
    }
}

/// The clips missing from the cache at `dir` for each of `languages` (codes), as paths, in
/// language then [`speech::Clip::all`] order. Empty: the cache is complete.
pub fn missing_clips(dir: &std::path::Path, languages: &[String]) -> Vec<PathBuf> {
    languages
        .iter()
        .flat_map(|language| {
            speech::Clip::all()
                .into_iter()
                .map(move |clip| dir.join(language).join(clip.file_name()))
        })
        .filter(|path| !path.is_file())
        .collect()
}

/// What the voice can do now (`doctor`, the log, whether the Repeat button shows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoiceState {
    /// `voice.volume` is 0: silent by the facility's choice.
    Off,
    /// No sound: why, naming the device (e.g. no sound card).
    Unavailable(String),
    /// Speaking through this device (its ALSA name).
    On { device: String },
}

/// Where the samples go: a sound card live, a recording fake in tests. The voice's own thread
/// calls it; it must not block (a device mixes the speech in on its own thread).
pub trait AudioSink {
    /// Starts playing `speech` now, beside whatever still plays: the voice cuts the speech it
    /// replaces through that speech's own [`Speech::cut`] flag, at once.
    fn play(&mut self, speech: Speech);
}

/// One utterance as samples: 48 kHz mono f32 in −1..1, volume applied, ending early once its cut
/// flag is set (the next screen's speech started, or the voice stopped).
pub struct Speech {
    samples: Vec<f32>,
    next: usize,
    cut: Arc<AtomicBool>,
    heard: Arc<OnceLock<Instant>>,
}

impl Speech {
    /// `samples` at [`SAMPLE_RATE`]; `cut` ends it early; `heard` is set to the moment its first
    /// non-zero sample is taken (by the device's callback, or the fake), for the benchmark.
    pub fn new(samples: Vec<f32>, cut: Arc<AtomicBool>, heard: Arc<OnceLock<Instant>>) -> Speech {
        Speech {
            samples,
            next: 0,
            cut,
            heard,
        }
    }

    /// Whether it was cut off (it yields nothing more).
    pub fn is_cut(&self) -> bool {
        self.cut.load(Ordering::Relaxed)
    }

    /// Samples not yet taken (ignoring a cut).
    pub fn remaining(&self) -> usize {
        self.samples.len() - self.next
    }

    /// Everything it says, from the start, whether taken or not (for a recording fake).
    pub fn samples(&self) -> &[f32] {
        &self.samples
    }

    /// Its length in samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
}

impl Iterator for Speech {
    type Item = f32;

    fn next(&mut self) -> Option<f32> {
        if self.is_cut() {
            return None;
        }
        let sample = *self.samples.get(self.next)?;
        self.next += 1;
        if sample != 0.0 && self.heard.get().is_none() {
            let _ = self.heard.set(Instant::now());
        }
        Some(sample)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_defaults_gain_and_problems() {
        let d = VoiceSettings::default();
        assert_eq!(d.volume, 60);
        assert!((d.gain() - 0.36).abs() < 1e-6);
        assert!(d.problems().is_empty());
        let silent = VoiceSettings {
            volume: 0,
            ..d.clone()
        };
        assert_eq!(silent.gain(), 0.0);
        let loud = VoiceSettings {
            volume: 101,
            ..d.clone()
        };
        assert_eq!(loud.problems()[0].0, "voice.volume");
        let same = VoiceSettings {
            device: Some("hw:0".into()),
            headphone: Some("hw:0".into()),
            ..d.clone()
        };
        assert_eq!(same.problems()[0].0, "voice.headphone");
        let blank = VoiceSettings {
            headphone: Some(" ".into()),
            ..d
        };
        assert_eq!(blank.problems()[0].0, "voice.headphone");
    }

    #[test]
    fn a_cut_speech_yields_nothing_more() {
        let cut = Arc::new(AtomicBool::new(false));
        let heard = Arc::new(OnceLock::new());
        let mut s = Speech::new(vec![0.0, 0.5, 0.5, 0.5], cut.clone(), heard.clone());
        assert_eq!(s.next(), Some(0.0));
        assert!(heard.get().is_none(), "silence is not heard");
        assert_eq!(s.next(), Some(0.5));
        assert!(heard.get().is_some());
        cut.store(true, Ordering::Relaxed);
        assert_eq!(s.next(), None);
        assert_eq!(s.remaining(), 2);
    }
}
