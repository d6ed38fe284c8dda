use desensitize::{MobilePhone, Protect};

#[derive(Protect)]
#[protect(table = "users")]
struct User {
    #[protect(sael)]
    phone: MobilePhone,
    #[protect(seal, generalize(gendre))]
    other: MobilePhone,
}

fn main() {}
