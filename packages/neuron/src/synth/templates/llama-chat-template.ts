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
