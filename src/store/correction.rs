//! The SQL behind a same-day correction of a closed handoff (「記録を訂正する」): the new
//! resolution, the check-in's method and usage-rate flag, an audit entry with the before and
//! after, and an outbox entry, all in one transaction.
//!
//! Owns: rewriting a closed handoff row. Must not know: who may correct, when, or whether the
//! new method counts (`desk::decide_correction` decides; this stores what it decided).

use rusqlite::{OptionalExtension, TransactionBehavior, named_params};

use super::StoreError;
use super::codec;
use super::db::{Db, check_in_by_id, insert_audit, insert_outbox, sql_err, unstorable};
use crate::domain::{ClosedAs, HandoffResolution};

impl Db {
    /// Replaces the resolution of the closed handoff `check_in_id`, provided it is still the
    /// one recorded at `before_resolved_at` (another correction in between:
    /// [`StoreError::ResolutionChanged`]; an open handoff: the same). Writes `resolution` and
    /// `counts_toward_usage_rate` (false without a method) as a first resolution would, and
    /// audits `handoff_corrected` as `resolution.staff` with the method, count and staff before
    /// and after and the `reason`.
    pub fn correct_handoff(
        &mut self,
        check_in_id: i64,
        before_resolved_at: chrono::DateTime<chrono::FixedOffset>,
        resolution: &HandoffResolution,
        counts_toward_usage_rate: bool,
        reason: &str,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let path = &path;
        let at =
            codec::instant("correction time", resolution.resolved_at).map_err(unstorable(path))?;
        let expected = codec::instant("corrected resolution time", before_resolved_at)
            .map_err(unstorable(path))?;
        let (verification, identity, read_off) = match &resolution.closed_as {
            ClosedAs::Verified {
                verification,
                identity,
                read_off,
            } => (
                Some(verification.as_str()),
                codec::opt_name("resolution identity", *identity).map_err(unstorable(path))?,
                read_off.as_ref(),
            ),
            ClosedAs::Unresolved | ClosedAs::Cancelled => (None, None, None),
        };
        let valid_until = read_off
            .and_then(|n| n.valid_until)
            .map(|d| codec::date("valid until", d))
            .transpose()
            .map_err(unstorable(path))?;
        let counts_toward_usage_rate = counts_toward_usage_rate && verification.is_some();

        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_err(path, "begin handoff correction"))?;
        type Before = (String, Option<String>, Option<String>, Option<String>, bool);
        let before: Option<Before> = tx
            .prepare_cached(
                "SELECT h.closed_as, h.staff, h.resolved_at, c.verification, \
                 c.counts_toward_usage_rate \
                 FROM handoffs h JOIN check_ins c ON c.id = h.check_in_id \
                 WHERE h.check_in_id = ?1 AND h.resolved_at IS NOT NULL",
            )
            .and_then(|mut s| {
                s.query_row([check_in_id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .optional()
            })
            .map_err(sql_err(path, "read handoff to correct"))?;
        let changed = || StoreError::ResolutionChanged {
            path: path.clone(),
            id: check_in_id,
        };
        let Some((
            closed_before,
            staff_before,
            resolved_before,
            verification_before,
            counted_before,
        )) = before
        else {
            return Err(changed());
        };
        if resolved_before.as_deref() != Some(expected.as_str()) {
            return Err(changed());
        }
        tx.prepare_cached(
            "UPDATE handoffs SET closed_as = :closed_as, verification = :verification, \
             identity = :identity, note = :note, staff = :staff, resolved_at = :resolved_at, \
             insurer_number = :insurer_number, insured_symbol = :symbol, \
             insured_number = :number, insured_branch = :branch, burden_ratio = :ratio, \
             valid_until = :valid_until \
             WHERE check_in_id = :id AND resolved_at = :expected",
        )
        .and_then(|mut s| {
            s.execute(named_params! {
                ":closed_as": resolution.closed_as.as_str(),
                ":verification": verification,
                ":identity": identity,
                ":note": resolution.note,
                ":staff": resolution.staff,
                ":resolved_at": at,
                ":insurer_number": read_off.map(|n| n.insurer_number.as_str()),
                ":symbol": read_off.and_then(|n| n.symbol.as_deref()),
                ":number": read_off.map(|n| n.number.as_str()),
                ":branch": read_off.and_then(|n| n.branch.as_deref()),
                ":ratio": read_off.and_then(|n| n.burden_ratio).map(|r| r.0),
                ":valid_until": valid_until,
                ":id": check_in_id,
                ":expected": expected,
            })
        })
        .map_err(sql_err(path, "record handoff correction"))?;
        tx.prepare_cached(
            "UPDATE check_ins SET verification = ?1, counts_toward_usage_rate = ?2 WHERE id = ?3",
        )
        .and_then(|mut s| s.execute((verification, counts_toward_usage_rate, check_in_id)))
        .map_err(sql_err(path, "update corrected check-in verification"))?;
        super::patient_keys::refresh(&tx, path, &self.secret, check_in_id)?;

        let detail = format!(
            "closed_as={closed_before}->{} verification={}->{} \
             counts_toward_usage_rate={counted_before}->{counts_toward_usage_rate} \
             staff={}->{} reason={reason}",
            resolution.closed_as.as_str(),
            verification_before.as_deref().unwrap_or("-"),
            verification.unwrap_or("-"),
            staff_before.as_deref().unwrap_or("-"),
            resolution.staff,
        );
        insert_audit(
            &tx,
            &at,
            &resolution.staff,
            "handoff_corrected",
            Some(check_in_id),
            &detail,
        )
        .map_err(sql_err(path, "append audit entry"))?;

        let stored = check_in_by_id(&tx, path, check_in_id, "read corrected check-in")?
            .ok_or_else(changed)?;
        insert_outbox(
            &tx,
            path,
            crate::outbox::Kind::HandoffCorrected,
            &stored,
            &at,
        )?;
        tx.commit()
            .map_err(sql_err(path, "commit handoff correction"))?;
        tracing::info!(check_in_id, "handoff corrected");
        Ok(())
    }
}
