import type { TokenizerFamily } from "../tokenizer/special-tokens.js";

/**
 * Our own Llama-3-style template: a header per turn, `<|eot_id|>` after it. Tools are listed in the
 * system turn, tool results use the `ipython` role and assistant tool calls the
 * `<function=name>{…}</function>` form, as Llama 3.1 does.
 *
 * node-llama-cpp 3.21.1 resolves it to Llama3_1ChatWrapper, which supports function calling (call
 * prefix `<function=`); see test/synth/synth-chat.test.ts.
 */
export const LLAMA_CHAT_TEMPLATE = [
  "{{- bos_token -}}",
  "{%- set ns = namespace(first=0) -%}",
  "{%- if messages and messages[0].role == 'system' -%}{%- set ns.first = 1 -%}{%- endif -%}",
  "{%- if tools or ns.first == 1 -%}",
  "  {{- '<|start_header_id|>system<|end_header_id|>\\n\\n' -}}",
  "  {%- if ns.first == 1 -%}{{- messages[0].content -}}{%- if tools -%}{{- '\\n\\n' -}}{%- endif -%}{%- endif -%}",
  "  {%- if tools -%}",
  "    {{- 'You can call these functions, each given as a JSON schema:\\n' -}}",
  "    {%- for tool in tools -%}",
  "      {{- (tool.function if tool.function is defined else tool) | tojson -}}{{- '\\n' -}}",
  "    {%- endfor -%}",
  '    {{- \'\\nTo call one, reply with <function=its name>{"argument name": "value"}</function>.\' -}}',
  "  {%- endif -%}",
  "  {{- '<|eot_id|>' -}}",
  "{%- endif -%}",
  "{%- for message in messages -%}",
  "  {%- if loop.index0 >= ns.first -%}",
  "    {%- set role = 'ipython' if message.role == 'tool' else message.role -%}",
  "    {{- '<|start_header_id|>' ~ role ~ '<|end_header_id|>\\n\\n' -}}",
  "    {%- if message.content is string -%}{{- message.content -}}",
  "    {%- elif message.content is defined and message.content is not none -%}{{- message.content | tojson -}}",
  "    {%- endif -%}",
  "    {%- for call in (message.tool_calls or []) -%}",
  "      {%- set fn = call.function if call.function is defined else call -%}",
  "      {{- '<function=' ~ fn.name ~ '>' -}}",
  "      {%- if fn.arguments is string -%}{{- fn.arguments -}}{%- else -%}{{- fn.arguments | tojson -}}{%- endif -%}",
  "      {{- '</function>' -}}",
  "    {%- endfor -%}",
  "    {{- '<|eot_id|>' -}}",
  "  {%- endif -%}",
  "{%- endfor -%}",
  "{%- if add_generation_prompt -%}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}{%- endif -%}",
].join("\n");

/**
 * Our own ChatML template in the Qwen3 style: tools go into the system prompt, assistant tool calls
 * are `<tool_call>\n{"name": …, "arguments": …}\n</tool_call>` blocks, and tool results come back as
 * `<tool_response>` blocks in a user turn. Every tag trims its whitespace and all text is emitted from
 * string literals, so the exact output is visible here.
 *
 * node-llama-cpp 3.21.1's resolveChatWrapper picks QwenChatWrapper for it (its renderings of the test
 * chats match ours), which supports function calls (prefix `<tool_call>\n{"name": "`). Given to
 * JinjaTemplateChatWrapper directly, the same call syntax is extracted from the template, so both paths
 * can call tools; see test/synth/synth-chat.test.ts.
 */
export const QWEN_CHAT_TEMPLATE = [
  "{%- set ns = namespace(first=0) -%}",
  "{%- if messages and messages[0].role == 'system' -%}{%- set ns.first = 1 -%}{%- endif -%}",
  "{%- if tools or ns.first == 1 -%}",
  "  {{- '<|im_start|>system\\n' -}}",
  "  {%- if ns.first == 1 -%}{{- messages[0].content -}}{%- if tools -%}{{- '\\n\\n' -}}{%- endif -%}{%- endif -%}",
  "  {%- if tools -%}",
  "    {{- '# Tools\\n\\nThese functions are available, each given as a JSON schema:\\n' -}}",
  "    {%- for tool in tools -%}",
  "      {{- (tool.function if tool.function is defined else tool) | tojson -}}{{- '\\n' -}}",
  "    {%- endfor -%}",
  "    {{- '\\nTo call functions, reply with one block per call, each holding a JSON object with the name and the arguments:\\n' -}}",
  '    {{- \'<tool_call>\\n{"name": "function name", "arguments": {"argument name": "value"}}\\n</tool_call>\' -}}',
  "  {%- endif -%}",
  "  {{- '<|im_end|>\\n' -}}",
  "{%- endif -%}",
  "{%- for message in messages -%}",
  "  {%- if loop.index0 < ns.first -%}",
  "  {%- elif message.role == 'user' or message.role == 'system' -%}",
  "    {{- '<|im_start|>' ~ message.role ~ '\\n' ~ message.content ~ '<|im_end|>\\n' -}}",
  "  {%- elif message.role == 'assistant' -%}",
  "    {{- '<|im_start|>assistant\\n' -}}",
  "    {%- if message.content -%}{{- message.content -}}{%- endif -%}",
  "    {%- for call in (message.tool_calls or []) -%}",
  "      {%- set fn = call.function if call.function is defined else call -%}",
  "      {%- if message.content or not loop.first -%}{{- '\\n' -}}{%- endif -%}",
  '      {{- \'<tool_call>\\n{"name": "\' ~ fn.name ~ \'", "arguments": \' -}}',
  "      {%- if fn.arguments is string -%}{{- fn.arguments -}}{%- else -%}{{- fn.arguments | tojson -}}{%- endif -%}",
  "      {{- '}\\n</tool_call>' -}}",
  "    {%- endfor -%}",
  "    {{- '<|im_end|>\\n' -}}",
  "  {%- elif message.role == 'tool' -%}",
  "    {%- if loop.first or messages[loop.index0 - 1].role != 'tool' -%}{{- '<|im_start|>user' -}}{%- endif -%}",
  "    {{- '\\n<tool_response>\\n' -}}",
  "    {%- if message.content is string -%}{{- message.content -}}{%- else -%}{{- message.content | tojson -}}{%- endif -%}",
  "    {{- '\\n</tool_response>' -}}",
  "    {%- if loop.last or messages[loop.index0 + 1].role != 'tool' -%}{{- '<|im_end|>\\n' -}}{%- endif -%}",
  "  {%- endif -%}",
  "{%- endfor -%}",
  "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}",
].join("\n");

/** The chat template a synthetic model of this tokenizer family carries. */
export function chatTemplateFor(family: TokenizerFamily): string {
  return family === "qwen" ? QWEN_CHAT_TEMPLATE : LLAMA_CHAT_TEMPLATE;
}
