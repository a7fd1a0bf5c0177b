//! The schema, built up in numbered steps. `PRAGMA user_version` records the last step applied.
//!
//! Owns: every `CREATE`/`ALTER` statement. Must not know: how rows are written or read (see
//! `db.rs`). A released step is never edited; changes come as a new step at the end.
//!
//! Each step runs in its own `BEGIN IMMEDIATE` transaction together with the `user_version`
//! bump, so a crash or power cut leaves the file at one version or the next, never between; and
//! two processes opening the same file at once cannot both apply a step.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = 16;

struct Migration {
    /// The `user_version` after this step.
    version: u32,
    /// For logs.
    summary: &'static str,
    sql: &'static str,
}

const MIGRATIONS: [Migration; SCHEMA_VERSION as usize] = [
    Migration {
        version: 1,
        summary: "check-ins and the append-only audit log",
        sql: V1,
    },
    Migration {
        version: 2,
        summary: "consent answers and handoffs with their resolution",
        sql: V2,
    },
    Migration {
        version: 3,
        summary: "daily reception numbers and the outbox",
        sql: V3,
    },
    Migration {
        version: 4,
        summary: "kiosk names, handoffs closed unresolved or cancelled with typed numbers, staff accounts and sign-ins",
        sql: V4,
    },
    Migration {
        version: 5,
        summary: "patient names on open handoffs only, staff PINs for the kiosk's staff mode",
        sql: V5,
    },
    Migration {
        version: 6,
        summary: "kiosks closed by staff (a pause that survives a restart)",
        sql: V6,
    },
    Migration {
        version: 7,
        summary: "when staff expect to reopen a closed kiosk",
        sql: V7,
    },
    Migration {
        version: 8,
        summary: "staff accounts disabled when a clerk leaves, and each account's last sign-in",
        sql: V8,
    },
    Migration {
        version: 9,
        summary: "typed numbers from a screen that shows no burden ratio",
        sql: V9,
    },
    Migration {
        version: 10,
        summary: "the manager role (管理者) for staff accounts",
        sql: V10,
    },
    Migration {
        version: 11,
        summary: "a handoff's expected route apart from its method, known only when staff close it",
        sql: V11,
    },
    Migration {
        version: 12,
        summary: "a pseudonymous patient key per check-in, for the usage rate per person",
        sql: V12,
    },
    Migration {
        version: 13,
        summary: "the medical-aid certificate (受給者証) answer with the consent answers",
        sql: V13,
    },
    Migration {
        version: 14,
        summary: "the outbox as a versioned wire format, and each entry's delivery into ORCA",
        sql: V14,
    },
    Migration {
        version: 15,
        summary: "the department (診療科) of each check-in, and ORCA's department list cached",
        sql: V15,
    },
    Migration {
        version: 16,
        summary: "each outbox entry's and audit entry's delivery to the central database",
        sql: V16,
    },
];

/// v1: one row per finished check-in, every field of `CheckInRecord` in its own column, and the
/// audit log. STRICT tables so a wrongly typed value is refused at write time rather than found
/// at read time. Eligibility columns are all NULL when the gateway never answered.
const V1: &str = "
CREATE TABLE check_ins (
    id                          INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at                  TEXT NOT NULL,
    finished_at                 TEXT NOT NULL,
    visit_date                  TEXT NOT NULL
        CHECK (visit_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    presented                   TEXT,
    identity                    TEXT,
    verification                TEXT,
    counts_toward_usage_rate    INTEGER NOT NULL CHECK (counts_toward_usage_rate IN (0, 1)),
    outcome_kind                TEXT NOT NULL
        CHECK (outcome_kind IN ('completed', 'handed_to_staff', 'cancelled', 'timed_out')),
    handoff_reason              TEXT,
    outcome_step                TEXT,
    eligibility_validity        TEXT,
    insurer_number              TEXT,
    insured_symbol              TEXT,
    insured_number              TEXT,
    insured_branch              TEXT,
    burden_ratio                INTEGER CHECK (burden_ratio BETWEEN 0 AND 100),
    burden_ratio_source         TEXT,
    eligibility_valid_from      TEXT,
    eligibility_valid_until     TEXT,
    name_contains_black_circle  INTEGER CHECK (name_contains_black_circle IN (0, 1)),
    reference_number            TEXT,
    wrong_pin_entries           INTEGER NOT NULL CHECK (wrong_pin_entries BETWEEN 0 AND 255),
    checklist                   TEXT NOT NULL
        CHECK (json_valid(checklist) AND json_type(checklist) = 'array'),
    CHECK ((handoff_reason IS NOT NULL) = (outcome_kind = 'handed_to_staff')),
    CHECK ((outcome_step IS NOT NULL) = (outcome_kind IN ('cancelled', 'timed_out'))),
    CHECK ((eligibility_validity IS NULL) = (name_contains_black_circle IS NULL)),
    CHECK (eligibility_validity IS NOT NULL OR (
        insurer_number IS NULL AND insured_symbol IS NULL AND insured_number IS NULL
        AND insured_branch IS NULL AND burden_ratio IS NULL AND burden_ratio_source IS NULL
        AND eligibility_valid_from IS NULL AND eligibility_valid_until IS NULL
        AND reference_number IS NULL))
) STRICT;

CREATE INDEX check_ins_by_visit_date ON check_ins (visit_date);

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    check_in_id  INTEGER REFERENCES check_ins (id),
    detail       TEXT NOT NULL
) STRICT;

CREATE INDEX audit_log_by_check_in ON audit_log (check_in_id);

-- The audit trail is evidence: nothing, not even this program, may rewrite or remove it.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- INSERT OR REPLACE removes the old row without firing DELETE triggers: refuse to reuse an id.
CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
";

/// v2: consent answers get their own table (one row per check-in that asked anything), and
/// handoffs get a lifecycle: staff resolve them later. v1 could only record that a check-in was
/// handed over, never that it was resolved, so every v1 handoff becomes an open one.
const V2: &str = "
CREATE TABLE consent_answers (
    check_in_id            INTEGER PRIMARY KEY REFERENCES check_ins (id),
    mode                   TEXT,
    medical_and_drug_info  INTEGER CHECK (medical_and_drug_info IN (0, 1)),
    surgery_info           INTEGER CHECK (surgery_info IN (0, 1)),
    health_check_info      INTEGER CHECK (health_check_info IN (0, 1)),
    high_cost_limit_info   INTEGER CHECK (high_cost_limit_info IN (0, 1)),
    prescription_form      TEXT
) STRICT;

CREATE TABLE handoffs (
    check_in_id   INTEGER PRIMARY KEY REFERENCES check_ins (id),
    reason        TEXT NOT NULL,
    verification  TEXT,
    identity      TEXT,
    note          TEXT,
    staff         TEXT,
    resolved_at   TEXT,
    CHECK ((resolved_at IS NULL) = (verification IS NULL)),
    CHECK ((resolved_at IS NULL) = (staff IS NULL)),
    CHECK ((resolved_at IS NULL) = (note IS NULL)),
    CHECK (resolved_at IS NOT NULL OR identity IS NULL)
) STRICT;

CREATE INDEX handoffs_open ON handoffs (check_in_id) WHERE resolved_at IS NULL;

INSERT INTO handoffs (check_in_id, reason)
    SELECT id, handoff_reason FROM check_ins WHERE outcome_kind = 'handed_to_staff';
";

/// v3: the daily reception number patients are shown, and an outbox written in the same
/// transaction as the check-in so later integrations (ORCA, a central database) never miss one.
/// Check-ins from before v3 keep no number: none was shown to their patients.
const V3: &str = "
ALTER TABLE check_ins ADD COLUMN reception_number INTEGER
    CHECK (reception_number IS NULL
        OR (reception_number > 0 AND outcome_kind IN ('completed', 'handed_to_staff')));

CREATE UNIQUE INDEX check_ins_reception_number
    ON check_ins (visit_date, reception_number) WHERE reception_number IS NOT NULL;

CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    check_in_id   INTEGER NOT NULL REFERENCES check_ins (id),
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL CHECK (json_valid(payload)),
    created_at    TEXT NOT NULL,
    delivered_at  TEXT
) STRICT;

CREATE INDEX outbox_pending ON outbox (id) WHERE delivered_at IS NULL;
";

/// v4: the staff console. Each check-in names its kiosk. A handoff can now be closed without a
/// verification (unresolved, cancelled), and keeps the insurance numbers staff typed from the
/// patient's screen; SQLite cannot change a CHECK, so the table is rebuilt. Staff accounts hold
/// an argon2id hash, never a password; a sign-in keeps only a hash of its cookie token.
const V4: &str = "
ALTER TABLE check_ins ADD COLUMN kiosk TEXT NOT NULL DEFAULT '';

CREATE TABLE handoffs_v4 (
    check_in_id     INTEGER PRIMARY KEY REFERENCES check_ins (id),
    reason          TEXT NOT NULL,
    closed_as       TEXT CHECK (closed_as IN ('verified', 'unresolved', 'cancelled')),
    verification    TEXT,
    identity        TEXT,
    note            TEXT,
    staff           TEXT,
    resolved_at     TEXT,
    insurer_number  TEXT,
    insured_symbol  TEXT,
    insured_number  TEXT,
    insured_branch  TEXT,
    burden_ratio    INTEGER CHECK (burden_ratio BETWEEN 0 AND 100),
    valid_until     TEXT,
    CHECK ((resolved_at IS NULL) = (closed_as IS NULL)),
    CHECK ((resolved_at IS NULL) = (staff IS NULL)),
    CHECK ((resolved_at IS NULL) = (note IS NULL)),
    CHECK ((verification IS NOT NULL) = (closed_as IS 'verified')),
    CHECK (closed_as IS 'verified' OR identity IS NULL),
    CHECK ((insurer_number IS NULL) = (insured_number IS NULL)),
    CHECK ((insurer_number IS NULL) = (burden_ratio IS NULL)),
    CHECK (insurer_number IS NOT NULL OR (insured_symbol IS NULL AND insured_branch IS NULL
        AND valid_until IS NULL)),
    CHECK (insurer_number IS NULL OR closed_as IS 'verified')
) STRICT;

INSERT INTO handoffs_v4 (check_in_id, reason, closed_as, verification, identity, note, staff,
                         resolved_at)
    SELECT check_in_id, reason, CASE WHEN resolved_at IS NULL THEN NULL ELSE 'verified' END,
           verification, identity, note, staff, resolved_at
    FROM handoffs;
DROP INDEX handoffs_open;
DROP TABLE handoffs;
ALTER TABLE handoffs_v4 RENAME TO handoffs;
CREATE INDEX handoffs_open ON handoffs (check_in_id) WHERE resolved_at IS NULL;

CREATE TABLE staff_accounts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    login           TEXT NOT NULL UNIQUE CHECK (length(login) BETWEEN 1 AND 64),
    display_name    TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('staff', 'technician')),
    password_hash   TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    failed_logins   INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until    TEXT,
    created_at      TEXT NOT NULL
) STRICT;

CREATE TABLE staff_sessions (
    token_sha256    TEXT PRIMARY KEY CHECK (length(token_sha256) = 64),
    account_id      INTEGER NOT NULL REFERENCES staff_accounts (id),
    csrf_token      TEXT NOT NULL CHECK (length(csrf_token) >= 32),
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL
) STRICT;
";

/// v5: the name from the eligibility result, held on a handoff only while it is open (the
/// CHECK makes a closed handoff with a name impossible); a kiosk PIN per staff account for the
/// on-kiosk staff mode, hashed like passwords, with its own failure count and lock.
const V5: &str = "
ALTER TABLE handoffs ADD COLUMN patient_name TEXT
    CHECK (patient_name IS NULL OR resolved_at IS NULL);
ALTER TABLE handoffs ADD COLUMN patient_name_kana TEXT
    CHECK (patient_name_kana IS NULL OR resolved_at IS NULL);

ALTER TABLE staff_accounts ADD COLUMN kiosk_pin_hash TEXT
    CHECK (kiosk_pin_hash IS NULL OR kiosk_pin_hash LIKE '$argon2id$%');
ALTER TABLE staff_accounts ADD COLUMN kiosk_pin_failures INTEGER NOT NULL DEFAULT 0
    CHECK (kiosk_pin_failures >= 0);
ALTER TABLE staff_accounts ADD COLUMN kiosk_pin_locked_until TEXT;
";

/// v6: a kiosk staff closed (for lunch, for cleaning) stays closed across a restart until staff
/// reopen it; one row per closed kiosk, removed on reopening (the audit log keeps the history).
const V6: &str = "
CREATE TABLE kiosk_pauses (
    kiosk      TEXT PRIMARY KEY CHECK (length(kiosk) >= 1),
    paused_at  TEXT NOT NULL,
    paused_by  TEXT NOT NULL
) STRICT;
";

/// v7: the time staff expect to reopen a closed kiosk (the paused screen and the console's
/// banner say it), an RFC 3339 instant; NULL when they did not say.
const V7: &str = "
ALTER TABLE kiosk_pauses ADD COLUMN reopens_at TEXT;
";

/// v8: an account disabled when its clerk leaves (退職) keeps its row, so the audit log still
/// names who did what; `disabled_at` (RFC 3339 UTC) is set while it is disabled and NULL
/// otherwise. `last_sign_in_at` (RFC 3339 UTC) is the last successful console sign-in, NULL
/// before the first.
const V8: &str = "
ALTER TABLE staff_accounts ADD COLUMN disabled_at TEXT;
ALTER TABLE staff_accounts ADD COLUMN last_sign_in_at TEXT;
";

/// v9: staff record the numbers of an eligibility screen that shows no burden ratio (under-70s:
/// judged by age at the desk), so a handoff's typed numbers may come without a ratio; the
/// ratio still needs numbers. SQLite cannot change a CHECK, so the table is rebuilt with every
/// other constraint as it was (v4, v5).
const V9: &str = "
CREATE TABLE handoffs_v9 (
    check_in_id       INTEGER PRIMARY KEY REFERENCES check_ins (id),
    reason            TEXT NOT NULL,
    closed_as         TEXT CHECK (closed_as IN ('verified', 'unresolved', 'cancelled')),
    verification      TEXT,
    identity          TEXT,
    note              TEXT,
    staff             TEXT,
    resolved_at       TEXT,
    insurer_number    TEXT,
    insured_symbol    TEXT,
    insured_number    TEXT,
    insured_branch    TEXT,
    burden_ratio      INTEGER CHECK (burden_ratio BETWEEN 0 AND 100),
    valid_until       TEXT,
    patient_name      TEXT CHECK (patient_name IS NULL OR resolved_at IS NULL),
    patient_name_kana TEXT CHECK (patient_name_kana IS NULL OR resolved_at IS NULL),
    CHECK ((resolved_at IS NULL) = (closed_as IS NULL)),
    CHECK ((resolved_at IS NULL) = (staff IS NULL)),
    CHECK ((resolved_at IS NULL) = (note IS NULL)),
    CHECK ((verification IS NOT NULL) = (closed_as IS 'verified')),
    CHECK (closed_as IS 'verified' OR identity IS NULL),
    CHECK ((insurer_number IS NULL) = (insured_number IS NULL)),
    CHECK (insurer_number IS NOT NULL OR burden_ratio IS NULL),
    CHECK (insurer_number IS NOT NULL OR (insured_symbol IS NULL AND insured_branch IS NULL
        AND valid_until IS NULL)),
    CHECK (insurer_number IS NULL OR closed_as IS 'verified')
) STRICT;

INSERT INTO handoffs_v9 (check_in_id, reason, closed_as, verification, identity, note, staff,
                         resolved_at, insurer_number, insured_symbol, insured_number,
                         insured_branch, burden_ratio, valid_until, patient_name,
                         patient_name_kana)
    SELECT check_in_id, reason, closed_as, verification, identity, note, staff, resolved_at,
           insurer_number, insured_symbol, insured_number, insured_branch, burden_ratio,
           valid_until, patient_name, patient_name_kana
    FROM handoffs;
DROP INDEX handoffs_open;
DROP TABLE handoffs;
ALTER TABLE handoffs_v9 RENAME TO handoffs;
CREATE INDEX handoffs_open ON handoffs (check_in_id) WHERE resolved_at IS NULL;
";

/// v10: a third role, `manager` (管理者), who looks after reception staff's accounts without
/// being a technician. SQLite cannot change a CHECK, so `staff_accounts` is rebuilt with every
/// column (v4, v5, v8) and constraint as it was. `staff_sessions` references it and foreign keys
/// are on inside the step's transaction (the pragma cannot change there), so the sessions table
/// is rebuilt beside it: signed-in staff stay signed in. Renaming `staff_accounts_v10` rewrites
/// the sessions' reference to `staff_accounts`; the AUTOINCREMENT counter moves with the
/// rename, so ids are never reused.
const V10: &str = "
CREATE TABLE staff_accounts_v10 (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    login                   TEXT NOT NULL UNIQUE CHECK (length(login) BETWEEN 1 AND 64),
    display_name            TEXT NOT NULL,
    role                    TEXT NOT NULL CHECK (role IN ('staff', 'manager', 'technician')),
    password_hash           TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    failed_logins           INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until            TEXT,
    created_at              TEXT NOT NULL,
    kiosk_pin_hash          TEXT
        CHECK (kiosk_pin_hash IS NULL OR kiosk_pin_hash LIKE '$argon2id$%'),
    kiosk_pin_failures      INTEGER NOT NULL DEFAULT 0 CHECK (kiosk_pin_failures >= 0),
    kiosk_pin_locked_until  TEXT,
    disabled_at             TEXT,
    last_sign_in_at         TEXT
) STRICT;

CREATE TABLE staff_sessions_v10 (
    token_sha256    TEXT PRIMARY KEY CHECK (length(token_sha256) = 64),
    account_id      INTEGER NOT NULL REFERENCES staff_accounts_v10 (id),
    csrf_token      TEXT NOT NULL CHECK (length(csrf_token) >= 32),
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL
) STRICT;

INSERT INTO staff_accounts_v10 (id, login, display_name, role, password_hash, failed_logins,
                                locked_until, created_at, kiosk_pin_hash, kiosk_pin_failures,
                                kiosk_pin_locked_until, disabled_at, last_sign_in_at)
    SELECT id, login, display_name, role, password_hash, failed_logins, locked_until,
           created_at, kiosk_pin_hash, kiosk_pin_failures, kiosk_pin_locked_until,
           disabled_at, last_sign_in_at
    FROM staff_accounts;
UPDATE sqlite_sequence
    SET seq = max(seq, (SELECT seq FROM sqlite_sequence WHERE name = 'staff_accounts'))
    WHERE name = 'staff_accounts_v10';
INSERT INTO staff_sessions_v10 (token_sha256, account_id, csrf_token, created_at, expires_at)
    SELECT token_sha256, account_id, csrf_token, created_at, expires_at FROM staff_sessions;

DROP TABLE staff_sessions;
DROP TABLE staff_accounts;
ALTER TABLE staff_accounts_v10 RENAME TO staff_accounts;
ALTER TABLE staff_sessions_v10 RENAME TO staff_sessions;
";

/// v11: a handoff's verification method is known only when staff close it (issue 16 item 4).
/// Until v9 the kiosk wrote the route it expected staff to take (the portal screen for an
/// unreadable phone, the declared document, the card when several records matched) into
/// `check_ins.verification` at handover, so a month's report could list a handoff nobody had
/// looked at yet as verified. The route gets its own column, `expected_route` (a handoff's
/// only); open handoffs' labels move there and their method and usage-rate flag are cleared.
/// Closed handoffs keep the method staff recorded (their expected route is not known any more).
const V11: &str = "
ALTER TABLE check_ins ADD COLUMN expected_route TEXT
    CHECK (expected_route IS NULL OR outcome_kind = 'handed_to_staff');

UPDATE check_ins
    SET expected_route = verification, verification = NULL, counts_toward_usage_rate = 0
    WHERE outcome_kind = 'handed_to_staff'
      AND id IN (SELECT check_in_id FROM handoffs WHERE resolved_at IS NULL);
";

/// v12: the check-in's pseudonymous patient key (HMAC-SHA-256 of the insurance numbers under
/// the facility's secret, which lives in its own file beside the database: see
/// `crate::patient_key`), 64 lowercase hex digits, NULL when no numbers are known. Check-ins
/// from before this step have none (the report lists them as not countable).
const V12: &str = "
ALTER TABLE check_ins ADD COLUMN patient_key TEXT
    CHECK (patient_key IS NULL OR (length(patient_key) = 64
        AND patient_key NOT GLOB '*[^0-9a-f]*'));
CREATE INDEX check_ins_by_patient_key ON check_ins (visit_date, patient_key)
    WHERE patient_key IS NOT NULL;
";

/// v13: the answer to 「医療費助成の各種受給者証を利用しますか」 (issue 16 item 3): 1 the card is
/// used as the medical subsidy certificate today, 0 not, NULL not asked (every row before v13,
/// a facility not connected, a visit before the rules' date).
const V13: &str = "
ALTER TABLE consent_answers ADD COLUMN medical_aid_by_card INTEGER
    CHECK (medical_aid_by_card IN (0, 1));
";

/// v14 (issue 17 items 2, 3): the outbox becomes a wire format. `wire_version` 1 marks a
/// payload in `crate::outbox::OutboxMessage`'s JSON, whose `kind` is one of its closed list;
/// every row written before this step is marked 0 (a `StoredCheckIn` as the old build wrote it,
/// kinds `check_in_committed`, `handoff_resolved`, `handoff_corrected`): readers take only
/// version 1, so they never meet an unversioned payload. Old rows are not converted: no reader
/// existed when they were written, and registering days-old visits in ORCA would be wrong.
///
/// `orca_deliveries`: one row per outbox entry the ORCA worker has worked on (absent = not yet
/// tried). `state`: `pending` (to send or to look up), `registered` (ORCA's Acceptance_Id and
/// Patient_ID), `failed` (ORCA's `code` and `reason`; `retrying` 1 when the worker tries again by
/// itself), `done_by_hand` (`staff` who did it). `uncertain` 1: a send's outcome is unknown (a
/// timeout, a dropped connection), so the reception list is read before any new send.
/// `next_attempt_at` RFC 3339, NULL = at once.
const V14: &str = "
ALTER TABLE outbox ADD COLUMN wire_version INTEGER NOT NULL DEFAULT 0
    CHECK (wire_version IN (0, 1));
CREATE INDEX outbox_for_orca ON outbox (id)
    WHERE delivered_at IS NULL AND wire_version = 1
      AND kind IN ('check_in_completed', 'handoff_closed');

CREATE TABLE orca_deliveries (
    outbox_id        INTEGER PRIMARY KEY REFERENCES outbox (id),
    state            TEXT NOT NULL
        CHECK (state IN ('pending', 'registered', 'failed', 'done_by_hand')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    uncertain        INTEGER NOT NULL DEFAULT 0 CHECK (uncertain IN (0, 1)),
    next_attempt_at  TEXT,
    acceptance_id    TEXT,
    patient_id       TEXT,
    code             TEXT,
    reason           TEXT,
    retrying         INTEGER NOT NULL DEFAULT 0 CHECK (retrying IN (0, 1)),
    staff            TEXT,
    last_error       TEXT,
    updated_at       TEXT NOT NULL,
    CHECK (state <> 'registered' OR acceptance_id IS NOT NULL),
    CHECK (state <> 'done_by_hand' OR staff IS NOT NULL)
) STRICT;
";

/// v15 (issue 17 item 2): the department code a check-in is for (chosen by the patient or fixed
/// by the facility; NULL: none configured or not chosen, and every row before v15), and the
/// department list last fetched from ORCA (`system01lstv2`), one row per department with when
/// the whole list was fetched, so a kiosk starts with yesterday's list when ORCA is down.
const V15: &str = "
ALTER TABLE check_ins ADD COLUMN department TEXT
    CHECK (department IS NULL OR length(department) BETWEEN 1 AND 8);
CREATE TABLE department_list (
    position    INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 8),
    name        TEXT NOT NULL CHECK (length(name) >= 1),
    fetched_at  TEXT NOT NULL
) STRICT;
";

/// v16 (issue 19 item 1): delivery to the hospital's central database (PostgreSQL), apart from
/// ORCA's (`delivered_at` stays ORCA's). `central_delivered_at`: when the central database
/// committed the entry (RFC 3339); NULL: not yet, so it is sent (again) in order. The audit log
/// is never updated (its triggers), so its delivery is a cursor: `central_cursor.delivered_up_to`
/// is the last `audit_log.id` the central database committed (stream `audit_log`), or the last
/// central staff-account change copied into this store (stream `staff_accounts`, item 4).
/// `central_staff`: the lock ends the central database last gave for each account it manages,
/// so a lock made here later (offline) is known and sent on.
const V16: &str = "
ALTER TABLE outbox ADD COLUMN central_delivered_at TEXT;
CREATE INDEX outbox_for_central ON outbox (id)
    WHERE central_delivered_at IS NULL AND wire_version = 1;
CREATE TABLE central_cursor (
    stream           TEXT PRIMARY KEY CHECK (stream IN ('audit_log', 'staff_accounts')),
    delivered_up_to  INTEGER NOT NULL CHECK (delivered_up_to >= 0)
) STRICT;
CREATE TABLE central_staff (
    login                   TEXT PRIMARY KEY,
    locked_until            TEXT,
    kiosk_pin_locked_until  TEXT
) STRICT;
";

pub(crate) fn user_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// Applies every step after the file's version up to `target`.
pub(crate) fn migrate(conn: &mut Connection, path: &Path, target: u32) -> Result<(), StoreError> {
    let found = user_version(conn).map_err(|source| StoreError::Open {
        path: path.to_owned(),
        source,
    })?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: path.to_owned(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if target > SCHEMA_VERSION {
        return Err(StoreError::UnknownVersion {
            path: path.to_owned(),
            requested: target,
            supported: SCHEMA_VERSION,
        });
    }
    if found > target {
        return Err(StoreError::TooNew {
            path: path.to_owned(),
            found,
            supported: target,
        });
    }
    for step in MIGRATIONS
        .iter()
        .filter(|m| m.version > found && m.version <= target)
    {
        apply(conn, step).map_err(|source| StoreError::Migrate {
            path: path.to_owned(),
            version: step.version,
            source,
        })?;
    }
    Ok(())
}

fn apply(conn: &mut Connection, step: &Migration) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Another process may have applied this step while we waited for the write lock.
    if user_version(&tx)? >= step.version {
        return Ok(());
    }
    tx.execute_batch(step.sql)?;
    tx.pragma_update(None, "user_version", step.version)?;
    tx.commit()?;
    tracing::info!(
        version = step.version,
        summary = step.summary,
        "store schema migrated"
    );
    Ok(())
}

/// Creates (or upgrades) the database at `path` to exactly schema `version` and stops there.
///
/// For tests and tools that need a file as an older build left it; the kiosk itself uses
/// [`super::Store::open`], which always goes to [`SCHEMA_VERSION`]. Version 0 leaves an empty
/// database. Fails if the file is already newer than `version`.
pub fn migrate_to(path: &Path, version: u32) -> Result<(), StoreError> {
    let mut conn = Connection::open(path).map_err(|source| StoreError::Open {
        path: path.to_owned(),
        source,
    })?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(|source| StoreError::Open {
            path: path.to_owned(),
            source,
        })?;
    migrate(&mut conn, path, version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_numbered_one_by_one_up_to_the_schema_version() {
        for (i, step) in MIGRATIONS.iter().enumerate() {
            assert_eq!(step.version as usize, i + 1);
        }
        assert_eq!(
            MIGRATIONS.last().map(|m| m.version),
            Some(SCHEMA_VERSION),
            "the last step is the schema version"
        );
    }

    #[test]
    fn every_step_applies_in_memory() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, Path::new(":memory:"), SCHEMA_VERSION).unwrap();
        assert_eq!(user_version(&conn).unwrap(), SCHEMA_VERSION);
        let fk: Vec<String> = conn
            .prepare("PRAGMA foreign_key_check")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(fk.is_empty());
    }

    #[test]
    fn no_column_for_secrets_or_names() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, Path::new(":memory:"), SCHEMA_VERSION).unwrap();
        let columns: Vec<(String, String)> = conn
            .prepare(
                "SELECT m.name, p.name FROM sqlite_schema m, pragma_table_info(m.name) p
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(columns.contains(&("check_ins".to_owned(), "verification".to_owned())));
        for (table, column) in &columns {
            if table == "staff_accounts" {
                // Staff's own sign-in names and PINs, not patients'.
                continue;
            }
            if table == "department_list" && column == "name" {
                // A department's name (内科), not a person's.
                continue;
            }
            if table == "handoffs" && column.starts_with("patient_name") {
                // Held only while the handoff is open: see the next test.
                continue;
            }
            let c = column.to_lowercase();
            let secret = c == "pin"
                || c.contains("pin_code")
                || c.contains("my_number")
                || c.contains("individual")
                || c.contains("certificate")
                || c.contains("birth")
                || c.ends_with("name");
            assert!(!secret, "{table}.{column}");
        }
    }

    #[test]
    fn a_closed_handoff_cannot_hold_a_name() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, Path::new(":memory:"), SCHEMA_VERSION).unwrap();
        conn.execute_batch(
            "PRAGMA foreign_keys = OFF;
             INSERT INTO handoffs (check_in_id, reason, patient_name) VALUES (1, 'x', '山●');",
        )
        .unwrap();
        let close = "UPDATE handoffs SET closed_as = 'cancelled', note = '', staff = 's', \
                     resolved_at = 't' WHERE check_in_id = 1";
        let err = conn.execute(close, []).unwrap_err();
        assert!(err.to_string().contains("CHECK"), "{err}");
        conn.execute("UPDATE handoffs SET patient_name = NULL", [])
            .unwrap();
        conn.execute(close, []).unwrap();
    }

    #[test]
    fn v11_moves_open_handoffs_labels_to_the_expected_route_and_keeps_closed_ones() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, Path::new(":memory:"), 10).unwrap();
        let row = |id: i64, verification: &str, counts: i64, outcome: &str, reason: &str| {
            format!(
                "INSERT INTO check_ins (id, started_at, finished_at, visit_date, verification, \
                 counts_toward_usage_rate, outcome_kind, handoff_reason, wrong_pin_entries, \
                 checklist) VALUES ({id}, 't', 't', '2026-11-02', {verification}, {counts}, \
                 '{outcome}', {reason}, 0, '[]');"
            )
        };
        let portal = "'portal_screen_checked_by_staff'";
        conn.execute_batch(
            &[
                // Open: the v10 kiosk's label for an unreadable phone, and a several-matches card
                // it counted; a completed card; a closed handoff staff confirmed; an open one the
                // kiosk could not label.
                row(1, portal, 0, "handed_to_staff", "'confirm_portal_screen'"),
                row(
                    2,
                    "'card_via_reader'",
                    1,
                    "handed_to_staff",
                    "'several_matches'",
                ),
                row(3, "'card_via_reader'", 1, "completed", "NULL"),
                row(4, portal, 0, "handed_to_staff", "'confirm_portal_screen'"),
                row(5, "NULL", 0, "handed_to_staff", "'gateway_unavailable'"),
                "INSERT INTO handoffs (check_in_id, reason) VALUES (1, 'x'), (2, 'x'), (5, 'x');
             INSERT INTO handoffs (check_in_id, reason, closed_as, verification, note, staff,
                 resolved_at) VALUES (4, 'x', 'verified', 'portal_screen_checked_by_staff', '',
                 's', 't');"
                    .to_owned(),
            ]
            .concat(),
        )
        .unwrap();
        migrate(&mut conn, Path::new(":memory:"), 11).unwrap();
        let rows: Vec<(i64, Option<String>, i64, Option<String>)> = conn
            .prepare(
                "SELECT id, verification, counts_toward_usage_rate, expected_route \
                 FROM check_ins ORDER BY id",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let s = |t: &str| Some(t.to_owned());
        assert_eq!(
            rows,
            vec![
                (1, None, 0, s("portal_screen_checked_by_staff")),
                (2, None, 0, s("card_via_reader")),
                (3, s("card_via_reader"), 1, None),
                (4, s("portal_screen_checked_by_staff"), 0, None),
                (5, None, 0, None),
            ]
        );
        // Only a handoff can carry an expected route.
        let err = conn
            .execute(
                "UPDATE check_ins SET expected_route = 'card_via_reader' WHERE id = 3",
                [],
            )
            .unwrap_err();
        assert!(err.to_string().contains("CHECK"), "{err}");
    }

    #[test]
    fn v9_keeps_typed_numbers_and_takes_them_without_a_ratio() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, Path::new(":memory:"), 8).unwrap();
        let closed = "closed_as, verification, note, staff, resolved_at, insurer_number, \
                      insured_number, burden_ratio";
        conn.execute_batch(&format!(
            "PRAGMA foreign_keys = OFF;
             INSERT INTO handoffs (check_in_id, reason, {closed}) VALUES
                 (1, 'x', 'verified', 'portal_screen_checked_by_staff', '', 's', 't',
                  '01130012', '345', 30);
             INSERT INTO handoffs (check_in_id, reason, patient_name) VALUES (2, 'x', '山●');"
        ))
        .unwrap();
        let no_ratio = format!(
            "INSERT INTO handoffs (check_in_id, reason, {closed}) VALUES \
             (3, 'x', 'verified', 'portal_screen_checked_by_staff', '', 's', 't', \
              '138065', '7', NULL)"
        );
        assert!(conn.execute(&no_ratio, []).is_err(), "v8 needs a ratio");
        migrate(&mut conn, Path::new(":memory:"), 9).unwrap();
        conn.execute(&no_ratio, []).unwrap();
        let kept: (String, i64, String) = conn
            .query_row(
                "SELECT a.insurer_number, a.burden_ratio, b.patient_name
                 FROM handoffs a, handoffs b WHERE a.check_in_id = 1 AND b.check_in_id = 2",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(kept, ("01130012".to_owned(), 30, "山●".to_owned()));
        // A ratio still needs the numbers.
        let err = conn
            .execute(
                "INSERT INTO handoffs (check_in_id, reason, burden_ratio) VALUES (4, 'x', 30)",
                [],
            )
            .unwrap_err();
        assert!(err.to_string().contains("CHECK"), "{err}");
    }

    #[test]
    fn v10_takes_managers_and_keeps_accounts_sessions_and_kiosk_pins() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", true).unwrap();
        migrate(&mut conn, Path::new(":memory:"), 9).unwrap();
        let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
        conn.execute_batch(&format!(
            "INSERT INTO staff_accounts (id, login, display_name, role, password_hash,
                 created_at, kiosk_pin_hash, kiosk_pin_failures, disabled_at, last_sign_in_at)
             VALUES (7, 'sato', '佐藤', 'staff', '{hash}', 't0', '{hash}', 2, NULL, 't1'),
                    (9, 'tech', '技術', 'technician', '{hash}', 't0', NULL, 0, 't2', NULL);
             INSERT INTO staff_sessions (token_sha256, account_id, csrf_token, created_at,
                 expires_at) VALUES ('{token}', 7, '{csrf}', 't1', 't3');",
            token = "a".repeat(64),
            csrf = "c".repeat(32),
        ))
        .unwrap();
        let manager = format!(
            "INSERT INTO staff_accounts (login, display_name, role, password_hash, created_at)
             VALUES ('kanri', '管理', 'manager', '{hash}', 't4')"
        );
        assert!(conn.execute(&manager, []).is_err(), "v9 has no managers");
        let rows = |conn: &Connection| -> Vec<String> {
            conn.prepare(
                "SELECT a.id || a.login || a.role || COALESCE(a.kiosk_pin_hash, '-') ||
                        a.kiosk_pin_failures || COALESCE(a.disabled_at, '-') ||
                        COALESCE(a.last_sign_in_at, '-') || COUNT(s.token_sha256)
                 FROM staff_accounts a LEFT JOIN staff_sessions s ON s.account_id = a.id
                 GROUP BY a.id ORDER BY a.id",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
        };
        let before = rows(&conn);
        migrate(&mut conn, Path::new(":memory:"), 10).unwrap();
        assert_eq!(rows(&conn), before);
        conn.execute(&manager, []).unwrap();
        let id: i64 = conn
            .query_row(
                "SELECT id FROM staff_accounts WHERE login = 'kanri'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(id, 10, "ids go on after the highest, never reused");
        let fk: Vec<String> = conn
            .prepare("PRAGMA foreign_key_check")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(fk.is_empty(), "{fk:?}");
        // Sessions still refer to accounts: one for no account is refused.
        let orphan = conn.execute(
            &format!(
                "INSERT INTO staff_sessions VALUES ('{}', 99, '{}', 't', 't')",
                "b".repeat(64),
                "c".repeat(32)
            ),
            [],
        );
        assert!(orphan.unwrap_err().to_string().contains("FOREIGN KEY"));
        let bad_role = format!(
            "INSERT INTO staff_accounts (login, display_name, role, password_hash, created_at)
             VALUES ('x', 'x', 'admin', '{hash}', 't')"
        );
        assert!(conn.execute(&bad_role, []).is_err());
    }
}
