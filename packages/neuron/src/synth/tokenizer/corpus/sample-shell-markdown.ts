/** Shell sessions, configuration files, markdown and a little Python, written for the tokenizer sample. */
export const SAMPLE_SHELL_MARKDOWN = `# cortex

A gateway and fleet manager for running open-weight language models on your own machines.

## Quick start

\`\`\`bash
git clone https://github.com/example/cortex.git
cd cortex
npm ci
npm start
\`\`\`

Then point any OpenAI or Anthropic client at \`http://localhost:31313\`:

\`\`\`bash
curl -s http://localhost:31313/v1/chat/completions \\
  -H "Content-Type: application/json" \\
  -d '{"model": "qwen3", "messages": [{"role": "user", "content": "Hello!"}], "max_tokens": 64}'
\`\`\`

## Configuration

| key | default | description |
|-----|---------|-------------|
| \`listen\` | \`0.0.0.0:31313\` | address of the HTTP API |
| \`metrics_listen\` | \`0.0.0.0:31314\` | address of the Prometheus endpoint |
| \`eviction.strategy\` | \`lru\` | which model to unload first when memory runs out |
| \`threads\` | number of cores | CPU threads used for inference |

> **Note:** unknown keys are rejected with a hint, so a typo never silently falls back to a default.

### Example

\`\`\`toml
[gateway]
listen = "0.0.0.0:31313"

[[neurons]]
name = "gpu-1"
endpoint = "http://10.0.0.5:13131"
\`\`\`

## Development

- \`npm test\` runs type checks, lint and the whole test suite.
- \`npm run build\` compiles every package with \`tsc -b\`.
- Tests generate their own small models, so nothing has to be downloaded.

$ git status
On branch main
Your branch is up to date with 'origin/main'.

Changes not staged for commit:
  (use "git add <file>..." to update what will be committed)
  (use "git restore <file>..." to discard changes in working directory)
        modified:   src/index.ts
        modified:   package.json

Untracked files:
  (use "git add <file>..." to include in what will be committed)
        src/utils/retry.ts

no changes added to commit (use "git add" and/or "git commit -a")

$ git diff --stat
 package.json       |  3 ++-
 src/index.ts       | 27 +++++++++++++++++++--------
 2 files changed, 21 insertions(+), 9 deletions(-)

$ git log --oneline -5
3e1f0a2 (HEAD -> main, origin/main) Fix race when two requests load the same model
9bd44c1 Add request timeout to upstream calls
71a0e55 Document the neuron API
c8d2f19 Bump dependencies
02aa7b3 Initial commit

$ npm test

> cortex@0.1.0 test
> vitest run

 RUN  v3.2.4 /home/dev/src/cortex

 ✓ packages/core/test/config.test.ts (12 tests) 38ms
 ✓ packages/gateway/test/scheduler.test.ts (21 tests) 112ms
 × packages/neuron/test/engine.test.ts > generates exactly max_tokens tokens 2034ms
   → expected 63 to be 64

 Test Files  1 failed | 2 passed (3)
      Tests  1 failed | 32 passed (33)
   Duration  3.41s

$ ls -la src
total 48
drwxr-xr-x  5 dev dev 4096 Nov 27 09:12 .
drwxr-xr-x 11 dev dev 4096 Nov 27 09:10 ..
-rw-r--r--  1 dev dev 2311 Nov 27 09:12 index.ts
drwxr-xr-x  2 dev dev 4096 Nov 26 17:40 routes
drwxr-xr-x  2 dev dev 4096 Nov 26 17:40 utils

$ grep -rn "TODO" src/ | head
src/routes/users.ts:41:  // TODO: paginate with a cursor instead of an offset
src/utils/cache.ts:12:  // TODO: evict by size, not by count

$ find . -name "*.log" -mtime +7 -delete
$ du -sh node_modules
312M	node_modules
$ docker compose up -d --build
[+] Running 3/3
 ✔ Network cortex_default      Created
 ✔ Container cortex-neuron-1   Started
 ✔ Container cortex-gateway-1  Started
$ curl -sf http://localhost:13131/health && echo healthy
{"status":"ok"}
healthy
$ export NODE_ENV=production
$ for f in packages/*/package.json; do jq -r '.name + " " + .version' "$f"; done
@cortex/core 0.1.0
@cortex/gateway 0.1.0
@cortex/neuron 0.1.0
$ if [ -z "$API_KEY" ]; then echo "API_KEY is not set" >&2; exit 1; fi
$ ps aux | grep node | grep -v grep
dev      41233  2.1  1.8 1123456 301234 ?      Sl   09:14   0:03 node packages/cli/bin/neuron.js serve
$ tail -f /var/log/cortex/gateway.log
{"level":30,"time":1732698845123,"msg":"request completed","model":"qwen3","node":"gpu-1","status":200,"ttft_ms":41}

\`\`\`yaml
name: ci
on:
  push:
    branches: [main]
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
          cache: npm
      - run: npm ci
      - run: npm test
\`\`\`

\`\`\`json
{
  "name": "@cortex/gateway",
  "version": "0.1.0",
  "type": "module",
  "scripts": {
    "build": "tsc -b",
    "test": "vitest run",
    "lint": "eslint --max-warnings 0 ."
  },
  "dependencies": {
    "fastify": "^5.0.0",
    "undici": "^7.0.0",
    "zod": "^3.23.8"
  },
  "devDependencies": {
    "typescript": "^5.9.3",
    "vitest": "^3.2.4"
  }
}
\`\`\`

\`\`\`python
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Config:
    name: str
    threads: int = 4
    models: list[str] = field(default_factory=list)


def load_config(path: Path) -> Config:
    with path.open("r", encoding="utf-8") as handle:
        data = json.load(handle)
    return Config(**data)


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: check_config.py CONFIG", file=sys.stderr)
        return 2
    config = load_config(Path(sys.argv[1]))
    for model in config.models:
        print(f"{config.name}: {model}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
\`\`\`

\`\`\`dockerfile
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package*.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app .
EXPOSE 31313
CMD ["node", "packages/cli/bin/cortex.js", "serve", "--config", "/etc/cortex/cortex.toml"]
\`\`\`

\`\`\`sql
SELECT model, COUNT(*) AS requests, AVG(ttft_ms) AS avg_ttft
FROM request_log
WHERE created_at > NOW() - INTERVAL '1 day'
GROUP BY model
ORDER BY requests DESC
LIMIT 10;
\`\`\`

\`\`\`diff
--- a/src/cache.ts
+++ b/src/cache.ts
@@ -10,7 +10,9 @@ export class Cache<K, V> {
   set(key: K, value: V): void {
-    this.entries.set(key, value);
+    this.entries.delete(key);
+    this.entries.set(key, value);
+    if (this.entries.size > this.limit) this.evictOldest();
   }
\`\`\`
`;
