//! With the `tracing` feature, a budget alarm is also a `tracing` warning
//! (target `desensitize::access`) naming the principal, role and limit.
//! `scripts/ci/ci-postgres.sh` runs this binary with the feature.

#[cfg(not(feature = "tracing"))]
#[test]
fn the_tracing_alarm_needs_the_tracing_feature() {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "skipped: build with --features tracing (scripts/ci/ci-postgres.sh does)"
    );
}

#[cfg(feature = "tracing")]
#[test]
fn an_alarm_is_a_tracing_warning() {
    use std::sync::{Arc, Mutex};

    use desensitize::access::{Access, AccessRules, Principal};
    use desensitize::{Context, MobilePhone};

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    let mut keyring = super::scenario::keyring();
    let ctx = Context::new("users", "phone");
    let sealed = keyring.seal(&"13800138000".parse::<MobilePhone>().unwrap(), &ctx).unwrap();
    let rules = "[roles.desk]\npurposes = [\"*\"]\ndefault = \"full\"\nbudget = { per_day = 2, warn_at_percent = 50 }\n";
    keyring.set_access(Access::new(AccessRules::from_toml(rules).unwrap()).unwrap());
    let out = Captured::default();
    let subscriber = tracing_subscriber::fmt().with_writer(out.clone()).with_ansi(false).finish();
    tracing::subscriber::with_default(subscriber, || {
        keyring.open_as(&Principal::new("bob", "desk"), &sealed, &ctx, "x").unwrap();
    });
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("WARN desensitize::access: reveal budget warning"), "{text}");
    assert!(text.contains("principal=\"bob\"") && text.contains("limit=\"per_day\""), "{text}");
    assert!(!text.contains("13800138000"));
}
