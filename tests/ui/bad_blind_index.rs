use desensitize::{MobilePhone, Protect};

#[derive(Protect)]
#[protect(table = "users")]
struct User {
    #[protect(seal, blind_index(bits = 0))]
    phone: MobilePhone,
    #[protect(seal, blind_index)]
    backup: MobilePhone,
    #[protect(seal, blind_index(bits = 12, transform = "last5"))]
    third: MobilePhone,
}

fn main() {}
