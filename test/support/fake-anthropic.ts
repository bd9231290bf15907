export * from "../../src/demo/model-server.ts";
