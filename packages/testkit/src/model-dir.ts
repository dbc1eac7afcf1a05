import { symlink, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixtureModel, type FixtureModelOptions } from "./fixture-models.js";

/**
 * A fresh models dir whose files are links to cached fixture models under the names a test wants
 * (model ids are file names), plus any literal files (broken models, fake-engine knob files).
 */
export async function modelDir(
  models: Record<string, FixtureModelOptions>,
  files: Record<string, string | Uint8Array> = {},
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cortex-models-"));
  for (const [id, options] of Object.entries(models)) {
    await symlink(await fixtureModel(options), join(dir, `${id}.gguf`));
  }
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  return dir;
}
