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
        cursor(&self.conn, &self.path, "audit_log")
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

/// `central_cursor.delivered_up_to` of `stream` (`audit_log`, `staff_accounts`); 0 before the
/// first delivery or copy.
fn cursor(
    conn: &rusqlite::Connection,
    path: &std::path::Path,
    stream: &str,
) -> Result<i64, StoreError> {
    conn.prepare_cached("SELECT delivered_up_to FROM central_cursor WHERE stream = ?1")
        .and_then(|mut s| s.query_row([stream], |r| r.get(0)).optional())
        .map(|v| v.unwrap_or(0))
        .map_err(sql_err(path, "read a central delivery cursor"))
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
    let after = cursor(conn, path, "audit_log")?;
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

/// A staff account as the central database holds it, to be kept in the kiosk's store as its
/// cached copy (issue 19 item 4): what the console and the kiosk's staff mode check, offline
/// too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedAccount {
    pub login: String,
    pub display_name: String,
    pub role: crate::staff::Role,
    /// argon2id, PHC form.
    pub password_hash: String,
    /// argon2id of the kiosk PIN, when one is set.
    pub kiosk_pin_hash: Option<String>,
    /// The console's lock (wrong passwords), as the central database has it.
    pub locked_until: Option<DateTime<FixedOffset>>,
    /// The kiosk staff mode's lock (wrong PINs), as the central database has it.
    pub kiosk_pin_locked_until: Option<DateTime<FixedOffset>>,
    pub disabled_at: Option<DateTime<FixedOffset>>,
}

/// An account's lock ends here and as last copied (four RFC 3339 texts or NULLs).
type LockTexts = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// A lock end made here that is later than the one last copied from the central database
/// (`None`: not made here, or already known there), compared at PostgreSQL's precision
/// (microseconds), so a lock that came back from it is not new.
fn later_than_copied(
    here: Option<DateTime<FixedOffset>>,
    copied: Option<DateTime<FixedOffset>>,
) -> Option<DateTime<FixedOffset>> {
    here.filter(|h| copied.is_none_or(|c| h.timestamp_micros() > c.timestamp_micros()))
}

/// A lock made at this kiosk that the central database has not been told of: its end is later
/// than the one the central database last gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsentLock {
    pub login: String,
    /// The console's lock end, when it is newer here.
    pub locked_until: Option<DateTime<FixedOffset>>,
    /// The kiosk PIN lock end, when it is newer here.
    pub kiosk_pin_locked_until: Option<DateTime<FixedOffset>>,
}

impl Db {
    /// The last central staff-account change copied here (0: none).
    pub fn staff_cursor(&self) -> Result<i64, StoreError> {
        cursor(&self.conn, &self.path, "staff_accounts")
    }

    /// Copies central accounts into this store in one transaction: each account by login is
    /// added or brought up to the central copy (name, role, password and PIN hashes, disabled,
    /// both locks; the failure counters stay this store's), its lock ends remembered, the
    /// cursor moved to `up_to`, and each copy audited (`staff_account_from_central`). Accounts
    /// the central database does not manage (a kiosk's own technician) are left alone.
    pub fn cache_central_staff(
        &mut self,
        accounts: &[CachedAccount],
        up_to: i64,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let what = "copy the central staff accounts";
        let text = |what: &'static str, t: Option<DateTime<FixedOffset>>| {
            t.map(|t| codec::instant(what, t))
                .transpose()
                .map_err(unstorable(&path))
        };
        let at = codec::instant("copy time", now).map_err(unstorable(&path))?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_err(&path, what))?;
        for a in accounts {
            // A lock made here after the last copy and not yet sent on is kept: the next pass
            // sends it (the later end wins centrally).
            let before: Option<LockTexts> = tx
                .query_row(
                    "SELECT a.locked_until, a.kiosk_pin_locked_until, c.locked_until, \
                     c.kiosk_pin_locked_until FROM staff_accounts a \
                     LEFT JOIN central_staff c ON c.login = a.login WHERE a.login = ?1",
                    [&a.login],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()
                .map_err(sql_err(&path, what))?;
            let parse = |v: &Option<String>| {
                v.as_deref()
                    .and_then(|t| codec::parse_instant("staff_accounts", "locked_until", t).ok())
            };
            let unsent = |here: &Option<String>, copied: &Option<String>| {
                later_than_copied(parse(here), parse(copied))
            };
            let (mut locked_until, mut pin_locked_until) =
                (a.locked_until, a.kiosk_pin_locked_until);
            if let Some((here, here_pin, copied, copied_pin)) = &before {
                if let Some(h) = unsent(here, copied) {
                    locked_until = Some(locked_until.map_or(h, |c| c.max(h)));
                }
                if let Some(h) = unsent(here_pin, copied_pin) {
                    pin_locked_until = Some(pin_locked_until.map_or(h, |c| c.max(h)));
                }
            }
            let locked = text("lock end", locked_until)?;
            let pin_locked = text("PIN lock end", pin_locked_until)?;
            let central_locked = text("lock end", a.locked_until)?;
            let central_pin_locked = text("PIN lock end", a.kiosk_pin_locked_until)?;
            let disabled = text("disabled time", a.disabled_at)?;
            let changed = tx
                .execute(
                    "UPDATE staff_accounts SET display_name = ?2, role = ?3, password_hash = ?4, \
                     kiosk_pin_hash = ?5, locked_until = ?6, kiosk_pin_locked_until = ?7, \
                     disabled_at = ?8 WHERE login = ?1",
                    (
                        &a.login,
                        &a.display_name,
                        a.role.as_str(),
                        &a.password_hash,
                        &a.kiosk_pin_hash,
                        &locked,
                        &pin_locked,
                        &disabled,
                    ),
                )
                .map_err(sql_err(&path, what))?;
            if changed == 0 {
                tx.execute(
                    "INSERT INTO staff_accounts (login, display_name, role, password_hash, \
                     kiosk_pin_hash, locked_until, kiosk_pin_locked_until, disabled_at, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    (
                        &a.login,
                        &a.display_name,
                        a.role.as_str(),
                        &a.password_hash,
                        &a.kiosk_pin_hash,
                        &locked,
                        &pin_locked,
                        &disabled,
                        &at,
                    ),
                )
                .map_err(sql_err(&path, what))?;
            }
            if disabled.is_some() {
                tx.execute(
                    "DELETE FROM staff_sessions WHERE account_id = \
                     (SELECT id FROM staff_accounts WHERE login = ?1)",
                    [&a.login],
                )
                .map_err(sql_err(&path, what))?;
            }
            tx.execute(
                "INSERT INTO central_staff (login, locked_until, kiosk_pin_locked_until) \
                 VALUES (?1, ?2, ?3) ON CONFLICT (login) DO UPDATE SET \
                 locked_until = excluded.locked_until, \
                 kiosk_pin_locked_until = excluded.kiosk_pin_locked_until",
                (&a.login, &central_locked, &central_pin_locked),
            )
            .map_err(sql_err(&path, what))?;
            super::db::insert_audit(
                &tx,
                &at,
                "central",
                "staff_account_from_central",
                None,
                &format!(
                    "login={} role={}{}",
                    a.login,
                    a.role.as_str(),
                    if disabled.is_some() { " disabled" } else { "" }
                ),
            )
            .map_err(sql_err(&path, what))?;
        }
        tx.execute(
            "INSERT INTO central_cursor (stream, delivered_up_to) VALUES ('staff_accounts', ?1) \
             ON CONFLICT (stream) DO UPDATE SET delivered_up_to = \
             max(delivered_up_to, excluded.delivered_up_to)",
            [up_to],
        )
        .map_err(sql_err(&path, what))?;
        tx.commit().map_err(sql_err(&path, what))
    }

    /// The locks made here (wrong passwords at this console, wrong PINs at this kiosk's staff
    /// mode) on centrally managed accounts that end later than the central copy says.
    pub fn unsent_staff_locks(&self) -> Result<Vec<UnsentLock>, StoreError> {
        let path = &self.path;
        let what = "read the locks made here";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT a.login, a.locked_until, a.kiosk_pin_locked_until, \
                 c.locked_until, c.kiosk_pin_locked_until \
                 FROM staff_accounts a JOIN central_staff c ON c.login = a.login \
                 WHERE a.locked_until IS NOT NULL OR a.kiosk_pin_locked_until IS NOT NULL",
            )
            .map_err(sql_err(path, what))?;
        let mut rows = stmt.query([]).map_err(sql_err(path, what))?;
        let parse = |v: Option<String>, column: &'static str| {
            v.map(|t| codec::parse_instant("staff_accounts", column, &t))
                .transpose()
                .map_err(corrupt(path))
        };
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(sql_err(path, what))? {
            let r = Cells::new(path, row, what);
            let login: String = r.get("login")?;
            let here = parse(row.get(1).map_err(sql_err(path, what))?, "locked_until")?;
            let here_pin = parse(
                row.get(2).map_err(sql_err(path, what))?,
                "kiosk_pin_locked_until",
            )?;
            let there = parse(row.get(3).map_err(sql_err(path, what))?, "locked_until")?;
            let there_pin = parse(
                row.get(4).map_err(sql_err(path, what))?,
                "kiosk_pin_locked_until",
            )?;
            let lock = UnsentLock {
                login,
                locked_until: later_than_copied(here, there),
                kiosk_pin_locked_until: later_than_copied(here_pin, there_pin),
            };
            if lock.locked_until.is_some() || lock.kiosk_pin_locked_until.is_some() {
                out.push(lock);
            }
        }
        Ok(out)
    }
}
