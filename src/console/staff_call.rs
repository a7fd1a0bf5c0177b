//! 「受付機でスタッフを呼んでいます」: when a patient presses 「スタッフを呼ぶ」 at a kiosk
//! (a handoff for [`HandoffReason::PatientCalledStaff`]), the queue page chimes and shows a
//! banner with the reception number, the kiosk and the time, until a clerk presses
//! 「確認しました」 (issue 18 item 5).
//!
//! How it arrives: the kiosk commits the handoff; the console's change watch (every 200 ms)
//! wakes the live queue, which pushes the queue fragment over its event stream (`/events`);
//! the fragment carries one `<template class="staff-call">` per open call of today
//! ([`calls`]), and `/chime.js` (watching `#queue` for each push) shows a banner and plays
//! `/chime.wav` once for each call it has not shown yet. No new poll: the call rides on the
//! queue's own push, so it reaches the page within about 0.2 s plus the push.
//!
//! Sound: browsers refuse to play sound on a page nobody has touched. The sign-in click is a
//! touch: Chromium lets the queue page it leads to (same site) play, so on load the script
//! primes the audio element with a silent play (volume 0, paused at once). When a play is
//! refused, the page shows 「音が出ません：ここを押して音を有効にしてください」; pressing it
//! (or anything on the page) plays the chime and hides it.
//!
//! Acknowledging records nothing: the handoff itself is already recorded (and audited), and
//! stays in the queue until it is closed. A clerk's 「確認しました」 hides the banner in that
//! browser tab (remembered in the tab's `sessionStorage` so a reload does not chime again); a
//! banner whose call was closed meanwhile goes away by itself.
//!
//! The chime (`assets/console/chime.wav`, 1.1 s, 22.05 kHz mono, 48 KB) was made once with sox:
//! `sox -n -r 22050 -c 1 -b 16 a.wav synth 0.4 pluck E5 fade q 0.005 0.4 0.3 vol 0.7`,
//! the same for `b.wav` with `0.7 pluck C5 fade q 0.005 0.7 0.6`, then `sox a.wav b.wav chime.wav`.
//!
//! Owns: the banner's markup, the chime and its script. Must not know: SQL, how the queue is
//! pushed (it reads what the push put in `#queue`).

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};

use super::AppState;
use super::pages::clock;
use crate::desk::queue::Queue;
use crate::domain::HandoffReason;
use crate::rules::kiosk_label;

/// Where the page fetches the chime (served without a session: it holds no data).
pub const CHIME_PATH: &str = "/chime.wav";

/// The chime, a WAV file (see the module's docs for how it was made).
const CHIME: &[u8] = include_bytes!("../../assets/console/chime.wav");

/// The banner's script, on the queue page only. `#staff-calls` holds the banners, `#chime` the
/// audio element, `#sound-off` the button shown when a play is refused. Each push replaces
/// `#queue`'s contents; a `MutationObserver` reads the `template.staff-call` elements in it.
const SCRIPT: &str = "(()=>{\
const q=document.getElementById('queue'),box=document.getElementById('staff-calls'),\
a=document.getElementById('chime'),off=document.getElementById('sound-off');\
if(!q||!box||!a||!off)return;\
const key='uketsuke-acknowledged-calls';let acked;\
try{acked=new Set(JSON.parse(sessionStorage.getItem(key)||'[]'));}catch(e){acked=new Set();}\
const shown=new Map();let probing=false;\
const refused=()=>{off.hidden=false;};\
const ring=()=>{probing=false;a.volume=1;a.currentTime=0;\
const p=a.play();if(p)p.then(()=>{off.hidden=true;}).catch(refused);};\
const prime=()=>{probing=true;a.volume=0;const p=a.play();\
if(p)p.then(()=>{if(probing){a.pause();a.currentTime=0;a.volume=1;probing=false;}off.hidden=true;})\
.catch(()=>{probing=false;a.volume=1;refused();});};\
const scan=()=>{const open=new Set();let fresh=false;\
for(const t of q.querySelectorAll('template.staff-call')){const id=t.dataset.call;open.add(id);\
if(acked.has(id)||shown.has(id))continue;\
const b=t.content.firstElementChild.cloneNode(true);\
b.querySelector('button.acknowledge').addEventListener('click',()=>{acked.add(id);\
try{sessionStorage.setItem(key,JSON.stringify([...acked]));}catch(e){}b.remove();shown.delete(id);});\
box.appendChild(b);shown.set(id,b);fresh=true;}\
for(const [id,b] of shown){if(!open.has(id)){b.remove();shown.delete(id);}}\
if(fresh)ring();};\
off.addEventListener('click',e=>{e.stopPropagation();ring();});\
document.addEventListener('pointerdown',()=>{if(!off.hidden)prime();});\
new MutationObserver(scan).observe(q,{childList:true});\
if(q.querySelector('template.staff-call'))scan();else prime();\
})();\n";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/chime.js", get(script))
        .route(CHIME_PATH, get(chime))
}

async fn script() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        )],
        SCRIPT,
    )
        .into_response()
}

async fn chime() -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static("audio/wav"))],
        CHIME,
    )
        .into_response()
}

/// One hidden banner per open call of today (「スタッフを呼ぶ」 pressed at a kiosk), oldest
/// first as the queue orders them, each a `<template class="staff-call" data-call=ID>` (not `data-check-in`, which marks the queue's rows)
/// that `/chime.js` shows: 「受付機でスタッフを呼んでいます」, the reception number, the
/// kiosk, the time (JST, `HH:MM`), a link to the handoff and 「確認しました」.
pub(super) fn calls(queue: &Queue) -> Markup {
    html! {
        @for row in queue.today.iter().filter(|row| {
            row.check_in.record.outcome.handoff_reason() == Some(HandoffReason::PatientCalledStaff)
        }) {
            @let h = row.check_in;
            template.staff-call data-call=(h.id) {
                div.notice.staff-call role="alert" data-call=(h.id) style="font-size:1.2em" {
                    p {
                        strong { "受付機でスタッフを呼んでいます" }
                        "　受付番号 " (row.number) "番・" (kiosk_label(&h.record.kiosk))
                        "（" (clock(h.record.finished_at)) "）"
                    }
                    a href={"/handoffs/" (h.id)} { "対応する" }
                    " "
                    button type="button" .acknowledge { "確認しました" }
                }
            }
        }
    }
}

/// What the queue page carries outside the pushed part: the banners' place, the chime, the
/// button shown when the browser refuses to play, and the script.
pub(super) fn player() -> Markup {
    html! {
        div #staff-calls aria-live="assertive" {}
        audio #chime src=(CHIME_PATH) preload="auto" {}
        button #sound-off type="button" hidden { "音が出ません：ここを押して音を有効にしてください" }
        script src="/chime.js" defer {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chime_is_a_wav_file() {
        assert!(CHIME.starts_with(b"RIFF") && &CHIME[8..12] == b"WAVE");
    }
}
