//! `uketsuke console`: the staff console alone, on the database a kiosk writes.

use std::path::PathBuf;

use anyhow::{Result, bail};

use super::compose::{load_facility, load_rules, terminal_folder};
use crate::console::Console;
use crate::store::Store;

/// The options of `uketsuke console`.
#[derive(Debug, clap::Args)]
pub struct ConsoleOptions {
    /// The SQLite database file the kiosk writes (created if missing).
    #[arg(long)]
    pub db: PathBuf,
    /// National rules JSON (default: the rules built in).
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Facility configuration JSON; its `console` key sets the address and sign-in rules.
    #[arg(long)]
    pub facility: Option<PathBuf>,
    /// Listen here instead of the facility configuration's `console.bind` (port 0: any free).
    /// Beyond loopback the console serves HTTPS only: with `console.tls_certificate` and `console.tls_key` from the facility file,
    /// or a self-signed certificate kept beside the database (made on first start).
    #[arg(long)]
    pub bind: Option<String>,
    /// Send the sign-in cookie over plain HTTP too (closed networks without TLS; not needed for
    /// 127.0.0.1).
    #[arg(long)]
    pub insecure_cookies: bool,
    /// The kiosk's eligibility gateway, as `run --gateway` takes it: with `oqs:DIR` (DIR the
    /// eligibility terminal's shared folder, holding `req` and `res`) the resolve page can ask
    /// the terminal by insurance numbers. Default: the facility file's `gateway`.
    #[arg(long)]
    pub gateway: Option<String>,
}

/// `uketsuke console`: the staff console alone, until stopped. Prints its address on stdout.
pub fn console(options: &ConsoleOptions) -> Result<()> {
    let rules = load_rules(options.rules.as_deref())?;
    let facility = load_facility(options.facility.as_deref())?;
    let mut settings = facility.console;
    settings.facility_name = facility.facility.name.clone();
    settings.waiting_place = facility.waiting_place;
    if let Some(bind) = &options.bind {
        if bind.parse::<std::net::SocketAddr>().is_err() {
            bail!("--bind {bind}: use an address and port such as 127.0.0.1:8080");
        }
        settings.bind = bind.clone();
    }
    if options.insecure_cookies {
        settings.secure_cookies = false;
    }
    let gateway = options.gateway.as_deref().unwrap_or(&facility.gateway);
    settings.eligibility_terminal = terminal_folder(gateway);
    settings.medical_institution_code = facility.facility.code.clone();
    settings.orca_configured = facility.orca.is_some();
    if let Some(folder) = &settings.eligibility_terminal {
        if !folder.is_dir() {
            bail!(
                "--gateway {gateway}: {} is not a folder (the eligibility terminal's shared folder, holding req and res)",
                folder.display()
            );
        }
        if settings.medical_institution_code.is_empty() {
            bail!(
                "--gateway {gateway}: the facility file's facility.code (the 10-digit 医療機関コード) is needed to ask the eligibility terminal"
            );
        }
    }
    // A self-signed certificate, when one is needed, is kept in the database's folder.
    settings.data_dir = Some(
        options
            .db
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."))
            .to_owned(),
    );
    let store = Store::open(&options.db)?;
    let console = Console::start(store.clone(), rules, &settings)?;
    if store.staff_accounts()?.is_empty() {
        eprintln!(
            "uketsuke: no staff account yet: add one with `uketsuke staff add --db {} --login NAME --name NAME --role technician`",
            options.db.display()
        );
    }
    println!("staff console: {}", console.announcement());
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    console.wait();
    Ok(())
}
