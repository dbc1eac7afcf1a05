/** What a format writer reports back to synthModel. */
export interface WrittenModel {
  readonly bytes: number;
  readonly tensorCount: number;
  /** Relative to the output path ("" for a GGUF file, which is the output itself). */
  readonly files: readonly string[];
}
