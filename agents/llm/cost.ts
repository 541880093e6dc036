/**
 * What one LLM call cost, from its provider's price table (USD per million tokens), and how an
 * amount in USD is written everywhere (answers, panels, pages).
 */

/** USD per million tokens of one model. */
export interface ModelPrice {
  input: number;
  output: number;
  /** Input tokens read from the prompt cache; `input` when absent. */
  cachedInput?: number;
  /** Input tokens written to the prompt cache (Anthropic-style caches); `input` when absent. */
  cacheWrite?: number;
  /** Hidden reasoning tokens (counted in the output); `output` when absent. */
  reasoning?: number;
}

/** Prices by model name as sent to (or answered by) the provider. */
export type PriceTable = Record<string, ModelPrice>;

/**
 * How a provider counts cached prompt tokens in `prompt_tokens`: OpenAI's are part of it
 * (`part_of_input`); Anthropic-style endpoints report cache reads and writes in addition to it
 * (`in_addition`). Glassbox stores every count the OpenAI way, so totals add up across providers.
 */
export const CACHE_ACCOUNTING = ["part_of_input", "in_addition"] as const;
export type CacheAccounting = typeof CACHE_ACCOUNTING[number];

/**
 * Token counts as the provider reported them, normalised so that inputTokens is the whole prompt
 * (cache reads and writes included); null fields were not reported (never guessed).
 */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  /** Part of inputTokens read from the provider's prompt cache. */
  cachedTokens: number | null;
  /** Part of inputTokens written to the provider's prompt cache. */
  cacheWriteTokens: number | null;
  /** Part of outputTokens spent on hidden reasoning (already billed as output). */
  reasoningTokens: number | null;
}

/** The price of a model by the request model, else the response model (often a dated name). */
export function priceOf(
  prices: PriceTable,
  requestModel: string,
  responseModel: string | null = null,
): ModelPrice | undefined {
  // hasOwn: a model named "constructor" or "toString" must not find Object.prototype members.
  if (Object.hasOwn(prices, requestModel)) return prices[requestModel];
  if (responseModel && Object.hasOwn(prices, responseModel)) return prices[responseModel];
  return undefined;
}

/**
 * Priced by the request model, else the response model (providers often answer with a dated
 * name such as gpt-4o-mini-2024-07-18). Cache reads use `cachedInput`, cache writes
 * `cacheWrite`, reasoning tokens `reasoning` when the table has them. Null when no usage was
 * reported or neither model is in the table: unknown, not free.
 */
export function callCostUsd(
  prices: PriceTable,
  requestModel: string,
  responseModel: string | null,
  usage: TokenUsage | null,
): number | null {
  if (!usage) return null;
  const price = priceOf(prices, requestModel, responseModel);
  if (!price) return null;
  const cached = Math.min(usage.cachedTokens ?? 0, usage.inputTokens);
  const written = Math.min(usage.cacheWriteTokens ?? 0, usage.inputTokens - cached);
  const reasoning = Math.min(usage.reasoningTokens ?? 0, usage.outputTokens);
  const usd = ((usage.inputTokens - cached - written) * price.input +
    cached * (price.cachedInput ?? price.input) +
    written * (price.cacheWrite ?? price.input) +
    (usage.outputTokens - reasoning) * price.output +
    reasoning * (price.reasoning ?? price.output)) / 1_000_000;
  return roundUsd(usd);
}

/** llm_calls.cost_usd is numeric(14, 8): rounded so that a result equals what is stored. */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e8) / 1e8;
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
