import { defineCommand } from "citty";
import { UserError } from "../../errors.ts";

export default defineCommand({
  meta: { name: "emulate", description: "(not yet available)" },
  run() { throw new UserError("fewmul emulate is not implemented yet", "E_TODO"); },
});
