--
-- reliability: regressions found by the randomized tests (test/reliability/)
--

-- diff() compares a model that has checks, indexes or generated columns with
-- a live table by creating the model's table in a subtransaction of its own.
-- When that fails (here: a default that does not fit the column's type), the
-- error must leave that subtransaction: called inside an exception block, it
-- used to leave the session inside a subtransaction for good, so that
-- nothing it did afterwards ever committed.
CREATE SCHEMA rel_diff;
CREATE TABLE rel_diff.t (a int);
DO $$
BEGIN
    PERFORM * FROM schemata.diff('[{"table": "t", "columns": [{"name": "a", "type": "int", "default": "''abc''"}], "constraints": {"checks": ["a > 0"]}}]', 'rel_diff');
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'caught %: %', SQLSTATE, SQLERRM;
END
$$;
SELECT transaction_timestamp() = statement_timestamp() AS in_a_new_transaction;
-- the same through sync(), and the error still names the model's JSON path
DO $$
BEGIN
    PERFORM * FROM schemata.sync('[{"table": "t", "columns": [{"name": "a", "type": "int", "default": "''abc''"}], "constraints": {"checks": ["a > 0"]}}]', 'rel_diff');
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'caught %: %', SQLSTATE, SQLERRM;
END
$$;
SELECT transaction_timestamp() = statement_timestamp() AS in_a_new_transaction;
SELECT * FROM schemata.diff('[{"table": "t", "columns": [{"name": "a", "type": "int", "default": "''abc''"}], "constraints": {"checks": ["a > 0"]}}]', 'rel_diff');
DROP SCHEMA rel_diff CASCADE;
