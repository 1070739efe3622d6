// Reads `dotnet list package --vulnerable --include-transitive --format json` on stdin. Exit 1 when any package has a
// known vulnerability; exit 0 with a WARNING when no source serves vulnerability data (then nothing was checked:
// `dotnet list` itself reports "no vulnerable packages" in that case); exit 0 otherwise.
import { readFileSync } from "node:fs";

const report = JSON.parse(readFileSync(0, "utf8"));
const found = [];
for (const project of report.projects ?? [])
  for (const framework of project.frameworks ?? [])
    for (const pkg of [...(framework.topLevelPackages ?? []), ...(framework.transitivePackages ?? [])])
      for (const v of pkg.vulnerabilities ?? [])
        found.push(`${project.path}: ${pkg.id} ${pkg.resolvedVersion} (${v.severity}) ${v.advisoryurl}`);
if (found.length > 0) {
  console.error(`${found.length} vulnerable package reference(s):\n${found.join("\n")}`);
  process.exit(1);
}

// Vulnerability data comes from a source whose service index lists a VulnerabilityInfo resource.
const withData = [];
for (const source of report.sources ?? []) {
  try {
    const index = await (await fetch(source, { signal: AbortSignal.timeout(30_000) })).json();
    if ((index.resources ?? []).some(r => String(r["@type"] ?? "").startsWith("VulnerabilityInfo"))) withData.push(source);
  } catch (e) {
    console.error(`could not read the service index of ${source}: ${e.message}`);
  }
}
const projects = (report.projects ?? []).length;
if (withData.length === 0) {
  console.error(`WARNING: no package source serves vulnerability data (${(report.sources ?? []).join(", ") || "no sources"}): ` +
    `the ${projects} projects were NOT checked for vulnerable packages`);
} else {
  console.log(`no vulnerable packages in ${projects} projects (vulnerability data from ${withData.join(", ")})`);
}
