//! The month's report page: the manager's question answered in one line (the kiosk's usage
//! rate, last month beside it, the target when the rules data has one), the note that the
//! add-on is judged on the receipt-based rate, the chart, the table, the CSV and a print button.
//!
//! Owns: markup only; every figure and sentence comes from [`MonthReport`]. Japanese only.

use maud::{Markup, html};

use super::check_ins::print_button;
use super::pages;
use crate::report::{MonthReport, PENDING_JAPANESE, RECEIPT_BASIS_NOTE, RECEIPTS_STAND_IN_NOTE};
use crate::rules::UsageRateTarget;
use crate::staff::StaffSession;

/// The page for `report`, with `previous` (the month before) beside it. `this_month`: the
/// month shown is the current one (「今月」「先月」). `target`: the rules data's target in
/// force at the month's end, if any (the line is left out without one). `kiosks`: in central
/// mode each kiosk's `(name, report)` of the month, shown in a table of their own above the
/// total (the page's other figures are then every kiosk's together); empty for one kiosk.
pub fn report(
    session: &StaffSession,
    report: &MonthReport,
    previous: &MonthReport,
    target: Option<&UsageRateTarget>,
    this_month: bool,
    months: &[String],
    kiosks: &[(String, MonthReport)],
) -> Markup {
    let body = html! {
        @if !kiosks.is_empty() {
            p #across-kiosks .notice { "すべての受付機（" (kiosks.len()) "台）を合わせた数字です。受付機ごとの数字は下の表にあります。" }
        }
        div #answer {
            p #headline .headline { strong { (report.headline(this_month)) } }
            p #last-month { (report.comparison(previous, this_month)) }
            @if let Some(line) = target.and_then(|t| report.target_line(t)) {
                @let t = target.map(|t| t.name.as_str()).unwrap_or_default();
                p #target { (line) span.small { "（" (t) "）" } }
            }
            @if let Some(line) = report.per_person_line() {
                p #per-person { (line) }
            }
            @if let Some(line) = report.people_target_line() {
                p #per-person-target { (line) }
            }
            @if let Some(line) = report.not_countable_line() {
                p #not-countable { (line) }
            }
            p #waiting { (report.waiting_line()) }
            p #receipt-note .notice { (RECEIPT_BASIS_NOTE) }
            @if report.people.is_some() {
                p #receipts-stand-in .small { (RECEIPTS_STAND_IN_NOTE) }
            }
        }
        h1 { (crate::report::month_japanese(&report.month)) "の受付" }
        form method="get" action="/report" {
            label { "月 " input name="month" value=(report.month) pattern="[0-9]{4}-[0-9]{2}"; }
            button type="submit" { "表示する" }
            " "
            @for m in months { a href={"/report?month=" (m)} { (crate::report::month_japanese(m)) } " " }
        }
        p #usage-rate {
            "マイナ保険証で確認した受付 " strong { (report.counted()) "件" }
            " ÷ 資格を確認した受付 " strong { (report.verified()) "件" }
        }
        @if !kiosks.is_empty() {
            table #kiosks-table {
                thead { tr { th { "受付機" } th { "受付" } th { "資格を確認" } th { "マイナ保険証" } th { "利用率" } th { "対応待ち" } } }
                tbody {
                    @for (name, k) in kiosks {
                        tr data-kiosk=(name) {
                            td { (name) }
                            td.count { (k.total()) }
                            td.count { (k.verified()) }
                            td.counted { (k.counted()) }
                            td.rate { (k.rate_japanese().unwrap_or_else(|| "-".to_owned())) }
                            td { (k.pending_staff) }
                        }
                    }
                    tr #kiosks-total data-kiosk="" {
                        th { "合計" }
                        td.count { (report.total()) }
                        td.count { (report.verified()) }
                        td.counted { (report.counted()) }
                        td.rate { (report.rate_japanese().unwrap_or_else(|| "-".to_owned())) }
                        td { (report.pending_staff) }
                    }
                }
            }
        }
        (rate_chart(report))
        (chart(report))
        table #report-table {
            thead { tr { th { "確認方法" } th { "件数" } th { "利用率に数える" } } }
            tbody {
                @for row in &report.methods {
                    tr data-method=(row.method.as_str()) {
                        td { (row.method.japanese()) }
                        td.count { (row.check_ins) }
                        td.counted { (row.counted) }
                    }
                }
                tr data-category="waiting_for_staff" { td { (PENDING_JAPANESE) } td { (report.pending_staff) } td { "" } }
                tr { td { "確認できず" } td { (report.unresolved) } td { "" } }
                tr { td { "取消" } td { (report.cancelled) } td { "" } }
                tr { td { "時間切れ" } td { (report.timed_out) } td { "" } }
            }
        }
        p {
            a href={"/report.csv?month=" (report.month)} download { "CSV（Excel用）をダウンロード" }
            " "
            (print_button())
        }
    };
    pages::layout("月次レポート", Some(session), body)
}

/// A horizontal bar per verification method: the part counted toward the usage rate in dark
/// green, the rest in grey. Drawn on the server as SVG, so it needs no script.
fn chart(report: &MonthReport) -> Markup {
    const ROW: u32 = 34;
    const LABEL: u32 = 360;
    const BAR: u32 = 420;
    let max = report
        .methods
        .iter()
        .map(|r| r.check_ins)
        .max()
        .unwrap_or(0)
        .max(1);
    let height = ROW * report.methods.len() as u32 + 30;
    let width = LABEL + BAR + 60;
    let scale = |n: usize| (n as u64 * u64::from(BAR) / max as u64) as u32;
    html! {
        svg #report-chart xmlns="http://www.w3.org/2000/svg" role="img" width=(width) height=(height) viewBox={"0 0 " (width) " " (height)}
            aria-label="確認方法ごとの件数" {
            @for (i, row) in report.methods.iter().enumerate() {
                @let y = i as u32 * ROW + 4;
                text x=(LABEL - 8) y=(y + 20) text-anchor="end" font-size="15" { (row.method.japanese()) }
                rect x=(LABEL) y=(y) width=(scale(row.check_ins)) height="24" fill="#bbb" {}
                rect x=(LABEL) y=(y) width=(scale(row.counted)) height="24" fill="#1a6b3a" {}
                text x=(LABEL + scale(row.check_ins) + 6) y=(y + 19) font-size="15" { (row.check_ins) }
            }
            @let legend = ROW * report.methods.len() as u32 + 20;
            rect x=(LABEL) y=(legend - 11) width="14" height="14" fill="#1a6b3a" {}
            text x=(LABEL + 20) y=(legend) font-size="14" { "利用率に数える" }
            rect x=(LABEL + 200) y=(legend - 11) width="14" height="14" fill="#bbb" {}
            text x=(LABEL + 220) y=(legend) font-size="14" { "数えない" }
        }
    }
}

/// The two rates side by side on one 0–100% scale, per person and per check-in, with the
/// target from the rules (when one is in force) as a dashed vertical line labelled with its
/// percent and name. Drawn on the server as SVG; Japanese words only.
fn rate_chart(report: &MonthReport) -> Markup {
    const LABEL: u32 = 250;
    const BAR: u32 = 500;
    const ROW: u32 = 40;
    let rows: Vec<(&str, Option<f64>, String)> = [
        report.people.map(|p| {
            (
                "人数で（マイナ保険証を使った人）",
                p.percent(),
                format!("{}人 ÷ {}人", p.card_users, p.people),
            )
        }),
        Some((
            "受付件数で",
            report.usage_rate_percent(),
            format!("{}件 ÷ {}件", report.counted(), report.verified()),
        )),
    ]
    .into_iter()
    .flatten()
    .collect();
    let top = 34;
    let height = top + ROW * rows.len() as u32 + 24;
    let width = LABEL + BAR + 190;
    let x = |percent: f64| LABEL + (percent.clamp(0.0, 100.0) * f64::from(BAR) / 100.0) as u32;
    html! {
        svg #rate-chart xmlns="http://www.w3.org/2000/svg" role="img" width=(width) height=(height)
            viewBox={"0 0 " (width) " " (height)} aria-label="人数で数えた利用率と受付件数で数えた利用率" {
            @for (i, (label, rate, figures)) in rows.iter().enumerate() {
                @let y = top + i as u32 * ROW;
                text x=(LABEL - 8) y=(y + 20) text-anchor="end" font-size="15" { (label) }
                rect x=(LABEL) y=(y) width=(BAR) height="26" fill="#eee" {}
                @if let Some(rate) = rate {
                    rect x=(LABEL) y=(y) width=(x(*rate) - LABEL) height="26" fill="#1a6b3a" {}
                    text x=(LABEL + BAR + 8) y=(y + 19) font-size="15" { (format!("{rate:.1}%")) "（" (figures) "）" }
                } @else {
                    text x=(LABEL + BAR + 8) y=(y + 19) font-size="15" { "まだ出せません" }
                }
            }
            text x=(LABEL) y=(height - 6) font-size="13" text-anchor="middle" { "0%" }
            text x=(LABEL + BAR) y=(height - 6) font-size="13" text-anchor="middle" { "100%" }
            @if let Some(target) = &report.target {
                @let tx = x(f64::from(target.percent));
                line #target-line x1=(tx) x2=(tx) y1=(top - 8) y2=(height - 20) stroke="#b00020"
                    stroke-width="3" stroke-dasharray="6 4" data-percent=(target.percent) {}
                text x=(tx) y=(top - 14) font-size="14" text-anchor="middle" fill="#b00020" {
                    "目標 " (target.percent) "%（" (target.name) "）"
                }
            }
        }
    }
}
