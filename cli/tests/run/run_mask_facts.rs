//! `desensitize run` refuses, before reading a record, a policy that writes
//! an ID number's mask beside facts of the same column that together leave
//! too few candidates (issue 20: with the mask they can name the holder).

use crate::common;

use common::data::id_number;
use common::run_dir::{Dir, fails_with, ok};

#[test]
fn id_mask_beside_fine_facts_is_refused_up_front() {
    let d = Dir::new("mask-facts");
    let id = id_number("110105", "19491231", 2);
    d.write("in.csv", &format!("user_id,id\n1,{id}\n"));
    let fine = "[columns.user_id]\naction = \"keep\"\n[columns.id]\nkind = \"id_number\"\naction = \"mask\"\n\
                generalize = { birth_month = \"born\", city = \"city\" }\n";
    d.write("policy.toml", fine);
    let o = d.run("in.csv", "out.csv", &[]);
    fails_with(&o, 2, "column `id`: the standard mask beside the facts city, birth_month leaves about 2545");
    assert!(!d.join("out.csv").exists());

    // The strict mask beside the same facts leaves many: accepted.
    d.write("policy.toml", &fine.replace("action = \"mask\"\n", "action = \"mask\"\nlevel = \"strict\"\n"));
    ok(&d.run("in.csv", "out.csv", &[]));
    assert_eq!(d.read("out.csv"), "user_id,id,city,born\n1,1****************X,北京市,1949-12\n");
}
