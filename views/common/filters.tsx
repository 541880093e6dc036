/** Pieces of the filter forms on /calls and /usage. */

/** A user an admin can filter by. */
export interface UserOption {
  id: string;
  label: string;
}

export function Option(p: { value: string; label?: string; selected?: boolean }) {
  return <option value={p.value} selected={p.selected}>{p.label ?? ""}</option>;
}

/** The User select (`user_id`, "" for anyone) of an admin's filters; nothing for a member (null). */
export function UserFilter(p: { users: UserOption[] | null; selected: string }) {
  if (!p.users) return null;
  return (
    <label>
      <span>User</span>
      <select name="user_id">
        <option value="" selected={p.selected === ""}>Anyone</option>
        {p.users.map((u) => (
          <Option key={u.id} value={u.id} label={u.label} selected={u.id === p.selected} />
        ))}
      </select>
    </label>
  );
}

/** A filter's select (`name`): "Any" ("") first, then each choice, labelled as itself. */
export function AnyFilter(
  p: { name: string; label: string; choices: readonly string[]; selected: string },
) {
  return (
    <label>
      <span>{p.label}</span>
      <select name={p.name}>
        <option value="" selected={p.selected === ""}>Any</option>
        {p.choices.map((x) => <Option key={x} value={x} label={x} selected={x === p.selected} />)}
      </select>
    </label>
  );
}
