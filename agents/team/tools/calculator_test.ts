import assert from "node:assert/strict";
import { CalculatorError, calculatorTool, evaluate } from "./calculator.ts";
import type { ToolContext } from "../../runtime/types.ts";

Deno.test("calculator: precedence, associativity and unary minus", () => {
  const cases: [string, number][] = [
    ["2+2", 4],
    ["2 + 3 * 4", 14],
    ["(2 + 3) * 4", 20],
    ["10 - 4 - 3", 3],
    ["2 ^ 3 ^ 2", 512],
    ["-2 ^ 2", -4],
    ["(-2) ^ 2", 4],
    ["2 ^ -1", 0.5],
    ["--3", 3],
    ["-(1 + 2) * 3", -9],
    ["17 % 5", 2],
    ["7 / 2", 3.5],
    ["0.1 + 0.2", 0.3],
    [".5 * 4", 2],
    ["1e3 / 4", 250],
  ];
  for (const [expr, want] of cases) assert.equal(evaluate(expr), want, expr);
});

Deno.test("calculator: functions, constants and typed symbols", () => {
  assert.equal(evaluate("sqrt(16) + abs(-3)"), 7);
  assert.equal(evaluate("round(3.14159, 2)"), 3.14);
  assert.equal(evaluate("round(2.5)"), 3);
  assert.equal(evaluate("min(3, 1, 2) + max(4, 9)"), 10);
  assert.equal(evaluate("SQRT(9)"), 3);
  assert.equal(evaluate("round(pi, 4)"), 3.1416);
  assert.equal(evaluate("3 × 4 ÷ 2 − 1"), 5);
  assert.equal(evaluate("2 ** 10"), 1024);
});

Deno.test("calculator: clear errors for bad input", () => {
  const cases: [string, RegExp][] = [
    ["1 / 0", /division by zero/],
    ["5 % 0", /modulo by zero/],
    ["(1 + 2", /missing closing parenthesis/],
    ["1 + 2)", /unexpected "\)"/],
    ["2 +", /ends too early/],
    ["", /empty/],
    ["2 $ 3", /unexpected character "\$" at position 3/],
    ["foo(1)", /unknown name "foo"/],
    ["sqrt 4", /sqrt needs parentheses/],
    ["sqrt(1, 2)", /sqrt takes 1 argument/],
    ["sqrt(-1)", /negative/],
    ["round(1, 0.5)", /second argument/],
    ["10 ^ 400", /not a finite number/],
    ["1..2", /malformed number/],
    ["(".repeat(200) + "1" + ")".repeat(200), /nested too deeply/],
    ["-".repeat(200) + "1", /too many signs/],
    ["1+".repeat(300) + "1", /longer than 500/],
  ];
  for (const [expr, message] of cases) {
    assert.throws(
      () => evaluate(expr),
      (err) => err instanceof CalculatorError && message.test(err.message),
      expr,
    );
  }
});

Deno.test("calculator: is no eval — code-like input is rejected, not run", () => {
  for (const evil of ["constructor", "globalThis.x=1", "this", "a=1", "alert(1)", "1;2", "`1`"]) {
    assert.throws(() => evaluate(evil), CalculatorError, evil);
  }
});

Deno.test("calculator tool: returns the expression and its value; rejects bad args", async () => {
  const ctx = {} as ToolContext; // the calculator needs no context
  assert.equal(await calculatorTool.run({ expression: " 17 * 23 " }, ctx), "17 * 23 = 391");
  await assert.rejects(calculatorTool.run({}, ctx), /"expression" must be a non-empty string/);
  await assert.rejects(calculatorTool.run({ expression: 42 }, ctx), /non-empty string/);
  await assert.rejects(calculatorTool.run({ expression: "1/0" }, ctx), /division by zero/);
  assert.equal(calculatorTool.progressMessage?.({ expression: "2+2" }), "Calculating 2+2");
  assert.equal(calculatorTool.progressMessage?.({}), "Doing the arithmetic");
});
