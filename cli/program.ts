// The `lke-rotator` commands (commander): each turns its arguments into one API request, or a
// watch loop, and prints the answer as a table or JSON. Usage mistakes are caught before any
// request and exit 2; refusals and failures exit 1 (cli/main.ts).
import { Command, InvalidArgumentError, Option } from 'commander';
import type { FleetView, RotationListPage, RotationView } from '../client/views.js';
import { ApiClient, CliError } from './http.js';
import { asJson, fleetText, rotationListText, rotationText, type OutputFormat } from './output.js';
import { CLI_ENV, DEFAULT_URL, resolveConnection } from './settings.js';
import { watch } from './watch.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  tty: boolean;
}

const VERBS = ['approve', 'reject', 'pause', 'resume', 'retry', 'skip', 'abort'] as const;
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
const PHASES = [
  'Snapshotting', 'AwaitingApproval', 'DeletingTokens', 'Regenerating', 'AwaitingKubeconfig', 'Verifying',
  'DeliveringKubeconfig', 'RestartingWorkloads', 'AwaitingRecycleApproval', 'RecyclingNodes', 'Blocked', 'Compensating',
  'Completed', 'Rejected', 'Cancelled', 'Failed',
];

function clusterId(value: string): number {
  if (!/^[1-9]\d{0,9}$/.test(value)) throw new InvalidArgumentError('a cluster id is a positive whole number.');
  return Number(value);
}

function positive(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError('must be a positive whole number.');
  return Number(value);
}

function errorBudget(value: string): { count: number } | { percent: number } {
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(value);
  if (percent && Number(percent[1]) <= 100) return { percent: Number(percent[1]) };
  if (/^\d+$/.test(value)) return { count: Number(value) };
  throw new InvalidArgumentError('give a count (3) or a percentage (10%).');
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function rotationOptions(opts: { restart?: string; recycle?: boolean; dryRun?: boolean }) {
  return {
    ...(opts.restart ? { restart: { scope: opts.restart } } : {}),
    ...(opts.recycle ? { recycle: { mode: 'rolling' } } : {}),
    ...(opts.dryRun ? { dryRun: true } : {}),
  };
}

function controlBody(verb: Verb, opts: { reason?: string; comment?: string; clusters?: number[] }): object {
  if ((verb === 'reject' || verb === 'abort') && !opts.reason) throw new CliError(`${verb} needs --reason "<why>"`, 2);
  if (verb === 'reject' || verb === 'abort') return { reason: opts.reason };
  if (verb === 'approve') return opts.comment ? { comment: opts.comment } : {};
  if ((verb === 'retry' || verb === 'skip') && opts.clusters?.length) return { clusterIds: opts.clusters };
  return {};
}

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
  lke-rotator fleet start --name nightly --tag prod --concurrency 5 --error-budget 10%
  lke-rotator fleet status nightly
  lke-rotator fleet watch nightly
  lke-rotator fleet approve nightly

Exit codes: 0 ok; 1 refused by the API, failed, or the run did not complete; 2 usage (bad flags or arguments).`);

  const api = () => new ApiClient(resolveConnection({ url: program.opts().url, tokenFile: program.opts().tokenFile }, io.env));
  const format = (): OutputFormat => program.opts().output as OutputFormat;
  const show = (value: unknown, text: () => string) => io.out(format() === 'json' ? asJson(value) : text());

  program.command('rotate').argument('<clusterId>', 'LKE cluster id', clusterId)
    .description('start rotating one cluster')
    .addOption(new Option('--restart <scope>', 'restart workloads after the rotation').choices(['none', 'kube-system', 'all']))
    .option('--recycle', 'recycle the nodes, one at a time')
    .option('--dry-run', 'plan only: change nothing')
    .addHelpText('after', '\nExample:\n  lke-rotator rotate 12345 --restart kube-system --recycle')
    .action(async (id: number, opts) => {
      const started = await api().post<{ workflowId: string; runId: string; webUrl?: string | null }>('/v1/rotations', { clusterId: id, ...rotationOptions(opts) });
      show(started, () => `started ${started.workflowId} (run ${started.runId})${started.webUrl ? `\n${started.webUrl}` : ''}`);
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
    .addOption(new Option('--phase <phase>', 'only rotations in this phase').choices(PHASES))
    .option('--fleet <name>', 'only the rotations of this fleet')
    .option('--page-size <n>', 'how many', positive, 50)
    .addHelpText('after', '\nExample:\n  lke-rotator list --phase Blocked')
    .action(async (opts: { phase?: string; fleet?: string; pageSize: number }) => {
      const query = new URLSearchParams({ pageSize: String(opts.pageSize), ...(opts.phase ? { phase: opts.phase } : {}), ...(opts.fleet ? { fleet: opts.fleet } : {}) });
      const page = await api().get<RotationListPage>(`/v1/rotations?${query}`);
      show(page, () => rotationListText(page.rotations));
    });

  for (const verb of VERBS) {
    const cmd = program.command(verb).argument('<clusterId>', 'LKE cluster id', clusterId).description(VERB_HELP[verb]);
    if (verb === 'reject' || verb === 'abort') cmd.option('--reason <why>', 'why (required)');
    if (verb === 'approve') cmd.option('--comment <text>', 'a note kept with the approval');
    cmd.addHelpText('after', `\nExample:\n  lke-rotator ${verb} 12345${verb === 'reject' || verb === 'abort' ? ' --reason "change freeze"' : ''}`);
    cmd.action(async (id: number, opts) => {
      const answer = await api().post<RotationView | { workflowId: string; runId: string }>(`/v1/rotations/${id}/${verb}`, controlBody(verb, opts));
      show(answer, () => ('execution' in answer ? rotationText(answer) : `continued in a new run ${answer.workflowId} (run ${answer.runId})`));
    });
  }

  program.command('watch').argument('<target>', 'a cluster id, or a fleet name with --fleet')
    .description('follow a rotation or a fleet until it ends (progress bar in a terminal, lines otherwise)')
    .option('--fleet', 'the target is a fleet name')
    .option('--interval <seconds>', 'seconds between reads', positive, 2)
    .addHelpText('after', '\nExamples:\n  lke-rotator watch 12345\n  lke-rotator watch --fleet nightly')
    .action(async (target: string, opts: { fleet?: boolean; interval: number }) => {
      if (!opts.fleet && !/^[1-9]\d*$/.test(target)) throw new CliError(`"${target}" is not a cluster id; for a fleet add --fleet`, 2);
      const code = await watch(api(), opts.fleet ? { fleet: target } : { cluster: Number(target) },
        { intervalMs: opts.interval * 1000, tty: io.tty && format() === 'table', write: io.out });
      setExitCode(code);
    });

  const fleet = program.command('fleet').description('fleet rotations: many clusters in waves');
  fleet.command('start')
    .description('start a fleet rotation over the clusters a selector picks')
    .requiredOption('--name <name>', 'the fleet rotation\'s name (lowercase letters, digits, -)')
    .option('--tag <tag>', 'clusters with this tag (repeatable)', collect)
    .option('--region <region>', 'clusters in this region (repeatable)', collect)
    .option('--label <pattern>', 'clusters whose label matches this glob or /regex/')
    .option('--cluster <id>', 'this cluster (repeatable)', (v: string, prev: number[] = []) => [...prev, clusterId(v)])
    .option('--all', 'every cluster of the account (needed when no criterion is given)')
    .option('--concurrency <n>', 'clusters at a time', positive)
    .option('--error-budget <n|n%>', 'failures allowed before the fleet halts', errorBudget)
    .addOption(new Option('--restart <scope>', 'restart workloads after each rotation').choices(['none', 'kube-system', 'all']))
    .option('--recycle', 'recycle each cluster\'s nodes, one at a time')
    .addHelpText('after', '\nExample:\n  lke-rotator fleet start --name nightly --tag prod --region us-iad --concurrency 5 --error-budget 10%')
    .action(async (opts) => {
      const selector = {
        ...(opts.all ? { all: true } : {}),
        ...(opts.tag ? { tags: opts.tag } : {}),
        ...(opts.region ? { regions: opts.region } : {}),
        ...(opts.label ? { labelPattern: opts.label } : {}),
        ...(opts.cluster ? { clusterIds: opts.cluster } : {}),
      };
      if (Object.keys(selector).length === 0) throw new CliError('choose clusters: --tag, --region, --label, --cluster, or --all', 2);
      const rotation = rotationOptions(opts);
      const started = await api().post<{ workflowId: string; runId: string; webUrl?: string | null }>('/v1/fleet-rotations', {
        name: opts.name, selector,
        ...(Object.keys(rotation).length ? { rotation } : {}),
        ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
        ...(opts.errorBudget ? { errorBudget: opts.errorBudget } : {}),
      });
      show(started, () => `started ${started.workflowId} (run ${started.runId})${started.webUrl ? `\n${started.webUrl}` : ''}`);
    });
  fleet.command('status').argument('<name>', 'fleet name or workflow id')
    .description('a fleet rotation: phase, waves, every cluster')
    .addHelpText('after', '\nExample:\n  lke-rotator fleet status nightly')
    .action(async (name: string) => {
      const view = await api().get<FleetView>(`/v1/fleet-rotations/${encodeURIComponent(name)}`);
      show(view, () => fleetText(view));
    });
  fleet.command('watch').argument('<name>', 'fleet name or workflow id')
    .description('follow a fleet until it ends')
    .option('--interval <seconds>', 'seconds between reads', positive, 2)
    .addHelpText('after', '\nExample:\n  lke-rotator fleet watch nightly')
    .action(async (name: string, opts: { interval: number }) => {
      setExitCode(await watch(api(), { fleet: name }, { intervalMs: opts.interval * 1000, tty: io.tty && format() === 'table', write: io.out }));
    });
  for (const verb of VERBS) {
    const cmd = fleet.command(verb).argument('<name>', 'fleet name or workflow id').description(VERB_HELP[verb].replace('step a Blocked run stopped at', 'failed clusters'));
    if (verb === 'reject' || verb === 'abort') cmd.option('--reason <why>', 'why (required)');
    if (verb === 'approve') cmd.option('--comment <text>', 'a note kept with the approval');
    if (verb === 'retry' || verb === 'skip') cmd.option('--cluster <id>', 'only this failed cluster (repeatable)', (v: string, prev: number[] = []) => [...prev, clusterId(v)]);
    cmd.addHelpText('after', `\nExample:\n  lke-rotator fleet ${verb} nightly${verb === 'reject' || verb === 'abort' ? ' --reason "change freeze"' : ''}`);
    cmd.action(async (name: string, opts: { reason?: string; comment?: string; cluster?: number[] }) => {
      const answer = await api().post<FleetView | { workflowId: string; runId: string }>(`/v1/fleet-rotations/${encodeURIComponent(name)}/${verb}`, controlBody(verb, { ...opts, clusters: opts.cluster }));
      show(answer, () => ('execution' in answer ? fleetText(answer) : `continued in a new run ${answer.workflowId} (run ${answer.runId})`));
    });
  }
  return program;
}
