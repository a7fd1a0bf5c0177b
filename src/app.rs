//! The composition root: builds readers, gateways and stores from the command line's words,
//! and runs the subcommands. The only module that knows every adapter.
//!
//! Errors here are for technicians: each names the file, option or device at fault.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use time::OffsetDateTime;

use crate::console::Console;
use crate::domain::CheckInRecord;
use crate::flow::{CheckInFlow, ReaderOp, ReaderReply, ReaderTrouble, StoreReply};
use crate::gateway::sim::{Persona, SimGateway};
use crate::headless::{Driver, PatientScript, ReaderPort, StorePort};
use crate::reader::pcsc::{PcscReader, survey};
use crate::reader::sim::SimReader;
use crate::reader::{KioskReader, trouble_text};
use crate::report::MonthReport;
use crate::rules::{FacilityConfig, Rules};
use crate::staff::{NewStaffAccount, Role};
use crate::store::Store;

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

/// The options of `uketsuke check-in`.
#[derive(Debug, clap::Args)]
pub struct CheckInOptions {
    /// Run without a screen (the only mode until the patient UI arrives).
    #[arg(long)]
    pub headless: bool,
    /// The reader: `sim:PROFILE` (card, phone, iphone, transit, resident-card, payment,
    /// unknown-device, mute; options like `sim:card,tries=2,pin=1234,remove-after=5`), or
    /// `pcsc` / `pcsc:NAME` for a real reader through pcscd (NAME: part of the reader's name).
    #[arg(long, default_value = "sim:card")]
    pub reader: String,
    /// The eligibility gateway: `sim` or `sim:PERSONA`.
    #[arg(long, default_value = "sim")]
    pub gateway: String,
    /// The SQLite database file (created if missing).
    #[arg(long)]
    pub db: PathBuf,
    /// The patient script (JSON; see README).
    #[arg(long)]
    pub patient: PathBuf,
    /// National rules JSON (default: the rules built in).
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Facility configuration JSON (default: all defaults).
    #[arg(long)]
    pub facility: Option<PathBuf>,
    /// Run the script this many times, printing one JSON line per committed check-in.
    #[arg(long, default_value_t = 1)]
    pub repeat: u64,
}

impl ReaderPort for SimReader {
    fn place(&mut self, what: Option<&str>) -> Result<(), String> {
        SimReader::place(self, what)
    }

    fn remove(&mut self) -> Result<(), String> {
        SimReader::remove(self);
        Ok(())
    }

    fn execute(&mut self, op: ReaderOp) -> ReaderReply {
        SimReader::execute(self, op)
    }
}

/// How long a headless `tap` or `remove` step waits for a person at a real reader.
pub const PATIENT_WAIT: Duration = Duration::from_secs(30);
/// How long a headless check-in waits at start for pcscd and the reader to be there.
pub const READER_START_WAIT: Duration = Duration::from_secs(5);

impl ReaderPort for PcscReader {
    fn place(&mut self, what: Option<&str>) -> Result<(), String> {
        if let Some(name) = what {
            return Err(format!(
                "a real reader reads whatever is put on it; a \"tap\" step cannot name a \
                 simulated device (\"{name}\")"
            ));
        }
        if self.take_new_card(PATIENT_WAIT) {
            Ok(())
        } else {
            Err(format!(
                "no card or phone came onto {} within {} s",
                describe_reader(self),
                PATIENT_WAIT.as_secs()
            ))
        }
    }

    fn remove(&mut self) -> Result<(), String> {
        if self.wait_for_removal(PATIENT_WAIT) {
            Ok(())
        } else {
            Err(format!(
                "the card is still on {} after {} s",
                describe_reader(self),
                PATIENT_WAIT.as_secs()
            ))
        }
    }

    fn execute(&mut self, op: ReaderOp) -> ReaderReply {
        PcscReader::execute(self, op)
    }
}

/// The reader and its state, for technicians' messages.
fn describe_reader(reader: &PcscReader) -> String {
    match (&reader.field().reader, reader.field().trouble) {
        (Some(name), _) => format!("reader \"{name}\""),
        (None, trouble) => format!(
            "the reader{} ({})",
            reader
                .wanted()
                .map(|w| format!(" matching \"{w}\""))
                .unwrap_or_default(),
            trouble.map_or("not seen yet", trouble_text)
        ),
    }
}

impl ReaderPort for KioskReader {
    fn place(&mut self, what: Option<&str>) -> Result<(), String> {
        match self {
            KioskReader::Sim(r) => ReaderPort::place(r, what),
            KioskReader::Pcsc(r) => ReaderPort::place(r.as_mut(), what),
        }
    }

    fn remove(&mut self) -> Result<(), String> {
        match self {
            KioskReader::Sim(r) => ReaderPort::remove(r),
            KioskReader::Pcsc(r) => ReaderPort::remove(r.as_mut()),
        }
    }

    fn execute(&mut self, op: ReaderOp) -> ReaderReply {
        match self {
            KioskReader::Sim(r) => r.execute(op),
            KioskReader::Pcsc(r) => r.execute(op),
        }
    }
}

impl StorePort for Store {
    fn commit(&mut self, record: &CheckInRecord) -> StoreReply {
        match self.commit_check_in(record) {
            Ok(c) => StoreReply::Committed {
                check_in_id: c.check_in_id,
                reception_number: c.reception_number,
            },
            Err(e) => StoreReply::Failed(e.to_string()),
        }
    }
}

/// `--reader`: `sim:PROFILE[,OPTIONS]`, `pcsc` or `pcsc:NAME`.
pub fn build_reader(spec: &str) -> Result<KioskReader> {
    match spec.split_once(':') {
        Some(("sim", profile)) => Ok(KioskReader::Sim(
            SimReader::from_spec(profile).map_err(|e| anyhow::anyhow!("--reader {spec}: {e}"))?,
        )),
        None if spec == "sim" => Ok(KioskReader::Sim(SimReader::new())),
        None if spec == "pcsc" => Ok(KioskReader::Pcsc(Box::new(start_pcsc(None)?))),
        Some(("pcsc", name)) if !name.is_empty() => {
            Ok(KioskReader::Pcsc(Box::new(start_pcsc(Some(name))?)))
        }
        _ => bail!(
            "--reader {spec}: unknown reader; use pcsc, pcsc:NAME (part of the reader's name), \
             or sim:PROFILE (card, phone, iphone, transit, resident-card, payment, \
             unknown-device, mute)"
        ),
    }
}

/// Starts the PC/SC reader and waits briefly for it to be usable; says which device is at fault
/// if it is not.
fn start_pcsc(wanted: Option<&str>) -> Result<PcscReader> {
    let mut reader = PcscReader::start(wanted).context("cannot start the PC/SC monitor thread")?;
    let ready = reader.wait_until(READER_START_WAIT, |f| f.reader.is_some());
    if !ready {
        bail!(
            "--reader pcsc{}: {}",
            wanted.map(|w| format!(":{w}")).unwrap_or_default(),
            describe_reader(&reader)
        );
    }
    Ok(reader)
}

/// `--gateway`: `sim` or `sim:PERSONA`.
pub fn build_gateway(spec: &str) -> Result<SimGateway> {
    let persona = match spec.split_once(':') {
        None if spec == "sim" => Persona::Valid3,
        Some(("sim", name)) => {
            Persona::parse(name).map_err(|e| anyhow::anyhow!("--gateway {spec}: {e}"))?
        }
        _ => bail!("--gateway {spec}: unknown gateway; use sim or sim:PERSONA"),
    };
    Ok(SimGateway::new(persona))
}

pub fn load_rules(path: Option<&Path>) -> Result<Rules> {
    match path {
        None => Ok(Rules::embedded()),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read rules file {}", path.display()))?;
            Ok(Rules::from_json(&text, &path.display().to_string())?)
        }
    }
}

pub fn load_facility(path: Option<&Path>) -> Result<FacilityConfig> {
    match path {
        None => Ok(FacilityConfig::default()),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read facility file {}", path.display()))?;
            Ok(FacilityConfig::from_json(
                &text,
                &path.display().to_string(),
            )?)
        }
    }
}

pub fn load_script(path: &Path) -> Result<PatientScript> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read patient script {}", path.display()))?;
    PatientScript::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// `uketsuke check-in --headless`.
pub fn check_in(options: &CheckInOptions) -> Result<()> {
    if !options.headless {
        bail!("check-in needs --headless until the patient UI arrives");
    }
    if options.repeat == 0 {
        bail!("--repeat must be at least 1");
    }
    let rules = load_rules(options.rules.as_deref())?;
    let facility = load_facility(options.facility.as_deref())?;
    let script = load_script(&options.patient)?;
    let reader = build_reader(&options.reader)?;
    let gateway = build_gateway(&options.gateway)?;
    let store = Store::open(&options.db)?;
    let start = script.visit_time.unwrap_or_else(now);
    let flow = CheckInFlow::new(rules, facility);
    let mut driver = Driver::new(flow, start, reader, gateway, store.clone());
    for n in 0..options.repeat {
        let before = driver.committed().len();
        let committed = driver.run(&script).map_err(|e| {
            // A step can fail after the kiosk already recorded a check-in: say so, since the
            // database holds it.
            let recorded: Vec<String> = driver.committed()[before..]
                .iter()
                .map(|c| format!("{} ({})", c.check_in_id, c.record.outcome.as_str()))
                .collect();
            if recorded.is_empty() {
                anyhow::anyhow!("{}: {e}", options.patient.display())
            } else {
                anyhow::anyhow!(
                    "{}: {e} (already recorded before this step: check-in {})",
                    options.patient.display(),
                    recorded.join(", ")
                )
            }
        })?;
        let stored = store
            .check_in(committed.check_in_id)?
            .context("the committed check-in cannot be read back")?;
        // Printed only after the commit returned, so a printed check-in is durable.
        let json = if options.repeat == 1 {
            serde_json::to_string_pretty(&stored)?
        } else {
            serde_json::to_string(&stored)?
        };
        println!("{json}");
        if n + 1 < options.repeat {
            // Next patient: a new visit a little later.
            driver.wait(std::time::Duration::from_secs(60));
        }
    }
    Ok(())
}

/// `uketsuke report`.
pub fn report(month: &str, db: &Path, format: &str) -> Result<()> {
    let (year, mon) = parse_month(month)?;
    if format != "table" && format != "csv" {
        bail!("--format {format}: use table or csv");
    }
    if !db.exists() {
        bail!("database {} does not exist", db.display());
    }
    let store = Store::open(db)?;
    let check_ins = store.check_ins_for_month(year, mon)?;
    let report = MonthReport::from_check_ins(month, &check_ins);
    match format {
        "csv" => print!("{}", report.csv()),
        _ => print!("{}", report.table()),
    }
    Ok(())
}

/// Parses `YYYY-MM`.
pub fn parse_month(month: &str) -> Result<(i32, u8)> {
    let bad = || anyhow::anyhow!("--month {month}: expected YYYY-MM, e.g. 2026-11");
    let (y, m) = month.split_once('-').ok_or_else(bad)?;
    let year: i32 = y.parse().map_err(|_| bad())?;
    let mon: u8 = m.parse().map_err(|_| bad())?;
    if y.len() != 4 || m.len() != 2 || !(1..=12).contains(&mon) {
        return Err(bad());
    }
    Ok((year, mon))
}

/// `uketsuke demo --terminal`: two demonstration check-ins printed in the terminal, for a
/// machine with no display.
pub fn demo_terminal(data_dir: &Path) -> Result<()> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create demo folder {}", data_dir.display()))?;
    let db = data_dir.join("uketsuke.db");
    let store = Store::open(&db)?;
    let visit = now();
    let demos = [
        (
            "My Number card, PIN, consent to all",
            "card",
            r#"{"steps": ["tap", {"pin": "1234"}, {"consent": "all"},
                {"high_cost_limit": true}, {"prescription": "electronic"}]}"#,
        ),
        (
            "A phone this kiosk cannot read: Mynaportal screen, staff confirm",
            "iphone",
            r#"{"steps": ["tap"]}"#,
        ),
    ];
    for (title, profile, script) in demos {
        let script = PatientScript::parse(script).map_err(|e| anyhow::anyhow!("demo: {e}"))?;
        let flow = CheckInFlow::new(Rules::embedded(), FacilityConfig::default());
        let mut driver = Driver::new(
            flow,
            visit,
            build_reader(&format!("sim:{profile}"))?,
            build_gateway("sim")?,
            store.clone(),
        );
        let committed = driver
            .run(&script)
            .map_err(|e| anyhow::anyhow!("demo: {e}"))?;
        println!("== {title}");
        for screen in &driver.screens {
            println!("   screen: {}", crate::headless::screen_name(screen));
        }
        let stored = store
            .check_in(committed.check_in_id)?
            .context("the committed check-in cannot be read back")?;
        println!("{}", serde_json::to_string_pretty(&stored)?);
    }
    let month = format!("{:04}-{:02}", visit.year(), u8::from(visit.month()));
    let (year, mon) = parse_month(&month)?;
    let report = MonthReport::from_check_ins(&month, &store.check_ins_for_month(year, mon)?);
    println!("{}", report.table());
    println!("Database: {}", db.display());
    Ok(())
}

/// The options of `uketsuke demo`.
#[derive(Debug, clap::Args)]
pub struct DemoOptions {
    /// Folder for the demo database.
    #[arg(long, default_value = "uketsuke-demo")]
    pub data_dir: PathBuf,
    /// The kiosk screen's size, WIDTHxHEIGHT: 1080x1920, 1920x1080 or 1280x800. The demo panel
    /// is added to its right.
    #[arg(long, default_value = "1280x800")]
    pub size: String,
    /// The simulated gateway's first answer (the panel changes it): a persona name.
    #[arg(long, default_value = "valid-3")]
    pub gateway: String,
    /// No window: run two demonstration check-ins and print them.
    #[arg(long)]
    pub terminal: bool,
    /// Where the demo's staff console listens (this machine only by default).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub console: String,
}

/// Width of the demo panel beside the kiosk screen, in logical pixels (as in ui/app.slint).
pub const DEMO_PANEL_WIDTH: u32 = 400;

/// `WIDTHxHEIGHT`, one of the supported resolutions.
pub fn parse_size(size: &str) -> Result<(u32, u32)> {
    let parsed = size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)));
    match parsed {
        Some(wh) if crate::ui::render::RESOLUTIONS.contains(&wh) => Ok(wh),
        _ => bail!("--size {size}: use 1080x1920, 1920x1080 or 1280x800"),
    }
}

/// Says why no window can be opened, naming what is missing; `None` if a display is there.
fn missing_display() -> Option<String> {
    let has = |var: &str| std::env::var_os(var).is_some_and(|v| !v.is_empty());
    if has("DISPLAY") || has("WAYLAND_DISPLAY") {
        return None;
    }
    Some(
        "no display: neither DISPLAY nor WAYLAND_DISPLAY is set. Run the demo from a desktop \
         session, under Xvfb (xvfb-run -a uketsuke demo), or without a window with \
         `uketsuke demo --terminal`"
            .into(),
    )
}

/// `uketsuke demo`: the kiosk in a desktop window with the simulated reader panel.
pub fn demo(options: &DemoOptions) -> Result<()> {
    if options.terminal {
        return demo_terminal(&options.data_dir);
    }
    let (width, height) = parse_size(&options.size)?;
    let persona =
        Persona::parse(&options.gateway).map_err(|e| anyhow::anyhow!("--gateway: {e}"))?;
    if let Some(why) = missing_display() {
        bail!("{why}");
    }
    std::fs::create_dir_all(&options.data_dir)
        .with_context(|| format!("cannot create demo folder {}", options.data_dir.display()))?;
    let db = options.data_dir.join("uketsuke.db");
    let store = Store::open(&db)?;
    slint::BackendSelector::new()
        .renderer_name("software".into())
        .select()
        .context("cannot open a window (is a display there?)")?;
    let window = crate::ui::AppWindow::new().context("cannot open the kiosk window")?;
    use slint::ComponentHandle as _;
    window.window().set_size(slint::LogicalSize::new(
        (width + DEMO_PANEL_WIDTH) as f32,
        height as f32,
    ));
    let kiosk = window.global::<crate::ui::Kiosk>();
    kiosk.set_demo_panel(true);
    let names: Vec<slint::SharedString> = Persona::ALL.iter().map(|p| p.name().into()).collect();
    kiosk.set_personas(std::rc::Rc::new(slint::VecModel::from(names)).into());
    let console = demo_console(&store, &options.console);
    let flow = CheckInFlow::new(Rules::embedded(), FacilityConfig::default());
    let adapters = crate::ui::runtime::Adapters {
        reader: KioskReader::Sim(SimReader::new()),
        gateway: SimGateway::new(persona).with_real_latency(true),
        store,
    };
    let runtime = crate::ui::runtime::start_live(&window, flow, adapters, std::rc::Rc::new(now))?;
    runtime.borrow_mut().demo_persona(persona);
    eprintln!(
        "uketsuke demo: the kiosk at {width}x{height} with the simulated reader panel; data in {}",
        db.display()
    );
    window.run().context("the kiosk window failed")?;
    drop(console);
    Ok(())
}

/// The demo's staff console on this machine only, with a demo technician account when the
/// database has none. A console that cannot start (port taken) leaves the kiosk running.
fn demo_console(store: &Store, bind: &str) -> Option<Console> {
    let settings = crate::rules::ConsoleSettings {
        bind: bind.to_owned(),
        // Plain http://127.0.0.1: browsers keep Secure cookies for localhost, but not for
        // another name of this machine.
        secure_cookies: false,
        ..Default::default()
    };
    match store.staff_accounts() {
        Ok(accounts) if accounts.is_empty() => {
            let added = crate::password::hash(DEMO_PASSWORD)
                .map_err(anyhow::Error::from)
                .and_then(|password_hash| {
                    Ok(store.add_staff(&NewStaffAccount {
                        login: "demo".to_owned(),
                        display_name: "デモ Demo".to_owned(),
                        role: Role::Technician,
                        password_hash,
                        created_at: now(),
                        created_by: "demo".to_owned(),
                    })?)
                })
                .and_then(|_| {
                    let pin_hash = crate::password::hash(DEMO_KIOSK_PIN)?;
                    Ok(store.set_kiosk_pin("demo", &pin_hash, "demo", now())?)
                });
            if let Err(e) = added {
                eprintln!("uketsuke demo: cannot add the demo staff account: {e:#}");
            }
        }
        Ok(_) => {}
        Err(e) => eprintln!("uketsuke demo: cannot read staff accounts: {e}"),
    }
    match Console::start(store.clone(), Rules::embedded(), &settings) {
        Ok(console) => {
            eprintln!(
                "uketsuke demo: staff console on http://{}/ (login demo, password {DEMO_PASSWORD}); \
                 staff mode on the kiosk: tap the title 5 times quickly, kiosk PIN {DEMO_KIOSK_PIN}",
                console.addr()
            );
            Some(console)
        }
        Err(e) => {
            eprintln!("uketsuke demo: no staff console: {e}");
            None
        }
    }
}

/// The demo account's password (the demo database is for trying things out only).
const DEMO_PASSWORD: &str = "uketsuke-demo";
const DEMO_KIOSK_PIN: &str = "246810";

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
    #[arg(long)]
    pub bind: Option<String>,
    /// Send the sign-in cookie over plain HTTP too (closed networks without TLS; not needed for
    /// 127.0.0.1).
    #[arg(long)]
    pub insecure_cookies: bool,
}

/// `uketsuke console`: the staff console alone, until stopped. Prints its address on stdout.
pub fn console(options: &ConsoleOptions) -> Result<()> {
    let rules = load_rules(options.rules.as_deref())?;
    let facility = load_facility(options.facility.as_deref())?;
    let mut settings = facility.console;
    if let Some(bind) = &options.bind {
        if bind.parse::<std::net::SocketAddr>().is_err() {
            bail!("--bind {bind}: use an address and port such as 127.0.0.1:8080");
        }
        settings.bind = bind.clone();
    }
    if options.insecure_cookies {
        settings.secure_cookies = false;
    }
    let store = Store::open(&options.db)?;
    let console = Console::start(store.clone(), rules, &settings)?;
    if store.staff_accounts()?.is_empty() {
        eprintln!(
            "uketsuke: no staff account yet: add one with `uketsuke staff add --db {} --login NAME --name NAME --role technician`",
            options.db.display()
        );
    }
    println!("staff console: http://{}/", console.addr());
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    console.wait();
    Ok(())
}

/// The options of `uketsuke staff add`.
#[derive(Debug, clap::Args)]
pub struct StaffAddOptions {
    /// The SQLite database file (created if missing).
    #[arg(long)]
    pub db: PathBuf,
    /// The login name (a-z, 0-9, '.', '_', '-').
    #[arg(long)]
    pub login: String,
    /// The name the console shows.
    #[arg(long)]
    pub name: String,
    /// `staff` or `technician`.
    #[arg(long, default_value = "staff")]
    pub role: String,
}

/// `uketsuke staff add`: the first account (and any other), its password read from standard
/// input (one line), never from the command line where `ps` would show it.
pub fn staff_add(options: &StaffAddOptions) -> Result<()> {
    if let Some(problem) = crate::staff::login_problem(&options.login) {
        bail!("--login {:?}: {problem}", options.login);
    }
    let role = Role::parse(&options.role)
        .ok_or_else(|| anyhow::anyhow!("--role {}: use staff or technician", options.role))?;
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
    if let Some(dir) = options.db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data folder {}", dir.display()))?;
    }
    let store = Store::open(&options.db)?;
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
    pub db: PathBuf,
    /// Whose kiosk PIN this is.
    #[arg(long)]
    pub login: String,
}

/// `uketsuke staff pin`: sets a kiosk PIN, read from standard input (one line).
pub fn staff_pin(options: &StaffPinOptions) -> Result<()> {
    use std::io::IsTerminal as _;
    if !options.db.exists() {
        bail!(
            "--db {}: no such database; add the account first with uketsuke staff add",
            options.db.display()
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
    let store = Store::open(&options.db)?;
    match store.set_kiosk_pin(&options.login, &pin_hash, "cli", now()) {
        Err(crate::store::StoreError::NoSuchStaff { .. }) => bail!(
            "--login {}: no such account in {}",
            options.login,
            options.db.display()
        ),
        other => other?,
    }
    println!("kiosk PIN set for {}", options.login);
    Ok(())
}

/// The options of `uketsuke run`.
#[derive(Debug, clap::Args)]
pub struct RunOptions {
    /// The SQLite database file (created if missing).
    #[arg(long, default_value = "/var/lib/uketsuke/uketsuke.db")]
    pub db: PathBuf,
    /// The reader: `pcsc`, `pcsc:NAME`, or `sim:PROFILE` for a bench test.
    #[arg(long, default_value = "pcsc")]
    pub reader: String,
    /// The eligibility gateway: `sim` or `sim:PERSONA` (the only gateway so far).
    #[arg(long, default_value = "sim")]
    pub gateway: String,
    /// National rules JSON (default: the rules built in).
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Facility configuration JSON (default: all defaults).
    #[arg(long)]
    pub facility: Option<PathBuf>,
}

/// `uketsuke run`: the kiosk full-screen on the device. A start-up failure after the display is
/// up shows the out-of-order screen with the technician's reason, instead of a black screen.
pub fn run(options: &RunOptions) -> Result<()> {
    let window = open_device_window()?;
    use slint::ComponentHandle as _;
    let started = start_device(options, &window);
    let _running = match started {
        Ok(running) => Some(running),
        Err(e) => {
            let detail = format!("{e:#}");
            eprintln!("uketsuke: cannot start: {detail}");
            let kiosk = window.global::<crate::ui::Kiosk>();
            crate::ui::select_language(&window, crate::ui::Language::Japanese);
            kiosk.set_technician_detail(detail.into());
            kiosk.set_screen(crate::ui::ScreenKind::StartFailure);
            None
        }
    };
    window.run().context("the kiosk display failed")?;
    Ok(())
}

fn start_device(
    options: &RunOptions,
    window: &crate::ui::AppWindow,
) -> Result<(
    std::rc::Rc<std::cell::RefCell<crate::ui::runtime::Runtime>>,
    Console,
)> {
    let rules = load_rules(options.rules.as_deref())?;
    let facility = load_facility(options.facility.as_deref())?;
    if let Some(dir) = options.db.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data folder {}", dir.display()))?;
    }
    let store = Store::open(&options.db)?;
    let gateway = build_gateway(&options.gateway)?.with_real_latency(true);
    // The reader may be missing at start: the kiosk shows "out of service" and recovers when it
    // appears, so only the spec is checked here.
    let reader = match options.reader.split_once(':') {
        None if options.reader == "pcsc" => KioskReader::Pcsc(Box::new(PcscReader::start(None)?)),
        Some(("pcsc", name)) if !name.is_empty() => {
            KioskReader::Pcsc(Box::new(PcscReader::start(Some(name))?))
        }
        _ => build_reader(&options.reader)?,
    };
    let console = Console::start(store.clone(), rules.clone(), &facility.console)?;
    eprintln!("uketsuke: staff console on http://{}/", console.addr());
    let flow = CheckInFlow::new(rules, facility);
    let adapters = crate::ui::runtime::Adapters {
        reader,
        gateway,
        store,
    };
    let runtime = crate::ui::runtime::start_live(window, flow, adapters, std::rc::Rc::new(now))?;
    Ok((runtime, console))
}

/// The device's display: DRM/KMS with the software renderer (feature `device`).
#[cfg(feature = "device")]
fn open_device_window() -> Result<crate::ui::AppWindow> {
    slint::BackendSelector::new()
        .backend_name("linuxkms".into())
        .renderer_name("software".into())
        .select()
        .context(
            "cannot open the display through DRM/KMS: is there a /dev/dri/card* this user may \
             open (group video) and /dev/input/event* (group input)?",
        )?;
    crate::ui::AppWindow::new().context("cannot build the kiosk screen")
}

#[cfg(not(feature = "device"))]
fn open_device_window() -> Result<crate::ui::AppWindow> {
    bail!(
        "this build has no DRM/KMS display support: build with `cargo build --release \
         --features device` (needs libudev-dev libinput-dev libxkbcommon-dev), or try the \
         kiosk in a window with `uketsuke demo`"
    )
}

/// `uketsuke screenshots`: every screen, in both languages, at every supported resolution.
/// Returns the files written and the screens whose content did not fit.
pub fn screenshots(out: &Path, only: Option<&str>) -> Result<(usize, Vec<String>)> {
    use crate::ui::Language;
    use crate::ui::catalogue::every_screen;
    use crate::ui::render::{Headless, RESOLUTIONS};
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create screenshot folder {}", out.display()))?;
    let samples = every_screen();
    let (w0, h0) = RESOLUTIONS[0];
    let mut headless = Headless::new(w0, h0)?;
    let mut written = 0;
    let mut overflowing = Vec::new();
    for (width, height) in RESOLUTIONS {
        headless.resize(width, height);
        for sample in &samples {
            for language in Language::ALL {
                let name = format!("{}-{}-{width}x{height}", sample.name, language.code());
                if only.is_some_and(|o| o != name) {
                    continue;
                }
                headless.show(sample, language);
                headless.render();
                let (fits, sizes) = headless.fits();
                if !fits {
                    overflowing.push(format!(
                        "{name}: needs {:.0}x{:.0} but has {:.0}x{:.0}",
                        sizes[0], sizes[1], sizes[2], sizes[3]
                    ));
                }
                headless.save_png(&out.join(format!("{name}.png")))?;
                written += 1;
            }
        }
    }
    if written == 0
        && let Some(only) = only
    {
        bail!(
            "--only {only}: no such screenshot; names are SCREEN-LANG-WxH, e.g. welcome-ja-1080x1920"
        );
    }
    Ok((written, overflowing))
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc().to_offset(crate::rules::JST)
}

/// `uketsuke doctor`: what a technician needs to know about the reader, in plain words.
/// Returns the report and whether the kiosk could read cards now.
pub fn doctor(reader: Option<&str>) -> (String, bool) {
    use std::fmt::Write as _;
    let mut out = String::new();
    let survey = survey(reader);
    let wanted = reader
        .map(|w| format!(" matching \"{w}\""))
        .unwrap_or_default();
    match &survey.service {
        Err(why) => {
            let _ = writeln!(out, "pcscd: NOT RUNNING: {why}");
            let _ = writeln!(out, "  {}", trouble_text(ReaderTrouble::ServiceNotRunning));
            return (out, false);
        }
        Ok(()) => {
            let _ = writeln!(
                out,
                "pcscd: running ({})",
                crate::reader::pcsc::PCSCD_SOCKET
            );
        }
    }
    let _ = writeln!(out, "readers: {}", survey.readers.len());
    for r in &survey.readers {
        let mark = if survey.chosen.as_deref() == Some(r.name.as_str()) {
            "*"
        } else {
            " "
        };
        let field = match &r.card_atr {
            None => "empty".to_string(),
            Some(atr) => format!(
                "something on it: ATR {} ({})",
                crate::card::apdu::hex(atr),
                describe_atr(atr)
            ),
        };
        let _ = writeln!(out, "  {mark} {}: {field}", r.name);
    }
    match &survey.chosen {
        Some(name) => {
            let _ = writeln!(out, "the kiosk uses: {name}");
            (out, true)
        }
        None => {
            let _ = writeln!(
                out,
                "the kiosk uses: NO READER{wanted}: {}",
                trouble_text(ReaderTrouble::NoReader)
            );
            (out, false)
        }
    }
}

/// A technician's reading of an ATR: what kind of contactless thing it suggests. Only a hint;
/// the kiosk decides by asking the card, never by the ATR alone (except FeliCa, whose storage
/// card ATR is built by the reader).
pub fn describe_atr(atr: &[u8]) -> String {
    use crate::card::jpki::{STANDARD_FELICA, storage_card};
    match (storage_card(atr), atr) {
        (Some(s), _) if s.standard == STANDARD_FELICA => "FeliCa storage card".into(),
        (Some(s), _) => format!("storage card, standard {:02X}", s.standard),
        (None, [0x3B, t0, 0x80, 0x01, ..]) if t0 & 0xF0 == 0x80 => {
            format!("contactless ISO 14443-4, {} historical bytes", t0 & 0x0F)
        }
        _ => "not a reader-built contactless ATR".into(),
    }
}

/// `uketsuke doctor`'s font line: whether fontconfig offers a Japanese font, without which every
/// Japanese text on the patient screen is silently blank.
pub fn font_check() -> (String, bool) {
    let listed = std::process::Command::new("fc-list")
        .args([":lang=ja", "family"])
        .output();
    match listed {
        Err(e) => (
            format!("fonts: cannot run fc-list ({e}); install fontconfig and fonts-noto-cjk\n"),
            false,
        ),
        Ok(out) => {
            let families = String::from_utf8_lossy(&out.stdout);
            let mut names: Vec<&str> = families
                .lines()
                .filter_map(|l| l.split(',').next())
                .filter(|l| !l.is_empty())
                .collect();
            names.sort_unstable();
            names.dedup();
            if names.is_empty() {
                (
                    "fonts: NO JAPANESE FONT: Japanese text would be blank; install \
                     fonts-noto-cjk\n"
                        .into(),
                    false,
                )
            } else {
                let wanted = names.contains(&"Noto Sans CJK JP");
                (
                    format!(
                        "fonts: Japanese: {}{}\n",
                        names.join(", "),
                        if wanted {
                            ""
                        } else {
                            " (the views ask for Noto Sans CJK JP; another will be used)"
                        }
                    ),
                    true,
                )
            }
        }
    }
}
