/**
 * Quantization tags as GGUF publishers put them into file names (`Qwen3-8B-Q4_K_M.gguf`,
 * `qwen2.5-7b-instruct-q8_0-00001-of-00002.gguf`, `…-UD-Q4_K_XL.gguf`): the k-quants, i-quants,
 * legacy quants, ternary quants and unquantized types of llama.cpp.
 */
const QUANT =
  /(?:^|[-_.\s])((?:UD-)?(?:I?Q[1-8]_(?:K|[0-9]|XXS|XS|S|M|NL)(?:_(?:[0-9]|XXS|XS|XL|S|M|L|NL))*|TQ[12]_0|BF16|F16|F32|FP16|FP32|MXFP4(?:_MOE)?))(?=$|[-_.\s])/gi;

/** The quant tag in a file name (upper case, `Q4_K_M`), the last one when there are several; null if none. */
export function quantTagOf(fileName: string): string | null {
  const stem = fileName.replace(/^.*\//, "").replace(/(?:-\d{5}-of-\d{5})?\.gguf$/i, "");
  let tag: string | null = null;
  for (const match of stem.matchAll(QUANT)) tag = match[1]?.toUpperCase() ?? tag;
  return tag;
}

/** Vision projectors (`mmproj-*.gguf`) ride along with multimodal GGUF repos; they are not chat models. */
export function isProjectorFile(fileName: string): boolean {
  return /(?:^|\/|[-_.])mmproj(?:[-_.]|$)/i.test(fileName);
}
