//! The audit log as the console's audit page reads it: filtered by day, person and reception
//! number, a page at a time, each entry with the facts that make it a sentence (its check-in's
//! reception number, the handoff's note, the account's name).
//!
//! Owns: reading `audit_log` joined with `check_ins`, `handoffs` and `staff_accounts`. Must not
//! know: how an entry is said (`crate::audit`).

use crate::dates::Date;

use super::codec;
use super::db::{Cells, Db, corrupt, sql_err, unstorable};
use super::{AuditEntry, Store, StoreError};

/// Which entries to show. Every part left `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Entries made on this day, Japan time.
    pub day: Option<Date>,
    /// Entries by this actor (a login, or `kiosk`).
    pub actor: Option<String>,
    /// Entries about a check-in with this reception number (numbers restart daily: with `day`
    /// it names one patient).
    pub reception_number: Option<u32>,
}

/// One audit entry with what the page says beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub entry: AuditEntry,
    /// The reception number of the entry's check-in, if it has one.
    pub reception_number: Option<u32>,
    /// The note on the entry's handoff (only for `handoff_resolved` entries).
    pub note: Option<String>,
    /// The display name of the account whose login is the actor, if any.
    pub actor_name: Option<String>,
}

impl Db {
    /// Up to `limit` entries matching `filter`, newest first, after skipping `offset` of them.
    pub fn audit_rows(
        &self,
        filter: &AuditFilter,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let path = &self.path;
        let what = "read audit log";
        let day = filter
            .day
            .map(|d| codec::date("audit day", d))
            .transpose()
            .map_err(unstorable(path))?;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT a.id, a.at, a.actor, a.action, a.check_in_id, a.detail, \
                 c.reception_number, \
                 CASE WHEN a.action = 'handoff_resolved' THEN h.note END AS note, \
                 s.display_name \
                 FROM audit_log a \
                 LEFT JOIN check_ins c ON c.id = a.check_in_id \
                 LEFT JOIN handoffs h ON h.check_in_id = a.check_in_id \
                 LEFT JOIN staff_accounts s ON s.login = a.actor \
                 WHERE (?1 IS NULL OR date(a.at, '+9 hours') = ?1) \
                 AND (?2 IS NULL OR a.actor = ?2) \
                 AND (?3 IS NULL OR c.reception_number = ?3) \
                 ORDER BY a.id DESC LIMIT ?4 OFFSET ?5",
            )
            .map_err(sql_err(path, what))?;
        let mut rows = stmt
            .query((
                day,
                filter.actor.as_deref(),
                filter.reception_number,
                i64::try_from(limit).unwrap_or(i64::MAX),
                i64::try_from(offset).unwrap_or(i64::MAX),
            ))
            .map_err(sql_err(path, what))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(sql_err(path, what))? {
            let r = Cells::new(path, row, what);
            let at: String = r.get("at")?;
            out.push(AuditRow {
                entry: AuditEntry {
                    id: r.get("id")?,
                    at: codec::parse_instant("audit_log", "at", &at).map_err(corrupt(path))?,
                    actor: r.get("actor")?,
                    action: r.get("action")?,
                    check_in_id: r.get("check_in_id")?,
                    detail: r.get("detail")?,
                },
                reception_number: r.get("reception_number")?,
                note: r.get("note")?,
                actor_name: r.get("display_name")?,
            });
        }
        Ok(out)
    }

    /// Every actor in the audit log with the account's name if it has one, by login: the
    /// console's person filter.
    pub fn audit_actors(&self) -> Result<Vec<(String, Option<String>)>, StoreError> {
        let path = &self.path;
        let what = "read who appears in the audit log";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT a.actor, s.display_name FROM audit_log a \
                 LEFT JOIN staff_accounts s ON s.login = a.actor ORDER BY a.actor",
            )
            .map_err(sql_err(path, what))?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(sql_err(path, what))
    }
}

impl Store {
    /// Up to `limit` audit entries matching `filter`, newest first, after skipping `offset`.
    pub fn audit_rows(
        &self,
        filter: &AuditFilter,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let filter = filter.clone();
        self.call(move |db| db.audit_rows(&filter, offset, limit))
    }

    /// Every actor in the audit log (login, account name if any), by login.
    pub fn audit_actors(&self) -> Result<Vec<(String, Option<String>)>, StoreError> {
        self.call(|db| db.audit_actors())
    }
}
