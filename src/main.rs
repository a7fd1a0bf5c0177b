//! The `uketsuke` binary: parses the command line and hands over to `uketsuke::app`.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    Demo(uketsuke::app::DemoOptions),
    /// The kiosk full-screen on the device (DRM/KMS; build with `--features device`).
    Run(uketsuke::app::RunOptions),
    /// Renders every screen, in Japanese and English, at every supported resolution, to PNG
    /// files named SCREEN-LANG-WxH.png.
    Screenshots {
        /// The folder to write to (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Only this one, e.g. `welcome-ja-1080x1920`.
        #[arg(long)]
        only: Option<String>,
    },
    /// One check-in through the flow, with the patient's actions from a script.
    CheckIn(uketsuke::app::CheckInOptions),
    /// Checks the card reader (whether pcscd runs, which readers it lists, what is on them, which
    /// one the kiosk uses) and the Japanese font. Exits non-zero when the kiosk could not read
    /// cards or show Japanese.
    Doctor {
        /// Part of the reader's name to use (default: the first reader).
        #[arg(long)]
        reader: Option<String>,
    },
    /// The staff console (web) alone, on the database a kiosk writes; serves until stopped.
    Console(uketsuke::app::ConsoleOptions),
    /// Staff accounts.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Monthly check-ins by verification method and the My Number usage-rate share.
    Report {
        /// The month, YYYY-MM.
        #[arg(long)]
        month: String,
        /// The SQLite database file.
        #[arg(long)]
        db: PathBuf,
        /// `table` for people, `csv` for spreadsheets.
        #[arg(long, default_value = "table")]
        format: String,
    },
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Adds an account (the first one, a technician, is made this way); the password is read
    /// from standard input.
    Add(uketsuke::app::StaffAddOptions),
    /// Sets an account's kiosk PIN (6 to 8 digits, read from standard input), which opens the
    /// staff mode on the kiosk.
    Pin(uketsuke::app::StaffPinOptions),
}

fn main() -> ExitCode {
    uketsuke::app::init_tracing();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(options) => uketsuke::app::demo(&options),
        Command::Run(options) => uketsuke::app::run(&options),
        Command::Screenshots { out, only } => {
            match uketsuke::app::screenshots(&out, only.as_deref()) {
                Ok((written, overflowing)) => {
                    println!("{written} screenshots in {}", out.display());
                    for line in &overflowing {
                        eprintln!("uketsuke: does not fit: {line}");
                    }
                    if overflowing.is_empty() {
                        Ok(())
                    } else {
                        return ExitCode::FAILURE;
                    }
                }
                Err(e) => Err(e),
            }
        }
        Command::CheckIn(options) => uketsuke::app::check_in(&options),
        Command::Console(options) => uketsuke::app::console(&options),
        Command::Staff(StaffCommand::Add(options)) => uketsuke::app::staff_add(&options),
        Command::Staff(StaffCommand::Pin(options)) => uketsuke::app::staff_pin(&options),
        Command::Report { month, db, format } => uketsuke::app::report(&month, &db, &format),
        Command::Doctor { reader } => {
            let (report, usable) = uketsuke::app::doctor(reader.as_deref());
            print!("{report}");
            let (fonts, fonts_ok) = uketsuke::app::font_check();
            print!("{fonts}");
            if usable && fonts_ok {
                Ok(())
            } else {
                return ExitCode::FAILURE;
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("uketsuke: {e:#}");
            ExitCode::FAILURE
        }
    }
}
