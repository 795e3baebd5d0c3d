// The parameter table (packages/stages/src/params.ts) is the one source of every default,
// rule and message: the CLI's flags, `adq submit`'s proto fields, the gateway's proto
// reading, the controller's mapping and the coordinator's validation all agree on it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "@adq/cli";
import { paramsFromFlags, protoParamsFromFlags, unusedFlagWarnings } from "@adq/cli/testing";
import type { CompressionJob } from "@adq/controller/testing";
import { createRequest, paramsSchema, withGeneratedParams } from "@adq/controller/testing";
import { fieldPath, paramsFromProto, Violations } from "@adq/gateway/testing";
import {
  type CompressParams,
  DEFAULT_PARAMS,
  defaultModelRole,
  METHODS,
  manifestParams,
  PARAM_LIST,
  PARAMS,
  type ParamSpec,
  paramsHelp,
  patchGridOf,
  validateParams,
  withAddedParams,
} from "@adq/stages";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";

/** A valid value other than the default, per parameter. */
const OTHER: Partial<Record<keyof CompressParams, string>> = {
  ratio: "0.3",
  bins: "4",
  alpha: "0.5",
  strength: "1.5",
  drop: "0.5",
  seed: "7",
  method: "dq",
  ccsBeta: "0.2",
  ccsStrata: "9",
  adqBeta: "0.3",
  adqStrata: "4",
  lambda: "2",
  diversity: "untrained-head",
  tau: "0.25",
  storeCodec: "raw",
  storeQuality: "70",
};

/** An invalid value per number parameter with a flag. */
const BAD: Partial<Record<keyof CompressParams, string>> = {
  ratio: "1.5",
  bins: "0",
  alpha: "2",
  strength: "11",
  drop: "1",
  seed: "-1",
  ccsBeta: "1",
  ccsStrata: "0",
  adqBeta: "1",
  adqStrata: "2.5",
  lambda: "0",
  tau: "0",
  storeQuality: "101",
};

const flagValues = (o: Partial<Record<keyof CompressParams, string>>) =>
  Object.fromEntries(
    Object.entries(o).map(([k, v]) => [(PARAMS[k as keyof CompressParams] as ParamSpec).flag!.slice(2), v]),
  );

describe("the parameter table", () => {
  it("names every CompressParams field once, with a proto field, a default that passes its rule and a doc", () => {
    expect(PARAM_LIST.map((p) => p.key).sort()).toEqual(Object.keys(DEFAULT_PARAMS).sort());
    expect(new Set(PARAM_LIST.map((p) => p.proto)).size).toBe(PARAM_LIST.length);
    for (const p of PARAM_LIST) expect(p.doc.length, p.key).toBeGreaterThan(3);
    expect(validateParams({ ...DEFAULT_PARAMS })).toEqual(DEFAULT_PARAMS);
    expect(DEFAULT_PARAMS.strength).toBe(0.2);
    // The help text shows every flag with its default.
    const help = paramsHelp();
    for (const p of PARAM_LIST) if (p.flag) expect(help).toContain(p.flag);
    expect(help).toMatch(/--strength <s>.*\n.*in \[0, 10\] \[0\.2\]/);
  });

  it("a flag gives the same parameters through adq compress, adq submit → the gateway, and the controller", () => {
    const cli = paramsFromFlags(flagValues(OTHER));
    const v = new Violations();
    const edge = paramsFromProto(protoParamsFromFlags(flagValues(OTHER)) as never, v, 32);
    expect(v.list).toEqual([]);
    expect(edge.params).toEqual(cli);
    for (const k of Object.keys(OTHER) as Array<keyof CompressParams>)
      expect(String(cli[k]), k).toBe(OTHER[k]);
    // The CompressionJob resource carries the same names.
    const obj = { metadata: { uid: "u" }, spec: { dataset: { uri: "file:///d" }, params: cli } };
    const req = createRequest(obj as unknown as CompressionJob);
    const v2 = new Violations();
    expect(paramsFromProto(req.params as never, v2, 32).params).toEqual(cli);
    expect(v2.list).toEqual([]);
    expect(req.params?.allocationStrength).toBe(1.5);
  });

  it("says which given flags the method does not read (CCS is the default; ADQ's flags are ignored there)", () => {
    expect(DEFAULT_PARAMS.method).toBe("ccs");
    expect(unusedFlagWarnings({ alpha: "0.5", bins: "4", ratio: "0.2" })).toEqual([
      "--bins is not used by the default method, ccs (only by adq, adq-paper, dq); ignored",
      "--alpha is not used by the default method, ccs (only by adq, adq-paper); ignored",
    ]);
    expect(unusedFlagWarnings({ method: "dq", alpha: "0.5", bins: "4", "ccs-beta": "0.2" })).toEqual([
      "--alpha is not used by --method dq (only by adq, adq-paper); ignored",
      "--ccs-beta is not used by --method dq (only by ccs); ignored",
    ]);
    expect(unusedFlagWarnings({ method: "adq", alpha: "0.5", bins: "4", seed: "1" })).toEqual([]);
  });

  it("a method row's own defaults reach every surface; a value given wins (adq: β 0.3, 50 strata, the general backbone)", () => {
    // adq's row is ADQ's best measured variant (issue 34): every surface (adq compress, adq
    // submit → the gateway, the CompressionJob → the gateway) must fill its defaults alike.
    const surfaces = (flags: Record<string, string>) => {
      const v = new Violations();
      const viaSubmit = paramsFromProto(protoParamsFromFlags(flags) as never, v, 32).params;
      const obj = {
        metadata: { uid: "u" },
        spec: { dataset: { uri: "file:///d" }, params: paramsFromFlags(flags) },
      };
      // The controller sends only what the resource gives (its spec.params names are the table's).
      const given = Object.fromEntries(
        PARAM_LIST.filter((p) => p.flag && flags[p.flag.slice(2)] !== undefined).map((p) => {
          const raw = flags[p.flag!.slice(2)]!;
          return [p.key, p.kind === "number" ? Number(raw) : raw];
        }),
      );
      const bare = { ...obj, spec: { ...obj.spec, params: { ratio: 0.1, ...given } } };
      const viaController = paramsFromProto(
        createRequest(bare as unknown as CompressionJob).params as never,
        v,
        32,
      ).params;
      expect(v.list).toEqual([]);
      return [paramsFromFlags(flags), viaSubmit, viaController];
    };
    for (const p of surfaces({ method: "adq" })) {
      expect(p).toMatchObject({ method: "adq", adqBeta: 0.3, adqStrata: 50 });
      // The manifest records them (they differ from the table's "off").
      expect(manifestParams(p)).toMatchObject({ adqBeta: 0.3, adqStrata: 50 });
    }
    for (const p of surfaces({ method: "adq", "adq-beta": "0" }))
      expect(p).toMatchObject({ adqBeta: 0, adqStrata: 50 });
    for (const p of surfaces({ method: "adq", "adq-strata": "4" }))
      expect(p).toMatchObject({ adqBeta: 0.3, adqStrata: 4 });
    for (const p of surfaces({ method: "dq" })) expect(p).toMatchObject({ adqBeta: 0, adqStrata: 0 });
    for (const p of surfaces({ method: "adq-paper" })) {
      expect(p).toMatchObject({ adqBeta: 0, adqStrata: 0 });
      expect(manifestParams(p)).not.toHaveProperty("adqBeta");
    }
    // Help says it; the default model follows the row.
    expect(paramsHelp()).toContain("[0; adq: 0.3]");
    expect(paramsHelp()).toContain("[0; adq: 50]");
    const cifar = { classes: ["airplane", "ship"], size: 2, firstImage: [32, 32] as const };
    expect(defaultModelRole(METHODS.adq, cifar).role).toBe("general");
    expect(defaultModelRole(METHODS["adq-paper"], cifar).role).toBe("cifar");
  });

  it("a job recorded before adqBeta/adqStrata existed resumes with them off; manifests leave them out when off", () => {
    const { adqBeta: _b, adqStrata: _s, ...older } = { ...DEFAULT_PARAMS, method: "adq" as const };
    expect(() => validateParams(older as CompressParams)).toThrow(
      /adqBeta: must be in \[0, 1\), got undefined/,
    );
    expect(validateParams(withAddedParams(older as CompressParams))).toMatchObject({
      adqBeta: 0,
      adqStrata: 0,
    });
    expect(manifestParams({ ...DEFAULT_PARAMS })).not.toHaveProperty("adqBeta");
    expect(manifestParams({ ...DEFAULT_PARAMS, adqStrata: 4 })).toMatchObject({ adqStrata: 4 });
    expect(manifestParams({ ...DEFAULT_PARAMS, adqStrata: 4 })).not.toHaveProperty("adqBeta");
  });

  it("adq-paper pins the paper's recipe: --adq-beta/--adq-strata other than 0 are refused naming them", () => {
    for (const [flag, key, proto] of [
      ["adq-beta", "adqBeta", "adq_beta"],
      ["adq-strata", "adqStrata", "adq_strata"],
    ] as const) {
      const flags = { method: "adq-paper", [flag]: flag === "adq-beta" ? "0.3" : "4" };
      expect(() => validateParams(paramsFromFlags(flags))).toThrow(
        new RegExp(
          `^${key}: must be 0 under method adq-paper, ADQ \\(paper's recipe\\): --${flag} is for adq, dq; got`,
        ),
      );
      const v = new Violations();
      paramsFromProto(protoParamsFromFlags(flags) as never, v, 32);
      expect(v.list.map((x) => x.field)).toEqual([`params.${proto}`]);
      expect(validateParams(paramsFromFlags({ method: "adq-paper", [flag]: "0" })).method).toBe("adq-paper");
    }
  });

  it("an unset flag is the table's default on both paths", () => {
    const v = new Violations();
    expect(paramsFromProto(protoParamsFromFlags({}) as never, v, 32).params).toEqual(DEFAULT_PARAMS);
    expect(paramsFromFlags({})).toEqual(DEFAULT_PARAMS);
  });

  it("an out-of-range value gets the same rule from the coordinator (CLI) and the gateway", () => {
    for (const [k, bad] of Object.entries(BAD) as Array<[keyof CompressParams, string]>) {
      const cli = paramsFromFlags(flagValues({ [k]: bad }));
      let message = "";
      try {
        validateParams(cli);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message, k).toBe(`${k}: must be ${(PARAMS[k] as { rule: string }).rule}, got ${Number(bad)}`);
      const v = new Violations();
      paramsFromProto(protoParamsFromFlags(flagValues({ [k]: bad })) as never, v, 32);
      const description = message.slice(k.length + 2);
      expect(v.list, k).toEqual([{ field: fieldPath(k), description }]);
      expect(fieldPath(k)).toBe(`params.${PARAMS[k].proto}`);
    }
  });

  it("an unknown choice is refused naming the flag (submit) or the field (compress, gateway)", () => {
    expect(() => protoParamsFromFlags({ method: "kmeans" })).toThrow(
      /^--method must be one of adq, adq-paper, dq, random, ccs, got kmeans$/,
    );
    expect(() => validateParams(paramsFromFlags({ method: "kmeans" }))).toThrow(
      /^method: must be one of adq, adq-paper, dq, random, ccs, got kmeans$/,
    );
    const v = new Violations();
    paramsFromProto({ ratio: 0.1, method: "METHOD_KMEANS" } as never, v, 32);
    expect(v.list).toEqual([
      {
        field: "params.method",
        description:
          'must be one of METHOD_ADQ, METHOD_ADQ_PAPER, METHOD_DQ, METHOD_RANDOM, METHOD_CCS, got "METHOD_KMEANS"',
      },
    ]);
  });

  it("the CompressionJob CRD's params schema is the table's (generated: npm run generate)", () => {
    const file = join(REPO_ROOT, "charts", "adq", "files", "crds", "compressionjobs.adq.dev.yaml");
    const crd = readFileSync(file, "utf8");
    expect(withGeneratedParams(crd), "stale: run npm run generate").toBe(crd);
    type Schema = { properties: Record<string, Schema> };
    const doc = yaml.load(crd) as { spec: { versions: Array<{ schema: { openAPIV3Schema: Schema } }> } };
    const spec = doc.spec.versions[0]!.schema.openAPIV3Schema.properties.spec!;
    expect(spec.properties.params).toEqual(paramsSchema());
    // Every flag is offered, with its bounds.
    const schema = paramsSchema() as {
      required: string[];
      properties: Record<string, Record<string, unknown>>;
    };
    expect(schema.required).toEqual(["ratio"]);
    expect(Object.keys(schema.properties).sort()).toEqual(
      PARAM_LIST.filter((p) => p.flag)
        .map((p) => p.key)
        .sort(),
    );
    expect(schema.properties.ratio).toMatchObject({
      type: "number",
      minimum: 0,
      exclusiveMinimum: true,
      maximum: 1,
    });
    expect(schema.properties.ccsStrata).toMatchObject({ type: "integer", minimum: 1, maximum: 10000 });
    expect(schema.properties.method).toMatchObject({ enum: ["adq", "adq-paper", "dq", "random", "ccs"] });
  });

  it("cross-field rules and the patch grid live in the table: the CLI and the gateway refuse alike", () => {
    const both0 = { ...DEFAULT_PARAMS, method: "adq" as const, rsWeight: 0, dsWeight: 0 };
    expect(() => validateParams(both0)).toThrow(
      /^dsWeight: rsWeight and dsWeight may not both be 0 under ADQ \(adaptive\)/,
    );
    // Under a method that does not score bins the weights are unread: no refusal.
    expect(validateParams({ ...both0, method: "dq" })).toMatchObject({ method: "dq" });
    const v = new Violations();
    paramsFromProto({ ratio: 0.1, method: "METHOD_ADQ", rsWeight: 0, dsWeight: 0 } as never, v, 32);
    expect(v.list).toEqual([
      {
        field: "params.ds_weight",
        description:
          "rs_weight and ds_weight may not both be 0 under ADQ (adaptive): importance is their weighted sum",
      },
    ]);
    expect(patchGridOf(32, 0)).toEqual({ grid: 8, patchSize: 4 });
    expect(patchGridOf(30, 0)).toEqual({ problem: "required when image_size (30) is not a multiple of 8" });
    expect(patchGridOf(32, 5)).toEqual({ problem: "must divide image_size (32), got 5" });
    expect(patchGridOf(256, 2)).toEqual({ problem: "gives a 128×128 grid; must be an integer in [1, 64]" });
    const v2 = new Violations();
    paramsFromProto({ ratio: 0.1, patchGrid: { imageSize: 32, patchSize: 5 } } as never, v2, 32);
    expect(v2.list).toEqual([
      { field: "params.patch_grid.patch_size", description: "must divide image_size (32), got 5" },
    ]);
  });
});
