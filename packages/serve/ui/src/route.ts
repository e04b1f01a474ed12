import { useEffect, useState } from "preact/hooks";
import type { Kind } from "./api.js";

/** Where the app is, from the URL's hash (`#/p/NAME/experiments/T`): no server routes needed. */
export type Route =
  | { view: "projects" }
  | { view: "project"; project: string }
  | { view: "table"; project: string; kind: Kind; table: string }
  | { view: "run"; project: string; run: string }
  | { view: "compare"; project: string; a: string; b: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const [p, project, section, name, other] = parts;
  if (p !== "p" || project === undefined) return { view: "projects" };
  if ((section === "datasets" || section === "experiments") && name !== undefined) return { view: "table", project, kind: section, table: name };
  if (section === "runs" && name !== undefined) return { view: "run", project, run: name };
  if (section === "compare" && name !== undefined && other !== undefined) return { view: "compare", project, a: name, b: other };
  return { view: "project", project };
}

/** The hash of a route's link. */
export function href(route: Route): string {
  const e = encodeURIComponent;
  switch (route.view) {
    case "projects":
      return "#/";
    case "project":
      return `#/p/${e(route.project)}`;
    case "table":
      return `#/p/${e(route.project)}/${route.kind}/${e(route.table)}`;
    case "run":
      return `#/p/${e(route.project)}/runs/${e(route.run)}`;
    case "compare":
      return `#/p/${e(route.project)}/compare/${e(route.a)}/${e(route.b)}`;
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", onChange);
    // The hash may have changed between the first render and this effect (a link opened
    // while the app was starting): that hashchange event was missed, so read it now.
    onChange();
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
