//! The clinic's department list from ORCA (`system01lstv2` Request_Number 01, integration note
//! §2.3; ORCA-systemkanri), cached in the store (`department_list`) so the kiosk's department
//! question has names while ORCA is down. A failed fetch keeps the cached list and says why,
//! naming ORCA's URL; it never blocks a check-in.

use chrono::{DateTime, FixedOffset};

use super::OrcaClient;
use crate::departments::{Department, from_pairs};
use crate::rules::{FacilityConfig, JST};
use crate::store::{CachedDepartments, Store};

/// Fetches ORCA's departments for the day of `now` (Japan) and replaces the cached list.
/// Returns how many were cached.
///
/// Errors: ORCA did not answer, answered an error code, or listed nothing, or the store failed;
/// the message names ORCA's URL (for the technician), and the cached list is left as it was.
pub fn refresh(
    client: &OrcaClient,
    store: &Store,
    now: DateTime<FixedOffset>,
) -> Result<usize, String> {
    let base_date = now.with_timezone(&JST).date_naive().to_string();
    let outcome = match client.departments(&base_date) {
        Ok(pairs) => {
            let listed: Vec<Department> = from_pairs(
                pairs
                    .into_iter()
                    .filter(|(code, name)| !code.trim().is_empty() && !name.trim().is_empty()),
            );
            if listed.is_empty() {
                Err(format!(
                    "ORCA at {} listed no departments (system01lstv2); the cached list is kept",
                    client.url()
                ))
            } else {
                let n = listed.len();
                store
                    .save_department_list(listed, now)
                    .map(|()| n)
                    .map_err(|e| format!("the department list from ORCA could not be cached: {e}"))
            }
        }
        Err(e) => Err(format!(
            "ORCA at {} did not give its department list (system01lstv2): {e}; the cached list \
             is kept",
            client.url()
        )),
    };
    match &outcome {
        Ok(n) => tracing::info!(
            url = client.url(),
            departments = n,
            "department list refreshed from ORCA"
        ),
        Err(why) => tracing::warn!(url = client.url(), "{why}"),
    }
    outcome
}

/// Whether the cached list is a day old or older (or absent): the kiosk refreshes it then.
pub fn refresh_due(cached: Option<&CachedDepartments>, now: DateTime<FixedOffset>) -> bool {
    refresh_due_at(cached.map(|c| c.fetched_at), now)
}

/// As [`refresh_due`], from the cached list's `fetched_at` alone (`None`: nothing cached).
pub fn refresh_due_at(
    fetched_at: Option<DateTime<FixedOffset>>,
    now: DateTime<FixedOffset>,
) -> bool {
    fetched_at.is_none_or(|at| now - at >= chrono::TimeDelta::days(1))
}

/// The departments the kiosk's question lists: the facility file's own `departments` when it
/// lists any; otherwise, where ORCA is configured, ORCA's cached list restricted to the codes
/// `orca.departments` gives a doctor for (a reception needs one), in ORCA's order. Empty: no
/// question (one configured ORCA department is then the worker's default).
pub fn kiosk_departments(
    facility: &FacilityConfig,
    cached: Option<&CachedDepartments>,
) -> Vec<Department> {
    if !facility.departments.is_empty() {
        return facility.departments.clone();
    }
    match (&facility.orca, cached) {
        (Some(orca), Some(cached)) => cached
            .departments
            .iter()
            .filter(|d| orca.departments.contains_key(&d.code))
            .cloned()
            .collect(),
        _ => Vec::new(),
    }
}

/// The facility configuration the kiosk's flow runs with: the facility file's, with ORCA's
/// cached department list (see [`kiosk_departments`]) when the file lists none and names an
/// ORCA. Reads the store only, never ORCA, so a kiosk starts at once while ORCA is down; a list
/// refreshed later is asked from the next start.
pub fn with_cached_departments(mut facility: FacilityConfig, store: &Store) -> FacilityConfig {
    if facility.departments.is_empty() && facility.orca.is_some() {
        match store.department_list() {
            Ok(cached) => facility.departments = kiosk_departments(&facility, cached.as_ref()),
            Err(e) => tracing::warn!(
                error = %e,
                "the cached department list cannot be read: no department question"
            ),
        }
    }
    facility
}
