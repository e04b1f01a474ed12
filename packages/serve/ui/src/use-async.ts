import { useEffect, useState } from "preact/hooks";

/** The value of an async call, re-run when `deps` change; errors become a message. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): { value?: T; error?: string } {
  const [state, setState] = useState<{ value?: T; error?: string }>({});
  useEffect(() => {
    let live = true;
    setState({});
    load().then(
      (value) => live && setState({ value }),
      (error: unknown) => live && setState({ error: (error as Error).message }),
    );
    return () => {
      live = false;
    };
  }, deps);
  return state;
}
