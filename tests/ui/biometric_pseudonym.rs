use desensitize::{Biometric, Protect};

#[derive(Protect)]
#[protect(table = "users")]
struct User {
    #[protect(seal, pseudonym = "analytics")]
    face: Biometric,
}

fn main() {}
