use desensitize::{Password, Protect};

#[derive(Protect)]
#[protect(table = "users")]
struct User {
    #[protect(seal)]
    password: Password,
}

fn main() {}
