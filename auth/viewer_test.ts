import assert from "node:assert/strict";
import { EVERYONE } from "../db/owner.ts";
import { isAdmin, keyScopes, ownerScope, roleScopes, type Viewer } from "./viewer.ts";

const viewer = (role: Viewer["role"], scopes = roleScopes(role)): Viewer => ({
  userId: `${role}-id`,
  email: null,
  name: "",
  role,
  scopes: new Set(scopes),
  via: "key",
});

Deno.test("viewer: whose rows each may see", () => {
  assert.deepEqual(ownerScope(viewer("admin")), { owner: EVERYONE });
  assert.deepEqual(ownerScope(viewer("admin"), "u1"), { owner: EVERYONE, user: "u1" });
  assert.deepEqual(ownerScope(viewer("member")), { owner: "member-id" });
  // A member's filter for someone else narrows their own rows to nothing.
  assert.deepEqual(ownerScope(viewer("member"), "u1"), { owner: "member-id", user: "u1" });
  // An admin's key without the admin scope sees like a member.
  const readOnly = viewer("admin", ["read"]);
  assert.equal(isAdmin(readOnly), false);
  assert.deepEqual(ownerScope(readOnly), { owner: "admin-id" });
});

Deno.test("viewer: a key never holds more than its owner's role allows now", () => {
  assert.deepEqual([...keyScopes("member", ["read", "admin", "chat"])], ["read", "chat"]);
  assert.deepEqual([...keyScopes("admin", ["admin", "gateway"])], ["admin", "gateway"]);
  assert.deepEqual(roleScopes("member"), ["chat", "read", "gateway"]);
});
