//! The audit log read aloud: one Japanese sentence per entry, in the words reception staff use,
//! ending with who did it (「受付 9 を『マイナ保険証（カード）』で記録（利用率に数える）― 受付 花子」).
//!
//! Owns: how each kind of audit entry (its `action` and `detail`, as the store writes them) is
//! said. Must not know: SQL, HTTP, the clock. Pure: the caller gathers the facts (the
//! check-in's reception number, the handoff's note, the account's name) and passes them in.

use crate::domain::{HandoffReason, VerificationMethod};

/// What one audit entry says, with the facts the console looks up beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditFacts<'a> {
    /// The entry's kind, e.g. `handoff_resolved` (see the store's `insert_audit` callers).
    pub action: &'a str,
    /// The entry's `key=value …` detail.
    pub detail: &'a str,
    /// The reception number of the entry's check-in, if it has one.
    pub reception_number: Option<u32>,
    /// The note staff wrote when closing the handoff (for `handoff_resolved`).
    pub note: Option<&'a str>,
    /// The entry's actor: a login, `kiosk`, `cli`, `provision` or `(unknown login)`.
    pub actor: &'a str,
    /// The display name of the account whose login is `actor`, if there is one (kept after
    /// the account is disabled).
    pub actor_name: Option<&'a str>,
}

/// The value of `key` in a `key=value key=value` detail.
fn field<'a>(detail: &'a str, key: &str) -> Option<&'a str> {
    detail
        .split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// Who did it, as staff say it.
pub fn who(actor: &str, actor_name: Option<&str>) -> String {
    match (actor, actor_name) {
        (_, Some(name)) => name.to_owned(),
        ("kiosk", None) => "受付機".to_owned(),
        ("cli", None) => "技術担当（コマンド）".to_owned(),
        ("provision", None) => "設置作業".to_owned(),
        ("(unknown login)", None) => "登録されていないログイン名".to_owned(),
        (login, None) => login.to_owned(),
    }
}

/// The name of a verification method as staff say it (`VerificationMethod::japanese`; `-` or an
/// unknown code: `None`).
pub fn method_name(code: &str) -> Option<&'static str> {
    VerificationMethod::parse(code).map(VerificationMethod::japanese)
}

/// Why the kiosk handed over, as staff say it.
pub fn reason_name(code: &str) -> Option<&'static str> {
    Some(match HandoffReason::parse(code)? {
        HandoffReason::ConfirmPortalScreen => "スマホの資格情報画面の確認",
        HandoffReason::StaffVisualCheck => "目視確認（暗証番号の残り回数が1回）",
        HandoffReason::PatientAskedStaffToCheck => "目視確認（患者さんの希望）",
        HandoffReason::CardBlocked => "暗証番号ロック",
        HandoffReason::PaperDocument => "書類の確認",
        HandoffReason::EligibilityInvalid => "資格無効",
        HandoffReason::NoEligibility => "資格情報なし",
        HandoffReason::SeveralMatches => "資格が複数該当",
        HandoffReason::GatewayUnavailable => "オンライン資格確認に接続できない",
        HandoffReason::CertificateNotAccepted => "電子証明書が受け付けられない",
        HandoffReason::CertificateExpired => "電子証明書の有効期限切れ",
        HandoffReason::PatientCalledStaff => "患者さんがスタッフを呼んだ",
        HandoffReason::ReaderOutOfService => "カードリーダーの故障",
        HandoffReason::ConfirmResultAtDesk => "顔認証付きカードリーダーの結果を窓口で確認",
    })
}

/// A role's name as staff say it (`staff`, `manager`, `technician`): the accounts page's name
/// (`Role::japanese`: スタッフ, 管理者, 技術担当), so each role has one name everywhere.
pub fn role_name(code: &str) -> &'static str {
    crate::staff::Role::parse(code).map_or("スタッフ", crate::staff::Role::japanese)
}

/// 「2026-11-21T01:00:00Z」 → 「2026-11-21 10:00」 (JST); anything else as it is.
fn jst_time(rfc3339: &str) -> String {
    use chrono::{Datelike, Timelike};
    match crate::dates::parse_rfc3339(rfc3339) {
        Some(t) => {
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
        None => rfc3339.to_owned(),
    }
}

/// The entry as one sentence, ending with 「― 」 and who did it. Kinds this function does not
/// know are named as 「記録（種類：…）」 rather than left out.
pub fn sentence(f: &AuditFacts<'_>) -> String {
    let number = match f.reception_number {
        Some(n) => format!("受付 {n}"),
        None => "番号のない受付".to_owned(),
    };
    let d = f.detail;
    let kiosk = || crate::rules::kiosk_label(field(d, "kiosk").unwrap_or(""));
    let login = || field(d, "login").unwrap_or("");
    let what = match f.action {
        "check_in_committed" => match field(d, "outcome") {
            Some("completed") => format!(
                "{number} を受付機で受付（{}）",
                field(d, "verification")
                    .and_then(method_name)
                    .unwrap_or("資格確認済み")
            ),
            Some("handed_to_staff") => format!(
                "{number} を受付機から受付へ引き継ぎ（理由：{}）",
                field(d, "reason").and_then(reason_name).unwrap_or("その他")
            ),
            Some("cancelled") => "受付機での受付を患者さんが取り消し".to_owned(),
            Some("timed_out") => "受付機での受付が操作のないまま終了".to_owned(),
            _ => format!("{number} を受付機で記録"),
        },
        "handoff_resolved" => {
            let counted = field(d, "counts_toward_usage_rate")
                .and_then(|c| c.rsplit("->").next())
                .map(|c| c == "true");
            let method = field(d, "verification")
                .and_then(|v| v.rsplit("->").next())
                .and_then(method_name);
            let mut s = match (field(d, "closed_as"), method) {
                (Some("verified"), Some(method)) => format!(
                    "{number} を『{method}』で記録（{}）",
                    if counted == Some(true) {
                        "利用率に数える"
                    } else {
                        "利用率に数えない"
                    }
                ),
                (Some("cancelled"), _) => format!("{number} を取り消し"),
                _ => format!("{number} を「確認できなかった」と記録"),
            };
            if let Some(note) = f.note.map(str::trim).filter(|n| !n.is_empty()) {
                s.push_str(&format!("。メモ：「{note}」"));
            }
            s
        }
        "handoff_corrected" => {
            let after = |key: &str| field(d, key).and_then(|v| v.rsplit("->").next());
            let method = after("verification").and_then(method_name);
            let to = match (after("closed_as"), method) {
                (Some("verified"), Some(method)) => format!(
                    "『{method}』（{}）",
                    if after("counts_toward_usage_rate") == Some("true") {
                        "利用率に数える"
                    } else {
                        "利用率に数えない"
                    }
                ),
                (Some("cancelled"), _) => "「取り消し」".to_owned(),
                _ => "「確認できなかった」".to_owned(),
            };
            let why = d.split_once(" reason=").map_or("", |(_, r)| r.trim());
            format!("{number} の記録を{to}に訂正。理由：「{why}」")
        }
        "patient_name_forgotten" => {
            let day = d
                .split_once('(')
                .and_then(|(_, rest)| rest.split_once(')'))
                .map_or("", |(day, _)| day);
            format!("{number} の氏名を消去（{day} の受付のまま対応待ちだったため）")
        }
        "staff_account_created" => format!(
            "アカウント {}（{}）を追加",
            login(),
            role_name(field(d, "role").unwrap_or(""))
        ),
        "account_disabled" => format!("アカウント {} を無効化（退職など）", login()),
        "account_enabled" => format!("アカウント {} を有効に戻す", login()),
        "password_reset" => format!("アカウント {} のパスワードを再設定", login()),
        "account_unlocked" => format!("アカウント {} のロックを解除", login()),
        "account_locked" => format!(
            "パスワードの誤りが続いたため、アカウントを {} までロック",
            jst_time(field(d, "until").unwrap_or(""))
        ),
        "signed_in" => "ログイン".to_owned(),
        "signed_out" => "ログアウト".to_owned(),
        "sign_in_failed" => {
            let from = d.rsplit(' ').next().unwrap_or("");
            format!("パスワードの誤り（接続元 {from}）")
        }
        "sign_in_refused" => {
            if d.starts_with("account locked") {
                "ロック中のためログインを拒否".to_owned()
            } else if d.starts_with("account disabled") {
                "無効（退職）のアカウントのためログインを拒否".to_owned()
            } else {
                "登録されていないログイン名でのログインを拒否".to_owned()
            }
        }
        "kiosk_paused" => match field(d, "reopens_at") {
            Some(at) => format!(
                "受付機「{}」を休止（{} ごろ再開の予定）",
                kiosk(),
                jst_time(at)
            ),
            None => format!("受付機「{}」を休止", kiosk()),
        },
        "kiosk_reopened" => match field(d, "from") {
            Some("console") => format!("受付機「{}」を再開（スタッフ画面から）", kiosk()),
            _ => format!("受付機「{}」を再開", kiosk()),
        },
        "kiosk_pin_set" => format!("{} の受付機用暗証番号を設定", login()),
        "kiosk_pin_failed" => match field(d, "locked_until") {
            Some(until) => format!(
                "受付機「{}」でスタッフ用暗証番号の誤り（{} までロック）",
                kiosk(),
                jst_time(until)
            ),
            None => format!("受付機「{}」でスタッフ用暗証番号の誤り", kiosk()),
        },
        "kiosk_staff_mode_opened" => format!("受付機「{}」でスタッフモードを開始", kiosk()),
        "kiosk_staff_mode_closed" => format!("受付機「{}」でスタッフモードを終了", kiosk()),
        "kiosk_photo_compared" => format!(
            "{number} の顔写真を受付機「{}」で確認（資格確認の結果がないため記録せず、受付窓口で対応）",
            kiosk()
        ),
        "terminal_queried" => format!(
            "{number} の資格を資格確認端末に照会（{}）",
            match field(d, "outcome") {
                Some("answered") => match field(d, "validity") {
                    Some("valid") => "回答：有効",
                    Some("invalid" | "invalid_newer_exists") => "回答：無効",
                    Some("no_eligibility") => "回答：該当する資格なし",
                    Some("several_matches") => "回答：複数該当",
                    _ => "回答あり",
                },
                Some("not_usable") => "回答：確認できず",
                Some("timeout") => "時間内に回答なし",
                Some("error_file") => "端末が照会を受け付けず",
                Some("unreadable") => "回答を読み取れず",
                _ => "照会を書き込めず",
            }
        ),
        "provisioned" => "受付機の設定を反映".to_owned(),
        "orca_retry" => format!("{number} のORCAへの受付登録を再送"),
        "orca_done_by_hand" => format!("{number} をORCAに手作業で受付済みと記録"),
        _ => "その他の操作を記録".to_owned(),
    };
    // After a closing bracket the dash follows at once (「…（利用率に数える）― 受付 花子」).
    let gap = if what.ends_with(['）', '」', '』']) {
        ""
    } else {
        " "
    };
    format!("{what}{gap}― {}", who(f.actor, f.actor_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(action: &'a str, detail: &'a str) -> AuditFacts<'a> {
        AuditFacts {
            action,
            detail,
            reception_number: Some(9),
            note: None,
            actor: "hanako",
            actor_name: Some("受付 花子"),
        }
    }

    fn say(action: &str, detail: &str) -> String {
        sentence(&facts(action, detail))
    }

    #[test]
    fn a_resolved_handoff_names_the_method_the_count_the_note_and_the_person() {
        let mut f = facts(
            "handoff_resolved",
            "reason=several_matches closed_as=verified \
             verification=card_via_reader->card_via_reader counts_toward_usage_rate=true->true",
        );
        assert_eq!(
            sentence(&f),
            "受付 9 を『マイナ保険証（カード）』で記録（利用率に数える）― 受付 花子"
        );
        f.note = Some("保険者に電話で確認");
        assert_eq!(
            sentence(&f),
            "受付 9 を『マイナ保険証（カード）』で記録（利用率に数える）。メモ：「保険者に電話で確認」― 受付 花子"
        );
        assert_eq!(
            say(
                "handoff_resolved",
                "reason=confirm_portal_screen closed_as=verified \
                 verification=portal_screen_checked_by_staff->portal_screen_checked_by_staff \
                 counts_toward_usage_rate=false->false"
            ),
            "受付 9 を『資格情報画面をスタッフが確認』で記録（利用率に数えない）― 受付 花子"
        );
        assert_eq!(
            say(
                "handoff_resolved",
                "reason=gateway_unavailable closed_as=unresolved verification=->- \
                 counts_toward_usage_rate=false->false"
            ),
            "受付 9 を「確認できなかった」と記録 ― 受付 花子"
        );
        assert_eq!(
            say(
                "handoff_resolved",
                "reason=patient_called_staff closed_as=cancelled verification=-->- \
                 counts_toward_usage_rate=false->false"
            ),
            "受付 9 を取り消し ― 受付 花子"
        );
    }

    #[test]
    fn the_kiosks_entries_say_what_the_patient_did() {
        let kiosk = |detail: &str, number: Option<u32>| {
            sentence(&AuditFacts {
                action: "check_in_committed",
                detail,
                reception_number: number,
                note: None,
                actor: "kiosk",
                actor_name: None,
            })
        };
        assert_eq!(
            kiosk(
                "outcome=completed reason=- verification=card_via_reader reception_number=3",
                Some(3)
            ),
            "受付 3 を受付機で受付（マイナ保険証（カード））― 受付機"
        );
        assert_eq!(
            kiosk(
                "outcome=handed_to_staff reason=several_matches verification=card_via_reader \
                 reception_number=2",
                Some(2)
            ),
            "受付 2 を受付機から受付へ引き継ぎ（理由：資格が複数該当）― 受付機"
        );
        assert_eq!(
            kiosk(
                "outcome=cancelled reason=- verification=- reception_number=-",
                None
            ),
            "受付機での受付を患者さんが取り消し ― 受付機"
        );
        assert_eq!(
            kiosk(
                "outcome=timed_out reason=- verification=- reception_number=-",
                None
            ),
            "受付機での受付が操作のないまま終了 ― 受付機"
        );
    }

    #[test]
    fn accounts_sign_ins_and_kiosks_read_as_sentences() {
        let cases = [
            (
                "staff_account_created",
                "login=tanaka role=manager",
                "アカウント tanaka（管理者）を追加",
            ),
            (
                "account_disabled",
                "login=tanaka sessions_ended=1",
                "アカウント tanaka を無効化（退職など）",
            ),
            (
                "account_enabled",
                "login=tanaka",
                "アカウント tanaka を有効に戻す",
            ),
            (
                "sign_in_refused",
                "account disabled; from 10.0.0.7",
                "無効（退職）のアカウントのためログインを拒否",
            ),
            (
                "password_reset",
                "login=tanaka sessions_ended=0",
                "アカウント tanaka のパスワードを再設定",
            ),
            (
                "account_unlocked",
                "login=tanaka",
                "アカウント tanaka のロックを解除",
            ),
            (
                "account_locked",
                "until=2026-11-21T01:15:00Z sessions_ended=2",
                "パスワードの誤りが続いたため、アカウントを 2026-11-21 10:15 までロック",
            ),
            ("signed_in", "", "ログイン"),
            ("signed_out", "", "ログアウト"),
            (
                "sign_in_failed",
                "wrong password from 10.0.0.7",
                "パスワードの誤り（接続元 10.0.0.7）",
            ),
            (
                "sign_in_refused",
                "account locked; from 10.0.0.7",
                "ロック中のためログインを拒否",
            ),
            ("kiosk_paused", "kiosk=entrance", "受付機「entrance」を休止"),
            (
                "kiosk_paused",
                "kiosk=entrance reopens_at=2026-11-22T13:30:00+09:00",
                "受付機「entrance」を休止（2026-11-22 13:30 ごろ再開の予定）",
            ),
            (
                "kiosk_reopened",
                "kiosk=entrance",
                "受付機「entrance」を再開",
            ),
            (
                "kiosk_reopened",
                "kiosk=entrance from=console",
                "受付機「entrance」を再開（スタッフ画面から）",
            ),
            (
                "kiosk_pin_set",
                "login=tanaka",
                "tanaka の受付機用暗証番号を設定",
            ),
            (
                "kiosk_pin_failed",
                "kiosk=entrance",
                "受付機「entrance」でスタッフ用暗証番号の誤り",
            ),
            (
                "kiosk_staff_mode_opened",
                "kiosk=entrance",
                "受付機「entrance」でスタッフモードを開始",
            ),
            (
                "kiosk_staff_mode_closed",
                "kiosk=entrance why=timeout",
                "受付機「entrance」でスタッフモードを終了",
            ),
            (
                "kiosk_photo_compared",
                "kiosk=entrance 受付機（entrance）のスタッフモードで確認",
                "受付 9 の顔写真を受付機「entrance」で確認（資格確認の結果がないため記録せず、受付窓口で対応）",
            ),
            (
                "patient_name_forgotten",
                "handoff still open after its visit day (2026-11-20)",
                "受付 9 の氏名を消去（2026-11-20 の受付のまま対応待ちだったため）",
            ),
            ("provisioned", "from x; changed: y", "受付機の設定を反映"),
        ];
        for (action, detail, said) in cases {
            assert_eq!(
                say(action, detail),
                format!(
                    "{said}{}― 受付 花子",
                    if said.ends_with('）') { "" } else { " " }
                ),
                "{action}"
            );
        }
    }

    #[test]
    fn a_terminal_query_says_what_came_back_and_no_name() {
        for (detail, said) in [
            (
                "outcome=answered validity=valid file=OQSsiquc01res_202605120001.xml",
                "受付 9 の資格を資格確認端末に照会（回答：有効）",
            ),
            (
                "outcome=answered validity=invalid file=x.xml",
                "受付 9 の資格を資格確認端末に照会（回答：無効）",
            ),
            (
                "outcome=timeout",
                "受付 9 の資格を資格確認端末に照会（時間内に回答なし）",
            ),
            (
                "outcome=error_file",
                "受付 9 の資格を資格確認端末に照会（端末が照会を受け付けず）",
            ),
        ] {
            assert_eq!(
                say("terminal_queried", detail),
                format!("{said}― 受付 花子")
            );
        }
    }

    #[test]
    fn the_default_kiosk_reads_as_on_the_console_pages() {
        let name = crate::rules::DEFAULT_KIOSK_NAME;
        for (action, detail, said) in [
            (
                "kiosk_paused",
                format!("kiosk={name}"),
                "受付機「受付機1」を休止",
            ),
            (
                "kiosk_staff_mode_opened",
                format!("kiosk={name}"),
                "受付機「受付機1」でスタッフモードを開始",
            ),
        ] {
            assert_eq!(
                say(action, &detail),
                format!("{said} ― 受付 花子"),
                "{action}"
            );
        }
    }

    #[test]
    fn a_correction_says_what_it_became_and_why() {
        assert_eq!(
            say(
                "handoff_corrected",
                "closed_as=verified->verified \
                 verification=portal_screen_checked_by_staff->eligibility_certificate \
                 counts_toward_usage_rate=false->false staff=sato->hanako reason=資格確認書 だった"
            ),
            "受付 9 の記録を『資格確認書』（利用率に数えない）に訂正。理由：「資格確認書 だった」― 受付 花子"
        );
        assert_eq!(
            say(
                "handoff_corrected",
                "closed_as=verified->cancelled verification=card_via_reader->- \
                 counts_toward_usage_rate=true->false staff=sato->sato reason=別の患者さん"
            ),
            "受付 9 の記録を「取り消し」に訂正。理由：「別の患者さん」― 受付 花子"
        );
        assert_eq!(
            say("someone_elses_new_kind", "x=y"),
            "その他の操作を記録 ― 受付 花子"
        );
    }

    #[test]
    fn who_is_the_persons_name_or_what_acted() {
        assert_eq!(who("hanako", Some("受付 花子")), "受付 花子");
        assert_eq!(who("kiosk", None), "受付機");
        assert_eq!(who("cli", None), "技術担当（コマンド）");
        assert_eq!(who("(unknown login)", None), "登録されていないログイン名");
        assert_eq!(who("gone", None), "gone");
    }
}
