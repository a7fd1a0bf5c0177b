//! The command line: `main` parses it and hands each subcommand to its own file here. The
//! composition root (`compose`) builds the adapters the subcommands need; nothing in the
//! library imports this module.
//!
//! # Layout
//! - [`compose`]: readers, gateways, rules and facility settings from the command line's words.
//! - [`check_in`], [`report`], [`demo`], [`console`], [`staff`], [`run`], [`screenshots`],
//!   [`doctor`], [`provision`], [`deliver`], [`voice_cache`]: one subcommand each, its options
//!   and its body.

use std::process::ExitCode;

use chrono::{DateTime, FixedOffset};
use clap::{Parser, Subcommand};

pub mod check_in;
pub mod compose;
pub mod console;
pub mod deliver;
#[cfg(feature = "sim")]
pub mod demo;
pub mod doctor;
pub mod provision;
pub mod report;
pub mod run;
pub mod screenshots;
pub mod staff;
pub mod voice_cache;

#[derive(Parser)]
#[command(
    name = "uketsuke",
    version,
    about = "Self-check-in kiosk for Japanese clinics"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The kiosk in a window, with a panel to tap simulated cards and phones and to choose the
    /// simulated gateway's answer (`--terminal`: printed demonstration check-ins instead).
    #[cfg(feature = "sim")]
    Demo(demo::DemoOptions),
    /// The kiosk full-screen on the device (DRM/KMS; build with `--features device`).
    Run(run::RunOptions),
    /// Renders every screen, in Japanese and English, at every supported resolution, to PNG
    /// files named SCREEN-LANG-WxH.png.
    Screenshots(screenshots::ScreenshotsOptions),
    /// One check-in through the flow, with the patient's actions from a script.
    CheckIn(check_in::CheckInOptions),
    /// Checks the card reader (whether pcscd runs, which readers it lists, what is on them, which
    /// one the kiosk uses) and the Japanese font. Exits non-zero when the kiosk could not read
    /// cards or show Japanese.
    Doctor(doctor::DoctorOptions),
    /// Sets this kiosk up from a provisioning file (facility, kiosk, console, clock, first
    /// technician; the password on stdin): checks every key, then writes the data folder.
    Provision(provision::ProvisionOptions),
    /// The staff console (web) alone, on the database a kiosk writes; serves until stopped.
    Console(console::ConsoleOptions),
    /// Staff accounts.
    #[command(subcommand)]
    Staff(staff::StaffCommand),
    /// Monthly check-ins by verification method and the My Number usage-rate share.
    Report(report::ReportOptions),
    /// Registers completed check-ins as receptions in the clinic's ORCA (facility file key
    /// `orca`), exactly once, retrying with backoff; runs until stopped (`--once`: one pass).
    Deliver(deliver::DeliverOptions),
    /// Synthesises every voice prompt of every language into the cache the kiosk plays (Open
    /// JTalk for Japanese, espeak-ng for the others, sox to trim and normalise); clips whose
    /// words did not change are kept.
    VoiceCache(voice_cache::VoiceCacheOptions),
}

/// Parses the command line and runs the subcommand. Errors are printed for technicians (each
/// names the file, option or device at fault) and end in a non-zero exit code.
pub fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    let ok = |r: anyhow::Result<()>| r.map(|()| ExitCode::SUCCESS);
    let result = match cli.command {
        #[cfg(feature = "sim")]
        Command::Demo(options) => ok(demo::demo(&options)),
        Command::Run(options) => ok(run::run(&options)),
        Command::Screenshots(options) => screenshots::command(&options),
        Command::CheckIn(options) => ok(check_in::check_in(&options)),
        Command::Console(options) => ok(console::console(&options)),
        Command::Staff(command) => ok(staff::command(&command)),
        Command::Report(options) => ok(report::command(&options)),
        Command::Doctor(options) => doctor::command(&options),
        Command::Provision(options) => ok(provision::command(&options)),
        Command::Deliver(options) => ok(deliver::command(&options)),
        Command::VoiceCache(options) => ok(voice_cache::command(&options)),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("uketsuke: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr; `UKETSUKE_LOG` sets the filter (default `warn`). No personal data is
/// ever logged at any level.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("UKETSUKE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    use std::io::IsTerminal as _;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

/// Now, in Japan's time zone (the kiosk's day is Japan's day).
pub fn now() -> DateTime<FixedOffset> {
    crate::dates::now().with_timezone(&crate::rules::JST)
}
