//! `uketsuke voice-cache --out DIR [--lang CODE]`: synthesises every voice clip of every
//! language into the cache the kiosk plays (issue 18; layout in [`crate::voice`]).
//!
//! The words are the views' `Voice` global in each language ([`crate::ui::voice_words`]).
//! Japanese (every language code starting `ja`, easy Japanese too) is spoken by `open_jtalk`
//! (Debian `open-jtalk`, dictionary `open-jtalk-mecab-naist-jdic`) with the HTS voice "Mei"
//! (`assets/voice/ja/mei_normal.htsvoice`, CC BY 3.0, see `assets/voice/ja/SOURCE`); every
//! other language by `espeak-ng` with the voice [`recipe`] names (Mandarin `cmn-latn-pinyin`,
//! since `cmn`/`zh` read tone digits in English in espeak-ng 1.51; Tagalog has no espeak-ng
//! voice, so it speaks the English words). Each file then goes through `sox`: silence trimmed
//! at both ends (Open JTalk leads with 185 ms of silence, which alone would break the 150 ms
//! screen-to-sound target), 48 kHz mono signed 16-bit, normalised to -3 dBFS. A clip without
//! words (the PIN key's tick) is a short neutral tone sox makes itself ([`TICK`]).
//!
//! `DIR/<code>/manifest.json` records, per clip file, the words and the recipe (tool, voice,
//! options) that made it; a clip whose words and recipe are unchanged and whose file is there
//! is not synthesised again, so provisioning can run this on every update. Files of clips that
//! no longer exist are removed.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::ui::Language;
use crate::voice::speech::Clip;

/// Open JTalk's dictionary as Debian's `open-jtalk-mecab-naist-jdic` installs it.
pub const DEBIAN_DICTIONARY: &str = "/var/lib/mecab/dic/open-jtalk/naist-jdic";

/// The Japanese voice, relative to the source tree (and to the working directory).
pub const MEI_VOICE: &str = "assets/voice/ja/mei_normal.htsvoice";

/// Open JTalk's speaking rate: a little slower than its default 1.0, for elderly patients.
const JA_RATE: &str = "0.9";
/// espeak-ng's words per minute: slower than its default 175, for elderly patients.
const ESPEAK_WPM: &str = "150";
/// sox's global option: repeatable (dither seeded the same every run), so the same words make
/// the same file.
const SOX_GLOBAL: &str = "-R";
/// sox's output format: 48 kHz mono signed 16-bit WAV.
const SOX_FORMAT: [&str; 10] = [
    "-r",
    "48000",
    "-c",
    "1",
    "-b",
    "16",
    "-e",
    "signed-integer",
    "-t",
    "wav",
];
/// sox's effects: silence below 0.3% of full scale trimmed at both ends (sound starts after
/// 5 ms above it), then peak-normalised to -3 dBFS (research18 §2/§3).
const SOX_EFFECTS: [&str; 13] = [
    "silence", "1", "0.005", "0.3%", "reverse", "silence", "1", "0.005", "0.3%", "reverse", "gain",
    "-n", "-3",
];

/// The options of `uketsuke voice-cache`.
#[derive(Debug, Clone, clap::Args)]
pub struct VoiceCacheOptions {
    /// The cache folder to fill (created if missing): one subfolder per language code.
    #[arg(long)]
    pub out: PathBuf,
    /// Only this language (a code such as `ja` or `en`); default: every language.
    #[arg(long)]
    pub lang: Option<String>,
    /// The Japanese HTS voice (default: assets/voice/ja/mei_normal.htsvoice of the source tree,
    /// or /usr/share/uketsuke/voice-source/mei_normal.htsvoice).
    #[arg(long)]
    pub htsvoice: Option<PathBuf>,
    /// Open JTalk's dictionary folder.
    #[arg(long, default_value = DEBIAN_DICTIONARY)]
    pub dictionary: PathBuf,
    /// How many clips to synthesise at once (default: the number of CPUs, at most 4).
    #[arg(long)]
    pub jobs: Option<usize>,
}

impl VoiceCacheOptions {
    /// Every language into `out`, with the default tools.
    pub fn new(out: impl Into<PathBuf>) -> VoiceCacheOptions {
        VoiceCacheOptions {
            out: out.into(),
            lang: None,
            htsvoice: None,
            dictionary: PathBuf::from(DEBIAN_DICTIONARY),
            jobs: None,
        }
    }
}

/// How one language is spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// `open_jtalk` with the Mei voice.
    OpenJtalk,
    /// `espeak-ng -v VOICE`.
    Espeak(&'static str),
    /// No words: a short neutral tone made by sox (the PIN key's tick, the same in every
    /// language folder): [`TICK`].
    Tick,
}

/// The tick's sox `synth` effect and its shaping: 45 ms of a 1 kHz sine with a 3 ms attack and
/// a 30 ms decay, at -6 dBFS: a soft click with no pitch of a word or digit.
pub const TICK: [&str; 12] = [
    "synth", "0.045", "sine", "1000", "fade", "q", "0.003", "0.045", "0.03", "gain", "-n", "-6",
];

/// The engine of a language, and whose words it speaks (its own, or for a language without a
/// voice, English's), with a note for the technician when it is not the language itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipe {
    pub engine: Engine,
    /// The language whose `Voice` words are spoken.
    pub words_of: Language,
    /// Why the words are another language's, printed with the summary.
    pub note: Option<&'static str>,
}

/// How `language` is spoken, by its code (so languages added later need no change here unless
/// their espeak-ng voice is not their code): `ja*` Open JTalk; `en` en-us; `zh*`
/// cmn-latn-pinyin; `pt*` pt-br; `tl`/`fil` English words in en-us (espeak-ng has no Tagalog,
/// espeak-ng issues #581, #983, #1782); any other code is its own espeak-ng voice.
pub fn recipe(language: Language) -> Recipe {
    let own = |engine| Recipe {
        engine,
        words_of: language,
        note: None,
    };
    let code = language.code();
    let lower = code.to_ascii_lowercase();
    if lower.starts_with("ja") {
        own(Engine::OpenJtalk)
    } else if lower.starts_with("en") {
        own(Engine::Espeak("en-us"))
    } else if lower.starts_with("zh") {
        own(Engine::Espeak("cmn-latn-pinyin"))
    } else if lower.starts_with("pt") {
        own(Engine::Espeak("pt-br"))
    } else if lower == "tl" || lower == "fil" {
        Recipe {
            engine: Engine::Espeak("en-us"),
            words_of: Language::parse("en").unwrap_or(language),
            note: Some("espeak-ng has no Tagalog voice: the English words are spoken"),
        }
    } else {
        // ko, vi, ne and any other language espeak-ng knows by its code.
        own(Engine::Espeak(espeak_voice(code)))
    }
}

/// espeak-ng's voice name for a plain language code (`ko`, `vi`, `ne`, ...), lowercased.
fn espeak_voice(code: &str) -> &'static str {
    match code.to_ascii_lowercase().as_str() {
        "ko" => "ko",
        "vi" => "vi",
        "ne" => "ne",
        "es" => "es",
        "id" => "id",
        "th" => "th",
        "my" => "my",
        "mn" => "mn",
        // Unknown: espeak-ng's default voice reads it, and the summary says so.
        _ => "en-us",
    }
}

/// What `language` says for a clip, made ready for its engine: Nepali's ASCII digits (none
/// should be there) as Devanagari digits, which espeak-ng's `ne` reads in Nepali (it reads ASCII
/// digits in English).
pub fn spoken_text(language: Language, words: &str) -> String {
    if language.code() == "ne" {
        words
            .chars()
            .map(|c| match c.to_digit(10) {
                Some(d) if c.is_ascii_digit() => char::from_u32(0x0966 + d).unwrap_or(c),
                _ => c,
            })
            .collect::<String>()
            .trim()
            .to_owned()
    } else {
        words.trim().to_owned()
    }
}

/// One clip's entry in `manifest.json`: what made its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Made {
    /// The words spoken.
    pub text: String,
    /// The synthesiser: `open_jtalk` or `espeak-ng`.
    pub tool: String,
    /// The voice and its options, e.g. `mei_normal.htsvoice -r 0.9` or `en-us -s 150`.
    pub voice: String,
    /// The sox step.
    pub post: String,
}

/// A language folder's manifest: clip file name → what made it.
pub type Manifest = BTreeMap<String, Made>;

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Clips synthesised in this run.
    pub synthesised: usize,
    /// Clips left as they were (words and recipe unchanged).
    pub unchanged: usize,
    /// Files removed (clips that no longer exist).
    pub removed: usize,
    /// The cache's size on disk, WAVs only, in bytes.
    pub bytes: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Per language: code, synthesised, unchanged, note.
    pub languages: Vec<(String, usize, usize, Option<&'static str>)>,
}

/// `uketsuke voice-cache`: builds the cache and prints what it did, the time and the size.
pub fn command(options: &VoiceCacheOptions) -> Result<()> {
    let summary = build(options)?;
    for (code, synthesised, unchanged, note) in &summary.languages {
        let note = note.map(|n| format!(" ({n})")).unwrap_or_default();
        println!("{code}: {synthesised} synthesised, {unchanged} unchanged{note}");
    }
    println!(
        "voice cache {}: {} clips synthesised, {} unchanged, {} removed in {:.1} s; {:.1} MB",
        options.out.display(),
        summary.synthesised,
        summary.unchanged,
        summary.removed,
        summary.elapsed.as_secs_f64(),
        summary.bytes as f64 / 1_000_000.0
    );
    Ok(())
}

/// One clip to make.
struct Job {
    language: Language,
    engine: Engine,
    text: String,
    file: PathBuf,
}

/// The tools found, each checked before any work starts.
struct Tools {
    open_jtalk: Option<(PathBuf, PathBuf, PathBuf)>,
    espeak: Option<PathBuf>,
    sox: PathBuf,
}

/// Builds (or brings up to date) the cache for the languages of `options`. Errors name the
/// missing tool and its package, the clip and language whose synthesis failed (with the tool's
/// own message), or the folder that could not be written.
pub fn build(options: &VoiceCacheOptions) -> Result<Summary> {
    let started = Instant::now();
    let languages: Vec<Language> = match &options.lang {
        Some(code) => vec![Language::parse(code).with_context(|| {
            let known: Vec<&str> = Language::ALL.iter().map(|l| l.code()).collect();
            format!(
                "--lang {code}: no such language (known: {})",
                known.join(", ")
            )
        })?],
        None => Language::ALL.to_vec(),
    };
    let recipes: Vec<(Language, Recipe)> = languages.iter().map(|&l| (l, recipe(l))).collect();
    let tools = find_tools(options, &recipes)?;
    let mut wanted: Vec<Language> = recipes.iter().map(|(_, r)| r.words_of).collect();
    wanted.sort_by_key(|l| l.code());
    wanted.dedup();
    let words = crate::ui::voice_words::texts(&wanted)?;
    let words_of = |language: Language| {
        words
            .iter()
            .find(|(l, _)| *l == language)
            .map(|(_, w)| w)
            .expect("every language's words were read")
    };

    let mut summary = Summary::default();
    let mut jobs = Vec::new();
    let mut manifests = Vec::new();
    for (language, recipe) in &recipes {
        let dir = options.out.join(language.code());
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the voice cache folder {}", dir.display()))?;
        let old = read_manifest(&dir);
        let mut manifest = Manifest::new();
        let (mut synthesised, mut unchanged) = (0, 0);
        for (clip, text) in words_of(recipe.words_of) {
            let name = clip.file_name();
            // A clip without words (the PIN key's tick) is a tone; one with words must say some.
            let (engine, text) = match text.as_deref().map(|t| spoken_text(*language, t)) {
                None => (Engine::Tick, String::new()),
                Some(text) if text.is_empty() => bail!(
                    "no words for the clip {name} in {} (ui/voice.slint and the language's .po file)",
                    language.code()
                ),
                Some(text) => (recipe.engine, text),
            };
            let made = made_by(engine, &text, &tools);
            let file = dir.join(&name);
            if old.get(&name) == Some(&made) && file.is_file() {
                unchanged += 1;
            } else {
                synthesised += 1;
                jobs.push(Job {
                    language: *language,
                    engine,
                    text,
                    file,
                });
            }
            manifest.insert(name, made);
        }
        summary.removed += remove_stale(&dir, &manifest)?;
        summary.synthesised += synthesised;
        summary.unchanged += unchanged;
        summary.languages.push((
            language.code().to_owned(),
            synthesised,
            unchanged,
            recipe.note,
        ));
        manifests.push((dir, manifest));
    }

    run_jobs(jobs, &tools, options.jobs)?;
    for (dir, manifest) in &manifests {
        write_manifest(dir, manifest)?;
        summary.bytes += wav_bytes(dir)?;
    }
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// What makes a clip with `engine`: the manifest entry compared on the next run.
fn made_by(engine: Engine, text: &str, tools: &Tools) -> Made {
    let post = format!(
        "sox {SOX_GLOBAL} {} {}",
        SOX_FORMAT.join(" "),
        SOX_EFFECTS.join(" ")
    );
    match engine {
        Engine::OpenJtalk => {
            let voice = tools
                .open_jtalk
                .as_ref()
                .and_then(|(_, voice, _)| voice.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Made {
                text: text.to_owned(),
                tool: "open_jtalk".to_owned(),
                voice: format!("{voice} -r {JA_RATE}"),
                post,
            }
        }
        Engine::Espeak(voice) => Made {
            text: text.to_owned(),
            tool: "espeak-ng".to_owned(),
            voice: format!("{voice} -s {ESPEAK_WPM}"),
            post,
        },
        Engine::Tick => Made {
            text: String::new(),
            tool: "sox".to_owned(),
            voice: TICK.join(" "),
            post: format!("sox {SOX_GLOBAL} -n {}", SOX_FORMAT.join(" ")),
        },
    }
}

/// An executable named `name` on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// The tools the recipes need, or an error naming the first one missing and its package.
fn find_tools(options: &VoiceCacheOptions, recipes: &[(Language, Recipe)]) -> Result<Tools> {
    let needs = |wanted: fn(&Engine) -> bool| recipes.iter().any(|(_, r)| wanted(&r.engine));
    let sox = on_path("sox").context("sox not found: install sox (scripts/deps)")?;
    let espeak = if needs(|e| matches!(e, Engine::Espeak(_))) {
        Some(
            on_path("espeak-ng")
                .context("espeak-ng not found: install espeak-ng (scripts/deps)")?,
        )
    } else {
        None
    };
    let open_jtalk = if needs(|e| *e == Engine::OpenJtalk) {
        let binary = on_path("open_jtalk")
            .context("open_jtalk not found: install open-jtalk (scripts/deps)")?;
        let voice = match &options.htsvoice {
            Some(voice) => voice.clone(),
            None => [
                PathBuf::from(MEI_VOICE),
                Path::new(env!("CARGO_MANIFEST_DIR")).join(MEI_VOICE),
                PathBuf::from("/usr/share/uketsuke/voice-source/mei_normal.htsvoice"),
            ]
            .into_iter()
            .find(|p| p.is_file())
            .with_context(|| {
                format!("the Japanese voice {MEI_VOICE} not found: run from the source tree or give --htsvoice FILE")
            })?,
        };
        if !voice.is_file() {
            bail!(
                "the Japanese voice {} not found (--htsvoice)",
                voice.display()
            );
        }
        if !options.dictionary.join("sys.dic").is_file() {
            bail!(
                "Open JTalk's dictionary {} not found: install open-jtalk-mecab-naist-jdic (scripts/deps), or give --dictionary DIR",
                options.dictionary.display()
            );
        }
        Some((binary, voice, options.dictionary.clone()))
    } else {
        None
    };
    Ok(Tools {
        open_jtalk,
        espeak,
        sox,
    })
}

/// Runs `jobs` on `threads` worker threads (default: CPUs, at most 4); the first error wins.
fn run_jobs(jobs: Vec<Job>, tools: &Tools, threads: Option<usize>) -> Result<()> {
    let threads = threads
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get().min(4))
                .unwrap_or(1)
        })
        .clamp(1, jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let failed: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    if failed.lock().map(|f| f.is_some()).unwrap_or(true) {
                        break;
                    }
                    if let Err(e) = synthesise(job, tools) {
                        let mut failed = failed.lock().unwrap_or_else(|p| p.into_inner());
                        failed.get_or_insert(e);
                        break;
                    }
                }
            });
        }
    });
    match failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Makes one clip: the synthesiser writes a raw WAV beside the target, sox writes the trimmed,
/// normalised file beside it (a tick: sox makes it directly), which then replaces the target (so a failed run never leaves a
/// half-written clip under its real name).
fn synthesise(job: &Job, tools: &Tools) -> Result<()> {
    let dir = job
        .file
        .parent()
        .expect("a clip file is in its language folder");
    let stem = job
        .file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let raw = dir.join(format!(".{stem}.raw.wav"));
    let cooked = dir.join(format!(".{stem}.new.wav"));
    let what = format!("{} of {}", stem, job.language.code());
    let result = (|| {
        match job.engine {
            Engine::OpenJtalk => {
                let (binary, voice, dictionary) = tools
                    .open_jtalk
                    .as_ref()
                    .expect("open_jtalk was found for a Japanese recipe");
                let mut command = Command::new(binary);
                command
                    .arg("-x")
                    .arg(dictionary)
                    .arg("-m")
                    .arg(voice)
                    .args(["-r", JA_RATE, "-ow"])
                    .arg(&raw);
                run(&mut command, Some(&job.text), "open_jtalk", &what)?;
            }
            Engine::Espeak(voice) => {
                let binary = tools.espeak.as_ref().expect("espeak-ng was found");
                let mut command = Command::new(binary);
                command
                    .args(["-v", voice, "-s", ESPEAK_WPM, "--stdin", "-w"])
                    .arg(&raw);
                run(&mut command, Some(&job.text), "espeak-ng", &what)?;
            }
            Engine::Tick => {
                let mut sox = Command::new(&tools.sox);
                sox.args([SOX_GLOBAL, "-n"])
                    .args(SOX_FORMAT)
                    .arg(&cooked)
                    .args(TICK);
                run(&mut sox, None, "sox", &what)?;
            }
        }
        if job.engine != Engine::Tick {
            let mut sox = Command::new(&tools.sox);
            sox.arg(SOX_GLOBAL)
                .arg(&raw)
                .args(SOX_FORMAT)
                .arg(&cooked)
                .args(SOX_EFFECTS);
            run(&mut sox, None, "sox", &what)?;
        }
        // 25 ms of 48 kHz s16 after the 44-byte header: anything shorter was trimmed to nothing.
        let len = std::fs::metadata(&cooked).map(|m| m.len()).unwrap_or(0);
        if len < 44 + 2 * 1200 {
            bail!(
                "sox trimmed the clip {what} to silence ({len} bytes): the synthesiser made no sound"
            );
        }
        std::fs::rename(&cooked, &job.file)
            .with_context(|| format!("cannot write {}", job.file.display()))
    })();
    let _ = std::fs::remove_file(&raw);
    let _ = std::fs::remove_file(&cooked);
    result
}

/// Runs a tool, feeding `stdin` if given; an error names the tool, the clip and the tool's own
/// message.
fn run(command: &mut Command, stdin: Option<&str>, tool: &str, what: &str) -> Result<()> {
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = command.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            anyhow::anyhow!("{tool} not found: install it (scripts/deps)")
        } else {
            anyhow::anyhow!("cannot start {tool} for the clip {what}: {e}")
        }
    })?;
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        pipe.write_all(text.as_bytes())
            .and_then(|()| pipe.write_all(b"\n"))
            .with_context(|| format!("cannot give {tool} the words of the clip {what}"))?;
    }
    let output = child
        .wait_with_output()
        .with_context(|| format!("{tool} did not finish for the clip {what}"))?;
    if !output.status.success() {
        let message = String::from_utf8_lossy(&output.stderr);
        let message = message.trim();
        bail!(
            "{tool} failed for the clip {what} ({}){}{message}",
            output.status,
            if message.is_empty() { "" } else { ": " }
        );
    }
    Ok(())
}

/// The manifest of a language folder; empty when missing or unreadable (everything is then
/// synthesised again).
pub fn read_manifest(dir: &Path) -> Manifest {
    std::fs::read(dir.join("manifest.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<()> {
    let path = dir.join("manifest.json");
    let json = serde_json::to_vec_pretty(manifest).context("the manifest serialises")?;
    std::fs::write(&path, json).with_context(|| format!("cannot write {}", path.display()))
}

/// Removes the WAVs of `dir` that are no clip of `manifest`; returns how many.
fn remove_stale(dir: &Path, manifest: &Manifest) -> Result<usize> {
    let mut removed = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry
            .with_context(|| format!("cannot read {}", dir.display()))?
            .path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.ends_with(".wav") && !manifest.contains_key(&name) {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// The bytes of the WAVs in `dir`.
fn wav_bytes(dir: &Path) -> Result<u64> {
    let mut bytes = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry
            .with_context(|| format!("cannot read {}", dir.display()))?
            .path();
        if path.extension().is_some_and(|e| e == "wav") {
            bytes += path.metadata().map(|m| m.len()).unwrap_or(0);
        }
    }
    Ok(bytes)
}

/// The file of `clip` for `language` in the cache at `dir`.
pub fn clip_path(dir: &Path, language: Language, clip: Clip) -> PathBuf {
    dir.join(language.code()).join(clip.file_name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_is_open_jtalk_and_english_espeak() {
        assert_eq!(recipe(Language::Japanese).engine, Engine::OpenJtalk);
        assert_eq!(recipe(Language::English).engine, Engine::Espeak("en-us"));
        assert_eq!(recipe(Language::English).note, None);
    }

    #[test]
    fn nepali_digits_become_devanagari_and_others_are_kept() {
        assert_eq!(spoken_text(Language::English, " one two "), "one two");
        for language in Language::ALL {
            if language.code() == "ne" {
                assert_eq!(spoken_text(language, "12"), "१२");
            } else {
                assert_eq!(spoken_text(language, "12"), "12");
            }
        }
    }

    #[test]
    fn a_changed_word_or_voice_changes_the_manifest_entry() {
        let tools = Tools {
            open_jtalk: None,
            espeak: None,
            sox: PathBuf::from("sox"),
        };
        let a = made_by(Engine::Espeak("en-us"), "one", &tools);
        assert_eq!(a, made_by(Engine::Espeak("en-us"), "one", &tools));
        assert_ne!(a, made_by(Engine::Espeak("en-us"), "two", &tools));
        assert_ne!(a, made_by(Engine::Espeak("vi"), "one", &tools));
        assert_ne!(a, made_by(Engine::OpenJtalk, "one", &tools));
        assert_ne!(a, made_by(Engine::Tick, "", &tools));
    }
}
