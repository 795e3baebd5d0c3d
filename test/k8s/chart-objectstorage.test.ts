/**
 * charts/adq values `s3` and `artifacts` (docs/object-storage.md) rendered by the real helm:
 * the standard AWS variables from values and a Secret, the per-tenant grant credentials mounted
 * read-only, data grants in the API-key Secret, and the artifact flags — replicas and byte cap on
 * every process, result retention on the gateway and coordinator only (stage processes refuse
 * it). The flags are the ones `adq serve` has (chart-template.test.ts runs the rendered args).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { helm } from "./cluster.ts";
import { argValue, container, type Obj, type Rendered, render, STAGES, VALUES_DIR } from "./render.ts";
import { CHART_DIR, K8S_TESTS_OFF, type K8sTools, k8sTools } from "./tools.ts";

const serving = (r: Rendered) =>
  r.of("Deployment").filter((d: Obj) => !d.metadata.name.endsWith("-controller"));

describe.skipIf(K8S_TESTS_OFF)("helm chart: object storage and durable artifacts", () => {
  let tools: K8sTools;
  let r: Rendered;
  let def: Rendered;
  beforeAll(async () => {
    tools = k8sTools(["helm"]);
    r = await render(tools, ["insecure.yaml", "object-storage.yaml"]);
    def = await render(tools, ["insecure.yaml"]);
  });

  it("lints clean", async () => {
    await helm(tools, [
      ...[
        "lint",
        "--strict",
        CHART_DIR,
        "-f",
        `${VALUES_DIR}/insecure.yaml`,
        "-f",
        `${VALUES_DIR}/object-storage.yaml`,
      ],
      ...["--set", "autoscaling.keda.skipCapabilityCheck=true"],
    ]);
  });

  it("gives every adq serve pod the AWS variables, the server's keys from the Secret, the grant credentials read-only", () => {
    for (const d of serving(r)) {
      const c = container(d);
      const env = Object.fromEntries(c.env.map((e: Obj) => [e.name, e]));
      expect(env.AWS_ENDPOINT_URL?.value, d.metadata.name).toBe("http://seaweedfs.storage:8333");
      expect(env.AWS_REGION?.value).toBe("eu-west-1");
      for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
        expect(env[k]?.valueFrom?.secretKeyRef).toEqual({ name: "adq-s3", key: k });
      expect(c.volumeMounts).toContainEqual({
        name: "s3-grants",
        mountPath: "/etc/adq/s3-grants",
        readOnly: true,
      });
      expect(d.spec.template.spec.volumes).toContainEqual({
        name: "s3-grants",
        secret: { secretName: "adq-s3-grants" },
      });
    }
    // Defaults: nothing of it.
    for (const d of serving(def)) {
      const c = container(d);
      expect(c.env.some((e: Obj) => e.name.startsWith("AWS_"))).toBe(false);
      expect(c.volumeMounts.some((m: Obj) => m.name === "s3-grants")).toBe(false);
      expect(c.args).not.toContain("--artifact-replicas");
      expect(c.args).not.toContain("--result-retention-hours");
    }
  });

  it("passes the artifact store's replicas and cap to every process, result retention to the gateway and coordinator only", () => {
    for (const d of serving(r)) {
      const args: string[] = container(d).args;
      expect(argValue(d, "--artifact-replicas"), d.metadata.name).toBe("3");
      expect(argValue(d, "--artifact-max-bytes")).toBe("10737418240");
      const stage = STAGES.some((s) => d.metadata.name.endsWith(`-${s}`));
      if (stage) expect(args).not.toContain("--result-retention-hours");
      else expect(argValue(d, "--result-retention-hours")).toBe("168");
    }
  });

  it("writes each tenant's data grants into the API-key Secret", () => {
    const secret = r.of("Secret").find((s: Obj) => s.metadata.name.endsWith("-api-keys"));
    const file = JSON.parse(Object.values(secret.stringData as Record<string, string>)[0]!) as {
      tenants: { id: string; data: unknown[] }[];
    };
    expect(file.tenants.find((t) => t.id === "acme")?.data).toEqual([
      { root: "/data/acme" },
      { s3: "s3://acme-data/sets/", credentials_file: "/etc/adq/s3-grants/acme.json" },
    ]);
  });

  it("the schema refuses a grant that is neither a root nor an s3:// prefix", async () => {
    await expect(
      render(
        tools,
        ["insecure.yaml"],
        ["apiKeys.tenants[0].id=a", "apiKeys.tenants[0].keys[0]=k", "apiKeys.tenants[0].data[0].s3=gs://x"],
      ),
    ).rejects.toThrow(/data/);
  });
});
