/**
 * What every translator returns: the translated value plus one human-readable line per thing that was
 * dropped or changed on the way, so the caller can log it (pure code never logs).
 */
export interface Translation<T> {
  value: T;
  warnings: string[];
}

/** Mints ids such as `msg_01AbC…`; `prefix` includes its separator (`"msg_"`, `"chatcmpl-"`). */
export type NewId = (prefix: string) => string;
