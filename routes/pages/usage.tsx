/**
 * GET /usage: the usage dashboard (views/usage/page.tsx). Period, user (admins), agent and model
 * filters live in the URL; a bad value is a 400 page. Members see their own calls only, admins
 * everyone's (the owner scope goes into every query). One query per chart, run together.
 */
import { type Context, Hono } from "hono";
import { z } from "zod/v4";
import { isAdmin, ownerScope } from "../../auth/viewer.ts";
import { listUsers } from "../../db/users.ts";
import {
  costByBucket,
  type DashboardFilter,
  filterChoices,
  firstCallAt,
  latencyByBucket,
  statusByBucket,
  tokensByBucket,
  topAgents,
  topConversations,
  topUsers,
} from "../../db/usage_dashboard.ts";
import { UsagePage } from "../../views/usage/page.tsx";
import { DASHBOARD_PERIODS, dashboardRange } from "../../views/usage/range.ts";
import { viewerOf } from "../access.ts";
import type { AppDeps } from "../deps.ts";
import { pageChrome } from "./chrome.ts";
import { problemPage } from "./problem.ts";
import { nameField, parsePageQuery, userIdField } from "./page_query.ts";

const KEYS = ["period", "user_id", "agent", "model"] as const;

const Query = z.object({
  period: z.enum(DASHBOARD_PERIODS, {
    message: `must be one of ${DASHBOARD_PERIODS.join(", ")}`,
  }).default("7d"),
  user_id: userIdField.optional(),
  agent: nameField.optional(),
  model: nameField.optional(),
});

export function usagePages(deps: AppDeps): Hono {
  const app = new Hono();
  const { sql } = deps.db;
  const badQuery = (c: Context, message: string) =>
    problemPage(deps, c, 400, "Can't show this usage", message);

  app.get("/usage", async (c) => {
    const parsed = parsePageQuery(c, KEYS, Query);
    if (!parsed.ok) return badQuery(c, parsed.message);
    const q = parsed.value;
    const viewer = viewerOf(c);
    const admin = isAdmin(viewer);
    const scope = ownerScope(viewer, q.user_id);
    const now = new Date();
    const range = dashboardRange(
      q.period,
      now,
      q.period === "all" ? await firstCallAt(sql, scope) : null,
    );
    const f: DashboardFilter = { scope, ...range, agent: q.agent, model: q.model };
    const [cost, tokens, status, latency, conversations, users, agents, choices, people] =
      await Promise.all([
        costByBucket(sql, f),
        tokensByBucket(sql, f),
        statusByBucket(sql, f),
        latencyByBucket(sql, f),
        topConversations(sql, f),
        admin ? topUsers(sql, f) : null,
        topAgents(sql, f),
        filterChoices(sql, f),
        admin ? listUsers(sql) : null,
      ]);
    return c.html(UsagePage({
      ...pageChrome(deps, c),
      filters: {
        period: q.period,
        userId: q.user_id ?? "",
        agent: q.agent ?? "",
        model: q.model ?? "",
      },
      range,
      users: people?.map((u) => ({ id: u.id, label: u.email ?? u.name })) ?? null,
      choices,
      data: {
        cost,
        tokens,
        status,
        latency,
        topConversations: conversations,
        topUsers: users,
        topAgents: agents,
      },
    }));
  });

  return app;
}
