// Creates the "reviews" dataset the pipeline reads (run once; again to reset it).
import { Project } from "@themis/core";

const reviews = [
  ["Great product, works perfectly", "positive"],
  ["Terrible. Broke after one day", "negative"],
  ["Absolutely love it!", "positive"],
  ["Awful support, never again", "negative"],
  ["Good value and fast delivery", "positive"],
  ["The worst purchase I made this year", "negative"],
  ["  EXCELLENT quality  ", "positive"],
  ["Bad fit, poor stitching", "negative"],
] as const;

// The storage comes from themis.config.yaml; THEMIS_PIPELINE_DATA moves it (the example's test uses a temp folder).
const options = process.env.THEMIS_PIPELINE_DATA ? { rootDir: process.env.THEMIS_PIPELINE_DATA } : undefined;
const project = await Project.openOrCreate("reviews", options ? "local/csv" : undefined, options);
if ((await project.listDatasets()).includes("reviews")) await project.deleteDataset("reviews");
const table = await project.createDataset("reviews");
await table.appendMany(reviews.map(([text, expected], i) => ({ _row_id: `review-${i + 1}`, text, expected })));
console.log(`dataset "reviews": ${reviews.length} rows`);
await project.close();
