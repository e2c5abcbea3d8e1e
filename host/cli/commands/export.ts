import { defineCommand } from "citty";
import { UserError } from "../../errors.ts";

export default defineCommand({
  meta: { name: "export", description: "(not yet available)" },
  run() { throw new UserError("fewmul export is not implemented yet", "E_TODO"); },
});
