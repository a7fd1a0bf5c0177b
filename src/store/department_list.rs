//! The SQL behind the department list fetched from ORCA (`system01lstv2`, integration-formats.md
//! §2.3): the last list that was fetched, whole, and when. A failed fetch changes nothing, so a
//! kiosk starts with the last good list while ORCA is down.
//!
//! Owns: the `department_list` table. Must not know: ORCA's API (src/orca/ fetches the list).

use chrono::{DateTime, FixedOffset};

use super::StoreError;
use super::codec;
use super::db::{Db, corrupt, sql_err, unstorable};
use crate::departments::Department;

/// The department list as last fetched from ORCA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedDepartments {
    /// In ORCA's order; `name_en` is always `None` (English names come from
    /// `config/departments.json`).
    pub departments: Vec<Department>,
    pub fetched_at: DateTime<FixedOffset>,
}

impl Db {
    /// Replaces the cached list with `departments`, fetched at `fetched_at`, in one transaction.
    pub fn save_department_list(
        &mut self,
        departments: &[Department],
        fetched_at: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let what = "save the department list";
        let at =
            codec::instant("department_list.fetched_at", fetched_at).map_err(unstorable(&path))?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql_err(&path, what))?;
        tx.execute("DELETE FROM department_list", [])
            .map_err(sql_err(&path, what))?;
        for (position, d) in departments.iter().enumerate() {
            tx.execute(
                "INSERT INTO department_list (position, code, name, fetched_at) \
                 VALUES (?1, ?2, ?3, ?4)",
                (position as i64, &d.code, &d.name, &at),
            )
            .map_err(sql_err(&path, what))?;
        }
        tx.commit().map_err(sql_err(&path, what))
    }

    /// The cached list, or `None` when none was ever fetched (or the last fetch was empty).
    pub fn department_list(&self) -> Result<Option<CachedDepartments>, StoreError> {
        let path = &self.path;
        let what = "read the department list";
        let mut stmt = self
            .conn
            .prepare_cached("SELECT code, name, fetched_at FROM department_list ORDER BY position")
            .map_err(sql_err(path, what))?;
        let rows: Vec<(String, String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(|rows| rows.collect())
            .map_err(sql_err(path, what))?;
        let Some((_, _, at)) = rows.first() else {
            return Ok(None);
        };
        let fetched_at =
            codec::parse_instant("department_list", "fetched_at", at).map_err(corrupt(path))?;
        let departments = rows
            .into_iter()
            .map(|(code, name, _)| Department {
                code,
                name,
                name_en: None,
            })
            .collect();
        Ok(Some(CachedDepartments {
            departments,
            fetched_at,
        }))
    }
}

#[cfg(test)]
mod tests {
    use crate::departments::Department;
    use crate::store::Store;

    #[test]
    fn a_new_list_replaces_the_old_one_whole_and_keeps_its_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("k.db")).unwrap();
        assert_eq!(store.department_list().unwrap(), None, "never fetched");
        let d = |code: &str, name: &str| Department {
            code: code.into(),
            name: name.into(),
            name_en: None,
        };
        let first = crate::datetime!(2026-11-29 06:00 +09:00);
        store
            .save_department_list(vec![d("01", "内科"), d("02", "外科")], first)
            .unwrap();
        let second = crate::datetime!(2026-11-30 06:00 +09:00);
        let newer = vec![d("09", "小児科"), d("01", "内科")];
        store.save_department_list(newer.clone(), second).unwrap();
        let cached = store.department_list().unwrap().unwrap();
        assert_eq!(cached.departments, newer);
        assert_eq!(cached.fetched_at, second);
    }
}
