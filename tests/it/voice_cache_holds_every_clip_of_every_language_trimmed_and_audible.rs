//! The voice cache holds every clip of every language, each a 48 kHz mono 16-bit WAV that is
//! audible and starts and ends on sound (silence trimmed, or Open JTalk's 185 ms of leading
//! silence alone would break the 150 ms screen-to-sound target).
//!
//! The cache is built once per test run by `uketsuke voice-cache`'s library entry into
//! `target/tmp/voice-cache` (fresh each run, so the files checked are this code's), with the real
//! `open_jtalk`, `espeak-ng` and `sox`; with CI=true a missing tool fails the test. The WAVs are
//! read with `hound` (also what rodio decodes WAV with), not a reader of our own.
//!
//! What it cannot catch: whether the speech says the right words or sounds natural (a person
//! listens to docs/voice/welcome-*.wav); a clip of the right loudness that is noise.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use uketsuke::cli::voice_cache::{VoiceCacheOptions, build, clip_path};
use uketsuke::ui::Language;
use uketsuke::voice::speech::Clip;

/// RMS over the whole clip, as a fraction of full scale: speech comes out of sox at a -3 dBFS
/// peak with an RMS of about 0.07..0.3; near-silence or a click is far below 0.02.
const MIN_RMS: f64 = 0.02;
/// sox's trim threshold (0.3% of full scale): the first and last 10 ms must reach it.
const TRIM_LEVEL: i32 = (0.003 * 32768.0) as i32;

/// Why the cache cannot be built here (a tool or the dictionary missing), if so.
pub fn missing_tools() -> Option<String> {
    let on_path = |name: &str| {
        std::env::var_os("PATH")
            .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
    };
    let missing: Vec<&str> = ["open_jtalk", "espeak-ng", "sox"]
        .into_iter()
        .filter(|t| !on_path(t))
        .collect();
    if !missing.is_empty() {
        return Some(format!(
            "missing {} (scripts/deps test)",
            missing.join(", ")
        ));
    }
    let dictionary = Path::new(uketsuke::cli::voice_cache::DEBIAN_DICTIONARY);
    (!dictionary.join("sys.dic").is_file()).then(|| {
        format!(
            "no Open JTalk dictionary at {} (open-jtalk-mecab-naist-jdic)",
            dictionary.display()
        )
    })
}

/// The cache of every language, built once per test run; `None` (outside CI) without the tools.
pub fn cache() -> Option<&'static Path> {
    static CACHE: OnceLock<Option<PathBuf>> = OnceLock::new();
    CACHE
        .get_or_init(|| {
            if let Some(why) = missing_tools() {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "CI=true and the voice tools are missing: {why}"
                );
                eprintln!("NOT RUN (CI is not set): {why}");
                return None;
            }
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("voice-cache");
            let _ = std::fs::remove_dir_all(&dir);
            // The views are built on a thread of their own: Slint's platform is per thread.
            let out = dir.clone();
            let summary = std::thread::spawn(move || build(&VoiceCacheOptions::new(out)))
                .join()
                .expect("the cache builder does not panic")
                .unwrap_or_else(|e| panic!("voice-cache failed: {e:#}"));
            eprintln!(
                "voice cache: {} clips of {} languages in {:.1} s, {:.1} MB",
                summary.synthesised,
                summary.languages.len(),
                summary.elapsed.as_secs_f64(),
                summary.bytes as f64 / 1e6
            );
            Some(dir)
        })
        .as_deref()
}

/// What the test learns of one clip file.
struct Heard {
    rms: f64,
    seconds: f64,
    head_peak: i32,
    tail_peak: i32,
}

fn hear(path: &Path) -> Heard {
    let mut reader =
        hound::WavReader::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let spec = reader.spec();
    assert_eq!(
        (spec.sample_rate, spec.channels, spec.bits_per_sample),
        (48_000, 1, 16),
        "{}: not 48 kHz mono 16-bit",
        path.display()
    );
    assert_eq!(
        spec.sample_format,
        hound::SampleFormat::Int,
        "{}",
        path.display()
    );
    let samples: Vec<i32> = reader
        .samples::<i16>()
        .map(|s| i32::from(s.unwrap_or_else(|e| panic!("{}: {e}", path.display()))))
        .collect();
    assert!(!samples.is_empty(), "{}: no samples", path.display());
    let energy: f64 = samples
        .iter()
        .map(|&s| (f64::from(s) / 32768.0).powi(2))
        .sum();
    let window = 480.min(samples.len());
    let peak = |part: &[i32]| part.iter().map(|s| s.abs()).max().unwrap_or(0);
    Heard {
        rms: (energy / samples.len() as f64).sqrt(),
        seconds: samples.len() as f64 / 48_000.0,
        head_peak: peak(&samples[..window]),
        tail_peak: peak(&samples[samples.len() - window..]),
    }
}

#[test]
fn every_clip_of_every_language_is_there_audible_and_trimmed() {
    let Some(dir) = cache() else { return };
    let mut problems = Vec::new();
    let mut clips = 0;
    for language in Language::ALL {
        for clip in Clip::all() {
            let path = clip_path(dir, language, clip);
            if !path.is_file() {
                problems.push(format!("{}: missing", path.display()));
                continue;
            }
            clips += 1;
            let heard = hear(&path);
            if heard.rms < MIN_RMS {
                problems.push(format!("{}: silent (RMS {:.4})", path.display(), heard.rms));
            }
            // The shortest: a tick (45 ms), a one-syllable digit (about 100 ms).
            if heard.seconds < 0.03 {
                problems.push(format!("{}: {:.3} s long", path.display(), heard.seconds));
            }
            if heard.head_peak < TRIM_LEVEL || heard.tail_peak < TRIM_LEVEL {
                problems.push(format!(
                    "{}: silence not trimmed (peaks {} at the start, {} at the end)",
                    path.display(),
                    heard.head_peak,
                    heard.tail_peak
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(clips, Language::ALL.len() * Clip::all().len());
}
