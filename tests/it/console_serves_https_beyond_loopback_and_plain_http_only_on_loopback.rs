//! The console carries passwords and patient names, so beyond this machine it speaks only
//! HTTPS: bound to every address without a certificate and without a data folder it refuses to
//! start, naming the keys; with a data folder it makes a self-signed certificate there on
//! first start (key file 0600) and keeps it; a client that pins that certificate's SHA-256
//! signs in, and the cookies are `Secure`. Plain HTTP stays possible on loopback only.

use std::os::unix::fs::PermissionsExt as _;

use crate::console::{PASSWORD, pinned_agent};
use uketsuke::console::{Console, ConsoleError, tls};
use uketsuke::rules::{ConsoleSettings, Rules};
use uketsuke::staff::{NewStaffAccount, Role};
use uketsuke::store::Store;

fn settings(bind: &str) -> ConsoleSettings {
    ConsoleSettings {
        bind: bind.to_owned(),
        ..ConsoleSettings::default()
    }
}

#[test]
fn plain_http_beyond_loopback_is_refused_naming_the_keys() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("uketsuke.db")).unwrap();
    // 0.0.0.0 is every address of this machine, the LAN's included.
    let refused = Console::start(store.clone(), Rules::embedded(), &settings("0.0.0.0:0"));
    let Err(err @ ConsoleError::PlainBeyondLoopback { .. }) = refused else {
        panic!("started plain HTTP on every address");
    };
    let said = err.to_string();
    assert!(
        said.contains("console.bind") && said.contains("console.tls_certificate"),
        "{said}"
    );

    // On loopback, plain HTTP is allowed.
    let console = Console::start(store, Rules::embedded(), &settings("127.0.0.1:0")).unwrap();
    assert!(console.url().starts_with("http://127.0.0.1:"));
    assert_eq!(console.certificate_sha256(), None);
    let reply = ureq::get(&format!("{}login", console.url()))
        .call()
        .unwrap();
    assert_eq!(reply.status(), 200);
}

#[test]
fn beyond_loopback_it_serves_https_with_the_certificate_it_made() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("uketsuke.db")).unwrap();
    store
        .add_staff(&NewStaffAccount {
            login: "tech".into(),
            display_name: "技術".into(),
            role: Role::Technician,
            password_hash: uketsuke::password::hash(PASSWORD).unwrap(),
            created_at: uketsuke::dates::now(),
            created_by: "test".into(),
        })
        .unwrap();
    let data = dir.path().join("data");
    let console = Console::start(
        store.clone(),
        Rules::embedded(),
        &ConsoleSettings {
            data_dir: Some(data.clone()),
            ..settings("0.0.0.0:0")
        },
    )
    .unwrap();
    let certificate = data.join(tls::SELF_SIGNED_CERTIFICATE);
    let key = data.join(tls::SELF_SIGNED_KEY);
    let sha256 = tls::certificate_fingerprint(&certificate).unwrap();
    assert_eq!(console.certificate_sha256(), Some(sha256.as_str()));
    assert_eq!(sha256.len(), 95, "{sha256}");
    assert!(
        console.announcement().starts_with("https://0.0.0.0:")
            && console
                .announcement()
                .ends_with(&format!("(certificate SHA-256 {sha256})")),
        "{}",
        console.announcement()
    );
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the key is for the kiosk's user only");

    // Reached over loopback (this machine's own address), pinned to that certificate.
    let base = format!("https://127.0.0.1:{}", console.addr().port());
    let agent = pinned_agent(&sha256);
    let page = agent.get(&format!("{base}/login")).call().unwrap();
    assert_eq!(page.status(), 200);
    let csrf_cookie = page.header("set-cookie").unwrap().to_owned();
    assert!(csrf_cookie.contains("; Secure"), "{csrf_cookie}");
    let token = crate::console::hidden_csrf(&page.into_string().unwrap());
    let signed = match agent
        .post(&format!("{base}/login"))
        .set("Cookie", csrf_cookie.split(';').next().unwrap())
        .send_form(&[("csrf", &token), ("login", "tech"), ("password", PASSWORD)])
    {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(signed.status(), 303);
    let session = signed
        .all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("uketsuke_session="))
        .unwrap()
        .to_owned();
    assert!(session.contains("; Secure"), "{session}");

    // Plain HTTP on that port gets no page, and a client pinning another certificate no
    // connection.
    assert!(
        ureq::get(&format!("http://127.0.0.1:{}/login", console.addr().port()))
            .call()
            .is_err()
    );
    let other = tls::ensure_self_signed(&dir.path().join("other"), &["localhost".into()]).unwrap();
    assert_ne!(other.sha256, sha256);
    assert!(
        pinned_agent(&other.sha256)
            .get(&format!("{base}/login"))
            .call()
            .is_err()
    );

    // The next start keeps the certificate staff noted.
    drop(console);
    let again = Console::start(
        store,
        Rules::embedded(),
        &ConsoleSettings {
            data_dir: Some(data.clone()),
            ..settings("0.0.0.0:0")
        },
    )
    .unwrap();
    assert_eq!(again.certificate_sha256(), Some(sha256.as_str()));
    let kept = tls::ensure_self_signed(&data, &["localhost".into()]).unwrap();
    assert!(!kept.generated);
    assert_eq!(kept.sha256, sha256);
}
