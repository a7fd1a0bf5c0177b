//! Voice guidance with a recording fake for the sound card: a cache of tiny WAVs written here
//! (each clip one constant level, so a pulled sample tells which clip of which language it came
//! from) and a `Voice` speaking into `RecordingSink`s.
#![allow(dead_code)]

#[path = "../../fakes/voice_sink.rs"]
mod sink;

pub use sink::RecordingSink;

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use uketsuke::voice::player::Outputs;
use uketsuke::voice::speech::Clip;
use uketsuke::voice::{Voice, VoiceSettings};

/// A generous bound for the voice's thread to hand a speech over (it decodes a few small files).
pub const WAIT: Duration = Duration::from_secs(20);

/// The cache's languages here.
pub const LANGUAGES: [&str; 2] = ["ja", "en"];

/// The level of `clip` of the language at `language` in [`LANGUAGES`]: unique per pair.
fn level(language: usize, clip: usize) -> i16 {
    ((language * 60 + clip + 1) * 100) as i16
}

/// Which clip of which language a sample pulled at volume 100 came from.
pub fn clip_of(sample: f32) -> Option<(&'static str, Clip)> {
    let step = (sample * 32768.0 / 100.0).round() as i64;
    if step <= 0 || (f64::from(sample) * 32768.0 / 100.0 - step as f64).abs() > 0.01 {
        return None;
    }
    let (language, clip) = ((step - 1) / 60, (step - 1) % 60);
    Some((
        *LANGUAGES.get(language as usize)?,
        *Clip::all().get(clip as usize)?,
    ))
}

/// The clips a run of samples says, in order (each stretch of one clip once; silence skipped).
/// Panics on a sample that is no clip's (two speeches mixed).
pub fn clips_in(samples: &[f32]) -> Vec<(&'static str, Clip)> {
    let mut out: Vec<(&'static str, Clip)> = Vec::new();
    for &sample in samples {
        if sample == 0.0 {
            continue;
        }
        let clip = clip_of(sample)
            .unwrap_or_else(|| panic!("{sample} is no clip's level: two speeches at once?"));
        if out.last() != Some(&clip) {
            out.push(clip);
        }
    }
    out
}

/// A cache in a temporary folder: every clip of [`LANGUAGES`], `samples` long each (48 kHz mono
/// s16).
pub struct Cache {
    pub dir: tempfile::TempDir,
}

impl Cache {
    pub fn new(samples: usize) -> Cache {
        let dir = tempfile::tempdir().unwrap();
        write_cache(dir.path(), samples);
        Cache { dir }
    }

    /// Settings at volume 100 (samples unscaled) over this cache.
    pub fn settings(&self) -> VoiceSettings {
        VoiceSettings {
            volume: 100,
            dir: Some(self.dir.path().to_owned()),
            ..VoiceSettings::default()
        }
    }

    /// A voice over this cache speaking into `loudspeaker` (and `headphone`, if given).
    pub fn voice(&self, loudspeaker: &RecordingSink, headphone: Option<&RecordingSink>) -> Voice {
        voice(&self.settings(), loudspeaker, headphone)
    }
}

/// A voice with `settings` speaking into the fakes.
pub fn voice(
    settings: &VoiceSettings,
    loudspeaker: &RecordingSink,
    headphone: Option<&RecordingSink>,
) -> Voice {
    let loudspeaker = loudspeaker.clone();
    let headphone = headphone.cloned();
    Voice::start(settings, move || {
        Ok(Outputs {
            loudspeaker: Box::new(loudspeaker),
            headphone: headphone.map(|h| Box::new(h) as Box<dyn uketsuke::voice::AudioSink>),
            device: "recording fake".into(),
            problems: Vec::new(),
        })
    })
}

/// Writes every clip of every language of [`LANGUAGES`] under `dir`.
pub fn write_cache(dir: &Path, samples: usize) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    for (l, language) in LANGUAGES.iter().enumerate() {
        std::fs::create_dir_all(dir.join(language)).unwrap();
        for (c, clip) in Clip::all().iter().enumerate() {
            let mut wav =
                hound::WavWriter::create(dir.join(language).join(clip.file_name()), spec).unwrap();
            for _ in 0..samples {
                wav.write_sample(level(l, c)).unwrap();
            }
            wav.finalize().unwrap();
        }
    }
}

/// The views' language is process-wide in Slint: the voice tests that drive the views take
/// turns.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

pub fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// A kiosk at its welcome screen (the sim gateway's `Valid3` persona) speaking into a recording
/// loudspeaker from a [`Cache`] of `samples`-long clips, its welcome prompt already handed over.
/// Holds the views' turn ([`one_at_a_time`]) and the cache for as long as it lives.
pub struct SpeakingKiosk {
    pub kiosk: crate::ui::UiKiosk,
    pub loudspeaker: RecordingSink,
    _cache: Cache,
    _turn: std::sync::MutexGuard<'static, ()>,
}

impl SpeakingKiosk {
    pub fn start(samples: usize) -> SpeakingKiosk {
        let turn = one_at_a_time();
        let cache = Cache::new(samples);
        let loudspeaker = RecordingSink::new();
        let kiosk = crate::ui::UiKiosk::new(uketsuke::gateway::sim::Persona::Valid3);
        kiosk
            .rt
            .borrow_mut()
            .set_voice(cache.voice(&loudspeaker, None));
        loudspeaker.wait_for(1, WAIT);
        SpeakingKiosk {
            kiosk,
            loudspeaker,
            _cache: cache,
            _turn: turn,
        }
    }
}
