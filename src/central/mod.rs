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

    fn sql(&self, what: &'static str) -> impl FnOnce(postgres::Error) -> CentralError + '_ {
        move |e| CentralError::Sql {
            url: self.url.clone(),
            what,
            detail: detail(&e),
        }
    }

    /// The URL without a password.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Brings the central schema up to this build's version; returns the version found before.
    /// Refuses a database newer than this build.
    pub fn migrate(&mut self) -> Result<i32, CentralError> {
        let url = self.url.clone();
        let err = |what: &'static str| {
            let url = url.clone();
            move |e: postgres::Error| CentralError::Sql {
                url,
                what,
                detail: detail(&e),
            }
        };
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
        let err = |what: &'static str| {
            let url = url.clone();
            move |e: postgres::Error| CentralError::Sql {
                url,
                what,
                detail: detail(&e),
            }
        };
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
