-- The audit log's backstop against unmasked account numbers (NNNNNNNN-NN) matched any 8 digits, a dash
-- and 2 digits, so ids such as EX20260220091023-032820-TP (a time stamp, a dash, a code) were refused.
-- The masker (masking.ts, DASHED_ACCOUNT) masks an account number only when no digit touches it; the
-- backstop now uses the same boundaries.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_accounts_masked;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_accounts_masked
  CHECK ((actor || ' ' || action || ' ' || coalesce(target, '') || ' ' || result || ' ' || detail::text) !~ '(^|[^0-9])[0-9]{8}-[0-9]{2}([^0-9]|$)');
