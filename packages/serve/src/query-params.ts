import { z } from "zod";
import { HttpError } from "./http-error.js";
import { MAX_PAGE, type RowQuery } from "./row-query.js";

const rowQuerySchema = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(100),
  filter: z.string().max(1000).optional(),
  column: z.string().max(1000).optional(),
  sort: z.string().max(1000).optional(),
  desc: z.enum(["true", "false", "1", "0"]).optional(),
});

/** A {@link RowQuery} from URL query parameters; 400 with the field and reason when invalid. */
export function parseRowQuery(params: Record<string, string>): RowQuery {
  const parsed = rowQuerySchema.safeParse(params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new HttpError(400, "ERR_SERVE_BAD_QUERY", `${issue.path.join(".") || "query"}: ${issue.message}`);
  }
  const { desc, filter, column, sort, ...rest } = parsed.data;
  return {
    ...rest,
    ...(filter ? { filter } : {}),
    ...(column ? { column } : {}),
    ...(sort ? { sort } : {}),
    desc: desc === "true" || desc === "1",
  };
}
