//! Issue 21's scenario: support sees phones masked and ID numbers not at
//! all, the auditor sees everything for `audit` only, a principal over
//! budget is refused, and every decision is in the audit log.

use std::sync::Arc;

use desensitize::access::{Access, AccessRules, ManualClock, Principal, Revealed};
use desensitize::audit::{AuditError, JsonLinesAudit};
use desensitize::keys::{KeyState, RootKey};
use desensitize::pseudo::Domain;
use desensitize::{AccessError, BudgetLimit, Context, Error, IdNumber, Keyring, MobilePhone};

pub const RULES: &str = r#"
[principals]
alice = "support"
carol = "auditor"

[roles.support]
purposes = ["support-ticket"]
kinds = { mobile_phone = "standard", id_number = "none" }
budget = { per_day = 5, warn_at_percent = 60 }

[roles.auditor]
purposes = ["audit"]
default = "full"
"#;

const PHONE: &str = "13800138000";
const ID: &str = "11010519491231002X";

pub fn keyring() -> Keyring {
    let mut k = Keyring::new();
    k.add_key(1, RootKey::from_bytes([7; 32]), KeyState::Active).unwrap();
    k
}

fn lines(log: &JsonLinesAudit<Vec<u8>>) -> Vec<serde_json::Value> {
    let text = String::from_utf8(log.into_inner_clone()).unwrap();
    assert!(!text.contains(PHONE) && !text.contains(ID), "no plaintext in the audit log");
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn support_auditor_and_budget_with_every_decision_in_the_log() {
    let mut keyring = keyring();
    let phone_ctx = Context::new("users", "phone").with_row("7");
    let id_ctx = Context::new("users", "id_number").with_row("7");
    let phone = keyring.seal(&PHONE.parse::<MobilePhone>().unwrap(), &phone_ctx).unwrap();
    let id = keyring.seal(&ID.parse::<IdNumber>().unwrap(), &id_ctx).unwrap();

    let log = Arc::new(JsonLinesAudit::new(Vec::new()));
    keyring.set_audit_sink(log.clone());
    let rules = AccessRules::from_toml(RULES).unwrap();
    let clock = Arc::new(ManualClock::new(1_800_000_000));
    keyring.set_access(Access::new(rules.clone()).unwrap().with_clock(clock.clone()));
    let alice = Principal::from_rules(&rules, "alice").unwrap().with_os_user("alice_os");
    let carol = Principal::from_rules(&rules, "carol").unwrap();

    // Support: phones masked, ID numbers not at all, only for its purpose.
    let shown = keyring.open_as(&alice, &phone, &phone_ctx, "support-ticket").unwrap();
    assert!(matches!(&shown, Revealed::Masked(m) if m == "138****8000"));
    assert_eq!(
        keyring.open_as(&alice, &id, &id_ctx, "support-ticket").unwrap_err(),
        Error::Access(AccessError::Denied)
    );
    assert_eq!(
        keyring.open_as(&alice, &phone, &phone_ctx, "marketing").unwrap_err(),
        Error::Access(AccessError::Purpose)
    );
    // The auditor: everything, for `audit` only.
    let full = keyring.open_as(&carol, &id, &id_ctx, "audit").unwrap().into_full().unwrap();
    assert_eq!(full.expose(), ID);
    assert_eq!(
        keyring.open_as(&carol, &phone, &phone_ctx, "audit").unwrap().into_full().unwrap().expose(),
        PHONE
    );
    assert_eq!(
        keyring.open_as(&carol, &id, &id_ctx, "support-ticket").unwrap_err(),
        Error::Access(AccessError::Purpose)
    );
    // No principal: refused on every plain path.
    assert_eq!(
        keyring.open(&phone, &phone_ctx, "audit").unwrap_err(),
        Error::Access(AccessError::NoPrincipal)
    );
    let text = phone.to_text();
    assert_eq!(
        keyring.open_text::<MobilePhone>(&text, &phone_ctx, "audit").unwrap_err(),
        Error::Access(AccessError::NoPrincipal)
    );

    // Budget: 5 a day (1 used above); the 3rd raises the alarm, the 6th is refused.
    for _ in 0..4 {
        keyring.open_text_as::<MobilePhone>(&alice, &text, &phone_ctx, "support-ticket").unwrap();
    }
    assert_eq!(
        keyring.open_as(&alice, &phone, &phone_ctx, "support-ticket").unwrap_err(),
        Error::Access(AccessError::OverBudget(BudgetLimit::PerDay))
    );
    // The auditor has no budget; alice's refusal lasts until the day passes.
    keyring.open_as(&carol, &phone, &phone_ctx, "audit").unwrap();
    clock.advance(86_400);
    keyring.open_as(&alice, &phone, &phone_ctx, "support-ticket").unwrap();

    let events = lines(&log);
    let decisions: Vec<(&str, &str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["principal"].as_str().unwrap_or("-"),
                e["decision"].as_str().unwrap(),
                e["purpose"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        decisions,
        [
            ("alice", "masked", "support-ticket"),
            ("alice", "refused", "support-ticket"),
            ("alice", "refused", "marketing"),
            ("carol", "allowed", "audit"),
            ("carol", "allowed", "audit"),
            ("carol", "refused", "support-ticket"),
            ("-", "refused", "audit"),
            ("-", "refused", "audit"),
            ("alice", "masked", "support-ticket"),
            ("alice", "alarm", "support-ticket"),
            ("alice", "masked", "support-ticket"),
            ("alice", "masked", "support-ticket"),
            ("alice", "masked", "support-ticket"),
            ("alice", "refused", "support-ticket"),
            ("carol", "allowed", "audit"),
            ("alice", "masked", "support-ticket"),
        ]
    );
    let first = &events[0];
    assert_eq!(first["role"], "support");
    assert_eq!(first["os_user"], "alice_os");
    assert_eq!(first["kind"], "cn.mobile_phone");
    assert_eq!(first["context"]["row"], "7");
    assert_eq!(first["outcome"], "opened");
    assert_eq!(events[1]["kind"], "cn.id_number");
    assert_eq!(events[1]["error"], "access refused: the role may not reveal this kind here");
    assert_eq!(events[9]["outcome"], "alarm");
    assert_eq!(events[9]["limit"], "per_day");
    assert_eq!(events[13]["error"], "access refused: reveal budget exceeded (per_day)");
}

#[test]
fn an_unrecorded_decision_reveals_nothing() {
    struct Full;
    impl std::io::Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::StorageFull.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut keyring = keyring();
    let ctx = Context::new("users", "phone");
    let phone = keyring.seal(&PHONE.parse::<MobilePhone>().unwrap(), &ctx).unwrap();
    keyring.set_access(Access::new(AccessRules::from_toml(RULES).unwrap()).unwrap());
    keyring.set_audit_sink(Arc::new(JsonLinesAudit::new(Full)));
    let carol = Principal::new("carol", "auditor");
    assert_eq!(
        keyring.open_as(&carol, &phone, &ctx, "audit").unwrap_err(),
        Error::AuditFailed(AuditError::Write(std::io::ErrorKind::StorageFull))
    );
}

#[test]
fn without_rules_a_principal_is_recorded_and_the_value_opens() {
    let mut keyring = keyring();
    let log = Arc::new(JsonLinesAudit::new(Vec::new()));
    keyring.set_audit_sink(log.clone());
    let ctx = Context::new("users", "phone");
    let phone = keyring.seal(&PHONE.parse::<MobilePhone>().unwrap(), &ctx).unwrap();
    let who = Principal::new("dave", "anyone");
    assert_eq!(keyring.open_as(&who, &phone, &ctx, "x").unwrap().into_full().unwrap().expose(), PHONE);
    keyring.open(&phone, &ctx, "x").unwrap();
    let events = lines(&log);
    assert_eq!(
        (events[0]["principal"].as_str(), events[0]["decision"].as_str()),
        (Some("dave"), Some("allowed"))
    );
    // A plain open's line is as before: no access keys.
    assert!(events[1].get("decision").is_none() && events[1].get("principal").is_none());
}

#[test]
fn fpe_reidentify_goes_through_the_same_check() {
    let mut keyring = keyring();
    let domain = Domain::new("analytics").unwrap();
    let pseudo = keyring.fpe(&PHONE.parse::<MobilePhone>().unwrap(), &domain).unwrap();
    let cipher_before = keyring.fpe_cipher(&domain).unwrap();
    keyring.set_access(Access::new(AccessRules::from_toml(RULES).unwrap()).unwrap());
    let no_principal = Error::Access(AccessError::NoPrincipal);
    assert_eq!(keyring.reidentify(&pseudo, &domain, "audit").unwrap_err(), no_principal);
    let cipher = keyring.fpe_cipher(&domain).unwrap();
    assert_eq!(cipher.reidentify(&pseudo, "audit").unwrap_err(), no_principal);
    // A cipher made before the rules were attached keeps working (documented).
    assert_eq!(cipher_before.reidentify(&pseudo, "audit").unwrap().expose(), PHONE);
    let alice = Principal::new("alice", "support");
    let masked = keyring.reidentify_as(&alice, &pseudo, &domain, "support-ticket").unwrap();
    assert_eq!(masked.display(), "138****8000");
    let carol = Principal::new("carol", "auditor");
    assert_eq!(
        keyring.reidentify_as(&carol, &pseudo, &domain, "audit").unwrap().into_full().unwrap().expose(),
        PHONE
    );
    let text = desensitize::columns::reidentify_text_as(
        &keyring,
        &alice,
        desensitize::Kind::MobilePhone,
        pseudo.expose(),
        &domain,
        "support-ticket",
    )
    .unwrap();
    assert_eq!(text.as_str(), "138****8000");
}
