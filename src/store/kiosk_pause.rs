//! The SQL behind a kiosk closed by staff: one row per closed kiosk, and the audit entries of
//! closing and reopening it, each in the same transaction.
//!
//! Owns: the `kiosk_pauses` table. Must not know: who may close a kiosk (staff mode decides).

use chrono::{DateTime, FixedOffset};

use super::StoreError;
use super::codec;
use super::db::{Audit, Db, corrupt, sql_err, unstorable};

/// A kiosk staff closed: since when and by whom, and when they expect to reopen it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskPause {
    pub kiosk: String,
    pub paused_at: DateTime<FixedOffset>,
    pub paused_by: String,
    /// When staff said they expect to reopen it (`None`: not said).
    pub reopens_at: Option<DateTime<FixedOffset>>,
}

impl Db {
    /// Closes `kiosk` to patients (`paused`), expecting to reopen it at `reopens_at` if given,
    /// or reopens it, audited as `login` (`kiosk_paused`, `kiosk_reopened`). Closing a closed
    /// kiosk keeps its first closing time, takes the newer reopening time, and is audited
    /// again.
    pub fn set_kiosk_paused(
        &mut self,
        kiosk: &str,
        login: &str,
        paused: bool,
        reopens_at: Option<DateTime<FixedOffset>>,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let (what, action) = if paused {
            ("close the kiosk", "kiosk_paused")
        } else {
            ("reopen the kiosk", "kiosk_reopened")
        };
        let reopens_at = reopens_at
            .map(|t| codec::instant("kiosk_pauses.reopens_at", t))
            .transpose()
            .map_err(unstorable(&path))?;
        self.audited(what, now, |tx, at| {
            if paused {
                tx.execute(
                    "INSERT INTO kiosk_pauses (kiosk, paused_at, paused_by, reopens_at) \
                     VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (kiosk) DO UPDATE SET reopens_at = excluded.reopens_at",
                    (kiosk, at, login, &reopens_at),
                )
            } else {
                tx.execute("DELETE FROM kiosk_pauses WHERE kiosk = ?1", [kiosk])
            }
            .map_err(sql_err(&path, what))?;
            let detail = match reopens_at.filter(|_| paused) {
                Some(t) => format!("kiosk={kiosk} reopens_at={t}"),
                None => format!("kiosk={kiosk}"),
            };
            Ok(((), Audit::new(login, action, detail)))
        })
    }

    /// Reopens `kiosk` from the staff console (「受付機を再開する」), audited as `login` with
    /// `kiosk_reopened` and detail `kiosk=<name> from=console` (the audit page's 「（スタッフ画面
    /// から）」). Returns whether the kiosk was closed; a kiosk already open is left as it is and
    /// nothing is audited (two clerks pressing at once record one reopening).
    pub fn reopen_kiosk_from_console(
        &mut self,
        kiosk: &str,
        login: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<bool, StoreError> {
        let path = self.path.clone();
        let what = "reopen the kiosk from the console";
        let was_closed = self.kiosk_pause(kiosk)?.is_some();
        if !was_closed {
            return Ok(false);
        }
        self.audited(what, now, |tx, _at| {
            tx.execute("DELETE FROM kiosk_pauses WHERE kiosk = ?1", [kiosk])
                .map_err(sql_err(&path, what))?;
            Ok((
                (),
                Audit::new(
                    login,
                    "kiosk_reopened",
                    format!("kiosk={kiosk} from=console"),
                ),
            ))
        })?;
        Ok(true)
    }

    /// Whether staff closed `kiosk`, and when and who.
    pub fn kiosk_pause(&self, kiosk: &str) -> Result<Option<KioskPause>, StoreError> {
        Ok(self.kiosk_pauses()?.into_iter().find(|p| p.kiosk == kiosk))
    }

    /// Every kiosk staff closed, by name (for the console).
    pub fn kiosk_pauses(&self) -> Result<Vec<KioskPause>, StoreError> {
        let path = &self.path;
        let what = "read which kiosks are closed";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT kiosk, paused_at, paused_by, reopens_at FROM kiosk_pauses ORDER BY kiosk",
            )
            .map_err(sql_err(path, what))?;
        let rows: Vec<(String, String, String, Option<String>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .and_then(|rows| rows.collect())
            .map_err(sql_err(path, what))?;
        rows.into_iter()
            .map(|(kiosk, at, by, reopens)| {
                Ok(KioskPause {
                    kiosk,
                    paused_at: codec::parse_instant("kiosk_pauses", "paused_at", &at)
                        .map_err(corrupt(path))?,
                    paused_by: by,
                    reopens_at: reopens
                        .map(|t| codec::parse_instant("kiosk_pauses", "reopens_at", &t))
                        .transpose()
                        .map_err(corrupt(path))?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::datetime;

    use super::*;

    #[test]
    fn a_closed_kiosk_stays_closed_until_reopened_and_both_are_audited() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = Db::open(&dir.path().join("k.db")).unwrap();
        let t0 = datetime!(2026-11-22 12:00 +09:00);
        assert_eq!(db.kiosk_pause("entrance").unwrap(), None);
        db.set_kiosk_paused("entrance", "sato", true, None, t0)
            .unwrap();
        // Closing again keeps the first closing, and takes the newer reopening time.
        let lunch_end = datetime!(2026-11-22 13:30 +09:00);
        db.set_kiosk_paused(
            "entrance",
            "tanaka",
            true,
            Some(lunch_end),
            t0 + chrono::TimeDelta::minutes(5),
        )
        .unwrap();
        assert_eq!(
            db.kiosk_pause("entrance").unwrap(),
            Some(KioskPause {
                kiosk: "entrance".into(),
                paused_at: t0,
                paused_by: "sato".into(),
                reopens_at: Some(lunch_end),
            })
        );
        assert_eq!(db.kiosk_pause("upstairs").unwrap(), None, "per kiosk");
        db.set_kiosk_paused(
            "entrance",
            "sato",
            false,
            None,
            t0 + chrono::TimeDelta::hours(1),
        )
        .unwrap();
        assert_eq!(db.kiosk_pause("entrance").unwrap(), None);
        let actions: Vec<String> = db
            .audit_log(10)
            .unwrap()
            .into_iter()
            .rev()
            .map(|e| format!("{} {} {}", e.actor, e.action, e.detail))
            .collect();
        assert_eq!(
            actions,
            [
                "sato kiosk_paused kiosk=entrance",
                "tanaka kiosk_paused kiosk=entrance reopens_at=2026-11-22T13:30:00+09:00",
                "sato kiosk_reopened kiosk=entrance",
            ]
        );
    }
}
