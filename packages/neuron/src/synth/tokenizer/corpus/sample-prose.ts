/** Plain English on everyday and technical topics, written for the tokenizer sample. */
export const SAMPLE_PROSE = `The first thing most people notice about a large language model is that it writes fluently. The second thing they notice is that fluency is not the same as being right. A model predicts the next piece of text from everything it has seen so far, one token at a time, and it does this very well. Whether the result is true depends on what the model learned, on what the prompt contains, and on whether anyone checks the answer.

Running such models on your own hardware has become practical. A graphics card with enough memory can hold a model with several billion parameters, and quantization shrinks the weights further: instead of sixteen bits per weight, eight or four bits are often enough, with only a small loss in quality. The trade-off is simple to state and hard to get right. Bigger models answer better, smaller models answer faster, and memory decides which of them fit at the same time.

When several people share a few machines, someone has to decide which model runs where. A gateway in front of the machines can make that decision for every request. It knows which models are loaded, how much memory each machine has left, and how many requests are in flight. If a model is not loaded anywhere, the gateway picks a machine, unloads the model that has been idle the longest, and loads the requested one. The first request waits a few seconds; the following ones are fast.

Good error messages matter more than people expect. "Invalid configuration" tells you nothing. "neurons[1].endpoint: invalid URL" tells you which file, which entry and what is wrong with it. The same goes for logs: a line should say what was decided and why, for example that a model was evicted from a node to make room for another one, and it should say it exactly once.

Testing a system like this is harder than testing a web form. The interesting failures happen when things overlap: two requests ask for the same model at the same moment, a client disconnects halfway through a stream, a machine stops answering after the first byte. Each of these deserves a test that makes it happen on purpose, with a fake clock or a fake server, instead of hoping it shows up in production.

There is a simple rule that saves a lot of time: measure before you optimize. On a small virtual machine with two cores, running inference with four threads can be thirty times slower than running it with one, because the threads fight over the same cores. Nobody would guess that. A five minute benchmark finds it.

Weather and travel. The morning was cold and clear, and the train left on time. By noon the clouds had come in from the west, and it started to rain as we reached the coast. We walked along the harbor anyway, had soup in a small restaurant near the lighthouse, and took the last bus back to the city. The next day was warm again, as if nothing had happened.

Cooking. To make a simple tomato sauce, warm two tablespoons of olive oil in a pan, add a sliced clove of garlic, and let it turn golden but not brown. Add a can of crushed tomatoes, a pinch of salt and a few leaves of basil, and let it simmer for twenty minutes. Taste it, adjust the salt, and serve it with pasta cooked one minute less than the package says.

History. The printing press did not change the world overnight. For decades, printed books imitated handwritten ones, with the same fonts and the same layouts. What changed first was the price: a book that had cost a year of wages could be bought for a month of wages, and then for a week. Cheaper books meant more readers, more readers meant more writers, and within a century the way people argued about science, religion and politics had changed completely.

Questions people ask. How do I reset my password? Why is the build failing on my machine but not on the server? What is the difference between a process and a thread? Can you explain this error message? Where should I put configuration that differs between development and production? How long will it take? Is there a simpler way to do this? What happens if the network goes down in the middle of a request?

Short answers. Yes. No. It depends on the size of the input. Use a map instead of an array. Restart the service after changing the configuration. The function returns undefined when the list is empty. Run the command with --verbose to see what it does. The default timeout is thirty seconds. That was fixed in version 2.4.1. Thanks, that works now!

Numbers and dates: 1, 2, 3, 10, 42, 100, 256, 1024, 2048, 4096, 65536, 3.14, 0.5, 1e-5, 2025-01-15, 12:30, 99.9%, $19.99, 50 MB, 8 GB, 128k tokens, 24 hours, 7 days, version 1.2.3.
`;
