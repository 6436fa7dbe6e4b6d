-- Waiting: durable wait records (sleep, events, human input, child workflows), the
-- inbox of events sent before anybody waits for them, and the signal counter that
-- closes the race between a worker suspending an execution and a signal arriving.

-- migrate:up
ALTER TABLE executions ADD COLUMN signal_seq bigint NOT NULL DEFAULT 0;

CREATE TABLE waits (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  execution_id text NOT NULL,
  -- The step (record path) whose function waits, and the wait's position in it.
  step_path    jsonb NOT NULL,
  step_name    text NOT NULL,
  seq          integer NOT NULL,
  kind         text NOT NULL,          -- sleep | event | any | all | input | child
  name         text NOT NULL,          -- event / input name, child ref, "sleep"
  names        jsonb,                  -- event names of waitForAny / waitForAll
  status       text NOT NULL,          -- pending | completed | timeout | cancelled
  result       jsonb,
  request      jsonb,                  -- an input request: type, prompt, fields, choices...
  child_id     text,
  wake_at      timestamptz,            -- a sleep's due time
  timeout_at   timestamptz,
  created_at   timestamptz NOT NULL,
  completed_at timestamptz,
  UNIQUE (execution_id, step_path, seq)
);

CREATE INDEX waits_pending_idx ON waits (execution_id) WHERE status = 'pending';
CREATE INDEX waits_inputs_idx ON waits (created_at) WHERE kind = 'input';

CREATE TABLE events (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  execution_id text NOT NULL,
  name         text NOT NULL,
  payload      jsonb,
  status       text NOT NULL,          -- pending | consumed
  created_at   timestamptz NOT NULL,
  consumed_at  timestamptz
);

CREATE INDEX events_pending_idx ON events (execution_id, name, id) WHERE status = 'pending';

-- migrate:down
DROP TABLE events;
DROP TABLE waits;
ALTER TABLE executions DROP COLUMN signal_seq;
