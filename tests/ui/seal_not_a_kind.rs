use desensitize::Protect;

#[derive(Protect)]
#[protect(table = "users")]
struct User {
    #[protect(seal)]
    plan: String,
}

fn main() {}
