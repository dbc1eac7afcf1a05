import type { TokenizerFamily } from "../tokenizer/special-tokens.js";
import { LLAMA_CHAT_TEMPLATE } from "./llama-chat-template.js";
import { QWEN_CHAT_TEMPLATE } from "./qwen-chat-template.js";

export function chatTemplateFor(family: TokenizerFamily): string {
  return family === "qwen" ? QWEN_CHAT_TEMPLATE : LLAMA_CHAT_TEMPLATE;
}
