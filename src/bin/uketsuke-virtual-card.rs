//! `uketsuke-virtual-card`: puts a simulated card or phone on a vsmartcard vpcd reader inside a
//! real pcscd, until the process is stopped (stopping it takes the card off the reader). For
//! tests, demonstrations and technicians; never for a kiosk.
//!
//! Example: `uketsuke-virtual-card card,tries=2` then, in another terminal,
//! `uketsuke check-in --headless --reader pcsc --db d.db --patient card.json`.
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use uketsuke::card::apdu::hex;
use uketsuke::card::sim::{SimulatedCard, lock};
use uketsuke::reader::SimSpec;
use uketsuke::vpcd::{DEFAULT_PORT, VirtualCard, WhenDropped, WireFaults};

#[derive(Parser)]
#[command(name = "uketsuke-virtual-card", version)]
struct Cli {
    /// What to put on the reader: card, phone, iphone, transit, resident-card, payment,
    /// unknown-device or mute, with options such as `card,tries=2,pin=1234,remove-after=5`.
    what: String,
    /// vpcd's port on 127.0.0.1 (35963 is the first slot of Debian's vpcd entry).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// Answer each APDU this many milliseconds late (a slow card).
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
}

fn main() -> ExitCode {
    uketsuke::cli::init_tracing();
    let cli = Cli::parse();
    let spec: SimSpec = match cli.what.parse() {
        Ok(spec) => spec,
        Err(e) => {
            eprintln!("uketsuke-virtual-card: {e}");
            return ExitCode::FAILURE;
        }
    };
    let card = SimulatedCard::new(spec.profile, spec.options).shared();
    let atr = hex(lock(&card).atr());
    let faults = WireFaults {
        delay: Duration::from_millis(cli.delay_ms),
        ..WireFaults::default()
    };
    // Like a card left lying on the reader: back after a pcscd restart or a remove-after fault.
    let when_dropped = WhenDropped::ComeBackAfter(Duration::from_millis(300));
    let _virtual_card = match VirtualCard::insert_local(cli.port, card, faults, when_dropped) {
        Ok(card) => card,
        Err(e) => {
            eprintln!(
                "uketsuke-virtual-card: cannot reach vpcd on 127.0.0.1:{}: {e}; is pcscd running \
                 with the vpcd reader (scripts/pcscd start)?",
                cli.port
            );
            return ExitCode::FAILURE;
        }
    };
    let profile = cli.what.split(',').next().unwrap_or_default();
    eprintln!(
        "uketsuke-virtual-card: {profile} on the vpcd reader at 127.0.0.1:{} (ATR {atr}); stop \
         this process to take it off",
        cli.port
    );
    loop {
        std::thread::park();
    }
}
