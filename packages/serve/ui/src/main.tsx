import { render } from "preact";
import { api } from "./api.js";
import { STATIC_EXPORT } from "./mode.js";
import { href, useRoute } from "./route.js";
import { CompareView } from "./compare.js";
import { RunList, RunView } from "./runs.js";
import { TableView } from "./table-view.js";
import { useAsync } from "./use-async.js";
import "./style.css";

function Projects() {
  const { value, error } = useAsync(() => api.projects(), []);
  if (error) return <p class="error">{error}</p>;
  if (!value) return <p class="muted">loading…</p>;
  return (
    <div class="page">
      <h2>projects</h2>
      {value.projects.length === 0 ? <p class="muted">no projects on this storage</p> : null}
      <ul>
        {value.projects.map((p) => (
          <li key={p}>
            <a href={href({ view: "project", project: p })}>{p}</a>
          </li>
        ))}
      </ul>
    </div>
  );
}

function ProjectView({ project }: { project: string }) {
  const { value, error } = useAsync(() => api.project(project), [project]);
  if (error) return <p class="error">{error}</p>;
  if (!value) return <p class="muted">loading…</p>;
  const list = (kind: "datasets" | "experiments", names: string[]) => (
    <section>
      <h3>{kind}</h3>
      {names.length === 0 ? <p class="muted">none</p> : null}
      <ul>
        {names.map((t) => (
          <li key={t}>
            <a href={href({ view: "table", project, kind, table: t })}>{t}</a>
          </li>
        ))}
      </ul>
    </section>
  );
  return (
    <div class="page">
      <h2>{project}</h2>
      <div class="columns">
        {list("datasets", value.datasets)}
        {list("experiments", value.experiments)}
      </div>
      <h3>runs</h3>
      <RunList project={project} />
    </div>
  );
}

function App() {
  const route = useRoute();
  return (
    <>
      <nav class="top">
        <a href={href({ view: "projects" })}>Themis</a>
        {STATIC_EXPORT ? <span class="badge">read-only export</span> : null}
      </nav>
      <main>
        {route.view === "projects" ? <Projects /> : null}
        {route.view === "project" ? <ProjectView project={route.project} /> : null}
        {route.view === "table" ? (
          <TableView key={`${route.project}/${route.kind}/${route.table}`} project={route.project} kind={route.kind} table={route.table} />
        ) : null}
        {route.view === "run" ? <RunView project={route.project} id={route.run} /> : null}
        {route.view === "compare" ? <CompareView key={`${route.project}/${route.a}/${route.b}`} project={route.project} a={route.a} b={route.b} /> : null}
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
