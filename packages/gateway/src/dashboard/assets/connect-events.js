// The page's one connection to the gateway: /ui/events (server-sent events).

const KEY_STORAGE = "cortex-admin-key";
const RETRY_MS = 3000;

/**
 * The admin key, when the gateway has one. EventSource cannot send headers, so it travels as `?key=`:
 * read from the address bar once, kept for this tab only and taken out of the address bar.
 */
export function takeAdminKey() {
  const url = new URL(location.href);
  const given = url.searchParams.get("key");
  if (given !== null) {
    rememberAdminKey(given);
    url.searchParams.delete("key");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
  return sessionStorage.getItem(KEY_STORAGE) ?? "";
}

export function rememberAdminKey(key) {
  sessionStorage.setItem(KEY_STORAGE, key);
}

/**
 * Keeps /ui/events open. EventSource reconnects by itself after a dropped stream but gives up for good
 * on an answer other than a 200 stream; a probe then tells a missing or wrong key (ask for it) from a
 * gateway that is away (try again).
 */
export function connectEvents({ key, onStatus, onSnapshot, onDecision }) {
  const url = "/ui/events" + (key ? "?key=" + encodeURIComponent(key) : "");
  let source;
  let retry;
  const open = () => {
    onStatus("connecting");
    source = new EventSource(url);
    source.addEventListener("open", () => onStatus("live"));
    source.addEventListener("snapshot", (event) => onSnapshot(JSON.parse(event.data)));
    source.addEventListener("decision", (event) => onDecision(JSON.parse(event.data)));
    source.addEventListener("error", () => {
      if (source.readyState !== EventSource.CLOSED) return onStatus("reconnecting");
      source.close();
      void probe();
    });
  };
  const probe = async () => {
    const controller = new AbortController();
    let status = 0;
    try {
      status = (await fetch(url, { signal: controller.signal, cache: "no-store" })).status;
    } catch {
      // Unreachable: retried below.
    }
    controller.abort();
    if (status === 401) return onStatus("unauthorized");
    onStatus("offline");
    retry = setTimeout(open, RETRY_MS);
  };
  open();
  return {
    close() {
      clearTimeout(retry);
      source?.close();
    },
  };
}
