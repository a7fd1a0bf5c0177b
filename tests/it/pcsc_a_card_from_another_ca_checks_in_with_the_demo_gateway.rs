//! Through a real pcscd: a card whose certificate comes from another CA than the run-time test
//! CA (as a real My Number card's does) checks in with the simulated gateway, which checks the
//! proof of possession (the certificate's own key signed the challenge) and answers as its
//! persona, counting the foreign certificate. A gateway that demands the test CA refuses the
//! same proof: that ends in its own handoff (certificate not accepted), never "gateway
//! unavailable".

use crate::pcsc;

use pcsc::{AFTER_PIN, PcscKiosk, insert, rig, view};
use uketsuke::card::sim::{SimOptions, SimProfile, SimulatedCard};
use uketsuke::domain::{
    ChecklistItem, HandoffReason, IdentityMethod, Outcome, Validity, VerificationMethod,
};
use uketsuke::flow::Screen;
use uketsuke::gateway::sim::{CertificateTrust, Persona, SimGateway};
use uketsuke::rules::FacilityConfig;

fn card_from_another_ca() -> std::sync::Arc<std::sync::Mutex<SimulatedCard>> {
    let (other_ca, identity) =
        uketsuke::pki::identity_from_another_ca("Another CA (not the uketsuke test CA)", "card");
    assert_ne!(&other_ca, uketsuke::pki::test_ca_certificate());
    assert!(
        uketsuke::pki::issued_by(&identity.certificate, uketsuke::pki::test_ca_certificate())
            .is_err(),
        "the card's certificate is not from the test CA"
    );
    SimulatedCard::new(SimProfile::MyNumberCard, SimOptions::default())
        .with_auth_identity(&identity)
        .shared()
}

#[test]
fn a_card_from_another_ca_completes_with_the_personas_answer() {
    let Some(_rig) = rig() else { return };
    let card = card_from_another_ca();
    let _on_reader = insert(&card);
    let mut kiosk = PcscKiosk::with_gateway(
        SimGateway::new(Persona::Elderly75),
        FacilityConfig::default(),
    );
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    let stored = kiosk.finish(AFTER_PIN);
    let record = &stored.record;
    assert_eq!(record.outcome, Outcome::Completed);
    assert_eq!(record.identity, Some(IdentityMethod::PinOnCard));
    assert_eq!(record.verification, Some(VerificationMethod::CardViaReader));
    let eligibility = record.eligibility.as_ref().expect("the persona's answer");
    assert_eq!(eligibility.validity, Validity::Valid);
    assert_eq!(
        eligibility.insurer_number,
        Persona::Elderly75.eligibility().unwrap().insurer_number
    );
    assert_eq!(
        kiosk.driver.gateway.foreign_certificates_accepted(),
        1,
        "recorded as not from the test CA"
    );
    assert_eq!(view(&card).verify_count, 1);
}

#[test]
fn a_refused_proof_ends_in_its_own_handoff_with_its_checklist() {
    let Some(_rig) = rig() else { return };
    let card = card_from_another_ca();
    let _on_reader = insert(&card);
    let mut kiosk = PcscKiosk::with_gateway(
        SimGateway::new(Persona::Valid3).with_trust(CertificateTrust::TestCaOnly),
        FacilityConfig::default(),
    );
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    // The refusal (1 s) arrives while the patient reads the limit question (each consent
    // answer waits out the screen's 600 ms dead time): no prescription step.
    let stored = kiosk.finish(r#"[{"consent": "all"}, {"high_cost_limit": true}]"#);
    let record = &stored.record;
    assert_eq!(
        record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::CertificateNotAccepted
        },
        "a refused proof is not an outage"
    );
    assert_eq!(
        record.checklist,
        vec![
            ChecklistItem::RenewCertificateAtMunicipalOffice,
            ChecklistItem::AskForNewerDocument,
            ChecklistItem::CheckPortalEligibilityScreen,
            ChecklistItem::PastRecordOralCheck,
            ChecklistItem::SelfDeclarationForm,
            ChecklistItem::ChargeNormalShare,
            ChecklistItem::NotCountedTowardUsageRate,
        ]
    );
    assert_eq!(record.identity, Some(IdentityMethod::PinOnCard));
    assert_eq!(record.verification, None);
    assert!(
        !record.counts_toward_usage_rate,
        "a refused proof never counts"
    );
    assert!(stored.reception_number.is_some());
    assert!(
        matches!(
            kiosk.screen(),
            Screen::Handoff {
                reason: HandoffReason::CertificateNotAccepted,
                ..
            }
        ),
        "{:?}",
        kiosk.screen()
    );
    assert_eq!(kiosk.driver.gateway.foreign_certificates_accepted(), 0);
    assert_eq!(view(&card).verify_count, 1);
}
