use desensitize::{MobilePhone, Protect};

#[derive(Protect)]
#[protect(table = "users")]
struct User {
    #[protect(seal, blind_index(bits = 16))]
    phone: MobilePhone,
    #[protect(public)]
    phone_index: String,
}

fn main() {}
