//! A real Chromium, driven over WebDriver (chromedriver), signed in to a real `uketsuke
//! console` process served over HTTPS with a certificate made as provisioning makes it; the
//! browser trusts exactly that certificate's public key (`--ignore-certificate-errors-spki-list`).
//! `BrowserDesk::start` gives a signed-in browser on an empty queue; `BrowserDesk::check_in`
//! runs a separate headless check-in process on the same database, as a kiosk beside the desk.
//!
//! With CI=true a missing chromium or chromedriver fails the test (`BrowserDesk::available`);
//! elsewhere it is skipped.
#![allow(dead_code)]

use crate::processes::{Killed, have};

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};
use tempfile::TempDir;

pub const PASSWORD: &str = "correct horse battery";

pub fn uketsuke() -> Command {
    Command::new(env!("CARGO_BIN_EXE_uketsuke"))
}

/// A separate `uketsuke check-in --headless` process on `db`, as a kiosk beside the console;
/// it must succeed.
pub fn headless_check_in(db: &Path, script: &Path, steps: &str, reader: &str, gateway: &str) {
    std::fs::write(script, steps).unwrap();
    let checked_in = uketsuke()
        .args([
            "check-in",
            "--headless",
            "--reader",
            reader,
            "--gateway",
            gateway,
        ])
        .arg("--db")
        .arg(db)
        .arg("--patient")
        .arg(script)
        .output()
        .unwrap();
    assert!(
        checked_in.status.success(),
        "{}",
        String::from_utf8_lossy(&checked_in.stderr)
    );
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A W3C WebDriver session over chromedriver's HTTP API.
pub struct Browser {
    agent: ureq::Agent,
    session: String,
    _driver: Killed,
}

/// The W3C web element identifier.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    /// Chromium trusting, beyond the usual roots, only the key whose SPKI SHA-256 (base64) is
    /// `pinned_spki`.
    pub fn start(pinned_spki: &str) -> Browser {
        let port = free_port();
        let driver = Killed(
            Command::new("chromedriver")
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start chromedriver"),
        );
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(60))
            .build();
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            if let Ok(r) = agent.get(&format!("{base}/status")).call()
                && r.into_json::<Value>()
                    .is_ok_and(|v| v["value"]["ready"] == true)
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not become ready"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let binary = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("a chromium binary");
        let created: Value = agent
            .post(&format!("{base}/session"))
            .send_json(
                json!({"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
                    "binary": binary,
                    "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                             "--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=ja",
                             format!("--ignore-certificate-errors-spki-list={pinned_spki}")]
                }}}}),
            )
            .expect("chromedriver starts chromium")
            .into_json()
            .unwrap();
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        Browser {
            agent,
            session: format!("{base}/session/{session}"),
            _driver: driver,
        }
    }

    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.session);
        let result = match body {
            Some(body) => self.agent.request(method, &url).send_json(body),
            None => self.agent.request(method, &url).call(),
        };
        match result {
            Ok(r) => r.into_json::<Value>().unwrap()["value"].clone(),
            Err(ureq::Error::Status(code, r)) => {
                panic!(
                    "WebDriver {method} {path}: {code} {}",
                    r.into_string().unwrap()
                )
            }
            Err(e) => panic!("WebDriver {method} {path}: {e}"),
        }
    }

    pub fn go(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn url(&self) -> String {
        self.call("GET", "/url", None).as_str().unwrap().to_owned()
    }

    pub fn find(&self, css: &str) -> Option<String> {
        let url = format!("{}/element", self.session);
        match self
            .agent
            .post(&url)
            .send_json(json!({"using": "css selector", "value": css}))
        {
            Ok(r) => r.into_json::<Value>().unwrap()["value"][ELEMENT]
                .as_str()
                .map(str::to_owned),
            Err(ureq::Error::Status(404, _)) => None,
            Err(e) => panic!("find {css}: {e}"),
        }
    }

    pub fn element(&self, css: &str) -> String {
        self.find(css)
            .unwrap_or_else(|| panic!("no {css} on {}: {}", self.url(), self.text("body")))
    }

    /// Waits for `css` to appear, without reloading the page.
    pub fn wait_for(&self, css: &str, limit: Duration) -> String {
        let started = Instant::now();
        loop {
            if let Some(e) = self.find(css) {
                return e;
            }
            assert!(
                started.elapsed() < limit,
                "{css} did not appear within {limit:?}: {}",
                self.text("body")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits (without reloading) until `script` returns true; `what` names it in the failure,
    /// with the page's title and text.
    pub fn wait_until(&self, what: &str, script: &str, limit: Duration) {
        let started = Instant::now();
        while self.script(script) != Value::Bool(true) {
            assert!(
                started.elapsed() < limit,
                "{what} did not happen within {limit:?}: title {:?}, body {}",
                self.script("return document.title;"),
                self.text("body")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the address holds `part` (a form sent or a link followed has loaded).
    pub fn wait_for_url(&self, part: &str, limit: Duration) -> String {
        let started = Instant::now();
        loop {
            let url = self.url();
            if url.contains(part) {
                return url;
            }
            assert!(
                started.elapsed() < limit,
                "the address never held {part:?} within {limit:?}: {url}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let e = self.element(css);
        self.call(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({ "text": text })),
        );
    }

    pub fn click(&self, css: &str) {
        let e = self.element(css);
        self.call("POST", &format!("/element/{e}/click"), Some(json!({})));
    }

    pub fn text(&self, css: &str) -> String {
        match self.find(css) {
            Some(e) => self
                .call("GET", &format!("/element/{e}/text"), None)
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            None => String::new(),
        }
    }

    pub fn script(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    pub fn screenshot(&self, path: &Path) {
        let data = self.call("GET", "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap())
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.agent.delete(&self.session).call();
    }
}

/// base64(SHA-256(SubjectPublicKeyInfo)) of the PEM certificate at `path`: what Chromium's
/// `--ignore-certificate-errors-spki-list` pins.
pub fn spki_sha256_base64(path: &Path) -> String {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    use sha2::Digest as _;
    use x509_cert::der::{Decode as _, Encode as _};
    let der = CertificateDer::from_pem_file(path).unwrap();
    let cert = x509_cert::Certificate::from_der(der.as_ref()).unwrap();
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .unwrap();
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&spki))
}

/// The facility's name in the facility file `BrowserDesk` writes (printed on slips and forms).
pub const FACILITY_NAME: &str = "さくら内科クリニック";

pub fn screenshots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A signed-in browser on a console over its own database.
pub struct BrowserDesk {
    pub browser: Browser,
    /// `https://127.0.0.1:PORT`, no trailing slash.
    pub base: String,
    pub db: PathBuf,
    pub data: TempDir,
    console: Killed,
}

impl BrowserDesk {
    /// Whether chromium and chromedriver are here; with CI=true their absence fails the test.
    pub fn available() -> bool {
        if have("chromium") && have("chromedriver") {
            return true;
        }
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but chromium or chromedriver is missing (scripts/deps test installs them)"
        );
        eprintln!("skipped: chromium or chromedriver missing (install with scripts/deps test)");
        false
    }

    /// Adds a staff account `sato` (佐藤 花子) with `uketsuke staff add`, as a technician
    /// does, starts `uketsuke console` over HTTPS, and signs in at the queue.
    pub fn start() -> BrowserDesk {
        Self::start_as("sato", "佐藤 花子", "staff")
    }

    /// As `start`, with the account's login, name and role.
    pub fn start_as(login: &str, name: &str, role: &str) -> BrowserDesk {
        Self::start_configured(login, name, role, json!({}), json!({}), &[])
    }

    /// As `start`, for a clinic with both outside systems: the eligibility terminal's shared
    /// folder `folder` (`uketsuke console --gateway oqs:DIR`) for the facility 1319990014
    /// (`facility.code`), and ORCA (`orca` in the facility file; nothing listens at its address:
    /// the console only shows the deliveries the store holds).
    pub fn start_with_terminal(folder: &Path) -> BrowserDesk {
        Self::start_configured(
            "sato",
            "佐藤 花子",
            "staff",
            json!({"code": "1319990014"}),
            json!({"orca": {
                "url": "http://127.0.0.1:9",
                "user": "ormaster",
                "password_file": folder.join("orca-password"),
                "patient_match": "kana_birth_date",
                "departments": {"01": "10001"},
            }}),
            &["--gateway".to_owned(), format!("oqs:{}", folder.display())],
        )
    }

    /// As `start`, for a hospital desk named `desk` across every kiosk of the central database
    /// `url` (`uketsuke console --central URL --desk DESK`); the queue page lists every kiosk.
    pub fn start_central(url: &str, desk: &str) -> BrowserDesk {
        Self::start_configured(
            "sato",
            "佐藤 花子",
            "staff",
            json!({}),
            json!({}),
            &[
                "--central".to_owned(),
                url.to_owned(),
                "--desk".to_owned(),
                desk.to_owned(),
            ],
        )
    }

    /// As `start_as`, with these keys added to the facility file's `facility`, these keys added
    /// to the file itself, and these arguments added to `uketsuke console`.
    fn start_configured(
        login: &str,
        name: &str,
        role: &str,
        facility_keys: Value,
        top_keys: Value,
        args: &[String],
    ) -> BrowserDesk {
        let data = tempfile::tempdir().unwrap();
        let db = data.path().join("uketsuke.db");
        match args.iter().position(|a| a == "--central") {
            // A hospital desk signs in with an account kept centrally (issue 19 item 4),
            // which the console copies into its own store: none is made there.
            Some(at) => add_central_account(&args[at + 1], login, name, role),
            None => add_account(&db, login, name, role),
        }

        // The certificate and key a technician names in the facility file.
        let made = uketsuke::console::tls::ensure_self_signed(
            &data.path().join("tls"),
            &["127.0.0.1".to_owned(), "localhost".to_owned()],
        )
        .unwrap();
        let facility = data.path().join("facility.json");
        let mut identity = json!({"name": FACILITY_NAME});
        if let (Some(identity), Some(keys)) = (identity.as_object_mut(), facility_keys.as_object())
        {
            identity.extend(keys.clone());
        }
        let mut config = json!({
            "console": {"tls_certificate": made.certificate, "tls_key": made.key},
            "facility": identity,
        });
        if let (Some(config), Some(keys)) = (config.as_object_mut(), top_keys.as_object()) {
            config.extend(keys.clone());
        }
        std::fs::write(&facility, config.to_string()).unwrap();

        let mut console = uketsuke()
            .args(["console", "--bind", "127.0.0.1:0"])
            .args(args)
            .arg("--db")
            .arg(&db)
            .arg("--facility")
            .arg(&facility)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(console.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let console = Killed(console);
        let (url, fingerprint) = line
            .trim()
            .strip_prefix("staff console: ")
            .and_then(|rest| rest.split_once(" (certificate SHA-256 "))
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        assert!(url.starts_with("https://127.0.0.1:"), "{line}");
        assert_eq!(fingerprint.trim_end_matches(')'), made.sha256, "{line}");
        let base = url.trim_end_matches('/').to_owned();

        let browser = Browser::start(&spki_sha256_base64(&made.certificate));
        browser.go(&format!("{base}/"));
        assert!(browser.url().ends_with("/login"), "not signed in yet");
        browser.type_into("input[name=login]", login);
        browser.type_into("input[name=password]", PASSWORD);
        browser.click("button[type=submit]");
        browser.wait_for("#queue", Duration::from_secs(10));
        BrowserDesk {
            browser,
            base,
            db,
            data,
            console,
        }
    }

    /// A headless check-in on this desk's database (`name` names its script file).
    pub fn check_in(&self, name: &str, steps: &str, reader: &str, gateway: &str) {
        headless_check_in(
            &self.db,
            &self.data.path().join(format!("{name}.json")),
            steps,
            reader,
            gateway,
        );
    }

    /// Stops the console process (the page stays open in the browser).
    pub fn stop_console(&mut self) {
        let _ = self.console.0.kill();
        let _ = self.console.0.wait();
    }
}

/// `uketsuke staff add` with the password on standard input; it must succeed.
/// `uketsuke staff add --central URL …`: an account in the central database.
pub fn add_central_account(url: &str, login: &str, name: &str, role: &str) {
    let mut add = uketsuke()
        .args([
            "staff",
            "add",
            "--central",
            url,
            "--login",
            login,
            "--name",
            name,
            "--role",
            role,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(add.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let added = add.wait_with_output().unwrap();
    assert!(added.status.success());
    assert!(String::from_utf8_lossy(&added.stdout).contains("central database"));
}

pub fn add_account(db: &Path, login: &str, name: &str, role: &str) {
    let mut add = uketsuke()
        .args([
            "staff", "add", "--login", login, "--name", name, "--role", role,
        ])
        .arg("--db")
        .arg(db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(add.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let added = add.wait_with_output().unwrap();
    assert!(added.status.success());
    assert!(
        String::from_utf8_lossy(&added.stdout).contains(&format!("added {role} account {login}"))
    );
}
