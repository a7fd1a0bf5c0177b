//! The clinic's departments (診療科) as data: which the kiosk asks the patient to choose, and
//! how each is named on the Japanese and English screens. Pure: no I/O.
//!
//! Where the list comes from (issue 17 item 2): the facility file's `departments` (a list of
//! `{code, name, name_en?}`), or ORCA's department list (`system01lstv2`, integration-formats.md
//! §2.3, cached in the store and refreshed daily by the ORCA adapter), handed to the flow in
//! [`crate::rules::FacilityConfig::departments`]. The facility file's `department` (one code)
//! fixes the department of every check-in at this kiosk: no question. English names: the
//! facility's `name_en`, else `config/departments.json` (common names), else the Japanese.
//! Never constants in code: every name and code is data.

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// One department as the facility file (or ORCA) gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Department {
    /// The code the receipt software knows it by, e.g. ORCA's 2-digit 診療科コード "01"
    /// (integration-formats.md §2.3, `system01lstv2` `Department_Code`). Stored with the
    /// check-in as is.
    pub code: String,
    /// The name as the clinic writes it, in Japanese, e.g. 「内科」.
    pub name: String,
    /// The English name on the English screen, e.g. "Internal medicine". Absent: the common
    /// name from `config/departments.json`, else the Japanese name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
}

/// A department as the choice screen shows it: its code and its name in each language (`en`
/// is the Japanese name when no English one is known).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DepartmentLabel {
    pub code: String,
    pub ja: String,
    pub en: String,
}

/// What the kiosk does about the department at a check-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DepartmentQuestion {
    /// No department configured: none is recorded (as before issue 17).
    NoDepartment,
    /// Recorded without a question: the facility fixes it (`department`) or has only one.
    Fixed(String),
    /// Two or more departments: the patient chooses (`Screen::ChooseDepartment`).
    Ask(Vec<DepartmentLabel>),
}

/// Most departments a facility file may list: the screen shows 12 without scrolling and
/// scrolls beyond (a clinic with more hands the choice to staff by fixing `department`).
pub const MAX_DEPARTMENTS: usize = 36;

/// Longest department name, in characters (e.g. 「耳鼻咽喉科・頭頸部外科」 is 11).
pub const MAX_NAME_CHARS: usize = 20;

/// The question for a facility's `departments` and fixed `department`.
pub fn question(departments: &[Department], fixed: Option<&str>) -> DepartmentQuestion {
    match (fixed, departments) {
        (Some(code), _) => DepartmentQuestion::Fixed(code.to_owned()),
        (None, []) => DepartmentQuestion::NoDepartment,
        (None, [only]) => DepartmentQuestion::Fixed(only.code.clone()),
        (None, many) => DepartmentQuestion::Ask(many.iter().map(label).collect()),
    }
}

/// A department's names on the screen.
pub fn label(department: &Department) -> DepartmentLabel {
    let en = department
        .name_en
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .or_else(|| english_name(&department.name))
        .unwrap_or(&department.name);
    DepartmentLabel {
        code: department.code.clone(),
        ja: department.name.clone(),
        en: en.to_owned(),
    }
}

/// The common English name of a Japanese department name, from `config/departments.json`.
pub fn english_name(japanese: &str) -> Option<&'static str> {
    english_names().get(japanese.trim()).map(String::as_str)
}

fn english_names() -> &'static BTreeMap<String, String> {
    static NAMES: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        #[derive(Deserialize)]
        struct File {
            names: BTreeMap<String, String>,
        }
        // Embedded and checked by `the_english_names_file_reads`: a broken file fails the
        // build's tests, never a kiosk.
        serde_json::from_str::<File>(include_str!("../config/departments.json"))
            .map(|f| f.names)
            .unwrap_or_default()
    })
}

/// Departments from ORCA's list (`system01lstv2`: code and Japanese name pairs); English names
/// from `config/departments.json`.
pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Vec<Department> {
    pairs
        .into_iter()
        .map(|(code, name)| Department {
            code,
            name,
            name_en: None,
        })
        .collect()
}

/// Every problem with the facility file's `departments` and `department`, as (key, what is
/// wrong), for [`crate::rules::FacilityConfig::check_json`].
pub fn problems(departments: &[Department], fixed: Option<&str>) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let good_code =
        |c: &str| (1..=8).contains(&c.len()) && c.chars().all(|ch| ch.is_ascii_alphanumeric());
    if departments.len() > MAX_DEPARTMENTS {
        out.push((
            "departments",
            format!(
                "lists {} departments; at most {MAX_DEPARTMENTS} fit the choice screen",
                departments.len()
            ),
        ));
    }
    let mut seen = HashSet::new();
    for (i, d) in departments.iter().enumerate() {
        if !good_code(&d.code) {
            out.push((
                "departments",
                format!(
                    "department {} ({:?}): code {:?} must be 1 to 8 letters or digits, e.g. \"01\"",
                    i + 1,
                    d.name,
                    d.code
                ),
            ));
        } else if !seen.insert(d.code.as_str()) {
            out.push(("departments", format!("code {:?} is listed twice", d.code)));
        }
        let chars = d.name.trim().chars().count();
        if chars == 0 || chars > MAX_NAME_CHARS {
            out.push((
                "departments",
                format!(
                    "department {} (code {:?}): name must be 1 to {MAX_NAME_CHARS} characters, e.g. \"内科\"",
                    i + 1,
                    d.code
                ),
            ));
        }
        if d.name_en.as_ref().is_some_and(|n| n.chars().count() > 40) {
            out.push((
                "departments",
                format!(
                    "department {} (code {:?}): name_en must be at most 40 characters",
                    i + 1,
                    d.code
                ),
            ));
        }
    }
    if let Some(code) = fixed {
        if !good_code(code) {
            out.push((
                "department",
                format!(
                    "{code:?} must be a department code of 1 to 8 letters or digits, e.g. \"01\""
                ),
            ));
        } else if !departments.is_empty() && !departments.iter().any(|d| d.code == code) {
            out.push((
                "department",
                format!("{code:?} is not one of the codes in departments"),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(code: &str, name: &str, name_en: Option<&str>) -> Department {
        Department {
            code: code.into(),
            name: name.into(),
            name_en: name_en.map(Into::into),
        }
    }

    #[test]
    fn the_english_names_file_reads() {
        assert!(english_names().len() >= 20);
        assert_eq!(english_name("内科"), Some("Internal medicine"));
        assert_eq!(
            english_name("耳鼻咽喉科"),
            Some("ENT (ear, nose and throat)")
        );
        assert_eq!(english_name("産婦人科"), Some("Obstetrics and gynecology"));
    }

    #[test]
    fn asked_only_with_several_and_no_fixed_department() {
        let two = [d("01", "内科", None), d("02", "小児科", None)];
        let cases: [(&[Department], Option<&str>, DepartmentQuestion); 5] = [
            (&[], None, DepartmentQuestion::NoDepartment),
            (&two[..1], None, DepartmentQuestion::Fixed("01".into())),
            (&two, Some("02"), DepartmentQuestion::Fixed("02".into())),
            (&[], Some("09"), DepartmentQuestion::Fixed("09".into())),
            (
                &two,
                None,
                DepartmentQuestion::Ask(vec![
                    DepartmentLabel {
                        code: "01".into(),
                        ja: "内科".into(),
                        en: "Internal medicine".into(),
                    },
                    DepartmentLabel {
                        code: "02".into(),
                        ja: "小児科".into(),
                        en: "Pediatrics".into(),
                    },
                ]),
            ),
        ];
        for (departments, fixed, expected) in cases {
            assert_eq!(
                question(departments, fixed),
                expected,
                "{departments:?} {fixed:?}"
            );
        }
    }

    #[test]
    fn english_name_from_the_facility_then_the_file_then_the_japanese() {
        assert_eq!(
            label(&d("01", "内科", Some("General medicine"))).en,
            "General medicine"
        );
        assert_eq!(label(&d("01", "内科", None)).en, "Internal medicine");
        assert_eq!(label(&d("01", "内科", Some(" "))).en, "Internal medicine");
        assert_eq!(label(&d("07", "漢方内科", None)).en, "漢方内科");
    }

    #[test]
    fn bad_lists_name_the_key() {
        let cases: [(Vec<Department>, Option<&str>, &str, &str); 7] = [
            (vec![d("", "内科", None)], None, "departments", "code \"\""),
            (
                vec![d("01", "内科", None), d("01", "外科", None)],
                None,
                "departments",
                "listed twice",
            ),
            (vec![d("01", "", None)], None, "departments", "name must be"),
            (
                vec![d("01", &"内".repeat(21), None)],
                None,
                "departments",
                "name must be",
            ),
            (
                vec![d("01", "内科", Some(&"x".repeat(41)))],
                None,
                "departments",
                "name_en",
            ),
            (
                vec![d("01", "内科", None)],
                Some("02"),
                "department",
                "not one of the codes",
            ),
            (vec![], Some("0 1"), "department", "letters or digits"),
        ];
        for (departments, fixed, key, words) in cases {
            let p = problems(&departments, fixed);
            assert_eq!(p.len(), 1, "{departments:?} {fixed:?}: {p:?}");
            assert_eq!(p[0].0, key);
            assert!(p[0].1.contains(words), "{:?} lacks {words:?}", p[0].1);
        }
        let many: Vec<_> = (0..=MAX_DEPARTMENTS)
            .map(|i| d(&format!("{i:02}"), "内科", None))
            .collect();
        assert!(problems(&many, None)[0].1.contains("at most"));
        assert!(problems(&[d("01", "内科", None), d("02", "外科", None)], Some("02")).is_empty());
    }
}
