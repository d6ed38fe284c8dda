use desensitize::{Email, Protect};

#[derive(Protect)]
#[protect(table = "users")]
struct User {
    #[protect(pseudonym = "analytics", mask = "strict")]
    email: Email,
}

fn main() {}
