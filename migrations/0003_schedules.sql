-- Cron schedules (spec 7): declared in code or created at run time, and the index that
-- makes each fire start exactly one execution however many engines run.
-- Runs with search_path set to the engine's prefix schema; names are unqualified.

-- migrate:up
CREATE TABLE schedules (
  name                 text PRIMARY KEY,
  workflow             text NOT NULL,
  cron                 text NOT NULL,
  timezone             text NOT NULL,
  -- The input of every execution it starts, as the serializer encoded it.
  input                jsonb,
  queue                text NOT NULL,
  enabled              boolean NOT NULL DEFAULT true,
  catch_up             text NOT NULL DEFAULT 'one' CHECK (catch_up IN ('none', 'one', 'all')),
  overlap              text NOT NULL DEFAULT 'allow' CHECK (overlap IN ('allow', 'skip')),
  -- True when it comes from a workflow's `schedule` option (upserted at engine start).
  declared             boolean NOT NULL DEFAULT false,
  -- The first cron fire not started yet (the fire cursor). NULL while disabled.
  next_run_at          timestamptz,
  -- When a scheduler should look at it next: next_run_at, or later while backing off
  -- after a failed start. NULL while disabled. Only enabled rows are in the due index.
  wake_at              timestamptz,
  last_run_at          timestamptz,
  last_error           jsonb,
  consecutive_failures integer NOT NULL DEFAULT 0,
  disabled_by          text CHECK (disabled_by IN ('user', 'code', 'failures')),
  disabled_reason      text,
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL
);

CREATE INDEX schedules_wake_idx ON schedules (wake_at) WHERE enabled;
CREATE INDEX schedules_workflow_idx ON schedules (workflow);

-- Exactly once: one execution per schedule and fire time. Manual triggers have a NULL
-- fire time, and NULLs are distinct, so they never conflict.
CREATE UNIQUE INDEX executions_schedule_fire_idx ON executions (schedule_name, schedule_fire_at)
  WHERE schedule_name IS NOT NULL;
-- overlap: "skip" asks whether a schedule has an active execution.
CREATE INDEX executions_schedule_active_idx ON executions (schedule_name)
  WHERE schedule_name IS NOT NULL AND status IN ('pending', 'running', 'waiting', 'compensating');

-- migrate:down
DROP INDEX executions_schedule_active_idx;
DROP INDEX executions_schedule_fire_idx;
DROP TABLE schedules;
