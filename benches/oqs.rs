//! The certified reader's result file to the kiosk's next screen (issue 17, Benchmark): prints
//! numbers, asserts none.
//!
//! A real terminal folder in a temporary directory, the kiosk's `OqsGateway` on it (inotify, or
//! polling where the watch cannot be set up: printed), and a fresh check-in flow per file, sent
//! to the certified reader by a card tap. A writer thread waits until the kiosk's wait has begun
//! (its waiting marker), writes a face file under a temporary name beside `face` and renames it
//! in, as the terminal (and the fake terminal) do; the time runs from that rename to the flow
//! showing its next screen (the gateway's answer fed to it). The file's bytes are the fake
//! terminal's `valid-sjis` case (`uketsuke-fake-oqs-terminal`), renamed per file with a new
//! opaque part and the current time.
//!
//! `cargo bench --bench oqs` binds 40 files; `-- --quick` (and under `cargo test`) 5. Target:
//! p99 ≤ 300 ms.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use uketsuke::domain::Tapped;
use uketsuke::flow::{
    CheckInFlow, Command as FlowCommand, GatewayOp, Input, ReaderOp, ReaderReply, Screen,
};
use uketsuke::gateway::Gateway;
use uketsuke::gateway::oqs::OqsGateway;
use uketsuke::rules::{FacilityConfig, JST, Rules};

const CODE: &str = "0110113719";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick") || !args.iter().any(|a| a == "--bench");
    let files = if quick { 5 } else { 40 };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path().join("oqs");
    for sub in ["face", "req", "res"] {
        std::fs::create_dir_all(root.join(sub)).expect("the terminal folder");
    }
    let bytes = sample_bytes(dir.path());
    let mut facility = FacilityConfig {
        asks_prescription_form: false,
        ..FacilityConfig::default()
    };
    facility.facility.code = CODE.into();
    facility.certified_reader.enabled = true;
    facility.certified_reader.face_result_timeout_seconds = 20;
    let mut gateway = OqsGateway::open(&root, &facility).expect("the gateway opens");
    let markers = root.join(".uketsuke");
    let mut latencies: Vec<Duration> = Vec::new();
    for i in 0..files {
        let mut flow = CheckInFlow::new(Rules::embedded(), facility.clone());
        let now = uketsuke::dates::now();
        let Some(ticket) = send_to_certified_reader(&mut flow, now) else {
            panic!("the flow did not send the card to the certified reader");
        };
        // The writer renames the file in once the kiosk waits, and says when.
        let (renamed_tx, renamed_rx) = mpsc::channel();
        let (face, root2, bytes2, markers2) = (
            root.join("face"),
            root.clone(),
            bytes.clone(),
            markers.clone(),
        );
        let writer = std::thread::spawn(move || {
            let suffix = format!("-{}.waiting", i + 1);
            while !std::fs::read_dir(&markers2)
                .into_iter()
                .flatten()
                .flatten()
                .any(|e| e.file_name().to_string_lossy().ends_with(&suffix))
            {
                std::thread::sleep(Duration::from_millis(1));
            }
            // A moment after the patient was sent over, as a real reader takes seconds.
            std::thread::sleep(Duration::from_millis(20));
            let stamp = uketsuke::dates::now()
                .with_timezone(&JST)
                .format("%Y%m%d%H%M%S");
            let name = format!("OQSsiquc01res_face_{CODE}{:020x}_{stamp}.xml", i + 1);
            let tmp = root2.join(format!(".bench-{i}.tmp"));
            std::fs::write(&tmp, &bytes2).expect("the temporary file");
            std::fs::rename(&tmp, face.join(name)).expect("the rename into face");
            let _ = renamed_tx.send(Instant::now());
        });
        let reply = gateway.await_certified_reader();
        flow.handle(
            uketsuke::dates::now(),
            Input::Gateway(ticket, reply.clone()),
        );
        let shown = Instant::now();
        let screen = flow.view().screen;
        writer.join().expect("the writer");
        let renamed = renamed_rx.recv().expect("the rename time");
        assert!(
            !matches!(screen, Screen::UseCertifiedReader { .. }),
            "file {i}: still waiting ({reply:?})"
        );
        latencies.push(shown.saturating_duration_since(renamed));
    }
    latencies.sort();
    let pick = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "oqs: face file renamed into face/ -> the flow's next screen, {} files, watch: {}",
        latencies.len(),
        gateway.watch_mode().as_str()
    );
    println!(
        "  p50 {:>6.1} ms   p99 {:>6.1} ms   max {:>6.1} ms   (target p99 <= 300 ms; reads {} ms apart)",
        ms(pick(0.5)),
        ms(pick(0.99)),
        ms(*latencies.last().unwrap()),
        uketsuke::gateway::oqs::READ_INTERVAL.as_millis()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The fake terminal's `valid-sjis` face file, for the facility's code.
fn sample_bytes(scratch: &Path) -> Vec<u8> {
    let root: PathBuf = scratch.join("sample");
    let out = Command::new(env!("CARGO_BIN_EXE_uketsuke-fake-oqs-terminal"))
        .args(["face", "--root"])
        .arg(&root)
        .args(["--case", "valid-sjis", "--facility", CODE])
        .output()
        .expect("the fake terminal runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    std::fs::read(path).expect("the sample face file")
}

/// Taps a card and answers the kiosk reader's two operations; the ticket of the wait.
fn send_to_certified_reader(
    flow: &mut CheckInFlow,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Option<uketsuke::flow::Ticket> {
    flow.handle(now, Input::CardPresent);
    for _ in 0..4 {
        match flow.poll()? {
            FlowCommand::Reader(t, ReaderOp::Identify) => flow.handle(
                now,
                Input::Reader(t, ReaderReply::Identified(Tapped::MyNumberCard)),
            ),
            FlowCommand::Reader(t, ReaderOp::ReadCertificateExpiry) => {
                flow.handle(now, Input::Reader(t, ReaderReply::CertificateExpiry(None)))
            }
            FlowCommand::Gateway(t, GatewayOp::AwaitCertifiedReader) => return Some(t),
            _ => return None,
        }
    }
    None
}
