//! Staff accounts once (issue 19 item 4): the accounts and their locks live in the central
//! database; each kiosk keeps a cached copy in its own store (copied by the delivery worker),
//! which its staff mode and console check, offline too; a lock a kiosk made while offline is
//! merged in when the network returns (the later end wins), and reaches every other kiosk with
//! the next copy.

use chrono::{DateTime, FixedOffset};

use super::{Central, CentralError, sql_error};
use crate::staff::Role;
use crate::store::{CachedAccount, UnsentLock};

/// The central columns read as a cached account; times in UTC text, read back to +09:00.
const SELECT_ACCOUNT: &str = "SELECT login, display_name, role, password_hash, kiosk_pin_hash, \
     to_char(locked_until AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), \
     to_char(kiosk_pin_locked_until AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), \
     to_char(disabled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), change \
     FROM staff_accounts";

fn time(text: Option<String>) -> Option<DateTime<FixedOffset>> {
    text.and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&crate::rules::JST))
}

impl Central {
    /// Adds an account, or replaces its name, role and password hash (unlocking nothing,
    /// enabling nothing); every kiosk copies it at its next pass.
    pub fn put_staff(
        &mut self,
        login: &str,
        display_name: &str,
        role: Role,
        password_hash: &str,
    ) -> Result<(), CentralError> {
        self.client
            .execute(
                "INSERT INTO staff_accounts (login, display_name, role, password_hash) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (login) DO UPDATE SET \
                 display_name = EXCLUDED.display_name, role = EXCLUDED.role, \
                 password_hash = EXCLUDED.password_hash, change = nextval('staff_changes'), \
                 changed_at = clock_timestamp()",
                &[&login, &display_name, &role.as_str(), &password_hash],
            )
            .map_err(self.sql("add a staff account"))?;
        Ok(())
    }

    /// Sets an account's kiosk PIN hash; `Ok(false)` when there is no such account.
    pub fn set_staff_pin(&mut self, login: &str, pin_hash: &str) -> Result<bool, CentralError> {
        let n = self
            .client
            .execute(
                "UPDATE staff_accounts SET kiosk_pin_hash = $2, \
                 change = nextval('staff_changes'), changed_at = clock_timestamp() \
                 WHERE login = $1",
                &[&login, &pin_hash],
            )
            .map_err(self.sql("set a kiosk PIN"))?;
        Ok(n == 1)
    }

    /// Lifts both of an account's locks; `Ok(false)` when there is no such account.
    pub fn unlock_staff(&mut self, login: &str) -> Result<bool, CentralError> {
        let n = self
            .client
            .execute(
                "UPDATE staff_accounts SET locked_until = NULL, kiosk_pin_locked_until = NULL, \
                 change = nextval('staff_changes'), changed_at = clock_timestamp() \
                 WHERE login = $1",
                &[&login],
            )
            .map_err(self.sql("unlock a staff account"))?;
        Ok(n == 1)
    }

    /// The accounts changed after `after` (a kiosk's cursor), in order of change, with the
    /// last change number (`after` when none).
    pub fn staff_changes(&mut self, after: i64) -> Result<(Vec<CachedAccount>, i64), CentralError> {
        let rows = self
            .client
            .query(
                &format!("{SELECT_ACCOUNT} WHERE change > $1 ORDER BY change"),
                &[&after],
            )
            .map_err(self.sql("read the staff accounts"))?;
        let mut last = after;
        let mut out = Vec::new();
        for r in rows {
            let role: String = r.get(2);
            let login: String = r.get(0);
            let Some(role) = Role::parse(&role) else {
                return Err(CentralError::Sql {
                    url: self.url.clone(),
                    what: "read the staff accounts",
                    detail: format!("account {login}: unknown role {role:?}"),
                });
            };
            last = last.max(r.get(8));
            out.push(CachedAccount {
                login,
                display_name: r.get(1),
                role,
                password_hash: r.get(3),
                kiosk_pin_hash: r.get(4),
                locked_until: time(r.get(5)),
                kiosk_pin_locked_until: time(r.get(6)),
                disabled_at: time(r.get(7)),
            });
        }
        Ok((out, last))
    }

    /// Merges a lock a kiosk made (`kiosk_id`, while offline or not): each lock end is set
    /// where it is later than the central one, audited in `desk_audit` as the kiosk's
    /// (`staff_locked_at_kiosk`). Returns whether anything changed.
    pub fn merge_staff_lock(
        &mut self,
        kiosk_id: &str,
        lock: &UnsentLock,
    ) -> Result<bool, CentralError> {
        let locked = lock.locked_until.map(|t| t.to_rfc3339());
        let pin_locked = lock.kiosk_pin_locked_until.map(|t| t.to_rfc3339());
        let url = self.url.clone();
        let err = |what: &'static str| sql_error(&url, what);
        let mut tx = self
            .client
            .transaction()
            .map_err(err("begin merging a lock"))?;
        let n = tx
            .execute(
                "UPDATE staff_accounts SET \
                 locked_until = greatest(locked_until, $2::text::timestamptz), \
                 kiosk_pin_locked_until = greatest(kiosk_pin_locked_until, $3::text::timestamptz), \
                 change = nextval('staff_changes'), changed_at = clock_timestamp() \
                 WHERE login = $1 AND ( \
                   ($2::text IS NOT NULL AND (locked_until IS NULL \
                      OR locked_until < $2::text::timestamptz)) \
                   OR ($3::text IS NOT NULL AND (kiosk_pin_locked_until IS NULL \
                      OR kiosk_pin_locked_until < $3::text::timestamptz)))",
                &[&lock.login, &locked, &pin_locked],
            )
            .map_err(err("merge a lock made at a kiosk"))?;
        if n == 1 {
            let detail_text = format!(
                "locked_until={} kiosk_pin_locked_until={}",
                locked.as_deref().unwrap_or("-"),
                pin_locked.as_deref().unwrap_or("-")
            );
            tx.execute(
                "INSERT INTO desk_audit (actor, desk, action, detail) \
                 VALUES ($1, $2, 'staff_locked_at_kiosk', $3)",
                &[&lock.login, &kiosk_id, &detail_text],
            )
            .map_err(err("audit a lock made at a kiosk"))?;
        }
        tx.commit().map_err(err("commit a lock made at a kiosk"))?;
        Ok(n == 1)
    }
}
