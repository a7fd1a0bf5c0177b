//! Every behaviour test, in one crate so the suite links once (49 test binaries took minutes
//! of linking and gigabytes of disk). Each module is one behaviour, named as a sentence; the
//! shared harnesses are `common` (scenarios on virtual time), `pcsc` (a real pcscd with vpcd
//! virtual cards), `console` (the staff console), `processes` (child processes), `ui` (Slint).
#![forbid(unsafe_code)]

mod common;
mod console;
mod pcsc;
mod processes;
mod ui;

mod android_phone_is_read_with_the_pin_typed_on_the_kiosk;
mod blocked_card_hands_over_with_municipal_office_guidance;
mod call_staff_from_any_screen_hands_over;
mod cancel_records_a_cancelled_check_in;
mod card_happy_path_completes_and_counts_toward_usage_rate;
mod card_parsers_never_panic;
mod card_removed_at_every_apdu_asks_for_another_tap;
mod consent_all_and_item_by_item_are_recorded;
mod console_in_a_real_browser;
mod console_refuses_anyone_not_signed_in_and_forged_forms;
mod console_resolves_every_kind_of_handoff;
mod crash_sigkill_loses_no_check_in_reported_done;
mod doctor_says_whether_japanese_can_be_shown;
mod each_declared_document_hands_over_with_its_checklist;
mod each_gateway_persona_ends_as_expected;
mod flow_every_path_table;
mod headless_cli_rejects_bad_input_with_a_clear_message;
mod idle_timeout_at_each_input_state_clears_the_screen_and_records;
mod no_pin_certificate_or_name_is_stored_or_logged;
mod old_resident_card_is_named_as_not_an_insurance_card;
mod payment_card_or_phone_wallet_can_say_it_is_a_phone;
mod pcsc_card_removed_at_every_apdu_asks_for_another_tap;
mod pcsc_check_in_through_pcscd;
mod pcsc_every_profile_is_classified;
mod pcsc_faults_become_clear_flow_events;
mod pcsc_headless_cli_checks_in_through_pcscd;
mod pcsc_reader_recovers_from_pcscd_restart_and_unplug;
mod pin_guard_at_one_try_left_sends_no_verify;
mod reader_out_of_service_shows_why_and_recovers;
mod report_gives_the_usage_rate_share_for_a_mixed_month;
mod still_here_pushes_the_idle_deadline_back;
mod store_audit_log_is_append_only;
mod store_keeps_committed_check_ins;
mod store_migrates_from_every_version;
mod transit_card_is_named_and_another_tap_is_asked;
mod ui_blank_japanese_is_caught;
mod ui_demo_under_xvfb;
mod ui_every_screen_fits;
mod ui_every_string_is_translated;
mod ui_live_kiosk_reads_a_card_through_pcscd;
mod ui_patient_check_ins;
mod ui_screenshots_command;
mod ui_staff_mode_at_the_kiosk;
mod unreadable_phone_goes_to_portal_screen_check;
mod wrong_pin_then_right_costs_exactly_one_try;
