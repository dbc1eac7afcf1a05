import { bool, int, str, tool, type SampleTool } from "./sample-tool-builders.js";

/** Sample tools that run commands and read, write and search files. */
export const SAMPLE_FILE_TOOLS: readonly SampleTool[] = [
  tool(
    "Bash",
    "Runs a shell command in a persistent bash session and returns its standard output and standard error. Use it for builds, tests, git and package managers. Quote paths that contain spaces. Prefer the dedicated file tools for reading, searching and editing files, because their output is easier to review. Long-running commands can be started in the background and polled later.",
    {
      command: str("The command line to execute, exactly as it should be typed into the shell."),
      description: str(
        "A short, active-voice summary of what the command does, for example 'Install project dependencies'.",
      ),
      timeout: int(
        "Maximum time to wait in milliseconds before the command is stopped. Defaults to 120000.",
        1000,
      ),
      run_in_background: bool(
        "Start the command and return at once; read its output later with BashOutput.",
        false,
      ),
    },
    ["command"],
  ),
  tool(
    "Read",
    "Reads a file from the local filesystem and returns its contents with line numbers. The path must be absolute. By default the first 2000 lines are returned; use offset and limit for longer files. Images and PDF documents are returned in a form the model can inspect. Reading a file before editing it is required.",
    {
      file_path: str("The absolute path of the file to read."),
      offset: int("The line number to start reading from, counting from 1.", 1),
      limit: int("The number of lines to read.", 1),
    },
    ["file_path"],
  ),
  tool(
    "Write",
    "Creates a file or replaces the whole content of an existing file. Read the file first if it already exists. Prefer editing existing files over creating new ones, and never create documentation files unless the user asks for them.",
    {
      file_path: str("The absolute path of the file to write."),
      content: str("The complete new content of the file."),
    },
    ["file_path", "content"],
  ),
  tool(
    "Edit",
    "Replaces an exact string in a file with another string. The old string must match the file byte for byte, including indentation, and must be unique unless replace_all is set. Keep the edit as small as possible while still being unambiguous.",
    {
      file_path: str("The absolute path of the file to modify."),
      old_string: str("The text to replace. It must appear in the file exactly as written here."),
      new_string: str("The text that replaces old_string. It must differ from old_string."),
      replace_all: bool("Replace every occurrence instead of requiring a unique match.", false),
    },
    ["file_path", "old_string", "new_string"],
  ),
  tool(
    "MultiEdit",
    "Applies several find-and-replace edits to one file in a single atomic operation. Edits are applied in order, each to the result of the previous one. If any edit fails, none of them are applied.",
    {
      file_path: str("The absolute path of the file to modify."),
      edits: {
        type: "array",
        description: "The edits to apply, in order.",
        items: {
          type: "object",
          properties: {
            old_string: str("The text to replace."),
            new_string: str("The replacement text."),
            replace_all: bool("Replace all occurrences of old_string.", false),
          },
          required: ["old_string", "new_string"],
        },
      },
    },
    ["file_path", "edits"],
  ),
  tool(
    "Glob",
    "Finds files whose paths match a glob pattern such as 'src/**/*.ts' or '**/package.json'. Results are sorted by modification time, newest first. Use it to locate files by name; use Grep to search inside them.",
    {
      pattern: str("The glob pattern to match against file paths."),
      path: str("The directory to search in. Defaults to the current working directory."),
    },
    ["pattern"],
  ),
  tool(
    "Grep",
    "Searches file contents with a regular expression, built on ripgrep. Supports file type and glob filters, context lines and three output modes: matching lines, file names only, or match counts. Escape literal braces and parentheses in the pattern.",
    {
      pattern: str("The regular expression to search for."),
      path: str("A file or directory to search. Defaults to the current working directory."),
      glob: str("Only search files matching this glob, for example '*.js' or '*.{ts,tsx}'."),
      type: str("Only search files of this type, for example 'js', 'py' or 'rust'."),
      output_mode: {
        type: "string",
        description: "What to return for each match.",
        enum: ["content", "files_with_matches", "count"],
        default: "files_with_matches",
      },
      case_insensitive: bool("Ignore case when matching.", false),
      context_lines: int("Number of lines to show before and after each match in content mode.", 0),
      head_limit: int("Return at most this many results.", 1),
      multiline: bool("Let the pattern span lines, so that a dot also matches a newline.", false),
    },
    ["pattern"],
  ),
  tool(
    "LS",
    "Lists the files and directories in a directory. The path must be absolute. Glob patterns in ignore are skipped. Prefer Glob or Grep when you know what you are looking for.",
    {
      path: str("The absolute path of the directory to list."),
      ignore: {
        type: "array",
        description: "Glob patterns of entries to leave out.",
        items: { type: "string" },
      },
    },
    ["path"],
  ),
  tool(
    "NotebookRead",
    "Reads a Jupyter notebook and returns every cell with its source and outputs. Use it instead of Read for files ending in .ipynb.",
    {
      notebook_path: str("The absolute path of the notebook."),
      cell_id: str("Only return the cell with this id."),
    },
    ["notebook_path"],
  ),
  tool(
    "NotebookEdit",
    "Replaces, inserts or deletes a single cell of a Jupyter notebook. Cells are addressed by id. New cells are inserted after the given cell, or at the start when no id is given.",
    {
      notebook_path: str("The absolute path of the notebook."),
      cell_id: str("The id of the cell to edit, or the cell after which to insert."),
      new_source: str("The new source of the cell."),
      cell_type: { type: "string", description: "The type of the cell.", enum: ["code", "markdown"] },
      edit_mode: {
        type: "string",
        description: "What to do with the cell.",
        enum: ["replace", "insert", "delete"],
        default: "replace",
      },
    },
    ["notebook_path", "new_source"],
  ),
];
