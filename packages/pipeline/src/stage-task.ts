import type { JsonValue, Task } from "@themis/core";
import type { RowKey } from "./cache.js";
import type { StageTask } from "./stage.js";

/** What the stage's `map` runs over: the row id and key travel with the input. */
export interface WorkItem {
  readonly rowId: string;
  readonly input: unknown;
  readonly key: RowKey;
}

/** The user's task, lifted to run on {@link WorkItem}s (it still sees only the input). */
// biome-ignore lint/suspicious/noExplicitAny: a task of any stage: rows are JSON at run time
export function liftTask(task: StageTask<any, any>): Task<WorkItem> {
  if (typeof task === "function") return (item: WorkItem, ctx) => task(item.input, ctx);
  switch (task.kind) {
    case "function":
      return { ...task, fn: (item: WorkItem, ctx) => task.fn(item.input, ctx) };
    case "module": {
      const input = task.input;
      return { ...task, input: (item: WorkItem, i: number) => (input ? input(item.input, i) : (item.input as JsonValue)) };
    }
    case "command":
      return { ...task, command: (item: WorkItem, i: number) => task.command(item.input, i) };
  }
}
