/** A stored value as text (filters and CSV): strings as they are, other values as JSON. */
export function valueText(value: unknown): string {
  return typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value);
}
