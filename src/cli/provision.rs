//! `uketsuke provision`: the technician's one step. Reads the provisioning file
//! ([`crate::provisioning`] says its keys), checks all of it, then writes into the data folder,
//! each file atomically: `facility.json` (merged: keys the file omits keep their values),
//! `timesyncd.conf`, the `localtime` link, the first technician's account in `uketsuke.db`,
//! and one `provisioned` audit entry naming what changed. Run again with the same file it
//! changes nothing and says "unchanged".
//!
//! Where the file comes from: `FILE`; or, without it, `DATA_DIR/provision.json` (copied there
//! by the technician); or `--from-stick`: the USB stick labelled `UKETSUKE`
//! (/dev/disk/by-label/UKETSUKE), mounted read-only on a fresh temporary folder just long enough
//! to read `provision.json`, then unmounted.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

use super::now;
use crate::provisioning::{self, Environment, Problem};
use crate::rules::FacilityConfig;
use crate::staff::{NewStaffAccount, Role};
use crate::store::{NewAuditEntry, Store};

/// The options of `uketsuke provision`.
#[derive(Debug, clap::Args)]
pub struct ProvisionOptions {
    /// The provisioning file (JSON). Default: DATA_DIR/provision.json.
    pub file: Option<PathBuf>,
    /// The kiosk's data folder: facility.json, timesyncd.conf, localtime, uketsuke.db.
    #[arg(long, default_value = "/var/lib/uketsuke")]
    pub data_dir: PathBuf,
    /// Read provision.json from the USB stick labelled UKETSUKE (mounted read-only for the
    /// moment of reading).
    #[arg(long, conflicts_with = "file")]
    pub from_stick: bool,
    /// The stick's device (a block device or a disk image file).
    #[arg(long, default_value = "/dev/disk/by-label/UKETSUKE", hide = true)]
    pub stick_device: PathBuf,
    /// Where the time zones are.
    #[arg(long, default_value = "/usr/share/zoneinfo", hide = true)]
    pub zoneinfo: PathBuf,
}

/// File names in the data folder.
pub const FACILITY_FILE: &str = "facility.json";
pub const TIMESYNCD_FILE: &str = "timesyncd.conf";
pub const LOCALTIME_LINK: &str = "localtime";
pub const DATABASE_FILE: &str = "uketsuke.db";
pub const PROVISION_FILE: &str = "provision.json";

/// Whether `data_dir` has been provisioned (holds a facility.json): until then `run` shows the
/// "not set up yet" screen.
pub fn is_provisioned(data_dir: &Path) -> bool {
    data_dir.join(FACILITY_FILE).is_file()
}

/// `uketsuke provision`.
pub fn command(options: &ProvisionOptions) -> Result<()> {
    let (source, text) = read_source(options)?;
    provision(options, &source, &text)?;
    // The database (closed by now) and every file written belong to whoever owns the data
    // folder: the kiosk's user on the device, where the technician provisions as root.
    give_to_folder_owner(&options.data_dir)
}

/// What `provision` (and the store it opened) may have made in the data folder.
const WRITTEN: [&str; 9] = [
    FACILITY_FILE,
    TIMESYNCD_FILE,
    LOCALTIME_LINK,
    "uketsuke.db",
    "uketsuke.db-wal",
    "uketsuke.db-shm",
    // The patient-key secret the first open of the database makes (crate::patient_key).
    "uketsuke.db.patient-key",
    crate::console::tls::SELF_SIGNED_CERTIFICATE,
    crate::console::tls::SELF_SIGNED_KEY,
];

/// Hands each file in [`WRITTEN`] to the data folder's owner (user and group) where it is not
/// theirs yet: a root-owned `uketsuke.db` would leave the kiosk (user `uketsuke`) unable to
/// write a check-in. Only root can do this; for anyone else every file is already theirs.
///
/// Errors: a file's owner cannot be changed (names the file).
fn give_to_folder_owner(dir: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt as _;
    let Ok(folder) = std::fs::metadata(dir) else {
        return Ok(());
    };
    for name in WRITTEN {
        let path = dir.join(name);
        let Ok(file) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if file.uid() == folder.uid() && file.gid() == folder.gid() {
            continue;
        }
        std::os::unix::fs::lchown(&path, Some(folder.uid()), Some(folder.gid())).with_context(
            || {
                format!(
                    "cannot give {} to the data folder's owner (uid {}, gid {})",
                    path.display(),
                    folder.uid(),
                    folder.gid()
                )
            },
        )?;
    }
    Ok(())
}

/// The file's name as errors show it, and its text.
fn read_source(options: &ProvisionOptions) -> Result<(String, String)> {
    if options.from_stick {
        let text = read_from_stick(&options.stick_device)?;
        return Ok((
            format!("{}:{PROVISION_FILE}", options.stick_device.display()),
            text,
        ));
    }
    let path = options
        .file
        .clone()
        .unwrap_or_else(|| options.data_dir.join(PROVISION_FILE));
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read the provisioning file {}{}",
            path.display(),
            if options.file.is_none() {
                " (give FILE, or --from-stick for a USB stick labelled UKETSUKE)"
            } else {
                ""
            }
        )
    })?;
    Ok((path.display().to_string(), text))
}

/// Mounts the stick read-only on a new temporary folder, reads provision.json, unmounts.
fn read_from_stick(device: &Path) -> Result<String> {
    if !device.exists() {
        bail!(
            "{}: no USB stick labelled UKETSUKE is plugged in (label the stick's file system \
             UKETSUKE and put provision.json at its top)",
            device.display()
        );
    }
    let mount_point = std::env::temp_dir().join(format!("uketsuke-stick-{}", std::process::id()));
    std::fs::create_dir(&mount_point)
        .with_context(|| format!("cannot create {}", mount_point.display()))?;
    let mut options = "ro,nosuid,nodev,noexec".to_owned();
    if device.is_file() {
        options.push_str(",loop");
    }
    let mounted = std::process::Command::new("mount")
        .arg("-o")
        .arg(&options)
        .arg(device)
        .arg(&mount_point)
        .output();
    let result = match mounted {
        Err(e) => Err(anyhow::anyhow!("cannot run mount: {e}")),
        Ok(out) if !out.status.success() => Err(anyhow::anyhow!(
            "mount -o {options} {} failed: {}",
            device.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Ok(_) => {
            let file = mount_point.join(PROVISION_FILE);
            let text = std::fs::read_to_string(&file).with_context(|| {
                format!(
                    "{}: cannot read {PROVISION_FILE} on the stick",
                    device.display()
                )
            });
            let unmounted = std::process::Command::new("umount")
                .arg(&mount_point)
                .status();
            if !unmounted.is_ok_and(|s| s.success()) {
                eprintln!(
                    "uketsuke: warning: cannot unmount {}; unmount it before pulling the stick",
                    mount_point.display()
                );
            }
            text
        }
    };
    let _ = std::fs::remove_dir(&mount_point);
    result
}

/// Checks everything, then writes what differs.
fn provision(options: &ProvisionOptions, source: &str, text: &str) -> Result<()> {
    let dir = &options.data_dir;
    let zoneinfo = options.zoneinfo.clone();
    let zone_exists = move |zone: &str| zoneinfo.join(zone).is_file();
    let file_problem = |path: &str| match File::open(path) {
        Ok(_) => None,
        Err(e) => Some(e.to_string()),
    };
    let gateway_problem = |spec: &str| {
        // An oqs:DIR gateway is checked for its folder here (req, res, face, readable), and
        // with the facility's code when the kiosk starts.
        if let Some(dir) = spec.strip_prefix("oqs:") {
            return crate::gateway::oqs::TerminalFolder::find(std::path::Path::new(dir))
                .err()
                .map(|e| format!("--gateway {spec}: {e}"));
        }
        super::compose::build_kiosk_gateway(spec, false, &mut Default::default())
            .err()
            .map(|e| format!("{e:#}"))
    };
    let env = Environment {
        zone_exists: &zone_exists,
        file_problem: &file_problem,
        gateway_problem: &gateway_problem,
    };
    let facility_path = dir.join(FACILITY_FILE);
    let existing = read_existing(&facility_path)?;
    let first = existing.is_none();
    let mut problems = Vec::new();
    let parsed = match provisioning::parse(text, &env) {
        Ok(p) => Some(p),
        Err(p) => {
            problems.extend(p);
            None
        }
    };
    let provisioned = parsed.as_ref();
    let given = provisioning::keys_in(text);
    if first {
        for key in provisioning::REQUIRED_FIRST {
            if !given.iter().any(|k| k == key) {
                problems.push(Problem::new(
                    key,
                    "required the first time a kiosk is provisioned",
                ));
            }
        }
    }
    // The database: whose account exists already.
    let db_path = dir.join(DATABASE_FILE);
    let store = if db_path.exists() {
        Some(Store::open(&db_path)?)
    } else {
        None
    };
    let technicians = match &store {
        Some(s) => s
            .staff_accounts()?
            .into_iter()
            .filter(|a| a.role == Role::Technician)
            .count(),
        None => 0,
    };
    let technician = provisioned.and_then(|p| p.technician.clone());
    let create_account = match (&technician, &store) {
        (Some(t), Some(s)) => s.staff_by_login(&t.login)?.is_none(),
        (Some(_), None) => true,
        (None, _) => false,
    };
    if technicians == 0 && !given.iter().any(|k| k == "technician") {
        problems.push(Problem::new(
            "technician",
            "required: the database has no technician account yet (give \
             {\"login\": ..., \"name\": ...}; the password comes on standard input)",
        ));
    }
    // The merged configuration must be one the kiosk accepts.
    let base = existing.clone().unwrap_or_default();
    let merged = provisioned.map(|p| provisioning::merge(&base, p));
    if let Some((merged, _)) = &merged {
        let json = provisioning::facility_json(merged);
        if let Err(errors) = FacilityConfig::check_json(&json, FACILITY_FILE) {
            for e in errors {
                let (key, detail) = e.key_and_detail();
                if !problems.iter().any(|p| p.key == key) {
                    problems.push(Problem::new(key, detail));
                }
            }
        }
    }
    if !problems.is_empty() {
        let lines: Vec<String> = problems
            .iter()
            .map(|p| format!("{source}: key \"{}\": {}", p.key, p.detail))
            .collect();
        bail!(
            "{} problem(s); nothing was changed:\n{}",
            problems.len(),
            lines.join("\n")
        );
    }
    let (Some(p), Some((merged, changed_keys))) = (parsed, merged) else {
        bail!("{source}: nothing to provision");
    };
    for w in &p.warnings {
        eprintln!("uketsuke: warning: {source}: {w}");
    }
    let password_hash = if create_account {
        Some(read_password(
            technician.as_ref().map_or("", |t| t.login.as_str()),
        )?)
    } else {
        None
    };

    // Everything is valid: write what differs.
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the data folder {}", dir.display()))?;
    let mut changed: Vec<String> = Vec::new();
    let mut said: Vec<String> = Vec::new();
    if first || !changed_keys.is_empty() {
        write_atomically(
            dir,
            FACILITY_FILE,
            provisioning::facility_json(&merged).as_bytes(),
        )?;
        said.push(format!(
            "{}: {}",
            facility_path.display(),
            if first {
                "written".to_owned()
            } else {
                format!("updated ({})", changed_keys.join(", "))
            }
        ));
        changed.extend(changed_keys);
    }
    let timesyncd_path = dir.join(TIMESYNCD_FILE);
    if p.ntp.is_some() || !timesyncd_path.exists() {
        let text = provisioning::timesyncd_conf(p.ntp.as_deref());
        if std::fs::read_to_string(&timesyncd_path).ok().as_deref() != Some(text.as_str()) {
            write_atomically(dir, TIMESYNCD_FILE, text.as_bytes())?;
            said.push(format!(
                "{}: NTP {}",
                timesyncd_path.display(),
                p.ntp
                    .as_ref()
                    .map_or("systemd-timesyncd's defaults".into(), |s| s.join(" "))
            ));
            changed.push("ntp".into());
        }
    }
    let localtime_path = dir.join(LOCALTIME_LINK);
    let zone = p.time_zone.clone().or_else(|| {
        (std::fs::symlink_metadata(&localtime_path).is_err())
            .then(|| provisioning::JAPAN_ZONE.to_owned())
    });
    if let Some(zone) = zone {
        let target = options.zoneinfo.join(&zone);
        if std::fs::read_link(&localtime_path).ok().as_deref() != Some(target.as_path()) {
            link_atomically(dir, LOCALTIME_LINK, &target)?;
            said.push(format!("{}: {zone}", localtime_path.display()));
            changed.push("time_zone".into());
        }
    }
    // The staff console's certificate when it serves the LAN: made now (kept if it exists),
    // so its fingerprint can be written down before staff first sign in.
    let mut console_settings = crate::rules::FacilityConfig::from_json(
        &provisioning::facility_json(&merged),
        &facility_path.display().to_string(),
    )?
    .console;
    console_settings.data_dir = Some(dir.to_path_buf());
    let certificate = crate::console::ensure_certificate(&console_settings).with_context(|| {
        format!(
            "key \"console\": cannot make the console's certificate in {}",
            dir.display()
        )
    })?;
    let store = match store {
        Some(s) => s,
        None => Store::open(&db_path)?,
    };
    println!(
        "patient key: {} (owner-only; it stays on this kiosk and is never stored in the \
         database; back it up with the kiosk, never with a copy of the database)",
        crate::patient_key::key_file_for(&db_path).display()
    );
    if let (Some(t), Some(password_hash)) = (&technician, password_hash) {
        store.add_staff(&NewStaffAccount {
            login: t.login.clone(),
            display_name: t.display_name.clone(),
            role: Role::Technician,
            password_hash,
            created_at: now(),
            created_by: "provision".to_owned(),
        })?;
        said.push(format!(
            "technician account {} ({}): created in {}",
            t.login,
            t.display_name,
            db_path.display()
        ));
        changed.push("technician".into());
    }
    if let Some((path, sha256)) = &certificate {
        println!(
            "staff console certificate: {} (SHA-256 {sha256}; compare it with what the \
             reception PC's browser shows)",
            path.display()
        );
    }
    if changed.is_empty() {
        println!(
            "unchanged: {} already holds this provisioning",
            dir.display()
        );
        return Ok(());
    }
    store.append_audit(&NewAuditEntry {
        at: now(),
        actor: "provision".to_owned(),
        action: "provisioned".to_owned(),
        check_in_id: None,
        detail: format!("from {source}; changed: {}", changed.join(", ")),
    })?;
    for line in said {
        println!("{line}");
    }
    println!("audit log: provisioned ({})", changed.join(", "));
    Ok(())
}

/// facility.json as it is now, as a JSON object; `None` if there is none yet.
fn read_existing(path: &Path) -> Result<Option<Map<String, Value>>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => Ok(Some(m)),
        _ => bail!(
            "{}: not a JSON object; fix it or move it away, then provision again",
            path.display()
        ),
    }
}

/// The technician's password: one line on standard input, never from the command line where
/// `ps` would show it. Returns its argon2id hash.
fn read_password(login: &str) -> Result<String> {
    use std::io::IsTerminal as _;
    if std::io::stdin().is_terminal() {
        eprint!(
            "password for the technician {login} (shown as you type; at least 10 characters): "
        );
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the technician's password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']);
    if let Some(problem) = crate::staff::password_problem(password) {
        bail!("password from standard input: {problem}; nothing was changed");
    }
    Ok(crate::password::hash(password)?)
}

/// Writes `dir/name` so that a reader (or a power cut) sees the old file or the new one, never
/// a mix: a temporary file in the same folder, fsync'd, renamed over the old, then the folder
/// fsync'd so the rename itself is durable.
pub fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let mut file = File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(e).with_context(|| format!("cannot write {}", temp.display()));
    }
    replace(dir, &temp, name)
}

/// Points `dir/name` at `target`, atomically as [`write_atomically`] does.
pub fn link_atomically(dir: &Path, name: &str, target: &Path) -> Result<()> {
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&temp);
    std::os::unix::fs::symlink(target, &temp)
        .with_context(|| format!("cannot create the link {}", temp.display()))?;
    replace(dir, &temp, name)
}

fn replace(dir: &Path, temp: &Path, name: &str) -> Result<()> {
    let path = dir.join(name);
    if let Err(e) = std::fs::rename(temp, &path) {
        let _ = std::fs::remove_file(temp);
        return Err(e).with_context(|| format!("cannot replace {}", path.display()));
    }
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync the folder {}", dir.display()))
}
