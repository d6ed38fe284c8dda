use desensitize::{MobilePhone, Protect};

#[derive(Protect)]
#[protect(table = "users")]
struct Tuple(#[protect(seal)] MobilePhone);

#[derive(Protect)]
#[protect(table = "users")]
struct Generic<T> {
    #[protect(public)]
    value: T,
}

#[derive(Protect)]
#[protect(table = "users")]
enum Kind {
    A,
}

fn main() {}
