//! The central database's schema, built up in numbered steps beside the kiosk's own
//! (`crate::store` migrations): `schema_version` records the last step applied. A released step
//! is never edited; changes come as a new step at the end.
//!
//! Each step runs in one transaction with its version row, under a transaction-scoped advisory
//! lock, so ten kiosks starting at once apply it once, and a crash leaves the database at one
//! version or the next.

/// The central schema version this build writes.
pub const CENTRAL_SCHEMA_VERSION: i32 = 1;

/// The advisory lock key every migrating kiosk takes (an arbitrary constant: "uk" "ts" "ke").
pub(super) const MIGRATION_LOCK: i64 = 0x756b_7473_6b65;

/// (version, what it adds, SQL).
pub(super) const STEPS: [(i32, &str, &str); 1] = [(
    1,
    "kiosks, every outbox entry and audit entry of each, each check-in's latest state",
    V1,
)];

/// v1 (issue 19 items 1 and 3).
///
/// `kiosks`: one row per kiosk id, with its name and when it last delivered.
/// `outbox_entries`: every outbox entry a kiosk sent, exactly once: keyed by (kiosk id, the
/// kiosk's `outbox.id`), inserted `ON CONFLICT DO NOTHING`. `arrival` numbers rows in the order
/// the central database committed them, so "in each kiosk's order" can be checked. The payload
/// is the wire v1 JSON (`crate::outbox`) without the patient's match keys (ORCA's business, not
/// the hospital's).
/// `check_ins`: each check-in's latest state, the row the report and the queue read; an entry
/// replaces it only when its sequence is higher (`last_seq`), so a resend never goes back.
/// `received_at` is the clock when the row was written (not the transaction's start), so the
/// delivery lag can be read off it.
/// `audit_entries`: each kiosk's audit log, keyed by (kiosk id, `audit_log.id`), never updated.
///
/// Item 2, handoffs resolved at any desk. `handoff_names`: the patient's name (and reading) on
/// a handoff while it is open, so a desk can call the patient; deleted in the transaction that
/// closes it centrally (a desk's resolution) or that learns the kiosk closed it. `resolutions`:
/// a desk's decision on a kiosk's handoff, one per check-in (the primary key: the first desk
/// wins, a second is told who decided); `id` orders them for the kiosk, which records each in
/// its own store (the owner of the check-in) and sets `applied_at` and `applied_as`
/// (`recorded`; `closed_at_the_kiosk_first` when staff at the kiosk had closed it already;
/// `not_a_handoff`). `desk_audit`: what desks did centrally, refusals included, never updated.
///
/// Item 4, staff accounts once. `staff_accounts`: every account the hospital manages
/// centrally (argon2id hashes only, never a password or PIN), with both locks; `change` takes
/// the next value of `staff_changes` on every change, so each kiosk copies what changed after
/// its cursor. A lock made at a kiosk while offline is merged in later (the later end wins).
const V1: &str = "
CREATE TABLE kiosks (
    kiosk_id          text PRIMARY KEY CHECK (kiosk_id ~ '^[A-Za-z0-9._-]{1,64}$'),
    kiosk_name        text NOT NULL,
    first_seen_at     timestamptz NOT NULL DEFAULT now(),
    last_delivery_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE outbox_entries (
    kiosk_id     text NOT NULL REFERENCES kiosks (kiosk_id),
    seq          bigint NOT NULL CHECK (seq > 0),
    arrival      bigserial NOT NULL UNIQUE,
    check_in_id  bigint NOT NULL,
    kind         text NOT NULL,
    created_at   timestamptz NOT NULL,
    payload      jsonb NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (kiosk_id, seq)
);

CREATE TABLE check_ins (
    kiosk_id                  text NOT NULL REFERENCES kiosks (kiosk_id),
    check_in_id               bigint NOT NULL,
    last_seq                  bigint NOT NULL,
    visit_date                date NOT NULL,
    outcome                   text NOT NULL,
    handoff_reason            text,
    verification              text,
    counts_toward_usage_rate  boolean NOT NULL,
    open_handoff              boolean NOT NULL,
    reception_number          integer,
    patient_key               text,
    check_in                  jsonb NOT NULL,
    updated_at                timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kiosk_id, check_in_id)
);

CREATE INDEX check_ins_by_visit_date ON check_ins (visit_date);
CREATE INDEX check_ins_open ON check_ins (kiosk_id, check_in_id) WHERE open_handoff;

CREATE TABLE audit_entries (
    kiosk_id     text NOT NULL REFERENCES kiosks (kiosk_id),
    seq          bigint NOT NULL CHECK (seq > 0),
    at           timestamptz NOT NULL,
    actor        text NOT NULL,
    action       text NOT NULL,
    check_in_id  bigint,
    detail       text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (kiosk_id, seq)
);

CREATE TABLE handoff_names (
    kiosk_id     text NOT NULL,
    check_in_id  bigint NOT NULL,
    name         text NOT NULL,
    kana         text,
    PRIMARY KEY (kiosk_id, check_in_id),
    FOREIGN KEY (kiosk_id, check_in_id) REFERENCES check_ins (kiosk_id, check_in_id)
);

CREATE TABLE resolutions (
    kiosk_id                  text NOT NULL,
    check_in_id               bigint NOT NULL,
    id                        bigserial NOT NULL UNIQUE,
    resolution                jsonb NOT NULL,
    counts_toward_usage_rate  boolean NOT NULL,
    staff                     text NOT NULL,
    desk                      text NOT NULL,
    decided_at                timestamptz NOT NULL DEFAULT clock_timestamp(),
    applied_at                timestamptz,
    applied_as                text CHECK (applied_as IN
                                  ('recorded', 'closed_at_the_kiosk_first', 'not_a_handoff')),
    PRIMARY KEY (kiosk_id, check_in_id),
    FOREIGN KEY (kiosk_id, check_in_id) REFERENCES check_ins (kiosk_id, check_in_id),
    CHECK ((applied_at IS NULL) = (applied_as IS NULL))
);

CREATE INDEX resolutions_to_apply ON resolutions (kiosk_id, id) WHERE applied_at IS NULL;

CREATE SEQUENCE staff_changes;

CREATE TABLE staff_accounts (
    login                   text PRIMARY KEY CHECK (length(login) BETWEEN 1 AND 64),
    display_name            text NOT NULL,
    role                    text NOT NULL CHECK (role IN ('staff', 'manager', 'technician')),
    password_hash           text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    kiosk_pin_hash          text CHECK (kiosk_pin_hash IS NULL OR kiosk_pin_hash LIKE '$argon2id$%'),
    locked_until            timestamptz,
    kiosk_pin_locked_until  timestamptz,
    disabled_at             timestamptz,
    change                  bigint NOT NULL DEFAULT nextval('staff_changes'),
    changed_at              timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX staff_accounts_by_change ON staff_accounts (change);

CREATE TABLE desk_audit (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor        text NOT NULL,
    desk         text NOT NULL,
    action       text NOT NULL,
    kiosk_id     text,
    check_in_id  bigint,
    detail       text NOT NULL
);
";
