export interface NvidiaGpu {
  index: number;
  name: string;
  vramTotal: number;
  vramFree: number;
}

const MIB = 1024 * 1024;

/**
 * Pure: the output of
 * `nvidia-smi --query-gpu=index,name,memory.total,memory.free --format=csv,noheader,nounits`
 * (one GPU per line, MiB) → devices. Lines that do not parse (e.g. "[N/A]" on some MIG setups) are skipped.
 */
export function parseNvidiaSmi(output: string): NvidiaGpu[] {
  const gpus: NvidiaGpu[] = [];
  for (const line of output.split(/\r?\n/)) {
    const fields = line.split(",").map((field) => field.trim());
    if (fields.length < 4) continue;
    const [index, total, free] = [fields[0], fields[fields.length - 2], fields[fields.length - 1]].map(
      Number,
    );
    // GPU names may contain commas; everything between index and the two numbers is the name.
    const name = fields.slice(1, -2).join(", ");
    if (![index, total, free].every((n) => Number.isFinite(n)) || name === "") continue;
    gpus.push({
      index: index as number,
      name,
      vramTotal: (total as number) * MIB,
      vramFree: (free as number) * MIB,
    });
  }
  return gpus;
}
