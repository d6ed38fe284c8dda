//! Cipher suites on the command line (issue 18): `keygen --suite gm`,
//! `keys list` shows each key's suite, `keys rotate --suite`, and a `gm`
//! keyring seals and opens through `seal`, `open` and `run` (the one core:
//! nothing suite-specific in the CLI beyond choosing it).

use crate::common;

use common::{Env, ID, PHONE, json_lines, lines, text};

fn suites(env: &Env) -> Vec<(u64, String, String)> {
    json_lines(&env.keyed_ok(&["keys", "list", "--json"], ""))
        .iter()
        .map(|k| {
            let s = |f: &str| k[f].as_str().unwrap().to_owned();
            (k["id"].as_u64().unwrap(), s("state"), s("suite"))
        })
        .collect()
}

#[test]
fn a_gm_keyring_from_keygen_to_run() {
    let env = Env::new("suite-gm");
    env.ok(&["keygen", "--out", "keys.dzk", "--passphrase-file", "pass", "--suite", "gm"], "");
    assert_eq!(suites(&env), [(1, "active".to_owned(), "gm".to_owned())]);
    let table = env.keyed_ok(&["keys", "list"], "");
    assert!(lines(&table)[0].contains("SUITE") && lines(&table)[1].ends_with("gm"), "{table}");

    let ctx = ["--table", "users", "--column", "phone"];
    let sealed =
        env.keyed_ok(&[&["seal", "--kind", "mobile_phone"][..], &ctx].concat(), &format!("{PHONE}\n"));
    assert!(sealed.starts_with("dz1.Ag"), "a v2 envelope: {sealed}");
    let opened =
        env.keyed_ok(&[&["open", "--kind", "mobile_phone", "--purpose", "p"][..], &ctx].concat(), &sealed);
    assert_eq!(opened, format!("{PHONE}\n"));

    std::fs::write(
        env.path("policy.toml"),
        "table = \"people\"\n[columns.id_number]\nkind = \"id_number\"\naction = \"seal\"\n",
    )
    .unwrap();
    std::fs::write(env.path("in.csv"), format!("id_number\n{ID}\n")).unwrap();
    env.keyed_ok(&["run", "--policy", "policy.toml", "in.csv", "-o", "out.csv"], "");
    let out = std::fs::read_to_string(env.path("out.csv")).unwrap();
    let cell = lines(&out)[1].to_owned();
    assert!(cell.starts_with("dz1.Ag"), "{out}");
    let back = env.keyed_ok(
        &["open", "--kind", "id_number", "--purpose", "p", "--table", "people", "--column", "id_number"],
        &format!("{cell}\n"),
    );
    assert_eq!(back, format!("{ID}\n"));

    // Rotation changes suite only when asked, both ways.
    let out = env.keyed(&["keys", "rotate"], "");
    assert!(out.status.success() && text(&out.stderr).contains("(gm)"), "{}", text(&out.stderr));
    env.keyed_ok(&["keys", "rotate", "--suite", "aes"], "");
    let got: Vec<(u64, String)> = suites(&env).into_iter().map(|(id, _, s)| (id, s)).collect();
    assert_eq!(got, [(1, "gm".into()), (2, "gm".into()), (3, "aes".into())]);
    let bad = env.keyed(&["keys", "rotate", "--suite", "sm4"], "");
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("expected `aes` or `gm`"), "{}", text(&bad.stderr));
}
