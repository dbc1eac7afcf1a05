#!/usr/bin/env node
import { runNeuron } from "../dist/neuron-main.js";
await runNeuron(process.argv.slice(2));
