//! Security regressions: one test per published attack (EFAIL, Johnny,
//! Marvin/Bleichenbacher, signature stripping, flooding), hostile inputs,
//! and the resource limits.

mod common;

mod security {
    mod attacks;
    mod crafted;
    mod hostile;
    mod limits;
    mod path_validation;
    mod revocation;
    mod sender_binding;
}
