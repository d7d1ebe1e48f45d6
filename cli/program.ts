// The `lke-rotator` commands (commander): each turns its arguments into one API request, or a
// watch loop, and prints the answer as a table or JSON. Usage mistakes are caught before any
// request and exit 2; refusals and failures exit 1 (cli/main.ts).
import { Command, Option } from 'commander';
import type { FleetListPage, FleetView, RotationListPage, RotationView } from '../client/views.js';
import { ROTATION_PHASES, UPDATE_NAMES } from '../common/names.js';
import {
  clusterId, concurrency, errorBudget, fleetName, fleetRef, labelPattern, pageSize, pageToken, positive, region, repeatable, tag, text,
} from './arguments.js';
import { ApiClient, CliError } from './http.js';
import { asJson, fleetListText, fleetText, rotationListText, rotationText, type OutputFormat } from './output.js';
import { CLI_ENV, DEFAULT_URL, resolveConnection } from './settings.js';
import { fleetStageName, stageSpec, stagesListProblem } from './stageSpec.js';
import { watch, type WatchTarget } from './watch.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  tty: boolean;
}

const VERBS = UPDATE_NAMES;
type Verb = (typeof VERBS)[number];
const VERB_HELP: Record<Verb, string> = {
  approve: 'approve the pending gate (not by its requester)',
  reject: 'reject the pending gate (--reason required)',
  pause: 'pause before the next step',
  resume: 'resume a paused run, or continue one that ended unfinished',
  retry: 'retry the step a Blocked run stopped at',
  skip: 'skip the step a Blocked run stopped at, where that is safe',
  abort: 'abort; compensates when credentials were already touched (--reason required)',
};
const NEEDS_REASON = new Set<Verb>(['reject', 'abort']);

interface RotationFlags {
  restart?: string; restartConcurrency?: number; recycle?: boolean; drainTimeout?: number; evictUnmanaged?: boolean; dryRun?: boolean;
}

function rotationOptions(opts: RotationFlags) {
  const restart = opts.restart || opts.restartConcurrency
    ? { restart: { scope: opts.restart ?? 'affected', ...(opts.restartConcurrency ? { maxConcurrent: opts.restartConcurrency } : {}) } }
    : {};
  const recycle = opts.recycle
    ? { recycle: { mode: 'rolling', ...(opts.drainTimeout ? { drainTimeoutMs: opts.drainTimeout * 1000 } : {}), ...(opts.evictUnmanaged ? { evictUnmanagedPods: true } : {}) } }
    : {};
  return { ...restart, ...recycle, ...(opts.dryRun ? { dryRun: true } : {}) };
}

function controlBody(verb: Verb, opts: { reason?: string; comment?: string; clusters?: number[]; stage?: string }): object {
  if (NEEDS_REASON.has(verb)) return { reason: opts.reason };
  if (verb === 'approve') return { ...(opts.comment ? { comment: opts.comment } : {}), ...(opts.stage ? { stage: opts.stage } : {}) };
  if ((verb === 'retry' || verb === 'skip') && opts.clusters?.length) return { clusterIds: opts.clusters };
  return {};
}

/** The options every steering verb takes, for a cluster or a fleet. */
function addVerbOptions(cmd: Command, verb: Verb): Command {
  if (NEEDS_REASON.has(verb)) cmd.requiredOption('--reason <why>', 'why (required; kept in the history)', text);
  if (verb === 'approve') cmd.option('--comment <text>', 'a note kept with the approval', text);
  return cmd;
}

const nextPageHint = (token: string | null, command: string) => (token ? `\nmore: ${command} --page-token ${token}` : '');

export function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command('lke-rotator')
    .description('Steer lke-rotator credential rotations over its HTTP API.')
    .addOption(new Option('--url <url>', `API base URL (env ${CLI_ENV.url}, default ${DEFAULT_URL})`))
    .addOption(new Option('--token-file <path>', `file holding the API token (env ${CLI_ENV.tokenFile}; or ${CLI_ENV.token})`))
    .addOption(new Option('-o, --output <format>', 'table or json').choices(['table', 'json']).default('table'))
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();
  program.addHelpText('after', `
Examples:
  export ${CLI_ENV.url}=https://rotator.example.com ${CLI_ENV.tokenFile}=~/.config/lke-rotator/token
  lke-rotator rotate 12345 --restart kube-system --recycle
  lke-rotator status 12345
  lke-rotator list --phase Blocked -o json
  lke-rotator approve 12345 --comment "plan checked"
  lke-rotator reject 12345 --reason "wrong cluster"
  lke-rotator pause 12345
  lke-rotator resume 12345
  lke-rotator retry 12345
  lke-rotator skip 12345
  lke-rotator abort 12345 --reason "change freeze"
  lke-rotator watch 12345
  lke-rotator watch nightly
  lke-rotator fleet start --name nightly --tag prod --concurrency 5 --error-budget 10%
  lke-rotator fleet status nightly
  lke-rotator fleet list
  lke-rotator fleet watch nightly
  lke-rotator fleet approve nightly
  lke-rotator fleet abort nightly --reason "change freeze"

Environment: ${CLI_ENV.url} (the API), ${CLI_ENV.tokenFile} (a file holding the token; preferred) or ${CLI_ENV.token}.
The token is never printed.

Exit codes: 0 ok; 1 refused by the API (4xx, 5xx), unreachable, or the watched run did not end Completed;
2 usage (bad flags or arguments, no token), found before any request.`);

  const api = () => new ApiClient(resolveConnection({ url: program.opts().url, tokenFile: program.opts().tokenFile }, io.env));
  const format = (): OutputFormat => program.opts().output as OutputFormat;
  const show = (value: unknown, text: () => string) => io.out(format() === 'json' ? asJson(value) : text());
  const showStarted = (started: { workflowId: string; runId: string; webUrl?: string | null }) =>
    show(started, () => `started ${started.workflowId} (run ${started.runId})${started.webUrl ? `\n${started.webUrl}` : ''}`);
  const follow = async (target: WatchTarget, intervalSeconds: number) => {
    const mode = format() === 'json' ? 'json' : io.tty ? 'bar' : 'lines';
    setExitCode(await watch(api(), target, { intervalMs: intervalSeconds * 1000, mode, write: io.out }));
  };
  const restartOption = (what: string) => new Option('--restart <scope>', `${what} (default: affected, those using a rotated token Secret)`)
    .choices(['none', 'affected', 'kube-system', 'all']);
  const nodeWorkOptions = (command: Command) => command
    .option('--restart-concurrency <n>', 'workloads restarting at once (default 1)', positive)
    .option('--drain-timeout <seconds>', 'how long a node drain may take before the rotation is Blocked (default 600)', positive)
    .option('--evict-unmanaged', 'let a drain evict pods no controller recreates (kubectl drain --force)');

  nodeWorkOptions(program.command('rotate').argument('<clusterId>', 'LKE cluster id', clusterId))
    .description('start rotating one cluster')
    .addOption(restartOption('restart workloads after the rotation'))
    .option('--recycle', 'recycle the nodes, one at a time')
    .option('--dry-run', 'plan only: change nothing')
    .addHelpText('after', '\nExample:\n  lke-rotator rotate 12345 --restart kube-system --recycle')
    .action(async (id: number, opts) => {
      showStarted(await api().post('/v1/rotations', { clusterId: id, ...rotationOptions(opts) }));
    });

  program.command('status').argument('<clusterId>', 'LKE cluster id', clusterId)
    .description("a cluster's rotation: phase, gate, progress, last error")
    .addHelpText('after', '\nExample:\n  lke-rotator status 12345 -o json')
    .action(async (id: number) => {
      const view = await api().get<RotationView>(`/v1/rotations/${id}`);
      show(view, () => rotationText(view));
    });

  program.command('list')
    .description('rotations, newest first')
    .addOption(new Option('--phase <phase>', 'only rotations in this phase').choices(ROTATION_PHASES))
    .option('--cluster <id>', 'only the rotations of this cluster', clusterId)
    .option('--fleet <name>', 'only the rotations of this fleet', fleetRef)
    .option('--page-size <n>', 'how many (at most 1000)', pageSize, 50)
    .option('--page-token <token>', 'the next page, as the previous one said', pageToken)
    .addHelpText('after', '\nExample:\n  lke-rotator list --phase Blocked')
    .action(async (opts: { phase?: string; cluster?: number; fleet?: string; pageSize: number; pageToken?: string }) => {
      const query = new URLSearchParams({
        pageSize: String(opts.pageSize),
        ...(opts.phase ? { phase: opts.phase } : {}),
        ...(opts.cluster ? { clusterId: String(opts.cluster) } : {}),
        ...(opts.fleet ? { fleet: opts.fleet } : {}),
        ...(opts.pageToken ? { nextPageToken: opts.pageToken } : {}),
      });
      const page = await api().get<RotationListPage>(`/v1/rotations?${query}`);
      show(page, () => rotationListText(page.rotations) + nextPageHint(page.nextPageToken, 'lke-rotator list'));
    });

  for (const verb of VERBS) {
    const cmd = program.command(verb).argument('<clusterId>', 'LKE cluster id', clusterId).description(VERB_HELP[verb]);
    addVerbOptions(cmd, verb);
    cmd.addHelpText('after', `\nExample:\n  lke-rotator ${verb} 12345${NEEDS_REASON.has(verb) ? ' --reason "change freeze"' : ''}`);
    cmd.action(async (id: number, opts) => {
      const answer = await api().post<RotationView | { workflowId: string; runId: string }>(`/v1/rotations/${id}/${verb}`, controlBody(verb, opts));
      show(answer, () => ('execution' in answer ? rotationText(answer) : `continued in a new run ${answer.workflowId} (run ${answer.runId})`));
    });
  }

  program.command('watch').argument('<target>', 'a cluster id, or a fleet name')
    .description('follow a rotation or a fleet until it ends (progress bar in a terminal, a line per change otherwise, JSON lines with -o json)')
    .option('--fleet', 'the target is a fleet (for a fleet whose name is all digits)')
    .option('--interval <seconds>', 'seconds between reads', positive, 2)
    .addHelpText('after', '\nExamples:\n  lke-rotator watch 12345\n  lke-rotator watch nightly\n\nExit code: 0 when the run ends Completed, 1 otherwise.')
    .action(async (target: string, opts: { fleet?: boolean; interval: number }) => {
      await follow(watchTarget(target, Boolean(opts.fleet)), opts.interval);
    });

  const fleet = program.command('fleet').description('fleet rotations: many clusters in stages');
  nodeWorkOptions(fleet.command('start'))
    .description('start a fleet rotation over the clusters a selector picks')
    .requiredOption('--name <name>', 'the fleet rotation\'s name (lowercase letters, digits, -)', fleetName)
    .option('--tag <tag>', 'clusters with this tag (repeatable)', repeatable(tag))
    .option('--region <region>', 'clusters in this region (repeatable)', repeatable(region))
    .option('--label <pattern>', 'clusters whose label matches this glob or /regex/', labelPattern)
    .option('--cluster <id>', 'this cluster (repeatable)', repeatable(clusterId))
    .option('--all', 'every cluster of the account (needed when no criterion is given)')
    .option('--concurrency <n>', 'clusters at a time (default 5)', concurrency)
    .option('--error-budget <n|n%>', 'failures allowed before the fleet halts', errorBudget)
    .option('--stage <spec>', 'a stage, in order (repeatable): count=N|percent=N|region=R|tag=T|rest, and name=N, approval, soak=<seconds>',
      repeatable(stageSpec))
    .addOption(restartOption('restart workloads after each rotation'))
    .option('--recycle', 'recycle each cluster\'s nodes, one at a time')
    .addHelpText('after', '\nExample:\n  lke-rotator fleet start --name nightly --tag prod --region us-iad --concurrency 5 --error-budget 10%' +
      '\n  lke-rotator fleet start --name nightly --tag prod --stage name=canary,count=1,approval,soak=600 --stage percent=10,soak=600 --stage rest')
    .action(async (opts) => {
      const selector = {
        ...(opts.all ? { all: true } : {}),
        ...(opts.tag ? { tags: opts.tag } : {}),
        ...(opts.region ? { regions: opts.region } : {}),
        ...(opts.label ? { labelPattern: opts.label } : {}),
        ...(opts.cluster ? { clusterIds: [...new Set(opts.cluster as number[])] } : {}),
      };
      if (Object.keys(selector).length === 0) throw new CliError('choose clusters: --tag, --region, --label, --cluster, or --all', 2);
      const stagesProblem = opts.stage ? stagesListProblem(opts.stage) : null;
      if (stagesProblem) throw new CliError(stagesProblem, 2);
      const rotation = rotationOptions(opts);
      showStarted(await api().post('/v1/fleet-rotations', {
        name: opts.name, selector,
        ...(Object.keys(rotation).length ? { rotation } : {}),
        ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
        ...(opts.errorBudget ? { errorBudget: opts.errorBudget } : {}),
        ...(opts.stage ? { stages: opts.stage } : {}),
      }));
    });
  fleet.command('status').argument('<name>', 'fleet name or workflow id', fleetRef)
    .description('a fleet rotation: phase, waves, every cluster')
    .addHelpText('after', '\nExample:\n  lke-rotator fleet status nightly')
    .action(async (name: string) => {
      const view = await api().get<FleetView>(`/v1/fleet-rotations/${encodeURIComponent(name)}`);
      show(view, () => fleetText(view));
    });
  fleet.command('list')
    .description('fleet rotations, newest first')
    .option('--page-size <n>', 'how many (at most 1000)', pageSize, 50)
    .option('--page-token <token>', 'the next page, as the previous one said', pageToken)
    .addHelpText('after', '\nExample:\n  lke-rotator fleet list -o json')
    .action(async (opts: { pageSize: number; pageToken?: string }) => {
      const query = new URLSearchParams({ pageSize: String(opts.pageSize), ...(opts.pageToken ? { nextPageToken: opts.pageToken } : {}) });
      const page = await api().get<FleetListPage>(`/v1/fleet-rotations?${query}`);
      show(page, () => fleetListText(page.fleets) + nextPageHint(page.nextPageToken, 'lke-rotator fleet list'));
    });
  fleet.command('watch').argument('<name>', 'fleet name or workflow id', fleetRef)
    .description('follow a fleet until it ends (the same as `watch <name>`)')
    .option('--interval <seconds>', 'seconds between reads', positive, 2)
    .addHelpText('after', '\nExample:\n  lke-rotator fleet watch nightly')
    .action(async (name: string, opts: { interval: number }) => {
      await follow({ fleet: name }, opts.interval);
    });
  for (const verb of VERBS) {
    const cmd = fleet.command(verb).argument('<name>', 'fleet name or workflow id', fleetRef)
      .description(VERB_HELP[verb].replace('step a Blocked run stopped at', 'failed clusters'));
    addVerbOptions(cmd, verb);
    if (verb === 'retry' || verb === 'skip') cmd.option('--cluster <id>', 'only this failed cluster (repeatable)', repeatable(clusterId));
    if (verb === 'approve') cmd.option('--stage <name>', 'the stage whose gate this approves (refused when another one waits)', fleetStageName);
    cmd.addHelpText('after', `\nExample:\n  lke-rotator fleet ${verb} nightly${NEEDS_REASON.has(verb) ? ' --reason "change freeze"' : ''}`);
    cmd.action(async (name: string, opts: { reason?: string; comment?: string; cluster?: number[]; stage?: string }) => {
      const clusters = opts.cluster ? [...new Set(opts.cluster)] : undefined;
      const answer = await api().post<FleetView | { workflowId: string; runId: string }>(`/v1/fleet-rotations/${encodeURIComponent(name)}/${verb}`, controlBody(verb, { ...opts, clusters }));
      show(answer, () => ('execution' in answer ? fleetText(answer) : `continued in a new run ${answer.workflowId} (run ${answer.runId})`));
    });
  }
  return program;
}

/** `watch <target>`: all digits is a cluster id (unless --fleet), anything else a fleet. */
function watchTarget(target: string, isFleet: boolean): WatchTarget {
  const parse = <T>(parser: (value: string) => T): T => {
    try {
      return parser(target);
    } catch (err) {
      throw new CliError(`"${target}" is not a cluster id or fleet name: ${(err as Error).message}`, 2);
    }
  };
  if (!isFleet && /^\d+$/.test(target)) return { cluster: parse(clusterId) };
  return { fleet: parse(fleetRef) };
}
