//! Each check-in's pseudonymous patient key (`check_ins.patient_key`, schema v10): set in the
//! same transaction as the check-in's commit, its handoff's resolution or correction, from the
//! numbers the row already holds, and read back per month for the report.
//!
//! Which numbers: those staff typed when they closed the handoff as confirmed (they saw the
//! patient's own screen or document), else the eligibility result's when it was valid. No
//! numbers, no key (the report lists such check-ins as not countable, never guessed).

use std::collections::HashMap;

use crate::dates::Date;
use rusqlite::{OptionalExtension as _, Transaction};

use super::StoreError;
use super::codec;
use super::db::{Db, sql_err, unstorable};
use crate::patient_key::{KeyNumbers, PatientSecret};

type Numbers = (String, Option<String>, String, Option<String>);

/// Sets check-in `id`'s patient key from the numbers its rows hold now (or clears it).
pub(super) fn refresh(
    tx: &Transaction<'_>,
    db_path: &std::path::Path,
    secret: &PatientSecret,
    id: i64,
) -> Result<(), StoreError> {
    let read = |sql: &str| -> Result<Option<Numbers>, StoreError> {
        tx.prepare_cached(sql)
            .and_then(|mut s| {
                s.query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                    .optional()
            })
            .map_err(sql_err(db_path, "read numbers for the patient key"))
    };
    let typed = read(
        "SELECT insurer_number, insured_symbol, insured_number, insured_branch FROM handoffs \
         WHERE check_in_id = ?1 AND closed_as = 'verified' AND insurer_number IS NOT NULL",
    )?;
    let numbers = match typed {
        Some(n) => Some(n),
        None => read(
            "SELECT insurer_number, insured_symbol, insured_number, insured_branch FROM check_ins \
             WHERE id = ?1 AND eligibility_validity = 'valid' AND insurer_number IS NOT NULL \
             AND insured_number IS NOT NULL",
        )?,
    };
    let key = numbers.and_then(|(insurer, symbol, number, branch)| {
        secret.key(KeyNumbers {
            insurer_number: &insurer,
            symbol: symbol.as_deref(),
            number: &number,
            branch: branch.as_deref(),
        })
    });
    tx.prepare_cached("UPDATE check_ins SET patient_key = ?1 WHERE id = ?2")
        .and_then(|mut s| s.execute((key, id)))
        .map_err(sql_err(db_path, "record the patient key"))?;
    Ok(())
}

/// Whether any check-in holds a key (then a missing key file is an error, not a fresh start).
pub(super) fn any_key(conn: &rusqlite::Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM check_ins WHERE patient_key IS NOT NULL)",
        [],
        |r| r.get(0),
    )
}

impl Db {
    /// The patient key of each check-in with a visit date in `from..=to` that has one, by
    /// check-in id.
    pub fn patient_keys_between(
        &self,
        from: Date,
        to: Date,
    ) -> Result<HashMap<i64, String>, StoreError> {
        let path = &self.path;
        let from = codec::date("from date", from).map_err(unstorable(path))?;
        let to = codec::date("to date", to).map_err(unstorable(path))?;
        self.conn
            .prepare_cached(
                "SELECT id, patient_key FROM check_ins \
                 WHERE visit_date BETWEEN ?1 AND ?2 AND patient_key IS NOT NULL",
            )
            .and_then(|mut s| {
                s.query_map((from, to), |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect()
            })
            .map_err(sql_err(path, "read patient keys"))
    }
}
