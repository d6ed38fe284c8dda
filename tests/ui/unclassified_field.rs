use desensitize::{MobilePhone, Protect};

#[derive(Protect)]
#[protect(table = "users")]
struct User {
    #[protect(row_id)]
    id: u64,
    phone: MobilePhone,
}

fn main() {}
