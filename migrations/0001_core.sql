-- Durable core schema: executions and their step records.
-- Runs with search_path set to the engine's prefix schema; names are unqualified.

-- migrate:up
CREATE TABLE executions (
  id                   text PRIMARY KEY,
  -- Insertion order: breaks ties between executions created in the same millisecond.
  seq                  bigint GENERATED ALWAYS AS IDENTITY,
  workflow             text NOT NULL,
  status               text NOT NULL,
  queue                text NOT NULL,
  priority             integer NOT NULL DEFAULT 0,
  input                jsonb,
  context              jsonb,
  output               jsonb,
  error                jsonb,
  current_step         text,
  -- The engine's cursor: where the execution is in its definition tree, and the
  -- attempt / failure / recovery counters of the node it is at.
  state                jsonb NOT NULL DEFAULT '{}'::jsonb,
  parent_id            text,
  parent_step          text,
  idempotency_key      text UNIQUE,
  schedule_name        text,
  schedule_fire_at     timestamptz,
  -- When the row may be claimed next: a new or woken execution, a retry due, a wait's
  -- deadline, or the expiry of the current lease. NULL: nothing to do (terminal, or
  -- waiting with no deadline). Only such rows are in the claim index.
  run_at               timestamptz,
  lease_owner          text,
  -- Fencing token: bumped on every claim, cancel and release; every write of a worker
  -- names the token it holds, so a late write from a previous owner is rejected.
  lease_token          integer NOT NULL DEFAULT 0,
  timeout_at           timestamptz,
  scheduled_at         timestamptz,
  started_at           timestamptz,
  completed_at         timestamptz,
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL,
  compensation_results jsonb,
  compensated_at       timestamptz
) WITH (fillfactor = 80);

CREATE INDEX executions_claim_idx ON executions (queue, priority DESC, run_at, seq)
  WHERE run_at IS NOT NULL;
CREATE INDEX executions_created_idx ON executions (created_at DESC, seq DESC);
CREATE INDEX executions_workflow_idx ON executions (workflow, created_at DESC, seq DESC);
CREATE INDEX executions_status_idx ON executions (status, created_at DESC, seq DESC);
CREATE INDEX executions_parent_idx ON executions (parent_id, created_at, seq)
  WHERE parent_id IS NOT NULL;
CREATE INDEX executions_completed_idx ON executions (completed_at)
  WHERE completed_at IS NOT NULL;

CREATE TABLE steps (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  execution_id     text NOT NULL,
  name             text NOT NULL,
  type             text NOT NULL,
  path             jsonb NOT NULL,
  attempt          integer NOT NULL,
  status           text NOT NULL,
  input            jsonb,
  output           jsonb,
  error            jsonb,
  started_at       timestamptz,
  completed_at     timestamptz,
  duration_ms      integer,
  child_id         text,
  compensation_for text,
  logs             jsonb
);

CREATE INDEX steps_execution_idx ON steps (execution_id, id);

-- migrate:down
DROP TABLE steps;
DROP TABLE executions;
