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
    /// Runs demonstration check-ins (a card, a phone the kiosk cannot read) with the simulated
    /// reader and gateway, and prints the records and the month's report.
    Demo {
        /// Folder for the demo database.
        #[arg(long, default_value = "uketsuke-demo")]
        data_dir: PathBuf,
    },
    /// One check-in through the flow, with the patient's actions from a script.
    CheckIn {
        /// Run without a screen (the only mode until the patient UI arrives).
        #[arg(long)]
        headless: bool,
        /// The reader: `sim:PROFILE` (card, phone, iphone, transit, resident-card, payment,
        /// unknown-device, mute; options like `sim:card,tries=2,pin=1234,remove-after=5`).
        #[arg(long, default_value = "sim:card")]
        reader: String,
        /// The eligibility gateway: `sim` or `sim:PERSONA`.
        #[arg(long, default_value = "sim")]
        gateway: String,
        /// The SQLite database file (created if missing).
        #[arg(long)]
        db: PathBuf,
        /// The patient script (JSON; see README).
        #[arg(long)]
        patient: PathBuf,
        /// National rules JSON (default: the rules built in).
        #[arg(long)]
        rules: Option<PathBuf>,
        /// Facility configuration JSON (default: all defaults).
        #[arg(long)]
        facility: Option<PathBuf>,
        /// Run the script this many times, printing one JSON line per committed check-in.
        #[arg(long, default_value_t = 1)]
        repeat: u64,
    },
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

fn main() -> ExitCode {
    uketsuke::app::init_tracing();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo { data_dir } => uketsuke::app::demo(&data_dir),
        Command::CheckIn {
            headless,
            reader,
            gateway,
            db,
            patient,
            rules,
            facility,
            repeat,
        } => uketsuke::app::check_in(&uketsuke::app::CheckInOptions {
            headless,
            reader,
            gateway,
            db,
            patient,
            rules,
            facility,
            repeat,
        }),
        Command::Report { month, db, format } => uketsuke::app::report(&month, &db, &format),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("uketsuke: {e:#}");
            ExitCode::FAILURE
        }
    }
}
