//! The SQL behind the kiosk's staff mode: who has a kiosk PIN, its hash, failures and lock,
//! and the audit entries of opening and closing the staff panel.
//!
//! Owns: the `kiosk_pin_*` columns of `staff_accounts`. Must not know: hashing, the lockout
//! rule (the caller decides; see `crate::staff::SignInPolicy::after_pin_failure`).

use chrono::{DateTime, FixedOffset};

use super::StoreError;
use super::codec;
use super::db::{Audit, Cells, Db, sql_err, unstorable};
use super::staff::failures_and_lock;
use crate::staff::{AfterFailure, KioskPin, KioskStaff};

impl Db {
    /// Sets (or replaces) the kiosk PIN of `login`, and lifts any PIN lock.
    pub fn set_kiosk_pin(
        &mut self,
        login: &str,
        pin_hash: &str,
        by: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        self.audited("set kiosk PIN", now, |tx, _| {
            let changed = tx
                .execute(
                    "UPDATE staff_accounts SET kiosk_pin_hash = ?1, kiosk_pin_failures = 0, \
                     kiosk_pin_locked_until = NULL WHERE login = ?2",
                    (pin_hash, login),
                )
                .map_err(sql_err(&path, "set kiosk PIN"))?;
            if changed == 0 {
                return Err(StoreError::NoSuchStaff {
                    path: path.clone(),
                    login: login.to_owned(),
                });
            }
            Ok((
                (),
                Audit::new(by, "kiosk_pin_set", format!("login={login}")),
            ))
        })
    }

    /// Everyone who can open the staff mode, by display name.
    pub fn kiosk_staff(&self) -> Result<Vec<KioskStaff>, StoreError> {
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT login, display_name FROM staff_accounts \
                 WHERE kiosk_pin_hash IS NOT NULL AND disabled_at IS NULL ORDER BY display_name, login",
            )
            .map_err(sql_err(path, "read kiosk staff"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(KioskStaff {
                    login: r.get(0)?,
                    display_name: r.get(1)?,
                })
            })
            .map_err(sql_err(path, "read kiosk staff"))?;
        rows.collect::<Result<_, _>>()
            .map_err(sql_err(path, "read kiosk staff"))
    }

    pub fn kiosk_pin(&self, login: &str) -> Result<Option<KioskPin>, StoreError> {
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, login, display_name, kiosk_pin_hash, kiosk_pin_failures, \
                 kiosk_pin_locked_until FROM staff_accounts \
                 WHERE login = ?1 AND kiosk_pin_hash IS NOT NULL AND disabled_at IS NULL",
            )
            .map_err(sql_err(path, "read kiosk PIN"))?;
        let mut rows = stmt
            .query([login])
            .map_err(sql_err(path, "read kiosk PIN"))?;
        let Some(row) = rows.next().map_err(sql_err(path, "read kiosk PIN"))? else {
            return Ok(None);
        };
        let r = Cells::new(path, row, "read kiosk PIN");
        let (failures, locked_until) =
            failures_and_lock(&r, "kiosk_pin_failures", "kiosk_pin_locked_until")?;
        Ok(Some(KioskPin {
            account_id: r.get("id")?,
            staff: KioskStaff {
                login: r.get("login")?,
                display_name: r.get("display_name")?,
            },
            pin_hash: r.get("kiosk_pin_hash")?,
            failures,
            locked_until,
        }))
    }

    /// A wrong kiosk PIN, as the caller's policy decided it.
    pub fn record_kiosk_pin_failure(
        &mut self,
        login: &str,
        kiosk: &str,
        after: AfterFailure,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let locked_until = after
            .locked_until
            .map(|t| codec::instant("PIN lock end", t))
            .transpose()
            .map_err(unstorable(&path))?;
        self.audited("record a wrong kiosk PIN", now, |tx, _| {
            tx.execute(
                "UPDATE staff_accounts SET kiosk_pin_failures = ?1, kiosk_pin_locked_until = ?2 \
                 WHERE login = ?3",
                (after.failed_logins, &locked_until, login),
            )
            .map_err(sql_err(&path, "record a wrong kiosk PIN"))?;
            let detail = match &locked_until {
                Some(until) => format!("kiosk={kiosk} locked_until={until}"),
                None => format!("kiosk={kiosk}"),
            };
            Ok(((), Audit::new(login, "kiosk_pin_failed", detail)))
        })
    }

    /// The right PIN: the failure count starts again, and the opening is audited.
    pub fn record_staff_mode_opened(
        &mut self,
        login: &str,
        kiosk: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        self.audited("record staff mode opened", now, |tx, _| {
            tx.execute(
                "UPDATE staff_accounts SET kiosk_pin_failures = 0 WHERE login = ?1",
                [login],
            )
            .map_err(sql_err(&path, "reset kiosk PIN failures"))?;
            Ok((
                (),
                Audit::new(login, "kiosk_staff_mode_opened", format!("kiosk={kiosk}")),
            ))
        })
    }

    /// The staff panel closed (`why`: returned to service, or left idle).
    pub fn record_staff_mode_closed(
        &mut self,
        login: &str,
        kiosk: &str,
        why: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        self.audited("record staff mode closed", now, |_, _| {
            Ok((
                (),
                Audit::new(
                    login,
                    "kiosk_staff_mode_closed",
                    format!("kiosk={kiosk} why={why}"),
                ),
            ))
        })
    }
}
