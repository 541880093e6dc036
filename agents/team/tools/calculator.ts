/**
 * A safe arithmetic evaluator for the agents: a small recursive-descent parser over numbers,
 * + - * / % ^, parentheses, unary minus and a few functions. Model output is untrusted text, so
 * nothing here ever reaches eval or Function.
 */
import type { ToolDef } from "../../runtime/types.ts";

export class CalculatorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CalculatorError";
  }
}

const MAX_LENGTH = 500;
/** Deep enough for any real expression, shallow enough that "((((…" cannot exhaust the stack. */
const MAX_DEPTH = 64;

type Token = { kind: "num"; value: number; pos: number } | {
  kind: "op" | "name";
  text: string;
  pos: number;
};

const FUNCTIONS: Record<string, { arity: [number, number]; fn(...xs: number[]): number }> = {
  sqrt: {
    arity: [1, 1],
    fn: (x) => {
      if (x < 0) throw new CalculatorError(`sqrt of a negative number (${x})`);
      return Math.sqrt(x);
    },
  },
  abs: { arity: [1, 1], fn: Math.abs },
  round: {
    arity: [1, 2],
    fn: (x, digits = 0) => {
      if (!Number.isInteger(digits) || digits < 0 || digits > 15) {
        throw new CalculatorError("round's second argument must be a whole number from 0 to 15");
      }
      const f = 10 ** digits;
      return Math.round(x * f) / f;
    },
  },
  min: { arity: [1, 100], fn: Math.min },
  max: { arity: [1, 100], fn: Math.max },
};
const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  // Accept the symbols people (and models) type for multiply, divide, minus and power.
  const src = input.replace(/\*\*/g, "^").replace(/[×·]/g, "*").replace(/÷/g, "/")
    .replace(/[−–]/g, "-");
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    if (/\s/.test(ch)) {
      i++;
    } else if (/[0-9.]/.test(ch)) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?/i.exec(src.slice(i));
      if (!m || /^[.\d]/.test(src.slice(i + m[0].length))) {
        throw new CalculatorError(`malformed number at position ${i + 1}`);
      }
      tokens.push({ kind: "num", value: Number(m[0]), pos: i });
      i += m[0].length;
    } else if ("+-*/%^(),".includes(ch)) {
      tokens.push({ kind: "op", text: ch, pos: i });
      i++;
    } else if (/[a-z]/i.test(ch)) {
      const name = /^[a-z]+/i.exec(src.slice(i))![0];
      tokens.push({ kind: "name", text: name.toLowerCase(), pos: i });
      i += name.length;
    } else {
      throw new CalculatorError(`unexpected character "${ch}" at position ${i + 1}`);
    }
  }
  return tokens;
}

/** Grammar: expr := term (+|- term)* ; term := unary (*|/|% unary)* ;
 *  unary := (+|-) unary | power ; power := primary (^ unary)?  (so -2^2 = -4, 2^-1 = 0.5). */
class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): number {
    if (this.tokens.length === 0) throw new CalculatorError("the expression is empty");
    const value = this.expr();
    const extra = this.tokens[this.i];
    if (extra) {
      throw new CalculatorError(`unexpected "${show(extra)}" at position ${extra.pos + 1}`);
    }
    return value;
  }

  private expr(): number {
    if (++this.depth > MAX_DEPTH) throw new CalculatorError("the expression is nested too deeply");
    let value = this.term();
    while (this.peekOp("+") || this.peekOp("-")) {
      value = this.next().text === "+" ? value + this.term() : value - this.term();
    }
    this.depth--;
    return value;
  }

  private term(): number {
    let value = this.unary();
    while (this.peekOp("*") || this.peekOp("/") || this.peekOp("%")) {
      const op = this.next().text;
      const right = this.unary();
      if (op === "*") value *= right;
      else if (right === 0) {
        throw new CalculatorError(op === "/" ? "division by zero" : "modulo by zero");
      } else value = op === "/" ? value / right : value % right;
    }
    return value;
  }

  private unary(): number {
    if (this.peekOp("-") || this.peekOp("+")) {
      if (++this.depth > MAX_DEPTH) throw new CalculatorError("too many signs in a row");
      const sign = this.next().text === "-" ? -1 : 1;
      const value = sign * this.unary();
      this.depth--;
      return value;
    }
    const base = this.primary();
    if (!this.peekOp("^")) return base;
    this.next();
    return base ** this.unary();
  }

  private primary(): number {
    const tok = this.tokens[this.i++];
    if (!tok) throw new CalculatorError("the expression ends too early");
    if (tok.kind === "num") return tok.value;
    if (tok.kind === "op" && tok.text === "(") {
      const value = this.expr();
      this.expectOp(")", "missing closing parenthesis");
      return value;
    }
    if (tok.kind === "name") {
      if (tok.text in CONSTANTS) return CONSTANTS[tok.text];
      const f = FUNCTIONS[tok.text];
      if (!f) {
        throw new CalculatorError(
          `unknown name "${tok.text}" (functions: ${Object.keys(FUNCTIONS).join(", ")})`,
        );
      }
      this.expectOp("(", `${tok.text} needs parentheses, e.g. ${tok.text}(2)`);
      const args = [this.expr()];
      while (this.peekOp(",")) {
        this.next();
        args.push(this.expr());
      }
      this.expectOp(")", "missing closing parenthesis");
      const [lo, hi] = f.arity;
      if (args.length < lo || args.length > hi) {
        throw new CalculatorError(
          `${tok.text} takes ${lo === hi ? lo : `${lo} to ${hi}`} argument(s)`,
        );
      }
      return f.fn(...args);
    }
    throw new CalculatorError(`unexpected "${show(tok)}" at position ${tok.pos + 1}`);
  }

  private peekOp(text: string): boolean {
    const t = this.tokens[this.i];
    return t?.kind === "op" && t.text === text;
  }
  private next(): Token & { text: string } {
    return this.tokens[this.i++] as Token & { text: string };
  }
  private expectOp(text: string, message: string): void {
    if (!this.peekOp(text)) throw new CalculatorError(message);
    this.i++;
  }
}

function show(t: Token): string {
  return t.kind === "num" ? String(t.value) : t.text;
}

/** Evaluates an arithmetic expression; throws CalculatorError with a message fit for a model. */
export function evaluate(expression: string): number {
  if (expression.length > MAX_LENGTH) {
    throw new CalculatorError(`the expression is longer than ${MAX_LENGTH} characters`);
  }
  const value = new Parser(tokenize(expression)).parse();
  if (!Number.isFinite(value)) throw new CalculatorError("the result is not a finite number");
  // 12 significant digits hides binary noise such as 0.1 + 0.2 = 0.30000000000000004.
  return Number(value.toPrecision(12));
}

export const calculatorTool: ToolDef = {
  name: "calculator",
  description: "Evaluates an arithmetic expression exactly: numbers, + - * / % ^, parentheses, " +
    "and the functions sqrt, abs, round(x[, digits]), min, max. Use it instead of mental math.",
  parameters: {
    type: "object",
    properties: {
      expression: { type: "string", description: 'For example "(17 * 23) / 4 + sqrt(2)".' },
    },
    required: ["expression"],
    additionalProperties: false,
  },
  progressMessage: (args) =>
    typeof args.expression === "string" && args.expression.length <= 60
      ? `Calculating ${args.expression}`
      : "Doing the arithmetic",
  run(args) {
    const expression = args.expression;
    if (typeof expression !== "string" || expression.trim() === "") {
      return Promise.reject(new CalculatorError('"expression" must be a non-empty string'));
    }
    try {
      return Promise.resolve(`${expression.trim()} = ${evaluate(expression)}`);
    } catch (err) {
      return Promise.reject(err);
    }
  },
};
