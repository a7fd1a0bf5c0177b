//! 「資格確認端末に照会する」: on the resolve form of a portal-screen or paper-document handoff,
//! one button asks the clinic's eligibility terminal (資格確認端末) with the numbers staff typed
//! (`OQSsiquc01req`, integration-formats §1.7) and shows its online answer on the same form
//! before staff decide: the validity in staff words, the burden ratio, the name exactly as given
//! ("●" included) to compare with the patient, and the insurer's validity dates. Staff still
//! choose the resolution; resolving by hand works when the terminal does not answer, refuses,
//! or is not configured (the form then says why the button is absent).
//!
//! Owns: the route `POST /handoffs/{id}/terminal`, the birth-date field, the button and the
//! answer's markup. Must not know: the terminal's files and XML (`oqs::query`), SQL (the
//! store). Every query is audited as `terminal_queried` (who, which check-in, what came back;
//! never a name). Nothing of the answer is stored: the page shows it once.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use maud::{Markup, html};

use super::{AppState, BoundedForm, blocking, handoff_for_form, now, show_handoff_with};
use crate::desk::{DeskAction, FieldError, typed};
use crate::domain::{BurdenRatio, EligibilityResult, Validity};
use crate::oqs::query::{NumbersQuery, QueryError, Suffixes, Target};
use crate::store::NewAuditEntry;

/// The console's way to the eligibility terminal: its shared folder (holding `req` and `res`),
/// the facility's 医療機関コード for the request's header, the encoding, how long to wait, and
/// the request names given out so far.
pub struct Terminal {
    target: Target,
    suffixes: Suffixes,
}

impl Terminal {
    pub fn new(target: Target) -> Terminal {
        Terminal {
            target,
            suffixes: Suffixes::default(),
        }
    }
}

/// What the resolve form shows about the terminal.
pub enum TerminalBox {
    /// No terminal folder configured: the button is absent and the form says why.
    NotConfigured,
    /// The button, nothing asked yet.
    Ready,
    /// The terminal's answer to the numbers on the form, and the ratio by age from the rules
    /// file when the answer carries none (under 70: integration-formats §1.5 "Burden ratio").
    Answered(Box<EligibilityResult>, Option<BurdenRatio>),
    /// The terminal answered, but not with one usable result (its words, for staff).
    NotUsable(String),
    /// No answer (timeout, error file, unreadable): what staff read.
    Failed(String),
}

/// The actions whose forms carry the button: staff there have numbers off a screen or paper.
fn asks_terminal(action: DeskAction) -> bool {
    matches!(action, DeskAction::PortalScreen | DeskAction::PaperDocument)
}

/// The birth-date field and, once asked, the answer; placed before the note of the portal-screen
/// and paper-document forms. `value` gives what was typed in this form.
pub fn fields(
    action: DeskAction,
    shown: &TerminalBox,
    value: &dyn Fn(&str) -> String,
    errors: &[FieldError],
) -> Markup {
    if !asks_terminal(action) {
        return html! {};
    }
    let id = |f: &str| format!("{}-{f}", action.as_str());
    let fault = errors.iter().find(|e| e.field == "birth_date");
    // The answer belongs to the form it was asked from.
    let here = value("action") == action.as_str();
    html! {
        @if matches!(shown, TerminalBox::NotConfigured) {
            p.hint.terminal-absent { "資格確認端末への照会：この受付機には資格確認端末のフォルダが設定されていません（設定は技術担当者へ）。画面や書類で確認して解決してください。" }
        } @else {
            label {
                "生年月日 " small.hint { "（資格確認端末への照会に使います。例：1981-02-14、昭和56年2月14日、S56.2.14）" } br;
                input #(id("birth_date")) name="birth_date" autocomplete="off" value=(value("birth_date"))
                    aria-invalid=[fault.map(|_| "true")]
                    aria-describedby=[fault.map(|_| id("birth_date-error"))];
            }
            @if let Some(e) = fault {
                p.field-error id=(id("birth_date-error")) data-field="birth_date" { (e.japanese) }
            }
            @if here { (answer(action, shown)) }
        }
    }
}

/// The button, after the form's own submit button (so that Enter still submits the form, and
/// the form's first button stays its own). It sends the same fields to the terminal's route,
/// without the browser's required-field checks (the ratio is often chosen after the answer).
pub fn button(id: i64, action: DeskAction, shown: &TerminalBox) -> Markup {
    if !asks_terminal(action) || matches!(shown, TerminalBox::NotConfigured) {
        return html! {};
    }
    html! {
        " "
        // The fragment scrolls the page that comes back to the answer.
        button.ask-terminal type="submit" formaction={"/handoffs/" (id) "/terminal#terminal-answer-" (action.as_str())} formnovalidate
            data-terminal=(action.as_str()) { "資格確認端末に照会する" }
    }
}

/// The validity as reception staff say it (OQSCD006, integration-formats §1.6).
pub fn validity_words(validity: Validity) -> &'static str {
    match validity {
        Validity::Valid => "有効",
        Validity::Invalid => "無効",
        Validity::InvalidNewerExists => "無効（新しい資格があります）",
        Validity::NoEligibility => "該当する資格がありません",
        Validity::SeveralMatches => "複数の資格が該当します（受付窓口で確認してください）",
    }
}

fn answer(action: DeskAction, shown: &TerminalBox) -> Markup {
    let box_id = format!("terminal-answer-{}", action.as_str());
    match shown {
        TerminalBox::NotConfigured | TerminalBox::Ready => html! {},
        TerminalBox::Failed(japanese) | TerminalBox::NotUsable(japanese) => html! {
            div.terminal-answer.failed #(box_id) role="alert" data-answer="none" {
                p { strong { (japanese) } }
            }
        },
        TerminalBox::Answered(result, by_age) => {
            let ratio = match (result.burden_ratio, by_age) {
                (Some(r), _) => r.wari(),
                (None, Some(r)) => format!("{}（回答に記載なし。生年月日から）", r.wari()),
                (None, None) => "回答に記載なし（年齢で判断）".to_owned(),
            };
            let date = |d: Option<crate::dates::Date>| {
                d.map_or_else(|| "記載なし".to_owned(), |d| d.to_string())
            };
            html! {
                div.terminal-answer #(box_id) role="status" data-answer="result"
                    data-validity=(validity_words(result.validity)) {
                    h3 { "資格確認端末の回答" }
                    dl {
                        dt { "資格" }
                        dd.validity data-valid=(result.validity == Validity::Valid) { strong { (validity_words(result.validity)) } }
                        dt { "負担割合" }
                        dd.ratio { (ratio) }
                        dt { "氏名（回答のまま）" }
                        dd.name lang="ja" {
                            @match &result.name {
                                Some(n) => {
                                    strong { (n.name) }
                                    @if let Some(kana) = &n.kana { " （" (kana) "）" }
                                }
                                None => "記載なし",
                            }
                        }
                        dt { "生年月日" }
                        dd { (date(result.birth_date)) }
                        dt { "保険証の有効期間" }
                        dd.valid-dates { (date(result.valid_from)) " 〜 " (date(result.valid_until)) }
                    }
                    @if result.name_contains_black_circle {
                        p.hint { "「●」は国のシステムで表せない文字です。間違いではありません。そのまま受け付けます。" }
                    }
                    p { "氏名と生年月日が患者さんと合っているか見比べてから、下のボタンで記録してください。" }
                }
            }
        }
    }
}

/// The answer box's style (added to the page's).
pub const STYLE: &str = "
.terminal-answer{border:3px solid #123;padding:.4em 1em;margin:.6em 0;background:#f6f9ff}
.terminal-answer.failed{border-color:#a00;background:#fff4f4}
.terminal-answer dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:.3em 0}
.terminal-answer dt{color:#333}.terminal-answer dd{margin:0}
.terminal-answer .validity[data-valid=true]{color:#070}
.terminal-answer .validity[data-valid=false]{color:#a00}
.terminal-answer .name{font-size:1.5em}
button.ask-terminal{margin-left:1em}
";

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/handoffs/{id}/terminal", post(ask))
}

/// The typed numbers read as the request needs them, or the faults under their fields.
pub fn numbers_for_query(form: &BTreeMap<String, String>) -> Result<NumbersQuery, Vec<FieldError>> {
    let raw = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let mut errors = Vec::new();
    fn take<T>(
        errors: &mut Vec<FieldError>,
        field: &'static str,
        result: Result<Option<T>, typed::Refusal>,
    ) -> Option<T> {
        result
            .map_err(|r| {
                errors.push(FieldError {
                    field,
                    japanese: r.japanese,
                    english: r.english,
                });
            })
            .ok()
            .flatten()
    }
    let insurer_number = take(
        &mut errors,
        "insurer_number",
        typed::insurer_number(raw("insurer_number")).map(Some),
    );
    let symbol = take(
        &mut errors,
        "symbol",
        typed::text_as_shown(raw("symbol"), "記号"),
    );
    let number = take(
        &mut errors,
        "number",
        typed::text_as_shown(raw("number"), "番号").and_then(|n| {
            n.map(Some).ok_or_else(|| typed::Refusal {
                japanese: "番号を入力してください。".to_owned(),
                english: "Enter the number (番号).".to_owned(),
            })
        }),
    );
    let branch = take(&mut errors, "branch", typed::branch(raw("branch")));
    let birth_date = take(
        &mut errors,
        "birth_date",
        if raw("birth_date").trim().is_empty() {
            Err(typed::Refusal {
                japanese: "資格確認端末に照会するには生年月日を入力してください。".to_owned(),
                english: "Type the birth date to ask the eligibility terminal.".to_owned(),
            })
        } else {
            typed::date(raw("birth_date"))
                .map(Some)
                .map_err(|r| typed::Refusal {
                    japanese: format!("生年月日：{}", r.japanese),
                    english: format!("Birth date: {}", r.english),
                })
        },
    );
    match (insurer_number, number, birth_date) {
        (Some(insurer_number), Some(number), Some(birth_date)) if errors.is_empty() => {
            Ok(NumbersQuery {
                insurer_number,
                symbol,
                number,
                branch,
                birth_date,
            })
        }
        _ => Err(errors),
    }
}

/// `POST /handoffs/{id}/terminal`: the form's numbers asked of the terminal (CSRF-checked; a
/// closed handoff is refused as any resolve is), the answer shown on the form, the query
/// audited. The handoff stays open.
async fn ask(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    BoundedForm(form): BoundedForm,
) -> Response {
    let (session, check_in) = match handoff_for_form(&state, &headers, id, &form).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    if check_in.resolution.is_some() {
        return show_handoff_with(
            &state,
            &session,
            id,
            StatusCode::CONFLICT,
            &[],
            &form,
            TerminalBox::Ready,
        )
        .await;
    }
    let Some(terminal) = state.0.terminal.clone() else {
        return show_handoff_with(
            &state,
            &session,
            id,
            StatusCode::OK,
            &[],
            &form,
            TerminalBox::NotConfigured,
        )
        .await;
    };
    let numbers = match numbers_for_query(&form) {
        Ok(n) => n,
        Err(errors) => {
            return show_handoff_with(
                &state,
                &session,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                &errors,
                &form,
                TerminalBox::Ready,
            )
            .await;
        }
    };
    let at = now();
    let asked = {
        let terminal: Arc<Terminal> = terminal;
        blocking(move || {
            crate::oqs::query::by_numbers(&terminal.target, &terminal.suffixes, &numbers, at)
        })
        .await
    };
    let asked = match asked {
        Ok(a) => a,
        Err(r) => return r,
    };
    let (shown, detail) = match asked {
        Ok(answer) => {
            let file = answer
                .file
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            match answer.parsed {
                Ok(result) => {
                    let validity = match result.validity {
                        Validity::Valid => "valid",
                        Validity::Invalid => "invalid",
                        Validity::InvalidNewerExists => "invalid_newer_exists",
                        Validity::NoEligibility => "no_eligibility",
                        Validity::SeveralMatches => "several_matches",
                    };
                    let detail = format!("outcome=answered validity={validity} file={file}");
                    let by_age = match (result.burden_ratio, result.birth_date) {
                        (None, Some(born)) => state
                            .0
                            .rules
                            .burden_ratio_by_age(born, check_in.record.visit_date),
                        _ => None,
                    };
                    (TerminalBox::Answered(Box::new(result), by_age), detail)
                }
                Err(japanese) => (
                    TerminalBox::NotUsable(japanese),
                    format!("outcome=not_usable file={file}"),
                ),
            }
        }
        Err(failed) => {
            tracing::warn!(check_in = id, error = %failed, "staff console: eligibility terminal query failed");
            let outcome = match &failed {
                QueryError::Timeout { .. } => "timeout",
                QueryError::ErrorFile { .. } => "error_file",
                QueryError::Unreadable { .. } => "unreadable",
                QueryError::Write { .. } => "not_written",
                QueryError::Unwritable { .. } => "unwritable",
            };
            (
                TerminalBox::Failed(failed.japanese()),
                format!("outcome={outcome}"),
            )
        }
    };
    let login = session.account.login.clone();
    let at = now();
    let audited = super::with_store(&state, move |store| {
        store.append_audit(&NewAuditEntry {
            at,
            actor: login,
            action: "terminal_queried".to_owned(),
            check_in_id: Some(id),
            detail,
        })
    })
    .await;
    if let Err(r) = audited {
        return r;
    }
    show_handoff_with(&state, &session, id, StatusCode::OK, &[], &form, shown).await
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
    fn numbers_for_the_query_are_read_as_clerks_type_them() {
        let read = numbers_for_query(&form(&[
            ("insurer_number", "０１１３００１２"),
            ("symbol", "１２"),
            ("number", "３４５"),
            ("branch", "１"),
            ("birth_date", "昭和56年2月14日"),
        ]))
        .unwrap();
        assert_eq!(read.insurer_number, "01130012");
        assert_eq!(read.symbol.as_deref(), Some("12"));
        assert_eq!(read.number, "345");
        assert_eq!(read.branch.as_deref(), Some("01"));
        assert_eq!(read.birth_date, crate::date!(1981 - 02 - 14));
    }

    #[test]
    fn each_missing_or_wrong_field_is_named_under_itself() {
        for (fields, at_fault) in [
            (
                vec![("number", "345"), ("birth_date", "1981-02-14")],
                "insurer_number",
            ),
            (
                vec![("insurer_number", "01130012"), ("birth_date", "1981-02-14")],
                "number",
            ),
            (
                vec![("insurer_number", "01130012"), ("number", "345")],
                "birth_date",
            ),
            (
                vec![
                    ("insurer_number", "01130012"),
                    ("number", "345"),
                    ("birth_date", "いつか"),
                ],
                "birth_date",
            ),
            (
                vec![
                    ("insurer_number", "01130012"),
                    ("number", "345"),
                    ("branch", "123"),
                    ("birth_date", "1981-02-14"),
                ],
                "branch",
            ),
        ] {
            let errors = numbers_for_query(&form(&fields)).unwrap_err();
            assert_eq!(
                errors.iter().map(|e| e.field).collect::<Vec<_>>(),
                [at_fault],
                "{fields:?}"
            );
        }
    }

    #[test]
    fn every_validity_has_staff_words_and_valid_is_only_valid() {
        for v in [
            Validity::Valid,
            Validity::Invalid,
            Validity::InvalidNewerExists,
            Validity::NoEligibility,
            Validity::SeveralMatches,
        ] {
            let words = validity_words(v);
            assert!(!words.is_empty());
            assert_eq!(words == "有効", v == Validity::Valid, "{v:?}");
        }
    }
}
