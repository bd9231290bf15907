import { setHostEnv } from "../../src/workspace/host.ts";

// Tests are an entry point like the CLI: child processes start from this environment.
setHostEnv(process.env);
