// Test policy (not an example): every call leaves the number of KiB named by the request label
// `garbage-kib` behind as garbage, in 4 KiB buffers, then allows. It holds the SDK to its promise
// that garbage carried from earlier calls never costs a call its memory limit (ADR 0040):
// GarbageAcrossCallsTest calls it many times with a quarter of the limit and more per call.
import { AdmitRequest, Decision, Hook, allow, onAdmit, onDescribe } from "@sluice/policy-sdk";

const LABEL = "garbage-kib";
const BUFFER_BYTES: i32 = 4096;

export function describe(): i32 {
  return onDescribe("garbage-per-call", "1.0.0", [Hook.ADMIT]);
}

export function admit(): i32 {
  return onAdmit(decide);
}

function decide(input: AdmitRequest): Decision {
  const kib = I32.parseInt(input.request.label(LABEL, "0"));
  const buffers = new Array<ArrayBuffer>();
  let sum: i32 = 0;
  for (let i = 0; i < kib / 4; i++) {
    const b = new ArrayBuffer(BUFFER_BYTES);
    // Written and read back so that no optimizer can drop the buffer.
    store<u8>(changetype<usize>(b) + <usize>(i % BUFFER_BYTES), <u8>(i & 0xff));
    sum += load<u8>(changetype<usize>(b) + <usize>(i % BUFFER_BYTES));
    buffers.push(b);
  }
  return allow("left " + buffers.length.toString() + " buffers of garbage, checksum " + sum.toString());
}
