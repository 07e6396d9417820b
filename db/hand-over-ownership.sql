-- Hands the service's tables, partitions, functions and types over to the role the service should
-- connect as, so that the tenant write policies (migration 0009) bind it. For a database whose
-- tables belong to a superuser (which the policies never bind). Run as that owner or a superuser:
--
--   psql "$ADMIN_DATABASE_URL" -v ON_ERROR_STOP=1 -v owner=fleet -f db/hand-over-ownership.sql
--
-- The role must exist, and be neither superuser nor BYPASSRLS. Objects of extensions are left to
-- their owner. Idempotent. docs/runbook.md ("Database role, and the write policies").
\if :{?owner}
\else
  \echo 'usage: psql ... -v owner=<role> -f db/hand-over-ownership.sql'
  \quit
\endif
BEGIN;
SELECT set_config('fleet.new_owner', :'owner', true);
DO $$
DECLARE
  owner text := current_setting('fleet.new_owner');
  statement text;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = owner AND (rolsuper OR rolbypassrls)) THEN
    RAISE EXCEPTION 'role % is a superuser or BYPASSRLS: the policies would not bind it', owner;
  END IF;
  EXECUTE format('ALTER DATABASE %I OWNER TO %I', current_database(), owner);
  FOR statement IN
    SELECT format('ALTER TABLE %s OWNER TO %I', c.oid::regclass, owner)
      FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
    UNION ALL
    SELECT format('ALTER FUNCTION %s OWNER TO %I', p.oid::regprocedure, owner)
      FROM pg_proc p
     WHERE p.pronamespace = 'public'::regnamespace
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
    UNION ALL
    SELECT format('ALTER TYPE %s OWNER TO %I', t.oid::regtype, owner)
      FROM pg_type t
     WHERE t.typnamespace = 'public'::regnamespace AND t.typtype = 'e'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
  LOOP
    EXECUTE statement;
  END LOOP;
END
$$;
COMMIT;
