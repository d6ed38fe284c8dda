use desensitize::{MobilePhone, Protect};

#[derive(Protect)]
struct User {
    #[protect(seal)]
    phone: MobilePhone,
}

#[derive(Protect)]
#[protect(tabel = "users")]
struct Order {
    #[protect(seal)]
    phone: MobilePhone,
}

fn main() {}
