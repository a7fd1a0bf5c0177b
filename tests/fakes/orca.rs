//! A fake ORCA (日レセ) API server for the tests and the benchmark: built from the public API
//! pages as the integration note (../shared/research/integration-formats.md §2, samples ORCA-A
//! to ORCA-C) gives them, not from the kiosk's client. JSON twin only (`?format=json`,
//! `{"acceptreq":{…}}` → `{"acceptres":{…}}`), HTTP Basic (a wrong password: 401), business
//! errors as HTTP 200 with `Api_Result`.
//!
//! `uketsuke-fake-orca --listen 127.0.0.1:PORT --state FILE [--user U --password P]
//!  [--busy N] [--hang-after-register]`
//!
//! - Receptions persist in FILE (written and fsync'd before answering), so a killed and
//!   restarted fake keeps them, as ORCA's database does.
//! - `--busy N`: the first N acceptmodv2 calls answer `90` (他端末使用中).
//! - `--hang-after-register`: acceptmodv2 registers (and persists) and then never answers: a
//!   kill mid-delivery.
//! - `--twin`: a second patient, `P-000999`, with `P-000123`'s reading and birth date (a
//!   kana and birth-date match finds several).
//! - `--patients N`: N more patients `B00001`…, each its own reading (for the benchmark).
//! - `GET /fake/state`: the receptions and the count of acceptmodv2 register calls per
//!   Patient_ID, for the tests to count.
//!
//! Patients: `00417` 見本 花子 (ミホン　ハナコ, 1981-02-14); `P-000123` 試験 一郎 (シケン　イチロウ,
//! 1981-06-15: the simulated gateway's registered patient); `00501` and `00502` both
//! 同名 太郎 (ドウメイ　タロウ, 1970-01-01: "several"). Departments 01 内科 and 02 小児科.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use unicode_normalization::UnicodeNormalization;

struct Patient {
    id: &'static str,
    name: &'static str,
    kana: &'static str,
    birth: &'static str,
    sex: &'static str,
}

const PATIENTS: [Patient; 4] = [
    Patient {
        id: "00417",
        name: "見本　花子",
        kana: "ミホン　ハナコ",
        birth: "1981-02-14",
        sex: "2",
    },
    Patient {
        id: "P-000123",
        name: "試験　一郎",
        kana: "シケン　イチロウ",
        birth: "1981-06-15",
        sex: "1",
    },
    Patient {
        id: "00501",
        name: "同名　太郎",
        kana: "ドウメイ　タロウ",
        birth: "1970-01-01",
        sex: "1",
    },
    Patient {
        id: "00502",
        name: "同名　太郎",
        kana: "ドウメイ　タロウ",
        birth: "1970-01-01",
        sex: "1",
    },
];

/// `--twin`'s patient.
const TWIN: Patient = Patient {
    id: "P-000999",
    name: "試験　一朗",
    kana: "シケン　イチロウ",
    birth: "1981-06-15",
    sex: "1",
};

const DEPARTMENTS: [(&str, &str); 2] = [("01", "内科"), ("02", "小児科")];

/// ORCA pads arrays to a fixed repeat count with `{}` (note §2.4).
const PAD_TO: usize = 5;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Persisted {
    receptions: Vec<Reception>,
    /// acceptmodv2 Request_Number 01 calls per Patient_ID (duplicates and refusals included).
    register_calls: BTreeMap<String, u32>,
    next_id: u32,
    busy_left: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Reception {
    acceptance_id: String,
    patient_id: String,
    department: String,
    physician: String,
    date: String,
    time: String,
}

struct Fake {
    state: Mutex<Persisted>,
    file: PathBuf,
    authorization: String,
    hang_after_register: bool,
    patients: Vec<&'static Patient>,
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let listen: SocketAddr = arg(&args, "--listen")
        .unwrap_or_else(|| "127.0.0.1:0".to_owned())
        .parse()
        .expect("--listen ADDR:PORT");
    let file = PathBuf::from(arg(&args, "--state").expect("--state FILE"));
    let user = arg(&args, "--user").unwrap_or_else(|| "ormaster".to_owned());
    let password = arg(&args, "--password").unwrap_or_else(|| "ormaster123".to_owned());
    let mut persisted = load(&file);
    if let Some(busy) = arg(&args, "--busy") {
        persisted.busy_left = busy.parse().expect("--busy N");
    }
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let fake = Arc::new(Fake {
        state: Mutex::new(persisted),
        file,
        authorization: format!("Basic {token}"),
        hang_after_register: args.iter().any(|a| a == "--hang-after-register"),
        patients: PATIENTS
            .iter()
            .chain(args.iter().any(|a| a == "--twin").then_some(&TWIN))
            .chain(generated(arg(&args, "--patients")))
            .collect(),
    });
    let app = Router::new()
        .route("/orca11/acceptmodv2", post(acceptmod))
        .route("/api/orca11/acceptmodv2", post(acceptmod))
        .route("/api01rv2/acceptlstv2", post(acceptlst))
        .route("/api/api01rv2/acceptlstv2", post(acceptlst))
        .route("/api01rv2/patientlst3v2", post(patientlst))
        .route("/api/api01rv2/patientlst3v2", post(patientlst))
        .route("/api01rv2/system01lstv2", post(system01lst))
        .route("/api/api01rv2/system01lstv2", post(system01lst))
        .route("/fake/state", get(state))
        .with_state(fake);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .expect("the fake ORCA binds its address");
    // The tests read the address (a port 0 becomes a real one) from this line.
    println!("listening on {}", listener.local_addr().expect("bound"));
    axum::serve(listener, app)
        .await
        .expect("the fake ORCA serves");
}

/// `--patients N`'s patients, made once and kept for the life of the process.
fn generated(count: Option<String>) -> impl Iterator<Item = &'static Patient> {
    let n: usize = count.map_or(0, |c| c.parse().expect("--patients N"));
    (1..=n).map(|i| {
        let patient: &'static Patient = Box::leak(Box::new(Patient {
            id: Box::leak(format!("B{i:05}").into_boxed_str()),
            name: "架空　患者",
            kana: Box::leak(format!("カクウ　カンジャ{i}").into_boxed_str()),
            birth: "1990-01-01",
            sex: "1",
        }));
        patient
    })
}

fn load(file: &Path) -> Persisted {
    match std::fs::read_to_string(file) {
        Ok(text) => serde_json::from_str(&text).expect("the fake's state file is its own JSON"),
        Err(_) => Persisted {
            next_id: 1,
            ..Persisted::default()
        },
    }
}

/// Written whole, fsync'd and renamed into place before any answer that depends on it.
fn save(file: &Path, p: &Persisted) {
    use std::io::Write as _;
    let tmp = file.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).expect("the fake writes its state");
    f.write_all(serde_json::to_string(p).expect("JSON").as_bytes())
        .expect("the fake writes its state");
    f.sync_all().expect("the fake syncs its state");
    std::fs::rename(&tmp, file).expect("the fake renames its state");
}

fn authorised(fake: &Fake, headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == fake.authorization)
}

fn unauthorised() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [("www-authenticate", "Basic realm=\"ORCA\"")],
        "",
    )
        .into_response()
}

fn padded(mut items: Vec<Value>) -> Value {
    while items.len() < PAD_TO {
        items.push(json!({}));
    }
    Value::Array(items)
}

fn field<'v>(record: &'v Value, key: &str) -> &'v str {
    record.get(key).and_then(Value::as_str).unwrap_or("").trim()
}

fn now_jst() -> (String, String) {
    let now = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).unwrap());
    (
        now.format("%Y-%m-%d").to_string(),
        now.format("%H:%M:%S").to_string(),
    )
}

fn answer(root: &str, code: &str, message: &str, mut rest: Value) -> Response {
    let (date, time) = now_jst();
    rest["Information_Date"] = json!(date);
    rest["Information_Time"] = json!(time);
    rest["Api_Result"] = json!(code);
    rest["Api_Result_Message"] = json!(message);
    let mut whole = serde_json::Map::new();
    whole.insert(root.to_owned(), rest);
    axum::Json(Value::Object(whole)).into_response()
}

/// acceptmodv2 (ORCA-acceptmod, note §2.2): Request_Number 01 registers.
async fn acceptmod(State(fake): State<Arc<Fake>>, headers: HeaderMap, body: String) -> Response {
    if !authorised(&fake, &headers) {
        return unauthorised();
    }
    let Ok(body) = serde_json::from_str::<Value>(&body) else {
        return answer("acceptres", "98", "読み込みエラー", json!({}));
    };
    let req = &body["acceptreq"];
    if field(req, "Request_Number") != "01" {
        return answer("acceptres", "91", "処理区分未設定", json!({}));
    }
    let patient_id = field(req, "Patient_ID").to_owned();
    let department = field(req, "Department_Code").to_owned();
    let physician = field(req, "Physician_Code").to_owned();
    let echo = json!({
        "Reskey": "Acceptance_Info",
        "Department_Code": department,
        "Physician_Code": physician,
        "Patient_Information": {"Patient_ID": patient_id},
    });
    let mut state = fake.state.lock().await;
    *state.register_calls.entry(patient_id.clone()).or_default() += 1;
    save(&fake.file, &state);
    if patient_id.is_empty() {
        return answer("acceptres", "01", "患者番号未設定", echo);
    }
    if department.is_empty() {
        return answer("acceptres", "02", "診療科未設定", echo);
    }
    if physician.is_empty() {
        return answer("acceptres", "03", "ドクター未設定", echo);
    }
    let Some(patient) = fake.patients.iter().find(|p| p.id == patient_id) else {
        return answer(
            "acceptres",
            "10",
            "患者番号に該当する患者が存在しません",
            echo,
        );
    };
    if state.busy_left > 0 {
        state.busy_left -= 1;
        save(&fake.file, &state);
        return answer("acceptres", "90", "他端末使用中", echo);
    }
    let Some((_, department_name)) = DEPARTMENTS.iter().find(|(c, _)| *c == department) else {
        return answer("acceptres", "13", "診療科が存在しません", echo);
    };
    let (today, now) = now_jst();
    let (date, date_given) = match field(req, "Acceptance_Date") {
        "" => (today, false),
        d => (d.to_owned(), true),
    };
    let time = match field(req, "Acceptance_Time") {
        "" => now,
        t => t.to_owned(),
    };
    if state
        .receptions
        .iter()
        .any(|r| r.patient_id == patient_id && r.date == date && r.department == department)
    {
        let mut dup = echo;
        dup["Acceptance_Date"] = json!(date);
        return answer(
            "acceptres",
            "16",
            "診療科・保険組合せで受付登録済みです。二重登録疑い",
            dup,
        );
    }
    let acceptance_id = format!("{:05}", state.next_id);
    state.next_id += 1;
    state.receptions.push(Reception {
        acceptance_id: acceptance_id.clone(),
        patient_id: patient_id.clone(),
        department: department.clone(),
        physician: physician.clone(),
        date: date.clone(),
        time: time.clone(),
    });
    save(&fake.file, &state);
    drop(state);
    if fake.hang_after_register {
        std::future::pending::<()>().await;
    }
    let (code, message) = if date_given {
        ("00", "受付登録終了")
    } else {
        ("K1", "受付日を設定しました")
    };
    answer(
        "acceptres",
        code,
        message,
        json!({
            "Reskey": "Acceptance_Info",
            "Acceptance_Date": date,
            "Acceptance_Time": time,
            "Acceptance_Id": acceptance_id,
            "Department_Code": department,
            "Department_WholeName": department_name,
            "Physician_Code": physician,
            "Patient_Information": {
                "Patient_ID": patient.id,
                "WholeName": patient.name,
                "WholeName_inKana": patient.kana,
                "BirthDate": patient.birth,
                "Sex": patient.sex,
            },
        }),
    )
}

#[derive(Deserialize)]
struct ClassQuery {
    class: Option<String>,
}

/// acceptlstv2?class=01 (ORCA-acceptancelst): the day's receptions 受付中; `21` when none.
async fn acceptlst(
    State(fake): State<Arc<Fake>>,
    Query(q): Query<ClassQuery>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if !authorised(&fake, &headers) {
        return unauthorised();
    }
    if q.class.as_deref() != Some("01") {
        return answer("acceptlstres", "91", "処理区分未設定", json!({}));
    }
    let body: Value = serde_json::from_str(&body).unwrap_or_default();
    let date = field(&body["acceptlstreq"], "Acceptance_Date").to_owned();
    let date = if date.is_empty() { now_jst().0 } else { date };
    let state = fake.state.lock().await;
    let list: Vec<Value> = state
        .receptions
        .iter()
        .filter(|r| r.date == date)
        .map(|r| {
            json!({
                "Acceptance_Time": r.time,
                "Acceptance_Id": r.acceptance_id,
                "Department_Code": r.department,
                "Physician_Code": r.physician,
                "Patient_Information": {"Patient_ID": r.patient_id},
            })
        })
        .collect();
    if list.is_empty() {
        return answer(
            "acceptlstres",
            "21",
            "対象の受付はありませんでした",
            json!({"Acceptance_Date": date}),
        );
    }
    answer(
        "acceptlstres",
        "00",
        "処理終了",
        json!({"Acceptance_Date": date, "Acceptlst_Information": padded(list)}),
    )
}

fn folded(s: &str) -> String {
    s.nfkc().filter(|c| !c.is_whitespace()).collect()
}

/// patientlst3v2?class=01 (ORCA-patientshimei): root `patientlst2res`; WholeName a prefix of
/// the name or its reading; `20` when none.
async fn patientlst(State(fake): State<Arc<Fake>>, headers: HeaderMap, body: String) -> Response {
    if !authorised(&fake, &headers) {
        return unauthorised();
    }
    let body: Value = serde_json::from_str(&body).unwrap_or_default();
    let req = &body["patientlst3req"];
    let name = folded(field(req, "WholeName"));
    if name.is_empty() {
        return answer("patientlst2res", "17", "氏名未設定", json!({}));
    }
    let (from, to) = (field(req, "Birth_StartDate"), field(req, "Birth_EndDate"));
    let hits: Vec<Value> = fake
        .patients
        .iter()
        .filter(|p| folded(p.kana).starts_with(&name) || folded(p.name).starts_with(&name))
        .filter(|p| (from.is_empty() || p.birth >= from) && (to.is_empty() || p.birth <= to))
        .map(|p| {
            json!({"Patient_ID": p.id, "WholeName": p.name, "WholeName_inKana": p.kana,
                   "BirthDate": p.birth, "Sex": p.sex})
        })
        .collect();
    if hits.is_empty() {
        return answer("patientlst2res", "20", "該当患者なし", json!({}));
    }
    answer(
        "patientlst2res",
        "00",
        "処理終了",
        json!({"Target_Patient_Count": format!("{:03}", hits.len()),
               "Patient_Information": padded(hits)}),
    )
}

/// system01lstv2 Request_Number 01 (ORCA-systemkanri): the departments.
async fn system01lst(State(fake): State<Arc<Fake>>, headers: HeaderMap, body: String) -> Response {
    if !authorised(&fake, &headers) {
        return unauthorised();
    }
    let body: Value = serde_json::from_str(&body).unwrap_or_default();
    if field(&body["system01_managereq"], "Request_Number") != "01" {
        return answer("departmentres", "91", "処理区分未設定", json!({}));
    }
    let list = DEPARTMENTS
        .iter()
        .map(|(code, name)| json!({"Code": code, "WholeName": name, "Name1": name}))
        .collect();
    answer(
        "departmentres",
        "00",
        "処理終了",
        json!({"Department_Information": padded(list)}),
    )
}

/// For the tests: every reception and the register calls per patient.
async fn state(State(fake): State<Arc<Fake>>) -> Response {
    let state = fake.state.lock().await;
    axum::Json(json!({
        "receptions": state.receptions,
        "register_calls": state.register_calls,
    }))
    .into_response()
}
