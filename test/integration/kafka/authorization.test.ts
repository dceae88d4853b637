/**
 * ACL enforcement on the Kafka front end, table-driven: for every API in the handler registry,
 * a real request on the wire as a principal with no ACLs (the rule's refusal, and nothing changed)
 * and as one granted what lib/kafka/authorization.ts says the API needs (no authorization error).
 * An API added to the registry without a case here fails the first test.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AclBinding, CLUSTER_NAME } from '../../../lib/contract/acl.js';
import { ERRORS } from '../../../lib/contract/errors.js';
import { createEngine, type Engine } from '../../../lib/engine/engine.js';
import {
  createAcls,
  deleteAcls,
  fetchOffsets,
  kafkaListOffset,
  listGroups,
  listTopics,
  listUsers,
} from '../../../lib/engine/index.js';
import { user } from '../../../lib/engine/principal.js';
import { createAwsClients } from '../../../lib/engine/storage/aws-clients.js';
import { createHandlerRegistry } from '../../../lib/kafka/apis.js';
import { AUTHORIZATION } from '../../../lib/kafka/authorization.js';
import {
  APIS,
  type ApiKey,
  type ApiName,
  type ApiNameOf,
  type RequestInput,
  type ResponseBody,
} from '../../../lib/kafka/protocol/schema/index.js';
import { usePrincipalGateway } from '../../support/gateway.js';
import { waitFor } from '../../support/kafka-clients.js';
import {
  createTopicsRequest,
  fetchRequest,
  type KafkaWire,
  produceRequest,
  recordBatch,
} from '../../support/kafka-wire.js';

const ACL_CACHE_MS = 200;
const AUTH_CODES = new Set(
  [
    'TOPIC_AUTHORIZATION_FAILED',
    'GROUP_AUTHORIZATION_FAILED',
    'CLUSTER_AUTHORIZATION_FAILED',
    'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  ].map((n) => ERRORS[n as keyof typeof ERRORS].kafkaCode),
);
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** Each connection `as` opens acts as the principal it is given (the hook is per connection). */
const { ctx, as, closeWires } = usePrincipalGateway(
  { initialRebalanceDelayMs: 0 },
  { authEnabled: true, superUsers: ['User:admin'], aclCacheMs: ACL_CACHE_MS },
);
afterAll(() => closeWires());

/** The resources one API's case works on, made for it alone. */
interface Scene {
  topic: string;
  group: string;
  topicId: string;
}

interface Case<K extends ApiKey = ApiKey> {
  key: K;
  version: number;
  body: (s: Scene) => RequestInput<ApiNameOf<K>>;
  /** Every error code in the response that speaks of the resources asked for. */
  codes: (r: ResponseBody<ApiNameOf<K>>, s: Scene) => number[];
  /** For a rule that hides instead of refusing: whether the answer shows the scene's resource. */
  shows?: (r: ResponseBody<ApiNameOf<K>>, s: Scene) => boolean;
}
const c = <K extends ApiKey>(x: Case<K>): Case => x as unknown as Case;

const CASES: Record<ApiName, Case> = {
  Produce: c({
    key: 0,
    version: 9,
    body: (s) => produceRequest(s.topic, 0, recordBatch(['denied?'])),
    codes: (r) => r.responses.flatMap((t) => t.partitionResponses.map((p) => p.errorCode)),
  }),
  Fetch: c({
    key: 1,
    version: 12,
    body: (s) => fetchRequest(s.topic, 0, 0n),
    codes: (r) =>
      [r.errorCode, ...r.responses.flatMap((t) => t.partitions.map((p) => p.errorCode))].filter(Boolean),
  }),
  ListOffsets: c({
    key: 2,
    version: 7,
    body: (s) => ({
      replicaId: -1,
      topics: [{ name: s.topic, partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
    }),
    codes: (r) => r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)),
  }),
  Metadata: c({
    key: 3,
    version: 12,
    body: (s) => ({ topics: [{ topicId: ZERO_UUID, name: s.topic }], allowAutoTopicCreation: false }),
    codes: (r) => r.topics.map((t) => t.errorCode),
  }),
  OffsetCommit: c({
    key: 8,
    version: 8,
    body: (s) => ({
      groupId: s.group,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      topics: [
        { name: s.topic, partitions: [{ partitionIndex: 0, committedOffset: 2n, committedMetadata: '' }] },
      ],
    }),
    codes: (r) => r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)),
  }),
  OffsetFetch: c({
    key: 9,
    version: 8,
    body: (s) => ({
      groups: [
        {
          groupId: s.group,
          memberId: null,
          memberEpoch: -1,
          topics: [{ name: s.topic, partitionIndexes: [0] }],
        },
      ],
    }),
    codes: (r) =>
      r.groups
        .flatMap((g) => [g.errorCode, ...g.topics.flatMap((t) => t.partitions.map((p) => p.errorCode))])
        .filter(Boolean),
  }),
  FindCoordinator: c({
    key: 10,
    version: 4,
    body: (s) => ({ keyType: 0, coordinatorKeys: [s.group] }),
    codes: (r) => r.coordinators.map((x) => x.errorCode),
  }),
  JoinGroup: c({
    key: 11,
    version: 5,
    body: (s) => ({
      groupId: s.group,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: '',
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: new Uint8Array(0) }],
    }),
    codes: (r) => [r.errorCode],
  }),
  Heartbeat: c({
    key: 12,
    version: 3,
    body: (s) => ({ groupId: s.group, generationId: 1, memberId: 'nobody' }),
    codes: (r) => [r.errorCode],
  }),
  LeaveGroup: c({
    key: 13,
    version: 3,
    body: (s) => ({ groupId: s.group, members: [{ memberId: 'nobody', groupInstanceId: null }] }),
    codes: (r) => [r.errorCode, ...r.members.map((m) => m.errorCode)].filter(Boolean),
  }),
  SyncGroup: c({
    key: 14,
    version: 3,
    body: (s) => ({ groupId: s.group, generationId: 1, memberId: 'nobody', assignments: [] }),
    codes: (r) => [r.errorCode],
  }),
  DescribeGroups: c({
    key: 15,
    version: 5,
    body: (s) => ({ groups: [s.group], includeAuthorizedOperations: true }),
    codes: (r) => r.groups.map((g) => g.errorCode),
  }),
  ListGroups: c({
    key: 16,
    version: 4,
    body: () => ({ statesFilter: [] }),
    codes: (r) => [r.errorCode],
    shows: (r, s) => r.groups.some((g) => g.groupId === s.group),
  }),
  SaslHandshake: c({
    key: 17,
    version: 1,
    body: () => ({ mechanism: 'PLAIN' }),
    codes: (r) => [r.errorCode],
  }),
  ApiVersions: c({
    key: 18,
    version: 3,
    body: () => ({ clientSoftwareName: 'authz-test', clientSoftwareVersion: '1' }),
    codes: (r) => [r.errorCode],
  }),
  CreateTopics: c({
    key: 19,
    version: 5,
    body: (s) => createTopicsRequest([`${s.topic}-new`]),
    codes: (r) => r.topics.map((t) => t.errorCode),
  }),
  DeleteTopics: c({
    key: 20,
    version: 4,
    body: (s) => ({ topicNames: [s.topic], timeoutMs: 5000 }),
    codes: (r) => r.responses.map((t) => t.errorCode),
  }),
  DeleteRecords: c({
    key: 21,
    version: 2,
    body: (s) => ({
      topics: [{ name: s.topic, partitions: [{ partitionIndex: 0, offset: 1n }] }],
      timeoutMs: 5000,
    }),
    codes: (r) => r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)),
  }),
  InitProducerId: c({
    key: 22,
    version: 4,
    body: () => ({ transactionalId: null, transactionTimeoutMs: -1, producerId: -1n, producerEpoch: -1 }),
    codes: (r) => [r.errorCode],
  }),
  OffsetForLeaderEpoch: c({
    key: 23,
    version: 4,
    body: (s) => ({
      replicaId: -1,
      topics: [{ topic: s.topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }],
    }),
    codes: (r) => r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)),
  }),
  DescribeConfigs: c({
    key: 32,
    version: 4,
    body: (s) => ({ resources: [{ resourceType: 2, resourceName: s.topic, configurationKeys: null }] }),
    codes: (r) => r.results.map((x) => x.errorCode),
  }),
  AlterConfigs: c({
    key: 33,
    version: 1,
    body: (s) => ({
      resources: [
        { resourceType: 2, resourceName: s.topic, configs: [{ name: 'retention.ms', value: '1000' }] },
      ],
    }),
    codes: (r) => r.responses.map((x) => x.errorCode),
  }),
  SaslAuthenticate: c({
    key: 36,
    version: 2,
    body: () => ({ authBytes: new Uint8Array(0) }),
    codes: (r) => [r.errorCode],
  }),
  DescribeAcls: c({
    key: 29,
    version: 3,
    body: () => ANY_FILTER,
    codes: (r) => [r.errorCode],
  }),
  CreateAcls: c({
    key: 30,
    version: 3,
    body: (s) => ({
      creations: [
        {
          resourceType: 2,
          resourceName: s.topic,
          resourcePatternType: 3,
          principal: 'User:created',
          host: '*',
          operation: 3,
          permissionType: 3,
        },
      ],
    }),
    codes: (r) => r.results.map((x) => x.errorCode),
  }),
  DeleteAcls: c({
    key: 31,
    version: 3,
    body: (s) => ({
      filters: [{ ...ANY_FILTER, resourceNameFilter: s.topic, principalFilter: 'User:victim' }],
    }),
    codes: (r) => r.filterResults.map((x) => x.errorCode),
  }),
  DescribeUserScramCredentials: c({
    key: 50,
    version: 0,
    body: () => ({ users: null }),
    codes: (r) => [r.errorCode],
  }),
  AlterUserScramCredentials: c({
    key: 51,
    version: 0,
    body: () => ({
      deletions: [],
      upsertions: [
        {
          name: 'authz-created-user',
          mechanism: 2,
          iterations: 4096,
          salt: Buffer.from('salt-of-the-test'),
          saltedPassword: Buffer.alloc(64, 7),
        },
      ],
    }),
    codes: (r) => r.results.map((x) => x.errorCode),
  }),
  CreatePartitions: c({
    key: 37,
    version: 3,
    body: (s) => ({ topics: [{ name: s.topic, count: 2, assignments: null }], timeoutMs: 5000 }),
    codes: (r) => r.results.map((x) => x.errorCode),
  }),
  DeleteGroups: c({
    key: 42,
    version: 2,
    body: (s) => ({ groupsNames: [s.group] }),
    codes: (r) => r.results.map((x) => x.errorCode),
  }),
  OffsetDelete: c({
    key: 47,
    version: 0,
    body: (s) => ({ groupId: s.group, topics: [{ name: s.topic, partitions: [{ partitionIndex: 0 }] }] }),
    codes: (r) =>
      [r.errorCode, ...r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode))].filter(Boolean),
  }),
  IncrementalAlterConfigs: c({
    key: 44,
    version: 1,
    body: (s) => ({
      resources: [
        {
          resourceType: 2,
          resourceName: s.topic,
          configs: [{ name: 'retention.ms', configOperation: 0, value: '1000' }],
        },
      ],
    }),
    codes: (r) => r.responses.map((x) => x.errorCode),
  }),
  DescribeCluster: c({
    key: 60,
    version: 1,
    body: () => ({ includeClusterAuthorizedOperations: true, endpointType: 1 }),
    codes: (r) => [r.errorCode],
  }),
  ConsumerGroupHeartbeat: c({
    key: 68,
    version: 1,
    body: (s) => ({
      groupId: `${s.group}-848`,
      memberId: randomUUID(),
      memberEpoch: 0,
      rebalanceTimeoutMs: 10_000,
      subscribedTopicNames: [s.topic],
      topicPartitions: [],
    }),
    codes: (r) => [r.errorCode],
  }),
  ConsumerGroupDescribe: c({
    key: 69,
    version: 1,
    body: (s) => ({ groupIds: [s.group], includeAuthorizedOperations: true }),
    codes: (r) => r.groups.map((g) => g.errorCode),
  }),
};

const ANY_FILTER = {
  resourceTypeFilter: 1,
  resourceNameFilter: null,
  patternTypeFilter: 1,
  principalFilter: null,
  hostFilter: null,
  operation: 1,
  permissionType: 1,
};

/** What a case could change: the topics and their configs, its partition's offsets, the groups, its group's offsets, the ACLs. */
async function snapshot(engine: Engine, s: Scene) {
  const topics = (await listTopics(engine)).map((t) => [t.name, t.partitions, t.config]).sort();
  const topic = (await listTopics(engine)).find((t) => t.name === s.topic);
  const offsets = topic
    ? [await kafkaListOffset(engine, topic, 0, 'earliest'), await kafkaListOffset(engine, topic, 0, 'latest')]
    : [];
  const groups = (await listGroups(engine)).map((g) => [g.groupId, g.state]).sort();
  const committed = await fetchOffsets(engine, s.group).catch((err) => String(err));
  const acls = await engine.acls.list();
  const users = await listUsers(engine);
  return { topics, offsets, groups, committed, acls, users };
}

/** Grants one principal what an API's rule needs (the first way of each need), on every name. */
function grantsFor(api: ApiName, who: string): AclBinding[] {
  return AUTHORIZATION[api].needs.map(({ anyOf: [n] }) => ({
    principal: who,
    host: '*',
    resourceType: n?.resource ?? 'CLUSTER',
    resourceName: n?.resource === 'CLUSTER' ? CLUSTER_NAME : '*',
    patternType: 'LITERAL',
    operation: n?.operation ?? 'DESCRIBE',
    permission: 'ALLOW',
  }));
}

const registry = [...createHandlerRegistry().values()].map((h) => h.api);

it('has a case for every API in the handler registry', () => {
  expect(registry.filter((api) => !(api in CASES))).toEqual([]);
  expect(registry.length).toBe(Object.keys(APIS).length);
});

describe.each(registry)('%s', (api) => {
  const kase = CASES[api];
  const rule = AUTHORIZATION[api];
  const refused = rule.needs[0]?.refused ?? 'none';
  const tag = api.toLowerCase();
  const scene: Scene = { topic: `authz-${tag}`, group: `authz-${tag}-g`, topicId: ZERO_UUID };

  beforeAll(async () => {
    // As a super user: a topic with two records, a group with a committed offset, an ACL to delete.
    const admin = await as(user('admin'));
    const created = await admin.request(19, 5, createTopicsRequest([scene.topic]));
    expect(created.topics[0]?.errorCode).toBe(0);
    scene.topicId = created.topics[0]?.topicId ?? ZERO_UUID;
    const produced = await admin.request(0, 9, produceRequest(scene.topic, 0, recordBatch(['a', 'b'])));
    expect(produced.responses[0]?.partitionResponses[0]?.errorCode).toBe(0);
    const committed = await admin.request(8, 8, {
      groupId: scene.group,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      topics: [
        {
          name: scene.topic,
          partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: '' }],
        },
      ],
    });
    expect(committed.topics[0]?.partitions[0]?.errorCode).toBe(0);
    await createAcls(ctx.engine, [
      {
        principal: 'User:victim',
        host: '*',
        resourceType: 'TOPIC',
        resourceName: scene.topic,
        patternType: 'LITERAL',
        operation: 'READ',
        permission: 'ALLOW',
      },
    ]);
  });

  it(`without ACLs: ${refused === 'none' ? 'served' : refused}, and nothing changes`, async () => {
    if (!kase) throw new Error(`no case for ${api}`);
    const before = await snapshot(ctx.engine, scene);
    const wire = await as(user(`denied-${tag}`));
    const res = await wire.request(kase.key, kase.version, kase.body(scene) as never);
    const codes = kase.codes(res as never, scene);
    if (refused === 'none') {
      expect(codes.filter((x) => AUTH_CODES.has(x))).toEqual([]);
    } else if (refused === 'hidden') {
      expect(codes.filter((x) => AUTH_CODES.has(x))).toEqual([]);
      expect(kase.shows?.(res as never, scene)).toBe(false);
    } else {
      expect(codes.length).toBeGreaterThan(0);
      expect(codes).toEqual(codes.map(() => ERRORS[refused].kafkaCode));
    }
    expect(await snapshot(ctx.engine, scene)).toEqual(before);
  });

  it('with the ACLs its rule names: no authorization error', async () => {
    if (!kase) throw new Error(`no case for ${api}`);
    const who = user(`allowed-${tag}`);
    await createAcls(ctx.engine, grantsFor(api, `User:${who.name}`));
    const wire = await as(who);
    const res = await wire.request(kase.key, kase.version, kase.body(scene) as never);
    expect(kase.codes(res as never, scene).filter((x) => AUTH_CODES.has(x))).toEqual([]);
    if (kase.shows) expect(kase.shows(res as never, scene)).toBe(true);
  });
});

describe('authorized operations and hiding', () => {
  it('Metadata reports the real bit sets, hides undescribable topics from the listing, and refuses them by name and id', async () => {
    const wire0 = await as(user('admin'));
    const made = await wire0.request(19, 7, createTopicsRequest(['ops-seen', 'ops-hidden']));
    const hiddenId = made.topics[1]?.topicId as string;
    await createAcls(ctx.engine, [
      {
        principal: 'User:ops',
        host: '*',
        resourceType: 'TOPIC',
        resourceName: 'ops-seen',
        patternType: 'LITERAL',
        operation: 'READ',
        permission: 'ALLOW',
      },
    ]);
    const wire = await as(user('ops'));
    const all = await wire.request(3, 12, {
      topics: null,
      includeTopicAuthorizedOperations: true,
      allowAutoTopicCreation: false,
    });
    expect(all.topics.map((t) => t.name)).toEqual(['ops-seen']);
    // READ (3) and the DESCRIBE (8) it implies.
    expect(all.topics[0]?.topicAuthorizedOperations).toBe((1 << 3) | (1 << 8));
    const named = await wire.request(3, 12, {
      topics: [
        { topicId: ZERO_UUID, name: 'ops-hidden' },
        { topicId: ZERO_UUID, name: 'ops-never-created' },
        { topicId: hiddenId, name: null },
      ],
      allowAutoTopicCreation: false,
    });
    expect(named.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['ops-hidden', 29],
      ['ops-never-created', 29],
      [null, 29],
    ]);
    const cluster = await wire.request(60, 0, { includeClusterAuthorizedOperations: true });
    expect(cluster.errorCode).toBe(31);
  });

  it('a grant made by another process takes effect, and its revocation stops working, within aclCacheMs', async () => {
    // Another engine over the same tables: its writes reach this gateway only through its cache.
    const other = createEngine(ctx.engine.config, createAwsClients(ctx.engine.config));
    const binding: AclBinding = {
      principal: 'User:revoked',
      host: '*',
      resourceType: 'TOPIC',
      resourceName: 'authz-fetch',
      patternType: 'LITERAL',
      operation: 'READ',
      permission: 'ALLOW',
    };
    const read = async () => {
      const wire = await as(user('revoked'));
      try {
        const res = await wire.request(1, 12, fetchRequest('authz-fetch', 0, 0n));
        return res.responses[0]?.partitions[0]?.errorCode;
      } finally {
        wire.close();
      }
    };
    expect(await read()).toBe(29);
    await createAcls(other, [binding]);
    const granted = Date.now();
    await waitFor('the grant', async () => ((await read()) === 0 ? true : undefined), ACL_CACHE_MS * 10);
    expect(Date.now() - granted).toBeLessThan(ACL_CACHE_MS * 10);
    await deleteAcls(other, [{ principal: 'User:revoked' }]);
    const revoked = Date.now();
    await waitFor(
      'the revocation',
      async () => ((await read()) === 29 ? true : undefined),
      ACL_CACHE_MS * 10,
    );
    expect(Date.now() - revoked).toBeLessThan(ACL_CACHE_MS * 10);
  });
});

describe('per resource', () => {
  const grant = (who: string, over: Partial<AclBinding>): AclBinding => ({
    principal: `User:${who}`,
    host: '*',
    resourceType: 'TOPIC',
    resourceName: '*',
    patternType: 'LITERAL',
    operation: 'READ',
    permission: 'ALLOW',
    ...over,
  });
  const topics = async (...names: string[]) => {
    const admin = await as(user('admin'));
    const res = await admin.request(19, 5, createTopicsRequest(names));
    expect(res.topics.map((t) => t.errorCode)).toEqual(names.map(() => 0));
    return admin;
  };

  it('Produce answers each topic on its own: the allowed one is written, the refused one is not', async () => {
    await topics('pr-ok', 'pr-no');
    await createAcls(ctx.engine, [grant('pr', { resourceName: 'pr-ok', operation: 'WRITE' })]);
    const wire = await as(user('pr'));
    const res = await wire.request(0, 9, {
      acks: -1,
      timeoutMs: 5000,
      topicData: ['pr-ok', 'pr-no'].map((name) => ({
        name,
        partitionData: [{ index: 0, records: recordBatch(['x']) }],
      })),
    });
    expect(res.responses.map((t) => [t.name, t.partitionResponses[0]?.errorCode])).toEqual([
      ['pr-ok', 0],
      ['pr-no', 29],
    ]);
    const [ok, no] = await Promise.all(
      ['pr-ok', 'pr-no'].map(async (name) => {
        const topic = (await listTopics(ctx.engine)).find((t) => t.name === name);
        return topic ? (await kafkaListOffset(ctx.engine, topic, 0, 'latest')).offset : undefined;
      }),
    );
    expect([ok, no]).toEqual([1, 0]);
  });

  it('OffsetCommit and OffsetFetch: a refused topic is refused alone, and left out of a fetch of every offset', async () => {
    const admin = await topics('oc-ok', 'oc-no');
    const commit = (w: KafkaWire, offset: bigint) =>
      w.request(8, 8, {
        groupId: 'oc-g',
        generationIdOrMemberEpoch: -1,
        memberId: '',
        topics: ['oc-ok', 'oc-no'].map((name) => ({
          name,
          partitions: [{ partitionIndex: 0, committedOffset: offset, committedMetadata: '' }],
        })),
      });
    await commit(admin, 0n);
    await createAcls(ctx.engine, [
      grant('oc', { resourceType: 'GROUP', resourceName: 'oc-g' }),
      grant('oc', { resourceName: 'oc-ok' }),
    ]);
    const wire = await as(user('oc'));
    const res = await commit(wire, 5n);
    expect(res.topics.map((t) => t.partitions[0]?.errorCode)).toEqual([0, 29]);
    expect((await fetchOffsets(ctx.engine, 'oc-g')).map((o) => [o.topic, o.offset])).toEqual([
      ['oc-no', 0],
      ['oc-ok', 5],
    ]);
    const all = await wire.request(9, 8, {
      groups: [{ groupId: 'oc-g', memberId: null, memberEpoch: -1, topics: null }],
    });
    expect(all.groups[0]?.topics.map((t) => t.name)).toEqual(['oc-ok']);
    const named = await wire.request(9, 8, {
      groups: [
        {
          groupId: 'oc-g',
          memberId: null,
          memberEpoch: -1,
          topics: [{ name: 'oc-no', partitionIndexes: [0] }],
        },
      ],
    });
    expect(named.groups[0]?.topics[0]?.partitions[0]).toMatchObject({ errorCode: 29, committedOffset: -1n });
  });

  it('ListGroups without DESCRIBE on the cluster lists only the groups it may DESCRIBE', async () => {
    const admin = await topics('lg-t');
    for (const groupId of ['lg-seen', 'lg-hidden'])
      await admin.request(8, 8, {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        topics: [
          { name: 'lg-t', partitions: [{ partitionIndex: 0, committedOffset: 0n, committedMetadata: '' }] },
        ],
      });
    await createAcls(ctx.engine, [
      grant('lg', { resourceType: 'GROUP', resourceName: 'lg-seen', operation: 'DESCRIBE' }),
    ]);
    const res = await (await as(user('lg'))).request(16, 4, { statesFilter: [] });
    expect(res.groups.map((g) => g.groupId)).toEqual(['lg-seen']);
  });

  it('a DENY wins over an ALLOW; PREFIXED grants cover their prefix only', async () => {
    await topics('dn-a', 'dn-b');
    await createAcls(ctx.engine, [
      grant('dn', { resourceName: 'dn-', patternType: 'PREFIXED' }),
      grant('dn', { resourceName: 'dn-b', permission: 'DENY' }),
      grant('dn', {
        resourceType: 'CLUSTER',
        resourceName: CLUSTER_NAME,
        operation: 'CREATE',
        permission: 'DENY',
      }),
      grant('dn', { resourceName: 'dn-new-', patternType: 'PREFIXED', operation: 'CREATE' }),
    ]);
    const wire = await as(user('dn'));
    const read = async (name: string) =>
      (await wire.request(1, 12, fetchRequest(name, 0, 0n))).responses[0]?.partitions[0]?.errorCode;
    expect([await read('dn-a'), await read('dn-b')]).toEqual([0, 29]);
    const created = await wire.request(19, 5, createTopicsRequest(['dn-new-1', 'elsewhere']));
    expect(created.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['dn-new-1', 0],
      ['elsewhere', 29],
    ]);
  });

  it('InitProducerId: WRITE on some topic is enough; a DENY of WRITE on every topic is not', async () => {
    const init = async (who: string) =>
      (
        await (
          await as(user(who))
        ).request(22, 4, {
          transactionalId: null,
          transactionTimeoutMs: -1,
          producerId: -1n,
          producerEpoch: -1,
        })
      ).errorCode;
    await createAcls(ctx.engine, [
      grant('ip-some', { resourceName: 'ip-', patternType: 'PREFIXED', operation: 'WRITE' }),
      grant('ip-denied', { resourceName: 'ip-t', operation: 'WRITE' }),
      grant('ip-denied', { resourceName: '*', operation: 'WRITE', permission: 'DENY' }),
    ]);
    expect([await init('ip-some'), await init('ip-denied'), await init('ip-none')]).toEqual([0, 31, 31]);
  });
});
