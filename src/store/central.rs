//! The SQL behind delivering to the hospital's central database (schema v16, issue 19 item 1):
//! what is still to send (outbox entries in order, with each check-in's patient key; audit
//! entries after the cursor), marking a batch delivered once the central database committed it,
//! and how far delivery lags (for `doctor`).
//!
//! Owns: `outbox.central_delivered_at` and `central_cursor`. Must not know: PostgreSQL (see
//! `crate::central`), ORCA's delivery (`delivered_at`, `orca_deliveries`).

use chrono::{DateTime, FixedOffset};
use rusqlite::{OptionalExtension as _, TransactionBehavior};

use super::codec::{self, BadValue};
use super::db::{Cells, Db, corrupt, sql_err, unstorable};
use super::{AuditEntry, StoreError};
use crate::outbox::OutboxMessage;

/// One outbox entry on its way to the central database.
#[derive(Debug, Clone)]
pub struct CentralEntry {
    /// The kiosk's own sequence (`outbox.id`): with the kiosk's id, the central key.
    pub outbox_id: i64,
    pub check_in_id: i64,
    pub created_at: DateTime<FixedOffset>,
    pub message: OutboxMessage,
    /// The check-in's pseudonymous patient key as the kiosk holds it now (`None`: no numbers),
    /// for the report per person across kiosks.
    pub patient_key: Option<String>,
    /// The patient's name (and reading) while the handoff is open at the kiosk, so staff at any
    /// desk can call the patient; `None` once it is closed (the kiosk has erased it).
    pub patient_name: Option<crate::domain::PatientName>,
}

/// What the central database has not committed yet, oldest first.
#[derive(Debug, Clone, Default)]
pub struct CentralBatch {
    pub entries: Vec<CentralEntry>,
    pub audit: Vec<AuditEntry>,
}

impl CentralBatch {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.audit.is_empty()
    }
}

/// How far delivery to the central database lags: outbox entries not yet committed there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CentralLag {
    /// Entries waiting.
    pub entries: u64,
    /// When the oldest waiting entry was written (`None`: nothing waits).
    pub oldest: Option<DateTime<FixedOffset>>,
    /// Audit entries after the cursor.
    pub audit: u64,
}

impl Db {
    /// Up to `limit` outbox entries (wire v1) and up to `limit` audit entries the central
    /// database has not committed, each in the kiosk's order.
    pub fn central_batch(&self, limit: usize) -> Result<CentralBatch, StoreError> {
        let path = &self.path;
        let what = "read what the central database has not received";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT o.id AS id, o.check_in_id AS check_in_id, o.created_at AS created_at, \
                 o.payload AS payload, c.patient_key AS patient_key, \
                 h.patient_name AS patient_name, h.patient_name_kana AS patient_name_kana \
                 FROM outbox o JOIN check_ins c ON c.id = o.check_in_id \
                 LEFT JOIN handoffs h ON h.check_in_id = o.check_in_id AND h.resolved_at IS NULL \
                 WHERE o.central_delivered_at IS NULL AND o.wire_version = 1 \
                 ORDER BY o.id LIMIT ?1",
            )
            .map_err(sql_err(path, what))?;
        let mut rows = stmt.query([limit]).map_err(sql_err(path, what))?;
        let mut batch = CentralBatch::default();
        while let Some(row) = rows.next().map_err(sql_err(path, what))? {
            let r = Cells::new(path, row, what);
            let payload: String = r.get("payload")?;
            let created_at: String = r.get("created_at")?;
            batch.entries.push(CentralEntry {
                outbox_id: r.get("id")?,
                check_in_id: r.get("check_in_id")?,
                created_at: codec::parse_instant("outbox", "created_at", &created_at)
                    .map_err(corrupt(path))?,
                message: OutboxMessage::from_json(&payload)
                    .map_err(|_| corrupt(path)(BadValue::new("outbox", "payload", &payload)))?,
                patient_key: r.get("patient_key")?,
                patient_name: match r.get::<Option<String>>("patient_name")? {
                    Some(name) => Some(crate::domain::PatientName {
                        name,
                        kana: r.get("patient_name_kana")?,
                        birth_date: None,
                    }),
                    None => None,
                },
            });
        }
        drop(rows);
        let after = self.central_cursor()?;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, at, actor, action, check_in_id, detail FROM audit_log \
                 WHERE id > ?1 ORDER BY id LIMIT ?2",
            )
            .map_err(sql_err(path, what))?;
        let mut rows = stmt.query((after, limit)).map_err(sql_err(path, what))?;
        while let Some(row) = rows.next().map_err(sql_err(path, what))? {
            let r = Cells::new(path, row, what);
            let at: String = r.get("at")?;
            batch.audit.push(AuditEntry {
                id: r.get("id")?,
                at: codec::parse_instant("audit_log", "at", &at).map_err(corrupt(path))?,
                actor: r.get("actor")?,
                action: r.get("action")?,
                check_in_id: r.get("check_in_id")?,
                detail: r.get("detail")?,
            });
        }
        Ok(batch)
    }

    /// The last audit entry the central database committed (0: none).
    fn central_cursor(&self) -> Result<i64, StoreError> {
        self.conn
            .prepare_cached("SELECT delivered_up_to FROM central_cursor WHERE stream = 'audit_log'")
            .and_then(|mut s| s.query_row([], |r| r.get(0)).optional())
            .map(|v| v.unwrap_or(0))
            .map_err(sql_err(&self.path, "read the central delivery cursor"))
    }

    /// Records, in one transaction, that the central database committed these outbox entries
    /// and the audit log up to `audit_up_to` (none: unchanged). Entries already marked keep
    /// their first time. Returns how many entries were newly marked.
    pub fn central_mark_delivered(
        &mut self,
        outbox_ids: &[i64],
        audit_up_to: Option<i64>,
        at: DateTime<FixedOffset>,
    ) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let what = "mark entries delivered to the central database";
        let at = codec::instant("central delivery time", at).map_err(unstorable(&path))?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_err(&path, what))?;
        let mut marked = 0;
        {
            let mut stmt = tx
                .prepare_cached(
                    "UPDATE outbox SET central_delivered_at = ?1 \
                     WHERE id = ?2 AND central_delivered_at IS NULL",
                )
                .map_err(sql_err(&path, what))?;
            for id in outbox_ids {
                marked += stmt.execute((&at, id)).map_err(sql_err(&path, what))?;
            }
            if let Some(up_to) = audit_up_to {
                tx.prepare_cached(
                    "INSERT INTO central_cursor (stream, delivered_up_to) VALUES ('audit_log', ?1) \
                     ON CONFLICT (stream) DO UPDATE SET delivered_up_to = \
                     max(delivered_up_to, excluded.delivered_up_to)",
                )
                .and_then(|mut s| s.execute([up_to]))
                .map_err(sql_err(&path, what))?;
            }
        }
        tx.commit().map_err(sql_err(&path, what))?;
        Ok(marked)
    }

    /// How far delivery to the central database lags.
    pub fn central_lag(&self) -> Result<CentralLag, StoreError> {
        lag(&self.conn, &self.path)
    }
}

/// How far delivery to the central database lags in the database at `path`, read without
/// writing (for `doctor` beside a running kiosk).
pub fn central_lag_of(path: &std::path::Path) -> Result<CentralLag, StoreError> {
    use rusqlite::{Connection, OpenFlags};
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| StoreError::Open {
        path: path.to_owned(),
        source,
    })?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(sql_err(path, "set the busy timeout"))?;
    lag(&conn, path)
}

fn lag(conn: &rusqlite::Connection, path: &std::path::Path) -> Result<CentralLag, StoreError> {
    let what = "read how far central delivery lags";
    let (entries, oldest): (i64, Option<String>) = conn
        .prepare_cached(
            "SELECT count(*), min(created_at) FROM outbox \
             WHERE central_delivered_at IS NULL AND wire_version = 1",
        )
        .and_then(|mut s| s.query_row([], |r| Ok((r.get(0)?, r.get(1)?))))
        .map_err(sql_err(path, what))?;
    let after: i64 = conn
        .prepare_cached("SELECT delivered_up_to FROM central_cursor WHERE stream = 'audit_log'")
        .and_then(|mut s| s.query_row([], |r| r.get(0)).optional())
        .map(|v| v.unwrap_or(0))
        .map_err(sql_err(path, what))?;
    let audit: i64 = conn
        .prepare_cached("SELECT count(*) FROM audit_log WHERE id > ?1")
        .and_then(|mut s| s.query_row([after], |r| r.get(0)))
        .map_err(sql_err(path, what))?;
    Ok(CentralLag {
        entries: u64::try_from(entries).unwrap_or(0),
        oldest: oldest
            .map(|t| codec::parse_instant("outbox", "created_at", &t))
            .transpose()
            .map_err(corrupt(path))?,
        audit: u64::try_from(audit).unwrap_or(0),
    })
}
