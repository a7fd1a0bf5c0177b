//! `uketsuke staff add|pin|unlock`: staff accounts from the technician's shell; secrets from standard
//! input only.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use super::now;
use crate::staff::{NewStaffAccount, Role};
use crate::store::Store;

/// `uketsuke staff …`.
#[derive(Debug, clap::Subcommand)]
pub enum StaffCommand {
    /// Adds an account (the first one, a technician, is made this way); the password is read
    /// from standard input.
    Add(StaffAddOptions),
    /// Sets an account's kiosk PIN (6 to 8 digits, read from standard input), which opens the
    /// staff mode on the kiosk.
    Pin(StaffPinOptions),
    /// Lifts an account's lock (wrong passwords or kiosk PINs), for when no technician can sign
    /// in to the console; audited.
    Unlock(StaffUnlockOptions),
}

/// Runs one `staff` subcommand.
pub fn command(command: &StaffCommand) -> Result<()> {
    match command {
        StaffCommand::Add(options) => staff_add(options),
        StaffCommand::Pin(options) => staff_pin(options),
        StaffCommand::Unlock(options) => staff_unlock(options),
    }
}

/// The hospital's central database, for accounts kept once for every kiosk and desk (issue 19
/// item 4); the kiosks copy them at their next pass.
#[derive(Debug, Clone, clap::Args)]
pub struct CentralTarget {
    /// The central database instead of one kiosk's file, e.g.
    /// postgres://uketsuke@db.hospital.lan/uketsuke (no password in it).
    #[arg(long, conflicts_with = "db")]
    pub central: Option<String>,
    /// A file holding the central database's password on its first line.
    #[arg(long, requires = "central")]
    pub central_password_file: Option<PathBuf>,
    /// A PEM file of the authority that signed the central database's certificate.
    #[arg(long, requires = "central")]
    pub central_ca_file: Option<PathBuf>,
}

impl CentralTarget {
    /// The connection, when `--central` was given.
    fn connect(&self) -> Result<Option<crate::central::Central>> {
        let Some(url) = &self.central else {
            return Ok(None);
        };
        let mut settings = crate::central_settings::CentralSettings::new(url, "cli");
        settings.password_file = self.central_password_file.clone();
        settings.ca_file = self.central_ca_file.clone();
        if let Some((key, what)) = settings.problems().into_iter().next() {
            bail!("--central: {key} {what}");
        }
        let mut central = crate::central::Central::connect(&settings)?;
        central.migrate()?;
        Ok(Some(central))
    }
}

/// `--db`, or the error when neither it nor `--central` was given.
fn db_of(db: &Option<PathBuf>) -> Result<&PathBuf> {
    db.as_ref()
        .ok_or_else(|| anyhow::anyhow!("give --db (one kiosk) or --central (every kiosk)"))
}

/// The options of `uketsuke staff add`.
#[derive(Debug, clap::Args)]
pub struct StaffAddOptions {
    /// The SQLite database file (created if missing).
    #[arg(long)]
    pub db: Option<PathBuf>,
    #[command(flatten)]
    pub central: CentralTarget,
    /// The login name (a-z, 0-9, '.', '_', '-').
    #[arg(long)]
    pub login: String,
    /// The name the console shows.
    #[arg(long)]
    pub name: String,
    /// `staff` (スタッフ: reception), `manager` (管理者: also corrects anyone's records the same
    /// day and looks after staff accounts) or `technician` (技術担当: every account).
    #[arg(long, default_value = "staff")]
    pub role: String,
}

/// `uketsuke staff add`: the first account (and any other), its password read from standard
/// input (one line), never from the command line where `ps` would show it.
pub fn staff_add(options: &StaffAddOptions) -> Result<()> {
    if let Some(problem) = crate::staff::login_problem(&options.login) {
        bail!("--login {:?}: {problem}", options.login);
    }
    let role = Role::parse(&options.role).ok_or_else(|| {
        anyhow::anyhow!("--role {}: use staff, manager or technician", options.role)
    })?;
    let name = options.name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        bail!("--name: a display name has 1 to 64 characters");
    }
    use std::io::IsTerminal as _;
    if std::io::stdin().is_terminal() {
        eprint!(
            "password for {} (shown as you type; at least 10 characters): ",
            options.login
        );
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']);
    if let Some(problem) = crate::staff::password_problem(password) {
        bail!("password from standard input: {problem}");
    }
    let password_hash = crate::password::hash(password)?;
    if let Some(mut central) = options.central.connect()? {
        central.put_staff(&options.login, name, role, &password_hash)?;
        println!(
            "added {} account {} ({}) to the central database; kiosks copy it at their next pass",
            role.as_str(),
            options.login,
            name
        );
        return Ok(());
    }
    let db = db_of(&options.db)?;
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data folder {}", dir.display()))?;
    }
    let store = Store::open(db)?;
    let account = store.add_staff(&NewStaffAccount {
        login: options.login.clone(),
        display_name: name.to_owned(),
        role,
        password_hash,
        created_at: now(),
        created_by: "cli".to_owned(),
    })?;
    println!(
        "added {} account {} ({})",
        account.role.as_str(),
        account.login,
        account.display_name
    );
    Ok(())
}

/// The options of `uketsuke staff pin`.
#[derive(Debug, clap::Args)]
pub struct StaffPinOptions {
    /// The SQLite database file the kiosk uses.
    #[arg(long)]
    pub db: Option<PathBuf>,
    #[command(flatten)]
    pub central: CentralTarget,
    /// Whose kiosk PIN this is.
    #[arg(long)]
    pub login: String,
}

/// `uketsuke staff pin`: sets a kiosk PIN, read from standard input (one line).
pub fn staff_pin(options: &StaffPinOptions) -> Result<()> {
    use std::io::IsTerminal as _;
    if let Some(db) = &options.db
        && !db.exists()
    {
        bail!(
            "--db {}: no such database; add the account first with uketsuke staff add",
            db.display()
        );
    }
    if std::io::stdin().is_terminal() {
        eprint!("kiosk PIN for {} (6 to 8 digits): ", options.login);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the PIN from standard input")?;
    let pin = crate::staff::StaffPin::parse(line.trim_end_matches(['\r', '\n']))
        .map_err(|problem| anyhow::anyhow!("PIN from standard input: {problem}"))?;
    let pin_hash = crate::password::hash(pin.digits())?;
    if let Some(mut central) = options.central.connect()? {
        if !central.set_staff_pin(&options.login, &pin_hash)? {
            bail!(
                "--login {}: no such account in the central database {}",
                options.login,
                central.url()
            );
        }
        println!(
            "kiosk PIN set for {} in the central database",
            options.login
        );
        return Ok(());
    }
    let db = db_of(&options.db)?;
    let store = Store::open(db)?;
    match store.set_kiosk_pin(&options.login, &pin_hash, "cli", now()) {
        Err(crate::store::StoreError::NoSuchStaff { .. }) => bail!(
            "--login {}: no such account in {}",
            options.login,
            db.display()
        ),
        other => other?,
    }
    println!("kiosk PIN set for {}", options.login);
    Ok(())
}

/// The options of `uketsuke staff unlock`.
#[derive(Debug, clap::Args)]
pub struct StaffUnlockOptions {
    /// The SQLite database file the kiosk uses.
    #[arg(long)]
    pub db: Option<PathBuf>,
    #[command(flatten)]
    pub central: CentralTarget,
    /// Whose lock to lift.
    #[arg(long)]
    pub login: String,
}

/// `uketsuke staff unlock`: the machine's owner lifts an account's lock (console password and
/// kiosk PIN alike) from the shell, for when no technician can sign in to the console. Audited
/// as done by `cli`.
pub fn staff_unlock(options: &StaffUnlockOptions) -> Result<()> {
    if let Some(mut central) = options.central.connect()? {
        if !central.unlock_staff(&options.login)? {
            bail!(
                "--login {}: no such account in the central database {}",
                options.login,
                central.url()
            );
        }
        println!("unlocked {} in the central database", options.login);
        return Ok(());
    }
    let db = db_of(&options.db)?;
    if !db.exists() {
        bail!("--db {}: no such database", db.display());
    }
    let store = Store::open(db)?;
    match store.unlock_staff(&options.login, "cli", now()) {
        Err(crate::store::StoreError::NoSuchStaff { .. }) => bail!(
            "--login {}: no such account in {}",
            options.login,
            db.display()
        ),
        other => other?,
    }
    println!("unlocked {}", options.login);
    Ok(())
}
