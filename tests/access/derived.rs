//! Derived records (`#[derive(Protect)]`) under access rules: `open`
//! without a principal is refused, `open_as` goes through the rules, and a
//! field the role may see only masked fails the record (naming the field).

use desensitize::access::{Access, AccessRules, Principal};
use desensitize::{AccessError, Error, IdNumber, MobilePhone, Protect};

use super::scenario::{RULES, keyring};

#[derive(Protect)]
#[protect(table = "users")]
struct User {
    #[protect(row_id)]
    id: u64,
    #[protect(seal)]
    phone: MobilePhone,
    #[protect(seal)]
    id_number: IdNumber,
}

#[test]
fn derived_records_open_only_as_a_principal_and_only_in_full() {
    let mut keyring = keyring();
    let user = User {
        id: 7,
        phone: "13800138000".parse().unwrap(),
        id_number: "11010519491231002X".parse().unwrap(),
    };
    let sealed = user.seal(&keyring).unwrap();
    keyring.set_access(Access::new(AccessRules::from_toml(RULES).unwrap()).unwrap());

    let err = sealed.open(&keyring, "audit").err().unwrap();
    assert_eq!((err.field(), err.error()), ("phone", &Error::Access(AccessError::NoPrincipal)));
    let opened = sealed.open_as(&keyring, &Principal::new("carol", "auditor"), "audit").unwrap();
    assert_eq!(
        (opened.id, opened.phone.expose(), opened.id_number.expose()),
        (7, "13800138000", "11010519491231002X")
    );
    let err = sealed.open_as(&keyring, &Principal::new("alice", "support"), "support-ticket").err().unwrap();
    assert_eq!((err.field(), err.error()), ("phone", &Error::Access(AccessError::MaskedOnly)));
}
