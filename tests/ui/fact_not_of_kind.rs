use desensitize::{MobilePhone, Protect};

#[derive(Protect)]
#[protect(table = "users")]
struct User {
    #[protect(seal, generalize(age_band))]
    phone: MobilePhone,
}

fn main() {}
