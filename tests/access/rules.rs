//! The rules file: TOML and JSON, unknown keys refused with a suggestion,
//! every check of `AccessRules::check`, and the reveal lookup order.

use desensitize::access::{AccessRules, BudgetScope, Reveal, RulesError};
use desensitize::{BudgetLimit, Kind};

fn err(toml: &str) -> String {
    AccessRules::from_toml(toml).unwrap_err().to_string()
}

#[test]
fn toml_and_json_read_the_same_rules() {
    let toml = AccessRules::from_toml(super::scenario::RULES).unwrap();
    let json = AccessRules::from_json(&serde_json::to_string(&toml).unwrap()).unwrap();
    assert_eq!(toml, json);
    let support = &toml.roles["support"];
    assert_eq!(support.kinds["id_number"], Reveal::None);
    let budget = support.budget.as_ref().unwrap();
    assert_eq!((budget.per_day, budget.per_minute, budget.scope), (Some(5), None, BudgetScope::Principal));
    assert_eq!(budget.warn_at(BudgetLimit::PerDay), Some(3));
    assert_eq!(toml.role_of("carol"), Some("auditor"));
    assert_eq!(toml.role_of("mallory"), None);
}

#[test]
fn unknown_keys_are_refused_with_a_suggestion_at_every_level() {
    assert_eq!(
        err("[rolse.x]\npurposes = []\n"),
        "unknown key `rolse` in the access rules: did you mean `roles`?"
    );
    assert_eq!(
        err("[roles.x]\npurposes = []\ndefualt = \"full\"\n"),
        "unknown key `defualt` in [roles.x]: did you mean `default`?"
    );
    assert_eq!(
        err("[roles.x]\npurposes = []\nbudget = { per_dya = 3 }\n"),
        "unknown key `per_dya` in [roles.x.budget]: did you mean `per_day`?"
    );
    assert_eq!(err("[roles.x]\npurposes = []\ncolour = 1\n"), "unknown key `colour` in [roles.x]");
    assert!(matches!(
        AccessRules::from_json(r#"{"roles": {"x": {"purposes": [], "kinsd": {}}}}"#),
        Err(RulesError::UnknownKey { suggestion: Some("kinds"), .. })
    ));
}

#[test]
fn every_check_says_what_is_wrong() {
    assert_eq!(
        err("[principals]\nbob = \"ghost\"\n"),
        "principal `bob` has role `ghost`, which no [roles.ghost] defines"
    );
    assert_eq!(
        err("[roles.x]\npurposes = []\nkinds = { phone = \"full\" }\n"),
        "[roles.x]: unknown kind `phone`"
    );
    assert_eq!(
        err("[roles.x]\npurposes = []\ncolumns = { phone = \"full\" }\n"),
        "[roles.x]: column `phone` is not `table.column`"
    );
    assert_eq!(
        err("[roles.x]\npurposes = []\nbudget = { per_day = 0 }\n"),
        "[roles.x]: budget limits must be at least 1"
    );
    assert_eq!(
        err("[roles.x]\npurposes = []\nbudget = { warn_at_percent = 0 }\n"),
        "[roles.x]: budget warn_at_percent must be 1 to 100"
    );
    // A role without purposes is a shape error (required: it would open nothing).
    assert!(
        matches!(AccessRules::from_toml("[roles.x]\n"), Err(RulesError::Syntax(m)) if m.contains("purposes"))
    );
    assert!(matches!(
        AccessRules::from_toml("[roles.x]\npurposes = []\ndefault = \"half\"\n"),
        Err(RulesError::Syntax(m)) if m.contains("unknown variant")
    ));
}

#[test]
fn the_column_rule_wins_over_the_kind_rule_over_the_default() {
    let rules = AccessRules::from_toml(
        "[roles.x]\npurposes = [\"*\"]\ndefault = \"relaxed\"\nkinds = { mobile_phone = \"mask\" }\n\
         columns = { \"users.phone\" = \"full\" }\n",
    )
    .unwrap();
    let x = &rules.roles["x"];
    assert_eq!(x.reveal_for(Kind::MobilePhone, Some(("users", "phone"))), Reveal::Full);
    assert_eq!(x.reveal_for(Kind::MobilePhone, Some(("users", "mobile"))), Reveal::Standard);
    assert_eq!(x.reveal_for(Kind::MobilePhone, None), Reveal::Standard);
    assert_eq!(x.reveal_for(Kind::Email, None), Reveal::Relaxed);
    assert!(x.allows_purpose("anything"));
    assert_eq!(
        AccessRules::from_toml("[roles.y]\npurposes = []\n").unwrap().roles["y"].default,
        Reveal::None
    );
}
