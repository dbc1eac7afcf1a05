/**
 * A Hugging Face folder that cannot be converted, with a reason written for the person who put it in
 * models_dir: it ends up verbatim in `/models` as the model's `error`.
 */
export class HfModelError extends Error {
  override readonly name = "HfModelError";
}

export function isHfModelError(error: unknown): error is HfModelError {
  return error instanceof HfModelError;
}
