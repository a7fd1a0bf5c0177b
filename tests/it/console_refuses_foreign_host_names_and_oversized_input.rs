//! What a stranger can send is bounded: a request naming another host (a page elsewhere whose
//! name was rebound to this machine's address) is refused; a 1 MB password is refused before
//! anything is hashed, and so is any password over 256 bytes; oversized form fields are
//! refused, not echoed; a sign-in may keep only a few live queues open; and the pages run no
//! inline script.

use std::time::Duration;

use crate::console::{Desk, LiveQueue, RawReply, Stranger, form_body, raw_exchange};
use uketsuke::domain::HandoffReason;

fn get_with_host(desk: &Desk, host: &str) -> RawReply {
    let to = desk.console.addr();
    RawReply::parse(&raw_exchange(
        "127.0.0.1".parse().unwrap(),
        to,
        format!("GET /login HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
    ))
}

#[test]
fn a_foreign_host_name_is_refused() {
    let desk = Desk::start();
    let port = desk.console.addr().port();
    for host in [
        "evil.example".to_owned(),
        format!("evil.example:{port}"),
        format!("localhost.evil.example:{port}"),
        "10.0.0.7".to_owned(),
    ] {
        let reply = get_with_host(&desk, &host);
        assert_eq!(reply.status, 421, "Host: {host}");
        assert!(!reply.text().contains("csrf"), "no page for {host}");
    }
    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        assert_eq!(get_with_host(&desk, &host).status, 200, "Host: {host}");
    }
}

#[test]
fn an_oversized_password_is_refused_before_it_is_hashed() {
    let desk = Desk::start();
    let stranger = Stranger::at(&desk, "127.0.0.71");
    let huge = "p".repeat(1024 * 1024);
    let reply = stranger.sign_in("sato", &huge);
    assert_eq!(reply.status, 413, "the body limit");
    let long = "p".repeat(257);
    let reply = stranger.sign_in("sato", &long);
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(reply.text().contains("256 バイトまで"));
    // Neither was counted, looked up or recorded: refused before the account was involved.
    assert_eq!(
        desk.store
            .staff_by_login("sato")
            .unwrap()
            .unwrap()
            .failed_logins,
        0
    );
    assert!(
        !desk
            .store
            .audit_log(20)
            .unwrap()
            .iter()
            .any(|e| e.action.starts_with("sign_in")),
    );
    // And a password of exactly 256 bytes is an ordinary wrong one.
    assert_eq!(stranger.sign_in("sato", &"p".repeat(256)).status, 401);
}

#[test]
fn an_oversized_form_field_is_refused_not_echoed() {
    let desk = Desk::start();
    let handoff = desk.hand_over(HandoffReason::ConfirmPortalScreen);
    let mut sato = desk.signed_in("sato");
    let note = "長".repeat(3000);
    let reply = sato.resolve(handoff.id, &[("action", "unresolved"), ("note", &note)]);
    assert_eq!(
        reply.status,
        413,
        "{}",
        &reply.body[..reply.body.len().min(300)]
    );
    // A plain refusal page (its style sheet and heading), not the 9 KB note sent.
    assert!(reply.body.len() < 4000, "nothing echoed");
    assert!(!reply.body.contains(&"長".repeat(10)), "nothing echoed");
    let fields: Vec<(String, String)> = (0..50).map(|i| (format!("f{i}"), "x".into())).collect();
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(sato.post("/logout", &fields).status, 413);
    assert!(
        desk.store
            .check_in(handoff.id)
            .unwrap()
            .unwrap()
            .resolution
            .is_none()
    );
    let _ = form_body;
}

#[test]
fn a_sign_in_keeps_at_most_four_live_queues() {
    let desk = Desk::start();
    let sato = desk.signed_in("sato");
    let open: Vec<LiveQueue> = (0..4).map(|_| LiveQueue::open(&sato)).collect();
    for live in &open {
        assert!(live.next(Duration::from_secs(10)).is_some());
    }
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let fifth = agent
        .get(&format!("{}/events", sato.base))
        .set("Cookie", &sato.cookie_header())
        .call();
    assert!(
        matches!(fifth, Err(ureq::Error::Status(429, _))),
        "{fifth:?}"
    );
    // Another sign-in is not held back by this one's.
    let tech = desk.signed_in("tech");
    let theirs = LiveQueue::open(&tech);
    assert!(theirs.next(Duration::from_secs(10)).is_some());
}

#[test]
fn the_pages_run_no_inline_script() {
    let desk = Desk::start();
    let mut sato = desk.signed_in("sato");
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let page = agent
        .get(&format!("{}/", desk.base))
        .set("Cookie", &sato.cookie_header())
        .call()
        .unwrap();
    let policy = page.header("content-security-policy").unwrap().to_owned();
    let script_src = policy
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .unwrap();
    assert_eq!(script_src, "script-src 'self'", "{policy}");
    let html = page.into_string().unwrap();
    assert!(html.contains(r#"<script src="/queue.js""#), "{html}");
    assert!(!html.contains("<script>"), "no inline script: {html}");
    let script = sato.get("/queue.js");
    assert_eq!(script.status, 200);
    assert!(script.body.contains("EventSource('/events')"));
    assert!(
        script
            .content_type
            .as_deref()
            .is_some_and(|t| t.starts_with("text/javascript"))
    );
}
