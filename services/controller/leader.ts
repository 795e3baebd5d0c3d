/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it:
 * the holder renews `renewTime` every `retryPeriod`; a candidate takes the Lease only when it is
 * free or its holder has not renewed for `leaseDuration`. Every write carries the resourceVersion
 * it read, so two candidates racing for an expired Lease cannot both win (one gets 409).
 * Only the leader reconciles: two controller replicas never submit the same job twice.
 */
import * as k8s from "@kubernetes/client-node";

export interface LeaderOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  retryPeriodMs?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  log?: (event: string, fields?: Record<string, unknown>) => void;
}

const isStatus = (e: unknown, code: number) => (e as { code?: number })?.code === code;

export class LeaderElector {
  private readonly api: k8s.CoordinationV1Api;
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private stopped = false;
  private readonly durationMs: number;
  private readonly retryMs: number;

  constructor(
    kc: k8s.KubeConfig,
    private readonly o: LeaderOptions,
  ) {
    this.api = kc.makeApiClient(k8s.CoordinationV1Api);
    this.durationMs = o.leaseDurationMs ?? 15_000;
    this.retryMs = o.retryPeriodMs ?? 2_000;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  /** Stops competing; a leader releases the Lease so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.leading) {
      this.setLeading(false);
      try {
        const lease = await this.api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
        if (lease.spec?.holderIdentity === this.o.identity) {
          lease.spec = { ...lease.spec, holderIdentity: undefined, renewTime: undefined } as k8s.V1LeaseSpec;
          await this.api.replaceNamespacedLease({
            name: this.o.name,
            namespace: this.o.namespace,
            body: lease,
          });
        }
      } catch {
        // Best effort: the Lease expires on its own.
      }
    }
  }

  private setLeading(on: boolean): void {
    if (on === this.leading) return;
    this.leading = on;
    this.o.log?.(on ? "leader_acquired" : "leader_lost", { lease: this.o.name, identity: this.o.identity });
    if (on) this.o.onStartedLeading();
    else this.o.onStoppedLeading();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      this.setLeading(await this.tryAcquireOrRenew());
    } catch (e) {
      // The API server is unreachable: a leader that cannot renew must assume it lost the Lease
      // once its term is over, so it stops before a standby may take over.
      this.o.log?.("leader_error", { error: (e as Error).message });
      if (this.leading && Date.now() - this.lastRenew > this.durationMs) this.setLeading(false);
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.retryMs);
  }

  private lastRenew = 0;

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.o;
    // MicroTime: the API server wants six fractional digits, which V1MicroTime serializes.
    const now = new k8s.V1MicroTime();
    const spec = (prev?: k8s.V1LeaseSpec): k8s.V1LeaseSpec => ({
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.durationMs / 1000),
      acquireTime: prev?.holderIdentity === identity && prev.acquireTime ? prev.acquireTime : now,
      renewTime: now,
      leaseTransitions: (prev?.leaseTransitions ?? 0) + (prev?.holderIdentity === identity ? 0 : 1),
    });
    let lease: k8s.V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (e) {
      if (!isStatus(e, 404)) throw e;
      try {
        await this.api.createNamespacedLease({
          namespace,
          body: { metadata: { name, namespace }, spec: spec() },
        });
        this.lastRenew = Date.now();
        return true;
      } catch (err) {
        if (isStatus(err, 409)) return false; // another candidate created it first
        throw err;
      }
    }
    const holder = lease.spec?.holderIdentity;
    const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime as unknown as string).getTime() : 0;
    const duration = (lease.spec?.leaseDurationSeconds ?? 15) * 1000;
    if (holder && holder !== identity && renewed + duration > now.getTime()) return false;
    lease.spec = spec(lease.spec);
    try {
      await this.api.replaceNamespacedLease({ name, namespace, body: lease }); // carries resourceVersion
      this.lastRenew = Date.now();
      return true;
    } catch (e) {
      if (isStatus(e, 409)) return false;
      throw e;
    }
  }
}
