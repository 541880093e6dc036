/**
 * What a call may cost before it is made (its worst case: the whole prompt at the input price
 * and every allowed output token at the output price) and while it streams. No tokenizer is
 * bundled: a token is taken to be 4 characters of the request's JSON, which over-counts a prompt
 * (its JSON punctuation) rather than under-counts it.
 */
import type { ModelPrice } from "../llm/cost.ts";

const CHARS_PER_TOKEN = 4;

export interface CallEstimate {
  inputTokens: number;
  /** The most output the call may produce. */
  outputTokens: number;
  /** null: the model has no price. */
  usd: number | null;
}

/** The usage of a call: tokens in and out, and what they cost at `price`. */
export interface Amount {
  tokens: number;
  /** null: unpriced. */
  usd: number | null;
}

export function tokensOfText(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

/** The prompt's tokens, estimated from the messages and tool definitions as they are sent. */
export function promptTokens(request: { messages: unknown[]; tools?: unknown[] }): number {
  return tokensOfText(JSON.stringify([request.messages, request.tools ?? []]).length);
}

export function costOf(
  price: ModelPrice | undefined,
  inputTokens: number,
  outputTokens: number,
): number | null {
  if (!price) return null;
  return (inputTokens * price.input + outputTokens * price.output) / 1_000_000;
}

/** The worst case of one call; `maxTokens` absent: `assumedMaxOutput`. */
export function estimateCall(
  price: ModelPrice | undefined,
  request: { messages: unknown[]; tools?: unknown[]; maxTokens?: number },
  assumedMaxOutput: number,
): CallEstimate {
  const inputTokens = promptTokens(request);
  const outputTokens = request.maxTokens ?? assumedMaxOutput;
  return { inputTokens, outputTokens, usd: costOf(price, inputTokens, outputTokens) };
}
