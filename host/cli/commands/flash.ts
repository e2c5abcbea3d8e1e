import { defineCommand } from "citty";
import { UserError } from "../../errors.ts";

export default defineCommand({
  meta: { name: "flash", description: "(not yet available)" },
  run() { throw new UserError("fewmul flash is not implemented yet", "E_TODO"); },
});
