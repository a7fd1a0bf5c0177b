//! The SQL behind staff accounts and sign-ins. Every change appends to the audit log in the same
//! transaction, with who and when.
//!
//! Owns: `staff_accounts`, `staff_sessions`. Must not know: password hashing, the lockout rule
//! (the caller decides; see `crate::staff::SignInPolicy`), cookies.

use chrono::{DateTime, FixedOffset};
use rusqlite::{OptionalExtension, Row, TransactionBehavior, named_params};

use super::StoreError;
use super::codec;
use super::db::{Audit, Cells, Db, corrupt, insert_audit, sql_err, unstorable};
use crate::staff::{AfterFailure, NewStaffAccount, Role, StaffAccount, StaffSession};

const SELECT_ACCOUNT: &str = "SELECT id, login, display_name, role, password_hash, \
     failed_logins, locked_until, created_at, disabled_at, last_sign_in_at FROM staff_accounts";

/// A new sign-in: the hash of the browser's token and this session's CSRF token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub token_sha256: String,
    pub csrf_token: String,
    pub created_at: DateTime<FixedOffset>,
    pub expires_at: DateTime<FixedOffset>,
}

impl Db {
    pub fn add_staff(&mut self, new: &NewStaffAccount) -> Result<StaffAccount, StoreError> {
        let path = &self.path;
        let created_at =
            codec::instant("account creation time", new.created_at).map_err(unstorable(path))?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_err(path, "begin adding a staff account"))?;
        let taken: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM staff_accounts WHERE login = ?1)",
                [&new.login],
                |r| r.get(0),
            )
            .map_err(sql_err(path, "look up staff login"))?;
        if taken {
            return Err(StoreError::LoginTaken {
                path: path.clone(),
                login: new.login.clone(),
            });
        }
        tx.execute(
            "INSERT INTO staff_accounts (login, display_name, role, password_hash, created_at) \
             VALUES (:login, :display_name, :role, :hash, :created_at)",
            named_params! {
                ":login": new.login,
                ":display_name": new.display_name,
                ":role": new.role.as_str(),
                ":hash": new.password_hash,
                ":created_at": created_at,
            },
        )
        .map_err(sql_err(path, "insert staff account"))?;
        let id = tx.last_insert_rowid();
        insert_audit(
            &tx,
            &created_at,
            &new.created_by,
            "staff_account_created",
            None,
            &format!("login={} role={}", new.login, new.role.as_str()),
        )
        .map_err(sql_err(path, "append audit entry"))?;
        tx.commit().map_err(sql_err(path, "commit staff account"))?;
        Ok(StaffAccount {
            id,
            login: new.login.clone(),
            display_name: new.display_name.clone(),
            role: new.role,
            password_hash: new.password_hash.clone(),
            failed_logins: 0,
            locked_until: None,
            created_at: new.created_at,
            disabled_at: None,
            last_sign_in_at: None,
        })
    }

    pub fn staff_accounts(&self) -> Result<Vec<StaffAccount>, StoreError> {
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_ACCOUNT} ORDER BY login"))
            .map_err(sql_err(path, "read staff accounts"))?;
        let mut rows = stmt
            .query([])
            .map_err(sql_err(path, "read staff accounts"))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(sql_err(path, "read staff accounts"))? {
            out.push(read_account(path, row)?);
        }
        Ok(out)
    }

    pub fn staff_by_login(&self, login: &str) -> Result<Option<StaffAccount>, StoreError> {
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_ACCOUNT} WHERE login = ?1"))
            .map_err(sql_err(path, "read staff account"))?;
        let mut rows = stmt
            .query([login])
            .map_err(sql_err(path, "read staff account"))?;
        match rows.next().map_err(sql_err(path, "read staff account"))? {
            Some(row) => Ok(Some(read_account(path, row)?)),
            None => Ok(None),
        }
    }

    /// Records a wrong password (from the client address `from`) as the caller's policy decided
    /// it. A failure that locks the account also ends every session of the account, in the
    /// same transaction: a live queue open in a browser then ends too.
    pub fn record_sign_in_failure(
        &mut self,
        account_id: i64,
        after: AfterFailure,
        from: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let path = &self.path;
        let at = codec::instant("sign-in time", now).map_err(unstorable(path))?;
        let locked_until = after
            .locked_until
            .map(|t| codec::instant("lock end", t))
            .transpose()
            .map_err(unstorable(path))?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_err(path, "begin recording a failed sign-in"))?;
        let (login, was_locked_until): (String, Option<String>) = tx
            .query_row(
                "SELECT login, locked_until FROM staff_accounts WHERE id = ?1",
                [account_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(sql_err(path, "read staff account"))?;
        tx.execute(
            "UPDATE staff_accounts SET failed_logins = ?1, locked_until = ?2 WHERE id = ?3",
            (after.failed_logins, &locked_until, account_id),
        )
        .map_err(sql_err(path, "record failed sign-in"))?;
        insert_audit(
            &tx,
            &at,
            &login,
            "sign_in_failed",
            None,
            &format!("wrong password from {from}"),
        )
        .map_err(sql_err(path, "append audit entry"))?;
        if locked_until.is_some() && locked_until != was_locked_until {
            let ended = end_sessions(&tx, account_id)
                .map_err(sql_err(path, "end the locked account's sessions"))?;
            insert_audit(
                &tx,
                &at,
                &login,
                "account_locked",
                None,
                &format!(
                    "until={} sessions_ended={ended}",
                    locked_until.as_deref().unwrap_or_default()
                ),
            )
            .map_err(sql_err(path, "append audit entry"))?;
        }
        tx.commit().map_err(sql_err(path, "commit failed sign-in"))
    }

    /// A sign-in refused before any password was compared (unknown login, locked account).
    /// `actor` is an account's login, or a placeholder such as `(unknown login)`: the caller
    /// never passes text a stranger typed that names no account.
    pub fn record_refused_sign_in(
        &mut self,
        actor: &str,
        why: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let path = &self.path;
        let at = codec::instant("sign-in time", now).map_err(unstorable(path))?;
        insert_audit(&self.conn, &at, actor, "sign_in_refused", None, why)
            .map_err(sql_err(path, "append audit entry"))?;
        Ok(())
    }

    /// A correct password: the failure count starts again and the session is stored.
    pub fn start_session(
        &mut self,
        account_id: i64,
        session: &NewSession,
    ) -> Result<(), StoreError> {
        let path = &self.path;
        let created =
            codec::instant("sign-in time", session.created_at).map_err(unstorable(path))?;
        let expires =
            codec::instant("session end", session.expires_at).map_err(unstorable(path))?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_err(path, "begin sign-in"))?;
        let login: String = tx
            .query_row(
                "SELECT login FROM staff_accounts WHERE id = ?1",
                [account_id],
                |r| r.get(0),
            )
            .map_err(sql_err(path, "read staff account"))?;
        tx.execute(
            "UPDATE staff_accounts SET failed_logins = 0, locked_until = NULL, \
             last_sign_in_at = ?2 WHERE id = ?1",
            (account_id, &created),
        )
        .map_err(sql_err(path, "reset failed sign-ins"))?;
        // Expired sessions are only clutter.
        tx.execute(
            "DELETE FROM staff_sessions WHERE expires_at <= ?1",
            [&created],
        )
        .map_err(sql_err(path, "drop expired sessions"))?;
        tx.execute(
            "INSERT INTO staff_sessions (token_sha256, account_id, csrf_token, created_at, \
             expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            (
                &session.token_sha256,
                account_id,
                &session.csrf_token,
                &created,
                &expires,
            ),
        )
        .map_err(sql_err(path, "store session"))?;
        insert_audit(&tx, &created, &login, "signed_in", None, "")
            .map_err(sql_err(path, "append audit entry"))?;
        tx.commit().map_err(sql_err(path, "commit sign-in"))
    }

    /// The session for this token hash, if it exists, has not expired at `now`, and its account
    /// is not disabled.
    pub fn session(
        &self,
        token_sha256: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<Option<StaffSession>, StoreError> {
        let path = &self.path;
        let found: Option<(i64, String, String)> = self
            .conn
            .prepare_cached(
                "SELECT account_id, csrf_token, expires_at FROM staff_sessions \
                 WHERE token_sha256 = ?1",
            )
            .and_then(|mut s| {
                s.query_row([token_sha256], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()
            })
            .map_err(sql_err(path, "read session"))?;
        let Some((account_id, csrf_token, expires_at)) = found else {
            return Ok(None);
        };
        let expires_at = codec::parse_instant("staff_sessions", "expires_at", &expires_at)
            .map_err(corrupt(path))?;
        if now >= expires_at {
            return Ok(None);
        }
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_ACCOUNT} WHERE id = ?1"))
            .map_err(sql_err(path, "read staff account"))?;
        let mut rows = stmt
            .query([account_id])
            .map_err(sql_err(path, "read staff account"))?;
        let Some(row) = rows.next().map_err(sql_err(path, "read staff account"))? else {
            return Ok(None);
        };
        let account = read_account(path, row)?;
        if account.is_disabled() {
            return Ok(None);
        }
        Ok(Some(StaffSession {
            account,
            csrf_token,
            expires_at,
        }))
    }

    pub fn end_session(
        &mut self,
        token_sha256: &str,
        login: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let path = &self.path;
        let at = codec::instant("sign-out time", now).map_err(unstorable(path))?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_err(path, "begin sign-out"))?;
        tx.execute(
            "DELETE FROM staff_sessions WHERE token_sha256 = ?1",
            [token_sha256],
        )
        .map_err(sql_err(path, "end session"))?;
        insert_audit(&tx, &at, login, "signed_out", None, "")
            .map_err(sql_err(path, "append audit entry"))?;
        tx.commit().map_err(sql_err(path, "commit sign-out"))
    }

    /// A technician lifts the account's locks and failure counts, the console sign-in's and the
    /// kiosk staff PIN's alike. Audited `account_unlocked` with `login=X` by `by`.
    /// Errors: [`StoreError::NoSuchStaff`], [`StoreError::Sql`].
    pub fn unlock_staff(
        &mut self,
        login: &str,
        by: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        self.audited("unlock staff account", now, |tx, _| {
            let id = account_id(tx, &path, login)?;
            tx.execute(
                "UPDATE staff_accounts SET failed_logins = 0, locked_until = NULL, \
                 kiosk_pin_failures = 0, kiosk_pin_locked_until = NULL WHERE id = ?1",
                [id],
            )
            .map_err(sql_err(&path, "unlock staff account"))?;
            let audit = Audit::new(by, "account_unlocked", format!("login={login}"));
            Ok(((), audit))
        })
    }
}

/// How many sessions a change to an account ended.
pub type SessionsEnded = usize;

impl Db {
    /// Disables the account `login` (its clerk left): from now on it cannot sign in, and every
    /// session of it ends in the same transaction (a live queue open in a browser then ends
    /// within a second). Audited `account_disabled` with `login=X sessions_ended=N` by `by`.
    /// Errors: [`StoreError::NoSuchStaff`], [`StoreError::Sql`].
    pub fn disable_staff(
        &mut self,
        login: &str,
        by: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<SessionsEnded, StoreError> {
        let path = self.path.clone();
        self.audited("disable staff account", now, |tx, at| {
            let id = account_id(tx, &path, login)?;
            tx.execute(
                "UPDATE staff_accounts SET disabled_at = COALESCE(disabled_at, ?1) WHERE id = ?2",
                (at, id),
            )
            .map_err(sql_err(&path, "disable staff account"))?;
            let ended = end_sessions(tx, id)
                .map_err(sql_err(&path, "end the disabled account's sessions"))?;
            let detail = format!("login={login} sessions_ended={ended}");
            Ok((ended, Audit::new(by, "account_disabled", detail)))
        })
    }

    /// Puts a disabled account back in use, with no failures and no lock. Audited
    /// `account_enabled` with `login=X` by `by`.
    /// Errors: [`StoreError::NoSuchStaff`], [`StoreError::Sql`].
    pub fn enable_staff(
        &mut self,
        login: &str,
        by: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        self.audited("enable staff account", now, |tx, _| {
            let id = account_id(tx, &path, login)?;
            tx.execute(
                "UPDATE staff_accounts SET disabled_at = NULL, failed_logins = 0, \
                 locked_until = NULL WHERE id = ?1",
                [id],
            )
            .map_err(sql_err(&path, "enable staff account"))?;
            let audit = Audit::new(by, "account_enabled", format!("login={login}"));
            Ok(((), audit))
        })
    }

    /// A manager sets a new password (`password_hash`, argon2id PHC) for `login`: the failure
    /// count and any lock go, and every session of the account ends in the same transaction.
    /// Audited `password_reset` with `login=X sessions_ended=N` by `by`.
    /// Errors: [`StoreError::NoSuchStaff`], [`StoreError::Sql`].
    pub fn reset_staff_password(
        &mut self,
        login: &str,
        password_hash: &str,
        by: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<SessionsEnded, StoreError> {
        let path = self.path.clone();
        self.audited("reset staff password", now, |tx, _| {
            let id = account_id(tx, &path, login)?;
            tx.execute(
                "UPDATE staff_accounts SET password_hash = ?1, failed_logins = 0, \
                 locked_until = NULL WHERE id = ?2",
                (password_hash, id),
            )
            .map_err(sql_err(&path, "reset staff password"))?;
            let ended =
                end_sessions(tx, id).map_err(sql_err(&path, "end the account's sessions"))?;
            let detail = format!("login={login} sessions_ended={ended}");
            Ok((ended, Audit::new(by, "password_reset", detail)))
        })
    }
}

/// Ends every session of the account `id`; how many it ended.
fn end_sessions(tx: &rusqlite::Transaction<'_>, id: i64) -> rusqlite::Result<SessionsEnded> {
    tx.execute("DELETE FROM staff_sessions WHERE account_id = ?1", [id])
}

impl super::Store {
    /// See [`Db::disable_staff`].
    pub fn disable_staff(
        &self,
        login: &str,
        by: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<SessionsEnded, StoreError> {
        let (login, by) = (login.to_owned(), by.to_owned());
        self.call(move |db| db.disable_staff(&login, &by, now))
    }

    /// See [`Db::enable_staff`].
    pub fn enable_staff(
        &self,
        login: &str,
        by: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let (login, by) = (login.to_owned(), by.to_owned());
        self.call(move |db| db.enable_staff(&login, &by, now))
    }

    /// See [`Db::reset_staff_password`].
    pub fn reset_staff_password(
        &self,
        login: &str,
        password_hash: &str,
        by: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<SessionsEnded, StoreError> {
        let (login, hash, by) = (login.to_owned(), password_hash.to_owned(), by.to_owned());
        self.call(move |db| db.reset_staff_password(&login, &hash, &by, now))
    }
}

/// The id of the account `login`, or [`StoreError::NoSuchStaff`].
fn account_id(
    tx: &rusqlite::Transaction<'_>,
    path: &std::path::Path,
    login: &str,
) -> Result<i64, StoreError> {
    tx.query_row(
        "SELECT id FROM staff_accounts WHERE login = ?1",
        [login],
        |r| r.get(0),
    )
    .optional()
    .map_err(sql_err(path, "look up staff login"))?
    .ok_or_else(|| StoreError::NoSuchStaff {
        path: path.to_owned(),
        login: login.to_owned(),
    })
}

fn read_account(path: &std::path::Path, row: &Row<'_>) -> Result<StaffAccount, StoreError> {
    const T: &str = "staff_accounts";
    let r = Cells::new(path, row, "read staff account");
    let role: String = r.get("role")?;
    let (failed_logins, locked_until) = failures_and_lock(&r, "failed_logins", "locked_until")?;
    let created_at: String = r.get("created_at")?;
    let instant = |column: &'static str| -> Result<Option<DateTime<FixedOffset>>, StoreError> {
        let text: Option<String> = r.get(column)?;
        text.map(|t| codec::parse_instant(T, column, &t))
            .transpose()
            .map_err(corrupt(path))
    };
    Ok(StaffAccount {
        id: r.get("id")?,
        login: r.get("login")?,
        display_name: r.get("display_name")?,
        role: Role::parse(&role)
            .ok_or_else(|| corrupt(path)(codec::BadValue::new(T, "role", &role)))?,
        password_hash: r.get("password_hash")?,
        failed_logins,
        locked_until,
        created_at: codec::parse_instant(T, "created_at", &created_at).map_err(corrupt(path))?,
        disabled_at: instant("disabled_at")?,
        last_sign_in_at: instant("last_sign_in_at")?,
    })
}

/// A failure count and the lock it may have led to, from an account row (sign-in or kiosk PIN).
pub(super) fn failures_and_lock(
    r: &Cells<'_, '_>,
    count_column: &'static str,
    lock_column: &'static str,
) -> Result<(u32, Option<DateTime<FixedOffset>>), StoreError> {
    const T: &str = "staff_accounts";
    let count: i64 = r.get(count_column)?;
    let locked_until: Option<String> = r.get(lock_column)?;
    let count = u32::try_from(count).map_err(|_| {
        corrupt(r.path())(codec::BadValue::new(T, count_column, &count.to_string()))
    })?;
    let locked_until = locked_until
        .map(|t| codec::parse_instant(T, lock_column, &t))
        .transpose()
        .map_err(corrupt(r.path()))?;
    Ok((count, locked_until))
}
