//! The people behind the desk: staff accounts, their roles, and when wrong passwords lock one.
//!
//! Owns: what an account is and the sign-in rules (which login names and passwords are
//! acceptable, when an account locks). Must not know: how passwords are hashed (the console),
//! SQL (the store), HTTP, the clock (every decision takes `now`).

use chrono::{DateTime, FixedOffset, TimeDelta};
use serde::{Deserialize, Serialize};

/// What an account may do. Each role can do everything the one before it can.
///
/// | role | 日本語 | may |
/// |---|---|---|
/// | `staff` | スタッフ | the queue, resolving and correcting their own records the same day, the check-in list, the report, the audit log |
/// | `manager` | 管理者 | as staff; correct anyone's records the same day; add スタッフ accounts and unlock, disable, re-enable and reset the password of スタッフ accounts (and their own) |
/// | `technician` | 技術担当 | as a manager, for every account of every role, except disabling their own or the last technician |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reception: the handoff queue, resolving check-ins, the report, the audit log.
    Staff,
    /// The clinic's manager (管理者, often the office manager): all of the above, corrections
    /// of anyone's records, and the accounts of reception staff, without being a technician.
    Manager,
    /// Provisioning and support: all of the above, and every account.
    Technician,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Staff, Role::Manager, Role::Technician];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Manager => "manager",
            Role::Technician => "technician",
        }
    }

    /// The role as the console shows it: 「スタッフ」, 「管理者」, 「技術担当」.
    pub fn japanese(self) -> &'static str {
        match self {
            Role::Staff => "スタッフ",
            Role::Manager => "管理者",
            Role::Technician => "技術担当",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether the accounts page is theirs (managers: スタッフ accounts; technicians: all).
    pub fn manages_accounts(self) -> bool {
        matches!(self, Role::Manager | Role::Technician)
    }

    /// Whether they may correct a record someone else closed (same day still; see
    /// `desk::may_correct`).
    pub fn corrects_others_records(self) -> bool {
        matches!(self, Role::Manager | Role::Technician)
    }

    /// Whether they may add or change an account of `role`: a manager only スタッフ accounts,
    /// a technician every account.
    fn manages_role(self, role: Role) -> bool {
        match self {
            Role::Staff => false,
            Role::Manager => role == Role::Staff,
            Role::Technician => true,
        }
    }
}

/// A staff account as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffAccount {
    pub id: i64,
    /// What they type to sign in (lowercase letters, digits, `.`, `_`, `-`).
    pub login: String,
    /// How the console names them (any characters; always escaped when shown).
    pub display_name: String,
    pub role: Role,
    /// The argon2id hash in PHC form; never the password.
    pub password_hash: String,
    /// Wrong passwords since the last successful sign-in.
    pub failed_logins: u32,
    pub locked_until: Option<DateTime<FixedOffset>>,
    pub created_at: DateTime<FixedOffset>,
    /// Set while the account is disabled (its clerk left, 退職): it cannot sign in, at the
    /// console or the kiosk, and has no session. The row stays so the audit log names them.
    pub disabled_at: Option<DateTime<FixedOffset>>,
    /// The last successful console sign-in, `None` before the first.
    pub last_sign_in_at: Option<DateTime<FixedOffset>>,
}

impl StaffAccount {
    pub fn is_locked(&self, now: DateTime<FixedOffset>) -> bool {
        self.locked_until.is_some_and(|until| now < until)
    }

    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }
}

/// What a manager of accounts can do to one account from the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountChange {
    Unlock,
    /// The clerk left (退職): no more sign-ins, sessions end at once.
    Disable,
    /// Back in use (rehired, or disabled by mistake).
    Enable,
    /// A new password typed by the manager; sessions end at once.
    ResetPassword,
}

/// Why `actor` may not add an account of `role`, in the words shown to staff, or `None`.
///
/// A manager adds スタッフ accounts only; a technician adds any (the first technician comes
/// from `uketsuke staff add` or provisioning).
pub fn account_creation_refusal(actor: &StaffAccount, role: Role) -> Option<&'static str> {
    if !actor.role.manages_accounts() {
        return Some(NOT_A_MANAGER);
    }
    (!actor.role.manages_role(role))
        .then_some("管理者と技術担当のアカウントは、技術担当者だけが追加できます。")
}

const NOT_A_MANAGER: &str = "アカウントの管理は管理者か技術担当者だけができます。";

/// Why `actor` may not make `change` to `target`, in the words shown to staff, or `None`.
/// `active_technicians`: how many technician accounts are not disabled (`target` included).
///
/// A manager changes スタッフ accounts and their own (never disables it); only a technician
/// changes another manager's or a technician's account. Nobody disables their own account or
/// the last technician's (the facility would lose its last way in).
pub fn account_change_refusal(
    actor: &StaffAccount,
    target: &StaffAccount,
    change: AccountChange,
    active_technicians: usize,
) -> Option<&'static str> {
    if !actor.role.manages_accounts() {
        return Some(NOT_A_MANAGER);
    }
    if actor.id != target.id && !actor.role.manages_role(target.role) {
        return Some("管理者と技術担当のアカウントは、技術担当者だけが変更できます。");
    }
    match change {
        AccountChange::Disable if actor.id == target.id => {
            Some("自分のアカウントは無効にできません。")
        }
        AccountChange::Disable if target.is_disabled() => Some("すでに無効（退職）です。"),
        AccountChange::Disable if target.role == Role::Technician && active_technicians <= 1 => {
            Some("最後の技術担当のアカウントは無効にできません。")
        }
        AccountChange::Enable if !target.is_disabled() => Some("すでに有効です。"),
        AccountChange::Unlock
        | AccountChange::Disable
        | AccountChange::Enable
        | AccountChange::ResetPassword => None,
    }
}

/// A new account, its password already hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStaffAccount {
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
    pub created_at: DateTime<FixedOffset>,
    /// Who created it ("cli" for `uketsuke staff add`, or a technician's login).
    pub created_by: String,
}

/// A signed-in browser: the account, and the token every form of this session must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffSession {
    pub account: StaffAccount,
    pub csrf_token: String,
    pub expires_at: DateTime<FixedOffset>,
}

/// When wrong passwords lock an account, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInPolicy {
    pub lockout_after_failures: u32,
    pub lockout: TimeDelta,
    pub session: TimeDelta,
}

/// What a wrong password leaves behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AfterFailure {
    pub failed_logins: u32,
    /// Set when this failure locks the account.
    pub locked_until: Option<DateTime<FixedOffset>>,
}

impl SignInPolicy {
    /// The policy the facility configured for the console (and the kiosk PIN).
    pub fn from_settings(settings: &crate::rules::ConsoleSettings) -> SignInPolicy {
        SignInPolicy {
            lockout_after_failures: settings.lockout_after_failures,
            lockout: TimeDelta::minutes(i64::from(settings.lockout_minutes)),
            session: TimeDelta::minutes(i64::from(settings.session_minutes)),
        }
    }

    /// One more wrong password for `account` at `now`. The count starts again after a lock, so
    /// each further run of wrong passwords locks it again.
    pub fn after_failure(
        &self,
        account: &StaffAccount,
        now: DateTime<FixedOffset>,
    ) -> AfterFailure {
        self.count_failure(account.failed_logins, account.locked_until, now)
    }

    /// What a wrong kiosk PIN does: counted, and at the limit the PIN is locked (the
    /// console password is not: a stranger at the kiosk must not lock staff out of the desk).
    pub fn after_pin_failure(&self, pin: &KioskPin, now: DateTime<FixedOffset>) -> AfterFailure {
        self.count_failure(pin.failures, pin.locked_until, now)
    }

    fn count_failure(
        &self,
        failures_before: u32,
        locked_until: Option<DateTime<FixedOffset>>,
        now: DateTime<FixedOffset>,
    ) -> AfterFailure {
        let failed_logins = failures_before.saturating_add(1);
        if failed_logins >= self.lockout_after_failures {
            AfterFailure {
                failed_logins: 0,
                locked_until: Some(now + self.lockout),
            }
        } else {
            AfterFailure {
                failed_logins,
                locked_until,
            }
        }
    }
}

/// Why a login name cannot be used, or `None`.
pub fn login_problem(login: &str) -> Option<&'static str> {
    if login.is_empty() || login.len() > 64 {
        return Some("a login name has 1 to 64 characters");
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
    if !login.chars().all(allowed) {
        return Some("a login name uses only a-z, 0-9, '.', '_' and '-'");
    }
    None
}

/// [`login_problem`] in Japanese, for the console.
pub fn login_problem_japanese(login: &str) -> Option<&'static str> {
    login_problem(login).map(|_| {
        "ログイン名は1〜64文字の半角英小文字・数字で入力してください（「.」「_」「-」も使えます）"
    })
}

/// [`password_problem`] in Japanese, for the console.
pub fn password_problem_japanese(password: &str) -> Option<String> {
    password_problem(password).map(|_| {
        if password.chars().count() < MIN_PASSWORD_CHARS {
            format!("パスワードは{MIN_PASSWORD_CHARS}文字以上にしてください")
        } else {
            "パスワードの最初と最後に空白は使えません".to_owned()
        }
    })
}

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Why a password cannot be used, or `None`.
pub fn password_problem(password: &str) -> Option<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Some(format!(
            "a password has at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    if password.trim() != password {
        return Some("a password does not start or end with a space".to_owned());
    }
    None
}

/// A staff member's kiosk PIN as typed on the kiosk's staff pad: 6 to 8 digits. Never printed
/// (Debug shows stars), wiped when dropped; only its argon2id hash is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct StaffPin(String);

/// The fewest and most digits of a kiosk PIN.
pub const KIOSK_PIN_DIGITS: std::ops::RangeInclusive<usize> = 6..=8;

impl StaffPin {
    /// Accepts 6 to 8 ASCII digits.
    pub fn parse(digits: &str) -> Result<StaffPin, &'static str> {
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("a kiosk PIN has only digits");
        }
        if !KIOSK_PIN_DIGITS.contains(&digits.len()) {
            return Err("a kiosk PIN has 6 to 8 digits");
        }
        Ok(StaffPin(digits.to_owned()))
    }

    pub fn digits(&self) -> &str {
        &self.0
    }
}

impl Drop for StaffPin {
    fn drop(&mut self) {
        // Overwrite in place: the digits do not linger in freed memory.
        let wiped = "0".repeat(self.0.len());
        self.0.replace_range(.., &wiped);
    }
}

impl std::fmt::Debug for StaffPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StaffPin(******)")
    }
}

/// Someone who can open the kiosk's staff mode: an account with a kiosk PIN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskStaff {
    pub login: String,
    pub display_name: String,
}

/// What the store holds about an account's kiosk PIN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskPin {
    pub account_id: i64,
    pub staff: KioskStaff,
    pub pin_hash: String,
    pub failures: u32,
    pub locked_until: Option<DateTime<FixedOffset>>,
}

#[cfg(test)]
mod tests {
    use crate::datetime;

    use super::*;

    #[test]
    fn refusals_and_roles_have_japanese_words_for_the_console() {
        assert_eq!(Role::Staff.japanese(), "スタッフ");
        assert_eq!(Role::Manager.japanese(), "管理者");
        assert_eq!(Role::Technician.japanese(), "技術担当");
        assert!(login_problem_japanese("sato").is_none());
        for bad in ["", "Sato", "佐藤"] {
            assert!(
                login_problem_japanese(bad).unwrap().contains("ログイン名"),
                "{bad}"
            );
        }
        assert!(password_problem_japanese("correct horse").is_none());
        assert!(
            password_problem_japanese("short")
                .unwrap()
                .contains("10文字以上")
        );
        assert!(
            password_problem_japanese(" correct horse")
                .unwrap()
                .contains("空白")
        );
    }

    fn account(failed_logins: u32) -> StaffAccount {
        StaffAccount {
            id: 1,
            login: "sato".into(),
            display_name: "佐藤".into(),
            role: Role::Staff,
            password_hash: "$argon2id$...".into(),
            failed_logins,
            locked_until: None,
            created_at: datetime!(2026-11-01 09:00 +09:00),
            disabled_at: None,
            last_sign_in_at: None,
        }
    }

    fn with_role(id: i64, role: Role) -> StaffAccount {
        StaffAccount {
            id,
            role,
            ..account(0)
        }
    }

    /// Actor role × target role × change → allowed (`None`) or the refusal's words.
    #[test]
    fn who_may_change_which_account_table() {
        use AccountChange::{Disable, Enable, ResetPassword, Unlock};
        use Role::{Manager, Staff, Technician};
        const ANYONE: &str = "管理者か技術担当者だけ";
        const TECH: &str = "技術担当者だけが変更";
        const OWN: &str = "自分のアカウントは無効";
        const LAST: &str = "最後の技術担当";
        /// (actor, target, same person, target disabled, change, technicians, refusal)
        type Case = (
            Role,
            Role,
            bool,
            bool,
            AccountChange,
            usize,
            Option<&'static str>,
        );
        let table: &[Case] = &[
            // Staff change nothing, not even another clerk's lock.
            (Staff, Staff, false, false, Unlock, 2, Some(ANYONE)),
            (Staff, Staff, false, false, ResetPassword, 2, Some(ANYONE)),
            (Staff, Staff, true, false, ResetPassword, 2, Some(ANYONE)),
            (Staff, Technician, false, false, Disable, 2, Some(ANYONE)),
            // A manager looks after reception staff: every change.
            (Manager, Staff, false, false, Unlock, 1, None),
            (Manager, Staff, false, false, ResetPassword, 1, None),
            (Manager, Staff, false, false, Disable, 1, None),
            (Manager, Staff, false, true, Enable, 1, None),
            (Manager, Staff, false, true, Disable, 1, Some("すでに無効")),
            (Manager, Staff, false, false, Enable, 1, Some("すでに有効")),
            // …their own password, never disabling themselves…
            (Manager, Manager, true, false, ResetPassword, 1, None),
            (Manager, Manager, true, false, Disable, 1, Some(OWN)),
            // …and never another manager or a technician.
            (Manager, Manager, false, false, ResetPassword, 1, Some(TECH)),
            (Manager, Manager, false, false, Disable, 1, Some(TECH)),
            (Manager, Manager, false, true, Enable, 1, Some(TECH)),
            (Manager, Technician, false, false, Unlock, 2, Some(TECH)),
            (
                Manager,
                Technician,
                false,
                false,
                ResetPassword,
                2,
                Some(TECH),
            ),
            (Manager, Technician, false, false, Disable, 2, Some(TECH)),
            (Manager, Technician, false, true, Enable, 1, Some(TECH)),
            // A technician changes every account…
            (Technician, Staff, false, false, Disable, 1, None),
            (Technician, Manager, false, false, ResetPassword, 1, None),
            (Technician, Manager, false, false, Disable, 1, None),
            (Technician, Manager, false, true, Enable, 1, None),
            (Technician, Technician, false, false, Unlock, 2, None),
            (Technician, Technician, false, false, Disable, 2, None),
            (Technician, Technician, true, false, ResetPassword, 1, None),
            // …but not their own to disabled, nor the last technician's.
            (Technician, Technician, true, false, Disable, 2, Some(OWN)),
            (Technician, Technician, false, false, Disable, 1, Some(LAST)),
        ];
        for &(actor_role, target_role, same, disabled, change, techs, expected) in table {
            let actor = with_role(1, actor_role);
            let mut target = with_role(if same { 1 } else { 2 }, target_role);
            if disabled {
                target.disabled_at = Some(datetime!(2026-11-20 18:00 +09:00));
            }
            let got = account_change_refusal(&actor, &target, change, techs);
            let case = format!("{actor_role:?} → {target_role:?} {change:?} (same {same})");
            match (expected, got) {
                (None, None) => {}
                (Some(words), Some(said)) => assert!(said.contains(words), "{case}: {said}"),
                _ => panic!("{case}: expected {expected:?}, got {got:?}"),
            }
        }
    }

    /// Actor role × new account's role → allowed or the refusal's words.
    #[test]
    fn who_may_add_which_account_table() {
        use Role::{Manager, Staff, Technician};
        let table: &[(Role, Role, Option<&str>)] = &[
            (Staff, Staff, Some("管理者か技術担当者だけ")),
            (Staff, Manager, Some("管理者か技術担当者だけ")),
            (Manager, Staff, None),
            (Manager, Manager, Some("技術担当者だけが追加")),
            (Manager, Technician, Some("技術担当者だけが追加")),
            (Technician, Staff, None),
            (Technician, Manager, None),
            (Technician, Technician, None),
        ];
        for &(actor, role, expected) in table {
            let got = account_creation_refusal(&with_role(1, actor), role);
            match (expected, got) {
                (None, None) => {}
                (Some(words), Some(said)) => assert!(said.contains(words), "{actor:?} {role:?}"),
                _ => panic!("{actor:?} adds {role:?}: expected {expected:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn roles_are_read_back_from_their_codes() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("manager"), Some(Role::Manager));
        assert_eq!(Role::parse("admin"), None);
        assert!(!Role::Staff.manages_accounts());
        assert!(!Role::Staff.corrects_others_records());
        assert!(Role::Manager.manages_accounts() && Role::Manager.corrects_others_records());
    }

    const POLICY: SignInPolicy = SignInPolicy {
        lockout_after_failures: 5,
        lockout: TimeDelta::minutes(15),
        session: TimeDelta::hours(12),
    };

    #[test]
    fn the_fifth_wrong_password_locks_for_fifteen_minutes() {
        let now = datetime!(2026-11-21 10:00 +09:00);
        assert_eq!(
            POLICY.after_failure(&account(3), now),
            AfterFailure {
                failed_logins: 4,
                locked_until: None
            }
        );
        let locked = POLICY.after_failure(&account(4), now);
        assert_eq!(locked.locked_until, Some(now + TimeDelta::minutes(15)));
        let mut a = account(0);
        a.locked_until = locked.locked_until;
        assert!(a.is_locked(now + TimeDelta::minutes(14)));
        assert!(!a.is_locked(now + TimeDelta::minutes(15)));
    }

    #[test]
    fn login_names_and_passwords_are_checked() {
        assert_eq!(login_problem("sato.k"), None);
        assert!(login_problem("Sato").is_some());
        assert!(login_problem("<script>").is_some());
        assert!(login_problem("").is_some());
        assert!(password_problem("short").is_some());
        assert!(password_problem(" padded password ").is_some());
        assert_eq!(password_problem("correct horse battery"), None);
    }
}
