//! The composition root: builds readers, gateways, rules and facility settings from the command
//! line's words, and connects the headless driver's ports to the real adapters. Subcommands
//! (one file each beside this one) call it; nothing in the library calls them.
//!
//! Errors here are for technicians: each names the file, option or device at fault.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::domain::CheckInRecord;
use crate::flow::{ReaderOp, ReaderReply, StoreReply};
use crate::gateway::KioskGateway;
#[cfg(feature = "sim")]
use crate::gateway::sim::{Persona, SimGateway};
use crate::headless::{PatientScript, ReaderPort, StorePort};
use crate::reader::pcsc::PcscReader;
#[cfg(feature = "sim")]
use crate::reader::sim::SimReader;
use crate::reader::{KioskReader, trouble_text};
use crate::rules::{FacilityConfig, Rules};
use crate::store::Store;

#[cfg(feature = "sim")]
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
            #[cfg(feature = "sim")]
            KioskReader::Sim(r) => ReaderPort::place(r, what),
            KioskReader::Pcsc(r) => ReaderPort::place(r.as_mut(), what),
        }
    }

    fn remove(&mut self) -> Result<(), String> {
        match self {
            #[cfg(feature = "sim")]
            KioskReader::Sim(r) => ReaderPort::remove(r),
            KioskReader::Pcsc(r) => ReaderPort::remove(r.as_mut()),
        }
    }

    fn execute(&mut self, op: ReaderOp) -> ReaderReply {
        match self {
            #[cfg(feature = "sim")]
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
        #[cfg(feature = "sim")]
        Some(("sim", profile)) => Ok(KioskReader::Sim(
            SimReader::from_spec(profile).map_err(|e| anyhow::anyhow!("--reader {spec}: {e}"))?,
        )),
        #[cfg(feature = "sim")]
        None if spec == "sim" => Ok(KioskReader::Sim(SimReader::new())),
        None if spec == "pcsc" => Ok(KioskReader::Pcsc(Box::new(start_pcsc(None)?))),
        Some(("pcsc", name)) if !name.is_empty() => {
            Ok(KioskReader::Pcsc(Box::new(start_pcsc(Some(name))?)))
        }
        _ => bail!(
            "--reader {spec}: unknown reader; use pcsc or pcsc:NAME (part of the reader's \
             name){}",
            if cfg!(feature = "sim") {
                ", or sim:PROFILE (card, phone, iphone, transit, resident-card, payment, \
                 unknown-device, mute)"
            } else {
                " (this build has no simulated reader)"
            }
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

/// The eligibility terminal's folder in a gateway setting `oqs:DIR` (others name none).
pub fn terminal_folder(gateway: &str) -> Option<std::path::PathBuf> {
    gateway
        .strip_prefix("oqs:")
        .filter(|dir| !dir.trim().is_empty())
        .map(std::path::PathBuf::from)
}

/// The kiosk's `--gateway`: `none` (no eligibility source: the desk confirms eligibility),
/// `oqs:DIR` (the eligibility terminal's certified reader beside the kiosk, its result files in
/// `DIR/face`: also turns on `certified_reader.enabled` in `facility`, which gives the
/// 医療機関コード and the reader's settings), or, in builds with feature `sim`, `sim` /
/// `sim:PERSONA`. `real_latency`: a simulated gateway sleeps its persona's latency (the live
/// kiosk) instead of reporting it (virtual time).
pub fn build_kiosk_gateway(
    spec: &str,
    real_latency: bool,
    facility: &mut FacilityConfig,
) -> Result<KioskGateway> {
    if spec == "none" {
        return Ok(KioskGateway::Unconfigured);
    }
    if let Some(dir) = spec.strip_prefix("oqs:") {
        if dir.is_empty() {
            bail!("--gateway {spec}: name the eligibility terminal's folder, e.g. oqs:/mnt/oqs");
        }
        let gateway = crate::gateway::oqs::OqsGateway::open(Path::new(dir), facility)
            .map_err(|e| anyhow::anyhow!("--gateway {spec}: {e}"))?;
        facility.certified_reader.enabled = true;
        return Ok(KioskGateway::Oqs(Box::new(gateway)));
    }
    #[cfg(feature = "sim")]
    if spec == "sim" || spec.starts_with("sim:") {
        return Ok(KioskGateway::Sim(
            build_gateway(spec)?.with_real_latency(real_latency),
        ));
    }
    let _ = real_latency;
    bail!(
        "--gateway {spec}: unknown gateway; use none, oqs:DIR{}",
        if cfg!(feature = "sim") {
            ", sim or sim:PERSONA"
        } else {
            " (this build has no simulated gateway)"
        }
    )
}

/// `--gateway`: `sim` or `sim:PERSONA`.
#[cfg(feature = "sim")]
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
