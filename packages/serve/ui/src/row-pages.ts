import { useEffect, useReducer, useRef, useState } from "preact/hooks";
import { type Kind, type Row, type ViewQuery, api } from "./api.js";

/** Rows fetched per request. */
export const PAGE_SIZE = 100;
/** How soon to ask again while the server is still counting a table's rows. */
const COUNT_RETRY_MS = 250;

/**
 * The rows of a table view, fetched page by page as they come into view (the server
 * filters and sorts; the page never holds more than the pages seen). A new query starts over.
 */
export function useRowPages(project: string, kind: Kind, table: string, query: ViewQuery) {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const [meta, setMeta] = useState<{ total: number; columns: string[]; counting?: boolean; error?: string } | undefined>();
  const pages = useRef(new Map<number, Row[] | "loading">());
  const generation = useRef(0);
  const key = JSON.stringify([project, kind, table, query]);

  /** Fetch a page (again when `refresh`: its rows stay shown meanwhile). */
  const load = (page: number, refresh = false): void => {
    if (pages.current.has(page) && !refresh) return;
    if (!refresh) pages.current.set(page, "loading");
    const gen = generation.current;
    api.rows(project, kind, table, query, page * PAGE_SIZE, PAGE_SIZE).then(
      (res) => {
        if (gen !== generation.current) return;
        pages.current.set(page, res.rows);
        setMeta({ total: res.total, columns: res.columns, counting: res.partial === true });
        rerender(0);
        // The server answered the first rows before counting them all: ask again for the count.
        if (res.partial) setTimeout(() => gen === generation.current && load(page, true), COUNT_RETRY_MS);
      },
      (error: unknown) => {
        if (gen !== generation.current) return;
        pages.current.delete(page);
        setMeta((m) => ({ total: m?.total ?? 0, columns: m?.columns ?? [], error: (error as Error).message }));
      },
    );
  };

  useEffect(() => {
    generation.current++;
    pages.current = new Map();
    setMeta(undefined);
    load(0);
  }, [key]);

  /** Row `index` when its page is here; asks for the page otherwise. */
  const rowAt = (index: number): Row | undefined => {
    const page = Math.floor(index / PAGE_SIZE);
    const rows = pages.current.get(page);
    if (rows === undefined) load(page);
    return rows === undefined || rows === "loading" ? undefined : rows[index % PAGE_SIZE];
  };
  return { meta, rowAt };
}
