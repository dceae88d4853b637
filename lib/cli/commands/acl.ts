/**
 * `strata acl add | list | remove`, with kafka-acls' flags where they fit: --allow-principal,
 * --deny-principal, --allow-host, --deny-host, --operation (repeatable; Read, IdempotentWrite, or
 * READ, IDEMPOTENT_WRITE), --topic, --group, --cluster, --transactional-id, and
 * --resource-pattern-type. As kafka-acls, add and remove take every combination of the principals,
 * hosts, operations and resources given, and remove requires a resource.
 */
import type { Command } from 'commander';
import type { AclBindingIn, AclDeleteQuery, AclFilterQuery, WireAclBinding } from '../../client/api.js';
import { OPERATIONS, type Operation, type ResourceType } from '../../contract/acl.js';
import { collectList, UsageError } from '../args.js';
import type { Context } from '../context.js';

interface ResourceOptions {
  topic?: string[];
  group?: string[];
  cluster?: boolean;
  transactionalId?: string[];
  resourcePatternType?: string;
}

interface BindingOptions extends ResourceOptions {
  allowPrincipal?: string[];
  denyPrincipal?: string[];
  allowHost?: string[];
  denyHost?: string[];
  operation?: Operation[];
}

/** kafka-acls' `Read`, `IdempotentWrite`, `idempotent-write` or Kafka's `IDEMPOTENT_WRITE`. */
export function parseOperation(value: string, previous: Operation[] = []): Operation[] {
  const name = value
    .trim()
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toUpperCase();
  if (!(name in OPERATIONS))
    throw new UsageError(
      `--operation: expected one of ${Object.keys(OPERATIONS).join(', ')}, got "${value}"`,
    );
  return [...previous, name as Operation];
}

/** The resources named on the command line, as (type, name) pairs. */
function resources(opts: ResourceOptions): { resourceType: ResourceType; resourceName: string }[] {
  return [
    ...(opts.topic ?? []).map((n) => ({ resourceType: 'TOPIC' as const, resourceName: n })),
    ...(opts.group ?? []).map((n) => ({ resourceType: 'GROUP' as const, resourceName: n })),
    ...(opts.cluster ? [{ resourceType: 'CLUSTER' as const, resourceName: 'kafka-cluster' }] : []),
    ...(opts.transactionalId ?? []).map((n) => ({
      resourceType: 'TRANSACTIONAL_ID' as const,
      resourceName: n,
    })),
  ];
}

const PATTERNS = ['literal', 'prefixed', 'match', 'any'] as const;

function patternType(value: string | undefined, allowed: readonly string[], fallback: string): string {
  const v = (value ?? fallback).toLowerCase();
  if (!allowed.includes(v))
    throw new UsageError(`--resource-pattern-type: expected ${allowed.join(', ')}, got "${value}"`);
  return v.toUpperCase();
}

function addResourceOptions(cmd: Command, patterns: readonly string[], fallback: string): Command {
  return cmd
    .option('--topic <topic>', 'a topic (repeatable; * for every topic)', collectList)
    .option('--group <group>', 'a consumer group (repeatable; * for every group)', collectList)
    .option('--cluster', 'the cluster')
    .option('--transactional-id <id>', 'a transactional id (repeatable)', collectList)
    .option('--resource-pattern-type <type>', `${patterns.join('|')} (default ${fallback})`);
}

function addBindingOptions(cmd: Command): Command {
  return cmd
    .option(
      '--allow-principal <principal>',
      'User:<name> to allow (repeatable; User:* is everyone)',
      collectList,
    )
    .option('--deny-principal <principal>', 'User:<name> to deny (repeatable)', collectList)
    .option('--allow-host <host>', 'host of the allowed principals (repeatable; default *)', collectList)
    .option('--deny-host <host>', 'host of the denied principals (repeatable; default *)', collectList)
    .option(
      '--operation <operation>',
      'Read, Write, Create, Delete, Alter, Describe, IdempotentWrite, All, ... (repeatable)',
      parseOperation,
    );
}

/** Who gets which permission from where: kafka-acls' principal x host combinations. */
function grantees(opts: BindingOptions): { principal: string; host: string; permission: 'ALLOW' | 'DENY' }[] {
  const out: { principal: string; host: string; permission: 'ALLOW' | 'DENY' }[] = [];
  for (const principal of opts.allowPrincipal ?? [])
    for (const host of opts.allowHost ?? ['*']) out.push({ principal, host, permission: 'ALLOW' });
  for (const principal of opts.denyPrincipal ?? [])
    for (const host of opts.denyHost ?? ['*']) out.push({ principal, host, permission: 'DENY' });
  return out;
}

function printBindings(
  ctx: Context,
  json: boolean | undefined,
  acls: readonly WireAclBinding[],
  empty: string,
) {
  return ctx.print(ctx.listing(json), {
    rows: acls,
    columns: ['PRINCIPAL', 'HOST', 'OPERATION', 'PERMISSION', 'RESOURCE-TYPE', 'RESOURCE-NAME', 'PATTERN'],
    cells: (b) => [
      b.principal,
      b.host,
      b.operation,
      b.permission,
      b.resourceType,
      b.resourceName,
      b.patternType,
    ],
    empty,
  });
}

export function aclCommands(program: Command, ctx: Context): void {
  const acl = ctx.command(program, 'acl').description('add, list and remove ACLs (as kafka-acls)');

  addResourceOptions(addBindingOptions(ctx.command(acl, 'add')), ['literal', 'prefixed'], 'literal')
    .description('add ACLs: every principal x host x operation x resource given')
    .action(async (opts: BindingOptions, cmd: Command) => {
      const who = grantees(opts);
      const what = resources(opts);
      if (who.length === 0) throw new UsageError('give --allow-principal or --deny-principal');
      if (!opts.operation?.length) throw new UsageError('give at least one --operation');
      if (what.length === 0)
        throw new UsageError('give a resource: --topic, --group, --cluster or --transactional-id');
      const pattern = patternType(opts.resourcePatternType, ['literal', 'prefixed'], 'literal');
      const acls: AclBindingIn[] = [];
      for (const r of what)
        for (const operation of opts.operation)
          for (const g of who)
            acls.push({ ...g, ...r, operation, patternType: pattern as 'LITERAL' | 'PREFIXED' });
      const created = await ctx.strata(cmd).api.createAcls(acls);
      await ctx.say(`added ${created.acls.length} ACL${created.acls.length === 1 ? '' : 's'}`);
    });

  addResourceOptions(ctx.command(acl, 'list'), PATTERNS, 'any')
    .description('list ACLs (PRINCIPAL HOST OPERATION PERMISSION RESOURCE-TYPE RESOURCE-NAME PATTERN)')
    .option('--principal <principal>', 'only this principal’s')
    .option('--json', 'one JSON object per line')
    .action(async (opts: ResourceOptions & { principal?: string; json?: boolean }, cmd: Command) => {
      const api = ctx.strata(cmd).api;
      const base: AclFilterQuery = {
        patternType: patternType(opts.resourcePatternType, PATTERNS, 'any') as AclFilterQuery['patternType'],
        ...(opts.principal ? { principal: opts.principal } : {}),
      };
      const what = resources(opts);
      const found: WireAclBinding[] = [];
      const seen = new Set<string>();
      for (const filter of what.length === 0 ? [base] : what.map((r) => ({ ...base, ...r }))) {
        for (const b of (await api.describeAcls(filter)).acls) {
          const key = JSON.stringify(b);
          if (!seen.has(key)) found.push(b);
          seen.add(key);
        }
      }
      await printBindings(ctx, opts.json, found, 'no ACLs');
    });

  addResourceOptions(addBindingOptions(ctx.command(acl, 'remove')), PATTERNS, 'literal')
    .description(
      'remove the ACLs of a resource: all of them, or those of the principals, hosts and operations given',
    )
    .action(async (opts: BindingOptions, cmd: Command) => {
      const what = resources(opts);
      if (what.length === 0)
        throw new UsageError('give a resource: --topic, --group, --cluster or --transactional-id');
      const pattern = patternType(
        opts.resourcePatternType,
        PATTERNS,
        'literal',
      ) as AclDeleteQuery['patternType'];
      const who: Partial<AclDeleteQuery>[] = grantees(opts);
      // Hosts alone narrow too; no principal at all: every principal's.
      if (who.length === 0) {
        const hosts = [...(opts.allowHost ?? []), ...(opts.denyHost ?? [])];
        who.push(...(hosts.length ? hosts.map((host) => ({ host })) : [{}]));
      }
      const operations: (Operation | undefined)[] = opts.operation?.length ? opts.operation : [undefined];
      const api = ctx.strata(cmd).api;
      let removed = 0;
      for (const r of what)
        for (const operation of operations)
          for (const w of who)
            removed += (
              await api.deleteAcls({ ...w, ...r, patternType: pattern, ...(operation ? { operation } : {}) })
            ).acls.length;
      await ctx.say(`removed ${removed} ACL${removed === 1 ? '' : 's'}`);
    });
}
