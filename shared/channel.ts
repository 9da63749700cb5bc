// One channel of the IPC contract: the schema its input must satisfy (the router validates before any handler runs)
// and the schema of its answer. Shared by contract.ts and the *Contract.ts files it spreads in.
import type { z } from 'zod';

export const channel = <I extends z.ZodType, O extends z.ZodType>(input: I, output: O) => ({ input, output });
