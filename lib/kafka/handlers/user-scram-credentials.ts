/**
 * DescribeUserScramCredentials and AlterUserScramCredentials v0 (KIP-554) over ops/users: the
 * same users the HTTP users routes manage, and the gateway's SASL checks against. Describing takes
 * DESCRIBE on the cluster, altering ALTER (ACLs, when authorization is on), as in Kafka.
 */
import {
  deleteCredential,
  describeUser,
  listUsers,
  type ScramMechanism,
  upsertSaltedCredential,
} from '../../engine/index.js';
import { codeOf, defineHandler, kafkaErrorCode, kafkaErrorMessage, NONE } from '../handler.js';

/** Kafka's ScramMechanism ids. */
const MECHANISM_IDS: Record<ScramMechanism, number> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };
const mechanismOf = (id: number) =>
  (Object.entries(MECHANISM_IDS).find(([, n]) => n === id)?.[0] as ScramMechanism | undefined) ?? undefined;

export const describeUserScramCredentialsHandler = defineHandler({
  api: 'DescribeUserScramCredentials',
  min: 0,
  max: 0,
  async handle(ctx, body) {
    if (!(await ctx.authz.allowed('DESCRIBE', 'CLUSTER'))) {
      return {
        throttleTimeMs: 0,
        errorCode: codeOf('CLUSTER_AUTHORIZATION_FAILED'),
        errorMessage: 'not authorized to DESCRIBE on the cluster',
        results: [],
      };
    }
    const toResult = (u: Awaited<ReturnType<typeof describeUser>>) => ({
      user: u.name,
      errorCode: NONE,
      errorMessage: null,
      credentialInfos: u.mechanisms.map((m) => ({
        mechanism: MECHANISM_IDS[m.mechanism],
        iterations: m.iterations,
      })),
    });
    // Null or empty: every user (Kafka's "describe all").
    if (!body.users || body.users.length === 0) {
      return {
        throttleTimeMs: 0,
        errorCode: NONE,
        errorMessage: null,
        results: (await listUsers(ctx.engine)).map(toResult),
      };
    }
    const results = await Promise.all(
      body.users.map(async ({ name }) => {
        try {
          return toResult(await describeUser(ctx.engine, name));
        } catch (err) {
          const errorCode = kafkaErrorCode(err);
          if (errorCode !== codeOf('RESOURCE_NOT_FOUND')) throw err;
          return {
            user: name,
            errorCode,
            errorMessage: 'Attempt to describe a user credential that does not exist',
            credentialInfos: [],
          };
        }
      }),
    );
    return { throttleTimeMs: 0, errorCode: NONE, errorMessage: null, results };
  },
});

export const alterUserScramCredentialsHandler = defineHandler({
  api: 'AlterUserScramCredentials',
  min: 0,
  max: 0,
  async handle(ctx, body) {
    const names = [...new Set([...body.deletions, ...body.upsertions].map((x) => x.name))];
    if (!(await ctx.authz.allowed('ALTER', 'CLUSTER'))) {
      return {
        throttleTimeMs: 0,
        results: names.map((user) => ({
          user,
          errorCode: codeOf('CLUSTER_AUTHORIZATION_FAILED'),
          errorMessage: 'not authorized to ALTER on the cluster',
        })),
      };
    }
    // One result per user: its first failure, or none. Deletions run before upsertions, as listed.
    const failures = new Map<string, { errorCode: number; errorMessage: string | null }>();
    const attempt = async (name: string, mechanismId: number, op: (m: ScramMechanism) => Promise<void>) => {
      if (failures.has(name)) return;
      const m = mechanismOf(mechanismId);
      if (!m) {
        failures.set(name, {
          errorCode: codeOf('UNSUPPORTED_SASL_MECHANISM'),
          errorMessage: `Unknown SCRAM mechanism ${mechanismId}`,
        });
        return;
      }
      try {
        await op(m);
      } catch (err) {
        const errorCode = kafkaErrorCode(err);
        if (errorCode === codeOf('UNKNOWN_SERVER_ERROR')) throw err;
        failures.set(name, { errorCode, errorMessage: kafkaErrorMessage(err) });
      }
    };
    for (const d of body.deletions)
      await attempt(d.name, d.mechanism, (m) => deleteCredential(ctx.engine, d.name, m));
    for (const u of body.upsertions) {
      await attempt(u.name, u.mechanism, (m) =>
        upsertSaltedCredential(ctx.engine, u.name, m, {
          salt: u.salt,
          saltedPassword: u.saltedPassword,
          iterations: u.iterations,
        }),
      );
    }
    return {
      throttleTimeMs: 0,
      results: names.map((user) => ({
        user,
        ...(failures.get(user) ?? { errorCode: NONE, errorMessage: null }),
      })),
    };
  },
});
