import { defineCommand } from "citty";
import { UserError } from "../../errors.ts";

export default defineCommand({
  meta: { name: "eval", description: "(not yet available)" },
  run() { throw new UserError("fewmul eval is not implemented yet", "E_TODO"); },
});
