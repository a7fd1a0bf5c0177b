//! The voice's player: the only module that knows rodio (and, through it, cpal and ALSA).
//!
//! A [`Voice`] has its own thread (`uketsuke-voice`): it opens the sound device there, and for
//! each utterance opens and decodes the clips from the cache and hands the samples to an
//! [`AudioSink`]. The UI thread only sends it a message and flips an atomic flag, so speech
//! never blocks the screen. Cutting off is at once: the speech playing is a [`Speech`] whose
//! cut flag the UI thread sets when the next screen appears (the device takes no further
//! sample from it; what is already in the device's buffer, about 50 ms with rodio's default,
//! still plays).
//!
//! No sound card, a device that does not open, a missing or unreadable clip: "voice
//! unavailable", logged with the device or file named; never a panic, never a wait on the UI
//! thread. The kiosk goes on silent.

use std::num::NonZero;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use super::speech::{Clip, KeySpeech, PinKey, pin_key_speech, speech_for};
use super::{AudioSink, SAMPLE_RATE, Speech, VoiceSettings, VoiceState};
use crate::flow::{Screen, View};

/// How long [`Voice::open`] waits for the sound device before the kiosk goes on without voice
/// (the device keeps opening on the voice's thread, but is then not used).
pub const OPEN_TIMEOUT: Duration = Duration::from_secs(3);

/// What a voice speaks through, made on the voice's own thread (a sound device need not be
/// `Send`).
pub struct Outputs {
    /// The loudspeaker the waiting room hears.
    pub loudspeaker: Box<dyn AudioSink>,
    /// The facility's private headphone output, if it declared one and it opened.
    pub headphone: Option<Box<dyn AudioSink>>,
    /// The loudspeaker's device name, for the log and `doctor`.
    pub device: String,
    /// What did not open but leaves the voice working (a declared headphone output).
    pub problems: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Output {
    Loudspeaker,
    Headphone,
}

/// One utterance for the voice's thread.
struct Job {
    output: Output,
    clips: Vec<Clip>,
    language: String,
    cut: Arc<AtomicBool>,
    heard: Arc<OnceLock<Instant>>,
}

/// What the voice's thread says once its outputs are open (or why not).
type Opened = Result<(String, bool, Vec<String>), String>;

/// The kiosk's voice: speaks each new screen, repeats it, ticks and counts PIN keys.
pub struct Voice {
    state: VoiceState,
    /// `None`: silent (off or unavailable); every call does nothing.
    jobs: Option<Sender<Job>>,
    has_headphone: bool,
    problems: Vec<String>,
    loudspeaker_cut: Arc<AtomicBool>,
    headphone_cut: Arc<AtomicBool>,
    /// When the latest loudspeaker speech's first sound was taken by the device.
    heard: Arc<OnceLock<Instant>>,
    /// The screen and language last spoken, and its clips (what Repeat says again).
    spoken: Option<(Screen, String, Vec<Clip>)>,
}

impl Voice {
    /// A voice that never speaks (`voice.volume` 0).
    pub fn off() -> Voice {
        Voice::silent(VoiceState::Off)
    }

    fn silent(state: VoiceState) -> Voice {
        Voice {
            state,
            jobs: None,
            has_headphone: false,
            problems: Vec::new(),
            loudspeaker_cut: Arc::new(AtomicBool::new(false)),
            headphone_cut: Arc::new(AtomicBool::new(false)),
            heard: Arc::new(OnceLock::new()),
            spoken: None,
        }
    }

    /// The live voice: opens the sound devices `settings` name (ALSA; see
    /// [`open_devices`]), waiting at most [`OPEN_TIMEOUT`]. Without a sound card the voice is
    /// unavailable (logged, and `doctor` says so) and the kiosk runs silent.
    pub fn open(settings: &VoiceSettings) -> Voice {
        let devices = settings.clone();
        Voice::start(settings, move || open_devices(&devices))
    }

    /// A voice speaking through the outputs `open` makes on the voice's thread (tests: a
    /// recording fake). Volume 0: [`Voice::off`], and `open` is never called.
    pub fn start(
        settings: &VoiceSettings,
        open: impl FnOnce() -> Result<Outputs, String> + Send + 'static,
    ) -> Voice {
        if settings.volume == 0 {
            tracing::info!("voice off (voice.volume is 0)");
            return Voice::off();
        }
        let dir = settings.cache_dir();
        let gain = settings.gain();
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (ready, opened) = mpsc::sync_channel::<Opened>(1);
        let spawned =
            thread::Builder::new()
                .name("uketsuke-voice".into())
                .spawn(move || match open() {
                    Ok(outputs) => {
                        let _ = ready.send(Ok((
                            outputs.device.clone(),
                            outputs.headphone.is_some(),
                            outputs.problems.clone(),
                        )));
                        speak_loop(&dir, gain, outputs, &inbox);
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e));
                    }
                });
        if let Err(e) = spawned {
            return Voice::unavailable(format!("cannot start the voice's thread: {e}"));
        }
        match opened.recv_timeout(OPEN_TIMEOUT) {
            Ok(Ok((device, has_headphone, problems))) => {
                for p in &problems {
                    tracing::warn!("voice: {p}");
                }
                tracing::info!(
                    device = device.as_str(),
                    volume = settings.volume,
                    dir = %settings.cache_dir().display(),
                    "voice on"
                );
                let mut voice = Voice::silent(VoiceState::On { device });
                voice.jobs = Some(jobs);
                voice.has_headphone = has_headphone;
                voice.problems = problems;
                voice
            }
            Ok(Err(e)) => Voice::unavailable(e),
            Err(_) => Voice::unavailable(format!(
                "the sound device did not open within {} s",
                OPEN_TIMEOUT.as_secs()
            )),
        }
    }

    fn unavailable(why: String) -> Voice {
        tracing::warn!("voice unavailable, the kiosk runs silent: {why}");
        Voice::silent(VoiceState::Unavailable(why))
    }

    pub fn state(&self) -> &VoiceState {
        &self.state
    }

    /// Whether it speaks (on, and its thread alive): the Repeat button shows.
    pub fn is_on(&self) -> bool {
        self.jobs.is_some()
    }

    /// Problems that leave the voice working (a declared headphone output that did not open).
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// A view is on the screen: if its screen or the language differs from what was last
    /// spoken, cuts off the current speech and speaks this one ([`speech_for`]) in
    /// `language` (a [`crate::ui::Language::code`]). The same screen again says nothing.
    pub fn present(&mut self, view: &View, language: &str) {
        if !self.is_on() {
            return;
        }
        if let Some((screen, spoken_in, _)) = &self.spoken
            && *screen == view.screen
            && spoken_in == language
        {
            return;
        }
        let clips = speech_for(view);
        self.spoken = Some((view.screen.clone(), language.to_owned(), clips.clone()));
        self.say(Output::Loudspeaker, clips, language);
    }

    /// The Repeat button: says the current screen's speech again from its start.
    pub fn repeat(&mut self) {
        if let Some((_, language, clips)) = self.spoken.clone() {
            self.say(Output::Loudspeaker, clips, &language);
        }
    }

    /// A PIN-pad key was touched with `typed` digits typed before it: a tick and the count on
    /// the loudspeaker, the digit on the private headphone output only
    /// ([`pin_key_speech`]).
    pub fn pin_key(&mut self, key: PinKey, typed: usize, language: &str) {
        if !self.is_on() {
            return;
        }
        let KeySpeech {
            loudspeaker,
            headphone,
        } = pin_key_speech(key, typed, self.has_headphone);
        self.say(Output::Loudspeaker, loudspeaker, language);
        if !headphone.is_empty() {
            self.say(Output::Headphone, headphone, language);
        }
    }

    /// Cuts off whatever it says, on every output.
    pub fn stop(&mut self) {
        self.loudspeaker_cut.store(true, Ordering::SeqCst);
        self.headphone_cut.store(true, Ordering::SeqCst);
    }

    /// When the latest loudspeaker speech's first non-zero sample was taken by the device (or
    /// the fake): for the benchmark.
    pub fn first_sound(&self) -> Option<Instant> {
        self.heard.get().copied()
    }

    fn say(&mut self, output: Output, clips: Vec<Clip>, language: &str) {
        let Some(jobs) = &self.jobs else {
            return;
        };
        let slot = match output {
            Output::Loudspeaker => &mut self.loudspeaker_cut,
            Output::Headphone => &mut self.headphone_cut,
        };
        slot.store(true, Ordering::SeqCst);
        let cut = Arc::new(AtomicBool::new(false));
        *slot = cut.clone();
        let heard = Arc::new(OnceLock::new());
        if output == Output::Loudspeaker {
            self.heard = heard.clone();
        }
        let job = Job {
            output,
            clips,
            language: language.to_owned(),
            cut,
            heard,
        };
        if jobs.send(job).is_err() {
            self.jobs = None;
            self.state = VoiceState::Unavailable("the voice's thread stopped".to_owned());
            tracing::error!("voice unavailable: the voice's thread stopped");
        }
    }
}

impl Drop for Voice {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The voice's thread: each utterance decoded from the cache and handed to its output. One
/// already cut off (a newer screen came first) is skipped without reading its files.
fn speak_loop(dir: &Path, gain: f32, mut outputs: Outputs, jobs: &Receiver<Job>) {
    for job in jobs {
        if job.cut.load(Ordering::SeqCst) {
            continue;
        }
        let samples = match load(dir, &job.language, &job.clips, gain) {
            Ok(samples) => samples,
            Err(e) => {
                tracing::warn!("voice unavailable for this screen: {e}");
                continue;
            }
        };
        if job.cut.load(Ordering::SeqCst) {
            continue;
        }
        let speech = Speech::new(samples, job.cut, job.heard);
        match (job.output, &mut outputs.headphone) {
            (Output::Loudspeaker, _) => outputs.loudspeaker.play(speech),
            (Output::Headphone, Some(headphone)) => headphone.play(speech),
            (Output::Headphone, None) => {}
        }
    }
}

const MONO: rodio::ChannelCount = NonZero::new(1).unwrap();
const RATE: rodio::SampleRate = NonZero::new(SAMPLE_RATE).unwrap();

/// The samples of `clips` of `language`, one after the other, from `<dir>/<language>/<file>`:
/// each decoded (WAV), made 48 kHz mono if it is not, and multiplied by `gain`. Errors name
/// the file; one missing clip makes the whole utterance unavailable (half a reception number
/// would mislead).
pub fn load(dir: &Path, language: &str, clips: &[Clip], gain: f32) -> Result<Vec<f32>, String> {
    let mut samples = Vec::new();
    for clip in clips {
        let path = dir.join(language).join(clip.file_name());
        let file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let decoder = rodio::Decoder::try_from(file)
            .map_err(|e| format!("{}: not a readable WAV: {e}", path.display()))?;
        let uniform = rodio::source::UniformSourceIterator::new(decoder, MONO, RATE);
        samples.extend(uniform.map(|s| s * gain));
    }
    Ok(samples)
}

/// A sound card's output through rodio's mixer.
struct DeviceSink {
    sink: rodio::MixerDeviceSink,
}

impl AudioSink for DeviceSink {
    fn play(&mut self, speech: Speech) {
        self.sink.mixer().add(SpeechSource(speech));
    }
}

/// A [`Speech`] as rodio's `Source`: 48 kHz mono; ends when cut.
struct SpeechSource(Speech);

impl Iterator for SpeechSource {
    type Item = rodio::Sample;

    fn next(&mut self) -> Option<rodio::Sample> {
        self.0.next()
    }
}

impl rodio::Source for SpeechSource {
    fn current_span_len(&self) -> Option<usize> {
        None
    }

    fn channels(&self) -> rodio::ChannelCount {
        MONO
    }

    fn sample_rate(&self) -> rodio::SampleRate {
        RATE
    }

    fn total_duration(&self) -> Option<Duration> {
        None
    }
}

/// Opens the loudspeaker (`voice.device`, else ALSA's default) and the private headphone
/// output (`voice.headphone`, if declared; one that does not open leaves the voice working
/// without it, and no PIN digit is ever spoken).
pub fn open_devices(settings: &VoiceSettings) -> Result<Outputs, String> {
    let (loudspeaker, device) = open_device(settings.device.as_deref(), "voice.device")?;
    let mut problems = Vec::new();
    let headphone = match settings.headphone.as_deref() {
        None => None,
        Some(name) => match open_device(Some(name), "voice.headphone") {
            Ok((sink, _)) => Some(Box::new(DeviceSink { sink }) as Box<dyn AudioSink>),
            Err(e) => {
                problems.push(format!("{e}; PIN keys say no digit"));
                None
            }
        },
    };
    Ok(Outputs {
        loudspeaker: Box::new(DeviceSink { sink: loudspeaker }),
        headphone,
        device,
        problems,
    })
}

fn open_device(name: Option<&str>, key: &str) -> Result<(rodio::MixerDeviceSink, String), String> {
    let mut sink = match name {
        None => rodio::DeviceSinkBuilder::open_default_sink().map_err(|e| {
            format!(
                "no sound output: ALSA device \"default\" does not open ({e}); is there a sound \
                 card (`aplay -l`)? Or name one in {key}"
            )
        })?,
        Some(name) => {
            use rodio::cpal::traits::HostTrait as _;
            let id = rodio::cpal::DeviceId::new(rodio::cpal::HostId::Alsa, name);
            let device = rodio::cpal::default_host()
                .device_by_id(&id)
                .ok_or_else(|| format!("{key}: no ALSA device {name:?} (`aplay -L` lists them)"))?;
            rodio::DeviceSinkBuilder::from_device(device)
                .and_then(|builder| builder.open_stream())
                .map_err(|e| format!("{key}: ALSA device {name:?} does not open: {e}"))?
        }
    };
    sink.log_on_drop(false);
    Ok((sink, name.unwrap_or("default").to_owned()))
}
