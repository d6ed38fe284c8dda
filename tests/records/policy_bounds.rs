//! The bounds of every numeric and length setting of a policy column, both
//! ends: the last value accepted and the first refused (cargo-mutants over
//! `src/policy/column_rule.rs`, tests/mutants/policy.md).
#![cfg(feature = "toml")]

use desensitize::policy::{Action, ColumnRule, Policy};

/// The checked rule of one column `c` (TOML body), or the error's text.
fn column(body: &str) -> Result<ColumnRule, String> {
    let text = format!("table = \"t\"\n[columns.c]\n{body}");
    let rules = Policy::from_toml(&text).and_then(|p| p.check()).map_err(|e| e.to_string())?;
    Ok(rules.columns.into_iter().next().unwrap())
}

fn refused(body: &str) -> String {
    column(body).map(|_| ()).unwrap_err()
}

#[test]
fn column_names_are_1_to_256_bytes() {
    let named = |name: &str| {
        let text = format!("[columns.\"{name}\"]\naction = \"keep\"");
        Policy::from_toml(&text)
            .and_then(|p| p.check())
            .map(|r| r.columns[0].name.len())
            .map_err(|e| e.to_string())
    };
    assert_eq!(named(&"n".repeat(256)), Ok(256));
    assert_eq!(named("n"), Ok(1));
    let long = "n".repeat(257);
    assert_eq!(named(&long), Err(format!("column `{long}`: column names must be 1 to 256 bytes")));
    assert_eq!(named(""), Err("column ``: column names must be 1 to 256 bytes".into()));
}

#[test]
fn derived_column_names_are_1_to_256_bytes() {
    let derive = |out: &str| {
        column(&format!("kind = \"address\"\naction = \"drop\"\ngeneralize = {{ city = \"{out}\" }}"))
    };
    assert_eq!(derive(&"o".repeat(256)).unwrap().derived[0].1.len(), 256);
    for bad in [String::new(), "o".repeat(257)] {
        assert_eq!(
            derive(&bad).map(|_| ()).unwrap_err(),
            "column `c`: generalize.city: column names must be 1 to 256 bytes"
        );
    }
}

#[test]
fn band_width_is_1_to_50_years() {
    for w in [1, 50] {
        let r = column(&format!("kind = \"id_number\"\naction = \"generalize\"\nband_width = {w}")).unwrap();
        assert_eq!(r.band_width, w);
    }
    assert_eq!(
        refused("kind = \"id_number\"\naction = \"generalize\"\nband_width = 51"),
        "column `c`: band_width = 51: age band width must be 1 to 50 years"
    );
}

#[test]
fn precision_is_1_to_12() {
    for p in [1, 12] {
        let r = column(&format!("kind = \"geo_point\"\naction = \"generalize\"\nprecision = {p}")).unwrap();
        assert_eq!(r.precision, p);
    }
    assert_eq!(
        refused("kind = \"geo_point\"\naction = \"generalize\"\nprecision = 0"),
        "column `c`: precision = 0: geohash precision must be 1 to 12"
    );
}

#[test]
fn grid_km_is_finite_and_0_01_to_1000() {
    for g in [0.01, 1000.0] {
        let r =
            column(&format!("kind = \"geo_point\"\naction = \"generalize\"\nto = \"grid\"\ngrid_km = {g}"))
                .unwrap();
        assert_eq!(r.grid_km, g);
    }
    assert_eq!(
        refused("kind = \"geo_point\"\naction = \"generalize\"\nto = \"grid\"\ngrid_km = 1000.5"),
        "column `c`: grid_km = 1000.5: grid cell size must be 0.01 to 1000 km"
    );
    // Not finite: only through the Rust API (TOML's inf and nan have no JSON
    // form and read as an absent key; see tests/mutants/policy.md).
    for g in [f64::INFINITY, f64::NAN] {
        let mut p =
            Policy::from_toml("[columns.c]\nkind = \"geo_point\"\naction = \"generalize\"\nto = \"grid\"")
                .unwrap();
        p.columns.get_mut("c").unwrap().grid_km = Some(g);
        assert_eq!(
            p.check().map(|_| ()).unwrap_err().to_string(),
            format!("column `c`: grid_km = {g}: grid cell size must be 0.01 to 1000 km")
        );
    }
}

/// 1 to 64 bits, and fewer than the transform's input bits less one
/// (email: ~32 bits, so 30 is the longest index).
#[test]
fn blind_index_bits_are_bounded_by_the_input_space() {
    for bits in [1u8, 30] {
        let r = column(&format!("kind = \"email\"\naction = \"blind-index\"\nbits = {bits}")).unwrap();
        assert!(matches!(r.action, Action::BlindIndex { bits: b, .. } if b == bits));
    }
    assert_eq!(
        refused("kind = \"email\"\naction = \"blind-index\"\nbits = 0"),
        "column `c`: bits = 0: blind index length must be 1 to 64 bits"
    );
    assert!(refused("kind = \"email\"\naction = \"blind-index\"\nbits = 31").starts_with(
        "column `c`: bits = 31: index as long as the input space of transform \"full\" on email (~32 bits)"
    ));
}

/// TOML's `inf` and `nan` are refused, naming the key: they have no JSON
/// form, and read as an absent key they gave the default silently
/// (`grid_km = nan` was a 1 km grid, `t = nan` no t-closeness at all).
#[test]
fn toml_inf_and_nan_are_refused_not_read_as_absent() {
    for (body, key) in [
        ("kind = \"geo_point\"\naction = \"generalize\"\nto = \"grid\"\ngrid_km = nan", "columns.c.grid_km"),
        ("kind = \"geo_point\"\naction = \"generalize\"\nto = \"grid\"\ngrid_km = -inf", "columns.c.grid_km"),
    ] {
        assert_eq!(refused(body), format!("`{key}` is inf or nan: expected a finite number"));
    }
    let e = Policy::from_toml(
        "[columns.a]\naction = \"keep\"\n[privacy]\nk = 2\nquasi_identifiers = [\"a\"]\nt = nan",
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "`privacy.t` is inf or nan: expected a finite number");
    // Inside an array too (named by the array's key).
    let e = Policy::from_toml(
        "[columns.a]\naction = \"keep\"\n[privacy]\nk = 2\nquasi_identifiers = [\"a\", inf]",
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "`privacy.quasi_identifiers` is inf or nan: expected a finite number");
}

/// A JSON error at a character of several bytes points at that character
/// (serde_json counts bytes; the column here counts characters).
#[test]
fn json_errors_at_a_wide_character_point_at_it() {
    for (text, expected) in [
        ("{\"table\": \"\\名\"}", "line 1, column 13: invalid escape"),
        ("{\"table\": tru名}", "line 1, column 14: expected ident"),
        ("{\"table\": 名}", "line 1, column 11: expected value"),
        ("{\"table\": 1名}", "line 1, column 12: expected `,` or `}`"),
        ("{\"名\"名}", "line 1, column 5: expected `:`"),
    ] {
        assert_eq!(Policy::from_json(text).unwrap_err().to_string(), expected, "{text}");
    }
}
