//! The accounts page (`/accounts`): who may sign in, their role, state (有効／ロック中／無効（退職）)
//! and last sign-in; adding an account (a refused form comes back filled, the refusal under its
//! field), unlocking, disabling when a clerk leaves, enabling again, and a password reset.
//!
//! Who may add or change which account is decided in `crate::staff::account_creation_refusal`
//! and `account_change_refusal` (a 管理者 looks after スタッフ accounts, a technician after
//! every account); this file only reads the form, asks those rules and the store, and draws the
//! page with only the buttons and roles the signed-in person may use.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, FixedOffset};
use maud::{Markup, html};

use super::pages::{jst, layout};
use super::{AppState, BoundedForm, SignedIn, blocking, now, page, problem, with_store};
use crate::password;
use crate::staff::{
    self, AccountChange, NewStaffAccount, Role, StaffAccount, StaffSession, account_change_refusal,
    account_creation_refusal,
};
use crate::store::StoreError;

/// The routes of this page.
pub(super) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/accounts", get(accounts).post(add_account))
        .route("/accounts/unlock", post(unlock_account))
        .route("/accounts/disable", post(disable_account))
        .route("/accounts/enable", post(enable_account))
        .route("/accounts/password", post(reset_password))
}

/// The role's name as reception staff say it.
fn role_text(role: Role) -> &'static str {
    role.japanese()
}

/// Technician accounts not disabled (the rule never lets this reach zero).
fn active_technicians(accounts: &[StaffAccount]) -> usize {
    accounts
        .iter()
        .filter(|a| a.role == Role::Technician && !a.is_disabled())
        .count()
}

/// Whether the page offers `session` the button for `change` on `target`.
fn offers(
    session: &StaffSession,
    target: &StaffAccount,
    change: AccountChange,
    technicians: usize,
) -> bool {
    account_change_refusal(&session.account, target, change, technicians).is_none()
}

/// What the add form holds after a refusal: what was typed (never the password) and the
/// refusal under each field it concerns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct AddForm {
    login: String,
    display_name: String,
    role: String,
    login_error: Option<String>,
    name_error: Option<String>,
    role_error: Option<String>,
    password_error: Option<String>,
}

impl AddForm {
    fn refused(&self) -> bool {
        self.login_error.is_some()
            || self.name_error.is_some()
            || self.role_error.is_some()
            || self.password_error.is_some()
    }
}

/// Reads and checks the add form: the account to add, or the form to show again.
fn read_add_form(form: &BTreeMap<String, String>) -> (AddForm, Option<Role>, String) {
    let field = |name: &str| {
        form.get(name)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let typed = form.get("password").cloned().unwrap_or_default();
    let role = Role::parse(&field("role"));
    let mut f = AddForm {
        login: field("login"),
        display_name: field("display_name"),
        role: field("role"),
        ..AddForm::default()
    };
    if staff::login_problem(&f.login).is_some() {
        f.login_error = Some(
            "ログイン名は半角の英小文字・数字と「.」「_」「-」で、1〜64 文字にしてください。"
                .to_owned(),
        );
    }
    if f.display_name.is_empty() || f.display_name.chars().count() > 64 {
        f.name_error = Some("名前は 1〜64 文字で入力してください。".to_owned());
    }
    if role.is_none() {
        f.role_error = Some("役割を選んでください。".to_owned());
    }
    if let Some(why) = password_problem_text(&typed) {
        f.password_error = Some(why);
    }
    (f, role, typed)
}

/// Why a typed password cannot be used, in Japanese (the rules of `staff::password_problem`).
fn password_problem_text(typed: &str) -> Option<String> {
    staff::password_problem(typed).map(|_| {
        format!(
            "パスワードは {} 文字以上で、前後に空白を入れないでください。",
            staff::MIN_PASSWORD_CHARS
        )
    })
}

fn managers_only(session: &StaffSession) -> Option<Response> {
    (!session.account.role.manages_accounts()).then(|| {
        problem(
            StatusCode::FORBIDDEN,
            Some(session),
            "アカウントの管理は管理者か技術担当者だけができます。",
        )
    })
}

async fn accounts(State(state): State<AppState>, SignedIn(session): SignedIn) -> Response {
    if let Some(refused) = managers_only(&session) {
        return refused;
    }
    accounts_page(
        &state,
        &session,
        StatusCode::OK,
        None,
        None,
        &AddForm::default(),
    )
    .await
}

async fn accounts_page(
    state: &AppState,
    session: &StaffSession,
    status: StatusCode,
    message: Option<&str>,
    error: Option<&str>,
    add: &AddForm,
) -> Response {
    match with_store(state, |store| store.staff_accounts()).await {
        Err(r) => r,
        Ok(list) => page(
            status,
            accounts_markup(session, &list, now(), message, error, add),
        ),
    }
}

async fn add_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    BoundedForm(form): BoundedForm,
) -> Response {
    let session = match state.session_for_form(&headers, &form).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Some(refused) = managers_only(&session) {
        return refused;
    }
    let (mut add, role, typed) = read_add_form(&form);
    if let Some(why) = role.and_then(|r| account_creation_refusal(&session.account, r)) {
        add.role_error = Some(why.to_owned());
    }
    let Some(role) = role.filter(|_| !add.refused()) else {
        return accounts_page(
            &state,
            &session,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some("追加できませんでした。赤字の項目を直してください。"),
            &add,
        )
        .await;
    };
    let store = state.0.store.clone();
    let by = session.account.login.clone();
    let (login, display_name) = (add.login.clone(), add.display_name.clone());
    let added = blocking(move || {
        let password_hash = password::hash(&typed).map_err(|e| e.to_string())?;
        store
            .add_staff(&NewStaffAccount {
                login,
                display_name,
                role,
                password_hash,
                created_at: now(),
                created_by: by,
            })
            .map_err(|e| match e {
                StoreError::LoginTaken { login, .. } => {
                    format!("ログイン名 {login} はすでに使われています。")
                }
                other => other.to_string(),
            })
    })
    .await;
    match added {
        Err(r) => r,
        Ok(Err(text)) => {
            add.login_error = Some(text);
            accounts_page(
                &state,
                &session,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some("追加できませんでした。赤字の項目を直してください。"),
                &add,
            )
            .await
        }
        Ok(Ok(account)) => {
            let message = format!(
                "{}（{}）を追加しました。",
                account.display_name, account.login
            );
            accounts_page(
                &state,
                &session,
                StatusCode::OK,
                Some(&message),
                None,
                &AddForm::default(),
            )
            .await
        }
    }
}

/// The session and the target account of a change form, or the refusal to show.
async fn change_target(
    state: &AppState,
    headers: &HeaderMap,
    form: &BTreeMap<String, String>,
    change: AccountChange,
) -> Result<(StaffSession, StaffAccount), Response> {
    let session = state.session_for_form(headers, form).await?;
    if let Some(refused) = managers_only(&session) {
        return Err(refused);
    }
    let login = form.get("login").cloned().unwrap_or_default();
    let accounts = with_store(state, |store| store.staff_accounts()).await?;
    let technicians = active_technicians(&accounts);
    let target = accounts.into_iter().find(|a| a.login == login);
    let Some(target) = target else {
        return Err(accounts_page(
            state,
            &session,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some("そのアカウントはありません。"),
            &AddForm::default(),
        )
        .await);
    };
    if let Some(why) = account_change_refusal(&session.account, &target, change, technicians) {
        return Err(accounts_page(
            state,
            &session,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(why),
            &AddForm::default(),
        )
        .await);
    }
    Ok((session, target))
}

/// The page after a change: its message, or the store's failure.
async fn after_change(
    state: &AppState,
    session: &StaffSession,
    done: Result<String, Response>,
) -> Response {
    match done {
        Err(r) => r,
        Ok(message) => {
            accounts_page(
                state,
                session,
                StatusCode::OK,
                Some(&message),
                None,
                &AddForm::default(),
            )
            .await
        }
    }
}

async fn unlock_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    BoundedForm(form): BoundedForm,
) -> Response {
    let (session, target) =
        match change_target(&state, &headers, &form, AccountChange::Unlock).await {
            Ok(found) => found,
            Err(r) => return r,
        };
    let by = session.account.login.clone();
    let login = target.login.clone();
    let done = with_store(&state, move |store| store.unlock_staff(&login, &by, now()))
        .await
        .map(|()| format!("{} のロックを解除しました。", target.display_name));
    after_change(&state, &session, done).await
}

async fn disable_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    BoundedForm(form): BoundedForm,
) -> Response {
    let (session, target) =
        match change_target(&state, &headers, &form, AccountChange::Disable).await {
            Ok(found) => found,
            Err(r) => return r,
        };
    let by = session.account.login.clone();
    let login = target.login.clone();
    let done = with_store(&state, move |store| store.disable_staff(&login, &by, now()))
        .await
        .map(|ended| {
            format!(
                "{} を無効（退職）にしました。ログイン中の画面 {ended} 件を終了しました。",
                target.display_name
            )
        });
    after_change(&state, &session, done).await
}

async fn enable_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    BoundedForm(form): BoundedForm,
) -> Response {
    let (session, target) =
        match change_target(&state, &headers, &form, AccountChange::Enable).await {
            Ok(found) => found,
            Err(r) => return r,
        };
    let by = session.account.login.clone();
    let login = target.login.clone();
    let done = with_store(&state, move |store| store.enable_staff(&login, &by, now()))
        .await
        .map(|()| format!("{} を有効に戻しました。", target.display_name));
    after_change(&state, &session, done).await
}

async fn reset_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    BoundedForm(form): BoundedForm,
) -> Response {
    let (session, target) =
        match change_target(&state, &headers, &form, AccountChange::ResetPassword).await {
            Ok(found) => found,
            Err(r) => return r,
        };
    let typed = form.get("password").cloned().unwrap_or_default();
    if typed.len() > password::MAX_PASSWORD_BYTES {
        return accounts_page(
            &state,
            &session,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some("パスワードが長すぎます。"),
            &AddForm::default(),
        )
        .await;
    }
    if let Some(why) = password_problem_text(&typed) {
        let text = format!(
            "{} のパスワードを再設定できませんでした。{why}",
            target.display_name
        );
        return accounts_page(
            &state,
            &session,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(&text),
            &AddForm::default(),
        )
        .await;
    }
    let store = state.0.store.clone();
    let by = session.account.login.clone();
    let login = target.login.clone();
    let reset = blocking(move || {
        let hash = password::hash(&typed).map_err(|e| e.to_string())?;
        store
            .reset_staff_password(&login, &hash, &by, now())
            .map_err(|e| e.to_string())
    })
    .await;
    let done = match reset {
        Err(r) => Err(r),
        Ok(Err(text)) => Err(problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            Some(&session),
            &format!(
                "パスワードを再設定できませんでした。技術担当者に連絡してください（{text}）。"
            ),
        )),
        Ok(Ok(ended)) => Ok(format!(
            "{} のパスワードを再設定しました。ログイン中の画面 {ended} 件を終了しました。新しいパスワードを本人に伝えてください。",
            target.display_name
        )),
    };
    after_change(&state, &session, done).await
}

fn accounts_markup(
    session: &StaffSession,
    accounts: &[StaffAccount],
    now: DateTime<FixedOffset>,
    message: Option<&str>,
    error: Option<&str>,
    add: &AddForm,
) -> Markup {
    let csrf = session.csrf_token.as_str();
    let technicians = active_technicians(accounts);
    let roles: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|r| account_creation_refusal(&session.account, *r).is_none())
        .collect();
    layout(
        "アカウント",
        Some(session),
        html! {
            h1 { "スタッフアカウント" }
            @if let Some(m) = message { p.ok role="status" { (m) } }
            @if let Some(e) = error { p.errors role="alert" { (e) } }
            table #accounts-table {
                thead { tr {
                    th { "ログイン名" } th { "名前" } th { "役割" } th { "状態" }
                    th { "最終ログイン" } th { "操作" }
                } }
                tbody {
                    @for a in accounts {
                        tr data-login=(a.login) {
                            td { (a.login) }
                            td { (a.display_name) }
                            td { (role_text(a.role)) }
                            td.state {
                                @if a.is_disabled() {
                                    "無効（退職）"
                                } @else if a.is_locked(now) {
                                    "ロック中（" (a.locked_until.map(jst).unwrap_or_default()) " まで）"
                                } @else { "有効" }
                            }
                            td.last-sign-in {
                                @match a.last_sign_in_at {
                                    Some(t) => { (jst(t)) }
                                    None => { "まだありません" }
                                }
                            }
                            td.actions {
                                @let none = [
                                    AccountChange::Enable,
                                    AccountChange::Unlock,
                                    AccountChange::ResetPassword,
                                    AccountChange::Disable,
                                ]
                                .into_iter()
                                .all(|c| !offers(session, a, c, technicians));
                                @if none {
                                    span.small { "技術担当者が変更します" }
                                }
                                @if a.is_disabled() && offers(session, a, AccountChange::Enable, technicians) {
                                    form method="post" action="/accounts/enable" {
                                        input type="hidden" name="csrf" value=(csrf);
                                        input type="hidden" name="login" value=(a.login);
                                        button type="submit" { "有効に戻す" }
                                    }
                                }
                                @if !a.is_disabled() {
                                    @if a.is_locked(now) && offers(session, a, AccountChange::Unlock, technicians) {
                                        form method="post" action="/accounts/unlock" {
                                            input type="hidden" name="csrf" value=(csrf);
                                            input type="hidden" name="login" value=(a.login);
                                            button type="submit" { "ロック解除" }
                                        }
                                    }
                                    @if offers(session, a, AccountChange::ResetPassword, technicians) {
                                        form method="post" action="/accounts/password" {
                                            input type="hidden" name="csrf" value=(csrf);
                                            input type="hidden" name="login" value=(a.login);
                                            label { "新しいパスワード（" (staff::MIN_PASSWORD_CHARS) " 文字以上）" br;
                                                input name="password" type="password" autocomplete="new-password" required;
                                            }
                                            button type="submit" { "パスワード再設定" }
                                        }
                                    }
                                    @if offers(session, a, AccountChange::Disable, technicians) {
                                        form method="post" action="/accounts/disable" {
                                            input type="hidden" name="csrf" value=(csrf);
                                            input type="hidden" name="login" value=(a.login);
                                            button type="submit" { "無効にする（退職）" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p.small { "無効（退職）にしたアカウントはログインできず、監査ログには名前が残ります。" }
            @if session.account.role == Role::Manager {
                p.small #manager-scope { "管理者はスタッフのアカウントを追加・変更できます。管理者と技術担当のアカウントは技術担当者が変更します。" }
            }
            h2 { "アカウントを追加" }
            form #add-account method="post" action="/accounts" {
                input type="hidden" name="csrf" value=(csrf);
                label { "ログイン名（半角英小文字・数字・. _ -）" br;
                    input name="login" value=(add.login) required;
                }
                @if let Some(e) = &add.login_error { p.errors.field-error data-field="login" { (e) } }
                label { "名前" br; input name="display_name" value=(add.display_name) required; }
                @if let Some(e) = &add.name_error { p.errors.field-error data-field="display_name" { (e) } }
                label { "役割" br;
                    select name="role" {
                        @for r in roles.iter().copied() {
                            option value=(r.as_str()) selected[add.role == r.as_str()] { (role_text(r)) }
                        }
                    }
                }
                @if let Some(e) = &add.role_error { p.errors.field-error data-field="role" { (e) } }
                label { "初期パスワード（" (staff::MIN_PASSWORD_CHARS) " 文字以上）" br;
                    input name="password" type="password" autocomplete="new-password" required;
                }
                @if let Some(e) = &add.password_error { p.errors.field-error data-field="password" { (e) } }
                button type="submit" { "追加" }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(fields: &[(&str, &str)]) -> BTreeMap<String, String> {
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_refused_add_keeps_what_was_typed_but_the_password() {
        let (add, role, _) = read_add_form(&form(&[
            ("login", " Tanaka "),
            ("display_name", "田中 花子"),
            ("role", "technician"),
            ("password", "short"),
        ]));
        assert!(add.refused());
        assert_eq!(add.login, "Tanaka");
        assert_eq!(add.display_name, "田中 花子");
        assert_eq!(add.role, "technician");
        assert_eq!(role, Some(Role::Technician));
        assert!(add.login_error.is_some());
        assert!(add.password_error.is_some());
        assert_eq!(add.name_error, None);
        let (ok, role, _) = read_add_form(&form(&[
            ("login", "tanaka"),
            ("display_name", "田中 花子"),
            ("role", "staff"),
            ("password", "correct horse battery"),
        ]));
        assert!(!ok.refused());
        assert_eq!(role, Some(Role::Staff));
    }
}
