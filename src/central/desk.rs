//! What a desk's console asks of the central database beyond the queue and the decision
//! (`open_handoffs`, `resolve` in the parent module): one handoff as a desk's page shows it,
//! with who decided it if anyone has, and the live feed (`LISTEN` on [`NOTIFY_CHANNEL`]) that
//! tells the consoles to send their queue again.
//!
//! Must not know: HTTP, tokio. Every call blocks; the console runs them off its async threads.

use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator as _;

use super::{Central, CentralError, NOTIFY_CHANNEL, detail};
use crate::central_settings::CentralSettings;
use crate::outbox::CheckInV1;

/// Who closed a handoff first, as a second desk is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecidedBy {
    /// The staff member's login name.
    pub staff: String,
    /// The desk's name (`uketsuke console --desk`); `None`: staff at the kiosk itself.
    pub desk: Option<String>,
    /// When, RFC 3339 in JST (`2026-11-21T10:42:05+09:00`).
    pub at: String,
}

/// One kiosk's handoff as the central database holds it, for a desk's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskHandoff {
    pub kiosk_id: String,
    pub kiosk_name: String,
    /// The check-in as the kiosk last sent it (wire v1, without the patient's match keys).
    pub check_in: CheckInV1,
    /// The patient's name and reading while the handoff is open and undecided.
    pub name: Option<String>,
    pub kana: Option<String>,
    /// `None` while open and undecided; else who closed it first (a desk, or the kiosk).
    pub decided: Option<DecidedBy>,
}

impl Central {
    /// Kiosk `kiosk_id`'s check-in `check_in_id` if it is a handoff (open or closed), with the
    /// name while open and who decided it once someone has. `Ok(None)`: no such handoff.
    /// Errors: the query failed, or the stored JSON is not a check-in this build reads.
    pub fn desk_handoff(
        &mut self,
        kiosk_id: &str,
        check_in_id: i64,
    ) -> Result<Option<DeskHandoff>, CentralError> {
        let row = self
            .client
            .query_opt(
                "SELECT k.kiosk_name, c.check_in::text, n.name, n.kana, r.staff, r.desk, \
                 to_char(r.decided_at AT TIME ZONE 'Asia/Tokyo', \
                   'YYYY-MM-DD\"T\"HH24:MI:SS\"+09:00\"') \
                 FROM check_ins c JOIN kiosks k ON k.kiosk_id = c.kiosk_id \
                 LEFT JOIN handoff_names n \
                   ON n.kiosk_id = c.kiosk_id AND n.check_in_id = c.check_in_id \
                 LEFT JOIN resolutions r \
                   ON r.kiosk_id = c.kiosk_id AND r.check_in_id = c.check_in_id \
                 WHERE c.kiosk_id = $1 AND c.check_in_id = $2 \
                   AND c.outcome = 'handed_to_staff'",
                &[&kiosk_id, &check_in_id],
            )
            .map_err(self.sql("read a handoff"))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let json: String = row.get(1);
        let check_in: CheckInV1 = serde_json::from_str(&json).map_err(|e| CentralError::Sql {
            url: self.url.clone(),
            what: "read a handoff",
            detail: format!("kiosk {kiosk_id} check-in {check_in_id}: {e}"),
        })?;
        let decided = match row.get::<_, Option<String>>(4) {
            Some(staff) => Some(DecidedBy {
                staff,
                desk: row.get(5),
                at: row.get::<_, Option<String>>(6).unwrap_or_default(),
            }),
            // Closed at the kiosk before any desk decided.
            None => check_in.resolution.as_ref().map(|r| DecidedBy {
                staff: r.staff.clone(),
                desk: None,
                at: r.resolved_at.clone(),
            }),
        };
        let open = decided.is_none();
        Ok(Some(DeskHandoff {
            kiosk_id: kiosk_id.to_owned(),
            kiosk_name: row.get(0),
            check_in,
            name: row.get::<_, Option<String>>(2).filter(|_| open),
            kana: row.get::<_, Option<String>>(3).filter(|_| open),
            decided,
        }))
    }
}

/// Listens on [`NOTIFY_CHANNEL`] until `keep_going` says no (asked at least once a second):
/// calls `heard` after each notification (a delivery, a desk's decision, a kiosk recording
/// one), and once after every (re)connection, since notifications sent meanwhile are lost.
/// A lost connection is logged (naming `central.url`) and retried after 1 s, doubling up to
/// 30 s. Blocks its thread throughout: run it on a thread of its own.
pub fn listen(settings: &CentralSettings, mut heard: impl FnMut(), keep_going: impl Fn() -> bool) {
    let mut backoff = Duration::from_secs(1);
    while keep_going() {
        match listen_once(settings, &mut heard, &keep_going) {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %e, retry_in_seconds = backoff.as_secs(),
                    "desk console: not listening to the central database (central.url)");
            }
        }
        let until = std::time::Instant::now() + backoff;
        while std::time::Instant::now() < until {
            if !keep_going() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

/// One connection's worth of [`listen`]: `Ok` when `keep_going` said no.
fn listen_once(
    settings: &CentralSettings,
    heard: &mut impl FnMut(),
    keep_going: &impl Fn() -> bool,
) -> Result<(), CentralError> {
    let mut central = Central::connect(settings)?;
    central
        .client
        .batch_execute(&format!("LISTEN {NOTIFY_CHANNEL}"))
        .map_err(central.sql("listen for the kiosks' deliveries"))?;
    heard();
    let url = central.url.clone();
    let lost = |what: &'static str, e: postgres::Error| CentralError::Sql {
        url: url.clone(),
        what,
        detail: detail(&e),
    };
    while keep_going() {
        let heard_any = {
            let mut notifications = central.client.notifications();
            let first = notifications
                .timeout_iter(Duration::from_secs(1))
                .next()
                .map_err(|e| lost("wait for notifications", e))?;
            if first.is_some() {
                // What else has arrived already: one push covers them all.
                notifications
                    .iter()
                    .count()
                    .map_err(|e| lost("read notifications", e))?;
            }
            first.is_some()
        };
        if heard_any {
            heard();
        } else if central.client.is_closed() {
            return Err(CentralError::Connect {
                url: url.clone(),
                detail: "the connection closed".to_owned(),
            });
        }
    }
    Ok(())
}
