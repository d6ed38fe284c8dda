use desensitize::{MobilePhone, Protect};

#[derive(Protect)]
#[protect(table = "users")]
struct User {
    #[protect(nested)]
    phone: MobilePhone,
}

fn main() {}
