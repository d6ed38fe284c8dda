use desensitize::{MobilePhone, Protect};

#[derive(Protect)]
#[protect(table = "users")]
struct User {
    #[protect(row_id)]
    id: u64,
    #[protect(row_id)]
    uuid: String,
    #[protect(seal)]
    phone: MobilePhone,
}

fn main() {}
