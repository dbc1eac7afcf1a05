export * from "./start-gateway.js";
export type { GatewayRoute } from "./http/gateway-app.js";
export type { GatewayContext } from "./http/gateway-context.js";
export { createGatewayMetrics, type GatewayMetrics } from "./metrics/gateway-metrics.js";
