export { HubClient, hubSettingsFromEnv, DEFAULT_HUB_ENDPOINT, type HubSettings } from "./hub-client.js";
export { planPull, runPull, statfsFreeSpace, type FreeSpace, type PlannedPull } from "./pull-model.js";
export {
  parsePullSpec,
  selectPullFiles,
  DEFAULT_QUANT,
  type PullPlan,
  type PullSpec,
  type HubFileEntry,
} from "./select-pull-files.js";
export { readManifest, type PullManifest } from "./pulled-models.js";
export { quantTagOf } from "./quant-tag.js";
