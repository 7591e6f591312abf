// Type-checks Grafana's files of the monitoring stack against Grafana's
// published types (grafana-types.ts) with tsc --noEmit.
//
// Usage: node check-grafana-files.mjs --grafana GRAFANA_DIR --out WORK_DIR
//   GRAFANA_DIR: dashboards/*.json, provisioning/datasources/*.yml,
//   provisioning/dashboards/*.yml (monitoring-stack/grafana).
//   WORK_DIR gets one TypeScript file per Grafana file (its content as an
//   object literal that `satisfies` its type) and a tsconfig.json.
// A dashboard keeps its text, so tsc's line numbers are those of the JSON
// file; a YAML file is converted to JSON first (its lines differ).
// Exit status: tsc's (0: every file has Grafana's types).
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";

const tooling = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({ options: { grafana: { type: "string" }, out: { type: "string" } } });
if (!args.grafana || !args.out) {
  console.error("usage: node check-grafana-files.mjs --grafana GRAFANA_DIR --out WORK_DIR");
  process.exit(2);
}
const grafana = resolve(args.grafana);
const out = resolve(args.out);

// Each kind of Grafana file: where it is, its type in grafana-types.ts, how it is read.
const kinds = [
  { dir: "dashboards", suffix: ".json", type: "DashboardFile", read: (text) => text },
  { dir: "provisioning/datasources", suffix: ".yml", type: "DatasourcesFile", read: yamlAsJson },
  { dir: "provisioning/dashboards", suffix: ".yml", type: "DashboardProvidersFile", read: yamlAsJson },
];

function yamlAsJson(text) {
  return JSON.stringify(parseYaml(text), null, 2);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const types = relative(out, join(tooling, "grafana-types")).replaceAll("\\", "/");
const files = [];
for (const kind of kinds) {
  const names = readdirSync(join(grafana, kind.dir)).filter((n) => n.endsWith(kind.suffix)).sort();
  if (names.length === 0) {
    console.error(`check-grafana-files: no ${kind.suffix} file in ${join(grafana, kind.dir)}`);
    process.exit(2);
  }
  for (const name of names) {
    const source = `${kind.dir.replaceAll("/", "-")}-${name}.ts`;
    const literal = kind.read(readFileSync(join(grafana, kind.dir, name), "utf8")).trimEnd();
    // One line of header, on the literal's first line: the line numbers stay.
    writeFileSync(join(out, source),
      `import type { ${kind.type} } from "${types.startsWith(".") ? types : "./" + types}"; ` +
      `export const file = ${literal} satisfies ${kind.type};\n`);
    files.push(source);
  }
}
writeFileSync(join(out, "tsconfig.json"), JSON.stringify({
  extends: relative(out, join(tooling, "tsconfig.json")).replaceAll("\\", "/"),
  files,
}, null, 2));

console.log(`type-checking ${files.length} Grafana files of ${grafana}: ${files.join(", ")}`);
try {
  execFileSync(process.execPath, [join(tooling, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json",
    "--pretty", "false"], { stdio: "inherit", cwd: out });
  console.log("OK: every file has Grafana's types");
} catch (error) {
  console.log("FAILED: tsc found type errors (above)");
  process.exit(error.status || 1);
}
