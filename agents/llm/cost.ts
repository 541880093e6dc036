/**
 * What one LLM call cost, from its provider's price table (USD per million tokens), and how an
 * amount in USD is written everywhere (answers, panels, pages).
 */

/** USD per million tokens of one model. */
export interface ModelPrice {
  input: number;
  output: number;
  /** Input tokens served from the prompt cache; `input` when absent. */
  cachedInput?: number;
  /** Hidden reasoning tokens (counted in the output); `output` when absent. */
  reasoning?: number;
}

/** Prices by model name as sent to (or answered by) the provider. */
export type PriceTable = Record<string, ModelPrice>;

/** Token counts as the provider reported them; null fields were not reported (never guessed). */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  /** Part of inputTokens served from the provider's prompt cache. */
  cachedTokens: number | null;
  /** Part of outputTokens spent on hidden reasoning (already billed as output). */
  reasoningTokens: number | null;
}

/**
 * Priced by the request model, else the response model (providers often answer with a dated
 * name such as gpt-4o-mini-2024-07-18). Cached input tokens use `cachedInput` when the table has
 * it, reasoning tokens `reasoning`. Null when no usage was reported or neither model is in the
 * table: unknown, not free.
 */
export function callCostUsd(
  prices: PriceTable,
  requestModel: string,
  responseModel: string | null,
  usage: TokenUsage | null,
): number | null {
  if (!usage) return null;
  const price = priceOf(prices, requestModel) ??
    (responseModel ? priceOf(prices, responseModel) : undefined);
  if (!price) return null;
  const cached = Math.min(usage.cachedTokens ?? 0, usage.inputTokens);
  const reasoning = Math.min(usage.reasoningTokens ?? 0, usage.outputTokens);
  const usd = ((usage.inputTokens - cached) * price.input +
    cached * (price.cachedInput ?? price.input) +
    (usage.outputTokens - reasoning) * price.output +
    reasoning * (price.reasoning ?? price.output)) / 1_000_000;
  // llm_calls.cost_usd is numeric(14, 8): round here so the result equals what is stored.
  return Math.round(usd * 1e8) / 1e8;
}

function priceOf(prices: PriceTable, model: string) {
  // hasOwn: a model named "constructor" or "toString" must not find Object.prototype members.
  return Object.hasOwn(prices, model) ? prices[model] : undefined;
}

/**
 * "$12.34", "$0.0123", "$0.000100", "$0.00000012": cents from $1, four decimals from 1¢, below
 * that six decimals, or more (up to the eight stored) so that two significant digits show.
 */
export function formatUsd(usd: number): string {
  if (usd === 0) return "$0.00";
  const abs = Math.abs(usd);
  if (abs >= 1) return `$${usd.toFixed(2)}`;
  if (abs >= 0.01) return `$${usd.toFixed(4)}`;
  const decimals = Math.min(8, Math.max(6, 1 - Math.floor(Math.log10(abs))));
  return `$${usd.toFixed(decimals)}`;
}
