//! The SQL behind each store operation, run on the store thread over its one connection.
//!
//! Owns: the connection, its pragmas, every `INSERT`/`SELECT`/`UPDATE`. Must not know: the
//! national rules (whether a method counts toward the usage rate is the caller's answer), the
//! channel the requests arrive on, or anything the domain types do not carry.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use rusqlite::types::FromSql;
use rusqlite::{
    Connection, OptionalExtension, Row, Transaction, TransactionBehavior, named_params,
};

use crate::dates::Date;
use crate::outbox::{Kind, OutboxMessage};

use super::codec::{self, BadValue, Unstorable};
use super::migrations::{self, SCHEMA_VERSION};
use super::{AuditEntry, Committed, Durability, NewAuditEntry, OutboxEntry, StoreError};
use crate::domain::{
    BurdenRatio, CheckInRecord, ChecklistItem, ClosedAs, ConsentAnswers, EligibilitySummary,
    HandoffResolution, InsuranceNumbers, Outcome, PatientName, ReceptionNumber, StoredCheckIn,
};

/// How long a statement waits for another process's lock (a technician's `sqlite3` shell, a
/// backup) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The actor every kiosk-side entry is written by.
const KIOSK: &str = "kiosk";

pub(crate) struct Db {
    pub(super) conn: Connection,
    pub(super) path: PathBuf,
    /// A name was erased but a reader blocked the WAL checkpoint: retry after later commits.
    scrub_pending: bool,
    /// The facility's patient-key secret, from its file beside the database (never in it).
    pub(super) secret: crate::patient_key::PatientSecret,
}

pub(super) fn sql_err<'p>(
    path: &'p Path,
    what: &'static str,
) -> impl FnOnce(rusqlite::Error) -> StoreError + 'p {
    move |source| StoreError::Sql {
        path: path.to_owned(),
        what,
        source,
    }
}

pub(super) fn corrupt(path: &Path) -> impl FnOnce(BadValue) -> StoreError + '_ {
    move |b| StoreError::Corrupt {
        path: path.to_owned(),
        table: b.table,
        column: b.column,
        value: b.value,
    }
}

pub(super) fn unstorable(path: &Path) -> impl FnOnce(Unstorable) -> StoreError + '_ {
    move |u| StoreError::Unstorable {
        path: path.to_owned(),
        what: u.what,
        reason: u.reason,
    }
}

impl Db {
    /// Opens (creating if needed), sets the durability pragmas and migrates to
    /// [`SCHEMA_VERSION`].
    pub fn open(path: &Path) -> Result<Db, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.to_owned(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        // Refuse a newer file before touching it: switching its journal mode would already be
        // a change the newer build did not ask for.
        let found = migrations::user_version(&conn).map_err(open_err)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: path.to_owned(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::NoWal {
                path: path.to_owned(),
                mode,
            });
        }
        // FULL: every commit's WAL frames are fsync'd before COMMIT returns, so "committed"
        // survives a power cut, which is what lets the kiosk tell the patient they are done.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(open_err)?;
        // What is erased (a patient's name once the handoff is closed) is overwritten with
        // zeros in the file, not just unlinked.
        conn.pragma_update(None, "secure_delete", true)
            .map_err(open_err)?;
        migrations::migrate(&mut conn, path, SCHEMA_VERSION)?;
        let holds_keys = super::patient_keys::any_key(&conn).map_err(open_err)?;
        let secret = crate::patient_key::PatientSecret::for_database(path, holds_keys)?;
        // Enough for every distinct statement this module prepares.
        conn.set_prepared_statement_cache_capacity(32);
        Ok(Db {
            conn,
            path: path.to_owned(),
            scrub_pending: false,
            secret,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn commit_check_in(&mut self, record: &CheckInRecord) -> Result<Committed, StoreError> {
        let path = &self.path;
        // Everything that can fail without the database fails before the transaction starts.
        let row = EncodedCheckIn::new(record).map_err(unstorable(path))?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_err(path, "begin check-in commit"))?;

        let reception_number = match record.outcome {
            Outcome::Completed | Outcome::HandedToStaff { .. } => {
                Some(next_reception_number(&tx, path, &row.visit_date)?)
            }
            Outcome::Cancelled { .. } | Outcome::TimedOut { .. } => None,
        };
        let check_in_id = insert_check_in(&tx, &row, reception_number)
            .map_err(sql_err(path, "insert check-in"))?;
        if !record.consent.is_empty() {
            insert_consent(&tx, check_in_id, &record.consent, path)?;
        }
        if let Some(reason) = record.outcome.handoff_reason() {
            let name = record.patient_name.as_ref();
            tx.prepare_cached(
                "INSERT INTO handoffs (check_in_id, reason, patient_name, patient_name_kana) \
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| {
                s.execute((
                    check_in_id,
                    reason.as_str(),
                    name.map(|n| n.name.as_str()),
                    name.and_then(|n| n.kana.as_deref()),
                ))
            })
            .map_err(sql_err(path, "insert handoff"))?;
        }
        super::patient_keys::refresh(&tx, path, &self.secret, check_in_id)?;

        let detail = format!(
            "outcome={} reason={} verification={} reception_number={} expected_route={}",
            record.outcome.as_str(),
            record.outcome.handoff_reason().map_or("-", |r| r.as_str()),
            record.verification.map_or("-", |v| v.as_str()),
            reception_number.map_or_else(|| "-".to_owned(), |n| n.to_string()),
            record.expected_route.map_or("-", |v| v.as_str()),
        );
        // Both entries carry the moment the check-in finished, not when the disk caught up.
        let at = row.finished_at.as_str();
        insert_audit(
            &tx,
            at,
            KIOSK,
            "check_in_committed",
            Some(check_in_id),
            &detail,
        )
        .map_err(sql_err(path, "append audit entry"))?;

        let stored = StoredCheckIn {
            id: check_in_id,
            reception_number,
            record: record.clone(),
            resolution: None,
        };
        insert_outbox(&tx, path, Kind::of_commit(&record.outcome), &stored, at)?;

        tx.commit().map_err(sql_err(path, "commit check-in"))?;
        tracing::debug!(
            check_in_id,
            outcome = record.outcome.as_str(),
            "check-in committed"
        );
        if self.scrub_pending {
            self.scrub_wal();
        }
        Ok(Committed {
            check_in_id,
            reception_number,
        })
    }

    pub fn check_in(&self, id: i64) -> Result<Option<StoredCheckIn>, StoreError> {
        check_in_by_id(&self.conn, &self.path, id, "read check-in")
    }

    /// Check-ins whose visit date lies in `from..=to`, in visit-date then commit order.
    pub fn check_ins_between(
        &self,
        from: Date,
        to: Date,
    ) -> Result<Vec<StoredCheckIn>, StoreError> {
        let path = &self.path;
        let from = codec::date("from date", from).map_err(unstorable(path))?;
        let to = codec::date("to date", to).map_err(unstorable(path))?;
        let sql = format!(
            "{SELECT_CHECK_IN} WHERE c.visit_date BETWEEN ?1 AND ?2 ORDER BY c.visit_date, c.id"
        );
        self.query_check_ins(&sql, (from, to))
    }

    /// Handoffs staff have not resolved yet, oldest (first committed) first.
    pub fn open_handoffs(&self) -> Result<Vec<StoredCheckIn>, StoreError> {
        let sql = format!(
            "{SELECT_CHECK_IN} WHERE h.check_in_id IS NOT NULL AND h.resolved_at IS NULL \
             ORDER BY c.id"
        );
        self.query_check_ins(&sql, ())
    }

    fn query_check_ins(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<StoredCheckIn>, StoreError> {
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(sql_err(path, "read check-ins"))?;
        let mut rows = stmt
            .query(params)
            .map_err(sql_err(path, "read check-ins"))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(sql_err(path, "read check-ins"))? {
            out.push(read_check_in(path, row)?);
        }
        Ok(out)
    }

    pub fn resolve_handoff(
        &mut self,
        check_in_id: i64,
        resolution: &HandoffResolution,
        counts_toward_usage_rate: bool,
    ) -> Result<(), StoreError> {
        let path = &self.path;
        let resolved_at =
            codec::instant("resolution time", resolution.resolved_at).map_err(unstorable(path))?;
        let identity = match &resolution.closed_as {
            ClosedAs::Verified { identity, .. } => {
                codec::opt_name("resolution identity", *identity).map_err(unstorable(path))?
            }
            ClosedAs::Unresolved | ClosedAs::Cancelled => None,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_err(path, "begin handoff resolution"))?;

        let before: Option<(Option<String>, bool)> = tx
            .prepare_cached(
                "SELECT verification, counts_toward_usage_rate FROM check_ins WHERE id = ?1",
            )
            .and_then(|mut s| {
                s.query_row([check_in_id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(sql_err(path, "read check-in for resolution"))?;
        let Some((verification_before, counted_before)) = before else {
            return Err(StoreError::NoSuchCheckIn {
                path: path.clone(),
                id: check_in_id,
            });
        };
        let handoff: Option<(String, Option<String>)> = tx
            .prepare_cached("SELECT reason, resolved_at FROM handoffs WHERE check_in_id = ?1")
            .and_then(|mut s| {
                s.query_row([check_in_id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(sql_err(path, "read handoff"))?;
        let reason = match handoff {
            None => {
                return Err(StoreError::NotAHandoff {
                    path: path.clone(),
                    id: check_in_id,
                });
            }
            Some((_, Some(_))) => {
                return Err(StoreError::AlreadyResolved {
                    path: path.clone(),
                    id: check_in_id,
                });
            }
            Some((reason, None)) => reason,
        };

        let (verification, identity, read_off) = match &resolution.closed_as {
            ClosedAs::Verified {
                verification,
                read_off,
                ..
            } => (
                Some(verification.as_str()),
                identity.as_deref(),
                read_off.as_ref(),
            ),
            ClosedAs::Unresolved | ClosedAs::Cancelled => (None, None, None),
        };
        let valid_until = read_off
            .and_then(|n| n.valid_until)
            .map(|d| codec::date("valid until", d))
            .transpose()
            .map_err(unstorable(path))?;
        tx.prepare_cached(
            "UPDATE handoffs SET closed_as = :closed_as, verification = :verification, \
             identity = :identity, note = :note, staff = :staff, resolved_at = :resolved_at, \
             insurer_number = :insurer_number, insured_symbol = :symbol, \
             insured_number = :number, insured_branch = :branch, burden_ratio = :ratio, \
             valid_until = :valid_until, patient_name = NULL, patient_name_kana = NULL \
             WHERE check_in_id = :id AND resolved_at IS NULL",
        )
        .and_then(|mut s| {
            s.execute(named_params! {
                ":closed_as": resolution.closed_as.as_str(),
                ":verification": verification,
                ":identity": identity,
                ":note": resolution.note,
                ":staff": resolution.staff,
                ":resolved_at": resolved_at,
                ":insurer_number": read_off.map(|n| n.insurer_number.as_str()),
                ":symbol": read_off.and_then(|n| n.symbol.as_deref()),
                ":number": read_off.map(|n| n.number.as_str()),
                ":branch": read_off.and_then(|n| n.branch.as_deref()),
                ":ratio": read_off.and_then(|n| n.burden_ratio).map(|r| r.0),
                ":valid_until": valid_until,
                ":id": check_in_id,
            })
        })
        .map_err(sql_err(path, "record handoff resolution"))?;
        // The check-in row carries the final method so reports read one column: none when staff
        // could not confirm eligibility.
        let counts_toward_usage_rate = counts_toward_usage_rate && verification.is_some();
        tx.prepare_cached(
            "UPDATE check_ins SET verification = ?1, counts_toward_usage_rate = ?2 WHERE id = ?3",
        )
        .and_then(|mut s| s.execute((verification, counts_toward_usage_rate, check_in_id)))
        .map_err(sql_err(path, "update check-in verification"))?;
        super::patient_keys::refresh(&tx, path, &self.secret, check_in_id)?;

        let detail = format!(
            "reason={reason} closed_as={} verification={}->{} counts_toward_usage_rate={counted_before}->{counts_toward_usage_rate}",
            resolution.closed_as.as_str(),
            verification_before.as_deref().unwrap_or("-"),
            verification.unwrap_or("-"),
        );
        insert_audit(
            &tx,
            &resolved_at,
            &resolution.staff,
            "handoff_resolved",
            Some(check_in_id),
            &detail,
        )
        .map_err(sql_err(path, "append audit entry"))?;

        let stored =
            check_in_by_id(&tx, path, check_in_id, "read resolved check-in")?.ok_or_else(|| {
                StoreError::NoSuchCheckIn {
                    path: path.clone(),
                    id: check_in_id,
                }
            })?;
        insert_outbox(&tx, path, Kind::HandoffClosed, &stored, &resolved_at)?;

        tx.commit()
            .map_err(sql_err(path, "commit handoff resolution"))?;
        tracing::info!(check_in_id, "handoff resolved");
        self.scrub_wal();
        Ok(())
    }

    /// Erases the names still held by handoffs from visits before `visit_date` that nobody
    /// closed (a patient who left): a name is kept for the day's calling, never longer.
    /// Returns how many were erased; each erasure is audited.
    pub fn forget_names_before(
        &mut self,
        visit_date: Date,
        now: DateTime<FixedOffset>,
    ) -> Result<usize, StoreError> {
        let path = &self.path;
        let day = codec::date("visit date", visit_date).map_err(unstorable(path))?;
        let at = codec::instant("now", now).map_err(unstorable(path))?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_err(path, "begin forgetting names"))?;
        let ids: Vec<i64> = tx
            .prepare_cached(
                "SELECT h.check_in_id FROM handoffs h JOIN check_ins c ON c.id = h.check_in_id \
                 WHERE h.patient_name IS NOT NULL AND c.visit_date < ?1",
            )
            .and_then(|mut s| {
                s.query_map([&day], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()
            })
            .map_err(sql_err(path, "find names to forget"))?;
        for id in &ids {
            tx.prepare_cached(
                "UPDATE handoffs SET patient_name = NULL, patient_name_kana = NULL \
                 WHERE check_in_id = ?1",
            )
            .and_then(|mut s| s.execute([id]))
            .map_err(sql_err(path, "forget a name"))?;
            insert_audit(
                &tx,
                &at,
                KIOSK,
                "patient_name_forgotten",
                Some(*id),
                &format!("handoff still open after its visit day ({day})"),
            )
            .map_err(sql_err(path, "append audit entry"))?;
        }
        tx.commit()
            .map_err(sql_err(path, "commit forgetting names"))?;
        if !ids.is_empty() {
            tracing::info!(count = ids.len(), "names of stale open handoffs forgotten");
        }
        if !ids.is_empty() || self.scrub_pending {
            self.scrub_wal();
        }
        Ok(ids.len())
    }

    /// Copies the WAL into the database file and truncates it, so an erased name's old page
    /// images do not linger in the WAL. With a reader in the way it cannot; that is logged and
    /// retried after each later check-in and at the next hourly name erasure.
    fn scrub_wal(&mut self) {
        let outcome = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                r.get::<_, i64>(0)
            });
        self.scrub_pending = outcome != Ok(0);
        match outcome {
            Ok(0) => {}
            Ok(_) => tracing::warn!(
                path = %self.path.display(),
                "WAL checkpoint blocked by a reader: erased data stays in the WAL until a retry"
            ),
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "WAL checkpoint failed")
            }
        }
    }

    /// The newest `limit` entries, newest first.
    pub fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let path = &self.path;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, at, actor, action, check_in_id, detail FROM audit_log \
                 ORDER BY id DESC LIMIT ?1",
            )
            .map_err(sql_err(path, "read audit log"))?;
        let mut rows = stmt
            .query([limit])
            .map_err(sql_err(path, "read audit log"))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(sql_err(path, "read audit log"))? {
            let r = Cells::new(path, row, "read audit log");
            let at: String = r.get("at")?;
            out.push(AuditEntry {
                id: r.get("id")?,
                at: codec::parse_instant("audit_log", "at", &at).map_err(corrupt(path))?,
                actor: r.get("actor")?,
                action: r.get("action")?,
                check_in_id: r.get("check_in_id")?,
                detail: r.get("detail")?,
            });
        }
        Ok(out)
    }

    pub fn append_audit(&mut self, entry: &NewAuditEntry) -> Result<i64, StoreError> {
        let path = &self.path;
        let at = codec::instant("audit time", entry.at).map_err(unstorable(path))?;
        insert_audit(
            &self.conn,
            &at,
            &entry.actor,
            &entry.action,
            entry.check_in_id,
            &entry.detail,
        )
        .map_err(sql_err(path, "append audit entry"))
    }

    /// Outbox entries not yet delivered, oldest first.
    pub fn outbox_pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        let path = &self.path;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, check_in_id, kind, payload, created_at FROM outbox \
                 WHERE delivered_at IS NULL AND wire_version = 1 ORDER BY id LIMIT ?1",
            )
            .map_err(sql_err(path, "read outbox"))?;
        let mut rows = stmt.query([limit]).map_err(sql_err(path, "read outbox"))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(sql_err(path, "read outbox"))? {
            let r = Cells::new(path, row, "read outbox");
            let payload: String = r.get("payload")?;
            let created_at: String = r.get("created_at")?;
            let message = OutboxMessage::from_json(&payload)
                .map_err(|_| corrupt(path)(BadValue::new("outbox", "payload", &payload)))?;
            out.push(OutboxEntry {
                id: r.get("id")?,
                check_in_id: r.get("check_in_id")?,
                kind: message.kind,
                payload: message,
                created_at: codec::parse_instant("outbox", "created_at", &created_at)
                    .map_err(corrupt(path))?,
            });
        }
        Ok(out)
    }

    /// Marks an outbox entry delivered; `false` if it did not exist or was already delivered.
    pub fn mark_delivered(
        &mut self,
        id: i64,
        at: DateTime<FixedOffset>,
    ) -> Result<bool, StoreError> {
        let path = &self.path;
        let at = codec::instant("delivery time", at).map_err(unstorable(path))?;
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE outbox SET delivered_at = ?1 WHERE id = ?2 AND delivered_at IS NULL",
            )
            .and_then(|mut s| s.execute((at, id)))
            .map_err(sql_err(path, "mark outbox entry delivered"))?;
        Ok(changed == 1)
    }

    pub fn integrity_check(&self) -> Result<String, StoreError> {
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(sql_err(path, "integrity check"))?;
        let lines = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(sql_err(path, "integrity check"))?;
        Ok(lines.join("\n"))
    }

    pub fn schema_version(&self) -> Result<u32, StoreError> {
        migrations::user_version(&self.conn).map_err(sql_err(&self.path, "read schema version"))
    }

    pub fn durability(&self) -> Result<Durability, StoreError> {
        let path = &self.path;
        let read = |name: &str| -> Result<i64, StoreError> {
            self.conn
                .pragma_query_value(None, name, |r| r.get(0))
                .map_err(sql_err(path, "read pragmas"))
        };
        let journal_mode: String = self
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .map_err(sql_err(path, "read pragmas"))?;
        let synchronous = match read("synchronous")? {
            0 => "off",
            1 => "normal",
            2 => "full",
            3 => "extra",
            _ => "unknown",
        };
        Ok(Durability {
            journal_mode: journal_mode.to_lowercase(),
            synchronous: synchronous.to_owned(),
            foreign_keys: read("foreign_keys")? == 1,
            busy_timeout_ms: read("busy_timeout")?,
        })
    }
}

/// What `doctor` reads from a database file, opened read-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// `PRAGMA integrity_check`'s lines joined by newlines: "ok" when the file is sound.
    pub integrity: String,
    /// `PRAGMA user_version`: the schema version the file is at.
    pub schema_version: u32,
}

/// Opens `path` read-only (never creating, migrating or switching its journal mode, so a
/// damaged or newer file is reported as it is) and runs `PRAGMA integrity_check`. A file so
/// damaged that SQLite refuses to read it is an `Err` naming the file.
pub fn inspect(path: &Path) -> Result<Inspection, StoreError> {
    use rusqlite::OpenFlags;
    let open_err = |source| StoreError::Open {
        path: path.to_owned(),
        source,
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(open_err)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
    let schema_version =
        migrations::user_version(&conn).map_err(sql_err(path, "read schema version"))?;
    let mut stmt = conn
        .prepare("PRAGMA integrity_check")
        .map_err(sql_err(path, "integrity check"))?;
    let lines = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(sql_err(path, "integrity check"))?;
    Ok(Inspection {
        integrity: lines.join("\n"),
        schema_version,
    })
}

/// The text forms of one record, computed before any SQL runs.
struct EncodedCheckIn<'a> {
    record: &'a CheckInRecord,
    started_at: String,
    finished_at: String,
    visit_date: String,
    presented: Option<String>,
    identity: Option<String>,
    outcome_step: Option<String>,
    eligibility: Option<EncodedEligibility<'a>>,
    checklist: String,
}

struct EncodedEligibility<'a> {
    summary: &'a EligibilitySummary,
    validity: String,
    ratio_source: Option<String>,
    valid_from: Option<String>,
    valid_until: Option<String>,
}

impl<'a> EncodedCheckIn<'a> {
    fn new(record: &'a CheckInRecord) -> Result<Self, Unstorable> {
        early_claim(record)?;
        let outcome_step = match record.outcome {
            Outcome::Cancelled { at } | Outcome::TimedOut { at } => Some(codec::name("step", at)?),
            Outcome::Completed | Outcome::HandedToStaff { .. } => None,
        };
        let eligibility = record
            .eligibility
            .as_ref()
            .map(|e| -> Result<_, Unstorable> {
                Ok(EncodedEligibility {
                    summary: e,
                    validity: codec::name("validity", e.validity)?,
                    ratio_source: codec::opt_name("ratio source", e.burden_ratio_source)?,
                    valid_from: codec::opt_date("valid from", e.valid_from)?,
                    valid_until: codec::opt_date("valid until", e.valid_until)?,
                })
            })
            .transpose()?;
        let checklist = record
            .checklist
            .iter()
            .map(|item| codec::name("checklist item", *item))
            .collect::<Result<Vec<_>, _>>()?;
        let checklist = serde_json::to_string(&checklist).map_err(|e| Unstorable {
            what: "checklist",
            reason: e.to_string(),
        })?;
        Ok(EncodedCheckIn {
            record,
            started_at: codec::instant("start time", record.started_at)?,
            finished_at: codec::instant("finish time", record.finished_at)?,
            visit_date: codec::date("visit date", record.visit_date)?,
            presented: codec::opt_name("presented", record.presented)?,
            identity: codec::opt_name("identity", record.identity)?,
            outcome_step,
            eligibility,
            checklist,
        })
    }
}

/// Refuses a record that claims more than is known when it is committed (issue 16 item 4): a
/// method only on a check-in the kiosk completed (a handoff's is recorded when staff close it,
/// [`Db::resolve_handoff`]), the usage-rate flag only with a method, and an expected route only
/// on a handoff.
fn early_claim(record: &CheckInRecord) -> Result<(), Unstorable> {
    let completed = record.outcome == Outcome::Completed;
    let handoff = record.outcome.handoff_reason().is_some();
    let refuse = |what: &'static str, reason: &str| {
        Err(Unstorable {
            what,
            reason: format!("a {} check-in {reason}", record.outcome.as_str()),
        })
    };
    if record.verification.is_some() && handoff {
        return refuse(
            "verification",
            "has no method yet: staff record one when they close it (the route the kiosk \
             expects them to take goes in expected_route)",
        );
    }
    if record.verification.is_some() && !completed {
        return refuse("verification", "confirmed no eligibility: it has no method");
    }
    if record.counts_toward_usage_rate && record.verification.is_none() {
        return refuse(
            "counts_toward_usage_rate",
            "without a method cannot count toward the usage rate",
        );
    }
    if record.expected_route.is_some() && !handoff {
        return refuse("expected_route", "is not a handoff: no route is expected");
    }
    Ok(())
}

fn next_reception_number(
    tx: &Transaction<'_>,
    path: &Path,
    visit_date: &str,
) -> Result<ReceptionNumber, StoreError> {
    // Inside the IMMEDIATE transaction no other writer can take the same number.
    let next: i64 = tx
        .prepare_cached(
            "SELECT COALESCE(MAX(reception_number), 0) + 1 FROM check_ins WHERE visit_date = ?1",
        )
        .and_then(|mut s| s.query_row([visit_date], |r| r.get(0)))
        .map_err(sql_err(path, "allocate reception number"))?;
    u32::try_from(next).map(ReceptionNumber).map_err(|_| {
        corrupt(path)(BadValue::new(
            "check_ins",
            "reception_number",
            &(next - 1).to_string(),
        ))
    })
}

fn insert_check_in(
    tx: &Transaction<'_>,
    row: &EncodedCheckIn<'_>,
    reception_number: Option<ReceptionNumber>,
) -> rusqlite::Result<i64> {
    let r = row.record;
    let e = row.eligibility.as_ref();
    let s = e.map(|e| e.summary);
    let mut stmt = tx.prepare_cached(
        "INSERT INTO check_ins (
            started_at, finished_at, visit_date, presented, identity, verification,
            counts_toward_usage_rate, outcome_kind, handoff_reason, outcome_step,
            eligibility_validity, insurer_number, insured_symbol, insured_number, insured_branch,
            burden_ratio, burden_ratio_source, eligibility_valid_from, eligibility_valid_until,
            name_contains_black_circle, reference_number, wrong_pin_entries, checklist,
            reception_number, kiosk, expected_route, department
        ) VALUES (
            :started_at, :finished_at, :visit_date, :presented, :identity, :verification,
            :counts, :outcome_kind, :handoff_reason, :outcome_step,
            :validity, :insurer_number, :symbol, :number, :branch,
            :burden_ratio, :ratio_source, :valid_from, :valid_until,
            :black_circle, :reference_number, :wrong_pin_entries, :checklist,
            :reception_number, :kiosk, :expected_route, :department
        )",
    )?;
    stmt.execute(named_params! {
        ":started_at": row.started_at,
        ":finished_at": row.finished_at,
        ":visit_date": row.visit_date,
        ":presented": row.presented,
        ":identity": row.identity,
        ":verification": r.verification.map(|v| v.as_str()),
        ":counts": r.counts_toward_usage_rate,
        ":outcome_kind": r.outcome.as_str(),
        ":handoff_reason": r.outcome.handoff_reason().map(|h| h.as_str()),
        ":outcome_step": row.outcome_step,
        ":validity": e.map(|e| e.validity.as_str()),
        ":insurer_number": s.and_then(|s| s.insurer_number.as_deref()),
        ":symbol": s.and_then(|s| s.symbol.as_deref()),
        ":number": s.and_then(|s| s.number.as_deref()),
        ":branch": s.and_then(|s| s.branch.as_deref()),
        ":burden_ratio": s.and_then(|s| s.burden_ratio).map(|b| b.0),
        ":ratio_source": e.and_then(|e| e.ratio_source.as_deref()),
        ":valid_from": e.and_then(|e| e.valid_from.as_deref()),
        ":valid_until": e.and_then(|e| e.valid_until.as_deref()),
        ":black_circle": s.map(|s| s.name_contains_black_circle),
        ":reference_number": s.and_then(|s| s.reference_number.as_deref()),
        ":wrong_pin_entries": r.wrong_pin_entries,
        ":checklist": row.checklist,
        ":reception_number": reception_number.map(|n| n.0),
        ":kiosk": r.kiosk,
        ":expected_route": r.expected_route.map(|v| v.as_str()),
        ":department": r.department.as_deref(),
    })?;
    Ok(tx.last_insert_rowid())
}

fn insert_consent(
    tx: &Transaction<'_>,
    check_in_id: i64,
    consent: &ConsentAnswers,
    path: &Path,
) -> Result<(), StoreError> {
    let mode = codec::opt_name("consent mode", consent.mode).map_err(unstorable(path))?;
    let form = codec::opt_name("prescription form", consent.prescription_form)
        .map_err(unstorable(path))?;
    tx.prepare_cached(
        "INSERT INTO consent_answers (
            check_in_id, mode, medical_and_drug_info, surgery_info, health_check_info,
            high_cost_limit_info, prescription_form, medical_aid_by_card
        ) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .and_then(|mut s| {
        s.execute((
            check_in_id,
            mode,
            consent.medical_and_drug_info,
            consent.surgery_info,
            consent.health_check_info,
            consent.high_cost_limit_info,
            form,
            consent.medical_aid_certificate,
        ))
    })
    .map_err(sql_err(path, "insert consent answers"))?;
    Ok(())
}

impl Db {
    /// Runs `change` and appends one audit entry in the same `BEGIN IMMEDIATE` transaction.
    pub(super) fn audited<T>(
        &mut self,
        what: &'static str,
        now: DateTime<FixedOffset>,
        change: impl FnOnce(&Transaction<'_>, &str) -> Result<(T, Audit), StoreError>,
    ) -> Result<T, StoreError> {
        let path = self.path.clone();
        let at = codec::instant(what, now).map_err(unstorable(&path))?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_err(&path, what))?;
        let (value, audit) = change(&tx, &at)?;
        insert_audit(&tx, &at, &audit.actor, audit.action, None, &audit.detail)
            .map_err(sql_err(&path, "append audit entry"))?;
        tx.commit().map_err(sql_err(&path, what))?;
        Ok(value)
    }
}

/// One audit entry's who, what and detail (the time is the transaction's).
pub(super) struct Audit {
    actor: String,
    action: &'static str,
    detail: String,
}

impl Audit {
    pub(super) fn new(actor: &str, action: &'static str, detail: String) -> Audit {
        Audit {
            actor: actor.to_owned(),
            action,
            detail,
        }
    }
}

pub(super) fn insert_audit(
    conn: &Connection,
    at: &str,
    actor: &str,
    action: &str,
    check_in_id: Option<i64>,
    detail: &str,
) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at, actor, action, check_in_id, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute((at, actor, action, check_in_id, detail))?;
    Ok(conn.last_insert_rowid())
}

/// Appends an outbox entry: `stored` as wire v1 ([`OutboxMessage`]), in the caller's
/// transaction.
pub(super) fn insert_outbox(
    tx: &Transaction<'_>,
    path: &Path,
    kind: Kind,
    stored: &StoredCheckIn,
    created_at: &str,
) -> Result<(), StoreError> {
    // The match keys ride only on a completed check-in, and only when the flow set them (ORCA
    // configured to match by kana and birth date); the store keeps them nowhere else.
    let keys = match (kind, &stored.record.patient_name) {
        (Kind::CheckInCompleted, Some(name)) => {
            name.kana
                .as_ref()
                .zip(name.birth_date)
                .map(|(kana, born)| crate::outbox::MatchKeysV1 {
                    kana: kana.clone(),
                    birth_date: born.format("%Y-%m-%d").to_string(),
                })
        }
        _ => None,
    };
    let payload = OutboxMessage::new(kind, stored, keys).to_json();
    tx.prepare_cached(
        "INSERT INTO outbox (check_in_id, kind, payload, created_at, wire_version) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .and_then(|mut s| {
        s.execute((
            stored.id,
            kind.as_str(),
            payload,
            created_at,
            crate::outbox::WIRE_VERSION,
        ))
    })
    .map_err(sql_err(path, "append outbox entry"))?;
    Ok(())
}

/// Every column of a stored check-in, each under a fixed alias so rows are read by name.
pub(super) const SELECT_CHECK_IN: &str = "SELECT
    c.id AS id,
    c.reception_number AS reception_number,
    c.started_at AS started_at,
    c.finished_at AS finished_at,
    c.visit_date AS visit_date,
    c.presented AS presented,
    c.identity AS identity,
    c.verification AS verification,
    c.counts_toward_usage_rate AS counts_toward_usage_rate,
    c.outcome_kind AS outcome_kind,
    c.handoff_reason AS handoff_reason,
    c.outcome_step AS outcome_step,
    c.eligibility_validity AS eligibility_validity,
    c.insurer_number AS insurer_number,
    c.insured_symbol AS insured_symbol,
    c.insured_number AS insured_number,
    c.insured_branch AS insured_branch,
    c.burden_ratio AS burden_ratio,
    c.burden_ratio_source AS burden_ratio_source,
    c.eligibility_valid_from AS eligibility_valid_from,
    c.eligibility_valid_until AS eligibility_valid_until,
    c.name_contains_black_circle AS name_contains_black_circle,
    c.reference_number AS reference_number,
    c.wrong_pin_entries AS wrong_pin_entries,
    c.checklist AS checklist,
    c.kiosk AS kiosk,
    c.department AS department,
    c.expected_route AS expected_route,
    a.check_in_id IS NOT NULL AS has_consent,
    a.mode AS consent_mode,
    a.medical_and_drug_info AS medical_and_drug_info,
    a.surgery_info AS surgery_info,
    a.health_check_info AS health_check_info,
    a.high_cost_limit_info AS high_cost_limit_info,
    a.medical_aid_by_card AS medical_aid_by_card,
    a.prescription_form AS prescription_form,
    h.closed_as AS closed_as,
    h.verification AS resolution_verification,
    h.identity AS resolution_identity,
    h.note AS resolution_note,
    h.staff AS resolution_staff,
    h.resolved_at AS resolved_at,
    h.insurer_number AS read_insurer_number,
    h.insured_symbol AS read_symbol,
    h.insured_number AS read_number,
    h.insured_branch AS read_branch,
    h.burden_ratio AS read_burden_ratio,
    h.valid_until AS read_valid_until,
    h.patient_name AS patient_name,
    h.patient_name_kana AS patient_name_kana
FROM check_ins c
LEFT JOIN consent_answers a ON a.check_in_id = c.id
LEFT JOIN handoffs h ON h.check_in_id = c.id";

/// Reads a row's cells by name, reporting failures against the database file.
pub(super) struct Cells<'r, 's> {
    path: &'r Path,
    row: &'r Row<'s>,
    what: &'static str,
}

impl<'r, 's> Cells<'r, 's> {
    pub(super) fn new(path: &'r Path, row: &'r Row<'s>, what: &'static str) -> Self {
        Self { path, row, what }
    }

    pub(super) fn path(&self) -> &'r Path {
        self.path
    }

    pub(super) fn get<T: FromSql>(&self, column: &str) -> Result<T, StoreError> {
        self.row.get(column).map_err(sql_err(self.path, self.what))
    }
}

/// The check-in `id` as stored (`None`: no such row), read through `conn` (the store's
/// connection, or an open transaction to read back what it just wrote before the outbox entry
/// is made). `what` names the step in a [`StoreError::Sql`] (e.g. `read resolved check-in`).
pub(super) fn check_in_by_id(
    conn: &Connection,
    path: &Path,
    id: i64,
    what: &'static str,
) -> Result<Option<StoredCheckIn>, StoreError> {
    let sql = format!("{SELECT_CHECK_IN} WHERE c.id = ?1");
    let mut stmt = conn.prepare_cached(&sql).map_err(sql_err(path, what))?;
    let mut rows = stmt.query([id]).map_err(sql_err(path, what))?;
    match rows.next().map_err(sql_err(path, what))? {
        Some(row) => read_check_in(path, row).map(Some),
        None => Ok(None),
    }
}

pub(super) fn read_check_in(path: &Path, row: &Row<'_>) -> Result<StoredCheckIn, StoreError> {
    let r = Cells::new(path, row, "read check-in");
    let bad = corrupt(path);
    decode_check_in(&r).map_err(|e| match e {
        Decode::Sql(e) => e,
        Decode::Bad(b) => bad(b),
    })
}

enum Decode {
    Sql(StoreError),
    Bad(BadValue),
}

impl From<StoreError> for Decode {
    fn from(e: StoreError) -> Self {
        Decode::Sql(e)
    }
}

impl From<BadValue> for Decode {
    fn from(b: BadValue) -> Self {
        Decode::Bad(b)
    }
}

const CI: &str = "check_ins";

fn decode_check_in(r: &Cells<'_, '_>) -> Result<StoredCheckIn, Decode> {
    let text = |column: &str| r.get::<Option<String>>(column);
    // `alias` is the name in SELECT_CHECK_IN; `table`.`column` is where it lives.
    let required = |alias: &str, table: &'static str, column: &'static str| {
        r.get::<Option<String>>(alias)?
            .ok_or_else(|| Decode::Bad(BadValue::new(table, column, "NULL")))
    };

    let reception_number = r
        .get::<Option<i64>>("reception_number")?
        .map(|n| {
            u32::try_from(n)
                .map(ReceptionNumber)
                .map_err(|_| BadValue::new(CI, "reception_number", &n.to_string()))
        })
        .transpose()?;

    let outcome_kind: String = r.get("outcome_kind")?;
    let outcome = match outcome_kind.as_str() {
        "completed" => Outcome::Completed,
        "handed_to_staff" => {
            let reason = required("handoff_reason", CI, "handoff_reason")?;
            Outcome::HandedToStaff {
                reason: crate::domain::HandoffReason::parse(&reason)
                    .ok_or_else(|| BadValue::new(CI, "handoff_reason", &reason))?,
            }
        }
        "cancelled" => Outcome::Cancelled {
            at: codec::parse_name(
                CI,
                "outcome_step",
                &required("outcome_step", CI, "outcome_step")?,
            )?,
        },
        "timed_out" => Outcome::TimedOut {
            at: codec::parse_name(
                CI,
                "outcome_step",
                &required("outcome_step", CI, "outcome_step")?,
            )?,
        },
        other => return Err(BadValue::new(CI, "outcome_kind", other).into()),
    };

    let eligibility = match text("eligibility_validity")? {
        None => None,
        Some(validity) => Some(EligibilitySummary {
            validity: codec::parse_name(CI, "eligibility_validity", &validity)?,
            insurer_number: text("insurer_number")?,
            symbol: text("insured_symbol")?,
            number: text("insured_number")?,
            branch: text("insured_branch")?,
            burden_ratio: r
                .get::<Option<i64>>("burden_ratio")?
                .map(|b| {
                    u8::try_from(b)
                        .map(BurdenRatio)
                        .map_err(|_| BadValue::new(CI, "burden_ratio", &b.to_string()))
                })
                .transpose()?,
            burden_ratio_source: codec::opt_parse_name(
                CI,
                "burden_ratio_source",
                text("burden_ratio_source")?.as_deref(),
            )?,
            valid_from: codec::opt_parse_date(
                CI,
                "eligibility_valid_from",
                text("eligibility_valid_from")?.as_deref(),
            )?,
            valid_until: codec::opt_parse_date(
                CI,
                "eligibility_valid_until",
                text("eligibility_valid_until")?.as_deref(),
            )?,
            name_contains_black_circle: r
                .get::<Option<bool>>("name_contains_black_circle")?
                .ok_or_else(|| BadValue::new(CI, "name_contains_black_circle", "NULL"))?,
            reference_number: text("reference_number")?,
        }),
    };

    let consent = if r.get::<bool>("has_consent")? {
        const CA: &str = "consent_answers";
        ConsentAnswers {
            mode: codec::opt_parse_name(CA, "mode", text("consent_mode")?.as_deref())?,
            medical_and_drug_info: r.get("medical_and_drug_info")?,
            surgery_info: r.get("surgery_info")?,
            health_check_info: r.get("health_check_info")?,
            high_cost_limit_info: r.get("high_cost_limit_info")?,
            prescription_form: codec::opt_parse_name(
                CA,
                "prescription_form",
                text("prescription_form")?.as_deref(),
            )?,
            medical_aid_certificate: r.get("medical_aid_by_card")?,
        }
    } else {
        ConsentAnswers::default()
    };

    let checklist_text: String = r.get("checklist")?;
    let names: Vec<String> = serde_json::from_str(&checklist_text)
        .map_err(|_| BadValue::new(CI, "checklist", &checklist_text))?;
    let checklist = names
        .iter()
        .map(|n| codec::parse_name::<ChecklistItem>(CI, "checklist", n))
        .collect::<Result<Vec<_>, _>>()?;

    let resolution = match text("resolved_at")? {
        None => None,
        Some(at) => {
            const H: &str = "handoffs";
            let closed_as_name = required("closed_as", H, "closed_as")?;
            let closed_as = match closed_as_name.as_str() {
                "verified" => {
                    let verification = required("resolution_verification", H, "verification")?;
                    let read_off = match text("read_insurer_number")? {
                        None => None,
                        Some(insurer_number) => {
                            let ratio: Option<i64> = r.get("read_burden_ratio")?;
                            Some(InsuranceNumbers {
                                insurer_number,
                                symbol: text("read_symbol")?,
                                number: required("read_number", H, "insured_number")?,
                                branch: text("read_branch")?,
                                burden_ratio: ratio
                                    .map(|ratio| {
                                        u8::try_from(ratio).map(BurdenRatio).map_err(|_| {
                                            BadValue::new(H, "burden_ratio", &ratio.to_string())
                                        })
                                    })
                                    .transpose()?,
                                valid_until: text("read_valid_until")?
                                    .map(|d| codec::parse_date(H, "valid_until", &d))
                                    .transpose()?,
                            })
                        }
                    };
                    ClosedAs::Verified {
                        verification: crate::domain::VerificationMethod::parse(&verification)
                            .ok_or_else(|| BadValue::new(H, "verification", &verification))?,
                        identity: codec::opt_parse_name(
                            H,
                            "identity",
                            text("resolution_identity")?.as_deref(),
                        )?,
                        read_off,
                    }
                }
                "unresolved" => ClosedAs::Unresolved,
                "cancelled" => ClosedAs::Cancelled,
                other => return Err(BadValue::new(H, "closed_as", other).into()),
            };
            Some(HandoffResolution {
                closed_as,
                note: required("resolution_note", H, "note")?,
                staff: required("resolution_staff", H, "staff")?,
                resolved_at: codec::parse_instant(H, "resolved_at", &at)?,
            })
        }
    };

    let verification = text("verification")?
        .map(|v| {
            crate::domain::VerificationMethod::parse(&v)
                .ok_or_else(|| BadValue::new(CI, "verification", &v))
        })
        .transpose()?;
    let expected_route = text("expected_route")?
        .map(|v| {
            crate::domain::VerificationMethod::parse(&v)
                .ok_or_else(|| BadValue::new(CI, "expected_route", &v))
        })
        .transpose()?;
    let wrong_pin_entries: i64 = r.get("wrong_pin_entries")?;

    let patient_name = match text("patient_name")? {
        Some(name) => Some(PatientName {
            name,
            kana: text("patient_name_kana")?,
            birth_date: None,
        }),
        None => None,
    };
    Ok(StoredCheckIn {
        id: r.get("id")?,
        reception_number,
        record: CheckInRecord {
            started_at: codec::parse_instant(
                CI,
                "started_at",
                &required("started_at", CI, "started_at")?,
            )?,
            finished_at: codec::parse_instant(
                CI,
                "finished_at",
                &required("finished_at", CI, "finished_at")?,
            )?,
            visit_date: codec::parse_date(
                CI,
                "visit_date",
                &required("visit_date", CI, "visit_date")?,
            )?,
            presented: codec::opt_parse_name(CI, "presented", text("presented")?.as_deref())?,
            identity: codec::opt_parse_name(CI, "identity", text("identity")?.as_deref())?,
            verification,
            counts_toward_usage_rate: r.get("counts_toward_usage_rate")?,
            expected_route,
            consent,
            eligibility,
            outcome,
            checklist,
            wrong_pin_entries: u8::try_from(wrong_pin_entries).map_err(|_| {
                BadValue::new(CI, "wrong_pin_entries", &wrong_pin_entries.to_string())
            })?,
            kiosk: r.get("kiosk")?,
            department: r.get("department")?,
            patient_name,
        },
        resolution,
    })
}

#[cfg(test)]
mod tests {
    use crate::datetime;

    use super::*;
    use crate::domain::{HandoffReason, Step, VerificationMethod as M};

    fn record(
        outcome: Outcome,
        method: Option<M>,
        counts: bool,
        route: Option<M>,
    ) -> CheckInRecord {
        let at = datetime!(2026-11-30 10:00 +09:00);
        CheckInRecord {
            started_at: at,
            finished_at: at,
            visit_date: at.date_naive(),
            presented: None,
            identity: None,
            verification: method,
            counts_toward_usage_rate: counts,
            expected_route: route,
            consent: ConsentAnswers::default(),
            eligibility: None,
            outcome,
            checklist: vec![],
            wrong_pin_entries: 0,
            kiosk: String::new(),
            patient_name: None,
            department: None,
        }
    }

    #[test]
    fn a_record_claiming_more_than_is_known_at_commit_is_refused() {
        let done = Outcome::Completed;
        let handed = Outcome::HandedToStaff {
            reason: HandoffReason::ConfirmPortalScreen,
        };
        let cancelled = Outcome::Cancelled { at: Step::Welcome };
        let portal = Some(M::PortalScreenCheckedByStaff);
        let card = Some(M::CardViaReader);
        // (outcome, method, counts, expected route) -> the field refused, if any.
        let table = [
            (done, card, true, None, None),
            (done, portal, false, None, None),
            (handed, None, false, portal, None),
            (handed, None, false, None, None),
            (cancelled, None, false, None, None),
            // The kiosk's old early claim: the expected route written as the method.
            (handed, portal, false, None, Some("verification")),
            (handed, card, true, None, Some("verification")),
            (handed, None, true, card, Some("counts_toward_usage_rate")),
            (done, None, true, None, Some("counts_toward_usage_rate")),
            (cancelled, card, false, None, Some("verification")),
            (done, card, true, card, Some("expected_route")),
            (cancelled, None, false, portal, Some("expected_route")),
        ];
        for (outcome, method, counts, route, refused) in table {
            let got = early_claim(&record(outcome, method, counts, route)).err();
            assert_eq!(
                got.as_ref().map(|u| u.what),
                refused,
                "{outcome:?} {method:?} {counts} {route:?}: {got:?}"
            );
        }
    }
}
