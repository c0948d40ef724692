// Every manifest of deploy/kubernetes against the Kubernetes schemas
// (kubernetes-models: the OpenAPI schemas compiled to validators), then the
// rules docs/production.md promises: probes, grace > --drain + --grace,
// non-root, read-only, no capabilities, resources, replicas, PDB.
// node validate.mjs [FILE...]: exit 1 when any file is rejected.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const dir = join(root, "deploy", "kubernetes");
const files = process.argv.length > 2 ? process.argv.slice(2)
  : readdirSync(dir).filter((f) => f.endsWith(".yaml")).map((f) => join(dir, f));

// apiVersion "apps/v1" -> kubernetes-models/apps/v1; "v1" -> kubernetes-models/v1
async function schemaCheck(obj) {
  const mod = await import(`kubernetes-models/${obj.apiVersion}`);
  const Model = mod[obj.kind];
  if (!Model) throw new Error(`unknown kind ${obj.apiVersion} ${obj.kind}`);
  new Model(obj).validate(); // throws with the schema errors
}

function secs(args, name) {
  const i = args.indexOf(name);
  return i < 0 ? 0 : Number(args[i + 1]);
}

// What a rolling update without losses needs (see docs/production.md).
function rules(obj) {
  const errs = [];
  const need = (ok, what) => { if (!ok) errs.push(what); };
  if (obj.kind === "Deployment") {
    const pod = obj.spec.template.spec;
    need(obj.spec.replicas >= 2, "2 replicas or more");
    need(pod.securityContext?.runAsNonRoot === true, "runAsNonRoot");
    for (const c of pod.containers) {
      const args = c.args || [];
      const drain = secs(args, "--drain"), grace = secs(args, "--grace") || 5;
      need(args.includes("--health"), `${c.name}: --health`);
      need(drain > 0, `${c.name}: --drain`);
      need(pod.terminationGracePeriodSeconds > drain + grace,
        `${c.name}: terminationGracePeriodSeconds > --drain + --grace (${drain} + ${grace})`);
      need(c.livenessProbe?.httpGet?.path === "/healthz", `${c.name}: liveness /healthz`);
      need(c.readinessProbe?.httpGet?.path === "/readyz", `${c.name}: readiness /readyz`);
      // unready within the drain: the Service stops sending before the exit
      const r = c.readinessProbe || {};
      need((r.periodSeconds || 10) * (r.failureThreshold || 3) < drain,
        `${c.name}: readiness period x failureThreshold < --drain`);
      const sc = c.securityContext || {};
      need(sc.readOnlyRootFilesystem === true, `${c.name}: readOnlyRootFilesystem`);
      need(sc.allowPrivilegeEscalation === false, `${c.name}: allowPrivilegeEscalation false`);
      need((sc.capabilities?.drop || []).includes("ALL"), `${c.name}: capabilities drop ALL`);
      for (const k of ["requests", "limits"])
        need(c.resources?.[k]?.cpu && c.resources?.[k]?.memory, `${c.name}: resources.${k}`);
    }
  }
  if (obj.kind === "PodDisruptionBudget")
    need(obj.spec.minAvailable !== undefined || obj.spec.maxUnavailable !== undefined,
      "minAvailable or maxUnavailable");
  return errs;
}

let failed = 0, passed = 0;
for (const file of files) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  for (const doc of docs) {
    const name = file.replace(root + "/", "");
    const errs = [];
    if (doc.errors.length) {
      errs.push(...doc.errors.map((e) => e.message));
    } else {
      const obj = doc.toJS();
      try {
        await schemaCheck(obj);
      } catch (e) {
        errs.push(`schema: ${e.message.split("\n").slice(0, 6).join("; ")}`);
      }
      if (!errs.length) errs.push(...rules(obj));
    }
    if (errs.length) {
      failed++;
      console.log(`deploy: FAIL ${name}: ${errs.join("; ")}`);
    } else {
      passed++;
      console.log(`deploy: ok   ${name}`);
    }
  }
}
console.log(`deploy: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
