// asc resolves a package import to <package>/index.ts; the library lives in assembly/.
export * from "./assembly/index";
