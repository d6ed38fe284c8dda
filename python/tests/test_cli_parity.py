"""Byte-identical to the CLI on the same `fake` rows and keys: mask and
pseudonym against the line commands, blind index, FPE and generalized
facts against `desensitize run`; sealed in Python opens with the CLI and
the reverse."""

import pyarrow as pa

import desensitize as dz
from conftest import read_csv

TODAY = "2026-11-23"


def lines(array: pa.Array) -> str:
    return "\n".join(array.to_pylist()) + "\n"


def keyargs(keyfiles):
    keys, pass_file = keyfiles
    return ["--keys", keys, "--passphrase-file", pass_file]


def test_mask_matches_cli(cli, fake):
    for column, kind in [("mobile", "mobile_phone"), ("id_number", "id_number"), ("name", "person_name"),
                         ("email", "email"), ("bank_card", "bank_card"), ("address", "address")]:
        for level in ["strict", "standard", "relaxed"]:
            ours = dz.mask(fake[column].combine_chunks(), kind, level=level, on_invalid="raise")
            theirs = cli("mask", "--kind", kind, "--level", level, input=lines(fake[column])).stdout
            assert lines(ours) == theirs, (column, level)


def test_pseudonym_matches_cli(cli, fake, keyfiles, keyring):
    for column, kind in [("mobile", "mobile_phone"), ("bank_card", "bank_card"), ("email", "email")]:
        ours = dz.pseudonym(fake[column].combine_chunks(), kind, keyring, domain="analytics",
                            on_invalid="raise")
        theirs = cli("pseudonym", "--kind", kind, *keyargs(keyfiles), "--domain", "analytics",
                     input=lines(fake[column])).stdout
        assert lines(ours) == theirs, column


POLICY = f"""
table = "users"
today = "{TODAY}"

[columns.user_id]
action = "keep"

[columns.name]
action = "drop"

[columns.id_number]
kind = "id_number"
action = "fpe"
domain = "analytics"
generalize = {{ gender = "gender", age_band = "age_band", province = "province", city = "city", birth_year = "birth_year" }}
band_width = 10

[columns.mobile]
kind = "mobile_phone"
action = "fpe"
domain = "analytics"

[columns.bank_card]
kind = "bank_card"
action = "blind-index"
bits = 8
transform = "last4"
domain = "cards"

[columns.email]
kind = "email"
action = "blind-index"
bits = 16

[columns.address]
kind = "address"
action = "generalize"
to = "province"

[columns.location]
kind = "geo_point"
action = "generalize"
to = "geohash"
precision = 6
generalize = {{ grid = "grid" }}
grid_km = 10
"""


def test_blind_index_fpe_and_generalize_match_cli_run(cli, fake, fake_csv, keyfiles, keyring, workdir):
    policy = workdir / "parity.toml"
    policy.write_text(POLICY)
    out = workdir / "parity.csv"
    cli("run", "--policy", policy, *keyargs(keyfiles), fake_csv, "-o", out)
    theirs = read_csv(out)
    col = lambda name: fake[name].combine_chunks()  # noqa: E731

    def same(ours, name):
        assert ours.to_pylist() == theirs[name].to_pylist(), name

    same(dz.fpe(col("id_number"), "id_number", keyring, domain="analytics", on_invalid="raise"), "id_number")
    same(dz.fpe(col("mobile"), "mobile_phone", keyring, domain="analytics", on_invalid="raise"), "mobile")
    same(dz.blind_index(col("bank_card"), "bank_card", keyring, domain="cards", bits=8, transform="last4",
                        on_invalid="raise"), "bank_card")
    same(dz.blind_index(col("email"), "email", keyring, domain="users.email", bits=16, on_invalid="raise"),
         "email")
    for fact in ["gender", "province", "city", "birth_year"]:
        same(dz.generalize(col("id_number"), "id_number", fact, today=TODAY, on_invalid="raise"), fact)
    same(dz.generalize(col("id_number"), "id_number", "age_band", today=TODAY, band_width=10,
                       on_invalid="raise"), "age_band")
    same(dz.generalize(col("address"), "address", "province", on_invalid="raise"), "address")
    same(dz.generalize(col("location"), "geo_point", "geohash", precision=6, on_invalid="raise"), "location")
    same(dz.generalize(col("location"), "geo_point", "grid", grid_km=10.0, on_invalid="raise"), "grid")

    # And `protect`, the whole policy on a record batch, equals the run's rows.
    batch = fake.combine_chunks().to_batches()[0]
    protected = dz.protect(batch, dz.Policy.from_toml(POLICY), keyring)
    assert protected.schema.names == theirs.column_names
    assert protected.to_pydict() == theirs.to_pydict()


def test_sealed_in_python_opens_with_cli_and_reverse(cli, fake, keyfiles, keyring, workdir):
    phones = fake["mobile"].combine_chunks()
    ctx = ["--table", "users", "--column", "mobile"]
    sealed = dz.seal(phones, "mobile_phone", keyring, table="users", column="mobile", on_invalid="raise")
    opened = cli("open", "--kind", "mobile_phone", *keyargs(keyfiles), *ctx, "--purpose", "parity",
                 "--audit", workdir / "cli-audit.jsonl", input=lines(sealed)).stdout
    assert opened == lines(phones)

    by_cli = cli("seal", "--kind", "mobile_phone", *keyargs(keyfiles), *ctx, input=lines(phones)).stdout
    by_cli = pa.array(by_cli.splitlines())
    assert by_cli[0].as_py().startswith("dz1.") and by_cli != sealed  # fresh nonces
    back = dz.open(by_cli, "mobile_phone", keyring, table="users", column="mobile", purpose="parity",
                   on_invalid="raise")
    assert back == phones


def test_row_bound_seals_of_cli_run_open_in_python(cli, fake, fake_csv, keyfiles, keyring, workdir):
    policy = workdir / "rowbound.toml"
    policy.write_text('table = "users"\nrow_id = "user_id"\nunnamed_columns = "keep"\n'
                      '[columns.id_number]\nkind = "id_number"\naction = "seal"\n')
    out = workdir / "rowbound.csv"
    cli("run", "--policy", policy, *keyargs(keyfiles), fake_csv, "-o", out)
    sealed = read_csv(out)
    opened = dz.open(sealed["id_number"].combine_chunks(), "id_number", keyring, table="users",
                     column="id_number", purpose="parity", row_ids=sealed["user_id"].combine_chunks(),
                     on_invalid="raise")
    assert opened == fake["id_number"].combine_chunks()
