//! `protect::RecordError` as a standard error, and the field paths of its
//! errors: what cargo-mutants found no test for in `src/protect/`
//! (tests/mutants/protect.md).

use std::error::Error as _;

use desensitize::protect::RecordError;
use desensitize::{Error, MobilePhone};

#[test]
fn a_record_error_has_the_library_error_as_its_source() {
    let err = RecordError::new("home.address", Error::AuthenticationFailed);
    let source = err.source().expect("the library error is the source");
    assert_eq!(source.to_string(), Error::AuthenticationFailed.to_string());
    assert_eq!(source.downcast_ref::<Error>(), Some(&Error::AuthenticationFailed));
    assert_eq!(err.to_string(), format!("field home.address: {}", Error::AuthenticationFailed));
    let invalid = "12345".parse::<MobilePhone>().unwrap_err();
    assert_eq!(invalid.to_string(), "invalid cn.mobile_phone: wrong length");
    let err = RecordError::new("backup_phones[1]", invalid.clone());
    assert_eq!(err.source().and_then(|s| s.downcast_ref::<Error>()), Some(&invalid));
    assert_eq!(err.field(), "backup_phones[1]");
    assert_eq!(err.into_error(), invalid);
}
