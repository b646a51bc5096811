/**
 * A command table shaped like the real one (`src/commands/table.ts`), owned by the tests so the
 * parser, help and completion tests do not change whenever a summary is reworded.
 *
 * @module
 */

import type { ArgSpec, CommandSpec, FlagSpec } from "../../src/commands/spec.ts";

const provider: ArgSpec = {
  name: "provider",
  description: "Provider name, e.g. github",
  required: true,
  completeWith: "provider",
};

const connection: FlagSpec = {
  name: "connection",
  type: "string",
  valueName: "<name>",
  description: "Connection name",
};

function simple(name: string, summary: string): CommandSpec {
  return { name, summary, args: [], flags: [], examples: [`$ authsome ${name}`] };
}

function withProvider(name: string, summary: string): CommandSpec {
  return { ...simple(name, summary), args: [provider] };
}

/** The sample table. */
export const SAMPLE_COMMANDS: readonly CommandSpec[] = [
  simple("init", "Create the home, key and vault"),
  simple("list", "List providers and connections"),
  withProvider("inspect", "Show a provider definition"),
  {
    name: "login",
    summary: "Log in to a provider",
    description: "Runs the provider's flow and stores the credential in the vault.",
    args: [provider],
    flags: [
      {
        name: "flow",
        type: "string",
        valueName: "<flow>",
        choices: ["pkce", "device_code", "dcr_pkce", "api_key"],
        description: "Login flow",
      },
      connection,
      { name: "scopes", type: "string", valueName: "<a,b>", description: "Scopes to request" },
      { name: "base-url", type: "string", valueName: "<url>", description: "Provider base URL" },
      { name: "force", type: "boolean", description: "Replace an existing connection" },
    ],
    examples: ["$ authsome login github", "$ authsome login github --flow device_code"],
  },
  { ...withProvider("logout", "Delete one connection"), flags: [connection] },
  withProvider("revoke", "Revoke every connection of a provider"),
  withProvider("remove", "Revoke and delete a custom provider"),
  {
    name: "register",
    summary: "Install a custom provider",
    args: [{
      name: "file",
      description: "Provider JSON file",
      required: true,
      completeWith: "file",
    }],
    flags: [{ name: "force", type: "boolean", description: "Overwrite an existing one" }],
    examples: ["$ authsome register ./acme.json"],
  },
  {
    name: "get",
    summary: "Show a connection or one field",
    args: [provider],
    flags: [
      { name: "field", type: "string", valueName: "<name>", description: "Print only this field" },
      { name: "show-secret", type: "boolean", description: "Reveal secret values" },
      connection,
    ],
    examples: ["$ authsome get github --field status"],
  },
  {
    name: "export",
    summary: "Print credentials as environment variables",
    args: [{ ...provider, required: false }],
    flags: [
      {
        name: "format",
        type: "string",
        valueName: "<format>",
        choices: ["env", "shell", "json"],
        default: "env",
        description: "Output format",
      },
      connection,
    ],
    examples: ["$ authsome export github --format shell"],
  },
  {
    name: "run",
    summary: "Run a command with credentials injected",
    args: [],
    flags: [
      {
        name: "provider",
        type: "string",
        valueName: "<name>",
        repeatable: true,
        completeWith: "provider",
        description: "Inject this provider only",
      },
      { name: "env", type: "string", valueName: "<file>", description: "Also load this env file" },
    ],
    examples: ["$ authsome run --provider github -- gh repo list"],
    passthrough: true,
  },
  {
    name: "log",
    summary: "Show the last audit entries",
    args: [],
    flags: [
      {
        name: "lines",
        short: "n",
        type: "number",
        valueName: "<n>",
        default: 50,
        description: "Number of entries",
      },
      { name: "raw", type: "boolean", description: "Show the debug log tail" },
    ],
    examples: ["$ authsome log -n 50 --json"],
  },
  simple("doctor", "Check the installation"),
  simple("whoami", "Show home, profile and version"),
  {
    name: "daemon",
    summary: "Manage the local daemon",
    args: [],
    flags: [],
    examples: ["$ authsome daemon start"],
    subcommands: [
      simple("serve", "Run the daemon in the foreground"),
      {
        ...simple("start", "Start the daemon in the background"),
        flags: [{ name: "port", type: "number", valueName: "<port>", description: "TCP port" }],
      },
      simple("stop", "Stop the daemon"),
      simple("status", "Show whether the daemon runs"),
    ],
  },
  {
    ...simple("completions", "Print a shell completion script"),
    args: [{
      name: "shell",
      description: "Shell",
      required: true,
      choices: ["bash", "zsh", "fish"],
    }],
  },
];
