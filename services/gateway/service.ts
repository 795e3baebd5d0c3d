/**
 * The public `adq.v1.CompressionService` over the ports (JobStore, Bus, ArtifactStore).
 * Every call is authenticated to a tenant; every job it can see is that tenant's
 * (another tenant's job is NOT_FOUND, like one that does not exist). The methods live by
 * seam (core.ts says where); this class routes them and drains the open watches.
 */

import type { Tenant } from "@adq/service-common";
import {
  clientStreamHandler,
  compressionServiceDefinition,
  type HandlerOptions,
  serverStreamHandler,
  unaryHandler,
} from "@adq/service-common";
import type { CompressionServiceHandlers } from "@adq/service-common/proto";
import type * as grpc from "@grpc/grpc-js";
import { jobToProto } from "./convert.ts";
import { GatewayCore, type GatewayOptions } from "./core.ts";
import { cancelJob, createJob, deleteJob, listJobs } from "./jobs.ts";
import { fieldPath } from "./params.ts";
import { downloadResult, getResult } from "./results.ts";
import { deleteUpload, uploadDataset } from "./upload-dataset.ts";
import { watchJob } from "./watch.ts";

export type { GatewayOptions } from "./core.ts";

export class CompressionGateway {
  private readonly g: GatewayCore;

  constructor(o: GatewayOptions) {
    this.g = new GatewayCore(o);
  }

  /** Ends open WatchJob streams with UNAVAILABLE (clients resume with after_sequence). */
  drain(): void {
    this.g.draining = true;
    for (const w of this.g.watchers) w();
  }

  addTo(server: grpc.Server): void {
    server.addService(compressionServiceDefinition(), this.implementation());
  }

  /** Every method, typed by the generated service definition: a proto change that breaks one fails to compile. */
  implementation(): CompressionServiceHandlers {
    const g = this.g;
    const h: HandlerOptions<Tenant> = {
      log: g.o.log,
      authenticate: (md, peer) => g.o.auth.authenticate(md, peer),
      describe: (t) => ({ tenant: t.id }),
      fieldPath,
      ...(g.o.onRpc ? { onRpc: g.o.onRpc } : {}),
    };
    return {
      CreateJob: unaryHandler("CreateJob", h, (r, c) => createJob(g, r, c)),
      UploadDataset: clientStreamHandler("UploadDataset", h, (m, c) => uploadDataset(g, m, c)),
      DeleteUpload: unaryHandler("DeleteUpload", h, (r, c) => deleteUpload(g, r, c)),
      GetJob: unaryHandler("GetJob", h, async (r, c) => {
        c.annotate({ job_id: r.jobId });
        return jobToProto(await g.owned(c.principal, r.jobId));
      }),
      WatchJob: serverStreamHandler("WatchJob", h, (r, w, c) => watchJob(g, r, w, c)),
      CancelJob: unaryHandler("CancelJob", h, (r, c) => cancelJob(g, r, c)),
      ListJobs: unaryHandler("ListJobs", h, (r, c) => listJobs(g, r, c)),
      DeleteJob: unaryHandler("DeleteJob", h, (r, c) => deleteJob(g, r, c)),
      GetResult: unaryHandler("GetResult", h, (r, c) => getResult(g, r, c)),
      DownloadResult: serverStreamHandler("DownloadResult", h, (r, w, c) => downloadResult(g, r, w, c)),
    };
  }
}
