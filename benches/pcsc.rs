//! Through a real pcscd (vpcd reader "Virtual JPKI Reader 00 00", a simulated card connected to
//! it): prints numbers; asserts APDU counts, never time.
//!
//! 1. Each path a patient may tap (card with PIN, phone with PIN, transit card, unreadable
//!    device), driving `PcscReader` with the flow's reader operations in the flow's order: APDUs
//!    and bytes each way against the least APDUs the path can take (computed here), and wall
//!    time from card-present to identified, to certificate read and to signed. Exits non-zero if
//!    a path takes more APDUs than its minimum.
//! 2. OpenSC's `pkcs15-tool --read-certificate` reading the same user-authentication certificate
//!    from the same virtual card through the same pcscd, against our identify + certificate read.
//!
//! `cargo bench --bench pcsc -- --quick` runs 3 taps per path instead of 20; under `cargo test`
//! it is the same quick run, as a smoke run. Without pcscd + vpcd it says NOT RUN and exits 0,
//! unless `CI=true`, where it fails.
//!
//! The reader is shared with the PC/SC tests: the bench takes the reader's turn
//! (`vpcd::ReaderTurn`) for each card it places, waits for an empty field, and checks that the
//! card the reader talked to was its own.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use uketsuke::card::apdu::hex;
use uketsuke::card::jpki::ApduStats;
use uketsuke::card::sim::{SimOptions, SimProfile, SimulatedCard, lock};
use uketsuke::domain::{CardProof, Challenge, Pin, Tapped};
use uketsuke::flow::{PinStatus, ReaderOp, ReaderReply};
use uketsuke::pki;
use uketsuke::reader::SimSpec;
use uketsuke::reader::pcsc::{PcscReader, survey};
use uketsuke::vpcd::{
    ApduTiming, DEFAULT_PORT, ReaderTurn, TURN_LOCK, VirtualCard, WhenDropped, WireFaults,
};

/// The vpcd slot on port 35963 (see `scripts/pcscd`).
const READER: &str = "Virtual JPKI Reader 00 00";
const PORT: u16 = DEFAULT_PORT;
/// How long to wait for something pcscd reports (it polls vpcd every ~400 ms).
const EVENT_WAIT: Duration = Duration::from_secs(10);
/// How long to wait for a card that is not ours to leave the shared reader.
const STRAY_WAIT: Duration = Duration::from_secs(60);
/// The PIN of the simulated cards (`SimOptions::default`).
const PIN: &str = "1234";

/// OpenSC's PKCS#15 ID of the user-authentication certificate, EF 000A. Found once by hand
/// (`pkcs15-tool --reader "Virtual JPKI Reader 00 00" --list-certificates` on the virtual
/// card, OpenSC 0.23.0): "X.509 Certificate [User Authentication Certificate] ... Path: 000a,
/// ID: 01" (OpenSC's pkcs15-jpki.c numbers 000A, 0001, 000B, 0002 as IDs 01..04). The bench
/// also checks that what OpenSC prints is that very certificate.
const OPENSC_AUTH_CERT_ID: &str = "01";

const SELECT_JPKI_AP: [u8; 15] = [
    0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01,
];
const SELECT_CERT_EF: [u8; 7] = [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0A];
/// The signing-password EF, which the simulated card does not have (see `opensc_side`).
const SELECT_SIGN_PIN_EF: [u8; 7] = [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x1B];
const INS_READ_BINARY: u8 = 0xB0;
const INS_VERIFY: u8 = 0x20;
const INS_SELECT: u8 = 0xA4;

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

// ----- statistics and formatting -----

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

/// "p50 / p99" in milliseconds, or a dash when there is nothing to measure.
fn p50_p99(samples: &[Duration]) -> String {
    if samples.is_empty() {
        return "—".to_string();
    }
    let mut sorted = samples.to_vec();
    sorted.sort();
    format!(
        "{} / {}",
        ms(percentile(&sorted, 0.50)),
        ms(percentile(&sorted, 0.99))
    )
}

fn p50(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    percentile(&sorted, 0.50)
}

fn ratio(theirs: f64, ours: f64) -> String {
    if ours <= 0.0 {
        "—".to_string()
    } else {
        format!("{:.1}x", theirs / ours)
    }
}

// ----- the reader rig -----

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Starts pcscd (a no-op if it runs) and waits for the vpcd reader. `Err` says why the rig is
/// missing.
fn rig() -> Result<PcscReader, String> {
    // `start`, never `plug`: it does not restart a pcscd someone else is using.
    let started = Command::new("bash")
        .arg(root().join("scripts/pcscd"))
        .arg("start")
        .output();
    let start_problem = match started {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!(
            "scripts/pcscd start failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Some(format!("cannot run scripts/pcscd: {e}")),
    };
    let surveyed = survey(Some(READER));
    if let Err(e) = surveyed.service {
        return Err(start_problem.unwrap_or(e));
    }
    let mut reader = PcscReader::start(Some(READER))
        .map_err(|e| format!("cannot start the PC/SC monitor thread: {e}"))?;
    // The PC/SC tests unplug the reader now and then (a pcscd restart): give it a moment.
    if !reader.wait_until(Duration::from_secs(15), |f| f.reader.is_some()) {
        return Err(format!("pcscd lists no reader named {READER}"));
    }
    Ok(reader)
}

/// Waits until the shared reader is there and its field empty: another engineer's card may be
/// on it.
fn wait_for_empty_field(reader: &mut PcscReader) -> Result<(), String> {
    let ready = |f: &uketsuke::reader::pcsc::Field| f.reader.is_some() && !f.present;
    // pcscd may be coming back from a restart by a test that had the turn before: a moment.
    if reader.wait_until(Duration::from_secs(2), ready) {
        return Ok(());
    }
    let why = if reader.field().present {
        "a card that is not ours is on it"
    } else {
        "the reader is away (pcscd restarting?)"
    };
    eprintln!("(waiting up to {STRAY_WAIT:?} for {READER}: {why})");
    if reader.wait_until(STRAY_WAIT, ready) {
        Ok(())
    } else {
        Err(format!(
            "{READER} stayed busy for {STRAY_WAIT:?} (another virtual card on it? field: {:?})",
            reader.field()
        ))
    }
}

/// A card placed on the reader and taken by `PcscReader` as a new tap.
struct Placed {
    card: Arc<Mutex<SimulatedCard>>,
    on_reader: Option<VirtualCard>,
    /// When `PcscReader::take_new_card` returned: the kiosk knows the card is there.
    present: Instant,
    /// This process's turn at the shared reader (the PC/SC test rig takes the same lock), held
    /// for one card only so tests in other processes can slip in between taps. Dropped last
    /// (fields drop in order), after the card has left the reader.
    _turn: ReaderTurn,
}

impl Placed {
    fn put(reader: &mut PcscReader, card: SimulatedCard) -> Result<Placed, String> {
        let turn =
            ReaderTurn::take().map_err(|e| format!("the reader's turn ({TURN_LOCK}): {e}"))?;
        wait_for_empty_field(reader)?;
        let card = card.shared();
        let atr = lock(&card).atr().to_vec();
        // The virtual card itself connects again if pcscd does not take it (see `uketsuke::vpcd`).
        let on_reader = VirtualCard::insert_local(
            PORT,
            Arc::clone(&card),
            WireFaults::default(),
            WhenDropped::StayOff,
        )
        .map_err(|e| format!("the virtual card cannot reach vpcd on port {PORT}: {e}"))?;
        let mut placed = Placed {
            card,
            on_reader: Some(on_reader),
            present: Instant::now(),
            _turn: turn,
        };
        if !reader.take_new_card(EVENT_WAIT) {
            placed.take_off(reader)?;
            return Err("pcscd never reported the virtual card present".into());
        }
        placed.present = Instant::now();
        if reader.field().atr != atr {
            let seen = hex(&reader.field().atr);
            placed.take_off(reader)?;
            return Err(format!(
                "the card on {READER} is not ours (ATR {seen}): another virtual card?"
            ));
        }
        Ok(placed)
    }

    fn timings(&self) -> Vec<ApduTiming> {
        self.on_reader
            .as_ref()
            .map(VirtualCard::timings)
            .unwrap_or_default()
    }

    fn log(&self) -> Vec<Vec<u8>> {
        lock(&self.card).log().to_vec()
    }

    /// Takes the card off and waits until the reader says the field is empty.
    fn take_off(&mut self, reader: &mut PcscReader) -> Result<(), String> {
        if let Some(on_reader) = self.on_reader.take() {
            on_reader.remove();
        }
        if reader.wait_for_removal(EVENT_WAIT) {
            Ok(())
        } else {
            Err("pcscd never reported the virtual card gone".into())
        }
    }
}

fn simulated(spec: &str) -> Result<SimulatedCard, String> {
    let spec: SimSpec = spec.parse().map_err(|e| format!("{e}"))?;
    Ok(SimulatedCard::new(spec.profile, spec.options))
}

fn expect(what: &str, got: ReaderReply, want: &ReaderReply) -> Result<(), String> {
    if &got == want {
        Ok(())
    } else {
        Err(format!("{what}: expected {want:?}, got {got:?}"))
    }
}

/// Index of the last READ BINARY of the certificate EF: the READs right after SELECT 000A.
fn last_cert_read(log: &[Vec<u8>]) -> Option<usize> {
    let select = log.iter().position(|c| c.as_slice() == SELECT_CERT_EF)?;
    log.iter()
        .enumerate()
        .skip(select + 1)
        .take_while(|(_, c)| c.get(1) == Some(&INS_READ_BINARY))
        .map(|(i, _)| i)
        .last()
}

/// The card's own account of a tap: APDUs and bytes each way (data + SW).
fn card_side_stats(timings: &[ApduTiming]) -> ApduStats {
    ApduStats {
        apdus: timings.len(),
        bytes_sent: timings.iter().map(|t| t.command_len).sum(),
        bytes_received: timings.iter().map(|t| t.response_len).sum(),
    }
}

// ----- 1. every path -----

/// A path through the flow.
struct PathSpec {
    label: &'static str,
    /// The simulated thing (`SimSpec` name).
    spec: &'static str,
    expected: Tapped,
    /// Card and phone: tries left, VERIFY, then certificate and signature.
    with_pin: bool,
}

const PATHS: [PathSpec; 4] = [
    PathSpec {
        label: "card with PIN",
        spec: "card",
        expected: Tapped::MyNumberCard,
        with_pin: true,
    },
    PathSpec {
        label: "phone with PIN",
        spec: "phone",
        expected: Tapped::AndroidPhone,
        with_pin: true,
    },
    PathSpec {
        label: "transit card",
        spec: "transit",
        expected: Tapped::TransitCard,
        with_pin: false,
    },
    PathSpec {
        label: "unreadable device",
        spec: "iphone",
        expected: Tapped::UnreadableDevice,
        with_pin: false,
    },
];

/// The least APDUs a path can take, from what the card must be asked, with the reason.
fn minimum(path: &PathSpec) -> (usize, String) {
    match path.expected {
        Tapped::MyNumberCard | Tapped::AndroidPhone => {
            let label = if path.expected == Tapped::MyNumberCard {
                "card"
            } else {
                "phone"
            };
            let cert_len = pki::test_identity(label).certificate.0.len();
            // A short READ BINARY returns at most 256 bytes.
            let reads = cert_len.div_ceil(256);
            let min = 1 + 1 + 1 + 1 + 1 + 1 + 1 + reads + 1 + 1;
            (
                min,
                format!(
                    "SELECT AP + SELECT token EF + READ token + SELECT PIN EF + empty VERIFY \
                     (tries left) + VERIFY + SELECT cert EF + ceil({cert_len}/256) = {reads} \
                     READs + SELECT key EF + SIGN = {min}"
                ),
            )
        }
        Tapped::TransitCard => (0, "0: the FeliCa ATR decides, no APDU needed".into()),
        _ => (
            3,
            "SELECT JPKI AP + SELECT payment directory + the reader's GET DATA (UID) = 3: a \
             payment card and a Type A card must be told from a phone"
                .into(),
        ),
    }
}

struct Tap {
    stats: ApduStats,
    identified: Duration,
    cert_read: Option<Duration>,
    signed: Option<Duration>,
}

/// One tap on one path, as the flow would drive the reader, with a patient who types the PIN
/// at once.
fn tap(reader: &mut PcscReader, path: &PathSpec, run: usize) -> Result<Tap, String> {
    let mut placed = Placed::put(reader, simulated(path.spec)?)?;
    let result = run_path(reader, &placed, path, run);
    placed.take_off(reader)?;
    result.map_err(|e| format!("{} (run {run}): {e}", path.label))
}

fn run_path(
    reader: &mut PcscReader,
    placed: &Placed,
    path: &PathSpec,
    run: usize,
) -> Result<Tap, String> {
    let present = placed.present;
    expect(
        "Identify",
        reader.execute(ReaderOp::Identify),
        &ReaderReply::Identified(path.expected),
    )?;
    let identified = present.elapsed();
    let (mut cert_read, mut signed) = (None, None);
    let mut certificate_seen = None;
    if path.with_pin {
        expect(
            "ReadPinTriesLeft",
            reader.execute(ReaderOp::ReadPinTriesLeft),
            &ReaderReply::PinTriesLeft(PinStatus::TriesLeft(3)),
        )?;
        let pin = Pin::parse(PIN).ok_or("the bench PIN is four digits")?;
        expect(
            "VerifyPin",
            reader.execute(ReaderOp::VerifyPin(pin)),
            &ReaderReply::PinVerified,
        )?;
        let challenge = Challenge(format!("uketsuke pcsc bench, run {run}").into_bytes());
        let reply = reader.execute(ReaderOp::Authenticate {
            challenge: challenge.clone(),
        });
        signed = Some(present.elapsed());
        let ReaderReply::Authenticated {
            certificate,
            signature,
            ..
        } = reply
        else {
            return Err(format!("Authenticate: expected a signature, got {reply:?}"));
        };
        certificate_seen = Some(certificate.clone());
        pki::verify_card_proof(
            &CardProof {
                certificate,
                challenge,
                signature,
            },
            pki::test_ca_certificate(),
        )
        .map_err(|e| format!("the signature does not verify: {e}"))?;
    }
    let stats = reader.stats().unwrap_or_default();
    let timings = placed.timings();
    let log = placed.log();
    // What the card itself saw must be what the reader says it sent: otherwise the reader
    // talked to some other card.
    let card_side = card_side_stats(&timings);
    if card_side != stats || log.len() != stats.apdus {
        return Err(format!(
            "the reader counted {stats:?}, the card saw {card_side:?} ({} in its log)",
            log.len()
        ));
    }
    if let Some(certificate) = certificate_seen {
        let label = if path.expected == Tapped::MyNumberCard {
            "card"
        } else {
            "phone"
        };
        if certificate != pki::test_identity(label).certificate {
            return Err("the certificate read is not the card's".into());
        }
        let last = last_cert_read(&log).ok_or("no READ BINARY of EF 000A in the card's log")?;
        cert_read = Some(timings[last].answered.saturating_duration_since(present));
    }
    Ok(Tap {
        stats,
        identified,
        cert_read,
        signed,
    })
}

/// Runs every path `n` times and prints the table; `Ok(false)` if a path is above its minimum.
fn every_path(reader: &mut PcscReader, n: usize) -> Result<bool, String> {
    println!();
    println!(
        "1. Every path through pcscd: PcscReader driven with the flow's ReaderOps, {n} taps each"
    );
    println!();
    println!(
        "{:<18} {:>5} {:>7}  {:<15} {:>7} {:>7}   {:>19} {:>19} {:>19}",
        "path",
        "APDUs",
        "minimum",
        "",
        "sent B",
        "recv B",
        "identified p50/p99",
        "cert read p50/p99",
        "signed p50/p99"
    );
    let mut all_at_minimum = true;
    let mut reasons = Vec::new();
    for path in &PATHS {
        let (min, why) = minimum(path);
        reasons.push((path.spec, why));
        let mut stats = Vec::with_capacity(n);
        let (mut identified, mut cert_read, mut signed) = (Vec::new(), Vec::new(), Vec::new());
        for run in 0..n {
            let tap = tap(reader, path, run)?;
            stats.push(tap.stats);
            identified.push(tap.identified);
            cert_read.extend(tap.cert_read);
            signed.extend(tap.signed);
        }
        let apdus_max = stats.iter().map(|s| s.apdus).max().unwrap_or(0);
        let apdus_min = stats.iter().map(|s| s.apdus).min().unwrap_or(0);
        let same = stats.iter().all(|s| *s == stats[0]);
        let apdus = if apdus_min == apdus_max {
            apdus_max.to_string()
        } else {
            format!("{apdus_min}-{apdus_max}")
        };
        let mark = if apdus_max > min {
            all_at_minimum = false;
            "ABOVE minimum"
        } else if apdus_min < min {
            all_at_minimum = false;
            "BELOW minimum?!"
        } else {
            "= minimum"
        };
        println!(
            "{:<18} {:>5} {:>7}  {:<15} {:>7} {:>7}   {:>19} {:>19} {:>19}{}",
            path.label,
            apdus,
            min,
            mark,
            stats[0].bytes_sent,
            stats[0].bytes_received,
            p50_p99(&identified),
            p50_p99(&cert_read),
            p50_p99(&signed),
            if same {
                ""
            } else {
                "  (counts varied between taps)"
            }
        );
    }
    println!();
    println!("minimum APDUs, from what must be asked:");
    for (spec, why) in &reasons {
        println!("  {spec:<8} {why}");
    }
    println!();
    println!("where the times are taken (ms, p50 / p99; with {n} taps p99 is the slowest):");
    println!(
        "  start       card-present: PcscReader::take_new_card returned (pcscd reported the card)"
    );
    println!("  identified  execute(Identify) returned");
    println!(
        "  cert read   the simulated card answered the last READ BINARY of EF 000A (card-side\n              \
         clock from VirtualCard::timings(), same process; the reader has it ~0.1 ms later).\n              \
         The flow reads the certificate inside Authenticate, after the PIN, on card and phone alike"
    );
    println!(
        "  signed      execute(Authenticate) returned with the signature (certificate and\n              \
         signature checked afterwards, untimed)"
    );
    println!(
        "  in between  Identify, ReadPinTriesLeft, VerifyPin(\"{PIN}\"), Authenticate back to back:\n              \
         no patient typing time, no gateway"
    );
    println!(
        "  bytes       as the JPKI layer counts them (ApduStats), data + SW1 SW2; equal to what\n              \
         the card itself saw (checked)"
    );
    Ok(all_at_minimum)
}

// ----- 2. OpenSC side by side -----

/// Our identify + certificate read, on a fresh card (no PIN: the card's certificate is free).
struct OursCertRead {
    apdus: usize,
    card_side: Duration,
    /// From issuing Identify (card already reported present) to the last certificate READ
    /// answered.
    wall: Duration,
    lead_in: Duration,
    trailing: Vec<Vec<u8>>,
}

fn ours_cert_read(reader: &mut PcscReader, run: usize) -> Result<OursCertRead, String> {
    let mut placed = Placed::put(reader, simulated("card")?)?;
    let result = (|| {
        let issued = Instant::now();
        expect(
            "Identify",
            reader.execute(ReaderOp::Identify),
            &ReaderReply::Identified(Tapped::MyNumberCard),
        )?;
        // The adapter has no certificate-only operation: Authenticate reads the certificate,
        // then its signature is refused without a PIN (SELECT 0017 + COMPUTE SIGNATURE 6982).
        // Only the APDUs up to the last certificate READ are counted and timed.
        let reply = reader.execute(ReaderOp::Authenticate {
            challenge: Challenge(format!("uketsuke pcsc bench, cert run {run}").into_bytes()),
        });
        if !matches!(&reply, ReaderReply::Fault(text) if text.contains("6982")) {
            return Err(format!(
                "Authenticate without a PIN: expected the signature refused (6982), got {reply:?}"
            ));
        }
        let log = placed.log();
        let timings = placed.timings();
        let last = last_cert_read(&log).ok_or("no READ BINARY of EF 000A in the card's log")?;
        if timings.len() != log.len() {
            return Err("the card's timings and log disagree".to_string());
        }
        Ok(OursCertRead {
            apdus: last + 1,
            card_side: timings[last].answered - timings[0].received,
            wall: timings[last].answered.saturating_duration_since(issued),
            lead_in: timings[0].received.saturating_duration_since(issued),
            trailing: log[last + 1..].to_vec(),
        })
    })();
    placed.take_off(reader)?;
    result.map_err(|e| format!("our certificate read (run {run}): {e}"))
}

struct OpenscRead {
    apdus: usize,
    card_side: Duration,
    wall: Duration,
    lead_in: Duration,
    log: Vec<Vec<u8>>,
}

/// A fresh "card" whose answer to the APDU at `sign_pin_select` (OpenSC's SELECT 001B) is
/// 90 00 (see `opensc_side`).
fn card_for_opensc(sign_pin_select: Option<usize>) -> SimulatedCard {
    SimulatedCard::new(
        SimProfile::MyNumberCard,
        SimOptions {
            status_override: sign_pin_select.map(|i| (i, [0x90, 0x00])),
            ..SimOptions::default()
        },
    )
}

fn pkcs15_read_certificate() -> std::io::Result<std::process::Output> {
    Command::new("pkcs15-tool")
        .args([
            "--reader",
            READER,
            "--read-certificate",
            OPENSC_AUTH_CERT_ID,
        ])
        .output()
}

fn opensc_cert_read(
    reader: &mut PcscReader,
    sign_pin_select: Option<usize>,
    run: usize,
) -> Result<OpenscRead, String> {
    let mut placed = Placed::put(reader, card_for_opensc(sign_pin_select))?;
    let result = (|| {
        let before = lock(&placed.card).apdu_count();
        let start = Instant::now();
        let output = pkcs15_read_certificate().map_err(|e| format!("pkcs15-tool: {e}"))?;
        let wall = start.elapsed();
        let after = lock(&placed.card).apdu_count();
        if !output.status.success() {
            return Err(format!(
                "pkcs15-tool failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        let der = pem_certificate(&String::from_utf8_lossy(&output.stdout))?;
        if der != pki::test_identity("card").certificate.0 {
            return Err("OpenSC's PEM is not the simulated card's certificate".into());
        }
        let log = placed.log()[before..].to_vec();
        if let Some(i) = sign_pin_select
            && placed.log().get(i).map(Vec::as_slice) != Some(&SELECT_SIGN_PIN_EF[..])
        {
            return Err(format!(
                "OpenSC's APDU {} was not SELECT 001B this time: its sequence changed",
                i + 1
            ));
        }
        let timings = placed.timings();
        let (Some(first), Some(last)) = (timings.first(), timings.last()) else {
            return Err("OpenSC sent no APDU".into());
        };
        Ok(OpenscRead {
            apdus: after - before,
            card_side: last.answered - first.received,
            wall,
            lead_in: first.received.saturating_duration_since(start),
            log,
        })
    })();
    placed.take_off(reader)?;
    result.map_err(|e| format!("OpenSC (run {run}): {e}"))
}

/// The simulated card has no signing-password EF 001B (the kiosk never uses it), and OpenSC
/// 0.23's JPKI emulator reads that PIN's tries left while binding and gives up without it. A dry
/// run finds where OpenSC selects 001B; the measured runs have the card answer exactly that
/// APDU with 90 00 (`SimOptions::status_override`), so the empty VERIFY that follows reports
/// the auth PIN's counter. The APDU count is what a real card with EF 001B would see.
fn opensc_side(reader: &mut PcscReader) -> Result<Option<usize>, String> {
    let mut placed = Placed::put(reader, card_for_opensc(None))?;
    let result = (|| {
        let output = pkcs15_read_certificate().map_err(|e| format!("pkcs15-tool: {e}"))?;
        if output.status.success() {
            return Ok(None);
        }
        let log = placed.log();
        log.iter()
            .position(|c| c.as_slice() == SELECT_SIGN_PIN_EF)
            .map(Some)
            .ok_or_else(|| {
                format!(
                    "pkcs15-tool failed without selecting EF 001B: {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                )
            })
    })();
    placed.take_off(reader)?;
    result.map_err(|e| format!("OpenSC dry run: {e}"))
}

/// Sorts OpenSC's APDUs into what they were for.
fn describe_opensc(log: &[Vec<u8>]) -> String {
    let first_jpki = log
        .iter()
        .position(|c| c.as_slice() == SELECT_JPKI_AP)
        .unwrap_or(log.len());
    let probes = &log[..first_jpki];
    let probe_selects = probes
        .iter()
        .filter(|c| c.get(1) == Some(&INS_SELECT))
        .count();
    let jpki_selects = log
        .iter()
        .filter(|c| c.as_slice() == SELECT_JPKI_AP)
        .count();
    let pin_status = log
        .iter()
        .filter(|c| {
            c.as_slice() == [0x00, INS_VERIFY, 0x00, 0x80]
                || c.as_slice() == [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18]
                || c.as_slice() == SELECT_SIGN_PIN_EF
        })
        .count();
    let cert_start = log.iter().position(|c| c.as_slice() == SELECT_CERT_EF);
    let reads: Vec<usize> = cert_start
        .map(|s| {
            log[s + 1..]
                .iter()
                .take_while(|c| c.get(1) == Some(&INS_READ_BINARY))
                .map(|c| match c.last() {
                    Some(0) | None => 256,
                    Some(&le) => usize::from(le),
                })
                .collect()
        })
        .unwrap_or_default();
    let cert = usize::from(cert_start.is_some()) + reads.len();
    let other = log.len() - probes.len() - jpki_selects - pin_status - cert;
    let mut text = String::new();
    let _ = write!(
        text,
        "  {} before the JPKI AID: other card drivers' probes ({} SELECT by AID, {} other)\n  \
         {} SELECT JPKI AP (the jpki driver's card match, then the PKCS#15 binding)\n  \
         {} for PIN status: SELECT 0018 + empty VERIFY, SELECT 001B + empty VERIFY (the\n    \
         signing password, which the kiosk never touches)\n  \
         {} for the certificate: SELECT 000A, then READ BINARY of {:?} bytes (the first\n    \
         read only fetches the 4-byte DER header; ours reads 256 and reuses the rest)",
        probes.len(),
        probe_selects,
        probes.len() - probe_selects,
        jpki_selects,
        pin_status,
        cert,
        reads
    );
    if other > 0 {
        let _ = write!(text, "\n  {other} other");
    }
    text
}

/// Runs ours and OpenSC `n` times each and prints the comparison.
fn opensc_comparison(reader: &mut PcscReader, n: usize) -> Result<(), String> {
    println!();
    println!(
        "2. Reading the user-authentication certificate (EF 000A) of the same virtual card through\n   \
         the same pcscd: uketsuke vs OpenSC `pkcs15-tool --reader \"{READER}\"\n   \
         --read-certificate {OPENSC_AUTH_CERT_ID}`, {n} fresh cards each"
    );
    match Command::new("pkcs15-tool").arg("--version").output() {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if ci() {
                return Err("CI=true and OpenSC (pkcs15-tool) is not installed".into());
            }
            println!();
            println!("OpenSC not installed (no pkcs15-tool): comparison skipped");
            return Ok(());
        }
        Err(e) => return Err(format!("pkcs15-tool: {e}")),
    }
    let sign_pin_select = opensc_side(reader)?;
    let mut ours = Vec::with_capacity(n);
    let mut theirs = Vec::with_capacity(n);
    for run in 0..n {
        ours.push(ours_cert_read(reader, run)?);
        theirs.push(opensc_cert_read(reader, sign_pin_select, run)?);
    }
    let cert_len = pki::test_identity("card").certificate.0.len();
    let our_min = 3 + 1 + cert_len.div_ceil(256);
    let our_apdus = ours[0].apdus;
    let their_apdus = theirs[0].apdus;
    let varied = |same: bool| if same { "" } else { " (varied)" };
    let ours_same = ours.iter().all(|o| o.apdus == our_apdus);
    let theirs_same = theirs.iter().all(|t| t.apdus == their_apdus);
    let ours_card: Vec<Duration> = ours.iter().map(|o| o.card_side).collect();
    let theirs_card: Vec<Duration> = theirs.iter().map(|t| t.card_side).collect();
    let ours_wall: Vec<Duration> = ours.iter().map(|o| o.wall).collect();
    let theirs_wall: Vec<Duration> = theirs.iter().map(|t| t.wall).collect();
    let ours_lead: Vec<Duration> = ours.iter().map(|o| o.lead_in).collect();
    let theirs_lead: Vec<Duration> = theirs.iter().map(|t| t.lead_in).collect();
    println!();
    println!(
        "{:<24} {:>6}   {:>24} {:>20} {:>22}",
        "", "APDUs", "card-side first..last", "lead-in", "wall"
    );
    println!(
        "{:<24} {:>6}   {:>24} {:>20} {:>22}",
        "uketsuke (PcscReader)",
        format!("{our_apdus}{}", varied(ours_same)),
        p50_p99(&ours_card),
        p50_p99(&ours_lead),
        p50_p99(&ours_wall),
    );
    println!(
        "{:<24} {:>6}   {:>24} {:>20} {:>22}",
        "OpenSC pkcs15-tool",
        format!("{their_apdus}{}", varied(theirs_same)),
        p50_p99(&theirs_card),
        p50_p99(&theirs_lead),
        p50_p99(&theirs_wall),
    );
    println!(
        "{:<24} {:>6}   {:>24} {:>20} {:>22}",
        "OpenSC / uketsuke (p50)",
        ratio(their_apdus as f64, our_apdus as f64),
        ratio(
            p50(&theirs_card).as_secs_f64(),
            p50(&ours_card).as_secs_f64()
        ),
        ratio(
            p50(&theirs_lead).as_secs_f64(),
            p50(&ours_lead).as_secs_f64()
        ),
        ratio(
            p50(&theirs_wall).as_secs_f64(),
            p50(&ours_wall).as_secs_f64()
        ),
    );
    println!();
    println!(
        "ours: Identify + certificate read = {our_apdus} APDUs (minimum 3 + SELECT 000A + \
         ceil({cert_len}/256) READs = {our_min}; no PIN needed on the card)"
    );
    println!(
        "  measured on a fresh card: Identify, then Authenticate, whose certificate read is timed;\n  \
         its signature is then refused without a PIN ({} more APDUs: {}), not counted",
        ours[0].trailing.len(),
        ours[0]
            .trailing
            .iter()
            .map(|c| if c.len() <= 7 {
                hex(c)
            } else {
                format!("{} ...", hex(&c[..4]))
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  card-side  first APDU received .. last READ BINARY of 000A answered (VirtualCard::timings)\n  \
         lead-in    Identify issued (card already reported present) .. first APDU received:\n             \
         SCardConnect on our long-lived context\n  \
         wall       Identify issued .. last certificate READ answered"
    );
    println!(
        "OpenSC: the whole `pkcs15-tool --read-certificate` process; APDUs = the card's apdu_count\n  \
         after - before; its PEM decodes to the simulated card's DER certificate (checked every run)"
    );
    println!(
        "  card-side  first APDU received .. last answered (VirtualCard::timings)\n  \
         lead-in    process spawned .. first APDU received: exec, opensc.conf, context, reader\n             \
         list, SCardConnect\n  \
         wall       process spawned .. exited (includes its start-up and exit)"
    );
    println!("OpenSC's {their_apdus} APDUs:");
    println!("{}", describe_opensc(&theirs[0].log));
    match sign_pin_select {
        Some(i) => println!(
            "  note: the simulated card has no signing-password EF 001B (the kiosk never reads it)\n  \
             and OpenSC 0.23's JPKI emulator will not bind without that PIN's tries left; so\n  \
             OpenSC's APDU {} (SELECT 001B, found by a dry run) is answered 90 00 through\n  \
             SimOptions::status_override, and the empty VERIFY after it reports the auth PIN's\n  \
             counter. Same APDU count as a real card with EF 001B.",
            i + 1
        ),
        None => println!("  (OpenSC bound to the simulated card as it is)"),
    }
    Ok(())
}

// ----- PEM -----

/// The DER inside the first PEM CERTIFICATE block of `text`.
fn pem_certificate(text: &str) -> Result<Vec<u8>, String> {
    let begin = "-----BEGIN CERTIFICATE-----";
    let end = "-----END CERTIFICATE-----";
    let start = text
        .find(begin)
        .ok_or("no PEM certificate in OpenSC's output")?
        + begin.len();
    let stop = text[start..]
        .find(end)
        .ok_or("an unterminated PEM certificate")?
        + start;
    base64_decode(&text[start..stop])
}

fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let symbols: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let data = symbols
        .iter()
        .position(|&b| b == b'=')
        .map_or(&symbols[..], |i| &symbols[..i]);
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in data {
        let v = value(c).ok_or_else(|| format!("not base64: {:?}", c as char))?;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

// ----- main -----

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes --bench; under `cargo test` this is the quick run, as a smoke run.
    let benching = args.iter().any(|a| a == "--bench");
    let quick = args.iter().any(|a| a == "--quick");
    let (n, mode) = match (benching, quick) {
        (false, _) => (3, "smoke run under cargo test: numbers not meaningful"),
        (true, true) => (3, "quick"),
        (true, false) => (20, "full"),
    };
    println!("uketsuke PC/SC benchmark ({mode}), through pcscd, reader \"{READER}\"");
    let mut reader = match rig() {
        Ok(reader) => reader,
        Err(why) if ci() => {
            eprintln!("FAILED: CI=true and the PC/SC rig (pcscd + vpcd) is missing: {why}");
            return ExitCode::FAILURE;
        }
        Err(why) => {
            println!();
            println!("!!!!!!!! NOT RUN: no pcscd + vpcd here (and CI is not true): {why}");
            println!("!!!!!!!! start it with `bash scripts/pcscd start` (root) to run this bench");
            return ExitCode::SUCCESS;
        }
    };
    // Keys are generated on first use: not inside a timed tap.
    for label in ["card", "phone"] {
        let _ = pki::test_identity(label);
    }
    let at_minimum = match every_path(&mut reader, n) {
        Ok(at_minimum) => at_minimum,
        Err(e) => {
            eprintln!("FAILED: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = opensc_comparison(&mut reader, n) {
        eprintln!("FAILED: {e}");
        return ExitCode::FAILURE;
    }
    println!();
    if at_minimum {
        println!("APDU counts: every path at its minimum");
        ExitCode::SUCCESS
    } else {
        println!("FAILED: a path's APDU count is not its minimum (see the table)");
        ExitCode::FAILURE
    }
}
