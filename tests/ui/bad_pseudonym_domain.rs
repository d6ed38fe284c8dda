use desensitize::{Email, Protect};

#[derive(Protect)]
#[protect(table = "users")]
struct User {
    #[protect(seal, pseudonym = "Analytics Team")]
    email: Email,
}

fn main() {}
