//! Voice guidance (issue 18): the time from a screen change (the runtime's call,
//! `Voice::present`) to the first non-zero sample handed to the sound card, target ≤ 150 ms;
//! CPU while speaking; the cache's size on disk.
//!
//! - Recording fake (always): a thread takes 10 ms blocks as a device's callback would, without
//!   waiting for real time: what the voice's own path costs (message, file open, WAV decode,
//!   hand-over), without the device's buffer.
//! - Real path (rodio → cpal → ALSA), when a sound output opens (a sound card, or a PulseAudio
//!   server, e.g. a null sink behind ALSA's pulse plugin): the first sample taken by cpal's
//!   callback. The device's own buffer (rodio aims at 50 ms) comes on top before it is heard.
//!
//! `cargo bench --bench voice` runs 50 changes and paces the CPU measurement in real time (3 s);
//! under `cargo test` it is a smoke run (5 changes, unpaced). `UKETSUKE_VOICE_DIR=DIR` sizes
//! that cache (default: `uketsuke::voice::default_dir()`).

#[path = "../tests/fakes/voice_sink.rs"]
mod voice_sink;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use uketsuke::flow::{CheckInFlow, Screen, View};
use uketsuke::rules::{FacilityConfig, Rules};
use uketsuke::voice::player::Outputs;
use uketsuke::voice::speech::{Clip, Prompt};
use uketsuke::voice::{SAMPLE_RATE, Voice, VoiceSettings};
use voice_sink::RecordingSink;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let benching = args.iter().any(|a| a == "--bench");
    let quick = args.iter().any(|a| a == "--quick") || !benching;
    let changes = if quick { 5 } else { 50 };
    let cache = tempfile::tempdir().expect("a temporary folder");
    write_cache(cache.path());
    // A real cache (UKETSUKE_VOICE_DIR, made by `uketsuke voice-cache`) speaks its own clips;
    // else the tones written here.
    let real_cache = std::env::var_os("UKETSUKE_VOICE_DIR")
        .map(std::path::PathBuf::from)
        .filter(|d| d.join("ja").join("welcome.wav").is_file());
    let settings = VoiceSettings {
        volume: 60,
        dir: Some(
            real_cache
                .clone()
                .unwrap_or_else(|| cache.path().to_owned()),
        ),
        ..VoiceSettings::default()
    };
    println!(
        "clips from {}",
        real_cache
            .as_ref()
            .map_or("tones written by the benchmark".to_owned(), |d| {
                format!("the cache {}", d.display())
            })
    );
    let welcome = CheckInFlow::new(Rules::embedded(), FacilityConfig::default()).view();
    let reading = View {
        screen: Screen::Reading,
        ..welcome.clone()
    };
    let views = [reading, welcome];

    println!(
        "== voice: screen change → first non-zero sample taken by the sink ({changes} changes)"
    );
    let sink = RecordingSink::new();
    let fake = {
        let sink = sink.clone();
        Voice::start(&settings, move || {
            Ok(Outputs {
                loudspeaker: Box::new(sink),
                headphone: None,
                device: "recording fake".into(),
                problems: Vec::new(),
            })
        })
    };
    let stop = Arc::new(AtomicBool::new(false));
    let puller = {
        let (sink, stop) = (sink.clone(), stop.clone());
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                sink.pull(480);
                thread::sleep(Duration::from_millis(1));
            }
        })
    };
    report("recording fake", &latencies(fake, &views, changes));
    stop.store(true, Ordering::Relaxed);
    puller.join().expect("the puller ends");

    let real = Voice::open(&settings);
    match real.state() {
        uketsuke::voice::VoiceState::On { device } => {
            let label = format!("rodio/ALSA {device:?} (+ the device buffer, ~50 ms)");
            report(&label, &latencies(real, &views, changes));
        }
        other => println!("{:<44} skipped: {other:?}", "rodio/ALSA"),
    }

    println!("== voice: CPU while speaking a 3 s prompt (utime+stime of the process)");
    cpu_while_speaking(&settings, &views[1], benching);

    println!("== voice: cache size on disk");
    let dir = std::env::var_os("UKETSUKE_VOICE_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(uketsuke::voice::default_dir);
    cache_size(&dir);
}

/// Each change's time from `present` to the first sound taken by the sink.
fn latencies(mut voice: Voice, views: &[View; 2], changes: usize) -> Vec<Duration> {
    let mut times = Vec::new();
    for i in 0..changes {
        let start = Instant::now();
        voice.present(&views[i % 2], "ja");
        let end = start + Duration::from_secs(5);
        loop {
            if let Some(heard) = voice.first_sound()
                && heard >= start
            {
                times.push(heard - start);
                break;
            }
            if Instant::now() > end {
                println!("  change {i}: no sound within 5 s");
                break;
            }
            thread::sleep(Duration::from_micros(200));
        }
        thread::sleep(Duration::from_millis(20));
    }
    voice.stop();
    times
}

fn report(label: &str, times: &[Duration]) {
    if times.is_empty() {
        println!("{label:<44} no sound");
        return;
    }
    let mut sorted = times.to_vec();
    sorted.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let verdict = if ms(sorted[sorted.len() - 1]) <= 150.0 {
        "within"
    } else {
        "OVER"
    };
    println!(
        "{label}\n    first {:>7.2} ms  p50 {:>7.2} ms  p90 {:>7.2} ms  max {:>7.2} ms  ({verdict} the 150 ms target)",
        ms(times[0]),
        ms(sorted[sorted.len() / 2]),
        ms(sorted[sorted.len() * 9 / 10]),
        ms(sorted[sorted.len() - 1])
    );
}

/// The process's CPU time so far (utime + stime of /proc/self/stat, in USER_HZ = 100 ticks).
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or_default();
    // After the name: state, then proc(5)'s fields 4..; utime and stime are its 14th and 15th.
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let ticks = field(11) + field(12);
    Duration::from_millis(ticks * 10)
}

/// The welcome prompt (3 s) spoken into the fake: paced in real time (`--bench`, one 10 ms
/// block every 10 ms, as a device takes them), or as fast as the sink takes it, 20 times over
/// (the smoke run: the same work, without the wait).
fn cpu_while_speaking(settings: &VoiceSettings, view: &View, paced: bool) {
    let sink = RecordingSink::new();
    let mut voice = {
        let sink = sink.clone();
        Voice::start(settings, move || {
            Ok(Outputs {
                loudspeaker: Box::new(sink),
                headphone: None,
                device: "recording fake".into(),
                problems: Vec::new(),
            })
        })
    };
    let rounds = if paced { 1 } else { 20 };
    let (wall, cpu_before) = (Instant::now(), cpu());
    let mut samples = 0;
    voice.present(view, "ja");
    for round in 0..rounds {
        if round > 0 {
            voice.repeat();
        }
        sink.wait_for_playing(Duration::from_secs(10));
        while sink.playing() {
            samples += sink.pull(480).len();
            if paced {
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
    let (wall, used) = (wall.elapsed(), cpu() - cpu_before);
    let audio = Duration::from_secs_f64(samples as f64 / f64::from(SAMPLE_RATE));
    println!(
        "{:<44} {:.1} s of audio in {:.2} s: CPU {} ms = {:.1} % of one core per second of speech",
        if paced {
            "paced (real time)"
        } else {
            "unpaced, 20 prompts"
        },
        audio.as_secs_f64(),
        wall.as_secs_f64(),
        used.as_millis(),
        100.0 * used.as_secs_f64() / audio.as_secs_f64().max(1e-9)
    );
}

fn cache_size(dir: &Path) {
    let Ok(languages) = std::fs::read_dir(dir) else {
        println!("{:<44} no cache at {}", "cache", dir.display());
        return;
    };
    let mut total = 0;
    let mut rows = Vec::new();
    for language in languages.flatten() {
        let (mut bytes, mut files) = (0u64, 0);
        for file in std::fs::read_dir(language.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            bytes += file.metadata().map(|m| m.len()).unwrap_or(0);
            files += 1;
        }
        total += bytes;
        rows.push((
            language.file_name().to_string_lossy().into_owned(),
            files,
            bytes,
        ));
    }
    rows.sort();
    for (language, files, bytes) in rows {
        println!(
            "{language:<44} {files:>4} files {:>8.1} KB",
            bytes as f64 / 1024.0
        );
    }
    println!(
        "{:<44} {:>8.1} MB in {}",
        "total",
        total as f64 / 1048576.0,
        dir.display()
    );
}

/// A Japanese cache: every clip 0.5 s of a tone, the welcome prompt 3 s.
fn write_cache(dir: &Path) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    std::fs::create_dir_all(dir.join("ja")).expect("the cache folder");
    for clip in Clip::all() {
        let seconds = if clip == Clip::Prompt(Prompt::Welcome) {
            3.0
        } else {
            0.5
        };
        let mut wav = hound::WavWriter::create(dir.join("ja").join(clip.file_name()), spec)
            .expect("a clip file");
        let n = (seconds * f64::from(SAMPLE_RATE)) as usize;
        for i in 0..n {
            let t = i as f64 / f64::from(SAMPLE_RATE);
            let s = (t * 440.0 * std::f64::consts::TAU).sin() * 0.3 * 32767.0;
            wav.write_sample(s as i16).expect("a sample");
        }
        wav.finalize().expect("a clip file");
    }
}
