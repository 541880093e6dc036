/**
 * What one LLM call cost, from the configured price table (USD per million tokens), and how an
 * amount in USD is written everywhere (answers, panels, pages).
 */
import type { Config } from "../../config.ts";

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
 * it. Null when no usage was reported or neither model is in the table: unknown, not free.
 */
export function callCostUsd(
  prices: Config["prices"],
  requestModel: string,
  responseModel: string | null,
  usage: TokenUsage | null,
): number | null {
  if (!usage) return null;
  const price = priceOf(prices, requestModel) ??
    (responseModel ? priceOf(prices, responseModel) : undefined);
  if (!price) return null;
  const cached = Math.min(usage.cachedTokens ?? 0, usage.inputTokens);
  const usd = ((usage.inputTokens - cached) * price.input +
    cached * (price.cachedInput ?? price.input) +
    usage.outputTokens * price.output) / 1_000_000;
  // llm_calls.cost_usd is numeric(14, 8): round here so the result equals what is stored.
  return Math.round(usd * 1e8) / 1e8;
}

function priceOf(prices: Config["prices"], model: string) {
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
