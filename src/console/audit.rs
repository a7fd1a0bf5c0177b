//! The audit page: every entry as a Japanese sentence with the person's name (`crate::audit`),
//! linked to its check-in, filtered by 日付, スタッフ and 受付番号, fifty to a page.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use maud::{Markup, html};

use super::pages::layout;
use super::{AppState, SignedIn, page, with_store};
use crate::audit::{AuditFacts, sentence, who};
use crate::staff::StaffSession;
use crate::store::{AuditFilter, AuditRow};

/// Entries on one page.
pub(super) const PAGE_SIZE: usize = 50;

/// What the page was asked for: the filter, the page (from 1), and what the clerk typed that
/// could not be read (shown, not silently dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AuditQuery {
    pub filter: AuditFilter,
    pub page: usize,
    pub unreadable: Vec<&'static str>,
}

/// Full-width digits and dashes (typed with the IME on) as ASCII.
fn narrow(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '－' | 'ー' | '―' | '／' | '/' => '-',
            c => c,
        })
        .collect()
}

/// Reads `day` (YYYY-MM-DD), `staff` (a login), `number` (a reception number) and `page`.
pub(super) fn parse_query(query: &BTreeMap<String, String>) -> AuditQuery {
    let get = |k: &str| query.get(k).map(|v| narrow(v)).filter(|v| !v.is_empty());
    let mut unreadable = Vec::new();
    let day = get("day").and_then(|d| {
        let parsed = crate::dates::parse_ymd(&d);
        if parsed.is_none() {
            unreadable.push("日付は 2026-11-21 のように入力してください。");
        }
        parsed
    });
    let reception_number = get("number").and_then(|n| {
        let parsed = n.parse::<u32>().ok().filter(|n| *n > 0);
        if parsed.is_none() {
            unreadable.push("受付番号は数字で入力してください。");
        }
        parsed
    });
    let page = get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1)
        .min(1_000_000);
    AuditQuery {
        filter: AuditFilter {
            day,
            actor: query
                .get("staff")
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty()),
            reception_number,
        },
        page,
        unreadable,
    }
}

fn jst(t: DateTime<FixedOffset>) -> String {
    let t = t.with_timezone(&crate::rules::JST);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// The query string for `page` of the same filter.
fn page_link(filter: &AuditFilter, page: usize) -> String {
    let mut parts = Vec::new();
    if let Some(d) = filter.day {
        parts.push(format!("day={d}"));
    }
    if let Some(a) = &filter.actor {
        let encoded: String = a
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        parts.push(format!("staff={encoded}"));
    }
    if let Some(n) = filter.reception_number {
        parts.push(format!("number={n}"));
    }
    parts.push(format!("page={page}"));
    format!("/audit?{}", parts.join("&"))
}

pub(super) async fn audit(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let asked = parse_query(&query);
    let filter = asked.filter.clone();
    let offset = (asked.page - 1) * PAGE_SIZE;
    let loaded = with_store(&state, move |store| {
        Ok((
            store.audit_rows(&filter, offset, PAGE_SIZE + 1)?,
            store.audit_actors()?,
        ))
    })
    .await;
    match loaded {
        Err(r) => r,
        Ok((mut rows, actors)) => {
            let more = rows.len() > PAGE_SIZE;
            rows.truncate(PAGE_SIZE);
            page(
                StatusCode::OK,
                audit_page(&session, &asked, &rows, &actors, more),
            )
        }
    }
}

fn audit_page(
    session: &StaffSession,
    asked: &AuditQuery,
    rows: &[AuditRow],
    actors: &[(String, Option<String>)],
    more: bool,
) -> Markup {
    let f = &asked.filter;
    layout(
        "監査ログ",
        Some(session),
        html! {
            h1 { "監査ログ" }
            p { "新しい順。ここに記録されたものは変更も削除もできません。" }
            form #audit-filter method="get" action="/audit" {
                label { "日付 " input type="date" name="day" value=(f.day.map(|d| d.to_string()).unwrap_or_default()); }
                label { "スタッフ "
                    select name="staff" {
                        option value="" { "全員" }
                        @for (login, name) in actors {
                            option value=(login) selected[f.actor.as_deref() == Some(login.as_str())] {
                                (who(login, name.as_deref()))
                            }
                        }
                    }
                }
                label { "受付番号 " input name="number" inputmode="numeric" size="5" value=(f.reception_number.map(|n| n.to_string()).unwrap_or_default()); }
                button type="submit" { "絞り込む" }
                " " a href="/audit" { "条件を消す" }
            }
            @for problem in &asked.unreadable { p.errors role="alert" { (problem) } }
            @if rows.is_empty() {
                p.empty { "この条件に合う記録はありません。" }
            } @else {
                table #audit-table {
                    thead { tr { th { "日時" } th { "内容" } th { "受付" } } }
                    tbody {
                        @for r in rows {
                            tr data-action=(r.entry.action) data-actor=(r.entry.actor) {
                                td { (jst(r.entry.at)) }
                                td.sentence { (sentence(&AuditFacts {
                                    action: &r.entry.action,
                                    detail: &r.entry.detail,
                                    reception_number: r.reception_number,
                                    note: r.note.as_deref(),
                                    actor: &r.entry.actor,
                                    actor_name: r.actor_name.as_deref(),
                                })) }
                                td { @if let Some(id) = r.entry.check_in_id {
                                    a.check-in href={"/handoffs/" (id)} {
                                        @match r.reception_number { Some(n) => { "受付 " (n) }, None => { "受付の記録" } }
                                    }
                                } }
                            }
                        }
                    }
                }
            }
            nav #audit-pages {
                @if asked.page > 1 { a rel="prev" href=(page_link(f, asked.page - 1)) { "← 新しい記録" } " " }
                span { (asked.page) " ページ目" }
                @if more { " " a rel="next" href=(page_link(f, asked.page + 1)) { "古い記録 →" } }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn filters_are_read_as_clerks_type_them() {
        let q = parse_query(&query(&[
            ("day", "２０２６－１１－２１"),
            ("staff", "hanako"),
            ("number", "９"),
            ("page", "3"),
        ]));
        assert_eq!(
            q.filter,
            AuditFilter {
                day: Some(crate::date!(2026 - 11 - 21)),
                actor: Some("hanako".into()),
                reception_number: Some(9)
            }
        );
        assert_eq!((q.page, q.unreadable.len()), (3, 0));
        let bad = parse_query(&query(&[
            ("day", "yesterday"),
            ("number", "x"),
            ("page", "0"),
        ]));
        assert_eq!(bad.filter, AuditFilter::default());
        assert_eq!((bad.page, bad.unreadable.len()), (1, 2));
        assert_eq!(
            page_link(&q.filter, 4),
            "/audit?day=2026-11-21&staff=hanako&number=9&page=4"
        );
    }
}
