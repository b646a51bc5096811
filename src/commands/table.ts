/**
 * The command table: the single source for parsing, help, completions and suggestions.
 * Pure data; each command's code is loaded only when that command runs (`loaders.ts`), so the
 * `get` path never loads login flows, the daemon or the proxy.
 *
 * @module
 */
import type { CommandSpec, FlagSpec } from "./spec.ts";

const connection: FlagSpec = {
  name: "connection",
  type: "string",
  valueName: "<name>",
  description: "connection name (default: the provider's default connection)",
};

const yes: FlagSpec = {
  name: "yes",
  short: "y",
  type: "boolean",
  description: "do not ask for confirmation on a terminal",
};

const daemonPort: FlagSpec = {
  name: "port",
  type: "number",
  valueName: "<port>",
  default: 7998,
  description: "TCP port on 127.0.0.1 (0 = any free port)",
};

const provider = {
  name: "provider",
  description: "provider name, e.g. github or openai (see: authsome list)",
  required: true,
  completeWith: "provider",
} as const;

/** Every command of the CLI. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "init",
    summary: "Create the home directory, the key and the vault",
    description: "Other commands also set these up on first use; init does it explicitly.",
    args: [],
    flags: [],
    examples: ["$ authsome init", "$ AUTHSOME_HOME=/tmp/as authsome init --json"],
  },
  {
    name: "list",
    summary: "List every provider with its connections, status and expiry",
    args: [],
    flags: [],
    examples: ["$ authsome list", "$ authsome list --json"],
  },
  {
    name: "inspect",
    summary: "Show a provider's definition and its connections (secrets redacted)",
    args: [provider],
    flags: [],
    examples: ["$ authsome inspect github", "$ authsome inspect openai --json"],
  },
  {
    name: "login",
    summary: "Log in to a provider (OAuth2 flow or API key)",
    description:
      "OAuth2 providers run their flow: PKCE opens the browser and waits on a loopback\n" +
      "redirect (set AUTHSOME_BROWSER to a command, or to none to only print the URL);\n" +
      "device_code prints a code to enter elsewhere. The OAuth client id and secret come from\n" +
      "the provider's environment variables (e.g. GITHUB_CLIENT_ID) or are asked for once;\n" +
      "register the app's redirect URI as http://127.0.0.1:7999/callback (see --port).\n" +
      "API keys are read from the provider's environment variable, else typed at a masked\n" +
      "prompt, else read from standard input when it is not a terminal; with nothing on\n" +
      "standard input, a desktop gets the browser form (unless --no-browser, CI or\n" +
      "AUTHSOME_BROWSER=none). Never pass secrets as arguments. An existing connection is\n" +
      "kept while it is connected, unexpired and has the asked --scopes and --base-url;\n" +
      "--force replaces it anyway.",
    args: [provider],
    flags: [
      {
        name: "flow",
        type: "string",
        valueName: "<flow>",
        choices: ["pkce", "device_code", "dcr_pkce", "api_key"],
        description: "login flow (default: the provider's)",
      },
      connection,
      {
        name: "scopes",
        type: "string",
        valueName: "<a,b>",
        description: "scopes to request, comma-separated (default: the provider's)",
      },
      {
        name: "base-url",
        type: "string",
        valueName: "<url>",
        description: "the provider's base URL, e.g. a self-hosted instance (https)",
      },
      {
        name: "port",
        type: "number",
        valueName: "<port>",
        default: 7999,
        description: "loopback port for the OAuth redirect (0 = any free port)",
      },
      { name: "force", type: "boolean", description: "replace an existing connection" },
      {
        name: "no-browser",
        type: "boolean",
        description: "open no browser (authorization page or key form); print URLs instead",
      },
    ],
    examples: [
      "$ authsome login github                      # browser login (PKCE)",
      "$ authsome login github --flow device_code   # over SSH: enter a code elsewhere",
      "$ authsome login openai                      # prompts for the key",
      "$ OPENAI_API_KEY=sk-... authsome login openai",
      '$ printf %s "$KEY" | authsome login resend --connection ci',
      "$ authsome login openai --force              # replace the stored key",
    ],
  },
  {
    name: "logout",
    summary: "Delete one connection (revoking it remotely where supported)",
    description: "Deletes one connection, revoking its tokens at the provider where supported.\n" +
      "On a terminal it asks first; --yes skips the question. When standard input is not\n" +
      "a terminal (scripts, CI) it does not ask.",
    args: [provider],
    flags: [connection, yes],
    examples: ["$ authsome logout github", "$ authsome logout openai --connection ci --yes"],
  },
  {
    name: "revoke",
    summary: "Delete every connection and the client config of a provider",
    description:
      "Deletes every connection and the OAuth client config of a provider, revoking remotely\nwhere supported.\n" +
      "On a terminal it asks first; --yes skips the question. When standard input is not\n" +
      "a terminal (scripts, CI) it does not ask.",
    args: [provider],
    flags: [yes],
    examples: ["$ authsome revoke github", "$ authsome revoke github --yes"],
  },
  {
    name: "remove",
    summary: "Revoke a provider and delete its custom definition",
    description:
      "Revokes the provider (every connection and the client config), then deletes its custom\ndefinition. A bundled definition stays available.\n" +
      "On a terminal it asks first; --yes skips the question. When standard input is not\n" +
      "a terminal (scripts, CI) it does not ask.",
    args: [provider],
    flags: [yes],
    examples: ["$ authsome remove my-api"],
  },
  {
    name: "connection",
    summary: "List connections and choose each provider's default",
    description: "get, export and run use a provider's default connection unless --connection\n" +
      "names another. The first connection of a provider becomes its default.",
    args: [],
    flags: [],
    examples: [
      "$ authsome connection list",
      "$ authsome connection set-default github work",
    ],
    subcommands: [
      {
        name: "list",
        summary: "List connections with their provider's default marked *",
        args: [{ ...provider, required: false }],
        flags: [],
        examples: ["$ authsome connection list", "$ authsome connection list github --json"],
      },
      {
        name: "set-default",
        summary: "Make a connection its provider's default",
        args: [provider, {
          name: "connection",
          description: "an existing connection of that provider (see: authsome connection list)",
          required: true,
        }],
        flags: [],
        examples: ["$ authsome connection set-default github work"],
      },
    ],
  },
  {
    name: "register",
    summary: "Validate and install a custom provider definition",
    args: [{
      name: "file",
      description: "provider JSON file",
      required: true,
      completeWith: "file",
    }],
    flags: [{
      name: "force",
      type: "boolean",
      description: "replace an installed definition of that name, or shadow a bundled one",
    }],
    examples: ["$ authsome register ./my-api.json", "$ authsome register ./github.json --force"],
  },
  {
    name: "get",
    summary: "Show a connection (secrets redacted) or print one field",
    description:
      "Applies the refresh rule first. --field prints one value; naming a secret field\n" +
      "(access_token, api_key, refresh_token) prints the secret itself and is audited.\n" +
      "For non-secret fields a failed refresh is a warning and the value is still printed.",
    args: [provider],
    flags: [
      {
        name: "field",
        type: "string",
        valueName: "<name>",
        description: "print only this field (status, expires_at, access_token, api_key, ...)",
      },
      { name: "show-secret", type: "boolean", description: "reveal secret values" },
      connection,
    ],
    examples: [
      "$ authsome get github",
      "$ authsome get github --field status",
      "$ authsome get github --field expires_at",
      '$ curl -H "Authorization: Bearer $(authsome get github --field access_token)" ...',
    ],
  },
  {
    name: "export",
    summary: "Print credentials as environment variables",
    description: "Refresh tokens are never exported. Without a provider, every connection is.",
    args: [{ ...provider, required: false }],
    flags: [
      {
        name: "format",
        type: "string",
        valueName: "<format>",
        choices: ["env", "shell", "json"],
        default: "env",
        description: "output format",
      },
      connection,
    ],
    examples: [
      "$ authsome export openai",
      '$ eval "$(authsome export github --format shell)"',
      "$ authsome export --format json",
    ],
  },
  {
    name: "run",
    summary: "Run a command with credentials injected",
    description:
      "By default the command runs behind a local proxy: its HTTPS requests to a provider's API\n" +
      "host get the auth header added on the way out (TLS terminated with a local authsome CA\n" +
      "that the child trusts through SSL_CERT_FILE and friends), while the child itself only\n" +
      "sees the placeholder authsome-proxy-managed. With --env, the real credentials are set\n" +
      "under the names authsome export prints, for tools that ignore proxies. Credentials are\n" +
      "refreshed first. Without --provider, every provider with a connection is included.\n" +
      'The first word that is not a flag starts the command ("--" is optional); every word\n' +
      "after it belongs to the command. The child sees AUTHSOME_PROXY_MODE=true; a run inside\n" +
      "such a session reuses its proxy. The exit code is the child's.",
    args: [],
    flags: [
      {
        name: "provider",
        type: "string",
        valueName: "<name>",
        repeatable: true,
        description: "inject only this provider (or several, comma-separated)",
      },
      connection,
      { name: "env", type: "boolean", description: "inject the credentials as env vars" },
      {
        name: "grant",
        type: "string",
        valueName: "<name>",
        description: "give the child only a grant from the daemon (docs/isolation.md)",
      },
      {
        name: "host",
        type: "string",
        valueName: "<host>",
        repeatable: true,
        description: "with --grant: inject only for this host (host or host:port)",
      },
      {
        name: "method",
        type: "string",
        valueName: "<method>",
        repeatable: true,
        description: "with --grant: inject only for this HTTP method (GET,POST,...)",
      },
      {
        name: "ttl",
        type: "string",
        valueName: "<duration>",
        description:
          "with --grant: how long the grant lives (90s, 15m, 2h, 1d; at most 7d; default 15m)",
      },
    ],
    passthrough: true,
    examples: [
      "$ authsome run python agent.py",
      "$ authsome run -- python agent.py",
      "$ authsome run --env -- python agent.py",
      "$ authsome run --env --provider openai -- ./eval.sh --fast",
      "$ authsome run --grant agent --provider github --method GET --ttl 30m -- claude",
    ],
  },
  {
    name: "import",
    summary: "Import connections and custom providers from the Python authsome",
    description:
      "The Python authsome (v0.1/v0.2) uses the same home, ~/.authsome, with its own key file\n" +
      "and a SQLite store under profiles/. import copies its connections, OAuth clients,\n" +
      "default connections and custom providers into vault.enc. Its files are only read,\n" +
      "never changed, so running import again is safe: what is already here is skipped.\n" +
      "A key kept in the OS keyring is passed as AUTHSOME_IMPORT_KEY (base64).",
    args: [],
    flags: [{
      name: "from",
      type: "string",
      valueName: "<dir>",
      completeWith: "file",
      description: "the Python authsome's home (default: this home)",
    }],
    examples: [
      "$ authsome import",
      "$ authsome import --from /backup/old-authsome-home --json",
    ],
  },
  {
    name: "log",
    summary: "Show the last audit log entries",
    args: [],
    flags: [
      {
        name: "lines",
        short: "n",
        type: "number",
        valueName: "<n>",
        default: 50,
        description: "number of entries",
      },
      { name: "raw", type: "boolean", description: "show the debug log tail instead" },
      {
        name: "verify",
        type: "boolean",
        description: "check the hash chain (exit 1 names the first altered entry)",
      },
    ],
    examples: [
      "$ authsome log -n 20",
      "$ authsome log --verify",
      '$ authsome log -n 200 --json | grep \'"status":"failure"\'',
      "$ authsome log --raw",
    ],
  },
  {
    name: "doctor",
    summary: "Check the home, permissions, key, vault, lock, providers, logs and connections",
    args: [],
    flags: [],
    examples: ["$ authsome doctor", "$ authsome doctor --json"],
  },
  {
    name: "whoami",
    summary: "Show home, profile, version, key source and connected count",
    args: [],
    flags: [],
    examples: ["$ authsome whoami"],
  },
  {
    name: "daemon",
    summary: "Run the local daemon that serves fresh tokens over HTTP",
    description: "The daemon listens on 127.0.0.1 only; every request needs the bearer token in\n" +
      "<home>/daemon/token. While it runs, get --field and export ask it.",
    args: [],
    flags: [],
    examples: [
      "$ authsome daemon start",
      "$ authsome daemon status --json",
      "$ authsome daemon stop",
    ],
    subcommands: [
      {
        name: "serve",
        summary: "Run the daemon in the foreground (Ctrl-C stops it)",
        args: [],
        flags: [daemonPort, {
          name: "unlock",
          type: "boolean",
          description: "read the vault passphrase (terminal or stdin) and hold the key in memory",
        }],
        examples: ["$ authsome daemon serve", "$ authsome daemon serve --port 0"],
      },
      {
        name: "start",
        summary: "Start the daemon in the background",
        description:
          "Returns once the daemon answers; its output goes to <home>/daemon/daemon.log.",
        args: [],
        flags: [daemonPort, {
          name: "unlock",
          type: "boolean",
          description: "ask for the vault passphrase; the key stays in the daemon's memory only",
        }],
        examples: ["$ authsome daemon start", "$ authsome daemon start --port 8123"],
      },
      {
        name: "unlock",
        summary: "Start the daemon holding the vault key in memory only (key mode daemon)",
        description:
          "Asks for the vault passphrase (creating a passphrase-sealed vault when there is\n" +
          "none; master.key is never written), records key mode daemon in config.json and\n" +
          "starts the daemon with the key in memory. Agents then get scoped, expiring grants\n" +
          "through run --grant instead of the vault. See docs/isolation.md.",
        args: [],
        flags: [daemonPort],
        examples: ["$ authsome daemon unlock", "$ authsome daemon unlock --port 0"],
      },
      {
        name: "stop",
        summary: "Stop the background daemon (SIGTERM, SIGKILL after 5 s)",
        args: [],
        flags: [],
        examples: ["$ authsome daemon stop"],
      },
      {
        name: "status",
        summary: "Show whether the daemon runs (exit 9 when it does not)",
        args: [],
        flags: [],
        examples: ["$ authsome daemon status", "$ authsome daemon status --json"],
      },
    ],
  },
  {
    name: "grant",
    summary: "Create, list and revoke scoped, expiring grants for agents",
    description:
      "A grant lets whoever holds its token use some providers' credentials through the\n" +
      "daemon's proxy (or its token endpoint), limited to hosts and methods, until it expires\n" +
      "or is revoked. Grants live in the running daemon. In key mode daemon, creating one\n" +
      "asks for the vault passphrase. See docs/isolation.md.",
    args: [],
    flags: [],
    examples: [
      "$ authsome grant create ci --provider github --method GET --ttl 1h",
      "$ authsome grant list",
      "$ authsome grant revoke ci",
    ],
    subcommands: [
      {
        name: "create",
        summary: "Create a grant and print its token (shown once)",
        args: [{ name: "name", description: "the grant's name (audited)", required: true }],
        flags: [
          {
            name: "provider",
            type: "string",
            valueName: "<name>",
            repeatable: true,
            completeWith: "provider",
            description: "a provider the grant covers (or several, comma-separated)",
          },
          {
            name: "host",
            type: "string",
            valueName: "<host>",
            repeatable: true,
            description: "inject only for this host (host or host:port)",
          },
          {
            name: "method",
            type: "string",
            valueName: "<method>",
            repeatable: true,
            description: "inject only for this HTTP method",
          },
          {
            name: "ttl",
            type: "string",
            valueName: "<duration>",
            default: "15m",
            description: "how long the grant lives (90s, 15m, 2h, 1d; at most 7d)",
          },
        ],
        examples: ["$ authsome grant create ci --provider github,openai --ttl 2h"],
      },
      {
        name: "list",
        summary: "List the daemon's grants (never their tokens)",
        args: [],
        flags: [],
        examples: ["$ authsome grant list --json"],
      },
      {
        name: "revoke",
        summary: "Revoke a grant at once",
        args: [{ name: "name", description: "the grant to revoke", required: true }],
        flags: [],
        examples: ["$ authsome grant revoke ci"],
      },
    ],
  },
  {
    name: "completions",
    summary: "Print a shell completion script",
    args: [{
      name: "shell",
      description: "the shell to complete in",
      required: true,
      choices: ["bash", "zsh", "fish"],
    }],
    flags: [],
    examples: [
      "$ authsome completions bash > ~/.local/share/bash-completion/completions/authsome",
      "$ authsome completions fish > ~/.config/fish/completions/authsome.fish",
    ],
  },
];
