/**
 * Recording the AWS calls a component's code makes (middleware on its engine's SDK clients) and
 * checking them against its role in a synthesized template, in both directions: a call the role
 * does not allow, and a granted action no call used. Shared by template.test.ts (each function,
 * every route replayed) and gateway.test.ts (the Kafka gateway, Kafka requests replayed).
 */
import type { CfnRole, IRole } from 'aws-cdk-lib/aws-iam';
import type { Engine } from '../../lib/engine/engine.js';
import type { SynthesizedCluster } from './support.js';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON and SDK inputs are read freely.
type Json = any;

export interface AwsCall {
  /** Whose call: a function's name, or `gateway`. */
  fn: string;
  /** The IAM action the request needs, e.g. dynamodb:PutItem (a transaction needs one per item). */
  action: string;
  table?: string;
  /** Partition key values touched (what dynamodb:LeadingKeys is evaluated on). */
  keys: string[];
  objectKey?: string;
  /** s3:ListBucket: the listed prefix (what s3:prefix is evaluated on). */
  prefix?: string;
}

export function recordCalls(engine: Engine, fn: string, calls: AwsCall[]): void {
  const pkOf = (item: Json): string => {
    const v = item?.pk;
    return typeof v === 'string' ? v : (v?.S ?? String(v));
  };
  const add = (action: string, table: string | undefined, keys: string[], objectKey?: string) =>
    calls.push({ fn, action, keys, ...(table ? { table } : {}), ...(objectKey ? { objectKey } : {}) });
  const queryPk = (input: Json): string => {
    const names: Record<string, string> = input.ExpressionAttributeNames ?? {};
    for (const m of String(input.KeyConditionExpression).matchAll(/(#?\w+)\s*=\s*(:\w+)/g)) {
      const name = names[m[1] as string] ?? m[1];
      if (name === 'pk') return pkOf({ pk: input.ExpressionAttributeValues[m[2] as string] });
    }
    return '?';
  };
  const middleware =
    (next: (a: Json) => Promise<Json>, context: { commandName?: string }) => async (args: Json) => {
      const input = args.input;
      const command = String(context.commandName).replace(/Command$/, '');
      switch (command) {
        case 'GetItem':
        case 'UpdateItem':
        case 'DeleteItem':
          add(`dynamodb:${command}`, input.TableName, [pkOf(input.Key)]);
          break;
        case 'PutItem':
          add('dynamodb:PutItem', input.TableName, [pkOf(input.Item)]);
          break;
        case 'Query':
          add('dynamodb:Query', input.TableName, [queryPk(input)]);
          break;
        case 'BatchGetItem':
          for (const [table, req] of Object.entries<Json>(input.RequestItems)) {
            add('dynamodb:BatchGetItem', table, req.Keys.map(pkOf));
          }
          break;
        case 'BatchWriteItem':
          for (const [table, reqs] of Object.entries<Json>(input.RequestItems)) {
            add(
              'dynamodb:BatchWriteItem',
              table,
              reqs.map((r: Json) => pkOf(r.PutRequest?.Item ?? r.DeleteRequest?.Key)),
            );
          }
          break;
        case 'TransactWriteItems':
          for (const item of input.TransactItems as Json[]) {
            const [kind, body] = Object.entries<Json>(item)[0] as [string, Json];
            const action = {
              Put: 'PutItem',
              Update: 'UpdateItem',
              Delete: 'DeleteItem',
              ConditionCheck: 'ConditionCheckItem',
            }[kind];
            add(`dynamodb:${action}`, body.TableName, [pkOf(body.Key ?? body.Item)]);
          }
          break;
        case 'TransactGetItems':
          for (const item of input.TransactItems as Json[])
            add('dynamodb:GetItem', item.Get.TableName, [pkOf(item.Get.Key)]);
          break;
        case 'ListObjectsV2':
          calls.push({ fn, action: 's3:ListBucket', keys: [], prefix: String(input.Prefix ?? '') });
          break;
        default:
          if (String(context.commandName).endsWith('ObjectCommand') || input.Bucket) {
            add(`s3:${command}`, undefined, [], input.Key);
          } else {
            add(`dynamodb:${command}`, input.TableName, []);
          }
      }
      return next(args);
    };
  for (const client of [engine.clients.dynamodb, engine.clients.s3]) {
    (client.middlewareStack as unknown as { add(m: unknown, o: unknown): void }).add(middleware, {
      step: 'initialize',
      name: 'recordIamCalls',
    });
  }
}

export function describeCall(c: AwsCall): string {
  return `${c.action} ${c.table ?? ''}${c.objectKey ?? ''} keys=${c.keys.join(',')}`;
}

/** The Allow statements of every policy attached to `role` in the synthesized template. */
export function policyOf(synth: SynthesizedCluster, role: IRole): Json[] {
  const roleId = synth.stack.getLogicalId(role.node.defaultChild as CfnRole);
  const resources = synth.template.toJSON().Resources as Record<string, Json>;
  return Object.values(resources)
    .filter((p) => p.Type === 'AWS::IAM::Policy')
    .filter((p) => p.Properties.Roles.some((r: Json) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Json[])
    .filter((s) => s.Effect === 'Allow');
}

export function resourceMatches(synth: SynthesizedCluster, resource: Json, call: AwsCall): boolean {
  const logicalId = (c: { node: { defaultChild?: unknown } }) =>
    synth.stack.getLogicalId(c.node.defaultChild as never);
  if (call.action === 's3:ListBucket') {
    return resource?.['Fn::GetAtt']?.[0] === logicalId(synth.cluster.bucket);
  }
  if (call.action.startsWith('s3:')) {
    const join = resource?.['Fn::Join']?.[1];
    if (!join || join[0]?.['Fn::GetAtt']?.[0] !== logicalId(synth.cluster.bucket)) return false;
    return glob(String(join[1])).test(`/${call.objectKey}`);
  }
  const tableLogicalId = resource?.['Fn::GetAtt']?.[0];
  if (tableLogicalId === undefined || call.table === undefined) return false;
  // Test tables are named <id>-meta / <id>-index (test/support/stack.ts).
  const kind = call.table.endsWith('-meta') ? synth.cluster.metaTable : synth.cluster.indexTable;
  return tableLogicalId === logicalId(kind);
}

export function allows(synth: SynthesizedCluster, statement: Json, call: AwsCall): boolean {
  const actions = (Array.isArray(statement.Action) ? statement.Action : [statement.Action]).map(String);
  if (!actions.includes(call.action) || !resourceMatches(synth, statement.Resource, call)) return false;
  // The two condition forms the construct uses; anything else counts as not allowing (fail closed).
  for (const [operator, byKey] of Object.entries<Json>(statement.Condition ?? {})) {
    for (const [key, values] of Object.entries<Json>(byKey)) {
      const patterns = (Array.isArray(values) ? values : [values]).map((v: string) => glob(v));
      if (operator === 'ForAllValues:StringLike' && key === 'dynamodb:LeadingKeys') {
        if (!call.keys.every((k) => patterns.some((p: RegExp) => p.test(k)))) return false;
      } else if (operator === 'StringLike' && key === 's3:prefix') {
        if (call.prefix === undefined || !patterns.some((p: RegExp) => p.test(call.prefix as string)))
          return false;
      } else {
        return false;
      }
    }
  }
  return true;
}

function glob(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}
