#!/usr/bin/env bash
# The PKCS#11 key provider against a real token (issue 21): installs
# SoftHSM2 when absent (Debian's softhsm2; CI runs as root), initializes a
# throw-away token in a temporary SOFTHSM2_CONF directory, then runs
# tests/pkcs11_softhsm.rs (which creates the AES key in the token, wraps a
# keyring with it and opens it in a second process) and a CLI round trip:
# `keygen --pkcs11-*`, `seal`, `open --audit`, `audit verify` and `run`, each
# a new process that unwraps the keyring in the token.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v softhsm2-util >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2 >/dev/null \
            || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2 >/dev/null; }
    else
        echo "skipped: softhsm2 is not installed and cannot be (not root, or no apt-get)"
        exit 0
    fi
fi
module=""
for candidate in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so /usr/local/lib/softhsm/libsofthsm2.so; do
    if [ -f "$candidate" ]; then module="$candidate"; break; fi
done
[ -n "$module" ] || { echo "libsofthsm2.so not found" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$work" > "$work/softhsm2.conf"
export SOFTHSM2_CONF="$work/softhsm2.conf"
export DESENSITIZE_PKCS11_MODULE="$module"
export DESENSITIZE_PKCS11_TOKEN="desensitize-ci"
# A throw-away token's PIN; real ones come from a secret store, never argv.
export DESENSITIZE_PKCS11_PIN="ci-user-pin-$$"
softhsm2-util --init-token --free --label "$DESENSITIZE_PKCS11_TOKEN" \
    --so-pin "ci-so-pin-$$" --pin "$DESENSITIZE_PKCS11_PIN" >/dev/null

cargo test --quiet -p desensitize --features pkcs11 --test pkcs11_softhsm

# CLI round trip: the keyring is wrapped by the token's key; every command
# below is a new process that unwraps it there.
cargo build --quiet -p desensitize-cli --features pkcs11
bin="target/debug/desensitize"
hsm=(--pkcs11-module "$module" --token "$DESENSITIZE_PKCS11_TOKEN" --key-label cli-wrap)
"$bin" keygen --out "$work/keys.dzk" "${hsm[@]}"
sealed="$(echo 13800138000 | "$bin" seal --kind mobile_phone --table users --column phone --keys "$work/keys.dzk" "${hsm[@]}")"
opened="$(echo "$sealed" | "$bin" open --kind mobile_phone --table users --column phone --purpose ci \
    --audit "$work/audit.jsonl" --keys "$work/keys.dzk" "${hsm[@]}")"
[ "$opened" = 13800138000 ] || { echo "CLI round trip through the token failed" >&2; exit 1; }
"$bin" audit verify "$work/audit.jsonl" --keys "$work/keys.dzk" "${hsm[@]}"
printf 'table = "users"\n[columns.phone]\nkind = "mobile_phone"\naction = "seal"\n' > "$work/policy.toml"
printf 'phone\n13800138000\n' > "$work/in.csv"
"$bin" run --quiet --policy "$work/policy.toml" --keys "$work/keys.dzk" "${hsm[@]}" "$work/in.csv" -o "$work/out.csv"
grep -q '^dz1\.' "$work/out.csv" || { echo "run did not seal through the token's keyring" >&2; exit 1; }
echo "PKCS#11 (SoftHSM2): library tests and CLI round trip passed"
