//! `uketsuke console`: the staff console alone, on the database a kiosk writes; or, with
//! `--central`, a hospital desk's console across every kiosk (issue 19 item 2).

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
    /// The hospital's central database, e.g. postgres://uketsuke@db.hospital.lan/uketsuke (no
    /// password in it): the queue, the handoffs and the report of every kiosk, live. Sign-in
    /// and staff accounts stay in --db.
    #[arg(long, requires = "desk")]
    pub central: Option<String>,
    /// A file holding the central database's password on its first line.
    #[arg(long, requires = "central")]
    pub central_password_file: Option<PathBuf>,
    /// A PEM file of the authority that signed the central database's certificate (TLS
    /// required then).
    #[arg(long, requires = "central")]
    pub central_ca_file: Option<PathBuf>,
    /// This desk's name as staff say it (e.g. 受付2 or desk-2): recorded with each decision
    /// and shown to a desk that decides the same handoff later.
    #[arg(long, requires = "central")]
    pub desk: Option<String>,
}

/// The central database and this desk, from `--central`, `--central-password-file`,
/// `--central-ca-file` and `--desk`; the schema brought up to this build's version (as a kiosk
/// does). Errors name the option.
fn central_desk(options: &ConsoleOptions) -> Result<Option<crate::console::CentralDesk>> {
    let Some(url) = &options.central else {
        return Ok(None);
    };
    let desk = options.desk.as_deref().map(str::trim).unwrap_or_default();
    if desk.is_empty() || desk.chars().count() > 40 {
        bail!("--desk: name this desk in 1 to 40 characters (e.g. desk-2)");
    }
    let mut settings = crate::central_settings::CentralSettings::new(url, "console");
    settings.password_file = options.central_password_file.clone();
    settings.ca_file = options.central_ca_file.clone();
    if let Some((key, what)) = settings.problems().into_iter().next() {
        bail!("--central: {key} {what}");
    }
    let mut central = crate::central::Central::connect(&settings)
        .map_err(|e| anyhow::anyhow!("--central: {e}"))?;
    central
        .migrate()
        .map_err(|e| anyhow::anyhow!("--central: {e}"))?;
    Ok(Some(crate::console::CentralDesk {
        settings,
        desk: desk.to_owned(),
    }))
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
    let central = central_desk(options)?;
    let store = Store::open(&options.db)?;
    // Staff accounts once (issue 19 item 4): a desk signs its staff in against the central
    // accounts, copied into its own store as a kiosk copies them (first now, then every few
    // seconds on a thread of its own), so sign-in works while the central database is down.
    if let Some(desk) = &central {
        let mut settings = desk.settings.clone();
        settings.kiosk_id = desk.desk.clone();
        let mut copier =
            crate::central::worker::Worker::new(Store::open(&options.db)?, settings, &desk.desk);
        if let Err(e) = copier.copy_staff() {
            eprintln!("uketsuke: --central: staff accounts not copied yet: {e}");
        }
        std::thread::Builder::new()
            .name("central-staff".to_owned())
            .spawn(move || {
                let never = std::sync::atomic::AtomicBool::new(false);
                copier.copy_staff_until(std::time::Duration::from_secs(3), &never);
            })
            .map_err(|e| anyhow::anyhow!("cannot start the staff-account copy thread: {e}"))?;
    }
    let console = Console::start_with_central(store.clone(), rules, &settings, central)?;
    if store.staff_accounts()?.is_empty() && options.central.is_none() {
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
