// offhours-batch: batch-priority tasks are admitted only outside business hours, so that batch
// work does not compete with people during the day. Interactive tasks are never restricted.
//
// Business hours are Monday to Friday, 08:00 (inclusive) to 18:00 (exclusive), UTC, compiled in.
// The time is snapshot.time_ms: the host's clock at decision time, the only clock a plugin has.
import {
  AdmitRequest,
  Decision,
  Hook,
  Priority,
  allow,
  deny,
  onAdmit,
  onDescribe,
} from "@sluice/policy-sdk";

const START_HOUR: i64 = 8;
const END_HOUR: i64 = 18;
const MS_PER_DAY: i64 = 86_400_000;
const MS_PER_HOUR: i64 = 3_600_000;
const DAY_NAMES: string[] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

export function describe(): i32 {
  return onDescribe("offhours-batch", "1.0.0", [Hook.ADMIT]);
}

export function admit(): i32 {
  return onAdmit(decide);
}

function decide(input: AdmitRequest): Decision {
  if (input.request.priority != Priority.BATCH) {
    return allow("only batch work is restricted to off-hours");
  }
  const now = input.snapshot.time_ms;
  const day = floorDiv(now, MS_PER_DAY);
  // 1970-01-01 was a Thursday (day 4 when Sunday is 0).
  const weekday = <i32>floorMod(day + 4, 7);
  const hour = floorDiv(floorMod(now, MS_PER_DAY), MS_PER_HOUR);
  const weekend = weekday == 0 || weekday == 6;
  if (weekend || hour < START_HOUR || hour >= END_HOUR) {
    return allow("batch work is accepted outside business hours");
  }
  return deny(
    "batch work is accepted only outside business hours (Mon–Fri 08:00–18:00 UTC); it is " +
      DAY_NAMES[weekday] + " " + twoDigits(hour) + ":" +
      twoDigits(floorDiv(floorMod(now, MS_PER_HOUR), 60_000)) + " UTC",
  );
}

function floorDiv(a: i64, b: i64): i64 {
  const q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

function floorMod(a: i64, b: i64): i64 {
  return a - floorDiv(a, b) * b;
}

function twoDigits(v: i64): string {
  return v < 10 ? "0" + v.toString() : v.toString();
}
