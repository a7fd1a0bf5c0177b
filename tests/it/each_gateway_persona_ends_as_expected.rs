//! Every persona of the simulated eligibility gateway, reached through a real card proof (the
//! simulated card's RSA signature over a single-use challenge), ends the check-in as a clinic
//! expects: the burden ratio and where it came from, or the right handoff.

use crate::common;
use uketsuke::rules::FacilityConfig;

use common::{HAPPY, Kiosk};
use uketsuke::domain::{
    BurdenRatio, ChecklistItem, HandoffReason, IdentityMethod, Outcome, RatioSource, Validity,
    VerificationMethod,
};
use uketsuke::flow::Screen;
use uketsuke::gateway::sim::Persona;

struct Expected {
    persona: &'static str,
    outcome: Outcome,
    /// Burden ratio and its source, for completed check-ins.
    ratio: Option<(u8, RatioSource)>,
    validity: Option<Validity>,
    verification: Option<VerificationMethod>,
    /// How many steps of the happy script the patient got to take.
    steps: usize,
    verifies: usize,
    checklist_has: Option<ChecklistItem>,
    black_circle: bool,
}

fn completed(persona: &'static str, ratio: u8, source: RatioSource) -> Expected {
    Expected {
        persona,
        outcome: Outcome::Completed,
        ratio: Some((ratio, source)),
        validity: Some(Validity::Valid),
        verification: Some(VerificationMethod::CardViaReader),
        steps: 5,
        verifies: 1,
        checklist_has: None,
        black_circle: false,
    }
}

fn handed(persona: &'static str, reason: HandoffReason, validity: Option<Validity>) -> Expected {
    Expected {
        outcome: Outcome::HandedToStaff { reason },
        ratio: None,
        validity,
        verification: None,
        // The answer (1 s) arrives while the patient reads the limit question: each answer
        // waits out the screen's 600 ms dead time, so step 5 is never taken.
        steps: 4,
        ..completed(persona, 0, RatioSource::Result)
    }
}

fn table() -> Vec<Expected> {
    use HandoffReason as H;
    use RatioSource::{DerivedFromAge, Result};
    vec![
        completed("valid-3", 30, DerivedFromAge),
        completed("elderly-75", 10, Result),
        completed("elderly-70", 20, Result),
        completed("child", 20, DerivedFromAge),
        Expected {
            checklist_has: Some(ChecklistItem::AskForNewerDocument),
            ..handed("invalid", H::EligibilityInvalid, Some(Validity::Invalid))
        },
        Expected {
            checklist_has: Some(ChecklistItem::AskForNewerDocument),
            black_circle: true,
            ..handed(
                "newer-exists",
                H::EligibilityInvalid,
                Some(Validity::InvalidNewerExists),
            )
        },
        Expected {
            checklist_has: Some(ChecklistItem::SelfDeclarationForm),
            ..handed(
                "no-eligibility",
                H::NoEligibility,
                Some(Validity::NoEligibility),
            )
        },
        Expected {
            verification: Some(VerificationMethod::CardViaReader),
            checklist_has: Some(ChecklistItem::ChooseAmongMatches),
            ..handed(
                "several-matches",
                H::SeveralMatches,
                Some(Validity::SeveralMatches),
            )
        },
        Expected {
            black_circle: true,
            ..completed("black-circle", 30, DerivedFromAge)
        },
        Expected {
            // The challenge fails before the PIN: only the tap was taken.
            steps: 1,
            verifies: 0,
            checklist_has: Some(ChecklistItem::PastRecordOralCheck),
            ..handed("outage", H::GatewayUnavailable, None)
        },
        completed("slow", 30, DerivedFromAge),
        Expected {
            steps: 5,
            checklist_has: Some(ChecklistItem::PastRecordOralCheck),
            ..handed("timeout", H::GatewayUnavailable, None)
        },
    ]
}

#[test]
fn the_table_covers_every_persona() {
    let names: Vec<&str> = table().iter().map(|e| e.persona).collect();
    for persona in Persona::ALL {
        assert!(
            names.contains(&persona.name()),
            "{persona} not in the table"
        );
    }
    assert_eq!(names.len(), Persona::ALL.len());
}

#[test]
fn each_gateway_persona_ends_as_expected() {
    for e in table() {
        let p = e.persona;
        // The share shows on the done screen where the facility allows it (off by default).
        let facility = FacilityConfig {
            show_burden_ratio: true,
            ..FacilityConfig::default()
        };
        let mut kiosk = Kiosk::new("card", p, Some(facility));
        let (stored, steps) = kiosk.run_until_recorded(HAPPY);
        let record = &stored.record;
        assert_eq!(record.outcome, e.outcome, "{p}: outcome");
        assert_eq!(steps, e.steps, "{p}: steps taken before the check-in ended");
        // On a handoff (several matches) the card is only the expected route until staff
        // choose the record: no method, nothing counted (issue 16 item 4).
        let completed = record.outcome == Outcome::Completed;
        let method = e.verification.filter(|_| completed);
        assert_eq!(record.verification, method, "{p}: verification");
        assert_eq!(
            record.expected_route,
            e.verification.filter(|_| !completed),
            "{p}: expected route"
        );
        assert_eq!(
            record.counts_toward_usage_rate,
            method == Some(VerificationMethod::CardViaReader),
            "{p}: counts"
        );
        let card = kiosk.card();
        assert_eq!(card.verify_count, e.verifies, "{p}: VERIFYs");
        assert_eq!(card.tries_left, 3, "{p}: card tries");
        let expected_identity = (e.verifies > 0).then_some(IdentityMethod::PinOnCard);
        assert_eq!(record.identity, expected_identity, "{p}: identity");
        assert!(stored.reception_number.is_some(), "{p}: reception number");

        let eligibility = record.eligibility.as_ref();
        assert_eq!(eligibility.map(|s| s.validity), e.validity, "{p}: validity");
        let ratio = eligibility.and_then(|s| s.burden_ratio.zip(s.burden_ratio_source));
        match e.ratio {
            Some((percent, source)) => {
                assert_eq!(ratio, Some((BurdenRatio(percent), source)), "{p}: ratio");
                let done = Screen::Done {
                    burden_ratio: Some(BurdenRatio(percent)),
                    reception_number: stored.reception_number,
                    certificate: None,
                };
                assert!(
                    kiosk.screens().contains(&done),
                    "{p}: {:?}",
                    kiosk.screens()
                );
            }
            None => {
                let reason = e.outcome.handoff_reason();
                assert!(
                    kiosk.screens().iter().any(|s| matches!(
                        s,
                        Screen::Handoff { reason: r, reception_number, .. }
                            if Some(*r) == reason && *reception_number == stored.reception_number
                    )),
                    "{p}: {:?}",
                    kiosk.screens()
                );
            }
        }
        assert_eq!(
            eligibility.is_some_and(|s| s.name_contains_black_circle),
            e.black_circle,
            "{p}: ●"
        );
        if let Some(item) = e.checklist_has {
            assert!(
                record.checklist.contains(&item),
                "{p}: {item:?} not in {:?}",
                record.checklist
            );
        }
        if matches!(p, "slow" | "timeout") {
            assert!(
                kiosk.screens().contains(&Screen::Querying),
                "{p}: the patient waited on the querying screen: {:?}",
                kiosk.screens()
            );
        }
    }
}

#[test]
fn the_outage_shows_no_pin_pad_at_all() {
    let mut kiosk = Kiosk::new("card", "outage", None);
    let error = kiosk
        .run(&common::script(r#"["tap", {"pin": "1234"}]"#))
        .expect_err("no PIN is asked when the gateway is down");
    assert!(error.0.contains("step 2 (pin)"), "{error}");
    assert_eq!(kiosk.committed_count(), 1);
    assert_eq!(kiosk.card().verify_count, 0);
}
