// Kinds deserialize, but never serialize: what leaves the process is chosen
// per field (a mask, a sealed value, a token).
use desensitize::MobilePhone;

fn main() {
    let phone: MobilePhone = "13800138000".parse().unwrap();
    let _ = serde_json::to_string(&phone);
}
