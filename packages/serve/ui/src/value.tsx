import type { Json } from "./api.js";

/** A value in one line of a cell, always as text (never markup, never a link). */
export function cellText(value: Json | undefined): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** A value in full: strings as they are, the rest as indented JSON; long text wraps. */
export function FullValue({ value }: { value: Json | undefined }) {
  return <pre class="json">{typeof value === "string" ? value : JSON.stringify(value, null, 2)}</pre>;
}

/** An object's fields as a two-column table (nested values as indented JSON). */
export function Fields({ value }: { value: Json | undefined }) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return <FullValue value={value} />;
  const entries = Object.entries(value);
  if (entries.length === 0) return <p class="muted">none</p>;
  return (
    <table class="fields">
      <tbody>
        {entries.map(([k, v]) => (
          <tr key={k}>
            <th>{k}</th>
            <td>{v !== null && typeof v === "object" ? <FullValue value={v} /> : cellText(v)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
