// `npm run bench`: every benchmark, one after the other (each module exports its runner).
import { burstTargetsMissed, runBurstBench } from "./burst.mjs";

const rows = await runBurstBench({ windowMs: Number(process.env.COALESCE_WINDOW_MS ?? 300) });
console.log("Burst benchmark (API budget, issue 6)");
console.table(rows);
const missed = burstTargetsMissed(rows);
if (missed.length > 0) {
  console.error(`burst targets missed:\n- ${missed.join("\n- ")}`);
  process.exitCode = 1;
}
