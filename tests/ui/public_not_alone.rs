use desensitize::{MobilePhone, Protect};

#[derive(Protect)]
#[protect(table = "users")]
struct User {
    #[protect(public, seal)]
    phone: MobilePhone,
}

fn main() {}
