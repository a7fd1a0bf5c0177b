//! The kiosk staff mode's adapter: carries `StaffCommand`s to the store and the password hasher
//! and brings `StaffInput`s back. Runs on a worker thread (argon2 takes tens of milliseconds).
//!
//! Owns: how a kiosk PIN is checked (lock first, then the hash, then the count), which handoffs
//! a visual check at this kiosk may close. Must not know: Slint, SQL.

use chrono::{DateTime, FixedOffset};

use crate::desk::{self, DeskAction, KioskAnswers, KioskVisualCheck};
use crate::flow::staff_mode::{
    PendingVisualCheck, PinRefusal, StaffCommand, StaffInput, VisualCheckOutcome,
};
use crate::password;
use crate::rules::{FacilityConfig, Rules};
use crate::staff::{KioskStaff, SignInPolicy, StaffPin};
use crate::store::{ChangeWatch, NewAuditEntry, Store, StoreError, watch_changes};

/// How often the kiosk asks whether the database changed (ms): a reopening from the console
/// shows on the kiosk within about this long plus one store read.
pub const PAUSE_WATCH_EVERY_MS: u64 = 250;

/// Watches the database behind `store` for a change to whether `kiosk` is closed, made by
/// anyone (the console's 「受付機を再開する」, the kiosk's own panel, another process), and
/// calls `seen` with what the store then says (closed: `true`, and when staff expect to reopen
/// it). Staff mode takes it as `StaffInput::KioskPauseSeen` and decides whether anything
/// changed. Stops when the returned handle is dropped.
///
/// After every change to the database (each check-in too; commits within one
/// [`PAUSE_WATCH_EVERY_MS`] are one change) it reads the kiosk's pause row once, through the
/// store thread, and tells what it read, even when that is what it told last time: the watch
/// does not know what staff mode believes. (It once told only what differed from its own last
/// word; a kiosk closed at its panel and reopened from the console within one look then read
/// "open" twice and said nothing, and the kiosk stayed closed.) A read that fails is logged
/// and the next change tries again; staff mode also asks again every
/// `staff_mode::PAUSE_RECHECK_SECONDS` while the kiosk shows its closed screen.
pub fn watch_kiosk_pause(
    store: Store,
    kiosk: &str,
    seen: impl Fn(bool, Option<DateTime<FixedOffset>>) + Send + 'static,
) -> Result<ChangeWatch, StoreError> {
    let path = store.path().to_owned();
    let kiosk = kiosk.to_owned();
    watch_changes(
        &path,
        std::time::Duration::from_millis(PAUSE_WATCH_EVERY_MS),
        move || {
            match store.kiosk_pause(&kiosk) {
                Ok(pause) => {
                    seen(pause.is_some(), pause.and_then(|p| p.reopens_at));
                }
                Err(e) => tracing::warn!(error = %e, "cannot read whether this kiosk is closed"),
            }
            true
        },
    )
}

pub struct KioskStaffDesk {
    store: Store,
    rules: Rules,
    kiosk: String,
    policy: SignInPolicy,
}

impl KioskStaffDesk {
    pub fn new(store: Store, rules: Rules, facility: &FacilityConfig) -> KioskStaffDesk {
        KioskStaffDesk {
            store,
            rules,
            kiosk: facility.kiosk_name.clone(),
            policy: SignInPolicy::from_settings(&facility.console),
        }
    }

    /// Carries out one command; the answer goes back to staff mode.
    pub fn answer(&self, command: StaffCommand, now: DateTime<FixedOffset>) -> StaffInput {
        match command {
            StaffCommand::LoadRoster(ticket) => {
                StaffInput::Roster(ticket, self.store.kiosk_staff().map_err(|e| e.to_string()))
            }
            StaffCommand::CheckPin(ticket, login, pin) => {
                StaffInput::PinChecked(ticket, self.check_pin(&login, &pin, now))
            }
            StaffCommand::LoadChecks(ticket) => {
                StaffInput::Checks(ticket, self.pending_visual_checks())
            }
            StaffCommand::ConfirmVisualCheck {
                ticket,
                check_in_id,
                login,
                answers,
            } => StaffInput::Confirmed(
                ticket,
                self.confirm_visual_check(check_in_id, &login, answers, now),
            ),
            StaffCommand::SetKioskPaused {
                ticket,
                login,
                paused,
                reopens_at,
            } => {
                let recorded = if paused {
                    self.store.pause_kiosk(&self.kiosk, &login, reopens_at, now)
                } else {
                    self.store.set_kiosk_paused(&self.kiosk, &login, false, now)
                };
                StaffInput::KioskPausedSet(
                    ticket,
                    recorded.map(|()| paused).map_err(|e| e.to_string()),
                )
            }
            StaffCommand::ReadKioskPause => match self.store.kiosk_pause(&self.kiosk) {
                Ok(pause) => StaffInput::KioskPauseSeen {
                    paused: pause.is_some(),
                    reopens_at: pause.and_then(|p| p.reopens_at),
                },
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read whether this kiosk is closed");
                    // Nothing learnt; the next look asks again.
                    StaffInput::Tick
                }
            },
            StaffCommand::Closed { login, why } => {
                if let Err(e) =
                    self.store
                        .record_staff_mode_closed(&login, &self.kiosk, why.as_str(), now)
                {
                    tracing::error!(error = %e, "cannot record that staff mode closed");
                }
                StaffInput::ClosingRecorded
            }
        }
    }

    /// A locked PIN is refused without looking at the digits; a wrong one is counted (and
    /// locks at the policy's limit); the right one resets the count. Every outcome is audited.
    fn check_pin(
        &self,
        login: &str,
        pin: &StaffPin,
        now: DateTime<FixedOffset>,
    ) -> Result<KioskStaff, PinRefusal> {
        let record = match self.store.kiosk_pin(login) {
            Ok(Some(record)) => record,
            Ok(None) => return Err(PinRefusal::NoPin),
            Err(e) => {
                tracing::error!(error = %e, "cannot read the kiosk PIN");
                return Err(PinRefusal::NoPin);
            }
        };
        if let Some(until) = record.locked_until
            && until > now
        {
            return Err(PinRefusal::Locked { until });
        }
        if !password::verify(pin.digits(), &record.pin_hash) {
            let after = self.policy.after_pin_failure(&record, now);
            if let Err(e) = self
                .store
                .record_kiosk_pin_failure(login, &self.kiosk, after, now)
            {
                tracing::error!(error = %e, "cannot record a wrong kiosk PIN");
            }
            return Err(match after.locked_until {
                Some(until) if until > now => PinRefusal::Locked { until },
                _ => PinRefusal::Wrong {
                    tries_before_lock: self
                        .policy
                        .lockout_after_failures
                        .saturating_sub(after.failed_logins),
                },
            });
        }
        if let Err(e) = self.store.record_staff_mode_opened(login, &self.kiosk, now) {
            tracing::error!(error = %e, "cannot record that staff mode opened");
        }
        Ok(record.staff)
    }

    /// Open handoffs from this kiosk whose first offered action is a visual check (PIN guard,
    /// blocked card, reader out of service), newest first.
    fn pending_visual_checks(&self) -> Result<Vec<PendingVisualCheck>, String> {
        let open = self.store.open_handoffs().map_err(|e| e.to_string())?;
        let mut checks: Vec<PendingVisualCheck> = open
            .into_iter()
            .filter(|h| h.record.kiosk == self.kiosk)
            .filter_map(|h| {
                let reason = h.record.outcome.handoff_reason()?;
                if desk::actions_for(reason)[0] != DeskAction::VisualCheck {
                    return None;
                }
                Some(PendingVisualCheck {
                    check_in_id: h.id,
                    reception_number: h.reception_number,
                    reason,
                    handed_over_at: h.record.finished_at,
                    name: h.record.patient_name,
                })
            })
            .collect();
        checks.sort_by_key(|c| std::cmp::Reverse(c.handed_over_at));
        Ok(checks)
    }

    /// Stores what `desk::kiosk_visual_check` decides from staff's answers: both seen, the
    /// handoff closes exactly as the console's visual check does; the photo alone, it stays
    /// open for the desk (not counted) and the audit log says what staff saw
    /// (`kiosk_photo_compared`).
    fn confirm_visual_check(
        &self,
        check_in_id: i64,
        login: &str,
        answers: KioskAnswers,
        now: DateTime<FixedOffset>,
    ) -> Result<VisualCheckOutcome, String> {
        let check_in = self
            .store
            .check_in(check_in_id)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no check-in {check_in_id}"))?;
        let decided =
            desk::kiosk_visual_check(&self.rules, &check_in, answers, &self.kiosk, login, now)
                .map_err(|errors| {
                    errors
                        .iter()
                        .map(|e| e.english.clone())
                        .collect::<Vec<_>>()
                        .join(" ")
                })?;
        match decided {
            KioskVisualCheck::Close(decision) => {
                self.store
                    .resolve_handoff(
                        check_in_id,
                        &decision.resolution,
                        decision.counts_toward_usage_rate,
                    )
                    .map_err(|e| e.to_string())?;
                Ok(VisualCheckOutcome::Recorded(check_in.reception_number))
            }
            KioskVisualCheck::LeaveForDesk { note } => {
                self.store
                    .append_audit(&NewAuditEntry {
                        at: now,
                        actor: login.to_owned(),
                        action: "kiosk_photo_compared".to_owned(),
                        check_in_id: Some(check_in_id),
                        detail: format!("kiosk={} {note}", self.kiosk),
                    })
                    .map_err(|e| e.to_string())?;
                Ok(VisualCheckOutcome::LeftForDesk(check_in.reception_number))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use crate::datetime;

    use super::*;

    /// The watch tells what the store says after every change, even the same word twice: it
    /// cannot know what staff mode believes (the kiosk closes itself through its own panel), so
    /// staff mode decides. A kiosk closed at its panel and reopened from the console before
    /// the watch looked again reads "open" as before; told nothing, it stayed closed.
    #[test]
    fn the_pause_watch_tells_the_stores_word_after_every_change_even_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("k.db")).unwrap();
        let (told, seen) = mpsc::channel();
        let _watch = watch_kiosk_pause(store.clone(), "kiosk-1", move |paused, reopens_at| {
            let _ = told.send((paused, reopens_at));
        })
        .unwrap();
        let t0 = datetime!(2026-11-22 12:00 +09:00);
        let cap = Duration::from_secs(10);
        // Two changes that leave this kiosk open (another kiosk closes and reopens).
        for paused in [true, false] {
            store.set_kiosk_paused("other", "sato", paused, t0).unwrap();
            assert_eq!(seen.recv_timeout(cap), Ok((false, None)));
        }
        store
            .pause_kiosk(
                "kiosk-1",
                "sato",
                Some(datetime!(2026-11-22 12:30 +09:00)),
                t0,
            )
            .unwrap();
        assert_eq!(
            seen.recv_timeout(cap),
            Ok((true, Some(datetime!(2026-11-22 12:30 +09:00))))
        );
        // Staff mode's own look (every few seconds on the closed screen) reads the same row.
        let desk = KioskStaffDesk::new(store, Rules::embedded(), &FacilityConfig::default());
        assert_eq!(
            desk.answer(StaffCommand::ReadKioskPause, t0),
            StaffInput::KioskPauseSeen {
                paused: true,
                reopens_at: Some(datetime!(2026-11-22 12:30 +09:00)),
            }
        );
    }
}
