//! The hospital's central database (PostgreSQL, issue 19): the only module that knows
//! PostgreSQL and its client library (`postgres`, TLS by `tokio-postgres-rustls`).
//!
//! Owns: the connection ([`Central::connect`], from the facility file's `central` key), the
//! central schema and its migrations ([`schema`]), one delivery as one transaction
//! ([`Central::deliver`]), the report across kiosks ([`Central::report_rows`]), and the
//! delivery worker beside the kiosk ([`worker`]). Must not know: SQLite (the worker is handed a
//! [`crate::store::Store`] and asks it for batches), the screens, the rules.
//!
//! Exactly once: every row is keyed by the kiosk's id and the kiosk's own sequence (its
//! `outbox.id`, its `audit_log.id`) and inserted `ON CONFLICT DO NOTHING`; the kiosk marks an
//! entry delivered only after the central transaction committed. A batch lost between the two
//! (a kill, a dropped answer to COMMIT) is sent again and changes nothing.
//!
//! Local first: the kiosk never waits on this module. Check-ins commit to SQLite; the worker on
//! its own thread sends them when the database answers.

pub mod accounts;
pub mod desk;
pub mod schema;
pub mod worker;

use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use postgres::config::SslMode;
use postgres::{Client, NoTls};

use crate::central_settings::CentralSettings;
use crate::report::ReportRow;
use crate::store::CentralBatch;
use schema::{CENTRAL_SCHEMA_VERSION, MIGRATION_LOCK, STEPS};

/// The channel `LISTEN` hears: a kiosk's id after each delivery it committed.
pub const NOTIFY_CHANNEL: &str = "uketsuke_central";

/// What went wrong with the central database, naming the key, URL or step at fault (for
/// technicians; patients never see it).
#[derive(Debug, thiserror::Error)]
pub enum CentralError {
    #[error("{0}")]
    Settings(String),
    #[error("cannot reach the central database {url}: {detail}")]
    Connect { url: String, detail: String },
    #[error("central database {url}: {what}: {detail}")]
    Sql {
        url: String,
        what: &'static str,
        detail: String,
    },
    #[error(
        "central database {url} has schema version {found}, newer than this build ({CENTRAL_SCHEMA_VERSION}): update this kiosk"
    )]
    TooNew { url: String, found: i32 },
}

/// The error's message and every cause under it, on one line.
fn detail(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{}: {}", db.severity(), db.message());
    }
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The error of statement `what` against the database at `url` (without its password), for
/// `map_err`: the one place a driver error becomes a [`CentralError::Sql`].
fn sql_error(
    url: &str,
    what: &'static str,
) -> impl FnOnce(postgres::Error) -> CentralError + use<> {
    let url = url.to_owned();
    move |e| CentralError::Sql {
        url,
        what,
        detail: detail(&e),
    }
}

/// What one delivery committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Delivered {
    /// Outbox entries the central database did not hold before.
    pub new_entries: usize,
    /// Outbox entries it already held (a resend after a lost answer or a kill).
    pub already_there: usize,
    /// Audit entries it did not hold before.
    pub new_audit: usize,
}

/// One kiosk's check-ins of a month, as the central database holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskRows {
    pub kiosk_id: String,
    pub kiosk_name: String,
    pub rows: Vec<ReportRow>,
}

/// A connection to the central database, as one kiosk (or the report, or `doctor`).
pub struct Central {
    client: Client,
    /// The URL without a password, for messages.
    url: String,
}

impl std::fmt::Debug for Central {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Central").field("url", &self.url).finish()
    }
}

impl Central {
    /// Connects as the settings say (password from `password_file`, TLS verified by `ca_file`
    /// when given), waiting at most `timeout_seconds`.
    pub fn connect(settings: &CentralSettings) -> Result<Self, CentralError> {
        let url = settings.url.trim().to_owned();
        let connect_err = |detail: String| CentralError::Connect {
            url: url.clone(),
            detail,
        };
        let mut config = postgres::Config::from_str(&url)
            .map_err(|e| CentralError::Settings(format!("central.url {url:?}: {}", detail(&e))))?;
        if let Some(password) = settings.password().map_err(CentralError::Settings)? {
            config.password(password);
        }
        let timeout = Duration::from_secs(u64::from(settings.timeout_seconds.max(1)));
        config
            .connect_timeout(timeout)
            .tcp_user_timeout(timeout)
            .keepalives_idle(timeout)
            .application_name(&format!("uketsuke {}", settings.kiosk_id));
        let client = match &settings.ca_file {
            None => config.connect(NoTls),
            Some(ca) => {
                config.ssl_mode(SslMode::Require);
                config.connect(tls(ca)?)
            }
        }
        .map_err(|e| connect_err(detail(&e)))?;
        Ok(Central { client, url })
    }

    /// The error of statement `what` on this connection, for `map_err`.
    pub(super) fn sql(
        &self,
        what: &'static str,
    ) -> impl FnOnce(postgres::Error) -> CentralError + use<> {
        sql_error(&self.url, what)
    }

    /// The URL without a password.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Brings the central schema up to this build's version; returns the version found before.
    /// Refuses a database newer than this build.
    pub fn migrate(&mut self) -> Result<i32, CentralError> {
        let url = self.url.clone();
        let err = |what: &'static str| sql_error(&url, what);
        let mut tx = self
            .client
            .transaction()
            .map_err(err("begin the schema migration"))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(err("wait for another kiosk's schema migration"))?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_version (
                 version     integer PRIMARY KEY,
                 summary     text NOT NULL,
                 applied_at  timestamptz NOT NULL DEFAULT now()
             )",
        )
        .map_err(err("create the schema_version table"))?;
        let found: i32 = tx
            .query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[])
            .map_err(err("read the schema version"))?
            .get(0);
        if found > CENTRAL_SCHEMA_VERSION {
            return Err(CentralError::TooNew { url, found });
        }
        for (version, summary, sql) in STEPS {
            if version <= found {
                continue;
            }
            tx.batch_execute(sql)
                .map_err(err("apply a central schema step"))?;
            tx.execute(
                "INSERT INTO schema_version (version, summary) VALUES ($1, $2)",
                &[&version, &summary],
            )
            .map_err(err("record the central schema version"))?;
            tracing::info!(version, summary, "central database schema step applied");
        }
        tx.commit().map_err(err("commit the schema migration"))?;
        Ok(found)
    }

    /// The schema version the database holds (0: none yet).
    pub fn schema_version(&mut self) -> Result<i32, CentralError> {
        let exists: bool = self
            .client
            .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])
            .map_err(self.sql("read the schema version"))?
            .get(0);
        if !exists {
            return Ok(0);
        }
        let row = self
            .client
            .query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[])
            .map_err(self.sql("read the schema version"))?;
        Ok(row.get(0))
    }

    /// Sends `batch` of kiosk `kiosk_id` (named `kiosk_name`) in one transaction, in the
    /// kiosk's order, and notifies [`NOTIFY_CHANNEL`] on commit. Entries the database already
    /// holds are left as they are. The patient's match keys (ORCA's) are never sent.
    pub fn deliver(
        &mut self,
        kiosk_id: &str,
        kiosk_name: &str,
        batch: &CentralBatch,
    ) -> Result<Delivered, CentralError> {
        let url = self.url.clone();
        let err = |what: &'static str| sql_error(&url, what);
        let mut tx = self.client.transaction().map_err(err("begin a delivery"))?;
        tx.execute(
            "INSERT INTO kiosks (kiosk_id, kiosk_name) VALUES ($1, $2) \
             ON CONFLICT (kiosk_id) DO UPDATE \
             SET kiosk_name = EXCLUDED.kiosk_name, last_delivery_at = now()",
            &[&kiosk_id, &kiosk_name],
        )
        .map_err(err("record the kiosk"))?;
        let insert_entry = tx
            .prepare(
                "INSERT INTO outbox_entries \
                 (kiosk_id, seq, check_in_id, kind, created_at, payload) \
                 VALUES ($1, $2, $3, $4, $5::text::timestamptz, $6::text::jsonb) \
                 ON CONFLICT (kiosk_id, seq) DO NOTHING",
            )
            .map_err(err("prepare the outbox insert"))?;
        let upsert_check_in = tx
            .prepare(
                "INSERT INTO check_ins (kiosk_id, check_in_id, last_seq, visit_date, outcome, \
                 handoff_reason, verification, counts_toward_usage_rate, open_handoff, \
                 reception_number, patient_key, check_in) \
                 VALUES ($1, $2, $3, $4::text::date, $5, $6, $7, $8, $9, $10, $11, $12::text::jsonb) \
                 ON CONFLICT (kiosk_id, check_in_id) DO UPDATE SET \
                 last_seq = EXCLUDED.last_seq, visit_date = EXCLUDED.visit_date, \
                 outcome = EXCLUDED.outcome, handoff_reason = EXCLUDED.handoff_reason, \
                 verification = EXCLUDED.verification, \
                 counts_toward_usage_rate = EXCLUDED.counts_toward_usage_rate, \
                 open_handoff = EXCLUDED.open_handoff, \
                 reception_number = EXCLUDED.reception_number, \
                 patient_key = EXCLUDED.patient_key, check_in = EXCLUDED.check_in, \
                 updated_at = now() \
                 WHERE check_ins.last_seq < EXCLUDED.last_seq",
            )
            .map_err(err("prepare the check-in update"))?;
        let mut delivered = Delivered::default();
        for entry in &batch.entries {
            let mut message = entry.message.clone();
            message.check_in.patient = None;
            let c = &message.check_in;
            let payload = message.to_json();
            let check_in = serde_json::to_string(c).unwrap_or_default();
            let created_at = entry.created_at.to_rfc3339();
            let inserted = tx
                .execute(
                    &insert_entry,
                    &[
                        &kiosk_id,
                        &entry.outbox_id,
                        &entry.check_in_id,
                        &message.kind.as_str(),
                        &created_at,
                        &payload,
                    ],
                )
                .map_err(err("insert an outbox entry"))?;
            if inserted == 1 {
                delivered.new_entries += 1;
            } else {
                delivered.already_there += 1;
            }
            let open_handoff = c.outcome == "handed_to_staff" && c.resolution.is_none();
            let reception_number = c.reception_number.and_then(|n| i32::try_from(n).ok());
            tx.execute(
                &upsert_check_in,
                &[
                    &kiosk_id,
                    &entry.check_in_id,
                    &entry.outbox_id,
                    &c.visit_date,
                    &c.outcome,
                    &c.handoff_reason,
                    &c.verification,
                    &c.counts_toward_usage_rate,
                    &open_handoff,
                    &reception_number,
                    &entry.patient_key,
                    &check_in,
                ],
            )
            .map_err(err("update a check-in"))?;
        }
        // A name lives only on an open handoff nobody has decided yet: kept for the desks while
        // so, erased as soon as the kiosk or a desk closes it.
        let keep_name = tx
            .prepare(
                "INSERT INTO handoff_names (kiosk_id, check_in_id, name, kana) \
                 SELECT $1::text, $2::bigint, $3::text, $4::text WHERE EXISTS \
                   (SELECT 1 FROM check_ins WHERE kiosk_id = $1 AND check_in_id = $2 \
                    AND open_handoff) \
                 AND NOT EXISTS \
                   (SELECT 1 FROM resolutions WHERE kiosk_id = $1 AND check_in_id = $2) \
                 ON CONFLICT (kiosk_id, check_in_id) DO UPDATE \
                 SET name = EXCLUDED.name, kana = EXCLUDED.kana",
            )
            .map_err(err("prepare the name update"))?;
        for entry in &batch.entries {
            if let Some(p) = &entry.patient_name {
                tx.execute(
                    &keep_name,
                    &[&kiosk_id, &entry.check_in_id, &p.name, &p.kana],
                )
                .map_err(err("keep a handoff's name"))?;
            }
        }
        tx.execute(
            "DELETE FROM handoff_names n USING check_ins c \
             WHERE n.kiosk_id = $1 AND c.kiosk_id = n.kiosk_id \
               AND c.check_in_id = n.check_in_id AND NOT c.open_handoff",
            &[&kiosk_id],
        )
        .map_err(err("erase the names of closed handoffs"))?;
        // As at the kiosk, a handoff nobody closed loses its name when its visit day is over
        // (any kiosk's: the day in Japan, from this kiosk's clock).
        let today = crate::dates::now()
            .with_timezone(&crate::rules::JST)
            .format("%Y-%m-%d")
            .to_string();
        tx.execute(
            "DELETE FROM handoff_names n USING check_ins c \
             WHERE c.kiosk_id = n.kiosk_id AND c.check_in_id = n.check_in_id \
               AND c.visit_date < $1::text::date",
            &[&today],
        )
        .map_err(err("erase the names of earlier days"))?;
        if !batch.audit.is_empty() {
            let insert_audit = tx
                .prepare(
                    "INSERT INTO audit_entries \
                     (kiosk_id, seq, at, actor, action, check_in_id, detail) \
                     VALUES ($1, $2, $3::text::timestamptz, $4, $5, $6, $7) \
                     ON CONFLICT (kiosk_id, seq) DO NOTHING",
                )
                .map_err(err("prepare the audit insert"))?;
            for a in &batch.audit {
                let at = a.at.to_rfc3339();
                delivered.new_audit +=
                    tx.execute(
                        &insert_audit,
                        &[
                            &kiosk_id,
                            &a.id,
                            &at,
                            &a.actor,
                            &a.action,
                            &a.check_in_id,
                            &a.detail,
                        ],
                    )
                    .map_err(err("insert an audit entry"))? as usize;
            }
        }
        tx.execute("SELECT pg_notify($1, $2)", &[&NOTIFY_CHANNEL, &kiosk_id])
            .map_err(err("notify the consoles"))?;
        tx.commit().map_err(err("commit a delivery"))?;
        Ok(delivered)
    }

    /// Each kiosk's check-ins with a visit date from `first` to `last` (inclusive, `YYYY-MM-DD`),
    /// as report rows, kiosks by id. A row whose JSON this build cannot read fails the report,
    /// naming the kiosk and check-in (never counted wrong in silence).
    pub fn report_rows(&mut self, first: &str, last: &str) -> Result<Vec<KioskRows>, CentralError> {
        let rows = self
            .client
            .query(
                "SELECT k.kiosk_id, k.kiosk_name, c.check_in_id, c.check_in::text, c.patient_key \
                 FROM kiosks k LEFT JOIN check_ins c ON c.kiosk_id = k.kiosk_id \
                   AND c.visit_date BETWEEN $1::text::date AND $2::text::date \
                 ORDER BY k.kiosk_id, c.check_in_id",
                &[&first, &last],
            )
            .map_err(self.sql("read the check-ins of the month"))?;
        let mut out: Vec<KioskRows> = Vec::new();
        for row in rows {
            let kiosk_id: String = row.get(0);
            if out.last().is_none_or(|k| k.kiosk_id != kiosk_id) {
                out.push(KioskRows {
                    kiosk_id: kiosk_id.clone(),
                    kiosk_name: row.get(1),
                    rows: Vec::new(),
                });
            }
            let Some(check_in_id) = row.get::<_, Option<i64>>(2) else {
                continue;
            };
            let json: String = row.get(3);
            let bad = || CentralError::Sql {
                url: self.url.clone(),
                what: "read a check-in",
                detail: format!(
                    "kiosk {kiosk_id} check-in {check_in_id}: not a check-in this build reads"
                ),
            };
            let c: crate::outbox::CheckInV1 = serde_json::from_str(&json).map_err(|_| bad())?;
            let r = ReportRow::of_wire(&c, row.get(4)).ok_or_else(bad)?;
            if let Some(k) = out.last_mut() {
                k.rows.push(r);
            }
        }
        Ok(out)
    }
}

/// What became of a desk's decision on a handoff ([`Central::resolve`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeskOutcome {
    /// Recorded: this desk decided first. The kiosk records it in its own store next.
    Recorded,
    /// Another desk decided first: its staff, desk and when (RFC 3339). Nothing was changed.
    AlreadyDecided {
        staff: String,
        desk: String,
        at: String,
    },
    /// The central database holds no open handoff with that id (closed at the kiosk, or never
    /// a handoff).
    NotOpen,
}

/// A desk's decision the kiosk has still to record in its own store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingResolution {
    pub check_in_id: i64,
    pub resolution: crate::domain::HandoffResolution,
    pub counts_toward_usage_rate: bool,
    /// The desk it was decided at (the console's `--desk` name).
    pub desk: String,
}

/// How the kiosk recorded a desk's decision (`resolutions.applied_as`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Recorded,
    /// Staff at the kiosk had closed the handoff already: the kiosk's resolution stands (the
    /// kiosk owns its check-ins).
    ClosedAtTheKioskFirst,
    NotAHandoff,
}

impl Applied {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Recorded => "recorded",
            Self::ClosedAtTheKioskFirst => "closed_at_the_kiosk_first",
            Self::NotAHandoff => "not_a_handoff",
        }
    }
}

/// An open handoff of any kiosk, as a desk's queue lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenHandoff {
    pub kiosk_id: String,
    pub kiosk_name: String,
    pub check_in_id: i64,
    pub reception_number: Option<i32>,
    /// `HandoffReason::as_str`.
    pub reason: Option<String>,
    /// When the check-in ended at the kiosk, RFC 3339.
    pub finished_at: String,
    /// The patient's name and reading, while the handoff is open.
    pub name: Option<String>,
    pub kana: Option<String>,
}

impl Central {
    /// A desk's decision on kiosk `kiosk_id`'s handoff `check_in_id`, made by
    /// `resolution.staff` at `desk`. One transaction: the check-in's row is locked, so of two
    /// desks deciding at once the first records and the second is told who did; the patient's
    /// name is erased centrally in the same commit; both are audited (`desk_audit`:
    /// `handoff_resolved`, `handoff_resolution_refused`) and the consoles notified.
    pub fn resolve(
        &mut self,
        kiosk_id: &str,
        check_in_id: i64,
        resolution: &crate::domain::HandoffResolution,
        counts_toward_usage_rate: bool,
        desk: &str,
    ) -> Result<DeskOutcome, CentralError> {
        let url = self.url.clone();
        let err = |what: &'static str| sql_error(&url, what);
        let json = serde_json::to_string(resolution).unwrap_or_default();
        let staff = resolution.staff.as_str();
        let mut tx = self
            .client
            .transaction()
            .map_err(err("begin a resolution"))?;
        let open: Option<bool> = tx
            .query_opt(
                "SELECT open_handoff FROM check_ins WHERE kiosk_id = $1 AND check_in_id = $2 \
                 FOR UPDATE",
                &[&kiosk_id, &check_in_id],
            )
            .map_err(err("lock the check-in"))?
            .map(|r| r.get(0));
        let inserted = if open == Some(true) {
            tx.query_opt(
                "INSERT INTO resolutions (kiosk_id, check_in_id, resolution, \
                 counts_toward_usage_rate, staff, desk) \
                 VALUES ($1, $2, $3::text::jsonb, $4, $5, $6) \
                 ON CONFLICT (kiosk_id, check_in_id) DO NOTHING RETURNING id",
                &[
                    &kiosk_id,
                    &check_in_id,
                    &json,
                    &counts_toward_usage_rate,
                    &staff,
                    &desk,
                ],
            )
            .map_err(err("record the resolution"))?
            .is_some()
        } else {
            false
        };
        let outcome = if inserted {
            tx.execute(
                "DELETE FROM handoff_names WHERE kiosk_id = $1 AND check_in_id = $2",
                &[&kiosk_id, &check_in_id],
            )
            .map_err(err("erase the name"))?;
            DeskOutcome::Recorded
        } else {
            match tx
                .query_opt(
                    "SELECT staff, desk, to_char(decided_at AT TIME ZONE 'Asia/Tokyo', \
                     'YYYY-MM-DD\"T\"HH24:MI:SS\"+09:00\"') \
                     FROM resolutions WHERE kiosk_id = $1 AND check_in_id = $2",
                    &[&kiosk_id, &check_in_id],
                )
                .map_err(err("read the first resolution"))?
            {
                Some(r) => DeskOutcome::AlreadyDecided {
                    staff: r.get(0),
                    desk: r.get(1),
                    at: r.get(2),
                },
                None => DeskOutcome::NotOpen,
            }
        };
        let (action, detail_text) = match &outcome {
            DeskOutcome::Recorded => (
                "handoff_resolved",
                format!("closed as {}", resolution.closed_as.as_str()),
            ),
            DeskOutcome::AlreadyDecided { staff, desk, at } => (
                "handoff_resolution_refused",
                format!("already decided by {staff} at {desk} at {at}"),
            ),
            DeskOutcome::NotOpen => (
                "handoff_resolution_refused",
                "not an open handoff".to_owned(),
            ),
        };
        tx.execute(
            "INSERT INTO desk_audit (actor, desk, action, kiosk_id, check_in_id, detail) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &staff,
                &desk,
                &action,
                &kiosk_id,
                &check_in_id,
                &detail_text,
            ],
        )
        .map_err(err("audit the resolution"))?;
        tx.execute("SELECT pg_notify($1, $2)", &[&NOTIFY_CHANNEL, &kiosk_id])
            .map_err(err("notify the consoles"))?;
        tx.commit().map_err(err("commit the resolution"))?;
        Ok(outcome)
    }

    /// The desks' decisions kiosk `kiosk_id` has not recorded yet, in the order they were made.
    pub fn pending_resolutions(
        &mut self,
        kiosk_id: &str,
    ) -> Result<Vec<PendingResolution>, CentralError> {
        let rows = self
            .client
            .query(
                "SELECT check_in_id, resolution::text, counts_toward_usage_rate, desk \
                 FROM resolutions WHERE kiosk_id = $1 AND applied_at IS NULL ORDER BY id",
                &[&kiosk_id],
            )
            .map_err(self.sql("read the desks' resolutions"))?;
        let mut out = Vec::new();
        for r in rows {
            let json: String = r.get(1);
            let check_in_id: i64 = r.get(0);
            let resolution = serde_json::from_str(&json).map_err(|e| CentralError::Sql {
                url: self.url.clone(),
                what: "read a desk's resolution",
                detail: format!("kiosk {kiosk_id} check-in {check_in_id}: {e}"),
            })?;
            out.push(PendingResolution {
                check_in_id,
                resolution,
                counts_toward_usage_rate: r.get(2),
                desk: r.get(3),
            });
        }
        Ok(out)
    }

    /// Records that the kiosk recorded (or could not record) a desk's decision; audited when
    /// it could not.
    pub fn mark_applied(
        &mut self,
        kiosk_id: &str,
        check_in_id: i64,
        applied: Applied,
    ) -> Result<(), CentralError> {
        let url = self.url.clone();
        let err = |what: &'static str| sql_error(&url, what);
        let mut tx = self.client.transaction().map_err(err("begin"))?;
        tx.execute(
            "UPDATE resolutions SET applied_at = clock_timestamp(), applied_as = $3 \
             WHERE kiosk_id = $1 AND check_in_id = $2 AND applied_at IS NULL",
            &[&kiosk_id, &check_in_id, &applied.as_str()],
        )
        .map_err(err("mark a resolution recorded"))?;
        if applied != Applied::Recorded {
            tx.execute(
                "INSERT INTO desk_audit (actor, desk, action, kiosk_id, check_in_id, detail) \
                 SELECT 'kiosk', desk, 'handoff_resolution_not_recorded', kiosk_id, \
                 check_in_id, $3 FROM resolutions WHERE kiosk_id = $1 AND check_in_id = $2",
                &[&kiosk_id, &check_in_id, &applied.as_str()],
            )
            .map_err(err("audit a resolution the kiosk did not record"))?;
        }
        tx.execute("SELECT pg_notify($1, $2)", &[&NOTIFY_CHANNEL, &kiosk_id])
            .map_err(err("notify the consoles"))?;
        tx.commit().map_err(err("commit"))?;
        Ok(())
    }

    /// Every kiosk's open handoffs no desk has decided yet, oldest first, with the patient's
    /// name while open: the desks' queue.
    pub fn open_handoffs(&mut self) -> Result<Vec<OpenHandoff>, CentralError> {
        let rows = self
            .client
            .query(
                "SELECT c.kiosk_id, k.kiosk_name, c.check_in_id, c.reception_number, \
                 c.handoff_reason, c.check_in->>'finished_at', n.name, n.kana \
                 FROM check_ins c JOIN kiosks k ON k.kiosk_id = c.kiosk_id \
                 LEFT JOIN handoff_names n \
                   ON n.kiosk_id = c.kiosk_id AND n.check_in_id = c.check_in_id \
                 WHERE c.open_handoff AND NOT EXISTS (SELECT 1 FROM resolutions r \
                   WHERE r.kiosk_id = c.kiosk_id AND r.check_in_id = c.check_in_id) \
                 ORDER BY c.check_in->>'finished_at', c.kiosk_id, c.check_in_id",
                &[],
            )
            .map_err(self.sql("read the open handoffs"))?;
        Ok(rows
            .iter()
            .map(|r| OpenHandoff {
                kiosk_id: r.get(0),
                kiosk_name: r.get(1),
                check_in_id: r.get(2),
                reception_number: r.get(3),
                reason: r.get(4),
                finished_at: r.get::<_, Option<String>>(5).unwrap_or_default(),
                name: r.get(6),
                kana: r.get(7),
            })
            .collect())
    }
}

/// A TLS connector that trusts only the certificate authorities in the PEM file `ca`.
fn tls(ca: &std::path::Path) -> Result<tokio_postgres_rustls::MakeRustlsConnect, CentralError> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject as _;
    let bad = |detail: String| {
        CentralError::Settings(format!("central.ca_file {}: {detail}", ca.display()))
    };
    let mut roots = rustls::RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(ca).map_err(|e| bad(e.to_string()))?;
    for cert in certs {
        let cert = cert.map_err(|e| bad(e.to_string()))?;
        roots.add(cert).map_err(|e| bad(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(bad("holds no certificate".to_owned()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}
