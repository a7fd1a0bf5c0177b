//! The resolve page's fields: the numbers read off an eligibility screen or a document, the
//! paper documents, each fault under its field (`aria-invalid`), the read-back step before the
//! numbers are stored, and the small script that checks the insurer number's last digit while
//! the clerk types. What is accepted, and how it is read, is `desk::typed`'s; this only draws.

use std::collections::BTreeMap;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use crate::desk::typed::NO_RATIO_SHOWN;
use crate::desk::{DeskAction, FieldError, PaperSeen, read_back};
use crate::domain::InsuranceNumbers;
use crate::staff::StaffSession;

/// What an open handoff's form knows beyond the submitted values.
#[derive(Clone, Copy)]
pub struct FormFacts<'a> {
    /// The faults of this form, when it was the one sent.
    pub errors: &'a [FieldError],
    /// This form holds the page's focus.
    pub focus: bool,
    /// The label of the 「表示なし」 ratio choice, with the rule from the rules file.
    pub no_ratio_label: &'a str,
    /// The document the patient declared at the kiosk, and what they declared, in words.
    pub declared: Option<PaperSeen>,
    pub declared_text: Option<&'a str>,
}

impl Default for FormFacts<'_> {
    fn default() -> Self {
        FormFacts {
            errors: &[],
            focus: false,
            no_ratio_label: "表示なし（年齢で判断）",
            declared: None,
            declared_text: None,
        }
    }
}

/// What the fields of one form need beyond the submitted values.
pub struct Fields<'a> {
    /// The form's action, the prefix of its fields' ids (`portal_screen-insurer_number`).
    pub action: DeskAction,
    /// The value to show in a field: what was sent, for the form that was sent; else empty.
    pub value: &'a dyn Fn(&str) -> String,
    /// The faults of the form that was sent (none for the others).
    pub errors: &'a [FieldError],
    /// This form holds the page's focus: its first field, or its first field at fault.
    pub focus: bool,
    /// The label of the 「表示なし」 ratio choice, with the rule from the rules file.
    pub no_ratio_label: &'a str,
}

impl Fields<'_> {
    fn id(&self, field: &str) -> String {
        format!("{}-{field}", self.action.as_str())
    }

    fn error(&self, field: &str) -> Option<&FieldError> {
        self.errors.iter().find(|e| e.field == field)
    }

    /// The first of `fields` at fault, else the first, when this form holds the focus.
    fn focused(&self, fields: &[&str]) -> Option<String> {
        if !self.focus {
            return None;
        }
        let first = fields
            .iter()
            .find(|f| self.error(f).is_some())
            .or(fields.first())?;
        Some((*first).to_owned())
    }

    /// The fault under a field, bound to it by `aria-describedby`.
    fn fault(&self, field: &str) -> Markup {
        html! {
            @if let Some(e) = self.error(field) {
                p.field-error id={(self.id(field)) "-error"} data-field=(field) { (e.japanese) }
            }
        }
    }

    fn described_by(&self, field: &str) -> Option<String> {
        self.error(field)
            .map(|_| format!("{}-error", self.id(field)))
    }

    fn invalid(&self, field: &str) -> Option<&'static str> {
        self.error(field).map(|_| "true")
    }
}

/// 保険者番号・記号・番号・枝番・負担割合・有効期限. `required` is false on the paper form,
/// where staff copy a document's numbers only when they want to.
pub fn number_fields(f: &Fields, required: bool) -> Markup {
    let focus = f.focused(&crate::desk::NUMBER_FIELDS);
    let autofocus = |field: &str| focus.as_deref() == Some(field);
    let ratio = (f.value)("burden_ratio");
    html! {
        label {
            "保険者番号 " small.hint { "（6桁または8桁）" } br;
            input #(f.id("insurer_number")) name="insurer_number" inputmode="numeric" autocomplete="off"
                value=((f.value)("insurer_number")) required[required] autofocus[autofocus("insurer_number")]
                aria-invalid=[f.invalid("insurer_number")] aria-describedby=[f.described_by("insurer_number")];
            " " span.live-check #(f.id("insurer_number-live")) aria-live="polite" {}
        }
        (f.fault("insurer_number"))
        label {
            "記号" br;
            input #(f.id("symbol")) name="symbol" autocomplete="off" value=((f.value)("symbol"))
                autofocus[autofocus("symbol")]
                aria-invalid=[f.invalid("symbol")] aria-describedby=[f.described_by("symbol")];
        }
        (f.fault("symbol"))
        label {
            "番号" br;
            input #(f.id("number")) name="number" autocomplete="off" value=((f.value)("number")) required[required]
                autofocus[autofocus("number")]
                aria-invalid=[f.invalid("number")] aria-describedby=[f.described_by("number")];
        }
        (f.fault("number"))
        label {
            "枝番 " small.hint { "（2桁。ない場合は空欄）" } br;
            input #(f.id("branch")) name="branch" inputmode="numeric" autocomplete="off" size="4"
                value=((f.value)("branch")) autofocus[autofocus("branch")]
                aria-invalid=[f.invalid("branch")] aria-describedby=[f.described_by("branch")];
        }
        (f.fault("branch"))
        label {
            "負担割合" br;
            select #(f.id("burden_ratio")) name="burden_ratio" required[required] autofocus[autofocus("burden_ratio")]
                aria-invalid=[f.invalid("burden_ratio")] aria-describedby=[f.described_by("burden_ratio")] {
                option value="" { "選んでください" }
                @for (v, text) in [("10", "1割"), ("20", "2割"), ("30", "3割")] {
                    option value=(v) selected[ratio == v] { (text) }
                }
                option value=(NO_RATIO_SHOWN) selected[ratio == NO_RATIO_SHOWN] { (f.no_ratio_label) }
            }
        }
        (f.fault("burden_ratio"))
        label {
            "有効期限（表示があれば）" br;
            input #(f.id("valid_until")) name="valid_until" autocomplete="off" value=((f.value)("valid_until"))
                autofocus[autofocus("valid_until")]
                aria-invalid=[f.invalid("valid_until")]
                aria-describedby={(f.id("valid_until")) "-hint" @if f.error("valid_until").is_some() { " " (f.id("valid_until")) "-error" }};
            br; small.hint #(f.id("valid_until-hint")) { "例：2027-03-31（2027/3/31、令和9年3月31日、R9.3.31 も可）" }
        }
        (f.fault("valid_until"))
    }
}

/// The paper documents, the one the patient declared at the kiosk pre-selected and marked
/// 「（患者さんの申告）」 (unless the clerk already chose another), then the optional numbers
/// (the notice-with-card checklist asks staff to copy them).
pub fn paper_fields(
    f: &Fields,
    declared: Option<PaperSeen>,
    declared_text: Option<&str>,
    provisional_applies: bool,
) -> Markup {
    let chosen = (f.value)("document");
    let selected = |paper: PaperSeen| {
        if chosen.is_empty() {
            declared == Some(paper)
        } else {
            chosen == paper.as_str()
        }
    };
    let focus_on = if f.focus && (f.errors.is_empty() || f.error("document").is_some()) {
        PaperSeen::ALL
            .into_iter()
            .find(|p| selected(*p))
            .or(Some(PaperSeen::ALL[0]))
    } else {
        None
    };
    html! {
        @if let Some(text) = declared_text {
            p.declared { "患者さんの申告（受付機）：" strong { (text) } }
        }
        fieldset #(f.id("document")) aria-invalid=[f.invalid("document")] aria-describedby=[f.described_by("document")] {
            legend { "確認した書類" }
            @for paper in PaperSeen::ALL {
                @let available = paper != PaperSeen::ExpiredCardProvisional || provisional_applies;
                @let ja = paper.verification().japanese();
                label {
                    input type="radio" name="document" value=(paper.as_str()) disabled[!available]
                        checked[available && selected(paper)] autofocus[focus_on == Some(paper)];
                    " " (ja)
                    @if declared == Some(paper) { " " strong.declared-mark { "（患者さんの申告）" } }
                    @if !available { " " small { "（暫定的な取扱いは終了）" } }
                }
            }
        }
        (f.fault("document"))
        details.paper-numbers open[crate::desk::NUMBER_FIELDS.iter().any(|n| !(f.value)(n).is_empty())] {
            summary { "書類の番号を控える（任意：保険者番号・記号・番号・枝番）" }
            (number_fields(&Fields { focus: false, ..*f }, false))
        }
    }
}

/// The values a form is filled with after the read-back: the numbers as they will be stored.
pub fn stored_values(numbers: &InsuranceNumbers) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        values.insert(k.to_owned(), v);
    };
    put("insurer_number", numbers.insurer_number.clone());
    put("symbol", numbers.symbol.clone().unwrap_or_default());
    put("number", numbers.number.clone());
    put("branch", numbers.branch.clone().unwrap_or_default());
    put(
        "burden_ratio",
        numbers
            .burden_ratio
            .map_or_else(|| NO_RATIO_SHOWN.to_owned(), |r| r.0.to_string()),
    );
    put(
        "valid_until",
        numbers
            .valid_until
            .map(|d| d.to_string())
            .unwrap_or_default(),
    );
    values
}

/// The read-back step: the numbers as they will be stored, in large type, and one button that
/// records them (the form carries them, so what is confirmed is what is stored). The form that
/// was sent follows it, filled with the same values, to correct them.
pub fn read_back_form(
    session: &StaffSession,
    id: i64,
    action: DeskAction,
    numbers: &InsuranceNumbers,
    submitted: &BTreeMap<String, String>,
) -> Markup {
    let parts = read_back(numbers);
    html! {
        section #read-back aria-labelledby="read-back-title" {
            form.resolve.read-back method="post" action={"/handoffs/" (id) "/resolve"} id={"confirm-" (action.as_str())} {
                h2 #read-back-title { "番号の確認：画面の番号と見比べてください" }
                p.read-back-line lang="ja" {
                    @for (i, (label, value)) in parts.iter().enumerate() {
                        @if i > 0 { span.sep { "／" } }
                        span.part data-part=(label) { small { (label) } " " strong { (value) } }
                    }
                }
                input type="hidden" name="csrf" value=(session.csrf_token);
                input type="hidden" name="action" value=(action.as_str());
                input type="hidden" name="confirm" value="yes";
                @for (name, value) in stored_values(numbers) {
                    input type="hidden" name=(name) value=(value);
                }
                @for name in ["document", "note"] {
                    @if let Some(v) = submitted.get(name) { input type="hidden" name=(name) value=(v); }
                }
                p.notice role="alert" { "まだ記録していません。" }
                button.record type="submit" autofocus { "この内容で記録" }
                " "
                a href={"#form-" (action.as_str())} { "番号を直す" }
            }
        }
    }
}

/// The styles of these fields (added to the page's).
pub const STYLE: &str = "
.field-error{color:#a00;font-weight:bold;margin:.1em 0 .6em}
[aria-invalid=true]{border:2px solid #a00;background:#fff4f4}
.hint{color:#444}
.live-check{font-weight:bold}
.live-check.bad{color:#a00}
.live-check.good{color:#070}
.read-back{border:3px solid #123}
.read-back-line{font-size:1.9em;line-height:1.6;margin:.3em 0}
.read-back-line small{font-size:.55em;color:#333}
.read-back-line .sep{color:#777;margin:0 .25em}
button.record{font-size:1.3em;padding:.5em 1.5em}
.declared-mark{color:#123}
";

/// The page's script: checks the insurer number's last digit (検証番号) beside the field while
/// the clerk types, by the same rule as `desk::typed::check_digit_matches` (the server still
/// checks; this only saves a round trip). Full-width digits are folded as the server folds them.
const SCRIPT: &str = r#""use strict";
(function () {
  function digits(s) {
    return s.replace(/[\uFF10-\uFF19]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xFEE0);
    }).replace(/[\s\-\uFF0D\u30FC\u2212\u2010\u2011\u2012\u2013\u2014\u2015]/g, "");
  }
  function matches(d) {
    var sum = 0;
    for (var i = d.length - 2, k = 0; i >= 0; i--, k++) {
      var p = (d.charCodeAt(i) - 48) * (k % 2 === 0 ? 2 : 1);
      sum += Math.floor(p / 10) + (p % 10);
    }
    return d.charCodeAt(d.length - 1) - 48 === (10 - (sum % 10)) % 10;
  }
  function check(input) {
    var out = document.getElementById(input.id + "-live");
    if (!out) { return; }
    var d = digits(input.value);
    if (/^[0-9]+$/.test(d) && (d.length === 6 || d.length === 8)) {
      var ok = matches(d);
      out.textContent = ok ? "検証番号は合っています" : "最後の1桁（検証番号）が合いません";
      out.className = "live-check " + (ok ? "good" : "bad");
    } else {
      out.textContent = "";
      out.className = "live-check";
    }
  }
  var inputs = document.querySelectorAll("input[name=insurer_number]");
  for (var i = 0; i < inputs.length; i++) {
    (function (input) {
      input.addEventListener("input", function () { check(input); });
      check(input);
    })(inputs[i]);
  }
})();
"#;

/// `GET /resolve.js` (no data in it, so no session needed).
pub async fn script() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        )],
        SCRIPT,
    )
        .into_response()
}
