-- One run at a time per conversation (issue 7, defect 5), held by the database too, so two
-- instances sharing it cannot both start one: at most one 'running' run per conversation (a run
-- stays 'running' until its events are stored and its final status is written). The process
-- checks first and refuses with a 409; this index makes the same answer hold across processes.
-- LLM-gateway session runs (agent 'gateway', agents/gateway/sessions.ts) are not chat turns and
-- are left out.
--
-- Conversations that already have several running runs (left by the race this closes) keep the
-- newest; the older ones are marked interrupted, or the index could not be built.
UPDATE runs SET status = 'interrupted', ended_at = now(),
  error = 'another run of this conversation was running at the same time'
WHERE status = 'running' AND id IN (
  SELECT id FROM (
    SELECT id, row_number() OVER (PARTITION BY conversation_id ORDER BY started_at DESC, id) AS n
    FROM runs WHERE status = 'running' AND agent <> 'gateway'
  ) ranked WHERE n > 1
);
CREATE UNIQUE INDEX runs_one_running_per_conversation ON runs (conversation_id)
  WHERE status = 'running' AND agent <> 'gateway';
