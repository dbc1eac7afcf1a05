import { bool, int, str, tool, type SampleTool } from "./sample-tool-builders.js";

/** Sample tools for the web, planning, agents, git and the browser. */
export const SAMPLE_WORKFLOW_TOOLS: readonly SampleTool[] = [
  tool(
    "WebFetch",
    "Fetches a URL, converts the page to markdown and answers the prompt about it with a small fast model. HTTP is upgraded to HTTPS. Redirects to another host are reported instead of followed. Results are cached for fifteen minutes.",
    { url: str("The fully qualified URL to fetch."), prompt: str("What to extract from the page.") },
    ["url", "prompt"],
  ),
  tool(
    "WebSearch",
    "Searches the web and returns result titles, links and snippets. Use it for information newer than your training data, such as release notes or current documentation.",
    {
      query: str("The search query, at least two characters long."),
      allowed_domains: {
        type: "array",
        description: "Only return results from these domains.",
        items: { type: "string" },
      },
      blocked_domains: {
        type: "array",
        description: "Never return results from these domains.",
        items: { type: "string" },
      },
    },
    ["query"],
  ),
  tool(
    "TodoWrite",
    "Creates and updates a structured task list for the current session. Use it for work with three or more steps, to show progress and to make sure nothing is forgotten. Exactly one task should be in progress at a time; mark tasks completed as soon as they are done.",
    {
      todos: {
        type: "array",
        description: "The complete, updated task list.",
        items: {
          type: "object",
          properties: {
            id: str("A stable identifier of the task."),
            content: str("What needs to be done, in the imperative, for example 'Run the test suite'."),
            status: {
              type: "string",
              description: "The state of the task.",
              enum: ["pending", "in_progress", "completed"],
            },
            priority: {
              type: "string",
              description: "How important the task is.",
              enum: ["high", "medium", "low"],
            },
          },
          required: ["id", "content", "status"],
        },
      },
    },
    ["todos"],
  ),
  tool(
    "Task",
    "Starts a sub-agent that works on a self-contained task with its own context and tools, and returns a single final report. Use it for broad searches across a large codebase or for independent pieces of work that can run in parallel. Describe the task completely, because the agent cannot see this conversation.",
    {
      description: str("A three to five word summary of the task."),
      prompt: str("The full instructions for the agent, including what to return."),
      subagent_type: str("The kind of agent to start, for example 'general-purpose'."),
    },
    ["description", "prompt"],
  ),
  tool(
    "ExitPlanMode",
    "Presents the implementation plan to the user for approval and leaves planning mode. Use it only when the task requires writing code, after the plan is complete.",
    { plan: str("The plan, in concise markdown.") },
    ["plan"],
  ),
  tool(
    "BashOutput",
    "Returns the new output of a command that was started in the background since the last time it was read, and whether it is still running.",
    {
      bash_id: str("The id of the background shell."),
      filter: str("Only return lines matching this regular expression."),
    },
    ["bash_id"],
  ),
  tool(
    "KillShell",
    "Stops a background shell by its id and everything it started.",
    { shell_id: str("The id of the background shell to stop.") },
    ["shell_id"],
  ),
  tool(
    "AskUser",
    "Asks the user a clarifying question and waits for the answer. Use it when the request is ambiguous and a wrong guess would waste significant work.",
    {
      question: str("The question, phrased so that it can be answered briefly."),
      options: {
        type: "array",
        description: "Suggested answers the user can pick from.",
        items: { type: "string" },
      },
    },
    ["question"],
  ),
  tool(
    "ApplyPatch",
    "Applies a unified diff to the working tree. Context lines must match the files exactly. The patch is checked before anything is written, so a failing hunk leaves every file unchanged.",
    {
      patch: str("The unified diff, with a/ and b/ path prefixes."),
      strip: int("Number of leading path components to remove.", 0),
    },
    ["patch"],
  ),
  tool(
    "RunTests",
    "Runs the project's test command, optionally filtered to some files or test names, and returns a summary of passed, failed and skipped tests with the output of each failure.",
    {
      files: {
        type: "array",
        description: "Test files to run. Runs everything when empty.",
        items: { type: "string" },
      },
      name_pattern: str("Only run tests whose name matches this pattern."),
      update_snapshots: bool("Rewrite snapshot files instead of comparing against them.", false),
    },
    [],
  ),
  tool(
    "GitStatus",
    "Shows the current branch, how far it is ahead of or behind its upstream, and the staged, unstaged and untracked files.",
    { path: str("Limit the status to this path.") },
    [],
  ),
  tool(
    "GitDiff",
    "Shows changes as a unified diff: unstaged changes by default, staged ones with cached, or the difference between two revisions.",
    {
      cached: bool("Show staged changes instead of unstaged ones.", false),
      base: str("A revision to compare from, for example 'main' or 'HEAD~3'."),
      head: str("A revision to compare to. Defaults to the working tree."),
      paths: { type: "array", description: "Limit the diff to these paths.", items: { type: "string" } },
    },
    [],
  ),
  tool(
    "SearchSymbols",
    "Finds where a function, class, type or variable is defined and where it is referenced, using the language server when one is available.",
    {
      symbol: str("The name of the symbol."),
      kind: {
        type: "string",
        description: "What to look for.",
        enum: ["definition", "references", "implementations"],
        default: "definition",
      },
      file_path: str("A file where the symbol is used, to disambiguate."),
      line: int("The line of that use, counting from 1.", 1),
    },
    ["symbol"],
  ),
  tool(
    "OpenBrowser",
    "Opens a URL in a headless browser, waits for the page to settle and returns a screenshot together with the console messages and failed network requests.",
    {
      url: str("The URL to open, usually a local development server such as http://localhost:3000."),
      wait_for: str("A CSS selector to wait for before taking the screenshot."),
      viewport_width: int("The width of the viewport in pixels.", 320),
      viewport_height: int("The height of the viewport in pixels.", 240),
    },
    ["url"],
  ),
];
