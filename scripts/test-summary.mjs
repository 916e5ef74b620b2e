// Adds up the vitest JSON reports into one closing line: `N passed, N failed`.
//   node scripts/test-summary.mjs               this run's package reports
//   node scripts/test-summary.mjs --save LABEL  also keeps this run's totals under .reports/runs/LABEL.json
//   node scripts/test-summary.mjs --total       the totals of every saved run (the consumer and
//                                               release checks save theirs there too)
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const runsDir = join(root, ".reports", "runs");
const argv = process.argv.slice(2);

function add(totals, report) {
  totals.passed += report.numPassedTests;
  totals.failed += report.numFailedTests;
  totals.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  if (report.numFailedTestSuites > 0 && report.numFailedTests === 0) totals.failed += 1;
}

function current() {
  const totals = { passed: 0, failed: 0, skipped: 0, missing: [] };
  for (const group of ["packages", "examples"]) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const manifest = join(dir, name, "package.json");
      if (!existsSync(manifest)) continue;
      const { scripts = {} } = JSON.parse(readFileSync(manifest, "utf8"));
      if (!scripts.test) continue;
      const report = join(dir, name, ".reports", "vitest.json");
      if (existsSync(report)) add(totals, JSON.parse(readFileSync(report, "utf8")));
      else totals.missing.push(`${group}/${name}`);
    }
  }
  totals.failed += totals.missing.length;
  return totals;
}

let totals;
if (argv[0] === "--total") {
  totals = { passed: 0, failed: 0, skipped: 0, missing: [] };
  for (const file of existsSync(runsDir) ? readdirSync(runsDir) : []) {
    const run = JSON.parse(readFileSync(join(runsDir, file), "utf8"));
    console.log(`${file.replace(/\.json$/, "")}: ${run.passed} passed, ${run.failed} failed`);
    totals.passed += run.passed;
    totals.failed += run.failed;
    totals.skipped += run.skipped;
  }
} else {
  totals = current();
  if (totals.missing.length > 0) console.log(`no test report from: ${totals.missing.join(", ")}`);
  if (argv[0] === "--save" && argv[1]) {
    mkdirSync(runsDir, { recursive: true });
    writeFileSync(join(runsDir, `${argv[1]}.json`), JSON.stringify(totals));
  }
}
if (totals.skipped > 0) console.log(`${totals.skipped} skipped`);
console.log(`${totals.passed} passed, ${totals.failed} failed`);
process.exit(totals.failed > 0 ? 1 : 0);
