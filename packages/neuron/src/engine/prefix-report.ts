import { PREFIX_REPORT_LIMIT, PREFIX_SCHEME, type PrefixLocation, type PrefixReport } from "@cortex/core";

/**
 * The prefixes a loaded model reports in `GET /models`, in the order they are added (callers add the
 * most useful first): each fingerprint once, at most PREFIX_REPORT_LIMIT.
 */
export class PrefixReportBuilder {
  readonly #items: PrefixReport["prefixes"][number][] = [];
  readonly #seen = new Set<string>();

  add(fp: string, tokens: number, where: PrefixLocation): void {
    if (this.#seen.has(fp) || this.#items.length >= PREFIX_REPORT_LIMIT) return;
    this.#seen.add(fp);
    this.#items.push({ fp, tokens, where });
  }

  build(): PrefixReport {
    return { scheme: PREFIX_SCHEME, prefixes: this.#items };
  }
}
