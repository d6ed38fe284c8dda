use desensitize::{MobilePhone, Protect};

#[derive(Protect)]
#[protect(table = "users")]
struct User {
    #[protect(seal, mask = "loose")]
    phone: MobilePhone,
    #[protect(seal, seal)]
    other: MobilePhone,
}

fn main() {}
