import { startHubServer } from "./dist/index.js";
const hub = await startHubServer({
  repos: {
    "org/tiny-GGUF": {
      files: {
        "tiny-Q8_0.gguf": "/tmp/sp/qs-00002-of-00003.gguf",
        "tiny-F32-00001-of-00003.gguf": "/tmp/sp/qs-00001-of-00003.gguf",
        "tiny-F32-00002-of-00003.gguf": "/tmp/sp/qs-00002-of-00003.gguf",
        "tiny-F32-00003-of-00003.gguf": "/tmp/sp/qs-00003-of-00003.gguf",
        "README.md": Buffer.from("hi"),
      },
    },
  },
  tokens: ["hf_ok"],
});
console.log(hub.url);
hub.dropAfter("tiny-F32-00001-of-00003.gguf", 500000);
process.on("SIGTERM", () => hub.close().then(() => process.exit(0)));
