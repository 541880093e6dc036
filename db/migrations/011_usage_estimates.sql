-- Usage estimated by Glassbox for a call whose provider reported none although it answered (a
-- stream cut by a budget, cancelled, timed out, or broken before its usage chunk): input tokens
-- from the prompt (the pre-flight estimator: 4 characters of the request's JSON a token), output
-- tokens from the text and tool arguments that arrived, cost at the model's price. The
-- provider's input_tokens, output_tokens and cost_usd stay NULL (unknown is never 0, never a
-- guess); budgets count cost_usd, else estimated_cost_usd (db/budgets.ts spendIn).
ALTER TABLE llm_calls
  ADD COLUMN estimated_input_tokens integer CHECK (estimated_input_tokens >= 0),
  ADD COLUMN estimated_output_tokens integer CHECK (estimated_output_tokens >= 0),
  ADD COLUMN estimated_cost_usd numeric(14, 8) CHECK (estimated_cost_usd >= 0),
  ADD CONSTRAINT llm_calls_estimate_only_without_usage CHECK (
    usage_source = 'none' OR (estimated_input_tokens IS NULL AND estimated_output_tokens IS NULL
      AND estimated_cost_usd IS NULL));
