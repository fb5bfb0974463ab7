// Runs ONNX models in onnxruntime-node for the tests of package onnx.
// Usage: node run_ort.js JOBS.json, where JOBS.json is a list of
// {"model": path, "input": path, "dims": [N, ...], "output": path}: each
// job feeds the float32 little-endian values of input, of shape dims, to
// the model's only input and writes its first output's values to output
// the same way. onnxruntime-node is found through NODE_PATH.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const jobs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  for (const job of jobs) {
    const session = await ort.InferenceSession.create(job.model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const buf = fs.readFileSync(job.input);
    const x = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x, job.dims) };
    const out = await session.run(feeds);
    const y = out[session.outputNames[0]];
    fs.writeFileSync(job.output, Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength));
  }
}

main().catch((e) => { console.error(e && e.stack ? e.stack : String(e)); process.exit(1); });
