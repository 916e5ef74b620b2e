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

/** Adds a package's report; a run that failed outside any test (an unhandled error, a file that did not load) counts as one failure. */
function add(totals, report, where) {
  totals.passed += report.numPassedTests;
  totals.failed += report.numFailedTests;
  totals.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  const failedTests = (report.testResults ?? []).flatMap((file) =>
    (file.assertionResults ?? [])
      .filter((test) => test.status === "failed")
      .map((test) => test.fullName ?? test.title),
  );
  if (report.numFailedTests > 0) {
    totals.problems.push(`${where}: ${failedTests.slice(0, 5).join("; ")}`);
  } else if (report.numFailedTestSuites > 0 || report.success === false) {
    totals.failed += 1;
    totals.problems.push(
      `${where}: failed outside its tests (a file that did not load or an unhandled error)`,
    );
  }
}

function current() {
  const totals = { passed: 0, failed: 0, skipped: 0, missing: [], problems: [] };
  // packages/*, examples/* and deploy, as pnpm-workspace.yaml lists them.
  const places = ["packages", "examples"]
    .filter((group) => existsSync(join(root, group)))
    .flatMap((group) => readdirSync(join(root, group)).map((name) => `${group}/${name}`));
  for (const where of [...places, "deploy"]) {
    const manifest = join(root, where, "package.json");
    if (!existsSync(manifest)) continue;
    const { scripts = {} } = JSON.parse(readFileSync(manifest, "utf8"));
    if (!scripts.test) continue;
    const report = join(root, where, ".reports", "vitest.json");
    if (!existsSync(report)) {
      totals.missing.push(where);
      continue;
    }
    add(totals, JSON.parse(readFileSync(report, "utf8")), where);
    // Errors outside any test fail the run though every test passed; the JSON report omits them.
    const outcome = join(root, where, ".reports", "vitest-run.json");
    const run = existsSync(outcome) ? JSON.parse(readFileSync(outcome, "utf8")) : undefined;
    if (run?.unhandledErrors?.length > 0) {
      totals.failed += 1;
      totals.problems.push(
        `${where}: ${run.unhandledErrors.length} error(s) outside its tests, first: ${run.unhandledErrors[0]}`,
      );
    }
  }
  totals.failed += totals.missing.length;
  for (const where of totals.missing) totals.problems.push(`${where}: no test report`);
  return totals;
}

let totals;
if (argv[0] === "--total") {
  totals = { passed: 0, failed: 0, skipped: 0, missing: [] };
  for (const file of existsSync(runsDir) ? readdirSync(runsDir) : []) {
    const run = JSON.parse(readFileSync(join(runsDir, file), "utf8"));
    console.log(`${file.replace(/\.json$/, "")}: ${run.passed} passed, ${run.failed} failed`);
    for (const problem of run.problems ?? []) console.log(`  ✗ ${problem}`);
    totals.passed += run.passed;
    totals.failed += run.failed;
    totals.skipped += run.skipped;
  }
} else {
  totals = current();
  for (const problem of totals.problems) console.log(`✗ ${problem}`);
  if (argv[0] === "--save" && argv[1]) {
    mkdirSync(runsDir, { recursive: true });
    writeFileSync(join(runsDir, `${argv[1]}.json`), JSON.stringify(totals));
  }
}
if (totals.skipped > 0) console.log(`${totals.skipped} skipped`);
console.log(`${totals.passed} passed, ${totals.failed} failed`);
process.exit(totals.failed > 0 ? 1 : 0);
