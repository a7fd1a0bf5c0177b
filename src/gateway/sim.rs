//! The embedded default eligibility gateway: answers as one of a fixed set of personas.
//!
//! Owns: the personas and their fake eligibility results, single-use challenges, and the check
//! of a card proof for one of this gateway's challenges: proof of possession always (the
//! certificate's own key signed the challenge); issued by the test CA only with
//! [`CertificateTrust::TestCaOnly`]. By default a certificate from any CA (a real My Number card
//! or phone in a demo) is accepted on proof of possession, logged and counted as such.
//! Must not know: the flow's states, the screen, the database, burden-ratio rules (a persona
//! only carries a ratio where a real result would), real people (every name and number here
//! is made up).
//!
//! Latency is reported through [`Gateway::simulated_latency`] so headless runs stay on virtual
//! time; only [`SimGateway::with_real_latency`] makes `query` actually sleep.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use rand::RngCore;

use crate::date;
use crate::dates::Date;

use crate::domain::{
    BurdenRatio, CardProof, Certificate, Challenge, EligibilityResult, PatientName, Validity,
    name_contains_black_circle,
};
use crate::gateway::{Gateway, GatewayError};
use crate::pki;

/// Who the simulated eligibility system thinks the card holder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Persona {
    /// Valid, about 45 years old, no ratio in the result: the flow derives 3割 from age.
    Valid3,
    /// Valid, born 1945, result carries 1割 (75+ 後期高齢者, insurer number 39…).
    Elderly75,
    /// Valid, 72 in November 2026, result carries 2割 from the elderly recipient certificate.
    Elderly70,
    /// Valid, born 2022, no ratio: the flow derives the preschool 2割.
    Child,
    /// Eligibility invalid (資格無効).
    Invalid,
    /// Invalid, but a newer eligibility exists. The name carries "●" and markup-like
    /// characters, as a check that every screen shows it exactly and escaped.
    NewerExists,
    /// No matching eligibility.
    NoEligibility,
    /// Several eligibility records match.
    SeveralMatches,
    /// Valid 3割; the name carries "●".
    BlackCircle,
    /// The gateway is down: both challenge and query fail.
    Outage,
    /// Valid, but the query takes 8 s.
    Slow,
    /// Valid, but the query takes 120 s: longer than any sane flow timeout.
    Timeout,
}

impl Persona {
    pub const ALL: [Persona; 12] = [
        Self::Valid3,
        Self::Elderly75,
        Self::Elderly70,
        Self::Child,
        Self::Invalid,
        Self::NewerExists,
        Self::NoEligibility,
        Self::SeveralMatches,
        Self::BlackCircle,
        Self::Outage,
        Self::Slow,
        Self::Timeout,
    ];

    /// The stable kebab-case name used on the command line and in scripts.
    pub fn name(self) -> &'static str {
        match self {
            Self::Valid3 => "valid-3",
            Self::Elderly75 => "elderly-75",
            Self::Elderly70 => "elderly-70",
            Self::Child => "child",
            Self::Invalid => "invalid",
            Self::NewerExists => "newer-exists",
            Self::NoEligibility => "no-eligibility",
            Self::SeveralMatches => "several-matches",
            Self::BlackCircle => "black-circle",
            Self::Outage => "outage",
            Self::Slow => "slow",
            Self::Timeout => "timeout",
        }
    }

    pub fn parse(s: &str) -> Result<Persona, String> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|p| p.name()).collect();
                format!("unknown persona {s:?}; valid: {}", names.join(", "))
            })
    }

    /// How long the simulated system takes to answer a query.
    pub fn latency(self) -> Duration {
        match self {
            Self::Slow => Duration::from_secs(8),
            Self::Timeout => Duration::from_secs(120),
            // A typical online eligibility answer takes about a second.
            _ => Duration::from_secs(1),
        }
    }

    /// The result this persona answers with; `None` when the gateway is down.
    pub fn eligibility(self) -> Option<EligibilityResult> {
        let fixture = match self {
            Self::Outage => return None,
            Self::Valid3 => Fixture {
                // 協会けんぽ-style 8-digit insurer, insured person (枝番 00), registered patient.
                numbers: Some(("01130012", Some("5102034"), "1234", Some("00"))),
                birth_date: Some(date!(1981 - 06 - 15)),
                valid_from: Some(date!(2019 - 04 - 01)),
                reference_number: Some("P-000123"),
                kana: Some("ｼｹﾝ ｲﾁﾛｳ"),
                ..Fixture::valid("試験 一郎")
            },
            Self::Elderly75 => Fixture {
                // 後期高齢者医療: insurer 39…, a person number and no 記号 or 枝番.
                numbers: Some(("39139998", None, "00012345", None)),
                birth_date: Some(date!(1945 - 03 - 10)),
                burden_ratio: Some(BurdenRatio(10)),
                valid_from: Some(date!(2020 - 03 - 10)),
                valid_until: Some(date!(2027 - 07 - 31)),
                ..Fixture::valid("試験 春子")
            },
            Self::Elderly70 => Fixture {
                // 国保: 6-digit insurer; ratio from the 高齢受給者証 (renewed every August).
                numbers: Some(("138222", Some("23"), "4567890", Some("00"))),
                birth_date: Some(date!(1954 - 05 - 20)),
                burden_ratio: Some(BurdenRatio(20)),
                valid_from: Some(date!(2024 - 06 - 01)),
                valid_until: Some(date!(2027 - 07 - 31)),
                ..Fixture::valid("試験 次郎")
            },
            Self::Child => Fixture {
                // 組合健保 dependent.
                numbers: Some(("06132013", Some("1001"), "52", Some("01"))),
                birth_date: Some(date!(2022 - 08 - 03)),
                valid_from: Some(date!(2022 - 08 - 03)),
                reference_number: Some("P-000457"),
                ..Fixture::valid("試験 みらい")
            },
            Self::Invalid => Fixture {
                validity: Validity::Invalid,
                numbers: Some(("06270019", Some("77"), "3031", Some("00"))),
                birth_date: Some(date!(1990 - 02 - 14)),
                valid_from: Some(date!(2018 - 04 - 01)),
                valid_until: Some(date!(2025 - 03 - 31)),
                ..Fixture::valid("試験 三郎")
            },
            Self::NewerExists => Fixture {
                validity: Validity::InvalidNewerExists,
                numbers: Some(("01270035", Some("3301187"), "26", Some("00"))),
                birth_date: Some(date!(1986 - 10 - 02)),
                valid_from: Some(date!(2016 - 04 - 01)),
                valid_until: Some(date!(2025 - 09 - 30)),
                ..Fixture::valid("試験 <b>夏●美</b> & \"Co\"")
            },
            Self::NoEligibility => Fixture {
                validity: Validity::NoEligibility,
                ..Fixture::valid("")
            },
            Self::SeveralMatches => Fixture {
                validity: Validity::SeveralMatches,
                ..Fixture::valid("")
            },
            Self::BlackCircle => Fixture {
                numbers: Some(("131011", Some("千代"), "88012", Some("00"))),
                birth_date: Some(date!(1968 - 11 - 30)),
                valid_from: Some(date!(2021 - 04 - 01)),
                ..Fixture::valid("山●太郎")
            },
            Self::Slow => Fixture {
                numbers: Some(("01140027", Some("7020511"), "301", Some("00"))),
                birth_date: Some(date!(1975 - 01 - 20)),
                valid_from: Some(date!(2015 - 10 - 01)),
                valid_until: Some(date!(2030 - 03 - 31)),
                ..Fixture::valid("試験 四郎")
            },
            Self::Timeout => Fixture {
                numbers: Some(("06131245", Some("25"), "918", Some("01"))),
                birth_date: Some(date!(1988 - 09 - 09)),
                valid_from: Some(date!(2020 - 04 - 01)),
                ..Fixture::valid("試験 秋子")
            },
        };
        Some(fixture.into_result())
    }
}

impl fmt::Display for Persona {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Persona {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A persona's answer before it becomes an [`EligibilityResult`]. The names are made up.
struct Fixture {
    validity: Validity,
    /// Insurer number, 記号, 番号, 枝番.
    numbers: Option<(
        &'static str,
        Option<&'static str>,
        &'static str,
        Option<&'static str>,
    )>,
    name: &'static str,
    birth_date: Option<Date>,
    burden_ratio: Option<BurdenRatio>,
    valid_from: Option<Date>,
    valid_until: Option<Date>,
    reference_number: Option<&'static str>,
    /// The reading as the terminal gives it (half-width ｶﾅ).
    kana: Option<&'static str>,
}

impl Fixture {
    fn valid(name: &'static str) -> Self {
        Self {
            validity: Validity::Valid,
            numbers: None,
            name,
            birth_date: None,
            burden_ratio: None,
            valid_from: None,
            valid_until: None,
            reference_number: None,
            kana: None,
        }
    }

    fn into_result(self) -> EligibilityResult {
        let (insurer_number, symbol, number, branch) = match self.numbers {
            Some((insurer, symbol, number, branch)) => (
                Some(insurer.to_owned()),
                symbol.map(str::to_owned),
                Some(number.to_owned()),
                branch.map(str::to_owned),
            ),
            None => (None, None, None, None),
        };
        EligibilityResult {
            validity: self.validity,
            insurer_number,
            symbol,
            number,
            branch,
            birth_date: self.birth_date,
            burden_ratio: self.burden_ratio,
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            name_contains_black_circle: name_contains_black_circle(self.name),
            reference_number: self.reference_number.map(str::to_owned),
            reader_consent: None,
            high_cost_limit_category: None,
            name: (!self.name.is_empty()).then(|| PatientName {
                name: self.name.to_owned(),
                kana: self.kana.map(str::to_owned),
                birth_date: None,
            }),
        }
    }
}

/// Challenges issued and not yet used. Bounded so a kiosk that keeps asking for challenges
/// without querying cannot grow memory; the oldest is forgotten first.
const MAX_OUTSTANDING_CHALLENGES: usize = 16;

const CHALLENGE_LEN: usize = 32;

/// Which card certificates the simulator accepts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CertificateTrust {
    /// Any CA, on proof of possession (the demo with a real card or phone). A certificate not
    /// from the test CA is logged (its issuer's name only) and counted
    /// ([`SimGateway::foreign_certificates_accepted`]).
    #[default]
    AnyCaWithProofOfPossession,
    /// Only certificates issued by the run-time test CA (tests that assert refusal).
    TestCaOnly,
}

/// The simulated eligibility gateway.
pub struct SimGateway {
    persona: Persona,
    trusted_ca: &'static Certificate,
    trust: CertificateTrust,
    outstanding: VecDeque<Vec<u8>>,
    real_latency: bool,
    foreign_accepted: usize,
}

impl SimGateway {
    pub fn new(persona: Persona) -> Self {
        Self {
            persona,
            trusted_ca: pki::test_ca_certificate(),
            trust: CertificateTrust::default(),
            outstanding: VecDeque::new(),
            real_latency: false,
            foreign_accepted: 0,
        }
    }

    /// Which certificates are accepted (default: any CA with proof of possession).
    pub fn with_trust(mut self, trust: CertificateTrust) -> Self {
        self.trust = trust;
        self
    }

    pub fn trust(&self) -> CertificateTrust {
        self.trust
    }

    /// How many proofs were accepted whose certificate was not from the test CA (a real card or
    /// phone in a demo). For technicians and tests; no certificate is kept.
    pub fn foreign_certificates_accepted(&self) -> usize {
        self.foreign_accepted
    }

    /// With `true`, `query` sleeps the persona's latency before answering (windowed demo).
    /// Default off: headless runs use [`Gateway::simulated_latency`] on virtual time.
    pub fn with_real_latency(mut self, on: bool) -> Self {
        self.real_latency = on;
        self
    }

    pub fn persona(&self) -> Persona {
        self.persona
    }

    /// Answers as `persona` from now on (the demo panel's gateway choice).
    pub fn set_persona(&mut self, persona: Persona) {
        self.persona = persona;
    }

    fn outage(&self) -> Result<(), GatewayError> {
        if self.persona == Persona::Outage {
            Err(GatewayError::Unavailable(
                "simulated outage: no connection to the eligibility system".into(),
            ))
        } else {
            Ok(())
        }
    }
}

impl Gateway for SimGateway {
    fn challenge(&mut self) -> Result<Challenge, GatewayError> {
        self.outage()?;
        let mut bytes = vec![0u8; CHALLENGE_LEN];
        rand::thread_rng().fill_bytes(&mut bytes);
        if self.outstanding.len() >= MAX_OUTSTANDING_CHALLENGES {
            self.outstanding.pop_front();
        }
        self.outstanding.push_back(bytes.clone());
        Ok(Challenge(bytes))
    }

    fn query(&mut self, proof: &CardProof) -> Result<EligibilityResult, GatewayError> {
        self.outage()?;
        // Single use: the challenge is spent whether or not the proof then verifies, so a
        // captured proof can never be replayed.
        let Some(position) = self
            .outstanding
            .iter()
            .position(|c| *c == proof.challenge.0)
        else {
            return Err(GatewayError::ProofRejected(
                "challenge not issued by this gateway, or already used".into(),
            ));
        };
        self.outstanding.remove(position);
        match self.trust {
            CertificateTrust::TestCaOnly => {
                pki::verify_card_proof(proof, self.trusted_ca)
                    .map_err(GatewayError::ProofRejected)?;
            }
            CertificateTrust::AnyCaWithProofOfPossession => {
                pki::verify_proof_of_possession(proof).map_err(GatewayError::ProofRejected)?;
                if pki::issued_by(&proof.certificate, self.trusted_ca).is_err() {
                    self.foreign_accepted += 1;
                    let issuer = pki::issuer_name(&proof.certificate)
                        .unwrap_or_else(|_| "(unreadable)".into());
                    // The issuer is a CA's name; the certificate body and holder are never logged.
                    tracing::warn!(
                        %issuer,
                        persona = self.persona.name(),
                        "simulated gateway: a certificate not from the test CA was accepted on \
                         proof of possession (a real card or phone in a demo); answering as the \
                         persona"
                    );
                }
            }
        }
        if self.real_latency {
            std::thread::sleep(self.persona.latency());
        }
        self.persona.eligibility().ok_or_else(|| {
            GatewayError::Unavailable("simulated eligibility system gave no answer".into())
        })
    }

    fn simulated_latency(&self) -> Option<Duration> {
        Some(self.persona.latency())
    }
}

#[cfg(test)]
mod tests {
    use chrono::Datelike;

    use super::*;
    use crate::domain::Signature;
    use crate::pki::TestIdentity;

    fn prove(identity: &TestIdentity, challenge: &Challenge) -> CardProof {
        let signature = pki::sign_digest_info(
            &identity.private_key,
            &pki::digest_info_sha256(&challenge.0),
        )
        .expect("a DigestInfo fits RSA-2048");
        CardProof {
            certificate: identity.certificate.clone(),
            challenge: challenge.clone(),
            signature: Signature(signature),
        }
    }

    fn answer(persona: Persona) -> EligibilityResult {
        let mut gateway = SimGateway::new(persona);
        let challenge = gateway.challenge().unwrap();
        assert_eq!(challenge.0.len(), 32);
        let proof = prove(pki::test_identity("card"), &challenge);
        gateway.query(&proof).unwrap()
    }

    fn age_on(birth: Date, on: Date) -> i32 {
        let mut age = on.year() - birth.year();
        if (on.month(), on.day()) < (birth.month(), birth.day()) {
            age -= 1;
        }
        age
    }

    #[test]
    fn names_parse_back_and_errors_list_them() {
        for persona in Persona::ALL {
            assert_eq!(Persona::parse(persona.name()), Ok(persona));
            assert_eq!(persona.to_string().parse::<Persona>(), Ok(persona));
        }
        let err = Persona::parse("valid3").unwrap_err();
        for persona in Persona::ALL {
            assert!(err.contains(persona.name()), "{err}");
        }
    }

    #[test]
    fn every_persona_answers_as_named() {
        let visit = date!(2026 - 11 - 15);
        for persona in Persona::ALL {
            if persona == Persona::Outage {
                continue;
            }
            let r = answer(persona);
            assert_eq!(r, persona.eligibility().unwrap(), "{persona}");
            let expected_validity = match persona {
                Persona::Invalid => Validity::Invalid,
                Persona::NewerExists => Validity::InvalidNewerExists,
                Persona::NoEligibility => Validity::NoEligibility,
                Persona::SeveralMatches => Validity::SeveralMatches,
                _ => Validity::Valid,
            };
            assert_eq!(r.validity, expected_validity, "{persona}");
            assert_eq!(
                r.name_contains_black_circle,
                matches!(persona, Persona::BlackCircle | Persona::NewerExists),
                "{persona}"
            );
            assert_eq!(
                r.name.as_ref().is_some_and(PatientName::has_black_circle),
                r.name_contains_black_circle,
                "{persona}"
            );
            if let Some(insurer) = &r.insurer_number {
                assert!(
                    matches!(insurer.len(), 6 | 8) && insurer.bytes().all(|b| b.is_ascii_digit()),
                    "{persona}: {insurer}"
                );
            }
            if let Some(branch) = &r.branch {
                assert_eq!(branch.len(), 2, "{persona}");
            }
            if r.validity == Validity::Valid {
                assert!(
                    r.insurer_number.is_some() && r.number.is_some(),
                    "{persona}"
                );
            }
            let age = r.birth_date.map(|b| age_on(b, visit));
            match persona {
                Persona::Valid3 => {
                    assert!(matches!(age, Some(44..=46)), "{age:?}");
                    assert_eq!(r.burden_ratio, None);
                    assert_eq!(r.reference_number.as_deref(), Some("P-000123"));
                }
                Persona::Elderly75 => {
                    assert_eq!(r.birth_date.map(|b| b.year()), Some(1945));
                    assert_eq!(r.burden_ratio, Some(BurdenRatio(10)));
                    let insurer = r.insurer_number.as_deref().unwrap();
                    assert!(insurer.len() == 8 && insurer.starts_with("39"));
                }
                Persona::Elderly70 => {
                    assert_eq!(age, Some(72));
                    assert_eq!(r.burden_ratio, Some(BurdenRatio(20)));
                }
                Persona::Child => {
                    assert_eq!(r.birth_date.map(|b| b.year()), Some(2022));
                    assert_eq!(r.burden_ratio, None);
                }
                Persona::NoEligibility => {
                    assert_eq!(r.insurer_number, None);
                    assert_eq!(r.number, None);
                    assert_eq!(r.symbol, None);
                    assert_eq!(r.branch, None);
                }
                Persona::BlackCircle | Persona::Slow | Persona::Timeout => {
                    assert_eq!(r.burden_ratio, None);
                }
                _ => {}
            }
        }
    }

    #[test]
    fn latencies() {
        let latency = |p| SimGateway::new(p).simulated_latency();
        assert_eq!(latency(Persona::Slow), Some(Duration::from_secs(8)));
        assert_eq!(latency(Persona::Timeout), Some(Duration::from_secs(120)));
        assert_eq!(latency(Persona::Valid3), Some(Duration::from_secs(1)));
        assert!(!SimGateway::new(Persona::Slow).real_latency);
        assert!(
            SimGateway::new(Persona::Slow)
                .with_real_latency(true)
                .real_latency
        );
    }

    #[test]
    fn outage_fails_both_calls() {
        let mut gateway = SimGateway::new(Persona::Outage);
        assert!(matches!(
            gateway.challenge(),
            Err(GatewayError::Unavailable(_))
        ));
        let challenge = Challenge(vec![1; 32]);
        let proof = prove(pki::test_identity("card"), &challenge);
        assert!(matches!(
            gateway.query(&proof),
            Err(GatewayError::Unavailable(_))
        ));
    }

    #[test]
    fn reused_challenge_is_rejected() {
        let mut gateway = SimGateway::new(Persona::Valid3);
        let challenge = gateway.challenge().unwrap();
        let proof = prove(pki::test_identity("card"), &challenge);
        gateway.query(&proof).unwrap();
        assert!(matches!(
            gateway.query(&proof),
            Err(GatewayError::ProofRejected(_))
        ));
    }

    #[test]
    fn unknown_challenge_is_rejected() {
        let mut gateway = SimGateway::new(Persona::Valid3);
        let _issued = gateway.challenge().unwrap();
        let proof = prove(pki::test_identity("card"), &Challenge(vec![9; 32]));
        assert!(matches!(
            gateway.query(&proof),
            Err(GatewayError::ProofRejected(_))
        ));
        // A challenge from another gateway is unknown here too.
        let mut other = SimGateway::new(Persona::Valid3);
        let foreign = other.challenge().unwrap();
        let proof = prove(pki::test_identity("card"), &foreign);
        assert!(gateway.query(&proof).is_err());
    }

    #[test]
    fn bad_signature_is_rejected_and_spends_the_challenge() {
        let mut gateway = SimGateway::new(Persona::Valid3);
        let challenge = gateway.challenge().unwrap();
        let good = prove(pki::test_identity("card"), &challenge);
        let mut bad = good.clone();
        bad.signature.0[0] ^= 1;
        assert!(matches!(
            gateway.query(&bad),
            Err(GatewayError::ProofRejected(_))
        ));
        // The failed attempt used the challenge up.
        assert!(gateway.query(&good).is_err());
    }

    #[test]
    fn test_ca_card_is_accepted_and_not_flagged() {
        let mut gateway = SimGateway::new(Persona::Valid3);
        let challenge = gateway.challenge().unwrap();
        let proof = prove(pki::test_identity("card"), &challenge);
        assert_eq!(
            gateway.query(&proof),
            Ok(Persona::Valid3.eligibility().unwrap())
        );
        assert_eq!(gateway.foreign_certificates_accepted(), 0);
    }

    #[test]
    fn foreign_ca_card_with_a_good_signature_is_accepted_and_flagged() {
        let mut gateway = SimGateway::new(Persona::Elderly75);
        let challenge = gateway.challenge().unwrap();
        let proof = prove(pki::foreign_test_identity("card"), &challenge);
        assert_eq!(
            gateway.query(&proof),
            Ok(Persona::Elderly75.eligibility().unwrap())
        );
        assert_eq!(gateway.foreign_certificates_accepted(), 1);
    }

    #[test]
    fn foreign_ca_card_with_a_bad_signature_is_refused() {
        let mut gateway = SimGateway::new(Persona::Valid3);
        let challenge = gateway.challenge().unwrap();
        let mut proof = prove(pki::foreign_test_identity("card"), &challenge);
        proof.signature.0[7] ^= 1;
        let err = gateway.query(&proof).unwrap_err();
        assert!(matches!(err, GatewayError::ProofRejected(_)), "{err}");
        assert_eq!(gateway.foreign_certificates_accepted(), 0);
        // Another key's signature under the certificate is refused too.
        let challenge = gateway.challenge().unwrap();
        let mut proof = prove(pki::test_identity("card"), &challenge);
        proof.certificate = pki::foreign_test_identity("card").certificate.clone();
        assert!(matches!(
            gateway.query(&proof),
            Err(GatewayError::ProofRejected(_))
        ));
    }

    #[test]
    fn foreign_ca_card_with_a_reused_challenge_is_refused() {
        let mut gateway = SimGateway::new(Persona::Valid3);
        let challenge = gateway.challenge().unwrap();
        let proof = prove(pki::foreign_test_identity("card"), &challenge);
        gateway.query(&proof).unwrap();
        let err = gateway.query(&proof).unwrap_err();
        assert!(matches!(err, GatewayError::ProofRejected(_)), "{err}");
        assert_eq!(gateway.foreign_certificates_accepted(), 1);
    }

    #[test]
    fn an_unparsable_certificate_is_refused() {
        let mut gateway = SimGateway::new(Persona::Valid3);
        let challenge = gateway.challenge().unwrap();
        let mut proof = prove(pki::test_identity("card"), &challenge);
        proof.certificate = Certificate(vec![0x30, 0x03, 0x02, 0x01, 0x05]);
        assert!(matches!(
            gateway.query(&proof),
            Err(GatewayError::ProofRejected(_))
        ));
    }

    #[test]
    fn demanding_the_test_ca_refuses_a_foreign_certificate() {
        let mut gateway = SimGateway::new(Persona::Valid3).with_trust(CertificateTrust::TestCaOnly);
        let challenge = gateway.challenge().unwrap();
        let proof = prove(pki::foreign_test_identity("card"), &challenge);
        let err = gateway.query(&proof).unwrap_err();
        assert!(matches!(err, GatewayError::ProofRejected(_)), "{err}");
        // ... and the flow hears a refused proof, not an outage.
        let challenge = gateway.challenge().unwrap();
        let proof = prove(pki::foreign_test_identity("card"), &challenge);
        assert!(matches!(
            crate::gateway::answer(&mut gateway, crate::flow::GatewayOp::Query(proof)),
            crate::flow::GatewayReply::ProofRefused(_)
        ));
    }

    #[test]
    fn phone_identity_is_accepted_too() {
        let mut gateway = SimGateway::new(Persona::Elderly75);
        let challenge = gateway.challenge().unwrap();
        let proof = prove(pki::test_identity("phone"), &challenge);
        assert_eq!(
            gateway.query(&proof).unwrap().burden_ratio,
            Some(BurdenRatio(10))
        );
    }

    #[test]
    fn outstanding_challenges_are_bounded() {
        let mut gateway = SimGateway::new(Persona::Valid3);
        let first = gateway.challenge().unwrap();
        let mut last = first.clone();
        for _ in 0..MAX_OUTSTANDING_CHALLENGES {
            last = gateway.challenge().unwrap();
        }
        assert_eq!(gateway.outstanding.len(), MAX_OUTSTANDING_CHALLENGES);
        let identity = pki::test_identity("card");
        assert!(gateway.query(&prove(identity, &first)).is_err());
        gateway.query(&prove(identity, &last)).unwrap();
    }
}
