//! What reception staff type into the resolve page's fields, read the way they type it.
//!
//! Clerks type with the Japanese IME often still on: full-width digits and letters (０１１３,
//! Ｒ９．３．３１), a one-digit 枝番 ("1"), dates with slashes or in the Japanese era (和暦,
//! 令和9年3月31日). Each function here folds the width (Unicode NFKC), accepts those forms and
//! returns the value to store, or a refusal in Japanese that names the actual fault (8 digits
//! typed full-width are accepted, never refused as "not 6 or 8 digits"). Pure: no I/O, no clock.

use chrono::Datelike;

use crate::dates::Date;
use unicode_normalization::UnicodeNormalization;

use crate::domain::BurdenRatio;

/// Why a typed value cannot be stored, for the clerk (Japanese) and the logs (English).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub japanese: String,
    pub english: String,
}

fn refuse(japanese: impl Into<String>, english: impl Into<String>) -> Refusal {
    Refusal {
        japanese: japanese.into(),
        english: english.into(),
    }
}

/// The text with its width folded (NFKC: full-width ASCII to ASCII, the ideographic space to a
/// space, half-width katakana to full-width, ㋿ to 令和) and the ends trimmed.
pub fn fold(raw: &str) -> String {
    raw.nfkc().collect::<String>().trim().to_owned()
}

/// Dashes clerks type between digits (the IME's long-vowel mark, minus signs, hyphens), as
/// `-`. Only for fields made of digits: in 記号 a 「ー」 may be part of the text.
fn dashes_to_hyphen(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'ー' | '−' | '‐' | '‑' | '‒' | '–' | '—' | '―' | '﹣' => '-',
            c => c,
        })
        .collect()
}

/// Digits only, from a field where clerks may group digits with spaces or hyphens as a screen
/// shows them ("0113 0012", "01-130012").
fn digits_typed(raw: &str) -> String {
    dashes_to_hyphen(&fold(raw))
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

fn first_non_digit(s: &str) -> Option<char> {
    s.chars().find(|c| !c.is_ascii_digit())
}

/// 保険者番号: 6 digits (国民健康保険) or 8, the last a check digit (検証番号). Returns the
/// digits to store.
pub fn insurer_number(raw: &str) -> Result<String, Refusal> {
    let digits = digits_typed(raw);
    if digits.is_empty() {
        return Err(refuse(
            "保険者番号を入力してください。",
            "Enter the insurer number.",
        ));
    }
    if let Some(c) = first_non_digit(&digits) {
        return Err(refuse(
            format!("保険者番号は数字だけです。「{c}」は入力できません。"),
            format!("The insurer number is digits only; '{c}' cannot be typed."),
        ));
    }
    let n = digits.len();
    if n != 6 && n != 8 {
        return Err(refuse(
            format!("保険者番号は6桁（国民健康保険）か8桁です。入力されたのは{n}桁です。"),
            format!("The insurer number has 6 or 8 digits; {n} were typed."),
        ));
    }
    if !check_digit_matches(&digits) {
        return Err(refuse(
            "最後の1桁（検証番号）が合いません。画面の番号をもう一度確認してください。",
            "The last digit (check digit) does not match. Check the number on the screen again.",
        ));
    }
    Ok(digits)
}

/// Whether the last of `digits` (ASCII digits) is the check digit of the others: the others
/// weighted 2, 1, 2, … from the right, the digits of each product summed, and 10 minus the
/// last digit of the sum (0 when that is 0). The page's script (`/resolve.js`) checks the same
/// while the clerk types; this stays the authority.
pub fn check_digit_matches(digits: &str) -> bool {
    let values: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    let Some((check, body)) = values.split_last() else {
        return false;
    };
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let p = if i % 2 == 0 { d * 2 } else { *d };
            p / 10 + p % 10
        })
        .sum();
    *check == (10 - sum % 10) % 10
}

/// 枝番: none when empty, else 2 digits; one digit is padded ("1" → "01").
pub fn branch(raw: &str) -> Result<Option<String>, Refusal> {
    let digits = digits_typed(raw);
    if digits.is_empty() {
        return Ok(None);
    }
    if let Some(c) = first_non_digit(&digits) {
        return Err(refuse(
            format!("枝番は数字だけです。「{c}」は入力できません（ない場合は空欄）。"),
            format!("The branch number is digits only; '{c}' cannot be typed."),
        ));
    }
    match digits.len() {
        1 => Ok(Some(format!("0{digits}"))),
        2 => Ok(Some(digits)),
        n => Err(refuse(
            format!("枝番は2桁です。入力されたのは{n}桁です（ない場合は空欄）。"),
            format!("The branch number has 2 digits; {n} were typed."),
        )),
    }
}

/// 記号 or 番号 as shown (kanji and kana kept), width folded; at most 20 characters.
/// `name` is the field's Japanese name. `Ok(None)` when empty.
pub fn text_as_shown(raw: &str, name: &str) -> Result<Option<String>, Refusal> {
    let text = fold(raw);
    if text.chars().any(char::is_control) {
        return Err(refuse(
            format!("{name}に使えない文字があります。"),
            format!("The {name} holds a control character."),
        ));
    }
    let n = text.chars().count();
    if n > 20 {
        return Err(refuse(
            format!("{name}は20文字までです（入力は{n}文字）。"),
            format!("The {name} has at most 20 characters; {n} were typed."),
        ));
    }
    Ok((!text.is_empty()).then_some(text))
}

/// The value of the 負担割合 choice: a ratio the screen shows, or [`NO_RATIO_SHOWN`].
pub fn burden_ratio(raw: &str) -> Result<Option<BurdenRatio>, Refusal> {
    match raw.trim() {
        "10" => Ok(Some(BurdenRatio(10))),
        "20" => Ok(Some(BurdenRatio(20))),
        "30" => Ok(Some(BurdenRatio(30))),
        NO_RATIO_SHOWN => Ok(None),
        _ => Err(refuse(
            "負担割合を選んでください（画面に表示がなければ「表示なし」）。",
            "Choose the burden ratio, or 'not shown'.",
        )),
    }
}

/// The 負担割合 choice's value for "the screen shows no ratio" (judged by age at the desk).
pub const NO_RATIO_SHOWN: &str = "none";

/// A Japanese era (元号): its name, the letter clerks abbreviate it with (R9.3.31), its first
/// day, and the day before the next era's first day, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Era {
    pub name: &'static str,
    pub letter: char,
    pub first_day: Date,
}

/// The eras a date on an insurance document can be written in, newest first. Sources: the
/// Cabinet Office's era-name ordinances (令和: 2019-05-01; 平成: 1989-01-08; 昭和:
/// 1926-12-25).
pub const ERAS: [Era; 3] = [
    Era {
        name: "令和",
        letter: 'R',
        first_day: crate::date!(2019 - 05 - 01),
    },
    Era {
        name: "平成",
        letter: 'H',
        first_day: crate::date!(1989 - 01 - 08),
    },
    Era {
        name: "昭和",
        letter: 'S',
        first_day: crate::date!(1926 - 12 - 25),
    },
];

/// A date as clerks type it: 2027-03-31, 2027/03/31, 2027/3/31, 2027.3.31, 2027年3月31日,
/// 20270331, or in the era: 令和9年3月31日, 令和元年5月1日, R9.3.31, R9/3/31, 令和9/3/31 (any
/// of them full-width).
pub fn date(raw: &str) -> Result<Date, Refusal> {
    let text: String = dashes_to_hyphen(&fold(raw))
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let unreadable = || {
        refuse(
            "日付は 2027-03-31、2027/3/31、令和9年3月31日、R9.3.31 のように入力してください。",
            "Type the date as 2027-03-31, 2027/3/31, 令和9年3月31日 or R9.3.31.",
        )
    };
    if text.is_empty() {
        return Err(unreadable());
    }
    // The era, by name or by letter.
    let mut era = None;
    let mut rest = text.as_str();
    for e in ERAS {
        if let Some(r) = rest.strip_prefix(e.name) {
            era = Some(e);
            rest = r;
            break;
        }
        let mut chars = rest.chars();
        if chars
            .next()
            .is_some_and(|c| c.eq_ignore_ascii_case(&e.letter))
        {
            era = Some(e);
            rest = chars.as_str();
            break;
        }
    }
    let rest = rest.strip_suffix('日').unwrap_or(rest);
    let parts: Vec<&str> = if era.is_none() && rest.len() == 8 && first_non_digit(rest).is_none() {
        vec![&rest[..4], &rest[4..6], &rest[6..]]
    } else {
        rest.split(['-', '/', '.', '年', '月']).collect()
    };
    let [year, month, day] = parts[..] else {
        return Err(unreadable());
    };
    let number = |s: &str, max_len: usize| {
        (!s.is_empty() && s.len() <= max_len && first_non_digit(s).is_none())
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let year = match era {
        Some(_) if year == "元" => Some(1),
        Some(_) => number(year, 2),
        None => number(year, 4).filter(|_| year.len() == 4),
    };
    let (Some(year), Some(month), Some(day)) = (year, number(month, 2), number(day, 2)) else {
        return Err(unreadable());
    };
    let written = match era {
        Some(e) => format!("{}{year}年{month}月{day}日", e.name),
        None => format!("{year}年{month}月{day}日"),
    };
    let gregorian = match era {
        Some(e) if year == 0 => {
            return Err(refuse(
                format!("{}0年はありません（1年は「元年」）。", e.name),
                "There is no year 0 of an era.",
            ));
        }
        Some(e) => e.first_day.year() as u32 + year - 1,
        None => year,
    };
    let no_such_day = || {
        refuse(
            format!("{written}という日はありません。"),
            format!("There is no such day: {written}."),
        )
    };
    // Day and month have at most two digits (`number` above).
    let date = Date::from_ymd_opt(gregorian as i32, month, day).ok_or_else(no_such_day)?;
    if let Some(e) = era {
        let next = ERAS
            .iter()
            .rev()
            .find(|later| later.first_day > e.first_day)
            .map(|later| later.first_day);
        let before = date < e.first_day;
        let after = next.is_some_and(|n| date >= n);
        if before || after {
            let span = match next {
                Some(n) => format!(
                    "{}は{}から{}まで",
                    e.name,
                    kanji_date(e.first_day),
                    kanji_date(n.pred_opt().unwrap_or(n))
                ),
                None => format!("{}は{}から", e.name, kanji_date(e.first_day)),
            };
            return Err(refuse(
                format!("{written}はありません（{span}）。"),
                format!("{written} is outside the era."),
            ));
        }
    }
    Ok(date)
}

fn kanji_date(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// The date in the era, as staff read it on documents: 令和9年3月31日 (令和元年 for the
/// first year). None before the oldest era in [`ERAS`].
pub fn wareki(d: Date) -> Option<String> {
    let era = ERAS.iter().find(|e| d >= e.first_day)?;
    let year = d.year() - era.first_day.year() + 1;
    let year = if year == 1 {
        "元".to_owned()
    } else {
        year.to_string()
    };
    Some(format!("{}{year}年{}月{}日", era.name, d.month(), d.day()))
}

/// The insurer number as read back to the clerk: 8 digits in two groups of four
/// ("0113 0012"), 6 digits as they are.
pub fn grouped_insurer_number(digits: &str) -> String {
    if digits.len() == 8 && digits.is_ascii() {
        format!("{} {}", &digits[..4], &digits[4..])
    } else {
        digits.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date;

    #[test]
    fn full_width_digits_and_grouping_are_read_as_the_number() {
        assert_eq!(insurer_number("０１１３００１２").unwrap(), "01130012");
        assert_eq!(insurer_number(" 0113 0012 ").unwrap(), "01130012");
        assert_eq!(insurer_number("０１１３　００１２").unwrap(), "01130012");
        assert_eq!(insurer_number("01-130012").unwrap(), "01130012");
        assert_eq!(insurer_number("138065").unwrap(), "138065");
        assert_eq!(insurer_number("１３８０６５").unwrap(), "138065");
    }

    #[test]
    fn each_insurer_number_fault_has_its_own_message() {
        let ja = |raw| insurer_number(raw).unwrap_err().japanese;
        assert_eq!(ja(""), "保険者番号を入力してください。");
        assert_eq!(ja("　"), "保険者番号を入力してください。");
        assert_eq!(
            ja("0113OO12"),
            "保険者番号は数字だけです。「O」は入力できません。"
        );
        assert_eq!(
            ja("０１１３００１"),
            "保険者番号は6桁（国民健康保険）か8桁です。入力されたのは7桁です。"
        );
        assert_eq!(
            ja("０１１３００１３"),
            "最後の1桁（検証番号）が合いません。画面の番号をもう一度確認してください。"
        );
        // The MHLW's number for unknown eligibility passes (77777779), the other form not.
        assert!(insurer_number("77777779").is_ok());
        assert!(insurer_number("77777777").is_err());
    }

    #[test]
    fn check_digits() {
        assert!(check_digit_matches("01130012"));
        assert!(!check_digit_matches("01130013"));
        assert!(check_digit_matches("138065"));
        assert!(!check_digit_matches(""));
    }

    #[test]
    fn a_one_digit_branch_is_padded() {
        assert_eq!(branch("1").unwrap().as_deref(), Some("01"));
        assert_eq!(branch("１").unwrap().as_deref(), Some("01"));
        assert_eq!(branch("０２").unwrap().as_deref(), Some("02"));
        assert_eq!(branch(" ").unwrap(), None);
        assert_eq!(
            branch("123").unwrap_err().japanese,
            "枝番は2桁です。入力されたのは3桁です（ない場合は空欄）。"
        );
        assert_eq!(
            branch("a").unwrap_err().japanese,
            "枝番は数字だけです。「a」は入力できません（ない場合は空欄）。"
        );
    }

    #[test]
    fn symbol_and_number_keep_kanji_and_fold_width() {
        assert_eq!(
            text_as_shown("ＡＢ１２", "記号").unwrap().as_deref(),
            Some("AB12")
        );
        assert_eq!(
            text_as_shown("東京　12", "記号").unwrap().as_deref(),
            Some("東京 12")
        );
        assert_eq!(text_as_shown("", "記号").unwrap(), None);
        assert_eq!(
            text_as_shown(&"1".repeat(21), "番号").unwrap_err().japanese,
            "番号は20文字までです（入力は21文字）。"
        );
    }

    #[test]
    fn dates_as_clerks_type_them() {
        let d = date!(2027 - 03 - 31);
        for typed in [
            "2027-03-31",
            "2027/03/31",
            "2027/3/31",
            "2027.3.31",
            "2027年3月31日",
            "２０２７／３／３１",
            "２０２７－０３－３１",
            "2027ー03ー31",
            "20270331",
            "令和9年3月31日",
            "令和９年３月３１日",
            "R9.3.31",
            "r9.3.31",
            "Ｒ９．３．３１",
            "R9/3/31",
            "令和9/3/31",
            "令和09.03.31",
            "㋿9年3月31日",
        ] {
            assert_eq!(date(typed), Ok(d), "{typed}");
        }
        assert_eq!(date("令和元年5月1日"), Ok(date!(2019 - 05 - 01)));
        assert_eq!(date("H31.4.30"), Ok(date!(2019 - 04 - 30)));
        assert_eq!(date("平成元年1月8日"), Ok(date!(1989 - 01 - 08)));
        assert_eq!(date("S64.1.7"), Ok(date!(1989 - 01 - 07)));
    }

    #[test]
    fn each_date_fault_has_its_own_message() {
        let ja = |raw| date(raw).unwrap_err().japanese;
        let unreadable =
            "日付は 2027-03-31、2027/3/31、令和9年3月31日、R9.3.31 のように入力してください。";
        assert_eq!(ja("来年の3月"), unreadable);
        assert_eq!(ja("27/3/31"), unreadable);
        assert_eq!(ja("2027-03"), unreadable);
        assert_eq!(ja("2027-02-30"), "2027年2月30日という日はありません。");
        assert_eq!(ja("令和9年13月1日"), "令和9年13月1日という日はありません。");
        assert_eq!(
            ja("平成31年5月1日"),
            "平成31年5月1日はありません（平成は1989年1月8日から2019年4月30日まで）。"
        );
        assert_eq!(
            ja("令和1年4月30日"),
            "令和1年4月30日はありません（令和は2019年5月1日から）。"
        );
        assert_eq!(ja("R0.1.1"), "令和0年はありません（1年は「元年」）。");
    }

    #[test]
    fn eras_are_newest_first_and_read_back() {
        assert!(ERAS.windows(2).all(|w| w[0].first_day > w[1].first_day));
        assert_eq!(
            wareki(date!(2027 - 03 - 31)).as_deref(),
            Some("令和9年3月31日")
        );
        assert_eq!(
            wareki(date!(2019 - 05 - 01)).as_deref(),
            Some("令和元年5月1日")
        );
        assert_eq!(
            wareki(date!(2019 - 04 - 30)).as_deref(),
            Some("平成31年4月30日")
        );
        assert_eq!(wareki(date!(1900 - 01 - 01)), None);
    }

    #[test]
    fn ratios_and_the_no_ratio_choice() {
        assert_eq!(burden_ratio("30"), Ok(Some(BurdenRatio(30))));
        assert_eq!(burden_ratio(NO_RATIO_SHOWN), Ok(None));
        assert_eq!(
            burden_ratio("").unwrap_err().japanese,
            "負担割合を選んでください（画面に表示がなければ「表示なし」）。"
        );
    }

    #[test]
    fn the_insurer_number_is_read_back_in_groups_of_four() {
        assert_eq!(grouped_insurer_number("01130012"), "0113 0012");
        assert_eq!(grouped_insurer_number("138065"), "138065");
    }
}
