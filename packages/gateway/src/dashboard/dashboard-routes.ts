import type { GatewayRoute } from "../http/gateway-app.js";

/** The fleet dashboard's routes (`/ui`, its assets and its live event stream). */
export const DASHBOARD_ROUTES: readonly GatewayRoute[] = [];
