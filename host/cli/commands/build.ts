import { defineCommand } from "citty";
import { UserError } from "../../errors.ts";

export default defineCommand({
  meta: { name: "build", description: "(not yet available)" },
  run() { throw new UserError("fewmul build is not implemented yet", "E_TODO"); },
});
