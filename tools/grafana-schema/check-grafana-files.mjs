// Type-checks Grafana's files of the monitoring stack against Grafana's
// published types (grafana-types.ts) with tsc --noEmit: Debian's TypeScript
// (node-typescript, /usr/bin/tsc) and YAML parser (node-yaml), and the
// vendored declarations of @grafana/schema (vendor/grafana-schema).
//
// Usage: node check-grafana-files.mjs --grafana GRAFANA_DIR --out WORK_DIR
//   GRAFANA_DIR: dashboards/*.json, provisioning/datasources/*.yml,
//   provisioning/dashboards/*.yml (monitoring-stack/grafana).
//   WORK_DIR gets one TypeScript file per Grafana file (its content as the
//   object literal of a constant declared with its type: excess properties
//   and wrong types are errors, as with `satisfies`, which TypeScript 4.8
//   does not have) and a tsconfig.json.
// A dashboard keeps its text, so tsc's line numbers are those of the JSON
// file; a YAML file is converted to JSON first (its lines differ).
// Exit status: tsc's (0: every file has Grafana's types).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const tooling = dirname(fileURLToPath(import.meta.url));
// Debian's packages node-yaml (by its path: only Debian's own nodejs searches
// where Debian puts Node modules) and node-typescript.
const yamlModule = "/usr/share/nodejs/yaml";
const tsc = "/usr/bin/tsc";
for (const path of [yamlModule, tsc]) {
  if (!existsSync(path)) {
    console.error(`check-grafana-files: no ${path}: apt-get install node-typescript node-yaml (scripts/nq deps)`);
    process.exit(2);
  }
}
const { parse: parseYaml } = createRequire(import.meta.url)(yamlModule);
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
      `export const file: ${kind.type} = ${literal};\n`);
    files.push(source);
  }
}
writeFileSync(join(out, "tsconfig.json"), JSON.stringify({
  extends: relative(out, join(tooling, "tsconfig.json")).replaceAll("\\", "/"),
  files,
}, null, 2));

const version = execFileSync(process.execPath, [tsc, "--version"], { encoding: "utf8" }).trim().replace(/^Version /, "");
console.log(`type-checking ${files.length} Grafana files of ${grafana} (TypeScript ${version}): ${files.join(", ")}`);
try {
  execFileSync(process.execPath, [tsc, "-p", "tsconfig.json", "--pretty", "false"], { stdio: "inherit", cwd: out });
  console.log("OK: every file has Grafana's types");
} catch (error) {
  console.log("FAILED: tsc found type errors (above)");
  process.exit(error.status || 1);
}
