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
    CheckIn(uketsuke::app::CheckInOptions),
    /// Checks the card reader: whether pcscd runs, which readers it lists, what is on them,
    /// and which one the kiosk uses. Exits non-zero when the kiosk could not read cards.
    Doctor {
        /// Part of the reader's name to use (default: the first reader).
        #[arg(long)]
        reader: Option<String>,
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
        Command::CheckIn(options) => uketsuke::app::check_in(&options),
        Command::Report { month, db, format } => uketsuke::app::report(&month, &db, &format),
        Command::Doctor { reader } => {
            let (report, usable) = uketsuke::app::doctor(reader.as_deref());
            print!("{report}");
            if usable {
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
