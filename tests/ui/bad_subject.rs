use desensitize::{IdNumber, MobilePhone, Protect};

#[derive(Protect)]
#[protect(table = "users")]
struct User {
    #[protect(seal, subject = "phone")]
    id_number: IdNumber,
    #[protect(seal)]
    phone: MobilePhone,
    #[protect(seal, subject = "user_id")]
    other_id: IdNumber,
}

fn main() {}
