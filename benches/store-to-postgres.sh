#!/usr/bin/env bash
# Copies the SQLite store that `cargo bench --bench store` built into the
# PostgreSQL schema the same bench uses, with COPY: minutes instead of the
# hour that 2 000 000 single-row inserts through the pool take. Row tags
# depend only on the key-encryption key (the bench uses one fixed key for
# both backends), never on the backend, so the copied rows authenticate.
#
#   benches/store-to-postgres.sh URL [N]    # N mailboxes, default 1000000
#
# The schema bench_N must exist as the bench creates it (run the bench once
# with SMIME_BENCH_POSTGRES=URL, stop it after "postgres: opened").
# Needs sqlite3 and psql.
set -euo pipefail
url=${1:?usage: $0 POSTGRES_URL [MAILBOXES]}
n=${2:-1000000}
db="$(cd "$(dirname "$0")/.." && pwd)/target/smime-bench/store-$n.db"
[ -f "$db" ] || { echo "no $db: run cargo bench --bench store first" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/mailboxes.sh" <<SH
sqlite3 -csv '$db' "SELECT address, display, sign_by_default, encrypt_by_default, CASE WHEN default_signer IS NULL THEN NULL ELSE '\\\\x'||hex(default_signer) END, '\\\\x'||hex(tag) FROM mailboxes"
SH
cat >"$tmp/certificates.sh" <<SH
sqlite3 -csv '$db' "SELECT mailbox, '\\\\x'||hex(fingerprint), '\\\\x'||hex(certificate), '\\\\x'||hex(sealed_key), imported_at, not_before, not_after, flags, '\\\\x'||hex(tag), '\\\\x'||hex(chain_tag) FROM certificates ORDER BY id"
SH
psql "$url" -v ON_ERROR_STOP=1 <<SQL
SET search_path = bench_$n;
TRUNCATE chain, certificates, mailboxes, recipients, domains;
\\copy mailboxes(address, display, sign_by_default, encrypt_by_default, default_signer, tag) FROM PROGRAM 'sh $tmp/mailboxes.sh' CSV
\\copy certificates(mailbox, fingerprint, certificate, sealed_key, imported_at, not_before, not_after, flags, tag, chain_tag) FROM PROGRAM 'sh $tmp/certificates.sh' CSV
ANALYZE;
SQL
