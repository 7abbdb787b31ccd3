//! Interoperability with peers no one here wrote: messages and bundles
//! from the corpus (Thunderbird/NSS, MimeKit, OpenSSL), and both ways with
//! `openssl cms` and `gpgsm` (tests print why they skip when a peer is
//! missing).

mod common;

mod interop {
    mod cms;
    mod corpus;
    mod corpus_signed;
    mod der_out;
    mod envelope;
    mod gpgsm;
    mod openssl;
    mod pyca;
}
