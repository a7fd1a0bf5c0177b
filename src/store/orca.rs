//! The SQL behind delivering outbox entries into ORCA: each entry's delivery record
//! (`orca_deliveries`, schema v14), what the worker has left to do, staff's retry and
//! "done by hand" (audited), and erasing the patient's match keys from the payload once the
//! entry is settled, in the same transaction.
//!
//! Owns: the `orca_deliveries` table. Must not know: ORCA's API or the decisions (see
//! `crate::delivery`).

use chrono::{DateTime, FixedOffset};
use rusqlite::{OptionalExtension, Row, TransactionBehavior};

use super::StoreError;
use super::codec::{self, BadValue};
use super::db::{Cells, Db, corrupt, insert_audit, sql_err, unstorable};
use crate::delivery::{Progress, State};
use crate::outbox::{Kind, OutboxMessage};

/// An outbox entry the ORCA worker has still to work on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrcaWork {
    pub outbox_id: i64,
    pub check_in_id: i64,
    pub message: OutboxMessage,
    pub progress: Progress,
}

/// One check-in's delivery into ORCA, for the staff console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrcaDelivery {
    /// The entry to pass to `orca_retry` and `orca_mark_done_by_hand`.
    pub outbox_id: i64,
    pub check_in_id: i64,
    pub kind: Kind,
    /// `Progress::new()` when the worker has not tried it yet.
    pub progress: Progress,
    /// When its record last changed (`None`: never tried).
    pub updated_at: Option<DateTime<FixedOffset>>,
    /// The login of the staff member who marked it done by hand (the console's
    /// 「手で登録済み（佐藤）」); `None` otherwise.
    pub staff: Option<String>,
}

/// The outbox entries ORCA is told of: a completed check-in, a handoff closed as verified
/// (`OutboxMessage::registers_a_visit`, in SQL).
const ORCA_ENTRIES: &str = "o.wire_version = 1 \
    AND (o.kind = 'check_in_completed' OR (o.kind = 'handoff_closed' \
         AND json_extract(o.payload, '$.check_in.resolution.closed_as') = 'verified'))";

const DELIVERY_COLUMNS: &str = "d.state AS state, d.attempts AS attempts, \
    d.uncertain AS uncertain, d.next_attempt_at AS next_attempt_at, \
    d.acceptance_id AS acceptance_id, d.patient_id AS patient_id, d.code AS code, \
    d.reason AS reason, d.retrying AS retrying, d.last_error AS last_error, \
    d.updated_at AS updated_at, d.staff AS staff";

fn progress(r: &Cells<'_, '_>) -> Result<Progress, StoreError> {
    let state: Option<String> = r.get("state")?;
    let Some(state) = state else {
        return Ok(Progress::new());
    };
    let next: Option<String> = r.get("next_attempt_at")?;
    Ok(Progress {
        state: State::parse(&state)
            .ok_or_else(|| corrupt(r.path())(BadValue::new("orca_deliveries", "state", &state)))?,
        attempts: r.get("attempts")?,
        uncertain: r.get("uncertain")?,
        next_attempt_at: next
            .map(|t| codec::parse_instant("orca_deliveries", "next_attempt_at", &t))
            .transpose()
            .map_err(corrupt(r.path()))?,
        acceptance_id: r.get("acceptance_id")?,
        patient_id: r.get("patient_id")?,
        code: r.get("code")?,
        reason: r.get("reason")?,
        retrying: r.get("retrying")?,
        last_error: r.get("last_error")?,
    })
}

fn message(r: &Cells<'_, '_>) -> Result<OutboxMessage, StoreError> {
    let payload: String = r.get("payload")?;
    OutboxMessage::from_json(&payload)
        .map_err(|_| corrupt(r.path())(BadValue::new("outbox", "payload", &payload)))
}

/// Whether a record in this state ends the entry's life in the outbox: delivered (or settled
/// by hand), so the match keys go.
fn settles(p: &Progress) -> bool {
    matches!(p.state, State::Registered | State::DoneByHand)
        || (p.state == State::Failed && p.code.as_deref() == Some("late"))
}

impl Db {
    /// Up to `limit` entries not settled (never tried, pending, or failed and retrying), oldest
    /// first, whatever their next attempt time (the worker's plan decides).
    pub fn orca_work(&self, limit: usize) -> Result<Vec<OrcaWork>, StoreError> {
        let path = &self.path;
        let what = "read the ORCA delivery queue";
        let sql = format!(
            "SELECT o.id AS id, o.check_in_id AS check_in_id, o.payload AS payload, \
             {DELIVERY_COLUMNS} \
             FROM outbox o LEFT JOIN orca_deliveries d ON d.outbox_id = o.id \
             WHERE o.delivered_at IS NULL AND {ORCA_ENTRIES} \
               AND (d.state IS NULL OR d.state = 'pending' \
                    OR (d.state = 'failed' AND d.retrying = 1)) \
             ORDER BY o.id LIMIT ?1"
        );
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(sql_err(path, what))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut rows = stmt.query([limit]).map_err(sql_err(path, what))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(sql_err(path, what))? {
            let r = Cells::new(path, row, what);
            out.push(OrcaWork {
                outbox_id: r.get("id")?,
                check_in_id: r.get("check_in_id")?,
                message: message(&r)?,
                progress: progress(&r)?,
            });
        }
        Ok(out)
    }

    /// Stores an entry's delivery record. When it settles (registered, done by hand, too late)
    /// the outbox entry is marked delivered and the patient's kana and birth date are erased
    /// from its payload, in the same transaction.
    pub fn orca_save(
        &mut self,
        outbox_id: i64,
        p: &Progress,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let what = "save an ORCA delivery";
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_err(&path, what))?;
        save(&tx, &path, outbox_id, p, None, now)?;
        tx.commit().map_err(sql_err(&path, what))
    }

    /// Claims the right to send: stores `sending` (one more attempt, uncertain) only if the
    /// record still has `before`'s attempt count, so two workers on one database (a `deliver`
    /// beside `run`'s thread) never both send. `Ok(false)`: another worker got there first.
    pub fn orca_claim(
        &mut self,
        outbox_id: i64,
        before: &Progress,
        sending: &Progress,
        now: DateTime<FixedOffset>,
    ) -> Result<bool, StoreError> {
        let path = self.path.clone();
        let what = "claim an ORCA delivery";
        let at = codec::instant(what, now).map_err(unstorable(&path))?;
        let changed = self
            .conn
            .prepare_cached(
                "INSERT INTO orca_deliveries (outbox_id, state, attempts, uncertain, \
                     next_attempt_at, acceptance_id, patient_id, code, reason, retrying, \
                     last_error, updated_at) \
                 VALUES (?1, 'pending', ?2, 1, NULL, NULL, NULL, NULL, NULL, 0, ?3, ?4) \
                 ON CONFLICT (outbox_id) DO UPDATE SET state = 'pending', \
                     attempts = excluded.attempts, uncertain = 1, next_attempt_at = NULL, \
                     code = NULL, reason = NULL, retrying = 0, updated_at = excluded.updated_at \
                 WHERE orca_deliveries.attempts = ?5 AND orca_deliveries.state <> 'registered' \
                     AND orca_deliveries.state <> 'done_by_hand'",
            )
            .and_then(|mut s| {
                s.execute(rusqlite::params![
                    outbox_id,
                    sending.attempts,
                    sending.last_error,
                    at,
                    before.attempts,
                ])
            })
            .map_err(sql_err(&path, what))?;
        Ok(changed == 1)
    }

    /// Every ORCA-bound entry of these check-ins with its delivery, oldest first.
    pub fn orca_deliveries(&self, check_in_ids: &[i64]) -> Result<Vec<OrcaDelivery>, StoreError> {
        let path = &self.path;
        let what = "read ORCA deliveries";
        let ids = serde_json::to_string(check_in_ids).unwrap_or_else(|_| "[]".to_owned());
        let sql = format!(
            "SELECT o.id AS id, o.check_in_id AS check_in_id, o.kind AS kind, \
             {DELIVERY_COLUMNS} \
             FROM outbox o LEFT JOIN orca_deliveries d ON d.outbox_id = o.id \
             WHERE o.check_in_id IN (SELECT value FROM json_each(?1)) AND {ORCA_ENTRIES} \
             ORDER BY o.id"
        );
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(sql_err(path, what))?;
        let mut rows = stmt.query([ids]).map_err(sql_err(path, what))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(sql_err(path, what))? {
            out.push(delivery_row(path, row, what)?);
        }
        Ok(out)
    }

    /// Staff's 「再送する」: a failed or waiting entry is tried again at once (after the
    /// reception-list check if an earlier send's outcome is unknown). Audited as `orca_retry`
    /// by `staff`. `Ok(false)`: not an ORCA entry, or already registered or done by hand.
    pub fn orca_retry(
        &mut self,
        outbox_id: i64,
        staff: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<bool, StoreError> {
        self.by_staff(outbox_id, staff, now, "orca_retry", crate::delivery::retry)
    }

    /// Staff's 「手作業で受付済みにする」: staff registered the visit in ORCA themselves (or
    /// decided it needs none). Settles the entry (keys erased) and audits `orca_done_by_hand`.
    /// `Ok(false)`: not an ORCA entry, or already registered or done by hand.
    pub fn orca_mark_done_by_hand(
        &mut self,
        outbox_id: i64,
        staff: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<bool, StoreError> {
        self.by_staff(outbox_id, staff, now, "orca_done_by_hand", |p| Progress {
            state: State::DoneByHand,
            next_attempt_at: None,
            retrying: false,
            ..p.clone()
        })
    }

    fn by_staff(
        &mut self,
        outbox_id: i64,
        staff: &str,
        now: DateTime<FixedOffset>,
        action: &'static str,
        change: impl FnOnce(&Progress) -> Progress,
    ) -> Result<bool, StoreError> {
        let path = self.path.clone();
        let what = "change an ORCA delivery";
        let at = codec::instant(what, now).map_err(unstorable(&path))?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_err(&path, what))?;
        let sql = format!(
            "SELECT o.id AS id, o.check_in_id AS check_in_id, o.kind AS kind, \
             {DELIVERY_COLUMNS} \
             FROM outbox o LEFT JOIN orca_deliveries d ON d.outbox_id = o.id \
             WHERE o.id = ?1 AND {ORCA_ENTRIES}"
        );
        let found = tx
            .query_row(&sql, [outbox_id], |row| Ok(delivery_row(&path, row, what)))
            .optional()
            .map_err(sql_err(&path, what))?
            .transpose()?;
        let Some(found) = found else {
            return Ok(false);
        };
        if matches!(found.progress.state, State::Registered | State::DoneByHand) {
            return Ok(false);
        }
        let mut p = change(&found.progress);
        let by_hand = p.state == State::DoneByHand;
        if by_hand {
            p.code = None;
            p.reason = None;
        }
        save(&tx, &path, outbox_id, &p, by_hand.then_some(staff), now)?;
        insert_audit(
            &tx,
            &at,
            staff,
            action,
            Some(found.check_in_id),
            &format!("outbox_id={outbox_id}"),
        )
        .map_err(sql_err(&path, "append audit entry"))?;
        tx.commit().map_err(sql_err(&path, what))?;
        Ok(true)
    }
}

fn delivery_row(
    path: &std::path::Path,
    row: &Row<'_>,
    what: &'static str,
) -> Result<OrcaDelivery, StoreError> {
    let r = Cells::new(path, row, what);
    let kind: String = r.get("kind")?;
    let updated: Option<String> = r.get("updated_at")?;
    Ok(OrcaDelivery {
        outbox_id: r.get("id")?,
        check_in_id: r.get("check_in_id")?,
        kind: codec::parse_name("outbox", "kind", &kind).map_err(corrupt(path))?,
        progress: progress(&r)?,
        updated_at: updated
            .map(|t| codec::parse_instant("orca_deliveries", "updated_at", &t))
            .transpose()
            .map_err(corrupt(path))?,
        staff: r.get("staff")?,
    })
}

fn save(
    tx: &rusqlite::Transaction<'_>,
    path: &std::path::Path,
    outbox_id: i64,
    p: &Progress,
    staff: Option<&str>,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    let what = "save an ORCA delivery";
    let at = codec::instant(what, now).map_err(unstorable(path))?;
    let next = p
        .next_attempt_at
        .map(|t| codec::instant("orca_deliveries.next_attempt_at", t))
        .transpose()
        .map_err(unstorable(path))?;
    tx.prepare_cached(
        "INSERT INTO orca_deliveries (outbox_id, state, attempts, uncertain, next_attempt_at, \
             acceptance_id, patient_id, code, reason, retrying, last_error, updated_at, staff) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
         ON CONFLICT (outbox_id) DO UPDATE SET state = excluded.state, \
             attempts = excluded.attempts, uncertain = excluded.uncertain, \
             next_attempt_at = excluded.next_attempt_at, acceptance_id = excluded.acceptance_id, \
             patient_id = excluded.patient_id, code = excluded.code, reason = excluded.reason, \
             retrying = excluded.retrying, last_error = excluded.last_error, \
             updated_at = excluded.updated_at, staff = excluded.staff",
    )
    .and_then(|mut s| {
        s.execute(rusqlite::params![
            outbox_id,
            p.state.as_str(),
            p.attempts,
            p.uncertain,
            next,
            p.acceptance_id,
            p.patient_id,
            p.code,
            p.reason,
            p.retrying,
            p.last_error,
            at,
            staff,
        ])
    })
    .map_err(sql_err(path, what))?;
    if settles(p) {
        tx.execute(
            "UPDATE outbox SET delivered_at = COALESCE(delivered_at, ?1), \
                 payload = json_set(payload, '$.check_in.patient', json('null')) \
             WHERE id = ?2",
            (&at, outbox_id),
        )
        .map_err(sql_err(path, what))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datetime;
    use crate::delivery::{Answer, Backoff, Failure, after, before_send};
    use crate::domain::{CheckInRecord, Outcome};
    use crate::outbox::MatchKeysV1;
    use std::time::Duration;

    const B: Backoff = Backoff {
        initial: Duration::from_secs(5),
        max: Duration::from_secs(300),
    };

    fn completed() -> CheckInRecord {
        crate::fixtures::completed_card(
            datetime!(2026-05-12 09:15:30 +09:00),
            datetime!(2026-05-12 09:16:02 +09:00),
        )
    }

    fn db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("k.db")).unwrap();
        (dir, db)
    }

    fn payload(db: &Db, outbox_id: i64) -> (String, Option<String>) {
        db.conn
            .query_row(
                "SELECT payload, delivered_at FROM outbox WHERE id = ?1",
                [outbox_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    }

    #[test]
    fn a_completed_check_in_waits_and_a_registered_one_leaves_with_its_keys_erased() {
        let (_dir, mut db) = db();
        let cancelled = CheckInRecord {
            outcome: Outcome::Cancelled {
                at: crate::domain::Step::PinEntry,
            },
            verification: None,
            counts_toward_usage_rate: false,
            ..completed()
        };
        db.commit_check_in(&cancelled).unwrap();
        let c = db.commit_check_in(&completed()).unwrap();
        // The keys travel in the payload (written by the commit where ORCA matches by kana).
        db.conn
            .execute(
                "UPDATE outbox SET payload = json_set(payload, '$.check_in.patient', \
                 json('{\"kana\":\"ﾐﾎﾝ ﾊﾅｺ\",\"birth_date\":\"1981-02-14\"}')) \
                 WHERE check_in_id = ?1",
                [c.check_in_id],
            )
            .unwrap();
        let work = db.orca_work(10).unwrap();
        assert_eq!(work.len(), 1, "only the completed check-in goes to ORCA");
        let w = &work[0];
        assert_eq!(w.check_in_id, c.check_in_id);
        assert_eq!(w.progress, Progress::new());
        assert_eq!(
            w.message.check_in.patient,
            Some(MatchKeysV1 {
                kana: "ﾐﾎﾝ ﾊﾅｺ".to_owned(),
                birth_date: "1981-02-14".to_owned()
            })
        );

        let now = datetime!(2026-05-12 09:16:03 +09:00);
        let sending = before_send(&w.progress);
        db.orca_save(w.outbox_id, &sending, now).unwrap();
        let back = db.orca_work(10).unwrap();
        assert_eq!(
            back[0].progress, sending,
            "an uncertain send survives a restart"
        );
        assert!(payload(&db, w.outbox_id).0.contains("ﾐﾎﾝ"));

        let done = after(
            &sending,
            Answer::Registered {
                acceptance_id: "00007".into(),
                patient_id: "00417".into(),
            },
            now,
            B,
        );
        db.orca_save(w.outbox_id, &done, now).unwrap();
        assert!(db.orca_work(10).unwrap().is_empty());
        let (text, delivered) = payload(&db, w.outbox_id);
        assert!(delivered.is_some());
        assert!(!text.contains("ﾐﾎﾝ") && !text.contains("1981"), "{text}");
        let m = OutboxMessage::from_json(&text).unwrap();
        assert_eq!(m.check_in.patient, None, "still wire v1 after the erasure");
        let states = db.orca_deliveries(&[c.check_in_id]).unwrap();
        assert_eq!(states.len(), 1);
        assert_eq!(states[0].progress.acceptance_id.as_deref(), Some("00007"));
    }

    #[test]
    fn only_one_of_two_workers_claims_a_send() {
        let (_dir, mut db) = db();
        db.commit_check_in(&completed()).unwrap();
        let now = datetime!(2026-05-12 09:16:03 +09:00);
        // Both read the entry before either claims it.
        let first = db.orca_work(10).unwrap().remove(0);
        let second = db.orca_work(10).unwrap().remove(0);
        let sending = before_send(&first.progress);
        assert!(
            db.orca_claim(first.outbox_id, &first.progress, &sending, now)
                .unwrap()
        );
        assert!(
            !db.orca_claim(second.outbox_id, &second.progress, &sending, now)
                .unwrap(),
            "the second worker read a stale record and must not send"
        );
        let back = db.orca_work(10).unwrap().remove(0).progress;
        assert_eq!((back.attempts, back.uncertain), (1, true));
        // The next send (after an unknown outcome and a look-up) claims from the fresh record.
        let again = before_send(&back);
        assert!(db.orca_claim(first.outbox_id, &back, &again, now).unwrap());
    }

    #[test]
    fn staff_retry_and_done_by_hand_are_audited_and_done_by_hand_settles() {
        let (_dir, mut db) = db();
        let c = db.commit_check_in(&completed()).unwrap();
        let now = datetime!(2026-05-12 09:16:03 +09:00);
        let w = db.orca_work(10).unwrap().remove(0);
        let unknown = after(
            &before_send(&w.progress),
            Answer::Refused(Failure::PatientUnknown),
            now,
            B,
        );
        db.orca_save(w.outbox_id, &unknown, now).unwrap();
        assert!(db.orca_work(10).unwrap().is_empty(), "failed for good");

        assert!(db.orca_retry(w.outbox_id, "sato", now).unwrap());
        let again = db.orca_work(10).unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].progress.state, State::Pending);

        assert!(db.orca_mark_done_by_hand(w.outbox_id, "sato", now).unwrap());
        assert!(!db.orca_mark_done_by_hand(w.outbox_id, "sato", now).unwrap());
        assert!(!db.orca_retry(w.outbox_id, "sato", now).unwrap());
        assert!(db.orca_work(10).unwrap().is_empty());
        let d = db.orca_deliveries(&[c.check_in_id]).unwrap().remove(0);
        assert_eq!(d.progress.state, State::DoneByHand);
        assert!(payload(&db, w.outbox_id).1.is_some());
        let staff: Option<String> = db
            .conn
            .query_row(
                "SELECT staff FROM orca_deliveries WHERE outbox_id = ?1",
                [w.outbox_id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(staff.as_deref(), Some("sato"));
        let actions: Vec<(String, String, Option<i64>)> = db
            .conn
            .prepare("SELECT actor, action, check_in_id FROM audit_log WHERE action LIKE 'orca_%' ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            actions,
            [
                (
                    "sato".to_owned(),
                    "orca_retry".to_owned(),
                    Some(c.check_in_id)
                ),
                (
                    "sato".to_owned(),
                    "orca_done_by_hand".to_owned(),
                    Some(c.check_in_id)
                ),
            ]
        );
    }
}
