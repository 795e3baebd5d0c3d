// The CompressionJob custom resource's controller (Kubernetes-native API of the gateway).
export { CompressionJobController, type ControllerOptions } from "./controller.ts";
export { LeaderElector } from "./leader.ts";
