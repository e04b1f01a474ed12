// Every test that submits jobs to the one private cluster, in one file. Vitest runs the tests
// of a file one after another but files in parallel, and some of these take the cluster down
// on purpose (its node set DOWN, slurmctld frozen) or expect an empty queue at the end: jobs
// of another file running at the same time would see the first and break the second.
import "./conformance.cases.ts";
import "./end-states.cases.ts";
